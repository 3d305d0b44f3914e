"""Group commit: the hot path's transactions run on database threads, several per COMMIT.

A reply must not leave before its update is committed. Committing each update alone cost one
fsync, one BEGIN/COMMIT and, through the async drivers, three or four thread hops per SQL
statement: the bot managed about 60 updates a second. Here a job is a plain function of a
synchronous ORM ``Session``; the jobs waiting when a database thread becomes free run one after
the other in one transaction and share one COMMIT (if one of them fails, the batch is rolled
back and each job runs again in a transaction of its own, so a failure stays with its job). A
job's caller hears of its result only after that COMMIT, so nothing is answered, acknowledged
or sent on the strength of an uncommitted change.

The storage functions are written once, as coroutines over ``AsyncSession`` (the dashboard and
the background workers await them on the event loop). A job runs the same coroutines on its
thread through :func:`drive`, over :class:`SessionShim`: every "await" there completes at once,
because the session underneath is synchronous.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

T = TypeVar("T")
Job = Callable[[Session], T]
MAX_BATCH = 32  # bounds how long the first job of a batch waits for the COMMIT


@dataclass
class _Item:
    job: Callable[[Session], Any]
    future: asyncio.Future[Any]


class Committer:
    """Runs jobs on ``lanes`` database threads; each lane commits a batch at a time.

    SQLite has one writer, so it gets one lane, holding ``lock`` (the write lock that the async
    transactions of this process take too) while its batch runs. PostgreSQL gets several lanes:
    row locks keep one participant's jobs apart, and the server overlaps the COMMITs.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        lanes: int,
        lock: Callable[[], AbstractAsyncContextManager[Any]] | None = None,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.engine = engine
        self.lanes, self.max_batch = lanes, max_batch
        self._lock = lock or contextlib.nullcontext
        self._threads = ThreadPoolExecutor(lanes, thread_name_prefix="jejaring-db")
        self._queue: deque[_Item] = deque()
        self._busy = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.batches = 0  # counters for benchmarks and tests
        self.jobs = 0

    async def run(self, job: Callable[[Session], T]) -> T:
        """Run ``job`` in a transaction; return its result once that transaction committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.append(_Item(job, future))
        if self._busy < self.lanes:
            self._busy += 1
            task = loop.create_task(self._lane())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _lane(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                batch = [
                    self._queue.popleft() for _ in range(min(self.max_batch, len(self._queue)))
                ]
                try:
                    async with self._lock():
                        outcomes = await loop.run_in_executor(self._threads, self._run_batch, batch)
                except BaseException as exc:  # cancelled at shutdown: nobody may wait forever
                    for item in batch:
                        if not item.future.done():
                            item.future.set_exception(RuntimeError(f"database job lost: {exc!r}"))
                    raise
                self.batches += 1
                self.jobs += len(batch)
                for item, (result, error) in zip(batch, outcomes, strict=True):
                    if item.future.cancelled():
                        continue
                    if error is not None:
                        item.future.set_exception(error)
                    else:
                        item.future.set_result(result)
        finally:
            self._busy -= 1

    def _run_batch(self, batch: list[_Item]) -> list[tuple[Any, BaseException | None]]:
        """All jobs in one transaction; if one fails, each again in a transaction of its own.

        Jobs are plain functions of the database state (and of what they captured), so running
        one again after a rollback is the same as running it once. Failures are rare (an
        engine bug, a lost connection), and sparing every job a SAVEPOINT and its RELEASE
        saved a tenth of the hot path's database time.
        """
        try:
            with self.engine.connect() as connection, connection.begin():
                results = [_run_one(connection, item.job) for item in batch]
        except _JobFailed as failed:
            if len(batch) == 1:
                return [(None, failed.error)]
            return [self._run_batch([item])[0] for item in batch]
        except Exception as exc:  # BEGIN or COMMIT failed: nothing of this batch is stored
            return [(None, exc)] * len(batch)
        return [(result, None) for result in results]

    def close(self) -> None:
        self._threads.shutdown(wait=True)


class _JobFailed(Exception):
    """A job raised ``error``: its transaction must not commit."""

    def __init__(self, error: Exception) -> None:
        super().__init__(repr(error))
        self.error = error


def _run_one(connection: Any, job: Callable[[Session], Any]) -> Any:
    # The session joins the batch's transaction and never ends it: a failing job makes the
    # caller roll the whole transaction back.
    session = Session(
        bind=connection, join_transaction_mode="rollback_only", expire_on_commit=False
    )
    try:
        result = job(session)
        session.flush()
        return result
    except Exception as exc:
        raise _JobFailed(exc) from exc
    finally:
        session.close()


class SessionShim:
    """The part of ``AsyncSession`` our storage code awaits, over a synchronous ``Session``."""

    def __init__(self, session: Session) -> None:
        self.sync_session = session

    def add(self, instance: object) -> None:
        self.sync_session.add(instance)

    def add_all(self, instances: Any) -> None:
        self.sync_session.add_all(instances)

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync_session.get_bind(*args, **kwargs)

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync_session.execute(*args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync_session.scalar(*args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync_session.get(*args, **kwargs)

    async def flush(self, *args: Any, **kwargs: Any) -> None:
        self.sync_session.flush(*args, **kwargs)

    async def delete(self, instance: object) -> None:
        self.sync_session.delete(instance)


def as_async(session: Session) -> AsyncSession:
    """``session`` where storage code expects an ``AsyncSession`` (see :class:`SessionShim`)."""
    return cast(AsyncSession, SessionShim(session))


def drive(coroutine: Coroutine[Any, Any, T] | Awaitable[T]) -> T:
    """Run a storage coroutine over a :class:`SessionShim` to its end, synchronously.

    Nothing it awaits ever suspends; if something does (real I/O slipped into storage code),
    that is a bug, reported loudly rather than blocking a database thread.
    """
    coro = cast(Coroutine[Any, Any, T], coroutine)
    try:
        coro.send(None)
    except StopIteration as stop:
        return cast(T, stop.value)
    coro.close()
    raise RuntimeError("storage code awaited real I/O inside a database job")
