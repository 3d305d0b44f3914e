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

import dataclasses
import hashlib
import logging
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from coaching.cohort import (
    COACH_TOKEN,
    JOIN_CODE,
    DeepLink,
    check_cohort_name,
)
from coaching.curriculum import EXERCISES
from coaching.validate import is_number
from storage import privacy
from storage.coach_views import coach_id_of
from storage.db import Database
from storage.models import (
    Coach,
    CoachCohort,
    CoachInvite,
    Cohort,
    CohortMove,
    Participant,
)

log = logging.getLogger(__name__)

_ALPHANUM = string.ascii_letters + string.digits
JOIN_CODE_LENGTH = 10
COACH_INVITE_DAYS = 7
LOGIN_MINUTES = 15
SESSION_HOURS = 12
_EXERCISE_ORDER = {key: index for index, key in enumerate(EXERCISES)}


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


async def remove_coach(db: Database, telegram_user_id: int) -> int | None:
    """Remove a coach (an operator's ``jejaring cohort remove-coach``): their row, links to
    cohorts, dashboard logins and sessions go; replies they wrote stay with the answers, no
    longer naming them (``answer_notes.coach_id`` is set to NULL); the invites they redeemed
    no longer hold their Telegram id. Their participant row, if any, is not touched (that is
    the participant's own, deleted with ``/hapus_data``). How many cohorts they coached, or
    None if they were no coach."""

    def job(session: Session) -> int | None:
        coach_id = coach_id_of(session, telegram_user_id)
        if coach_id is None:
            return None
        count = session.scalar(
            select(func.count()).select_from(CoachCohort).where(CoachCohort.coach_id == coach_id)
        )
        session.execute(
            update(CoachInvite)
            .where(CoachInvite.used_by == telegram_user_id)
            .values(used_by=None)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            delete(Coach).where(Coach.id == coach_id).execution_options(synchronize_session=False)
        )
        log.info("coach %s removed", coach_id)
        return int(count or 0)

    return await db.run(job)


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


# --- a deep link's verdict -------------------------------------------------------------------


def link_verdict(
    session: Session, link: tuple[str, str], external_id: str, now: datetime
) -> DeepLink:
    """What a ``/start`` deep link (``(kind, code)``, see ``parse_start``) would do for them."""
    kind, code = link
    verdict = check_link(session, kind, code, telegram_user(external_id), now)
    if kind == "join" and verdict is not None and verdict.status == "ok":
        verdict = _with_membership(session, verdict, code, external_id)
    return verdict
