"""Issue 14: an answered step's summary (an edit of an older message) never holds the chat's
next message back. The outbox sends it after the chat's other messages, and only when the
chat's pace leaves one message to spare; otherwise it waits for the sweep."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from storage.db import Database
from storage.outbox import Deliverer
from storage.outbox_pacing import ChatPacer
from storage.outbox_queue import enqueue
from tests.support import NOW, transaction
from tests.test_storage import Recorder, outbox

CHAT = 1001


class Pace(ChatPacer):
    """Telegram's pace (1 a second, bursts of 3) on a clock the test moves; every wait the
    deliverer was told is recorded (none is slept for real: the clock stands still)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []
        super().__init__(rate=1.0, burst=3, clock=lambda: self.now)

    def delay(self, chat_id: int) -> float:
        wait = super().delay(chat_id)
        self.waits.append(wait)
        return wait


def summary(text: str, message_id: int) -> dict[str, Any]:
    return {"text": text, "buttons": [], "summary": True, "edit_message_id": message_id}


async def queue(db: Database, *payloads: dict[str, Any], claim: bool = False) -> Any:
    with transaction(db) as session:
        return enqueue(
            session, None, "telegram", CHAT, list(payloads), NOW, claim_as="w" if claim else None
        )


async def test_a_summary_goes_after_the_next_message_and_never_delays_it(db: Database) -> None:
    pace, now = Pace(), [NOW]
    recorder = Recorder()
    deliverer = Deliverer(db, recorder, worker="w", clock=lambda: now[0], pacer=pace)
    await queue(db, {"text": "one"})
    await deliverer.flush(CHAT)
    # Each answer: the summary of the answered message is queued first, the next question after.
    for answered, question in ((1, "two"), (2, "three")):
        _, claimed = await queue(
            db, summary(f"{answered} ✓", answered), {"text": question}, claim=True
        )
        assert claimed is not None and claimed.payload["text"] == question  # handed off first
        deliverer.kick(CHAT, claimed)
        await deliverer.idle()
    assert [t for _, t in recorder.sent] == ["one", "two", "three"]
    assert pace.waits == [0.0, 0.0, 0.0]  # no question waited for the pace
    left = [m for m in await outbox(db) if m.sent_at is None]
    assert [m.payload["text"] for m in left] == ["1 ✓", "2 ✓"]  # no message to spare yet
    assert all(m.attempts == 0 and m.claimed_by is None for m in left)
    assert left[0].next_attempt_at > now[0]  # the first waits; the second waits behind it
    # As the chat's pace frees up, the sweep sends them, one message to spare each time.
    for _ in range(4):
        pace.now += 1.0
        now[0] += timedelta(seconds=1)
        await deliverer.sweep()
    assert [t for _, t in recorder.sent] == ["one", "two", "three", "1 ✓", "2 ✓"]
    assert all(m.sent_at is not None for m in await outbox(db))


async def test_a_message_queued_behind_a_waiting_summary_is_not_held(db: Database) -> None:
    pace, now = Pace(), [NOW]
    recorder = Recorder()
    deliverer = Deliverer(db, recorder, worker="w", clock=lambda: now[0], pacer=pace)
    await queue(db, {"text": "a"}, {"text": "b"}, summary("a → ✓", 1))
    await deliverer.flush(CHAT)
    assert [t for _, t in recorder.sent] == ["a", "b"]  # 1 token left: the summary waits
    _, claimed = await queue(db, {"text": "c"}, claim=True)
    assert claimed is not None  # a waiting summary is no earlier message to keep order behind
    deliverer.kick(CHAT, claimed)
    await deliverer.idle()
    assert [t for _, t in recorder.sent] == ["a", "b", "c"] and max(pace.waits) == 0.0
