"""planned ties: a status (planned/done/dropped), the done note, when dropped, the follow-up

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("planned_ties") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=8), server_default="planned", nullable=False)
        )
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("dropped_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("followup_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("followup_answer", sa.String(length=8), nullable=True))
    # A tie marked done before statuses existed is done.
    op.execute("UPDATE planned_ties SET status = 'done' WHERE done_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("planned_ties") as batch:
        batch.drop_column("followup_answer")
        batch.drop_column("followup_at")
        batch.drop_column("dropped_at")
        batch.drop_column("note")
        batch.drop_column("status")
