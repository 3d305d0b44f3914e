"""dead letters: updates and messages that failed deterministically, set aside

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("error_class", sa.String(length=200), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_dead_letters_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
    )
    op.create_index(op.f("ix_dead_letters_participant_id"), "dead_letters", ["participant_id"])
    op.create_index(op.f("ix_dead_letters_outbox_id"), "dead_letters", ["outbox_id"])
    op.create_index(op.f("ix_dead_letters_resolved_at"), "dead_letters", ["resolved_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_dead_letters_resolved_at"), table_name="dead_letters")
    op.drop_index(op.f("ix_dead_letters_outbox_id"), table_name="dead_letters")
    op.drop_index(op.f("ix_dead_letters_participant_id"), table_name="dead_letters")
    op.drop_table("dead_letters")
