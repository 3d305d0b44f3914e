"""Shared fixtures: databases (SQLite and a real PostgreSQL), clocks, conversations."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine
from sqlalchemy import text as sql

from storage.db import Database, driver_url
from storage.models import Base

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
