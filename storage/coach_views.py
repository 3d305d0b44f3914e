"""What a coach may see — checked here, once, for every caller.

Telegram (``/kohort``…), the web dashboard and the CLI all go through these functions, and each
loader that takes a cohort or participant id also takes the coach and raises :class:`Forbidden`
unless that coach is linked to the cohort (``coach_cohorts``). Nothing else in the code base
reads another participant's rows for a coach.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from coaching import schedule
from coaching.cohort import (
    CohortSummary,
    Detail,
    KltbLine,
    MapSummary,
    Member,
    Reflection,
    Roster,
    StageMark,
    member_flags,
)
from coaching.curriculum import EXERCISES, next_exercise, overall_progress, progress_rows
from coaching.model import KLTB_STEPS
from storage import answer_notes, coach_maps, maps
from storage.db import Database
from storage.models import (
    Actor,
    AnalysisSnapshot,
    Answer,
    Coach,
    CoachCohort,
    Cohort,
    KltbEntry,
    NetworkMap,
    Participant,
    Progress,
)

log = logging.getLogger(__name__)

_EXERCISE_ORDER = {key: index for index, key in enumerate(EXERCISES)}


class Forbidden(PermissionError):
    """The coach does not coach that cohort (or the participant is in none of theirs)."""


# --- what a coach sees --------------------------------------------------------------------------


_COACHES = cast(Table, Coach.__table__)
# Every /start and /menu asks whether the sender coaches: built once (building it per call cost
# as much as running it). On PostgreSQL the update's first statement asks it (``arrivals``).
COACH_ID = select(_COACHES.c.id).where(_COACHES.c.telegram_user_id == bindparam("user"))


def coach_id_of(session: Session, telegram_user_id: int) -> int | None:
    found = session.execute(COACH_ID, {"user": telegram_user_id})
    return found.scalar_one_or_none()


def owns_cohort(session: Session, coach_id: int, cohort_id: int) -> bool:
    return session.get(CoachCohort, (coach_id, cohort_id)) is not None


def cohorts_of(session: Session, coach_id: int, now: datetime) -> tuple[CohortSummary, ...]:
    """The coach's cohorts with participants, how many need attention, and how many left."""
    cohorts = (
        (
            session.execute(
                select(Cohort)
                .join(CoachCohort, CoachCohort.cohort_id == Cohort.id)
                .where(CoachCohort.coach_id == coach_id)
                .order_by(Cohort.id)
            )
        )
        .scalars()
        .all()
    )
    members = _members(session, [c.id for c in cohorts], now)
    return tuple(_summary(c, members.get(c.id, ())) for c in cohorts)


def roster(session: Session, coach_id: int, cohort_id: int, now: datetime) -> Roster:
    """A cohort's participants for its coach: progress, last active, needs attention."""
    cohort = _owned_cohort(session, coach_id, cohort_id)
    members = (_members(session, [cohort.id], now)).get(cohort.id, ())
    counts = [m.behind_count for m in members]
    return Roster(
        _summary(cohort, members),
        tuple(m.member for m in members),
        schedule.cohort_pace(counts),
    )


def participant_detail(
    session: Session,
    coach_id: int,
    participant_id: int,
    now: datetime,
    *,
    network: bool = True,
    map_id: int | None = None,
    before: int | None = None,
    after: int | None = None,
) -> Detail:
    """One participant, for a coach of their cohort: progress, reflections, KLTB, map, stages.

    ``network=False`` leaves the map itself out (its id and version are there): the dashboard
    loads it only when its cache has not drawn that version yet.
    """
    participant = session.get(Participant, participant_id)
    if participant is None or participant.cohort_id is None or participant.consent_at is None:
        raise Forbidden(f"participant {participant_id}")
    cohort = _owned_cohort(session, coach_id, participant.cohort_id)
    members = (_members(session, [cohort.id], now)).get(cohort.id, ())
    member = next((m.member for m in members if m.member.id == participant_id), None)
    if member is None:
        raise Forbidden(f"participant {participant_id}")
    completed = frozenset(
        (
            session.execute(
                select(Progress.item_key).where(Progress.participant_id == participant_id)
            )
        ).scalars()
    )
    modules = progress_rows(completed)  # the chapters, then the network work
    upcoming = next_exercise(completed)
    answers = (
        (session.execute(select(Answer).where(Answer.participant_id == participant_id)))
        .scalars()
        .all()
    )
    notes = answer_notes.notes_of(session, [a.id for a in answers])
    reflections = tuple(
        Reflection(
            a.exercise_key,
            a.text,
            a.updated_at,
            dict(a.data or {}) or None,
            a.id,
            a.reviewed_at,
            notes.get(a.id, ()),
        )
        for a in sorted(answers, key=lambda a: (_EXERCISE_ORDER.get(a.exercise_key, 999), a.id))
        # a lesson's bookmark or how to address the participant: not a reflection
        if not a.exercise_key.endswith(".resume") and not a.exercise_key.startswith("profile.")
    )
    summaries: tuple[MapSummary, ...] = coach_maps.map_summaries(session, participant_id)
    if map_id is not None and all(m.id != map_id for m in summaries):
        raise Forbidden(f"map {map_id}")  # not this participant's (a forged id): nothing shown
    shown_id = map_id if map_id is not None else (summaries[0].id if summaries else None)
    latest = (
        session.execute(select(NetworkMap.id, NetworkMap.version).where(NetworkMap.id == shown_id))
    ).first()
    view = None
    if network and latest is not None:
        loaded = maps.load_maps(session, participant_id, only=latest.id)
        view = loaded[0] if loaded else None
    stages = _stages(session, participant_id)
    comparison, compared = coach_maps.comparison(session, stages, shown_id, before, after)
    return Detail(
        member=member,
        cohort=_summary(cohort, members),
        modules=modules,
        reflections=reflections,
        kltb=_kltb(session, participant_id),
        network=view,
        stages=stages,
        joined_at=participant.consent_at,
        network_id=latest.id if latest is not None else None,
        network_version=latest.version if latest is not None else 0,
        plans=maps.planned_ties(session, participant_id),
        maps=summaries,
        comparison=comparison,
        compared=compared,
        next_step=upcoming.key if upcoming else None,
    )


def participant_cohort(session: Session, coach_id: int, participant_id: int) -> int:
    """The participant's cohort id if the coach coaches it (exports use this check)."""
    participant = session.get(Participant, participant_id)
    if participant is None or participant.cohort_id is None or participant.consent_at is None:
        raise Forbidden(f"participant {participant_id}")
    _owned_cohort(session, coach_id, participant.cohort_id)
    return participant.cohort_id


def _owned_cohort(session: Session, coach_id: int, cohort_id: int) -> Cohort:
    cohort = session.get(Cohort, cohort_id)
    if cohort is None or not owns_cohort(session, coach_id, cohort_id):
        raise Forbidden(f"cohort {cohort_id}")
    return cohort


@dataclass(frozen=True)
class _Row:
    member: Member
    behind_count: int  # every progress row, as reminders' "behind" counts them


def _members(
    session: Session, cohort_ids: Sequence[int], now: datetime
) -> dict[int, tuple[_Row, ...]]:
    """Consenting participants per cohort, with the counts that flag them."""
    if not cohort_ids:
        return {}
    people = (
        (
            session.execute(
                select(Participant)
                .where(Participant.cohort_id.in_(cohort_ids), Participant.consent_at.is_not(None))
                .order_by(Participant.name, Participant.id)
            )
        )
        .scalars()
        .all()
    )
    ids = [p.id for p in people]
    every: Counter[int] = Counter()
    completed: dict[int, set[str]] = defaultdict(set)
    if ids:
        for pid, key in session.execute(
            select(Progress.participant_id, Progress.item_key).where(
                Progress.participant_id.in_(ids)
            )
        ):
            every[pid] += 1
            completed[pid].add(key)
    by_cohort: dict[int, list[Participant]] = defaultdict(list)
    for person in people:
        if person.cohort_id is not None:
            by_cohort[person.cohort_id].append(person)
    result: dict[int, tuple[_Row, ...]] = {}
    for cohort_id, group in by_cohort.items():
        pace = schedule.cohort_pace([every[p.id] for p in group])
        rows = []
        for p in group:
            idle, behind = member_flags(
                done=every[p.id], pace=pace, last_active=p.last_active_at, now=now
            )
            # What the participant's own menu counts: exercises and network work (map, KLTB).
            done, total = overall_progress(frozenset(completed[p.id]))
            member = Member(
                id=p.id,
                name=p.name or "—",
                unit=p.unit,
                done=done,
                total=total,
                last_active_at=p.last_active_at,
                idle=idle,
                behind=behind,
                nudge=_nudgeable(p),
                chapters=progress_rows(frozenset(completed[p.id])),
            )
            rows.append(_Row(member, every[p.id]))
        result[cohort_id] = tuple(rows)
    return result


def _nudgeable(participant: Participant) -> str:
    """``ok`` if a coach's nudge can reach them, else why not: ``off`` (they turned reminders
    off) or ``inactive`` (blocked the bot, or no chat) — as ``reminders._nudge`` decides."""
    if not participant.active or not participant.chat_id:
        return "inactive"
    if participant.reminder == "off":
        return "off"
    return "ok"


def _summary(cohort: Cohort, members: Sequence[_Row]) -> CohortSummary:
    return CohortSummary(
        id=cohort.id,
        name=cohort.name,
        members=len(members),
        flagged=sum(1 for m in members if m.member.flagged),
        left=cohort.left_count or 0,
    )


def _kltb(session: Session, participant_id: int) -> tuple[KltbLine, ...]:
    actors = (
        session.execute(
            select(Actor.id, Actor.name, Actor.kltb_step)
            .join(NetworkMap, NetworkMap.id == Actor.map_id)
            .where(NetworkMap.participant_id == participant_id, Actor.is_ego.is_(False))
            .order_by(Actor.name, Actor.id)
        )
    ).all()
    notes: dict[int, list[tuple[str, str | None, str | None]]] = defaultdict(list)
    dues: dict[int, tuple[int, datetime]] = {}
    order = {step: i for i, step in enumerate(KLTB_STEPS)}
    for actor_id, entry_step, note, action, due in session.execute(
        select(
            KltbEntry.actor_id,
            KltbEntry.step,
            KltbEntry.note,
            KltbEntry.next_action,
            KltbEntry.due_at,
        )
        .join(Actor, Actor.id == KltbEntry.actor_id)
        .join(NetworkMap, NetworkMap.id == Actor.map_id)
        .where(NetworkMap.participant_id == participant_id)
    ):
        notes[actor_id].append((entry_step, note, action))
        rank = order.get(entry_step, 9)
        if due is not None and (actor_id not in dues or rank >= dues[actor_id][0]):
            dues[actor_id] = (rank, due)
    lines = []
    seen: set[str] = set()
    for actor_id, name, step in actors:
        if step is None and actor_id not in notes:
            continue
        if name in seen and actor_id not in notes:
            continue  # the same stakeholder on two maps: once is enough
        seen.add(name)
        steps = tuple(sorted(notes.get(actor_id, ()), key=lambda n: order.get(n[0], 9)))
        planned = dues.get(actor_id)
        lines.append(KltbLine(name, step, steps, planned[1] if planned else None))
    return tuple(lines)


def _stages(session: Session, participant_id: int) -> tuple[StageMark, ...]:
    rows = session.execute(
        select(
            NetworkMap.title,
            AnalysisSnapshot.stage,
            AnalysisSnapshot.created_at,
            NetworkMap.id,
            AnalysisSnapshot.id,
        )
        .join(NetworkMap, NetworkMap.id == AnalysisSnapshot.map_id)
        .where(NetworkMap.participant_id == participant_id)
        .order_by(AnalysisSnapshot.created_at, AnalysisSnapshot.id)
    )
    return tuple(
        StageMark(title, stage, at, map_id, snap_id) for title, stage, at, map_id, snap_id in rows
    )


def nudge_allowed(
    session: Session,
    telegram_user_id: int,
    cohort_id: int,
    participant_ids: Sequence[int] | None,
) -> tuple[bool, str | None]:
    """Whether this coach may nudge these participants of their cohort (None: everyone behind);
    with the one participant's name when one is named."""
    coach_id = coach_id_of(session, telegram_user_id)
    if coach_id is None or not owns_cohort(session, coach_id, cohort_id):
        return False, None
    if participant_ids is None:
        return True, None
    rows = session.execute(
        select(Participant.id, Participant.name).where(
            Participant.id.in_(participant_ids), Participant.cohort_id == cohort_id
        )
    ).all()
    if len(rows) != len(set(participant_ids)):
        return False, None
    return True, rows[0][1] if len(rows) == 1 else None


async def cohort_name(db: Database, coach_id: int, cohort_id: int) -> str:
    def job(session: Session) -> str:
        return (_owned_cohort(session, coach_id, cohort_id)).name

    return await db.run(job)
