"""KLTB: when the follow-up a week after a planned step's date was asked

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kltb_entries") as batch:
        batch.add_column(sa.Column("followup_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kltb_entries") as batch:
        batch.drop_column("followup_at")
