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
import ipaddress
import os
import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, exc, inspect, make_url, text
from sqlalchemy.orm import Session

from storage.committer import Committer, T

if TYPE_CHECKING:
    from alembic.config import Config

DEFAULT_URL = "sqlite:///jejaring.sqlite3"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant will do: it only has to be the same in every worker.
_MIGRATION_LOCK = 7_342_001
# Database threads of one process on PostgreSQL, each committing its own batches of what waits
# (``DATABASE_THREADS``), and one more that opens only beside a slow batch (an /analisis of a
# very large map) so it does not hold up every other chat (``storage.committer.SPILL_AFTER``).
# A thread waiting for the server's answer does nothing else, so more threads hide the round
# trips to a database on another machine (``bench.roundtrips --participants 50
# --server-delay-ms 1``: 110, 170 and 221 updates/s with 1, 2 and 3 threads). To one on this
# machine a round trip is short, and a second thread mostly fights the first and the event loop
# for the interpreter (``bench.throughput --only postgres baseline``, four runs each,
# alternating: 1 thread 0.91-0.94x the PTB baseline's updates/s at 0.97-1.03x its CPU per
# update; 2 threads 0.93-0.98x at 1.13-1.17x, with twice the context switches per update).
# Hence the default: one thread for a database on this machine, three for one elsewhere.
THREADS_VARIABLE = "DATABASE_THREADS"
LOCAL_THREADS = 1
REMOTE_THREADS = 3
MAX_THREADS = 8


def _lanes(threads: int) -> int:
    """The steady threads and one more beside a slow batch: the threads and connections."""
    return threads + 1


def database_threads(env: Mapping[str, str] | None = None, url: str | None = None) -> int:
    """How many database threads stay open under load on PostgreSQL (``DATABASE_THREADS``,
    1 to 8; when unset, 1 for a database on this machine and 3 for one elsewhere: see
    :func:`on_this_machine`). SQLite has one writer: always one.

    >>> database_threads({"DATABASE_THREADS": "3"})
    3
    >>> database_threads({}, "postgresql://jejaring@127.0.0.1/jejaring")
    1
    >>> database_threads({}, "postgresql://jejaring@db.example.internal/jejaring")
    3
    """
    env = env if env is not None else os.environ
    raw = env.get(THREADS_VARIABLE, "").strip()
    if not raw:
        local = url is None or on_this_machine(url, env)
        return LOCAL_THREADS if local else REMOTE_THREADS
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_THREADS:
        raise ValueError(
            f"{THREADS_VARIABLE} must be a whole number from 1 to {MAX_THREADS}: {raw!r}"
        )
    return int(raw)


def on_this_machine(url: str, env: Mapping[str, str] | None = None) -> bool:
    """Whether the database ``url`` names is reached on this machine: a loopback address, a
    Unix socket, or no host at all (libpq's default socket, unless ``PGHOST`` names one).

    >>> on_this_machine("postgresql://u@localhost/d"), on_this_machine("postgresql:///d")
    (True, True)
    >>> on_this_machine("postgresql://u@[::1]:5433/d")
    True
    >>> on_this_machine("postgresql://u@/d?host=/var/run/postgresql")
    True
    >>> on_this_machine("postgresql://u@10.0.0.7/d")
    False
    >>> on_this_machine("postgresql:///d", {"PGHOST": "db"})
    False
    """
    parsed = make_url(driver_url(url))
    query_host = parsed.query.get("host")
    host = parsed.host or (query_host if isinstance(query_host, str) else None)
    if not host:
        host = (env if env is not None else os.environ).get("PGHOST", "")
    if not host or host.startswith("/") or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# A pooled PostgreSQL connection idle this long is pinged before use (a server restart, a
# failover or an idle timeout may have closed it); a busy one is not: pinging every checkout
# (``pool_pre_ping``) cost a round trip per transaction. One closed under a busy connection
# fails its batch's first statement, and the committer runs that batch again on a fresh one.
IDLE_PING = 5.0
# What operators' DATABASE_URLs may name, and the one driver each database is used through.
_DRIVERS = (
    ("postgres://", "postgresql+psycopg://"),
    ("postgresql://", "postgresql+psycopg://"),
    ("postgresql+asyncpg://", "postgresql+psycopg://"),
    ("postgresql+psycopg2://", "postgresql+psycopg://"),
    ("sqlite://", "sqlite+pysqlite://"),
    ("sqlite+aiosqlite://", "sqlite+pysqlite://"),
)


def database_url(env: dict[str, str] | None = None) -> str:
    """``DATABASE_URL`` (default: a SQLite file) with the driver storage uses for it."""
    return driver_url((env if env is not None else os.environ).get("DATABASE_URL") or DEFAULT_URL)


def driver_url(url: str) -> str:
    """The URL with its database's one driver: psycopg for PostgreSQL, pysqlite for SQLite.

    Configurations written for the async drivers this service once used keep working:

    >>> driver_url("postgresql+asyncpg://u@h/d")
    'postgresql+psycopg://u@h/d'
    >>> driver_url("sqlite+aiosqlite:///j.sqlite3")
    'sqlite+pysqlite:///j.sqlite3'
    >>> driver_url("postgresql+psycopg://u@h/d")
    'postgresql+psycopg://u@h/d'
    """
    for given, driver in _DRIVERS:
        if url.startswith(given):
            return driver + url.removeprefix(given)
    return url


class Database:
    """One engine; every unit of work is a plain function of a :class:`Session` run by
    :meth:`run` on a database thread (see :mod:`storage.committer`)."""

    def __init__(self, engine: Engine, *, threads: int = LOCAL_THREADS) -> None:
        self.engine = engine
        if engine.dialect.name == "sqlite":
            # One database thread, holding the process's write lock (BEGIN IMMEDIATE).
            self.committer = Committer(engine, lanes=1)
        else:
            self.committer = Committer(engine, lanes=_lanes(threads), steady=threads)

    @classmethod
    def connect(
        cls, url: str | None = None, *, echo: bool = False, threads: int | None = None
    ) -> Database:
        """``threads``: how many database threads stay open under load on PostgreSQL
        (default: ``DATABASE_THREADS``, else as :func:`database_threads` chooses for ``url``)."""
        url = driver_url(url) if url else database_url()
        threads = database_threads(url=url) if threads is None else threads
        options: dict[str, Any] = {"echo": echo}
        if url.startswith("sqlite"):
            if ":memory:" in url or url.rstrip("/").endswith("sqlite+pysqlite:"):
                raise ValueError("use a SQLite file: an in-memory database is not durable")
            # One database thread writes; closing from another thread at shutdown is fine.
            options["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            options.update(pool_size=_lanes(threads), max_overflow=0)
        engine = create_engine(url, **options)
        if engine.dialect.name == "sqlite":
            _sqlite_pragmas(engine)
        else:
            _ping_when_idle(engine)
        return cls(engine, threads=threads)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def run(self, job: Callable[[Session], T]) -> T:
        """Run ``job(session)`` in a group-committed transaction on a database thread; its
        result comes back only after the COMMIT. A job that raises is rolled back alone."""
        return await self.committer.run(job)

    def submit(self, job: Callable[[Session], T]) -> asyncio.Future[T]:
        """As :meth:`run`, but queued by the call itself, without a coroutine or a task to
        run first: the job's place in the queue is where the call was made."""
        return self.committer.submit(job)

    async def upgrade(self) -> None:
        """Apply every migration not yet applied (idempotent; safe from several workers).

        A database already at the newest revision (every start but the first after a release
        with a new migration) is left alone without importing alembic: imported and run, it
        stays in the process for its whole life, about 16 MB of RSS.
        """
        await asyncio.to_thread(self._upgrade)

    def _upgrade(self) -> None:
        with self.engine.begin() as conn:
            if _at_head(conn):
                return
            if self.dialect == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            _upgrade(conn)

    async def dispose(self) -> None:
        await asyncio.to_thread(self.committer.close)
        self.engine.dispose()


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


_IDLE_SINCE = "jejaring_idle_since"


def _ping_when_idle(engine: Engine) -> None:
    """``pool_pre_ping``, but only for a connection idle ``IDLE_PING`` seconds or more."""

    @event.listens_for(engine, "connect")
    def _on_connect(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()  # just opened: no need to ping it

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is not None and time.monotonic() - since < IDLE_PING:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)  # SELECT 1 in autocommit: one round trip
        except Exception as error:
            # The pool drops this connection and checks out a fresh one (up to three tries).
            raise exc.DisconnectionError(f"idle connection is gone: {error!r}") from error


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
