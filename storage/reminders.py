"""Reminders in the database: scheduling, a nudge's buttons, the dispatcher, coach nudges.

A reminder row moves ``pending`` → ``queued`` → ``sent`` (or ``failed``/``cancelled`` by the
outbox, see ``storage/outbox.py``); a due one with nothing waiting becomes ``skipped``, a
replaced or impossible one ``cancelled``, one the participant snoozed ``snoozed``.

Kinds: ``routine`` (from the participant's daily/weekly preference; at most one pending per
participant), ``snooze`` (a nudge brought back later; it takes the routine one's place) and
``coach`` (sent now by a coach; see :func:`nudge_participant`). What a nudge names is decided
when it is due, from what is waiting then.

Every path that creates a pending reminder holds the participant's row lock (the unit of work
locks it; the dispatcher claims reminder and participant together with ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises everything), so "one pending
routine reminder per participant" holds without a race.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from coaching import schedule, text
from coaching.model import (
    DueTie,
    Event,
    EventKind,
    KltbNext,
    Reply,
    Snapshot,
    SnoozeReminder,
    StopReminders,
    Waiting,
)
from coaching.nudges import PREFIX, compose, due_kltb, due_ties, follow_up_of, kltb_next
from storage.db import Database
from storage.logs import pseudonym
from storage.models import (
    Actor,
    KltbEntry,
    NetworkMap,
    Participant,
    PlannedTie,
    Progress,
    Reminder,
)
from storage.outbox import Clock, Deliverer, enqueue, utcnow

log = logging.getLogger(__name__)

PENDING, QUEUED, SENT, FAILED = "pending", "queued", "sent", "failed"
CANCELLED, SKIPPED, SNOOZED = "cancelled", "skipped", "snoozed"
ROUTINE, SNOOZE, COACH = "routine", "snooze", "coach"
SCHEDULED = (ROUTINE, SNOOZE)
BUTTONED = (QUEUED, SENT, SNOOZED)  # statuses of nudges whose buttons a participant may press
RECENT = 20  # buttons of older nudges are answered as stale
# Participants' external ids say which transport reaches them.
CHANNEL_PREFIX = {"telegram": "tg:", "terminal": "term:"}
# What changes when these profile fields change: the next routine nudge.
SCHEDULE_FIELDS = frozenset({"reminder", "reminder_time", "timezone", "quiet_start", "quiet_end"})


def preference_of(participant: Participant) -> schedule.Preference:
    return schedule.Preference(
        frequency=participant.reminder,
        time=participant.reminder_time or schedule.DEFAULT_TIME,
        zone=participant.timezone,
        quiet_start=participant.quiet_start or schedule.DEFAULT_QUIET[0],
        quiet_end=participant.quiet_end or schedule.DEFAULT_QUIET[1],
    )


def _wants_routine(participant: Participant) -> bool:
    return (
        participant.consent_at is not None
        and participant.active
        and preference_of(participant).routine
        and not schedule.paused(participant.ignored_nudges)
    )


# --- scheduling (inside the unit of work, the participant row locked) -------------------------


def reschedule(
    session: Session, participant: Participant, now: datetime, *, replace: bool = True
) -> None:
    """Create, move or cancel the participant's pending routine reminder to match their choice.

    ``replace=False`` only fills a gap (a participant back after a pause or after blocking the
    bot): an existing pending reminder, routine or snoozed, is left as it is.
    """
    wanted = _wants_routine(participant)
    if not wanted and not replace:
        return  # nothing to create; cancelling is for explicit changes and the dispatcher
    pending = list(
        (
            session.execute(
                select(Reminder).where(
                    Reminder.participant_id == participant.id,
                    Reminder.status == PENDING,
                    Reminder.kind.in_(SCHEDULED),
                )
            )
        ).scalars()
    )
    if not wanted:
        for reminder in pending:
            reminder.status = CANCELLED
        return
    due = schedule.next_due(preference_of(participant), now)
    if due is None:
        return
    if pending:
        if replace:
            for reminder in pending:
                if reminder.kind == ROUTINE:  # a snooze the participant asked for stays
                    reminder.due_at = due
        return
    session.add(_new(participant.id, ROUTINE, due, now))


def ensure_scheduled(session: Session, participant: Participant, now: datetime) -> None:
    """After any event: a participant who is back (pause over, unblocked) is scheduled again."""
    reschedule(session, participant, now, replace=False)


def _new(
    participant_id: int, kind: str, due: datetime, now: datetime, ref: str | None = None
) -> Reminder:
    return Reminder(
        participant_id=participant_id,
        kind=kind,
        ref=ref,
        due_at=due,
        status=PENDING,
        attempts=0,
        created_at=now,
    )


# --- a nudge's buttons ---------------------------------------------------------------------------


def is_nudge_button(event: Event) -> bool:
    return (
        event.kind is EventKind.CHOICE and event.seq == 0 and event.choice.startswith(f"{PREFIX}:")
    )


def enrich(session: Session, snap: Snapshot, participant_id: int, event: Event) -> Snapshot:
    """For a nudge's button only: the participant's own recent nudges and what is waiting."""
    if not is_nudge_button(event):
        return snap
    rows = session.execute(
        select(Reminder.id, Reminder.status)
        .where(Reminder.participant_id == participant_id, Reminder.status.in_(BUTTONED))
        .order_by(Reminder.id.desc())
        .limit(RECENT)
    )
    waiting = (load_waiting(session, [participant_id], snap.now)).get(participant_id)
    return dataclasses.replace(
        snap, reminders={rid: status for rid, status in rows.all()}, waiting=waiting
    )


def _own(session: Session, participant: Participant, reminder_id: int) -> Reminder | None:
    """The reminder if it is this participant's own nudge (a forged id finds nothing)."""
    return (
        session.execute(
            select(Reminder).where(
                Reminder.id == reminder_id,
                Reminder.participant_id == participant.id,
                Reminder.status.in_(BUTTONED),
            )
        )
    ).scalar_one_or_none()


def apply_snooze(
    session: Session, participant: Participant, effect: SnoozeReminder, now: datetime
) -> bool:
    """The nudge comes back at ``until``, in place of the next routine one."""
    reminder = _own(session, participant, effect.reminder_id)
    if reminder is None or reminder.status == SNOOZED:
        return False
    reminder.status = SNOOZED
    session.execute(
        update(Reminder)
        .where(
            Reminder.participant_id == participant.id,
            Reminder.status == PENDING,
            Reminder.kind.in_(SCHEDULED),
        )
        .values(status=CANCELLED)
    )
    session.add(_new(participant.id, SNOOZE, effect.until, now, ref=str(reminder.id)))
    return True


def apply_stop(
    session: Session, participant: Participant, effect: StopReminders, now: datetime
) -> bool:
    """ "Stop these reminders": routine nudges off, everything pending cancelled."""
    if _own(session, participant, effect.reminder_id) is None:
        return False
    participant.reminder = "off"
    session.execute(
        update(Reminder)
        .where(Reminder.participant_id == participant.id, Reminder.status == PENDING)
        .values(status=CANCELLED)
    )
    return True


# --- what is waiting ----------------------------------------------------------------------------


def load_waiting(
    session: Session, participant_ids: Collection[int], now: datetime
) -> dict[int, Waiting]:
    """What each participant's nudge could name, in four queries for the whole batch."""
    ids = list(participant_ids)
    if not ids:
        return {}
    completed: dict[int, set[str]] = defaultdict(set)
    for pid, key in session.execute(
        select(Progress.participant_id, Progress.item_key).where(Progress.participant_id.in_(ids))
    ):
        completed[pid].add(key)

    # KLTB on the personal map (the one the KLTB flow works on): reached steps and plans.
    actors: dict[int, tuple[int, str, str | None]] = {}
    entries: dict[int, dict[str, tuple[str | None, datetime | None, datetime | None]]] = (
        defaultdict(dict)
    )
    personal = (
        NetworkMap.participant_id.in_(ids),
        NetworkMap.kind == "personal",
        Actor.is_ego.is_(False),
    )
    for pid, actor_id, name, step in session.execute(
        select(NetworkMap.participant_id, Actor.id, Actor.name, Actor.kltb_step)
        .join(NetworkMap, NetworkMap.id == Actor.map_id)
        .where(*personal, Actor.kltb_step.is_not(None))
    ):
        actors[actor_id] = (pid, name, step)
    for pid, actor_id, name, current, step, plan, due, done in session.execute(
        select(
            NetworkMap.participant_id,
            Actor.id,
            Actor.name,
            Actor.kltb_step,
            KltbEntry.step,
            KltbEntry.next_action,
            KltbEntry.due_at,
            KltbEntry.done_at,
        )
        .join(Actor, Actor.id == KltbEntry.actor_id)
        .join(NetworkMap, NetworkMap.id == Actor.map_id)
        .where(*personal)
    ):
        actors.setdefault(actor_id, (pid, name, current))
        entries[actor_id][step] = (plan, due, done)
    kltb: dict[int, list[KltbNext]] = defaultdict(list)
    for actor_id, (pid, name, current) in actors.items():
        upcoming = kltb_next(actor_id, name, current, entries.get(actor_id, {}))
        if upcoming is not None:
            kltb[pid].append(upcoming)

    ties: dict[int, list[DueTie]] = defaultdict(list)
    for pid, tie in session.execute(
        select(NetworkMap.participant_id, PlannedTie)
        .join(NetworkMap, NetworkMap.id == PlannedTie.map_id)
        .where(
            NetworkMap.participant_id.in_(ids),
            PlannedTie.status == "planned",  # done and dropped ties are not nudged
            PlannedTie.done_at.is_(None),
            PlannedTie.due_at.is_not(None),
            PlannedTie.due_at <= now,
        )
    ):
        if tie.due_at is not None:
            ties[pid].append(
                DueTie(
                    tie.id,
                    tie.source_name,
                    tie.target_name,
                    tie.reason,
                    tie.due_at,
                    followup_at=tie.followup_at,
                )
            )
    return {
        pid: Waiting(
            completed=frozenset(completed.get(pid, ())),
            kltb=due_kltb(kltb.get(pid, ()), now),
            ties=due_ties(ties.get(pid, ()), now),
        )
        for pid in ids
    }


def nudge_payload(locale: str, reply: Reply, reminder_id: int) -> dict[str, Any]:
    """A nudge as an outbox payload: one message, stable buttons (seq 0), its reminder's id."""
    html = text.render(locale, reply.key, **reply.context)
    buttons = [
        [
            {
                "label": text.html_to_plain(text.render(locale, o.label, **o.context)),
                "value": o.value,
            }
            for o in row
        ]
        for row in reply.options
    ]
    # Short by construction (names ≤ 80, notes cut to 120): one message carries the buttons.
    return {
        "text": text.split_message(html)[0],
        "buttons": buttons,
        "seq": 0,
        "reminder_id": reminder_id,
    }


# --- the dispatcher -----------------------------------------------------------------------------


@dataclass
class Claimed:
    reminders: int = 0  # rows taken off the pending list (queued, skipped, cancelled, postponed)
    chats: list[int] = dataclasses.field(default_factory=list)  # chats with a nudge queued


class ReminderDispatcher:
    """Claims due reminders, renders their nudges into the outbox, and has them delivered.

    Claiming and rendering happen in one transaction: a crash before the commit leaves the
    reminders pending, after it leaves nudges in the outbox, which delivers each exactly once
    (but for the at-least-once window the outbox documents). At most ``window`` chats are being
    delivered at once, so nothing waits long behind the 30/s limit holding a lease.
    """

    def __init__(
        self,
        db: Database,
        deliverer: Deliverer,
        *,
        worker: str,
        clock: Clock = utcnow,
        batch: int = 100,
        window: int = 90,
        interval: float = 1.0,
    ) -> None:
        self.db, self.deliverer, self.worker, self.clock = db, deliverer, worker, clock
        self.batch, self.window, self.interval = batch, window, interval
        self.prefix = CHANNEL_PREFIX.get(deliverer.sender.channel, f"{deliverer.sender.channel}:")
        self._inflight: set[asyncio.Task[int]] = set()

    async def tick(self, limit: int | None = None) -> int:
        """Claim up to ``limit`` due reminders and start delivering their nudges."""
        claimed = await self.claim(limit or self.batch)
        for chat in claimed.chats:
            task = asyncio.create_task(self._deliver(chat))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
        return claimed.reminders

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until ``stop`` is set, then let the nudges in flight finish."""
        while not stop.is_set():
            free = self.window - len(self._inflight)
            want = min(self.batch, free)
            taken = 0
            if want >= min(self.batch, max(1, self.window // 3)):
                try:
                    taken = await self.tick(want)
                except Exception:
                    log.exception("reminder dispatch failed; retrying")
            if taken and taken >= want:
                continue  # more may be due: claim again as soon as there is room
            await self._pause(stop)
        await self.idle()

    async def drain(self) -> int:
        """Dispatch everything due now and wait for its delivery (tests, the benchmark)."""
        total = 0
        while True:
            free = self.window - len(self._inflight)
            taken = await self.tick(min(self.batch, free)) if free > 0 else 0
            total += taken
            if taken == 0 and not self._inflight:
                return total
            if taken == 0 or free <= 0:
                await asyncio.wait(set(self._inflight), return_when=asyncio.FIRST_COMPLETED)

    async def idle(self) -> None:
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    async def _pause(self, stop: asyncio.Event) -> None:
        waiter = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait(
                {waiter, *self._inflight},
                timeout=self.interval,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter

    async def _deliver(self, chat: int) -> int:
        try:
            return await self.deliverer.flush(chat)
        except Exception:
            log.exception(
                "delivery to chat %s failed; the outbox sweep will retry", pseudonym(chat)
            )
            return 0

    async def claim(self, limit: int) -> Claimed:
        """One transaction: take due reminders, queue their nudges, schedule the next ones."""
        now = self.clock()

        def job(session: Session) -> Claimed:
            query = (
                select(Reminder, Participant)
                .join(Participant, Participant.id == Reminder.participant_id)
                .where(
                    Reminder.status == PENDING,
                    Reminder.due_at <= now,
                    Participant.external_id.like(f"{self.prefix}%"),
                )
                .order_by(Reminder.due_at, Reminder.id)
                .limit(limit)
            )
            if self.db.dialect == "postgresql":
                # Locks both rows; rows another dispatcher (or a participant's own update) holds
                # are skipped, never waited for, so two dispatchers never take the same one.
                query = query.with_for_update(skip_locked=True)
            found = (session.execute(query)).all()
            if not found:
                return Claimed()
            # A coach's nudge due with a routine one is the one sent: it says who asked.
            rows = sorted(found, key=lambda row: row[0].kind != COACH)
            waiting = load_waiting(session, {p.id for _, p in rows}, now)
            nudged: set[int] = set()
            queued: list[tuple[Reminder, Participant, dict[str, Any]]] = []
            asked: list[int] = []
            for reminder, participant in rows:
                payload, tie = self._decide(session, reminder, participant, waiting, nudged, now)
                if payload is not None:
                    queued.append((reminder, participant, payload))
                if tie is not None:
                    asked.append(tie)
            if asked:  # the follow-up is asked once per date (again only after a new one)
                session.execute(
                    update(PlannedTie).where(PlannedTie.id.in_(asked)).values(followup_at=now)
                )
            channel = self.deliverer.sender.channel
            chats = [int(participant.chat_id or 0) for _, participant, _ in queued]
            for (_, participant, payload), chat in zip(queued, chats, strict=True):
                enqueue(session, participant.id, channel, chat, [payload], now)
            return Claimed(len(rows), chats)

        return await self.db.run(job)

    def _decide(
        self,
        session: Session,
        reminder: Reminder,
        participant: Participant,
        waiting: dict[int, Waiting],
        nudged: set[int],
        now: datetime,
    ) -> tuple[dict[str, Any] | None, int | None]:
        """What one due reminder becomes: the nudge's payload if one is to be sent, and the
        planned tie whose follow-up it asks."""
        pref = preference_of(participant)
        reachable = (
            participant.active and participant.consent_at is not None and participant.chat_id
        )
        wanted = pref.routine if reminder.kind == ROUTINE else pref.frequency != "off"
        if not reachable or not wanted:
            reminder.status = CANCELLED  # blocked, gone or opted out: they come back by writing
            return None, None
        if schedule.in_quiet(now, pref):
            reminder.due_at = schedule.quiet_ends(now, pref)  # never in quiet hours: later
            return None, None
        scheduled = reminder.kind in SCHEDULED
        reply = None
        if participant.id not in nudged:  # two due at once (a coach's and a routine one): one
            reply = compose(
                reminder.id,
                waiting.get(participant.id, Waiting()),
                name=participant.name,
                zone=participant.timezone,
                coach=reminder.kind == COACH,
                message=reminder.message if reminder.kind == COACH else None,
            )
        if reply is None:
            reminder.status = SKIPPED  # nothing waiting: no nudge at all
        else:
            nudged.add(participant.id)
            reminder.status, reminder.claimed_by = QUEUED, self.worker
            reminder.attempts += 1
            if scheduled:
                participant.ignored_nudges += 1  # reset to 0 by anything they do
        if scheduled and _wants_routine(participant):
            due = schedule.next_due(pref, now)
            if due is not None:
                session.add(_new(participant.id, ROUTINE, due, now))
        if reply is None:
            return None, None
        payload = nudge_payload(text.normalise_locale(participant.language), reply, reminder.id)
        return payload, follow_up_of(reply)


# --- coach nudges -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NudgeResult:
    """What a coach's nudge did: ``queued`` (a reminder id), or why not."""

    participant_id: int
    reminder_id: int | None
    status: str  # queued | already_queued | off | inactive | no_consent | not_found
    due_at: datetime | None = None  # when it goes out (after their quiet hours)
    zone: str | None = None  # the participant's time zone, to say "when" in it


async def nudge_participant(
    db: Database,
    participant_id: int,
    *,
    now: datetime,
    by: int | str | None = None,
    message: str | None = None,
) -> NudgeResult:
    """A coach's nudge to one participant, sent as soon as quiet hours allow.

    Respects the participant's own choice: none if they turned reminders off, blocked the bot
    or never consented. Pressing twice queues one nudge. ``by`` (the coach) is kept in ``ref``.
    """

    def job(session: Session) -> NudgeResult:
        query = select(Participant).where(Participant.id == participant_id)
        if db.dialect == "postgresql":
            query = query.with_for_update()
        participant = (session.execute(query)).scalar_one_or_none()
        if participant is None:
            return NudgeResult(participant_id, None, "not_found")
        return _nudge(session, participant, now, by, message)

    return await db.run(job)


async def nudge_behind(db: Database, cohort_id: int, *, now: datetime) -> list[NudgeResult]:
    """A coach's nudge to everyone in the cohort who is behind (see ``schedule.is_behind``).

    Behind: silent for 7 days (or never active since joining), or fewer completed exercises than
    the cohort's median participant. Whoever has nothing waiting gets nothing (the dispatcher
    skips them).
    """

    def job(session: Session) -> list[NudgeResult]:
        query = select(Participant).where(
            Participant.cohort_id == cohort_id, Participant.consent_at.is_not(None)
        )
        if db.dialect == "postgresql":
            query = query.order_by(Participant.id).with_for_update()
        members = list((session.execute(query)).scalars())
        counts = dict(
            (
                session.execute(
                    select(Progress.participant_id, func.count())
                    .where(Progress.participant_id.in_([m.id for m in members]))
                    .group_by(Progress.participant_id)
                )
            ).all()
        )
        pace = schedule.cohort_pace([int(counts.get(m.id, 0)) for m in members])
        results = []
        for member in members:
            if schedule.is_behind(
                completed=int(counts.get(member.id, 0)),
                pace=pace,
                last_active=member.last_active_at,
                now=now,
            ):
                results.append(_nudge(session, member, now, "behind"))
        return results

    return await db.run(job)


def _nudge(
    session: Session,
    participant: Participant,
    now: datetime,
    by: int | str | None,
    message: str | None = None,
) -> NudgeResult:
    """One coach nudge (``message``: the coach's own words, ``{nama}`` their name)."""
    if message is not None:
        message = message.replace("{nama}", participant.name or "").replace(
            "{name}", participant.name or ""
        )
    pid = participant.id
    if participant.consent_at is None:
        return NudgeResult(pid, None, "no_consent")
    if not participant.active or not participant.chat_id:
        return NudgeResult(pid, None, "inactive")
    if participant.reminder == "off":
        return NudgeResult(pid, None, "off")
    existing = (
        session.execute(
            select(Reminder).where(
                Reminder.participant_id == pid, Reminder.status == PENDING, Reminder.kind == COACH
            )
        )
    ).scalar_one_or_none()
    zone = participant.timezone
    if existing is not None:
        if message is not None:  # the coach's newer words replace the waiting ones
            existing.message = message
            return NudgeResult(pid, existing.id, "queued", existing.due_at, zone)
        return NudgeResult(pid, existing.id, "already_queued", existing.due_at, zone)
    due = schedule.outside_quiet(now, preference_of(participant))
    reminder = _new(pid, COACH, due, now, ref=None if by is None else f"coach:{by}"[:64])
    reminder.message = message
    session.add(reminder)
    session.flush()
    return NudgeResult(pid, reminder.id, "queued", due, zone)
