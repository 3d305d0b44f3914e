"""network state: the participant's active map and each map's last undo

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("active_map", sa.String(length=32), nullable=True))
    with op.batch_alter_table("maps") as batch:
        batch.add_column(sa.Column("undo", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("source", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("maps") as batch:
        batch.drop_column("source")
        batch.drop_column("undo")
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("active_map")
