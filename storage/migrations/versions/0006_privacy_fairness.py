"""privacy: which participants a message speaks of (deleted with them); cohort moves;
a version on maps (the dashboard's analysis cache)

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_about",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_outbox_about_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_outbox_about_outbox_id_outbox"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", "outbox_id", name=op.f("pk_outbox_about")),
    )
    op.create_index(op.f("ix_outbox_about_outbox_id"), "outbox_about", ["outbox_id"])
    op.create_table(
        "cohort_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("from_cohort_id", sa.Integer(), nullable=True),
        sa.Column("to_cohort_id", sa.Integer(), nullable=True),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_cohort_moves_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_cohort_moves_from_cohort_id_cohorts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["to_cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_cohort_moves_to_cohort_id_cohorts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_moves")),
    )
    op.create_index(op.f("ix_cohort_moves_participant_id"), "cohort_moves", ["participant_id"])
    with op.batch_alter_table("maps") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("maps") as batch:
        batch.drop_column("version")
    op.drop_index(op.f("ix_cohort_moves_participant_id"), table_name="cohort_moves")
    op.drop_table("cohort_moves")
    op.drop_index(op.f("ix_outbox_about_outbox_id"), table_name="outbox_about")
    op.drop_table("outbox_about")
