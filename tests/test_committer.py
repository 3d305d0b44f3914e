"""Group commit and the delivery hand-off, against real databases (SQLite file, PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.conversations import Identity, handle_event
from coaching.model import Event
from storage.committer import Committer
from storage.db import Database
from storage.models import OutboxMessage, ProcessedUpdate
from storage.outbox import Deliverer
from storage.outbox_leases import release_orphans
from storage.outbox_queue import handoff_name
from tests.support import NOW, transaction
from tests.test_storage import Recorder, fast

SARI = Identity("tg:1001", "telegram", 1001, "id")


def mark(update_id: int) -> Any:
    def job(session: Session) -> int:
        session.add(ProcessedUpdate(update_id=update_id, participant_id=None, processed_at=NOW))
        session.flush()
        return update_id

    return job


async def stored(db: Database) -> list[int]:
    with transaction(db) as session:
        rows = session.execute(select(ProcessedUpdate.update_id).order_by("update_id"))
        return list(rows.scalars())


async def test_jobs_waiting_together_share_one_commit(db: Database) -> None:
    before = db.committer.batches
    results = await asyncio.gather(*(db.committer.run(mark(n)) for n in range(1, 41)))
    assert results == list(range(1, 41))
    assert await stored(db) == list(range(1, 41))
    # 40 jobs queued at once: far fewer transactions than jobs (at most 32 per batch).
    assert db.committer.batches - before < 40


async def test_a_failing_job_rolls_back_alone(db: Database) -> None:
    def fails(session: Session) -> None:
        session.add(ProcessedUpdate(update_id=99, participant_id=None, processed_at=NOW))
        session.flush()
        raise ValueError("boom")

    outcomes = await asyncio.gather(
        db.committer.run(mark(1)),
        db.committer.run(fails),
        db.committer.run(mark(2)),
        return_exceptions=True,
    )
    assert outcomes[0] == 1 and outcomes[2] == 2
    assert isinstance(outcomes[1], ValueError)
    assert await stored(db) == [1, 2]  # 99 was rolled back with its job only


async def test_a_failed_commit_fails_every_job_of_its_batch(db: Database) -> None:
    # A job that leaves the connection unusable: the batch's COMMIT fails, for every job in it.
    def breaks_connection(session: Session) -> None:
        session.connection().invalidate()  # the COMMIT cannot happen on this connection now

    # One lane, so that both jobs are one batch (PostgreSQL's two would each take one).
    committer = Committer(db.engine, lanes=1)
    try:
        outcomes = await asyncio.gather(
            committer.run(mark(1)), committer.run(breaks_connection), return_exceptions=True
        )
        assert all(isinstance(o, Exception) for o in outcomes), outcomes
        assert await stored(db) == []  # nothing of that batch is stored
        assert await committer.run(mark(3)) == 3  # and the committer goes on
        assert await stored(db) == [3]
    finally:
        committer.close()


async def test_storage_functions_run_on_a_database_thread(db: Database) -> None:
    def count(session: Session) -> int:
        return int(session.execute(select(func.count()).select_from(ProcessedUpdate)).scalar())

    await db.committer.run(mark(7))
    assert await db.run(count) == 1


async def test_the_first_reply_is_handed_to_its_deliverer_and_sent_once(db: Database) -> None:
    recorder = Recorder()
    mine = Deliverer(db, recorder, worker="hostA:1", pacer=fast(), clock=lambda: NOW)
    other = Deliverer(db, Recorder(), worker="hostA:2", pacer=fast(), clock=lambda: NOW)
    handled = await handle_event(
        db, SARI, Event.of_text("/start"), update_id=1, now=NOW, claim_as=mine.worker
    )
    assert handled.claimed is not None and handled.claimed.id == handled.outbox_ids[0]
    rows = await messages(db)
    assert rows[0].claimed_by == handoff_name("hostA:1")
    # Nobody else takes a handed-off message while its lease lives, this worker's sweep neither.
    assert await other.flush(SARI.chat_id) == 0
    mine.kick(SARI.chat_id, handled.claimed)
    await mine.idle()
    assert [text[:9] for _, text in recorder.sent] == ["Selamat d"]
    assert await mine.sweep() == 0  # not sent twice
    assert (await messages(db))[0].sent_at is not None


async def test_a_reply_queued_behind_an_unsent_one_is_not_handed_off(db: Database) -> None:
    first = await handle_event(db, SARI, Event.of_text("/start"), update_id=1, now=NOW)
    assert first.claimed is None  # no claim asked for: waits for the drainer
    second = await handle_event(
        db, SARI, Event.of_text("/bantuan"), update_id=2, now=NOW, claim_as="hostA:1"
    )
    assert second.claimed is None  # the first is still unsent: order before speed
    recorder = Recorder()
    await Deliverer(db, recorder, worker="hostA:1", pacer=fast()).flush(SARI.chat_id)
    assert len(recorder.sent) == 2 and recorder.sent[0][1].startswith("Selamat d")


async def test_a_dead_workers_hand_off_is_released_on_restart(db: Database) -> None:
    handled = await handle_event(
        db, SARI, Event.of_text("/start"), update_id=1, now=NOW, claim_as="hostA:111"
    )
    assert handled.claimed is not None  # ...and the process died before sending it
    assert await release_orphans(db, "hostA", alive=lambda pid: pid != 111) == 1
    recorder = Recorder()
    later = Deliverer(db, recorder, worker="hostA:112", pacer=fast(), clock=lambda: NOW)
    assert await later.flush(SARI.chat_id) == 1


async def test_an_unused_hand_off_expires_with_its_lease(db: Database) -> None:
    await handle_event(db, SARI, Event.of_text("/start"), update_id=1, now=NOW, claim_as="hostB:5")
    late = NOW + timedelta(minutes=1)
    recorder = Recorder()
    assert await Deliverer(db, recorder, worker="hostA:1", clock=lambda: late).flush(1001) == 1


async def messages(db: Database) -> list[OutboxMessage]:
    with transaction(db) as session:
        return list((session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())
