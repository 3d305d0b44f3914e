"""PostgreSQL's database lanes (one under ordinary load, a second only beside a slow batch),
and the lock that one update's first statement takes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import create_engine, make_url
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from storage import arrivals
from storage.arrivals import Identity
from storage.committer import QUIET_BATCH
from storage.db import Database, database_threads, on_this_machine
from tests.support import NOW, until_a_lock_is_waited_for

pytestmark = pytest.mark.postgres


def select_one(session: Session) -> int:
    return int(session.execute(sql("SELECT 1")).scalar_one())


class Slow:
    """A job that holds its lane (an /analisis of a very large map) until released."""

    def __init__(self) -> None:
        self.started, self.release = threading.Event(), threading.Event()

    def job(self, session: Session) -> int:
        self.started.set()
        assert self.release.wait(timeout=60), "the other jobs never ran beside the slow one"
        return select_one(session)

    async def running(self, db: Database, company: int = 0) -> asyncio.Task[int]:
        """The slow job on its lane, in one batch with ``company`` quick jobs queued with it
        (a batch of more than ``QUIET_BATCH`` is not quiet: nothing opens a lane beside it
        but its being slow)."""
        held = asyncio.create_task(db.run(self.job))
        for _ in range(company):
            asyncio.create_task(db.run(select_one))  # noqa: RUF006 (the batch awaits them)
        assert await asyncio.to_thread(self.started.wait, 60)
        return held


class Overlap:
    """The most jobs seen running at the same time."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self._lock = threading.Lock()

    def job(self, session: Session) -> int:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            return select_one(session)
        finally:
            with self._lock:
                self.now -= 1


@pytest.fixture
async def one_lane(postgres_url: str) -> AsyncIterator[Database]:
    """``DATABASE_THREADS=1``: one steady lane, a second only beside a slow batch."""
    database = Database.connect(postgres_url, threads=1)
    yield database
    await database.dispose()


async def test_ordinary_jobs_run_on_one_lane(one_lane: Database) -> None:
    pg = one_lane
    overlap = Overlap()
    for _ in range(5):  # rounds of many jobs queued at once: the load a busy bot puts here
        assert await asyncio.gather(*(pg.run(overlap.job) for _ in range(100))) == [1] * 100
    assert overlap.most == 1
    assert pg.committer.spilled == 0


async def test_a_slow_job_does_not_hold_up_the_others(one_lane: Database) -> None:
    pg = one_lane
    assert pg.committer.lanes == 2 and pg.engine.pool.size() == 2  # type: ignore[attr-defined]
    slow = Slow()
    held = await slow.running(pg, company=QUIET_BATCH)
    # Queued behind the slow batch: answered all the same, on a second lane.
    quick = await asyncio.gather(*(pg.run(select_one) for _ in range(10)))
    assert quick == [1] * 10
    assert pg.committer.spilled == 1
    slow.release.set()
    assert await held == 1
    # The slow batch is over: the next jobs are back on one lane, and the extra one closed.
    overlap = Overlap()
    await asyncio.gather(*(pg.run(overlap.job) for _ in range(50)))
    assert overlap.most == 1
    assert pg.committer.spilled == 1


async def test_a_job_arriving_beside_a_quiet_batch_does_not_wait_for_it(
    one_lane: Database,
) -> None:
    """One chat's next update arriving while its last reply's record is committed (a batch of
    one): a lane opens for it at once, not after ``SPILL_AFTER``; under load (a big batch in
    flight) jobs wait for the next batch instead (``test_ordinary_jobs_run_on_one_lane``)."""
    pg = one_lane
    slow = Slow()  # a batch of one in flight, held until the job beside it has run
    held = await slow.running(pg)
    assert await pg.run(select_one) == 1  # answered while the batch of one still runs
    assert pg.committer.quiet == 1 and pg.committer.spilled == 0
    slow.release.set()
    assert await held == 1
    overlap = Overlap()  # the quiet lane closed with it: load is back on one lane
    await asyncio.gather(*(pg.run(overlap.job) for _ in range(50)))
    assert overlap.most == 1 and pg.committer.quiet == 1


async def test_a_slow_job_with_nothing_arriving_after_it_still_lets_the_waiting_run(
    one_lane: Database,
) -> None:
    pg = one_lane
    slow = Slow()
    held = await slow.running(pg, company=QUIET_BATCH)
    # Queued while the slow batch is young: only the lane's own timer can notice it is slow.
    assert await pg.run(select_one) == 1
    slow.release.set()
    assert await held == 1


async def test_an_update_that_waited_for_the_lock_sees_the_row_as_the_holder_left_it(
    pg: Database,
) -> None:
    """The lock and the update's mark are one statement: after waiting for another
    transaction's lock it must read the participant as that one committed it."""
    who = Identity("tg:7001", "telegram", 7001, "id")
    await pg.run(lambda session: arrivals.lock(session, who, NOW, "id"))
    # Connections of their own: the database's pool is its lanes'.
    other = create_engine(pg.engine.url)
    holder = other.connect()
    holder.begin()
    holder.execute(
        sql("SELECT id FROM participants WHERE external_id = :e FOR UPDATE"), {"e": who.external_id}
    )
    holder.execute(
        sql("UPDATE participants SET state = 'menu.home', seq = 41 WHERE external_id = :e"),
        {"e": who.external_id},
    )

    def arriving(session: Session) -> tuple[str, int, bool]:
        arrival = arrivals.arrive(session, who, 555, NOW, "id")
        assert arrival.participant is not None
        return arrival.participant.state, arrival.participant.seq, arrival.first_time

    waiting = asyncio.create_task(pg.run(arriving))
    await until_a_lock_is_waited_for(other)  # on the holder's lock
    holder.commit()
    holder.close()
    other.dispose()
    assert await waiting == ("menu.home", 41, True)
    # The same update again: marked already, so it is a repeat.
    again = await pg.run(lambda session: arrivals.arrive(session, who, 555, NOW, "id"))
    assert again.first_time is False


class Meeting:
    """Jobs that each wait until ``size`` of them run at once (or give up after a minute)."""

    def __init__(self, size: int) -> None:
        self.barrier = threading.Barrier(size, timeout=60)

    def job(self, session: Session) -> int:
        self.barrier.wait()  # BrokenBarrierError if the others never run beside it
        return select_one(session)


async def test_configured_threads_stay_open_under_ordinary_load(postgres_url: str) -> None:
    """``DATABASE_THREADS=3`` (a database on another machine): three jobs run side by side
    with no slow batch among them, and no lane counts as spilled; the pool has room for a
    fourth beside a slow batch."""
    db = Database.connect(postgres_url, threads=3)
    try:
        meeting = Meeting(3)
        assert await asyncio.gather(*(db.run(meeting.job) for _ in range(3))) == [1] * 3
        assert db.committer.spilled == 0
        assert db.committer.lanes == 4 and db.engine.pool.size() == 4  # type: ignore[attr-defined]
        overlap = Overlap()
        assert await asyncio.gather(*(db.run(overlap.job) for _ in range(60))) == [1] * 60
        assert overlap.most <= 3
    finally:
        await db.dispose()


def test_database_threads_are_read_from_the_environment_and_checked() -> None:
    assert database_threads({"DATABASE_THREADS": " 4 "}) == 4
    assert database_threads({"DATABASE_THREADS": "2"}, "postgresql://u@10.0.0.7/d") == 2
    for wrong in ("0", "9", "two", "-1", "1.5"):
        with pytest.raises(ValueError, match="DATABASE_THREADS"):
            database_threads({"DATABASE_THREADS": wrong})


@pytest.mark.parametrize(
    ("url", "env", "threads"),
    [
        ("postgresql://jejaring@127.0.0.1/jejaring", {}, 1),
        ("postgres://jejaring@localhost:5433/jejaring", {}, 1),
        ("postgresql+asyncpg://jejaring@127.0.0.2/jejaring", {}, 1),  # all of 127/8 is loopback
        ("postgresql:///jejaring", {}, 1),  # libpq's Unix socket
        ("postgresql://jejaring@/jejaring?host=/run/postgresql", {}, 1),
        ("postgresql:///jejaring", {"PGHOST": "db.internal"}, 3),
        ("postgresql://jejaring@db.internal/jejaring", {}, 3),
        ("postgresql://jejaring@192.168.1.20/jejaring", {}, 3),
    ],
)
def test_the_default_threads_follow_where_the_database_is(
    url: str, env: dict[str, str], threads: int
) -> None:
    """One thread for a database on this machine (a second fights the first for the
    interpreter), three for one elsewhere (they hide each other's round trips)."""
    assert on_this_machine(url, env) == (threads == 1)
    assert database_threads(env, url) == threads


async def test_a_database_on_this_machine_gets_one_lane_by_default(pg: Database) -> None:
    """With no ``DATABASE_THREADS`` and the tests' PostgreSQL on 127.0.0.1: one lane under
    ordinary load (a second only beside a slow batch), and room in the pool for that one."""
    assert pg.committer.steady == 1 and pg.committer.lanes == 2
    overlap = Overlap()
    assert await asyncio.gather(*(pg.run(overlap.job) for _ in range(100))) == [1] * 100
    assert overlap.most == 1 and pg.committer.spilled == 0


async def test_a_database_elsewhere_gets_three_lanes_that_share_what_waits(
    postgres_url: str,
) -> None:
    """The default for a database on another machine, as ``Database.connect`` would choose it
    (the tests' server is local: its URL's host is swapped for the choice alone): three lanes,
    each a batch of what waits (one lane alone would take every job and they would never meet)."""
    elsewhere = make_url(postgres_url).set(host="db.internal")
    threads = database_threads({}, elsewhere.render_as_string(hide_password=False))
    assert threads == 3
    db = Database.connect(postgres_url, threads=threads)
    try:
        meeting = Meeting(3)
        assert await asyncio.gather(*(db.run(meeting.job) for _ in range(3))) == [1] * 3
        overlap = Overlap()
        assert await asyncio.gather(*(db.run(overlap.job) for _ in range(100))) == [1] * 100
        assert overlap.most <= 3 and db.committer.spilled == 0
    finally:
        await db.dispose()
