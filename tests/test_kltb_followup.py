"""A week after a planned KLTB step's date, if it is not reached, a nudge asks how it went —
once per date, by the reminders dispatcher, in the transaction that queues the nudge — and the
answer is recorded: reached (its evidence, as in the KLTB flow) or not yet (a new date)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.callback import CallbackData
from coaching.model import KltbNext, Waiting
from coaching.nudges import compose, due_kltb, follow_up_of, kltb_follow_up_of
from storage.db import Database
from storage.models import Actor, KltbEntry, NetworkMap, OutboxMessage
from tests.support import NOW, transaction
from tests.test_handlers import Harness
from tests.test_reminders_storage import (
    MONDAY_8_WIB,
    Clock,
    dispatcher,
    event,
    nudges,
    onboard,
    participant,
    tap,
)

LATER = MONDAY_8_WIB + timedelta(minutes=5)


async def seed(db: Database, due: datetime, followup_at: datetime | None = None) -> int:
    """Sari's personal map: Pak Budi known, LIKE planned ("Ngopi bersama") for ``due``."""
    owner = (await participant(db)).id
    with transaction(db) as session:
        network_map = NetworkMap(
            participant_id=owner,
            kind="personal",
            title="personal",
            anklam={},
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(network_map)
        session.flush()
        session.add(
            Actor(
                map_id=network_map.id,
                name="Sari Dewi",
                name_key="sari dewi",
                is_ego=True,
                resources=[],
                created_at=NOW,
            )
        )
        budi = Actor(
            map_id=network_map.id,
            name="Pak Budi",
            name_key="pak budi",
            kltb_step="know",
            resources=[],
            created_at=NOW,
        )
        session.add(budi)
        session.flush()
        session.add_all(
            [
                KltbEntry(actor_id=budi.id, step="know", note="Rapat", done_at=NOW),
                KltbEntry(
                    actor_id=budi.id,
                    step="like",
                    next_action="Ngopi bersama",
                    due_at=due,
                    planned_at=NOW,
                    followup_at=followup_at,
                ),
            ]
        )
        session.flush()
        return int(budi.id)


async def entry(db: Database, actor_id: int, step: str = "like") -> KltbEntry:
    with transaction(db) as session:
        found = session.execute(
            select(KltbEntry).where(KltbEntry.actor_id == actor_id, KltbEntry.step == step)
        ).scalar_one()
        return found


def values(message: OutboxMessage) -> list[str]:
    return [b["value"] for r in message.payload["buttons"] for b in r]


# --- pure: when the follow-up is asked -----------------------------------------------------------


def test_the_follow_up_comes_a_week_after_the_date_once_per_date() -> None:
    def step(due: datetime, asked: datetime | None = None) -> KltbNext:
        return KltbNext(7, "Pak Budi", "like", "Ngopi", due, followup_at=asked)

    week_late = NOW - timedelta(days=7)
    assert due_kltb([step(week_late)], NOW)[0].follow_up
    assert not due_kltb([step(NOW - timedelta(days=6))], NOW)[0].follow_up  # not yet a week
    assert not due_kltb([step(week_late, asked=NOW - timedelta(hours=1))], NOW)[0].follow_up
    moved = step(week_late, asked=NOW - timedelta(days=20))  # asked before its new date
    assert due_kltb([moved], NOW)[0].follow_up
    reply = compose(5, Waiting(kltb=due_kltb([step(week_late)], NOW)), name="Sari", zone=None)
    assert reply is not None and kltb_follow_up_of(reply) == (7, "like")
    assert follow_up_of(reply) is None  # no planned tie is marked asked by it
    buttons = [o.value for row in reply.options for o in row]
    assert "rem:5:g:7:d" in buttons and "rem:5:g:7:m" in buttons
    assert not any(":k:" in b for b in buttons)  # asked, not "do it now"


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_question_reads_in_both_languages(language: str) -> None:
    from tests.support import said

    due = NOW - timedelta(days=8)
    waiting = Waiting(kltb=due_kltb([KltbNext(7, "Pak Budi", "like", "Ngopi", due)], NOW))
    reply = compose(5, waiting, name="Sari", zone="Asia/Jakarta")
    assert reply is not None
    shown = said(language, reply)
    assert ("Bagaimana hasilnya?" if language == "id" else "How did it go?") in shown.plain
    assert "Pak Budi" in shown.plain and "LIKE" in shown.plain.upper()


# --- the dispatcher and the answer, on both databases ------------------------------------------


async def test_asked_once_by_the_dispatcher_and_reached_is_recorded(db: Database) -> None:
    await onboard(db)
    budi = await seed(db, MONDAY_8_WIB - timedelta(days=8))
    dispatch, _ = dispatcher(db, Clock(MONDAY_8_WIB))
    await dispatch.drain()
    (message,) = await nudges(db)
    rid = message.payload["reminder_id"]
    assert f"rem:{rid}:g:{budi}:d" in values(message)
    assert "Bagaimana hasilnya?" in message.payload["text"]
    assert (await entry(db, budi)).followup_at == MONDAY_8_WIB
    # The next day's nudge still names the step, but does not ask again (once per date).
    dispatch, _ = dispatcher(db, Clock(MONDAY_8_WIB + timedelta(days=1)))
    await dispatch.drain()
    later = (await nudges(db))[1:]
    assert later and not any(":g:" in v for m in later for v in values(m))
    assert any(f":k:{budi}" in v for m in later for v in values(m))
    # Reached: the evidence is asked and recorded as the KLTB flow records it.
    await tap(db, f"rem:{rid}:g:{budi}:d", 50)
    p = await participant(db)
    assert (p.state, p.state_data) == ("kltb.note", {"target": "Pak Budi", "step": "like"})
    again = await tap(db, f"rem:{rid}:g:{budi}:d", 51)  # tapped twice: nothing twice
    assert again.toast is not None
    await event(db, "Sudah ngopi bersama di kantin Bappeda.", 52, now=LATER)
    like = await entry(db, budi)
    assert like.done_at is not None and like.note == "Sudah ngopi bersama di kantin Bappeda."


async def test_not_yet_takes_a_new_date_and_asks_again_a_week_after_it(db: Database) -> None:
    await onboard(db)
    budi = await seed(db, MONDAY_8_WIB - timedelta(days=8))
    dispatch, _ = dispatcher(db, Clock(MONDAY_8_WIB))
    await dispatch.drain()
    (message,) = await nudges(db)
    rid = message.payload["reminder_id"]
    await tap(db, f"rem:{rid}:g:{budi}:m", 60)
    p = await participant(db)
    assert p.state == "kltb.due" and p.state_data["action"] == "Ngopi bersama"
    await event(db, "due7", 61, now=LATER, seq=p.seq)
    moved = await entry(db, budi)
    assert moved.due_at is not None and moved.due_at > MONDAY_8_WIB
    assert moved.done_at is None and moved.next_action == "Ngopi bersama"
    # a week after the new date, asked again
    assert moved.due_at is not None
    dispatch, _ = dispatcher(db, Clock(moved.due_at + timedelta(days=7, hours=1)))
    await dispatch.drain()
    assert any(f":g:{budi}:d" in v for m in (await nudges(db))[1:] for v in values(m))


# --- through the real PTB Application -----------------------------------------------------------


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Harness]:
    harness = Harness(db)
    async with harness.app:
        yield harness


async def test_the_follow_up_through_telegram(bot: Harness) -> None:
    db = bot.db
    await onboard(db, base=10_000)
    budi = await seed(db, MONDAY_8_WIB - timedelta(days=9))
    dispatch = dispatcher(db, Clock(MONDAY_8_WIB))[0]
    dispatch.deliverer = bot.deliverer
    await dispatch.drain()
    nudge = bot.request.sent()[-1]
    reached = next(b for b in bot.buttons(nudge) if f":g:{budi}:d" in b)
    assert CallbackData.decode(reached) is not None
    asked = await bot.feed(bot.sari.press(reached))
    assert "Pak Budi" in asked[-1]["text"]
    saved = await bot.feed(bot.sari.text("Kami sudah ngopi bersama."))
    assert saved and (await entry(db, budi)).done_at is not None
