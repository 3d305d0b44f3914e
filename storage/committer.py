"""Group commit: the hot path's transactions run on database threads, several per COMMIT.

A reply must not leave before its update is committed. Committing each update alone cost one
fsync, one BEGIN/COMMIT and, through the async drivers, three or four thread hops per SQL
statement: the bot managed about 60 updates a second. Here a job is a plain function of a
synchronous ORM ``Session``; the jobs waiting when a database thread becomes free run one after
the other in one transaction and share one COMMIT (if one of them fails, the batch is rolled
back and each job runs again in a transaction of its own, so a failure stays with its job). A
job's caller hears of its result only after that COMMIT, so nothing is answered, acknowledged
or sent on the strength of an uncommitted change.

Storage functions are plain synchronous functions of a ``Session``; everything on the event
loop (bot, dashboard, reminders, cli) reaches the database only through ``Database.run(job)``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

T = TypeVar("T")
Job = Callable[[Session], T]
MAX_BATCH = 32  # bounds how long the first job of a batch waits for the COMMIT
# A batch still running after this long holds a slow job (an /analisis of a very large map):
# another lane opens beside it, so every other chat is not held up behind it. Ordinary batches
# finish well within it (about 1 ms a job, 32 at most).
SPILL_AFTER = 0.25
# A batch this small in flight means the database is not what holds the updates up: a job that
# arrives meanwhile need not wait for that batch's round trips (one chat's next update behind
# its last reply's record), and a lane opens for it beside the steady ones. Beside a bigger
# batch (load) it joins the next batch instead: one lane commits more per COMMIT and spends
# less CPU than two taking turns at the interpreter (bench/SPEEDUPS.md, changes 19 and 20).
QUIET_BATCH = 2


@dataclass
class _Item:
    job: Callable[[Session], Any]
    future: asyncio.Future[Any]


class Committer:
    """Runs jobs on up to ``lanes`` database threads; each lane commits a batch at a time.

    SQLite has one writer, so it gets one lane: the process's transactions queue here, in
    order, rather than in SQLite's busy handler. PostgreSQL uses several (row locks keep one
    participant's jobs apart): ``steady`` lanes open whenever jobs wait, each taking its share
    of them, so that one lane's work goes on while another waits for the server
    (``DATABASE_THREADS``, ``storage/db.py``); the rest, up to ``lanes``, open only beside a
    batch that has run ``SPILL_AFTER`` (a slow job) or beside quiet ones (``QUIET_BATCH``), and
    close once no batch is slow or quiet.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        lanes: int,
        steady: int = 1,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.engine = engine
        self.lanes, self.steady, self.max_batch = max(lanes, steady), steady, max_batch
        self._threads = ThreadPoolExecutor(self.lanes, thread_name_prefix="jejaring-db")
        self._queue: deque[_Item] = deque()
        self._busy = 0
        self._tasks: set[asyncio.Task[None]] = set()
        # Each busy lane's batch: when it started, how many jobs it holds.
        self._running: dict[object, tuple[float, int]] = {}
        self.batches = 0  # counters for benchmarks and tests
        self.jobs = 0
        self.spilled = 0  # lanes opened beside a slow batch
        self.quiet = 0  # lanes opened beside quiet ones

    async def run(self, job: Callable[[Session], T]) -> T:
        """Run ``job`` in a transaction; return its result once that transaction committed."""
        return await self.submit(job)

    def submit(self, job: Callable[[Session], T]) -> asyncio.Future[T]:
        """Queue ``job`` now, behind every job queued before this call; its result, once its
        transaction committed, comes in the future."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.append(_Item(job, future))
        if self._busy < self.steady:
            self._open_lane()
        elif self._busy < self.lanes and self._quiet():
            self.quiet += 1
            self._open_lane()
        else:
            self._spill()
        return future

    def _open_lane(self) -> None:
        self._busy += 1
        task = asyncio.get_running_loop().create_task(self._lane())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _slow(self) -> int:
        """How many lanes' batches have run ``SPILL_AFTER`` or longer."""
        now = time.monotonic()
        return sum(now - started >= SPILL_AFTER for started, _ in self._running.values())

    def _quiet(self, between: int = 0) -> bool:
        """Whether every lane open (but ``between`` batches) is running a batch of
        ``QUIET_BATCH`` jobs or fewer."""
        running = self._running.values()
        return len(running) == self._busy - between and all(
            size <= QUIET_BATCH for _, size in running
        )

    def _spill(self) -> None:
        """Another lane for the waiting jobs, if every lane open is held by a slow batch."""
        if self._queue and self._busy < self.lanes and self._slow() >= self._busy:
            self.spilled += 1
            self._open_lane()

    async def _lane(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                if self._busy > self.steady and not self._slow() and not self._quiet(between=1):
                    break  # no slow batch now, nor only quiet ones: the steady lanes go on
                # Several steady lanes share what waits, each a batch of its own; one takes all.
                share = -(-len(self._queue) // self.steady)
                batch = [self._queue.popleft() for _ in range(min(self.max_batch, share))]
                token = object()
                self._running[token] = (time.monotonic(), len(batch))
                # Jobs may wait behind this batch with nothing arriving to notice it is slow.
                timer = loop.call_later(SPILL_AFTER, self._spill)
                try:
                    outcomes = await loop.run_in_executor(self._threads, self._run_batch, batch)
                except BaseException as exc:  # cancelled at shutdown: nobody may wait forever
                    for item in batch:
                        if not item.future.done():
                            item.future.set_exception(RuntimeError(f"database job lost: {exc!r}"))
                    raise
                finally:
                    timer.cancel()
                    del self._running[token]
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

    def _run_batch(
        self, batch: list[_Item], *, reconnected: bool = False
    ) -> list[tuple[Any, BaseException | None]]:
        """All jobs in one transaction; if one fails, each again in a transaction of its own.

        Jobs are plain functions of the database state (and of what they captured), so running
        one again after a rollback is the same as running it once. Failures are rare (an
        engine bug, a lost connection), and sparing every job a SAVEPOINT and its RELEASE
        saved a tenth of the hot path's database time. A connection found closed by a job's
        statement (the server restarted while it sat in the pool, not idle long enough to be
        pinged: ``storage.db.IDLE_PING``) committed nothing: the batch runs once more on a
        fresh connection.
        """
        try:
            with self.engine.connect() as connection, connection.begin():
                results = [_run_one(connection, item.job) for item in batch]
        except _JobFailed as failed:
            error = failed.error
            if not reconnected and isinstance(error, DBAPIError) and error.connection_invalidated:
                return self._run_batch(batch, reconnected=True)
            if len(batch) == 1:
                return [(None, failed.error)]
            return [self._run_batch([item], reconnected=reconnected)[0] for item in batch]
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
