"""Shared fixtures: databases (SQLite and a real PostgreSQL), clocks, conversations."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, event
from sqlalchemy import text as sql
from sqlalchemy.engine import Connection, Engine

from storage.db import Database, driver_url
from storage.models import Base
from tools.seeding import ARRANGED

# PTB 22 warns on RetryAfter unless opted in to timedelta values; warnings are errors here.
os.environ.setdefault("PTB_TIMEDELTA", "true")

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_ADMIN = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/test"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"

# In CI the property tests draw the same examples every run (a submission lands or not on its
# code, not on what one run happened to draw); local runs keep drawing new ones and keep the
# failures they find in .hypothesis/ to replay.
settings.register_profile("ci", derandomize=True, database=None)
if IN_CI:
    settings.load_profile("ci")


def postgres_reachable() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


def require_postgres() -> None:
    if postgres_reachable():
        return
    if IN_CI:
        pytest.fail("PostgreSQL at 127.0.0.1:5432 is required in CI (CI=true)")
    pytest.skip("PostgreSQL at 127.0.0.1:5432 is not running")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database for this test session, migrated once, dropped at the end."""
    require_postgres()
    name = f"jejaring_test_{uuid.uuid4().hex[:10]}"

    def admin(statement: str) -> None:
        engine = create_engine(driver_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sql(statement))
        engine.dispose()

    admin(f'CREATE DATABASE "{name}"')
    url = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{name}"

    async def migrate() -> None:
        db = Database.connect(url)
        await db.upgrade()
        await db.dispose()

    asyncio.run(migrate())
    yield url
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def pg(postgres_url: str) -> AsyncIterator[Database]:
    """The session's PostgreSQL database as it is (not emptied), for tests of PostgreSQL alone."""
    database = Database.connect(postgres_url)
    yield database
    await database.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'jejaring.sqlite3'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """An empty, migrated database's URL (PostgreSQL: the session's database, truncated)."""
    if request.param == "postgres":
        url = str(request.getfixturevalue("postgres_url"))

        async def empty() -> None:
            database = Database.connect(url)
            _truncate(database)
            await database.dispose()

        asyncio.run(empty())
        return url
    return sqlite_url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated, empty database: SQLite file, then the same test on PostgreSQL."""
    database = Database.connect(database_url)
    if database.dialect == "sqlite":
        await database.upgrade()
    yield database
    await database.dispose()


# ``storage/arrivals.py`` reads a participant's own rows with their lock, from the snapshot taken
# before it, and trusts them when the row the lock got is the row that snapshot saw. That holds
# only if whoever changes those rows writes the participant's row in the same transaction: every
# test checks it, on every transaction the tests run in this process.
_OWN_ROWS_WRITTEN = re.compile(
    r"\b(?:INSERT INTO|DELETE FROM) (?:answers|progress|maps|planned_ties|actors|ties)\b"
    # an answer's text or key, an item done (not, say, a coach's ``reviewed_at``)
    r"|\bUPDATE (?:answers|progress) SET (?:(?!\bWHERE\b).)*?"
    r"\b(?:text|exercise_key|item_key|participant_id)\s*=",
    re.DOTALL,
)
_ROW_WRITTEN = re.compile(r"\b(?:INSERT INTO|UPDATE|DELETE FROM) participants\b")
_UNGUARDED: list[str] = []


def _watch(conn: Connection, cursor: object, statement: str, *args: object) -> None:
    if _OWN_ROWS_WRITTEN.search(statement):
        conn.info.setdefault("own_rows_written", statement)
    if _ROW_WRITTEN.search(statement):
        conn.info["participant_written"] = True


def _forget(conn: Connection) -> None:
    if conn.invalidated:  # its ``info`` would reconnect it (and refuse: still in a transaction)
        return
    for key in ("own_rows_written", "participant_written", ARRANGED):
        conn.info.pop(key, None)


def _check(conn: Connection) -> None:
    written = conn.info.pop("own_rows_written", None)
    if written is not None and not conn.info.get("participant_written", conn.info.get(ARRANGED)):
        _UNGUARDED.append(" ".join(written.split())[:200])
    _forget(conn)


event.listen(Engine, "before_cursor_execute", _watch)
event.listen(Engine, "begin", _forget)
event.listen(Engine, "rollback", _forget)
event.listen(Engine, "commit", _check)


@pytest.fixture(autouse=True)
def own_rows_change_with_their_participant() -> Iterator[None]:
    """No transaction committed a change to a participant's own rows without writing their
    row (``_OWN_ROWS_WRITTEN``): the lock's read of them would not see that it is stale."""
    _UNGUARDED.clear()
    yield
    found, _UNGUARDED[:] = list(_UNGUARDED), []
    assert not found, f"own rows changed without their participant's row: {found}"
