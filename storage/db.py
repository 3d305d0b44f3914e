"""The one place that owns the database engine: URL, dialect quirks, sessions, migrations.

SQLite (default) runs in WAL mode with ``BEGIN IMMEDIATE`` so every transaction takes the
write lock up front: one writer at a time, no upgrade deadlocks. PostgreSQL serialises one
participant's updates with a row lock (``SELECT ... FOR UPDATE``) so several webhook workers
can share it.
"""

from __future__ import annotations

import ast
import asyncio
import functools
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.committer import Committer, T, as_async, drive

if TYPE_CHECKING:
    from alembic.config import Config

DEFAULT_URL = "sqlite+aiosqlite:///jejaring.sqlite3"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant will do: it only has to be the same in every worker.
_MIGRATION_LOCK = 7_342_001
# Database threads of one process on PostgreSQL, each committing its own batches. More threads
# only fight over the GIL (measured: 1 lane 102 updates/s, 2 lanes 97, 4 lanes 86); two keep
# a slow job (an /analisis of a very large map) from holding up every other chat.
POSTGRES_LANES = 2


def database_url(env: dict[str, str] | None = None) -> str:
    """``DATABASE_URL`` with its driver made async (``postgresql://`` → asyncpg)."""
    return async_driver((env if env is not None else os.environ).get("DATABASE_URL") or DEFAULT_URL)


def async_driver(url: str) -> str:
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgresql+psycopg://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url.removeprefix(plain)
    return url


def sync_driver(url: str) -> str:
    """The same database through a synchronous driver (the hot path's database threads)."""
    for driver, plain in (
        ("sqlite+aiosqlite://", "sqlite+pysqlite://"),
        ("postgresql+asyncpg://", "postgresql+psycopg://"),
    ):
        if url.startswith(driver):
            return plain + url.removeprefix(driver)
    return url


class Database:
    def __init__(self, engine: AsyncEngine, sync_engine: Engine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._writer: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self.sync_engine = sync_engine
        sqlite = self.sync_engine.dialect.name == "sqlite"
        self.committer = Committer(
            self.sync_engine,
            lanes=1 if sqlite else POSTGRES_LANES,
            lock=self._write_lock if sqlite else None,
        )

    @classmethod
    def connect(cls, url: str | None = None, *, echo: bool = False) -> Database:
        url = async_driver(url) if url else database_url()
        options: dict[str, Any] = {"echo": echo}
        if url.startswith("sqlite"):
            if ":memory:" in url or url.rstrip("/").endswith("sqlite+aiosqlite:"):
                raise ValueError("use a SQLite file: an in-memory database is not durable")
            options["connect_args"] = {"timeout": 30}
        else:
            options.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        engine = create_async_engine(url, **options)
        sync_options = dict(options)
        if engine.dialect.name == "sqlite":
            # One database thread writes; closing from another thread at shutdown is fine.
            sync_options["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            sync_options.update(pool_size=POSTGRES_LANES, max_overflow=0)
        sync_engine = create_engine(sync_driver(url), **sync_options)
        if engine.dialect.name == "sqlite":
            _sqlite_pragmas(engine.sync_engine)
            _sqlite_pragmas(sync_engine)
        return cls(engine, sync_engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits on success, rolls back on any exception.

        On SQLite the transactions of one process queue for the write lock here, in order,
        instead of in SQLite's busy handler (which sleeps up to 100 ms between attempts and
        made delivery under load wait longer than the work itself). Nothing changes for what
        is committed or when: ``BEGIN IMMEDIATE`` already allowed one writer at a time.
        """
        if self.dialect != "sqlite":
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self._write_lock(), self.sessions() as session, session.begin():
            yield session

    async def run(self, job: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run a storage coroutine function in a group-committed transaction, on a database
        thread; its result comes back only after the COMMIT (see :mod:`storage.committer`)."""
        return await self.committer.run(lambda session: drive(job(as_async(session))))

    def _write_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._writer is None or self._writer[0] is not loop:
            self._writer = (loop, asyncio.Lock())
        return self._writer[1]

    async def upgrade(self) -> None:
        """Apply every migration not yet applied (idempotent; safe from several workers).

        A database already at the newest revision (every start but the first after a release
        with a new migration) is left alone without importing alembic: imported and run, it
        stays in the process for its whole life, about 16 MB of RSS.
        """
        async with self.engine.begin() as conn:
            if await conn.run_sync(_at_head):
                return
            if self.dialect == "postgresql":
                await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            await conn.run_sync(_upgrade)

    async def dispose(self) -> None:
        await asyncio.to_thread(self.committer.close)
        self.sync_engine.dispose()
        await self.engine.dispose()


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+)$", re.M)


@functools.cache
def head_revision() -> str | None:
    """The newest migration's revision id, read from the files without alembic (``None``
    unless the history has exactly one head: then alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_ASSIGNMENT.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found:  # __init__.py
            continue
        try:
            revision = ast.literal_eval(found["revision"])
            parent = ast.literal_eval(found.get("down_revision", "None"))
        except (ValueError, SyntaxError):
            return None
        revisions.add(str(revision))
        parents.update([parent] if isinstance(parent, str) else parent or ())
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _at_head(connection: Connection) -> bool:
    head = head_revision()
    if head is None or not inspect(connection).has_table("alembic_version"):
        return False
    versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    return list(versions) == [head]


def _upgrade(connection: Connection) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (the driver's implicit BEGIN is DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # a committed reply survives power loss
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


async def upgrade_url(url: str | None = None) -> None:
    db = Database.connect(url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()


def run_upgrade(url: str | None = None) -> None:
    asyncio.run(upgrade_url(url))
