"""PostgreSQL's database lanes (one under ordinary load, a second only beside a slow batch),
and the lock that one update's first statement takes."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from storage import participants
from storage.db import POSTGRES_LANES, Database
from storage.participants import Identity
from tests.support import NOW

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

    async def running(self, db: Database) -> asyncio.Task[int]:
        held = asyncio.create_task(db.run(self.job))
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


async def test_ordinary_jobs_run_on_one_lane(pg: Database) -> None:
    overlap = Overlap()
    for _ in range(5):  # rounds of many jobs queued at once: the load a busy bot puts here
        assert await asyncio.gather(*(pg.run(overlap.job) for _ in range(100))) == [1] * 100
    assert overlap.most == 1
    assert pg.committer.spilled == 0


async def test_a_slow_job_does_not_hold_up_the_others(pg: Database) -> None:
    assert POSTGRES_LANES >= 2
    slow = Slow()
    held = await slow.running(pg)
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


async def test_a_slow_job_with_nothing_arriving_after_it_still_lets_the_waiting_run(
    pg: Database,
) -> None:
    slow = Slow()
    held = await slow.running(pg)
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
    await pg.run(lambda session: participants.lock(session, who, NOW, "id"))
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
        arrival = participants.arrive(session, who, 555, NOW, "id")
        assert arrival.participant is not None
        return arrival.participant.state, arrival.participant.seq, arrival.first_time

    waiting = asyncio.create_task(pg.run(arriving))
    blocked = sql("SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'")
    with other.connect() as watcher:  # the update waits on the holder's lock: the event
        while not watcher.execute(blocked).scalar_one():
            await asyncio.to_thread(lambda: None)
    holder.commit()
    holder.close()
    other.dispose()
    assert await waiting == ("menu.home", 41, True)
    # The same update again: marked already, so it is a repeat.
    again = await pg.run(lambda session: participants.arrive(session, who, 555, NOW, "id"))
    assert again.first_time is False
