"""Outbox: an index of each chat's waiting messages (queueing and claiming ask for them),
instead of one of every message's chat

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_UNSENT = sa.text("sent_at IS NULL AND failed_at IS NULL")


def upgrade() -> None:
    op.drop_index("ix_outbox_chat_id", table_name="outbox")
    op.create_index(
        "ix_outbox_chat_waiting",
        "outbox",
        ["channel", "chat_id", "id"],
        postgresql_where=_UNSENT,
        sqlite_where=_UNSENT,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_chat_waiting", table_name="outbox")
    op.create_index("ix_outbox_chat_id", "outbox", ["chat_id"])
