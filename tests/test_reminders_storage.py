"""Reminders in the database (SQLite, PostgreSQL): scheduling, dispatcher, buttons, coaches."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from app.conversations import Identity, handle_event
from app.reminders import ReminderDispatcher
from coaching.model import Event, EventKind
from storage.db import Database
from storage.models import (
    Actor,
    Cohort,
    KltbEntry,
    NetworkMap,
    OutboxMessage,
    Participant,
    PlannedTie,
    Progress,
    Reminder,
)
from storage.outbox import Deliverer
from storage.outbox_pacing import ChatPacer
from storage.outbox_records import SendResult, Verdict
from storage.reminders import nudge_behind, nudge_participant
from tests.support import NOW, transaction
from tools.seeding import seed_due

SARI = Identity("tg:1001", "telegram", 1001, "id")
BUDI = Identity("tg:1002", "telegram", 1002, "id")
MONDAY_8_WIB = datetime.fromisoformat("2026-11-30T01:00:00+00:00")


def fast() -> ChatPacer:
    return ChatPacer(rate=1e6, burst=10**6)


class Recorder:
    """A sender that keeps what it sent (or answers with scripted verdicts)."""

    channel = "telegram"

    def __init__(self, verdicts: list[Verdict] | None = None) -> None:
        self.sent: list[tuple[int, dict[str, Any]]] = []
        self.verdicts = verdicts or []

    async def send(self, chat_id: int, payload: dict[str, Any]) -> SendResult:
        verdict = self.verdicts.pop(0) if self.verdicts else Verdict.DELIVERED
        if verdict is Verdict.DELIVERED:
            self.sent.append((chat_id, payload))
        return SendResult(verdict, 0.0 if verdict is Verdict.RETRY else None, verdict.value)

    @property
    def nudges(self) -> list[tuple[int, dict[str, Any]]]:
        return [(chat, payload) for chat, payload in self.sent if "reminder_id" in payload]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def dispatcher(
    db: Database, clock: Clock, sender: Recorder | None = None, worker: str = "w1"
) -> tuple[ReminderDispatcher, Recorder]:
    sender = sender or Recorder()
    deliverer = Deliverer(db, sender, worker=worker, clock=clock, pacer=fast())
    return ReminderDispatcher(db, deliverer, worker=worker, clock=clock), sender


async def event(
    db: Database,
    text_or_choice: str,
    update_id: int,
    *,
    who: Identity = SARI,
    now: datetime = NOW,
    seq: int | None = None,
) -> Any:
    if seq is None:
        ev = Event.of_text(text_or_choice)
    else:
        ev = Event(EventKind.CHOICE, choice=text_or_choice, seq=seq)
    return await handle_event(db, who, ev, update_id=update_id, now=now)


async def current_seq(db: Database, who: Identity = SARI) -> int:
    return (await participant(db, who)).seq


async def onboard(
    db: Database, who: Identity = SARI, reminder: str = "daily", base: int = 0
) -> None:
    await event(db, "/start", base + 1, who=who)
    for step, value in enumerate(("agree", "lang:id"), start=2):
        await event(db, value, base + step, who=who, seq=await current_seq(db, who))
    await event(db, "Sari Dewi", base + 4, who=who)
    await event(db, "Bappeda Kabupaten Karawang", base + 5, who=who)
    await event(db, "WIB", base + 6, who=who, seq=await current_seq(db, who))
    await event(db, reminder, base + 7, who=who, seq=await current_seq(db, who))


async def participant(db: Database, who: Identity = SARI) -> Participant:
    with transaction(db) as session:
        return (
            session.execute(select(Participant).where(Participant.external_id == who.external_id))
        ).scalar_one()


async def reminders(db: Database, who: Identity = SARI) -> list[Reminder]:
    p = await participant(db, who)
    with transaction(db) as session:
        rows = session.execute(
            select(Reminder).where(Reminder.participant_id == p.id).order_by(Reminder.id)
        )
        return list(rows.scalars())


async def pending(db: Database, who: Identity = SARI) -> list[Reminder]:
    return [r for r in await reminders(db, who) if r.status == "pending"]


async def nudges(db: Database) -> list[OutboxMessage]:
    with transaction(db) as session:
        rows = session.execute(select(OutboxMessage).order_by(OutboxMessage.id))
        return [m for m in rows.scalars() if "reminder_id" in m.payload]


async def nudged(db: Database) -> tuple[Reminder, Clock, ReminderDispatcher]:
    await onboard(db)
    clock = Clock(MONDAY_8_WIB)
    dispatch, _ = dispatcher(db, clock)
    await dispatch.drain()
    return (await reminders(db))[0], clock, dispatch


async def tap(db: Database, value: str, update_id: int, who: Identity = SARI) -> Any:
    return await event(
        db, value, update_id, who=who, now=MONDAY_8_WIB + timedelta(minutes=5), seq=0
    )


# --- scheduling from the conversation -----------------------------------------------------------


async def test_onboarding_schedules_one_routine_reminder(db: Database) -> None:
    await onboard(db)
    (reminder,) = await reminders(db)
    assert (reminder.kind, reminder.status, reminder.due_at) == ("routine", "pending", MONDAY_8_WIB)


async def test_no_reminder_for_off(db: Database) -> None:
    await onboard(db, reminder="off")
    assert await reminders(db) == []


async def test_changing_the_preference_moves_the_pending_reminder(db: Database) -> None:
    await onboard(db)
    await event(db, "/pengingat", 20)
    await event(db, "time", 21, seq=await current_seq(db))
    await event(db, "09:30", 22)  # echoed: one tap keeps it
    await event(db, "0930", 23, seq=await current_seq(db))
    (reminder,) = await pending(db)
    assert reminder.due_at == MONDAY_8_WIB + timedelta(hours=1, minutes=30)
    await event(db, "tz", 24, seq=await current_seq(db))
    await event(db, "WIT", 25, seq=await current_seq(db))
    (reminder,) = await pending(db)
    assert reminder.due_at == datetime.fromisoformat("2026-11-30T00:30:00+00:00")  # 09:30 WIT
    await event(db, "f:weekly", 26, seq=await current_seq(db))
    assert len(await pending(db)) == 1
    await event(db, "f:off", 27, seq=await current_seq(db))
    assert await pending(db) == []
    await event(db, "f:daily", 28, seq=await current_seq(db))
    assert len(await pending(db)) == 1 and len(await reminders(db)) == 2


# --- the dispatcher ------------------------------------------------------------------------------


async def test_a_due_reminder_is_queued_then_sent_and_the_next_scheduled(db: Database) -> None:
    await onboard(db)
    clock = Clock(MONDAY_8_WIB)
    dispatch, sender = dispatcher(db, clock)
    assert await dispatch.drain() == 1
    (message,) = await nudges(db)
    first, second = await reminders(db)
    assert message.payload["reminder_id"] == first.id and message.payload["seq"] == 0
    assert message.chat_id == 1001 and message.sent_at == MONDAY_8_WIB
    assert "Bab II Berjejaring · Latihan 1" in message.payload["text"]
    values = [b["value"] for row in message.payload["buttons"] for b in row]
    assert values[0] == f"rem:{first.id}:x:bab2.latihan1" and values[-1] == f"rem:{first.id}:stop"
    assert (first.status, first.sent_at, first.kind) == ("sent", MONDAY_8_WIB, "routine")
    assert (second.status, second.due_at) == ("pending", MONDAY_8_WIB + timedelta(days=1))
    assert (await participant(db)).ignored_nudges == 1
    assert [chat for chat, _ in sender.nudges] == [1001]
    assert await dispatch.drain() == 0  # nothing else is due


async def test_three_ignored_nudges_pause_until_the_participant_is_back(db: Database) -> None:
    await onboard(db)
    clock = Clock(MONDAY_8_WIB)
    dispatch, sender = dispatcher(db, clock)
    for day in range(4):
        clock.now = MONDAY_8_WIB + timedelta(days=day)
        await dispatch.drain()
    assert len(sender.nudges) == 3 and (await participant(db)).ignored_nudges == 3
    assert await pending(db) == []  # paused
    clock.now = MONDAY_8_WIB + timedelta(days=10)
    assert await dispatch.drain() == 0
    await event(db, "/menu", 50, now=clock.now)  # back
    assert (await participant(db)).ignored_nudges == 0
    (resumed,) = await pending(db)
    assert resumed.due_at == MONDAY_8_WIB + timedelta(days=11)


async def test_nothing_waiting_no_nudge_but_the_next_is_scheduled(db: Database) -> None:
    from coaching.curriculum import EXERCISES

    await onboard(db)
    p = await participant(db)
    with transaction(db) as session:
        session.add_all(
            Progress(participant_id=p.id, item_key=k, completed_at=NOW) for k in EXERCISES
        )
    dispatch, sender = dispatcher(db, Clock(MONDAY_8_WIB))
    assert await dispatch.drain() == 1
    statuses = [r.status for r in await reminders(db)]
    assert statuses == ["skipped", "pending"] and sender.nudges == []
    assert (await participant(db)).ignored_nudges == 0


async def test_quiet_hours_hold_a_late_reminder_until_morning(db: Database) -> None:
    await onboard(db)
    late = datetime.fromisoformat("2026-11-30T15:00:00+00:00")  # 22:00 WIB: the process was down
    dispatch, sender = dispatcher(db, Clock(late))
    await dispatch.drain()
    (reminder,) = await reminders(db)
    assert sender.nudges == [] and reminder.status == "pending"
    assert reminder.due_at == datetime.fromisoformat("2026-12-01T00:00:00+00:00")  # 07:00 WIB


async def test_blocked_failed_and_inactive(db: Database) -> None:
    await onboard(db)
    await onboard(db, who=BUDI, base=100)
    clock = Clock(MONDAY_8_WIB)
    # The onboarding replies go first in each chat; then the nudges: Sari blocked, Budi 400.
    await Deliverer(db, Recorder(), worker="w", clock=clock, pacer=fast()).sweep()
    dispatch, _ = dispatcher(db, clock, Recorder([Verdict.BLOCKED, Verdict.FAILED]))
    await dispatch.drain()
    sari, budi = await reminders(db), await reminders(db, BUDI)
    assert {sari[0].status, budi[0].status} == {"cancelled", "failed"}
    blocked = SARI if sari[0].status == "cancelled" else BUDI
    assert (await participant(db, blocked)).active is False
    clock.now += timedelta(days=1)
    await dispatch.drain()
    assert [r.status for r in await reminders(db, blocked)] == ["cancelled", "cancelled"]
    await event(db, "/menu", 300, who=blocked, now=clock.now)  # they unblocked us and wrote
    assert len(await pending(db, blocked)) == 1


async def test_kltb_steps_and_planned_ties_are_named(db: Database) -> None:
    await onboard(db)
    p = await participant(db)
    with transaction(db) as session:
        cmap = NetworkMap(
            participant_id=p.id,
            kind="personal",
            title="Peta",
            anklam={},
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(cmap)
        session.flush()
        budi = Actor(
            map_id=cmap.id,
            name="Pak Budi",
            name_key="pak budi",
            kltb_step="know",
            resources=[],
            created_at=NOW,
        )
        ani = Actor(map_id=cmap.id, name="Bu Ani", name_key="bu ani", resources=[], created_at=NOW)
        idle = Actor(
            map_id=cmap.id, name="Pak Joko", name_key="pak joko", resources=[], created_at=NOW
        )
        session.add_all([budi, ani, idle])
        session.flush()
        case = NetworkMap(
            participant_id=p.id,
            kind="case",
            title="Kasus",
            anklam={},
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(case)
        session.flush()
        elsewhere = Actor(
            map_id=case.id,
            name="Pak Camat",
            name_key="pak camat",
            kltb_step="know",
            resources=[],
            created_at=NOW,
        )
        session.add(elsewhere)
        session.flush()
        session.add_all(
            [
                # Budi: KNOW reached; LIKE planned ("Ajak ngopi") and due.
                KltbEntry(actor_id=budi.id, step="know", note="Kenal di rapat", done_at=NOW),
                KltbEntry(
                    actor_id=budi.id,
                    step="like",
                    next_action="Ajak ngopi",
                    due_at=NOW,
                    planned_at=NOW,
                ),
                # Ani: KNOW reached; LIKE planned for later in the week: not yet.
                KltbEntry(actor_id=ani.id, step="know", done_at=NOW),
                KltbEntry(
                    actor_id=ani.id,
                    step="like",
                    next_action="Telepon",
                    due_at=MONDAY_8_WIB + timedelta(days=3),
                    planned_at=NOW,
                ),
                # A stakeholder on a case map: the KLTB flow works on the personal map only.
                KltbEntry(actor_id=elsewhere.id, step="know", done_at=NOW),
                PlannedTie(
                    map_id=cmap.id,
                    source_name="Saya",
                    target_name="Kepala Bappeda",
                    due_at=NOW,
                    created_at=NOW,
                ),
                PlannedTie(
                    map_id=cmap.id,
                    source_name="Saya",
                    target_name="Camat",
                    due_at=MONDAY_8_WIB + timedelta(days=9),
                    created_at=NOW,
                ),
                PlannedTie(
                    map_id=cmap.id,
                    source_name="A",
                    target_name="B",
                    due_at=NOW,
                    done_at=NOW,
                    created_at=NOW,
                ),
            ]
        )
    dispatch, _ = dispatcher(db, Clock(MONDAY_8_WIB))
    await dispatch.drain()
    (message,) = await nudges(db)
    body = message.payload["text"]
    assert "<b>LIKE</b>" in body and "Pak Budi" in body and "Ajak ngopi" in body
    assert "Bu Ani" not in body and "Pak Joko" not in body  # not yet due; not started
    assert "Pak Camat" not in body
    assert "Kepala Bappeda" in body and "Camat" not in body
    values = [b["value"] for row in message.payload["buttons"] for b in row]
    assert any(v.endswith(f":k:{budi.id}") for v in values)
    assert sum(":t:" in v for v in values) == 1
    # "Do it now" on Budi opens the KLTB flow at LIKE, with the module's prompts.
    opened = await tap(db, f"rem:{message.payload['reminder_id']}:k:{budi.id}", 90)
    p = await participant(db)
    assert p.state == "kltb.note" and p.state_data == {"target": "Pak Budi", "step": "like"}
    with transaction(db) as session:
        reply = session.get(OutboxMessage, opened.outbox_ids[-1])
        assert reply is not None and "Pak Budi" in reply.payload["text"]


# --- coach nudges --------------------------------------------------------------------------------


async def test_a_coach_nudges_one_participant_once(db: Database) -> None:
    await onboard(db)
    p = await participant(db)
    first = await nudge_participant(db, p.id, now=MONDAY_8_WIB, by=7)
    again = await nudge_participant(db, p.id, now=MONDAY_8_WIB, by=7)
    assert first.status == "queued" and again.status == "already_queued"
    assert again.reminder_id == first.reminder_id
    dispatch, sender = dispatcher(db, Clock(MONDAY_8_WIB))
    await dispatch.drain()
    assert len(sender.nudges) == 1  # the routine one due at the same time is folded into it
    assert "widyaiswara/coach" in sender.nudges[0][1]["text"]
    kinds = {r.kind: r.status for r in await reminders(db) if r.status != "pending"}
    assert kinds == {"coach": "sent", "routine": "skipped"}
    assert (await nudge_participant(db, 999_999, now=NOW)).status == "not_found"


async def test_a_coach_nudge_waits_for_quiet_hours_and_respects_off(db: Database) -> None:
    await onboard(db)
    p = await participant(db)
    night = datetime.fromisoformat("2026-11-29T16:00:00+00:00")  # 23:00 WIB
    result = await nudge_participant(db, p.id, now=night)
    coach = next(r for r in await reminders(db) if r.id == result.reminder_id)
    assert coach.due_at == datetime.fromisoformat("2026-11-30T00:00:00+00:00")
    await onboard(db, who=BUDI, reminder="off", base=100)
    budi = await participant(db, BUDI)
    assert (await nudge_participant(db, budi.id, now=night)).status == "off"


async def test_nudge_behind_picks_the_idle_and_the_slow(db: Database) -> None:
    people = [Identity(f"tg:{2000 + i}", "telegram", 2000 + i, "id") for i in range(4)]
    with transaction(db) as session:
        session.add(Cohort(name="PKA 2026", join_code="pka26", created_at=NOW))
    for n, who in enumerate(people):
        await onboard(db, who=who, base=100 * n)
    ids = [(await participant(db, who)).id for who in people]
    later = NOW + timedelta(days=2)
    with transaction(db) as session:
        cohort = (session.execute(select(Cohort))).scalar_one()
        session.execute(
            update(Participant).where(Participant.id.in_(ids)).values(cohort_id=cohort.id)
        )
        for pid, done in zip(ids, (3, 3, 1, 3), strict=True):
            session.add_all(
                Progress(participant_id=pid, item_key=f"bab2.x{i}", completed_at=NOW)
                for i in range(done)
            )
        # ids[3] has kept up but has been silent for eight days.
        session.execute(
            update(Participant)
            .where(Participant.id == ids[3])
            .values(last_active_at=later - timedelta(days=8))
        )
    results = await nudge_behind(db, cohort.id, now=later)
    assert sorted(r.participant_id for r in results) == [ids[2], ids[3]]
    assert {r.status for r in results} == {"queued"}


# --- two dispatchers, thousands of reminders ------------------------------------------------------


async def test_two_dispatchers_never_send_one_reminder_twice(database_url: str) -> None:
    a, b = Database.connect(database_url), Database.connect(database_url)
    await a.upgrade()
    count = 2000
    await seed_due(a, count, MONDAY_8_WIB)
    clock = Clock(MONDAY_8_WIB + timedelta(minutes=1))
    sender = Recorder()
    one, _ = dispatcher(a, clock, sender, worker="host:1")
    two, _ = dispatcher(b, clock, sender, worker="host:2")
    one.batch = two.batch = 50
    await asyncio.gather(one.drain(), two.drain(), one.drain(), two.drain())
    per_chat = Counter(chat for chat, _ in sender.sent)
    assert len(per_chat) == count and set(per_chat.values()) == {1}  # each exactly once
    with transaction(a) as session:
        rows = list((session.execute(select(OutboxMessage))).scalars())
        statuses = Counter(
            (session.execute(select(Reminder.status).where(Reminder.kind == "routine"))).scalars()
        )
    per_reminder = Counter(m.payload["reminder_id"] for m in rows)
    assert len(per_reminder) == count and set(per_reminder.values()) == {1}
    assert all(m.sent_at is not None for m in rows)
    assert statuses == {"sent": count, "pending": count}  # and each has its next one
    assert {w for m in rows for w in [m.claimed_by]} == {None}
    await a.dispose()
    await b.dispose()


async def test_a_database_blip_after_telegram_accepted_does_not_send_twice(
    db: Database, monkeypatch: Any
) -> None:
    """Telegram took the nudge, then the database restarted: keep trying to record it."""
    from sqlalchemy.exc import DBAPIError

    await onboard(db)
    clock = Clock(MONDAY_8_WIB)
    dispatch, sender = dispatcher(db, clock)
    record = Deliverer._record
    failures = [2]

    async def flaky(self: Deliverer, *args: Any, **kwargs: Any) -> Any:
        if (
            args[1].verdict is Verdict.DELIVERED
            and "reminder_id" in args[0].payload
            and failures[0]
        ):
            failures[0] -= 1
            raise DBAPIError("UPDATE outbox", {}, OSError("the database system is starting up"))
        return await record(self, *args, **kwargs)

    monkeypatch.setattr(Deliverer, "_record", flaky)
    await dispatch.drain()
    assert failures == [0] and len(sender.nudges) == 1
    assert [r.status for r in await reminders(db)] == ["sent", "pending"]
    await dispatch.deliverer.sweep()  # nothing left to send again
    assert len(sender.nudges) == 1
