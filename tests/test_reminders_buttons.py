"""A nudge's buttons through the unit of work (SQLite, PostgreSQL): do it now, snooze, stop,
and a reminder that is not the participant's own."""

from __future__ import annotations

from datetime import timedelta

from storage.db import Database
from tests.support import NOW, transaction
from tests.test_reminders_storage import (
    BUDI,
    MONDAY_8_WIB,
    nudged,
    onboard,
    participant,
    pending,
    reminders,
    tap,
)

# --- a nudge's buttons through the unit of work --------------------------------------------------


async def test_do_it_now_opens_the_exercise_and_a_double_tap_is_harmless(db: Database) -> None:
    sent, _, _ = await nudged(db)
    handled = await tap(db, f"rem:{sent.id}:x:bab2.latihan1", 60)
    p = await participant(db)
    assert p.state == "exercises.answer" and p.state_data["exercise"] == "bab2.latihan1"
    assert handled.outbox_ids and handled.toast is None
    again = await tap(db, f"rem:{sent.id}:x:bab2.latihan1", 61)  # Telegram re-sent the press
    assert again.outbox_ids == () and again.toast and (await participant(db)).seq == p.seq


async def test_snooze_moves_the_due_time_once(db: Database) -> None:
    sent, clock, dispatch = await nudged(db)
    handled = await tap(db, f"rem:{sent.id}:s:1h", 62)
    assert handled.outbox_ids  # "I will remind you again at 09:05 WIB"
    rows = await reminders(db)
    assert [(r.kind, r.status) for r in rows] == [
        ("routine", "snoozed"),
        ("routine", "cancelled"),
        ("snooze", "pending"),
    ]
    assert rows[2].due_at == MONDAY_8_WIB + timedelta(hours=1, minutes=5)
    again = await tap(db, f"rem:{sent.id}:s:tmr", 63)
    assert again.toast and again.outbox_ids == () and len(await reminders(db)) == 3
    clock.now = MONDAY_8_WIB + timedelta(hours=1, minutes=5)
    await dispatch.drain()
    assert [r.status for r in await reminders(db)][2:] == ["sent", "pending"]
    assert (await reminders(db))[3].due_at == MONDAY_8_WIB + timedelta(days=1)


async def test_stop_turns_reminders_off(db: Database) -> None:
    sent, _, _ = await nudged(db)
    await tap(db, f"rem:{sent.id}:stop", 64)
    assert (await participant(db)).reminder == "off" and await pending(db) == []
    again = await tap(db, f"rem:{sent.id}:stop", 65)
    assert again.toast and again.outbox_ids == ()


async def test_someone_elses_reminder_id_does_nothing(db: Database) -> None:
    sent, _, _ = await nudged(db)
    await onboard(db, who=BUDI, base=100)
    before = [(r.id, r.status, r.due_at) for r in await reminders(db)]
    budi_before = await participant(db, BUDI)
    for n, value in enumerate(
        (f"rem:{sent.id}:stop", f"rem:{sent.id}:s:wk", f"rem:{sent.id}:x:bab2.latihan1")
    ):
        handled = await tap(db, value, 70 + n, who=BUDI)
        assert handled.toast and handled.outbox_ids == ()
    assert [(r.id, r.status, r.due_at) for r in await reminders(db)] == before
    budi = await participant(db, BUDI)
    assert (budi.reminder, budi.state, budi.seq) == ("daily", budi_before.state, budi_before.seq)


async def test_storage_checks_ownership_even_if_the_engine_were_fooled(db: Database) -> None:
    from coaching.model import SnoozeReminder, StopReminders
    from storage import reminders as store

    sent, _, _ = await nudged(db)
    await onboard(db, who=BUDI, base=100)
    budi = await participant(db, BUDI)
    with transaction(db) as session:
        assert not store.apply_stop(session, budi, StopReminders(sent.id), NOW)
        assert not store.apply_snooze(session, budi, SnoozeReminder(sent.id, NOW), NOW)
    assert (await reminders(db))[0].status == "sent"
    assert (await participant(db, BUDI)).reminder == "daily"
