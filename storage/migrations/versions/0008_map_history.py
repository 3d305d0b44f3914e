"""maps: the history of changes (undo and redo, many steps) instead of the last undo alone

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _steps(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    with op.batch_alter_table("maps") as batch:
        batch.add_column(sa.Column("history", sa.JSON(), nullable=True))
    maps = sa.table("maps", sa.column("id", sa.Integer()), sa.column("undo", sa.JSON()))
    history = sa.table("maps", sa.column("id", sa.Integer()), sa.column("history", sa.JSON()))
    connection = op.get_bind()
    # The last undo each map kept becomes the first step of its history.
    for map_id, undo in connection.execute(sa.select(maps.c.id, maps.c.undo)).all():
        ops = _steps(undo)
        if ops:
            connection.execute(
                sa.update(history)
                .where(history.c.id == map_id)
                .values(history={"undo": [ops], "redo": []})
            )
    with op.batch_alter_table("maps") as batch:
        batch.drop_column("undo")


def downgrade() -> None:
    with op.batch_alter_table("maps") as batch:
        batch.add_column(sa.Column("undo", sa.JSON(), nullable=True))
    maps = sa.table("maps", sa.column("id", sa.Integer()), sa.column("undo", sa.JSON()))
    history = sa.table("maps", sa.column("id", sa.Integer()), sa.column("history", sa.JSON()))
    connection = op.get_bind()
    for map_id, stored in connection.execute(sa.select(history.c.id, history.c.history)).all():
        steps = (_steps(stored) or {}).get("undo") or []
        if steps:
            connection.execute(sa.update(maps).where(maps.c.id == map_id).values(undo=steps[-1]))
    with op.batch_alter_table("maps") as batch:
        batch.drop_column("history")
