"""Planned ties in the database (SQLite, PostgreSQL) and through the real PTB Application:
done with a note from a reminder, a new date, dropped, and the follow-up a week after."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.callback import CallbackData
from coaching.model import ResolvePlan
from storage import plans
from storage.db import Database
from storage.models import Actor, NetworkMap, OutboxMessage, PlannedTie, Reminder, Tie
from tests.support import NOW, transaction
from tests.test_handlers import Harness
from tests.test_reminders_storage import (
    BUDI,
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


async def seed_plans(db: Database, *dues: datetime, who_id: int | None = None) -> list[int]:
    """Sari's personal map (her, Pak Budi, Bu Ani) with one planned tie per date."""
    owner = who_id if who_id is not None else (await participant(db)).id
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
        for name, ego in (("Sari Dewi", True), ("Pak Budi", False), ("Bu Ani", False)):
            session.add(
                Actor(
                    map_id=network_map.id,
                    name=name,
                    name_key=name.lower(),
                    is_ego=ego,
                    resources=[],
                    created_at=NOW,
                )
            )
        rows = [
            PlannedTie(
                map_id=network_map.id,
                source_name="Pak Budi",
                target_name="Bu Ani",
                reason="bridge",
                due_at=due,
                created_at=NOW,
            )
            for due in dues
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


async def row(db: Database, plan_id: int) -> PlannedTie:
    with transaction(db) as session:
        found = session.get(PlannedTie, plan_id)
        assert found is not None
        return found


def values(message: OutboxMessage) -> list[str]:
    return [b["value"] for r in message.payload["buttons"] for b in r]


def names(message: OutboxMessage, plan_id: int) -> bool:
    """Whether a nudge carries a button for this planned tie (its guide or its follow-up)."""
    return any(v.endswith(f":t:{plan_id}") or f":f:{plan_id}:" in v for v in values(message))


# --- storage -------------------------------------------------------------------------------------


async def test_the_follow_up_is_asked_once_a_week_after_the_date_and_answered(
    db: Database,
) -> None:
    await onboard(db)
    (late,) = await seed_plans(db, MONDAY_8_WIB - timedelta(days=8))
    dispatch, _ = dispatcher(db, Clock(MONDAY_8_WIB))
    await dispatch.drain()
    (message,) = await nudges(db)
    rid = message.payload["reminder_id"]
    assert f"rem:{rid}:f:{late}:m" in values(message)
    assert "Bagaimana hasilnya?" in message.payload["text"]
    assert (await row(db, late)).followup_at == MONDAY_8_WIB
    # Not yet, a new date: typed the Indonesian way, at her reminder time.
    await tap(db, f"rem:{rid}:f:{late}:m", 50)
    assert (await participant(db)).state == "plans.date"
    await event(db, "20/12/2026", 51, now=LATER)  # echoed as a day to confirm with one tap
    assert (await row(db, late)).due_at != datetime(2026, 12, 20, 1, 0, tzinfo=UTC)
    await event(db, "day:2026-12-20", 52, now=LATER, seq=(await participant(db)).seq)
    moved = await row(db, late)
    assert moved.due_at == datetime(2026, 12, 20, 1, 0, tzinfo=UTC)
    assert (moved.status, moved.followup_answer) == ("planned", "later")
    # The next day's nudge no longer names it (not due), and does not ask again.
    dispatch, _ = dispatcher(db, Clock(MONDAY_8_WIB + timedelta(days=1)))
    await dispatch.drain()
    assert not any(names(m, late) for m in (await nudges(db))[1:])


async def test_done_stores_the_note_adds_the_tie_and_stops_the_nudges(db: Database) -> None:
    await onboard(db)
    (plan_id,) = await seed_plans(db, MONDAY_8_WIB - timedelta(days=1))
    dispatch, _ = dispatcher(db, Clock(MONDAY_8_WIB))
    await dispatch.drain()
    (message,) = await nudges(db)
    rid = message.payload["reminder_id"]
    await tap(db, f"rem:{rid}:t:{plan_id}", 60)
    p = await participant(db)
    assert p.state == "reminders.guide"
    await event(db, "done", 61, seq=p.seq, now=LATER)
    typed = "Sudah bertemu; Bu Ani berbagi data."
    await event(db, typed, 62, now=LATER)
    done = await row(db, plan_id)
    assert (done.status, done.note, done.done_at) == ("done", typed, LATER)
    with transaction(db) as session:
        ties = (session.execute(select(Tie).where(Tie.map_id == done.map_id))).all()
    assert len(ties) == 1  # woven into her map
    # A repeated press of the nudge's guide changes nothing twice.
    again = await tap(db, f"rem:{rid}:t:{plan_id}", 63)
    assert again.toast is None or "sudah" in again.toast
    assert (await row(db, plan_id)).done_at == LATER
    dispatch, _ = dispatcher(db, Clock(MONDAY_8_WIB + timedelta(days=1)))
    await dispatch.drain()
    assert not any(names(m, plan_id) for m in (await nudges(db))[1:])


async def test_drop_and_only_ones_own_planned_ties_change(db: Database) -> None:
    await onboard(db)
    await onboard(db, who=BUDI, base=100)
    (plan_id,) = await seed_plans(db, MONDAY_8_WIB - timedelta(days=9))
    budi = await participant(db, BUDI)
    with transaction(db) as session:
        assert not plans.resolve(session, budi, ResolvePlan(plan_id, "drop"), LATER)
    assert (await row(db, plan_id)).status == "planned"
    await event(db, "/rencana", 70, now=LATER)
    p = await participant(db)
    await event(db, "p:0", 71, seq=p.seq, now=LATER)
    p = await participant(db)
    await event(db, "drop", 72, seq=p.seq, now=LATER)
    p = await participant(db)
    await event(db, "yes", 73, seq=p.seq, now=LATER)
    await event(db, "yes", 74, seq=p.seq, now=LATER + timedelta(minutes=1))  # a double tap
    dropped = await row(db, plan_id)
    assert (dropped.status, dropped.dropped_at, dropped.followup_answer) == (
        "dropped",
        LATER,
        None,
    )
    sari = await participant(db)
    with transaction(db) as session:
        assert not plans.resolve(session, sari, ResolvePlan(plan_id, "done"), LATER)
        pending = (
            session.execute(select(Reminder).where(Reminder.participant_id == sari.id))
        ).scalars()
        assert any(r.status == "pending" for r in pending)
    dispatch, _ = dispatcher(db, Clock(MONDAY_8_WIB))
    await dispatch.drain()
    assert not any(names(m, plan_id) for m in await nudges(db))


# --- the real Application: from a reminder message to "done" -------------------------------------


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Harness]:
    harness = Harness(db)
    async with harness.app:
        yield harness


async def test_from_a_reminder_message_to_done_through_the_application(bot: Harness) -> None:
    db = bot.db
    await onboard(db, base=10_000)  # update ids apart from the Application's own
    (plan_id,) = await seed_plans(db, MONDAY_8_WIB - timedelta(days=1))
    dispatch = dispatcher(db, Clock(MONDAY_8_WIB))[0]
    dispatch.deliverer = bot.deliverer  # the nudge goes out through PTB's Bot
    await dispatch.drain()
    nudge = bot.request.sent()[-1]  # after onboarding's replies, sent in the same flush
    assert "Pengingat" in nudge["text"]
    tie_button = next(b for b in bot.buttons(nudge) if f":t:{plan_id}" in b)
    assert CallbackData.decode(tie_button) is not None
    guide = await bot.feed(bot.sari.press(tie_button))
    assert "Merajut jejaring: Pak Budi — Bu Ani" in guide[-1]["text"]
    done = next(b for b in bot.buttons(guide[-1]) if b.endswith(":done"))
    asked = await bot.feed(bot.sari.press(done))
    assert "bagaimana hasilnya?" in asked[-1]["text"]
    again = await bot.feed(bot.sari.press(done))  # the guide's button, tapped twice
    assert again == []
    saved = await bot.feed(bot.sari.text("Sudah diperkenalkan di rapat Bappeda."))
    assert "tercatat terlaksana" in saved[0]["text"]
    assert "ditambahkan ke peta" in saved[0]["text"]
    stored = await row(db, plan_id)
    assert (stored.status, stored.note) == ("done", "Sudah diperkenalkan di rapat Bappeda.")
    assert stored.done_at is not None
    # The nudge's own button, pressed again: nothing left to mark.
    reopened = await bot.feed(bot.sari.press(tie_button))
    assert all(not b.endswith(":done") for m in reopened for b in bot.buttons(m))
    assert (await row(db, plan_id)).done_at == stored.done_at


async def test_from_the_map_a_plan_gets_a_new_date_and_another_is_dropped_through_the_application(
    bot: Harness,
) -> None:
    """Issue 19.3 from the map, through the real Application: 🕸️ → 📌 → a plan → a typed date
    (echoed, stored on one tap); then another plan dropped after its confirmation."""
    db = bot.db
    await onboard(db, base=20_000)
    now = datetime.now(UTC)
    overdue, soon = await seed_plans(db, now - timedelta(days=2), now + timedelta(days=3))

    def pick(messages: list[dict[str, object]], suffix: str) -> str:
        found = [b for m in messages for b in bot.buttons(m) if b.endswith(suffix)]
        assert found, (suffix, [bot.buttons(m) for m in messages])
        return found[-1]

    home = await bot.feed(bot.sari.text("/peta"))
    listed = await bot.feed(bot.sari.press(pick(home, ":plans")))
    assert "Pak Budi — Bu Ani" in str(listed[-1]["text"])
    item = await bot.feed(bot.sari.press(pick(listed, ":p:0")))  # the overdue one first
    asked = await bot.feed(bot.sari.press(pick(item, ":move")))
    assert "tanggal" in str(asked[-1]["text"]).lower()
    said = await bot.feed(bot.sari.text("2 minggu lagi"))
    confirm = [b for m in said for b in bot.buttons(m) if ":day:" in b]
    if confirm:  # echoed as a concrete day first: one tap stores it
        said = await bot.feed(bot.sari.press(confirm[0]))
    assert "dijadwalkan ulang" in str(said[0]["text"])
    moved = await row(db, overdue)
    assert moved.status == "planned" and moved.due_at is not None
    assert moved.due_at.replace(tzinfo=UTC) - now > timedelta(days=13)

    # The other one, now first in the list: dropped, after a confirmation.
    home = await bot.feed(bot.sari.text("/peta"))
    listed = await bot.feed(bot.sari.press(pick(home, ":plans")))
    item = await bot.feed(bot.sari.press(pick(listed, ":p:0")))
    question = await bot.feed(bot.sari.press(pick(item, ":drop")))
    assert (await row(db, soon)).status == "planned"  # asked, not yet dropped
    await bot.feed(bot.sari.press(pick(question, ":yes")))
    dropped, kept = await row(db, soon), await row(db, overdue)
    assert dropped.status == "dropped" and dropped.dropped_at is not None
    assert kept.status == "planned" and kept.due_at == moved.due_at
