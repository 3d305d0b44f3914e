"""coaches: join links that expire, a count of who left, dashboard login links and sessions

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cohorts") as batch:
        batch.add_column(sa.Column("join_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("left_count", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "coach_logins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["coach_id"],
            ["coaches.id"],
            name=op.f("fk_coach_logins_coach_id_coaches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach_logins")),
        sa.UniqueConstraint("nonce_hash", name=op.f("uq_coach_logins_nonce_hash")),
    )
    op.create_index(op.f("ix_coach_logins_coach_id"), "coach_logins", ["coach_id"])
    op.create_table(
        "coach_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["coach_id"],
            ["coaches.id"],
            name=op.f("fk_coach_sessions_coach_id_coaches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_coach_sessions_token_hash")),
    )
    op.create_index(op.f("ix_coach_sessions_coach_id"), "coach_sessions", ["coach_id"])
    op.create_index(op.f("ix_coach_sessions_expires_at"), "coach_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_coach_sessions_expires_at"), table_name="coach_sessions")
    op.drop_index(op.f("ix_coach_sessions_coach_id"), table_name="coach_sessions")
    op.drop_table("coach_sessions")
    op.drop_index(op.f("ix_coach_logins_coach_id"), table_name="coach_logins")
    op.drop_table("coach_logins")
    with op.batch_alter_table("cohorts") as batch:
        batch.drop_column("left_count")
        batch.drop_column("join_expires_at")
