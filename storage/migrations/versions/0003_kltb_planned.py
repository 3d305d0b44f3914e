"""kltb: a step can be planned (next action, due date) before it is done

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kltb_entries") as batch:
        batch.alter_column("done_at", existing_type=sa.DateTime(timezone=True), nullable=True)
        batch.add_column(sa.Column("planned_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kltb_entries") as batch:
        batch.drop_column("planned_at")
        batch.alter_column("done_at", existing_type=sa.DateTime(timezone=True), nullable=False)
