"""Reminders in the database: scheduling, a nudge's buttons, the dispatcher, coach nudges.

A reminder row moves ``pending`` → ``queued`` → ``sent`` (or ``failed``/``cancelled`` by the
outbox, see ``storage/outbox_records.py``); a due one with nothing waiting becomes ``skipped``, a
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

import logging
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from coaching import schedule
from coaching.model import (
    DueTie,
    KltbNext,
    SnoozeReminder,
    StopReminders,
    Waiting,
)
from coaching.nudges import KltbEntryRow, due_kltb, due_ties, kltb_next
from storage.db import Database
from storage.models import (
    Actor,
    KltbEntry,
    NetworkMap,
    Participant,
    PlannedTie,
    Progress,
    Reminder,
)

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


def wants_routine(participant: Participant) -> bool:
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
    wanted = wants_routine(participant)
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


def recent(session: Session, participant_id: int) -> dict[int, str]:
    """The participant's own recent nudges (id → status): what a nudge's button may act on."""
    rows = session.execute(
        select(Reminder.id, Reminder.status)
        .where(Reminder.participant_id == participant_id, Reminder.status.in_(BUTTONED))
        .order_by(Reminder.id.desc())
        .limit(RECENT)
    )
    return {rid: status for rid, status in rows.all()}


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
    entries: dict[int, dict[str, KltbEntryRow]] = defaultdict(dict)
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
    for pid, actor_id, name, current, step, plan, due, done, asked in session.execute(
        select(
            NetworkMap.participant_id,
            Actor.id,
            Actor.name,
            Actor.kltb_step,
            KltbEntry.step,
            KltbEntry.next_action,
            KltbEntry.due_at,
            KltbEntry.done_at,
            KltbEntry.followup_at,
        )
        .join(Actor, Actor.id == KltbEntry.actor_id)
        .join(NetworkMap, NetworkMap.id == Actor.map_id)
        .where(*personal)
    ):
        actors.setdefault(actor_id, (pid, name, current))
        entries[actor_id][step] = (plan, due, done, asked)
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


# --- what the dispatcher claims (app/reminders.py) -----------------------------------------------


def claim_due(
    session: Session, prefix: str, limit: int, now: datetime, *, skip_locked: bool
) -> list[tuple[Reminder, Participant]]:
    """Due pending reminders of participants on one transport, with their participants; with
    ``skip_locked`` (PostgreSQL) both rows are locked and rows another dispatcher (or a
    participant's own update) holds are skipped, never waited for."""
    query = (
        select(Reminder, Participant)
        .join(Participant, Participant.id == Reminder.participant_id)
        .where(
            Reminder.status == PENDING,
            Reminder.due_at <= now,
            Participant.external_id.like(f"{prefix}%"),
        )
        .order_by(Reminder.due_at, Reminder.id)
        .limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return [(reminder, participant) for reminder, participant in session.execute(query).all()]


def asked_kltb_followup(session: Session, actor_id: int, step: str, now: datetime) -> None:
    """The follow-up of this stakeholder's planned step was asked now (once per date)."""
    session.execute(
        update(KltbEntry)
        .where(KltbEntry.actor_id == actor_id, KltbEntry.step == step)
        .values(followup_at=now)
    )


def asked_followups(session: Session, planned_tie_ids: Collection[int], now: datetime) -> None:
    """The follow-up of these planned ties was asked now (once per date)."""
    session.execute(
        update(PlannedTie).where(PlannedTie.id.in_(planned_tie_ids)).values(followup_at=now)
    )


def schedule_routine(session: Session, participant: Participant, now: datetime) -> None:
    """After a routine nudge went (or was skipped): the next one, if they want one."""
    if wants_routine(participant):
        due = schedule.next_due(preference_of(participant), now)
        if due is not None:
            session.add(_new(participant.id, ROUTINE, due, now))


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
