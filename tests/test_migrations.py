"""Migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import json
import subprocess
import sys

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from storage.db import Database, alembic_config, head_revision, run_upgrade
from storage.models import Base
from tests.conftest import REPO


async def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


async def test_upgrade_is_idempotent(db: Database) -> None:
    await db.upgrade()
    await db.upgrade()
    with db.engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    assert len(versions) == 1


def test_the_head_read_from_the_files_is_alembics() -> None:
    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_a_database_one_revision_behind_is_upgraded(sqlite_url: str) -> None:
    def migrate_to(connection: Connection, revision: str) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    db = Database.connect(sqlite_url)
    try:
        with db.engine.begin() as conn:
            migrate_to(conn, "0003")
        await db.upgrade()
        with db.engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).all()
            columns = [c[1] for c in conn.exec_driver_sql("PRAGMA table_info(cohorts)")]
    finally:
        await db.dispose()
    assert version == [(head_revision(),)] and "join_expires_at" in columns  # 0004's


def test_starting_on_an_up_to_date_database_leaves_alembic_unimported(sqlite_url: str) -> None:
    run_upgrade(sqlite_url)
    script = (
        "import asyncio, sys; from storage.db import upgrade_url; "
        f"asyncio.run(upgrade_url({sqlite_url!r})); print('alembic' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "False", done.stderr


async def test_a_maps_last_undo_becomes_the_first_step_of_its_history(sqlite_url: str) -> None:
    def migrate_to(connection: Connection, revision: str) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    undo = '[{"op": "delete_actor", "key": "budi"}]'
    db = Database.connect(sqlite_url)
    try:
        with db.engine.begin() as conn:
            migrate_to(conn, "0007")
            conn.execute(
                text(
                    "INSERT INTO participants (id, external_id, language, reminder_time, "
                    "quiet_start, quiet_end, state, state_data, seq, active, ignored_nudges, "
                    "created_at, updated_at) VALUES (1, 'tg:1', 'id', '08:00', '21:00', "
                    "'07:00', 'menu.main', '{}', 0, 1, 0, '2026-01-01', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO maps (id, participant_id, kind, title, anklam, undo, created_at,"
                    " updated_at) VALUES (1, 1, 'personal', 'personal', '{}', :undo,"
                    " '2026-01-01', '2026-01-01'), (2, 1, 'case', 'Kasus', '{}', NULL,"
                    " '2026-01-01', '2026-01-01')"
                ),
                {"undo": undo},
            )
        await db.upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, history FROM maps ORDER BY id")).all()
    finally:
        await db.dispose()
    assert json.loads(rows[0][1]) == {"undo": [json.loads(undo)], "redo": []}
    assert rows[1][1] is None
