"""An update's replies go out under one hand-off: the first is leased to the worker as it is
queued, the others follow it unclaimed while that lease holds the chat, and all their outcomes
are written in one go with the claim of the chat's next message (``storage/outbox.py``)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from storage.db import Database
from storage.outbox import HANDOFF_SPAN, Deliverer
from storage.outbox_pacing import ChatPacer
from storage.outbox_queue import Pending, enqueue
from storage.outbox_records import Verdict
from tests.support import NOW, transaction
from tests.test_hot_path import statements
from tests.test_outbox_lazy import summary
from tests.test_storage import Recorder, fast, outbox

CHAT = 1001


async def handed(db: Database, *payloads: dict[str, Any]) -> Pending:
    with transaction(db) as session:
        _, claimed = enqueue(session, None, "telegram", CHAT, list(payloads), NOW, claim_as="w")
    assert claimed is not None
    return claimed


def writes(seen: list[str]) -> list[str]:
    """The delivery's statements that write the outbox."""
    return [s for s in seen if s.startswith(("UPDATE outbox", "WITH recorded"))]


async def test_an_updates_replies_go_out_in_order_with_one_write(db: Database) -> None:
    first = await handed(db, summary("1 ✓", 70), {"text": "two"}, {"text": "three"})
    # The first message that is not a summary leads; the summary goes last, as a claim has it.
    assert [p.payload["text"] for p in first.followers] == ["three", "1 ✓"]
    assert all(p.attempts == 0 for p in first.followers)
    recorder = Recorder()
    deliverer = Deliverer(db, recorder, worker="w", clock=lambda: NOW, pacer=fast())
    with statements(db) as seen:
        deliverer.kick(CHAT, first)
        await deliverer.idle()
    assert [t for _, t in recorder.sent] == ["two", "three", "1 ✓"]
    rows = await outbox(db)
    assert all(m.sent_at == NOW and m.claimed_by is None for m in rows)
    # One write for the three: the outcomes and the next claim (SQLite: one statement each;
    # PostgreSQL: the outcomes riding on the claim). Each message had its own before.
    assert len(writes(seen)) == (1 if db.dialect == "postgresql" else 2), seen
    assert [m.attempts for m in rows] == [0, 1, 0]  # only the leased one was an attempt


async def test_no_other_worker_sends_a_handoffs_messages(db: Database) -> None:
    first = await handed(db, {"text": "one"}, {"text": "two"})
    other = Recorder()
    await Deliverer(db, other, worker="x", clock=lambda: NOW, pacer=fast()).flush(CHAT)
    assert other.sent == []  # the first is leased to "w", the second waits behind it
    mine = Recorder()
    deliverer = Deliverer(db, mine, worker="w", clock=lambda: NOW, pacer=fast())
    deliverer.kick(CHAT, first)
    await deliverer.idle()
    await Deliverer(db, other, worker="x", clock=lambda: NOW, pacer=fast()).flush(CHAT)
    assert [t for _, t in mine.sent] == ["one", "two"] and other.sent == []


async def test_a_follower_that_fails_is_retried_after_the_first_is_recorded_sent(
    db: Database,
) -> None:
    first = await handed(db, {"text": "one"}, {"text": "two"}, {"text": "three"})
    recorder = Recorder([Verdict.DELIVERED, Verdict.RETRY])
    deliverer = Deliverer(db, recorder, worker="w", clock=lambda: NOW, pacer=fast())
    deliverer.kick(CHAT, first)
    await deliverer.idle()
    assert [t for _, t in recorder.sent] == ["one"]
    one, two, three = await outbox(db)
    assert one.sent_at == NOW
    assert two.sent_at is None and two.claimed_by is None and two.last_error == "retry"
    assert three.sent_at is None and three.claimed_by is None  # waits behind "two"
    await deliverer.flush(CHAT)  # the retry is due at once (retry_after 0)
    assert [t for _, t in recorder.sent] == ["one", "two", "three"]


class Paced(ChatPacer):
    """Every message may go at once, except that the chat is not ``ready`` for the first
    follower (as when the pace would make it wait)."""

    def __init__(self) -> None:
        super().__init__(rate=1e6, burst=10**6)
        self.asked = 0

    def ready(self, chat_id: int) -> bool:
        self.asked += 1
        return self.asked > 1


async def test_a_follower_that_would_wait_ends_the_handoff(db: Database) -> None:
    first = await handed(db, {"text": "one"}, {"text": "two"}, {"text": "three"})
    recorder = Recorder()
    pacer = Paced()
    deliverer = Deliverer(db, recorder, worker="w", clock=lambda: NOW, pacer=pacer)
    deliverer.kick(CHAT, first)
    await deliverer.idle()
    assert [t for _, t in recorder.sent] == ["one", "two", "three"]
    assert pacer.asked == 1  # asked once, for "two": after that the chat drained as usual
    one, two, three = await outbox(db)
    assert one.sent_at == two.sent_at == three.sent_at == NOW
    assert (two.attempts, three.attempts) == (1, 1)  # claimed, once the first was recorded


async def test_a_handoff_older_than_its_span_is_recorded_and_claimed_as_usual(
    db: Database,
) -> None:
    first = await handed(db, {"text": "one"}, {"text": "two"})
    now = [NOW]

    class Slow(Recorder):
        async def send(self, chat_id: int, payload: dict[str, Any]) -> Any:
            now[0] += HANDOFF_SPAN + timedelta(seconds=1)  # this send took its time
            return await super().send(chat_id, payload)

    recorder = Slow()
    deliverer = Deliverer(db, recorder, worker="w", clock=lambda: now[0], pacer=fast())
    deliverer.kick(CHAT, first)
    await deliverer.idle()
    assert [t for _, t in recorder.sent] == ["one", "two"]
    one, two = await outbox(db)
    assert one.sent_at is not None and two.sent_at is not None
    assert two.attempts == 1  # claimed after the first was recorded, not sent under its lease


async def test_a_drainer_that_took_a_later_updates_reply_leaves_no_claim_to_make(
    db: Database,
) -> None:
    """A second update's reply, queued while the first's is on its way (so not leased: it must
    wait behind it), is claimed by the first's drainer when it records its send; the drain
    kicked for the second makes no claim of its own, which would find nothing."""
    sending, go = asyncio.Event(), asyncio.Event()

    class Held(Recorder):
        async def send(self, chat_id: int, payload: dict[str, Any]) -> Any:
            if not sending.is_set():
                sending.set()
                await go.wait()
            return await super().send(chat_id, payload)

    recorder = Held()
    deliverer = Deliverer(db, recorder, worker="w", clock=lambda: NOW, pacer=fast())
    first = await handed(db, {"text": "one"})
    with statements(db) as seen:
        deliverer.kick(CHAT, first)
        await sending.wait()
        with transaction(db) as session:
            _, second = enqueue(
                session, None, "telegram", CHAT, [{"text": "two"}], NOW, claim_as="w"
            )
        assert second is None  # "one" still waits: order before speed
        deliverer.kick(CHAT, None)
        go.set()
        await deliverer.idle()
    assert [t for _, t in recorder.sent] == ["one", "two"]
    claims = [s for s in seen if "attempts=(outbox.attempts + " in s]
    assert len(claims) == 2, seen  # after "one" (it took "two"), after "two" (nothing left)
    await deliverer.flush(CHAT)  # a sweep's drain claims as ever: nothing is left
    assert [m.sent_at for m in await outbox(db)] == [NOW, NOW]


class NoSpare(ChatPacer):
    """Every message may go at once, but a summary finds no message to spare the first time
    it asks."""

    def __init__(self) -> None:
        super().__init__(rate=1e6, burst=10**6)
        self.asked = 0

    def spare(self, chat_id: int) -> float:
        self.asked += 1
        return 0.5 if self.asked == 1 else 0.0


async def test_a_handoff_whose_first_is_put_back_sends_each_follower_once(db: Database) -> None:
    """An update of summaries only: its first is handed off but put back for the pace, which
    frees its lease; its followers are then left to claims, and each goes out once."""
    first = await handed(db, summary("1 ✓", 70), summary("2 ✓", 71), summary("3 ✓", 72))
    assert first.lazy and [p.payload["text"] for p in first.followers] == ["2 ✓", "3 ✓"]
    now = [NOW]
    recorder = Recorder()
    deliverer = Deliverer(db, recorder, worker="w", clock=lambda: now[0], pacer=NoSpare())
    deliverer.kick(CHAT, first)
    await deliverer.idle()
    assert recorder.sent == []  # the first waits; the others wait behind it for a claim
    one, two, three = await outbox(db)
    assert one.claimed_by is None and one.next_attempt_at > NOW
    assert two.attempts == three.attempts == 0  # none was sent or claimed
    now[0] += timedelta(seconds=1)
    await deliverer.sweep()
    assert [t for _, t in recorder.sent] == ["1 ✓", "2 ✓", "3 ✓"]
    assert all(m.sent_at is not None for m in await outbox(db))
