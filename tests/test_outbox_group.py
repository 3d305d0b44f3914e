"""Many chats' sends recorded in one statement with each chat's next claim
(``storage/outbox_group.py``, PostgreSQL)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from storage import outbox_group
from storage.db import Database
from storage.models import OutboxMessage
from storage.outbox import Deliverer
from storage.outbox_group import RecordGroup, Sent, record_sent
from storage.outbox_queue import Pending, enqueue
from tests.support import NOW, transaction
from tests.test_committer_lanes import Slow
from tests.test_hot_path import statements
from tests.test_outbox_lazy import summary
from tests.test_storage import Recorder, fast, outbox

pytestmark = pytest.mark.postgres

# The session's database is shared and not emptied: chats of their own for each test.
_CHATS = itertools.count(7_700_000_000)


def chats(n: int) -> list[int]:
    return [next(_CHATS) for _ in range(n)]


def queue(db: Database, chat: int, *payloads: dict[str, Any], as_: str | None = None) -> Any:
    with transaction(db) as session:
        return enqueue(session, None, "telegram", chat, list(payloads), NOW, claim_as=as_)


async def sent_and_free(db: Database, ids: set[int]) -> bool:
    rows = [m for m in await outbox(db) if m.id in ids]
    return len(rows) == len(ids) and all(
        m.sent_at is not None and m.claimed_by is None for m in rows
    )


async def queued(db: Database, jobs: int) -> None:
    """Return once ``jobs`` jobs wait for the database's lane (the event loop runs them there)."""
    while len(db.committer._queue) < jobs:
        await asyncio.to_thread(lambda: None)


def group_writes(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith("WITH recorded") and "unnest" in s]


async def test_three_chats_replies_are_recorded_in_one_statement_per_round(pg: Database) -> None:
    mine = chats(3)
    firsts: list[Pending] = []
    for chat in mine:
        _, first = queue(pg, chat, {"text": f"{chat} one"}, as_="w")
        queue(pg, chat, {"text": f"{chat} two"})  # the chat's next message, a later update's
        assert first is not None
        firsts.append(first)
    recorder = Recorder()
    deliverer = Deliverer(pg, recorder, worker="w", clock=lambda: NOW, pacer=fast())
    assert deliverer.group is not None
    with statements(pg) as seen:
        for chat, first in zip(mine, firsts, strict=True):
            deliverer.kick(chat, first)
        await deliverer.idle()
    for chat in mine:
        assert [t for c, t in recorder.sent if c == chat] == [f"{chat} one", f"{chat} two"]
    rows = [m for m in await outbox(pg) if m.chat_id in mine]
    assert len(rows) == 6 and all(m.sent_at == NOW and m.claimed_by is None for m in rows)
    # Two rounds (each chat's first, then its second), each one statement for the three:
    # before, one statement per record.
    assert deliverer.group.records == 6
    assert deliverer.group.statements == 2
    assert len(group_writes(seen)) == 2, seen


async def test_each_chats_next_is_claimed_as_a_claim_of_its_own_would(pg: Database) -> None:
    plain, lazy_first, held, drained = chats(4)
    sends = []
    for chat in (plain, lazy_first, held, drained):
        ids, _ = queue(pg, chat, {"text": "sent"})
        sends.append(Sent(chat, ids, NOW))
    (plain_next,), _ = queue(pg, plain, {"text": "next"})
    # A summary queued before a message still goes after it.
    queue(pg, lazy_first, summary("1 ✓", 70))
    (other_first,), _ = queue(pg, lazy_first, {"text": "other"})
    # Another worker's live lease on the chat's next message: not taken from it.
    (held_next,), _ = queue(pg, held, {"text": "held"})
    with transaction(pg) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == held_next)
            .values(claimed_by="x", claimed_until=NOW + timedelta(seconds=5))
        )

    with transaction(pg) as session:
        claimed_by_chat = record_sent(session, sends, channel="telegram", worker="w")

    assert claimed_by_chat.keys() == {plain, lazy_first}
    assert claimed_by_chat[plain].id == plain_next
    assert claimed_by_chat[plain].attempts == 1
    assert claimed_by_chat[lazy_first].id == other_first
    assert await sent_and_free(pg, {row for send in sends for row in send.rows})
    by_id = {m.id: m for m in await outbox(pg)}
    assert by_id[held_next].claimed_by == "x"
    assert by_id[plain_next].claimed_by == "w"
    assert by_id[plain_next].claimed_until == NOW + timedelta(seconds=30)


async def test_a_group_whose_batch_rolls_back_is_written_again_alone(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job of the same batch fails: the batch is rolled back and each job runs alone. The
    group's job then writes what it took the first time, not an empty group."""
    written: list[int] = []

    def counted(session: Session, sends: Any, **names: str) -> dict[int, Pending]:
        written.append(len(sends))
        return record_sent(session, sends, **names)

    monkeypatch.setattr(outbox_group, "record_sent", counted)
    one_lane = Database.connect(postgres_url, threads=1)
    try:
        first, second = chats(2)
        sends = []
        for chat in (first, second):
            sends.append(Sent(chat, queue(one_lane, chat, {"text": "sent"})[0], NOW))
            queue(one_lane, chat, {"text": "next"})
        slow = Slow()
        held = await slow.running(one_lane, company=3)  # the lane is busy: the rest gather

        def fails(session: Session) -> None:
            raise RuntimeError("this job fails")

        group = RecordGroup(one_lane, channel="telegram", worker="w")
        # The group's job first, then the failing one, both waiting behind the slow batch:
        # one batch, where the group's job runs, is rolled back, and runs again alone.
        recorded = [asyncio.create_task(group.record(send)) for send in sends]
        await queued(one_lane, 1)
        failing = asyncio.create_task(one_lane.run(fails))
        await queued(one_lane, 2)
        slow.release.set()
        await held
        with pytest.raises(RuntimeError, match="this job fails"):
            await failing
        claims = await asyncio.gather(*recorded)
        assert group.statements == 1 and group.records == 2
        # Twice (in the batch, then alone) unless the slow batch outlasted ``SPILL_AFTER`` on a
        # loaded machine and the group's job ran beside it: both sends every time.
        assert written in ([2, 2], [2])
        assert await sent_and_free(one_lane, {row for send in sends for row in send.rows})
        assert [c.chat_id if c else None for c in claims] == [first, second]
    finally:
        await one_lane.dispose()


async def test_a_record_alone_goes_with_its_chats_own_statement(pg: Database) -> None:
    (chat,) = chats(1)
    sent, _ = queue(pg, chat, {"text": "sent"})
    (following,), _ = queue(pg, chat, {"text": "next"})
    with statements(pg) as seen, transaction(pg) as session:
        claimed = record_sent(session, [Sent(chat, sent, NOW)], channel="telegram", worker="w")
    assert claimed[chat].id == following
    assert await sent_and_free(pg, set(sent))
    writes = [s for s in seen if s.startswith("WITH recorded")]
    assert len(writes) == 1 and not group_writes(writes), seen
