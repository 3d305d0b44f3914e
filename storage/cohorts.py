"""Cohorts, coaches, and everything a coach may see — checked here, once, for every caller.

Telegram (``/kohort``…), the web dashboard and the CLI all go through these functions, and each
loader that takes a cohort or participant id also takes the coach and raises :class:`Forbidden`
unless that coach is linked to the cohort (``coach_cohorts``). Nothing else in the code base
reads another participant's rows for a coach.

Secrets are never stored: join codes are public by design (anyone in the class may join), but
coach invites, dashboard login links and session cookies are kept as SHA-256 hashes.

Dashboard login links are ``<PUBLIC_URL>/login/<coach>.<expires>.<nonce>.<hmac>``: signed with
HMAC-SHA256 (key: ``DASHBOARD_SECRET``, else derived from the bot token), bound to the coach,
valid 15 minutes and single-use (the nonce's hash is a ``coach_logins`` row, marked used with a
conditional UPDATE so two clicks cannot both win).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import logging
import os
import secrets
import string
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from coaching import schedule
from coaching.cohort import (
    COACH_TOKEN,
    JOIN_CODE,
    CoachView,
    CohortSummary,
    DeepLink,
    Detail,
    KltbLine,
    MapSummary,
    Member,
    Reflection,
    Roster,
    StageMark,
    check_cohort_name,
    member_flags,
    parse_start,
)
from coaching.cohortnet import cohort_network
from coaching.compare import Comparison, compare
from coaching.curriculum import EXERCISES, next_exercise, overall_progress, progress_rows
from coaching.flows import coach as coach_flow
from coaching.model import KLTB_STEPS, Event, EventKind, NudgeParticipants, Reply, Snapshot
from coaching.validate import is_number
from storage import answer_notes, networks, privacy, reminders
from storage.db import Database
from storage.models import (
    Actor,
    AnalysisSnapshot,
    Answer,
    Coach,
    CoachCohort,
    CoachInvite,
    CoachLogin,
    CoachSession,
    Cohort,
    CohortMove,
    KltbEntry,
    NetworkMap,
    Participant,
    Progress,
    Tie,
)

log = logging.getLogger(__name__)

_ALPHANUM = string.ascii_letters + string.digits
JOIN_CODE_LENGTH = 10
COACH_INVITE_DAYS = 7
LOGIN_MINUTES = 15
SESSION_HOURS = 12
_EXERCISE_ORDER = {key: index for index, key in enumerate(EXERCISES)}


class Forbidden(PermissionError):
    """The coach does not coach that cohort (or the participant is in none of theirs)."""


class CohortNameError(ValueError):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem  # check_cohort_name: empty | too_long | control | names.*


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_join_code() -> str:
    return "".join(secrets.choice(_ALPHANUM) for _ in range(JOIN_CODE_LENGTH))


def new_coach_token() -> str:
    return secrets.token_urlsafe(24)  # 32 characters of A-Za-z0-9_-


def telegram_user(external_id: str) -> int | None:
    """The Telegram user id of ``tg:<id>``; coaches are Telegram users only."""
    head, _, rest = external_id.partition(":")
    return int(rest) if head == "tg" and is_number(rest) else None


def deep_link(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={payload}"


# --- operators: creating cohorts and coach invites --------------------------------------------


@dataclass(frozen=True)
class CreatedCohort:
    id: int
    name: str
    join_code: str
    coach_token: str
    coach_expires_at: datetime
    join_expires_at: datetime | None


async def create_cohort(
    db: Database,
    name: str,
    *,
    now: datetime,
    join_days: int | None = None,
    coach_days: int = COACH_INVITE_DAYS,
) -> CreatedCohort:
    """A new cohort with its join code and a first single-use coach invite."""
    tidy, problem = check_cohort_name(name)
    if tidy is None:
        raise CohortNameError(problem or "names.chars")
    join_until = now + timedelta(days=join_days) if join_days else None

    def job(session: Session) -> CreatedCohort:
        cohort = Cohort(
            name=tidy,
            join_code=new_join_code(),
            join_expires_at=join_until,
            left_count=0,
            created_at=now,
        )
        session.add(cohort)
        session.flush()
        token, expires = _invite(session, cohort.id, now, coach_days)
        return CreatedCohort(cohort.id, tidy, cohort.join_code, token, expires, join_until)

    return await db.run(job)


async def invite_coach(
    db: Database, cohort_id: int, *, now: datetime, days: int = COACH_INVITE_DAYS
) -> tuple[str, datetime]:
    """One more single-use coach invite for an existing cohort."""

    def job(session: Session) -> tuple[str, datetime]:
        if session.get(Cohort, cohort_id) is None:
            raise LookupError(f"no cohort {cohort_id}")
        return _invite(session, cohort_id, now, days)

    return await db.run(job)


def _invite(session: Session, cohort_id: int, now: datetime, days: int) -> tuple[str, datetime]:
    token = new_coach_token()
    expires = now + timedelta(days=days)
    session.add(
        CoachInvite(token_hash=digest(token), cohort_id=cohort_id, expires_at=expires, used_at=None)
    )
    session.flush()
    return token, expires


async def all_cohorts(db: Database) -> list[tuple[int, str, str, int, int]]:
    """(id, name, join code, participants, coaches) of every cohort, for operators."""

    def job(session: Session) -> list[tuple[int, str, str, int, int]]:
        cohorts = (session.execute(select(Cohort).order_by(Cohort.id))).scalars().all()
        members = dict(
            (
                session.execute(
                    select(Participant.cohort_id, func.count()).group_by(Participant.cohort_id)
                )
            ).all()
        )
        coaches = dict(
            (
                session.execute(
                    select(CoachCohort.cohort_id, func.count()).group_by(CoachCohort.cohort_id)
                )
            ).all()
        )
        return [
            (c.id, c.name, c.join_code, int(members.get(c.id, 0)), int(coaches.get(c.id, 0)))
            for c in cohorts
        ]

    return await db.run(job)


# --- deep links -------------------------------------------------------------------------------


def check_link(
    session: Session, kind: str, code: str, telegram_user_id: int | None, now: datetime
) -> DeepLink:
    """Whether a ``/start`` code works, for the engine to say so (nothing is changed here).

    A coach invite is row-locked on PostgreSQL until the commit, so the effect that redeems it
    in the same transaction sees what this check saw.
    """
    if kind == "join":
        if not JOIN_CODE.match(code):
            return DeepLink("join", "unknown")
        cohort = (
            session.execute(select(Cohort).where(Cohort.join_code == code))
        ).scalar_one_or_none()
        if cohort is None:
            return DeepLink("join", "unknown")
        if cohort.join_expires_at is not None and cohort.join_expires_at <= now:
            return DeepLink("join", "expired", cohort.name)
        return DeepLink("join", "ok", cohort.name)
    if telegram_user_id is None:
        return DeepLink("coach", "telegram_only")
    if not COACH_TOKEN.match(code):
        return DeepLink("coach", "unknown")
    invite = _invite_row(session, code)
    if invite is None:
        return DeepLink("coach", "unknown")
    cohort = session.get(Cohort, invite.cohort_id)
    name = cohort.name if cohort else None
    if invite.used_at is not None:
        return DeepLink("coach", "used", name)
    if invite.expires_at <= now:
        return DeepLink("coach", "expired", name)
    return DeepLink("coach", "ok", name)


def _with_membership(session: Session, link: DeepLink, code: str, external_id: str) -> DeepLink:
    """The join link's verdict with the cohort the participant is in now, if any."""
    found = (
        session.execute(
            select(Cohort.name, Cohort.join_code)
            .join(Participant, Participant.cohort_id == Cohort.id)
            .where(Participant.external_id == external_id)
        )
    ).first()
    if found is None:
        return link
    return dataclasses.replace(link, current=found.name, member=found.join_code == code)


def _invite_row(session: Session, token: str) -> CoachInvite | None:
    query = select(CoachInvite).where(CoachInvite.token_hash == digest(token))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return (session.execute(query)).scalar_one_or_none()


def redeem_invite(session: Session, telegram_user_id: int, token: str, now: datetime) -> int | None:
    """Make the user a coach of the invite's cohort; the cohort id, or None if it is not valid.

    The conditional UPDATE is what makes the token single-use even if two people race for it.
    """
    invite = _invite_row(session, token)
    if invite is None:
        return None
    claimed = session.execute(
        update(CoachInvite)
        .where(
            CoachInvite.id == invite.id,
            CoachInvite.used_at.is_(None),
            CoachInvite.expires_at > now,
        )
        .values(used_at=now, used_by=telegram_user_id)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return None
    coach_id = coach_id_of(session, telegram_user_id)
    if coach_id is None:
        coach = Coach(telegram_user_id=telegram_user_id, name=None, created_at=now)
        session.add(coach)
        session.flush()
        coach_id = coach.id
    link = session.get(CoachCohort, (coach_id, invite.cohort_id))
    if link is None:
        session.add(CoachCohort(coach_id=coach_id, cohort_id=invite.cohort_id))
        session.flush()
    return invite.cohort_id


def join_cohort(session: Session, participant: Participant, code: str, now: datetime) -> bool:
    """Put a consenting participant in the cohort of ``code`` (checked again: time passed).

    A move from another cohort (the participant said yes to it) is recorded, and the old
    cohort's coaches lose what they were sent about them: from now on they cannot open the
    participant (``participant_detail`` checks the cohort), and their outbox copies are gone.
    """
    if not JOIN_CODE.match(code):
        return False
    cohort = (session.execute(select(Cohort).where(Cohort.join_code == code))).scalar_one_or_none()
    if cohort is None or (cohort.join_expires_at is not None and cohort.join_expires_at <= now):
        log.info("participant %s: cohort code no longer valid", participant.id)
        return False
    if participant.cohort_id == cohort.id:
        return True
    if participant.cohort_id is not None:
        session.add(
            CohortMove(
                participant_id=participant.id,
                from_cohort_id=participant.cohort_id,
                to_cohort_id=cohort.id,
                moved_at=now,
            )
        )
        privacy.forget_copies(session, participant.id)
        log.info("participant %s moved to cohort %s", participant.id, cohort.id)
    participant.cohort_id = cohort.id
    return True


async def coach_chats(db: Database) -> list[tuple[int, str]]:
    """(Telegram user id, language) of every coach: their chats get the coach command menu.

    The language is their own participant row's, if they have one, else Indonesian.
    """

    def job(session: Session) -> list[tuple[int, str]]:
        users = [int(u) for u in session.execute(select(Coach.telegram_user_id)).scalars()]
        languages = dict(
            session.execute(
                select(Participant.external_id, Participant.language).where(
                    Participant.external_id.in_([f"tg:{u}" for u in users])
                )
            ).all()
        )
        return [(user, languages.get(f"tg:{user}") or "id") for user in users]

    return await db.run(job)


# --- what a coach sees --------------------------------------------------------------------------


def coach_id_of(session: Session, telegram_user_id: int) -> int | None:
    found = session.execute(select(Coach.id).where(Coach.telegram_user_id == telegram_user_id))
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
    maps = _map_summaries(session, participant_id)
    if map_id is not None and all(m.id != map_id for m in maps):
        raise Forbidden(f"map {map_id}")  # not this participant's (a forged id): nothing shown
    shown_id = map_id if map_id is not None else (maps[0].id if maps else None)
    latest = (
        session.execute(select(NetworkMap.id, NetworkMap.version).where(NetworkMap.id == shown_id))
    ).first()
    view = None
    if network and latest is not None:
        loaded = networks.load_maps(session, participant_id, only=latest.id)
        view = loaded[0] if loaded else None
    stages = _stages(session, participant_id)
    comparison, compared = _comparison(session, stages, shown_id, before, after)
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
        plans=networks.planned_ties(session, participant_id),
        maps=maps,
        comparison=comparison,
        compared=compared,
        next_step=upcoming.key if upcoming else None,
    )


def cohort_maps(session: Session, cohort_id: int) -> list[dict[str, Any]]:
    """Each consenting participant's maps in the export's shape, as far as the cohort's
    network needs them (actors with resources and needs, ties, purposes). The caller has
    checked the coach owns the cohort (``roster``)."""
    people = (
        session.execute(
            select(Participant.id, Participant.name)
            .where(Participant.cohort_id == cohort_id, Participant.consent_at.is_not(None))
            .order_by(Participant.id)
        )
    ).all()
    ids = [pid for pid, _ in people]
    maps = (
        session.execute(
            select(NetworkMap.id, NetworkMap.participant_id, NetworkMap.kind, NetworkMap.purpose)
            .where(NetworkMap.participant_id.in_(ids))
            .order_by(NetworkMap.id)
        )
    ).all()
    map_ids = [m.id for m in maps]
    actors: dict[int, list[dict[str, Any]]] = defaultdict(list)
    names: dict[int, str] = {}
    for aid, map_id, name, ego, resources, needs in session.execute(
        select(
            Actor.id, Actor.map_id, Actor.name, Actor.is_ego, Actor.resources, Actor.needs
        ).where(Actor.map_id.in_(map_ids))
    ):
        names[aid] = name
        actors[map_id].append(
            {"name": name, "is_ego": ego, "resources": list(resources or []), "needs": needs}
        )
    ties: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for map_id, source, target, strength in session.execute(
        select(Tie.map_id, Tie.source_id, Tie.target_id, Tie.strength).where(
            Tie.map_id.in_(map_ids)
        )
    ):
        ties[map_id].append(
            {"source": names[source], "target": names[target], "strength": strength}
        )
    by_person: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for m in maps:
        by_person[m.participant_id].append(
            {"kind": m.kind, "purpose": m.purpose, "actors": actors[m.id], "ties": ties[m.id]}
        )
    return [
        {"participant": {"id": pid, "name": name}, "maps": by_person[pid]} for pid, name in people
    ]


def _map_summaries(session: Session, participant_id: int) -> tuple[MapSummary, ...]:
    """Every map of the participant's, most recently changed first, with its actor count."""
    counts = dict(
        (
            session.execute(
                select(Actor.map_id, func.count())
                .join(NetworkMap, NetworkMap.id == Actor.map_id)
                .where(NetworkMap.participant_id == participant_id)
                .group_by(Actor.map_id)
            )
        ).all()
    )
    rows = (
        session.execute(
            select(NetworkMap.id, NetworkMap.kind, NetworkMap.title, NetworkMap.updated_at)
            .where(NetworkMap.participant_id == participant_id)
            .order_by(NetworkMap.updated_at.desc(), NetworkMap.id.desc())
        )
    ).all()
    return tuple(
        MapSummary(i, kind, title, int(counts.get(i, 0)), updated)
        for i, kind, title, updated in rows
    )


def _comparison(
    session: Session,
    stages: Sequence[StageMark],
    map_id: int | None,
    before: int | None,
    after: int | None,
) -> tuple[Comparison | None, tuple[StageMark, StageMark] | None]:
    """Before/after of the shown map: the chosen analyses, else its first and last."""
    mine = [s for s in stages if s.map_id == map_id and map_id is not None]
    if len(mine) < 2:
        return None, None
    by_id = {s.id: s for s in mine}
    first = by_id.get(before) if before is not None else None
    last = by_id.get(after) if after is not None else None
    first, last = first or mine[0], last or mine[-1]
    if first.id == last.id:
        return None, None
    if first.at > last.at:
        first, last = last, first
    results: dict[int | None, dict[str, Any]] = dict(
        (
            session.execute(
                select(AnalysisSnapshot.id, AnalysisSnapshot.result).where(
                    AnalysisSnapshot.id.in_([first.id, last.id])
                )
            )
        ).all()
    )
    return compare(results.get(first.id) or {}, results.get(last.id) or {}), (first, last)


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


# --- the conversation: a coach's snapshot, and what their buttons do -------------------------


def enrich(session: Session, snap: Snapshot, external_id: str, event: Event | None) -> Snapshot:
    """Add a deep link's verdict, and for a coach's command or button what they asked for."""
    if event is None:
        return snap
    tg = telegram_user(external_id)
    link = None
    if event.kind is EventKind.COMMAND and event.command == "start":
        kind, code = parse_start(event.text)
        if kind is not None:
            link = check_link(session, kind, code, tg, snap.now)
        if kind == "join" and link is not None and link.status == "ok":
            link = _with_membership(session, link, code, external_id)
    wanted = coach_flow.focus(event)
    asks_help = event.kind is EventKind.COMMAND and event.command in ("bantuan", "help")
    if tg is None or (wanted is None and not asks_help):
        return dataclasses.replace(snap, link=link) if link else snap
    coach_id = coach_id_of(session, tg)
    if coach_id is None:
        return dataclasses.replace(snap, link=link) if link else snap
    view = coach_view(session, coach_id, tg, wanted or coach_flow.Focus(), snap.now)
    return dataclasses.replace(snap, link=link, coach=view)


def coach_view(
    session: Session, coach_id: int, telegram_user_id: int, wanted: Any, now: datetime
) -> CoachView:
    cohorts = cohorts_of(session, coach_id, now)
    view = CoachView(telegram_user_id, cohorts)
    try:
        if wanted.cohort_id is not None:
            view = dataclasses.replace(
                view, roster=roster(session, coach_id, wanted.cohort_id, now)
            )
            if wanted.network:
                people = cohort_maps(session, wanted.cohort_id)
                view = dataclasses.replace(view, network=cohort_network(people))
        elif wanted.participant_id is not None:
            detail = participant_detail(session, coach_id, wanted.participant_id, now)
            view = dataclasses.replace(view, detail=detail)
        elif wanted.map_id is not None:
            owner = session.scalar(
                select(NetworkMap.participant_id).where(NetworkMap.id == wanted.map_id)
            )
            if owner is None:
                raise Forbidden(f"map {wanted.map_id}")
            detail = participant_detail(session, coach_id, owner, now, map_id=wanted.map_id)
            view = dataclasses.replace(view, detail=detail)
        elif wanted.only_cohort and len(cohorts) == 1:
            view = dataclasses.replace(view, roster=roster(session, coach_id, cohorts[0].id, now))
    except Forbidden:
        log.warning("coach %s asked for something not theirs", coach_id)
        view = dataclasses.replace(view, denied=True)
    if wanted.login:
        links = dashboard_links()
        if links is None:
            view = dataclasses.replace(view, dashboard=False)
        else:
            url = mint_login(session, coach_id, now, links)
            view = dataclasses.replace(view, login_url=url, login_minutes=LOGIN_MINUTES)
    return view


async def nudge(
    db: Database, telegram_user_id: int, effect: NudgeParticipants, now: datetime
) -> Reply:
    """Run a coach's nudge (after the commit: reminders open their own transactions)."""

    def job(session: Session) -> tuple[bool, str | None]:
        coach_id = coach_id_of(session, telegram_user_id)
        if coach_id is None or not owns_cohort(session, coach_id, effect.cohort_id):
            return False, None
        name = None
        if effect.participant_ids is not None:
            rows = (
                session.execute(
                    select(Participant.id, Participant.name).where(
                        Participant.id.in_(effect.participant_ids),
                        Participant.cohort_id == effect.cohort_id,
                    )
                )
            ).all()
            if len(rows) != len(set(effect.participant_ids)):
                return False, None
            name = rows[0][1] if len(rows) == 1 else None
        return True, name

    allowed, name = await db.run(job)
    if not allowed:
        return Reply("coach.denied")
    if effect.participant_ids is None:
        results = await reminders.nudge_behind(db, effect.cohort_id, now=now)
    else:
        results = [
            await reminders.nudge_participant(
                db, pid, now=now, by=telegram_user_id, message=effect.message
            )
            for pid in effect.participant_ids
        ]
    counts = Counter(r.status for r in results)
    # Exactly what was sent, and when: their local time (quiet hours respected)
    first = next((r for r in results if r.status == "queued" and r.due_at is not None), None)
    when = None
    if first is not None and first.due_at is not None:
        when = {
            **schedule.local_parts(first.due_at, first.zone),
            "now": first.due_at <= now + timedelta(minutes=1),
        }
    context = {
        "message": effect.message,
        "when": when,
        "name": name,
        "total": len(results),
        "queued": counts["queued"],
        "already": counts["already_queued"],
        "off": counts["off"],
        "inactive": counts["inactive"] + counts["no_consent"] + counts["not_found"],
    }
    return Reply("coach.nudged", context)


# --- dashboard login links and sessions ---------------------------------------------------------


@dataclass(frozen=True)
class DashboardLinks:
    """Where the dashboard is and the key its links are signed with."""

    public_url: str
    secret: bytes

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        token: str | None = None,
        port: int | None = None,
    ) -> DashboardLinks | None:
        """``PUBLIC_URL`` (default ``http://127.0.0.1:$PORT``) and ``DASHBOARD_SECRET``.

        Without ``DASHBOARD_SECRET`` the key is derived from the bot token (HMAC of a fixed
        label), so one secret configures everything; None if there is neither.
        """
        env = os.environ if env is None else env
        port = port or int(env.get("PORT") or 8080)
        public = (env.get("PUBLIC_URL") or f"http://127.0.0.1:{port}").rstrip("/")
        given = env.get("DASHBOARD_SECRET")
        token = token or env.get("TELEGRAM_BOT_TOKEN")
        if given:
            secret = given.encode()
        elif token:
            secret = hmac.new(token.encode(), b"jejaring-dashboard-v1", hashlib.sha256).digest()
        else:
            return None
        return cls(public, secret)

    @property
    def secure(self) -> bool:
        return self.public_url.startswith("https://")


_configured: DashboardLinks | None = None


def configure_dashboard(links: DashboardLinks | None) -> None:
    """Set the links' configuration for this process (``jejaring run`` does, from its settings)."""
    global _configured
    _configured = links


def dashboard_links() -> DashboardLinks | None:
    return _configured or DashboardLinks.from_env()


def _sign(secret: bytes, message: str) -> str:
    mac = hmac.new(secret, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def mint_login(session: Session, coach_id: int, now: datetime, links: DashboardLinks) -> str:
    """A fresh login link for this coach (its nonce's hash stored, unused)."""
    nonce = secrets.token_urlsafe(18)
    expires = now + timedelta(minutes=LOGIN_MINUTES)
    stamp = int(expires.timestamp())
    session.add(
        CoachLogin(
            coach_id=coach_id,
            nonce_hash=digest(nonce),
            expires_at=expires,
            used_at=None,
            created_at=now,
        )
    )
    session.flush()
    body = f"{coach_id}.{stamp}.{nonce}"
    return f"{links.public_url}/login/{body}.{_sign(links.secret, 'login.' + body)}"


@dataclass(frozen=True)
class Login:
    """A redeemed login link: the new session's cookie value, or why not."""

    session_token: str | None
    coach_id: int | None
    problem: str | None = None  # malformed | signature | expired | used


async def redeem_login(db: Database, token: str, now: datetime, links: DashboardLinks) -> Login:
    """Check a login link (signature, time, single use) and open a session for its coach."""
    parts = token.split(".")
    if len(parts) != 4 or not is_number(parts[0]) or not is_number(parts[1]) or len(token) > 200:
        return Login(None, None, "malformed")
    coach_text, stamp, nonce, signature = parts
    expected = _sign(links.secret, f"login.{coach_text}.{stamp}.{nonce}")
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return Login(None, None, "signature")
    if int(stamp) <= now.timestamp():
        return Login(None, None, "expired")
    coach_id = int(coach_text)

    def job(session: Session) -> Login:
        used = session.execute(
            update(CoachLogin)
            .where(
                CoachLogin.nonce_hash == digest(nonce),
                CoachLogin.coach_id == coach_id,
                CoachLogin.used_at.is_(None),
                CoachLogin.expires_at > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(used, "rowcount", 0) != 1:
            return Login(None, None, "used")
        session_token = secrets.token_urlsafe(32)
        session.add(
            CoachSession(
                coach_id=coach_id,
                token_hash=digest(session_token),
                expires_at=now + timedelta(hours=SESSION_HOURS),
                created_at=now,
            )
        )
        return Login(session_token, coach_id)

    return await db.run(job)


async def session_coach(db: Database, session_token: str, now: datetime) -> int | None:
    """The coach whose live session this cookie is, else None."""
    if not session_token or len(session_token) > 100:
        return None

    def job(session: Session) -> int | None:
        found = session.execute(
            select(CoachSession.coach_id).where(
                CoachSession.token_hash == digest(session_token), CoachSession.expires_at > now
            )
        )
        return found.scalar_one_or_none()

    return await db.run(job)


async def end_session(db: Database, session_token: str) -> None:
    def job(session: Session) -> None:
        session.execute(
            delete(CoachSession).where(CoachSession.token_hash == digest(session_token))
        )

    await db.run(job)


async def cohort_name(db: Database, coach_id: int, cohort_id: int) -> str:
    def job(session: Session) -> str:
        return (_owned_cohort(session, coach_id, cohort_id)).name

    return await db.run(job)
