"""Who an update is from: their row found and locked (or created), the update marked handled.

The first statements of every update's transaction (``app/conversations.py``): on PostgreSQL
the lock, the mark and the participant's own rows are one round trip for someone we know, and
the creation and the mark one for someone new. The rest of a participant's rows are
``storage/participants.py``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    Table,
    bindparam,
    exists,
    false,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from coaching import text
from coaching.model import DEFAULT_QUIET_END, DEFAULT_QUIET_START, DEFAULT_REMINDER_TIME
from storage.coach_views import COACH_ID
from storage.models import Answer, NetworkMap, Participant, PlannedTie, ProcessedUpdate, Progress


@dataclass(frozen=True)
class Identity:
    """Who is talking, as the transport knows them."""

    external_id: str  # "tg:<user id>" or "term:<name>"
    channel: str  # "telegram" | "terminal"
    chat_id: int
    language_hint: str | None = None  # Telegram's language_code, used before they choose


# Statements every update runs, built once (building them cost as much as running them).
_PARTICIPANT = select(Participant).where(Participant.external_id == bindparam("external_id"))
_PARTICIPANT_FOR_UPDATE = _PARTICIPANT.with_for_update()
_PARTICIPANT_T = cast(Table, Participant.__table__)
_ANSWER_T = cast(Table, Answer.__table__)
_PROGRESS_T = cast(Table, Progress.__table__)
_MAPS_T = cast(Table, NetworkMap.__table__)
_PLANNED_T = cast(Table, PlannedTie.__table__)


def _own(owner: Any, *, named: bool = False) -> Any:
    """What the snapshot reads of a participant's own rows, in one statement: their answers
    ("a"), the items they completed ("p"), whether they have a map ("m"; the maps are loaded
    only then, and only for a step that reads them) and a planned tie ("l": the menu offers the
    plans without loading the maps). ``owner``: their id, a parameter or a column; ``named``:
    the columns named (kind, key, text), to be read from as a subquery."""
    answer: tuple[Any, ...] = (literal_column("'a'"), _ANSWER_T.c.exercise_key, _ANSWER_T.c.text)
    if named:
        answer = tuple(c.label(n) for c, n in zip(answer, ("kind", "key", "text"), strict=True))
    return union_all(
        select(*answer).where(_ANSWER_T.c.participant_id == owner),
        select(literal_column("'p'"), _PROGRESS_T.c.item_key, null()).where(
            _PROGRESS_T.c.participant_id == owner
        ),
        select(literal_column("'m'"), literal_column("''"), null()).where(
            exists().where(_MAPS_T.c.participant_id == owner)
        ),
        select(literal_column("'l'"), literal_column("''"), null()).where(
            exists().where(_PLANNED_T.c.map_id == _MAPS_T.c.id, _MAPS_T.c.participant_id == owner)
        ),
    )


_OWNER: BindParameter[int] = bindparam("participant")
# The participant's own rows on their own (``participants.snapshot``): SQLite, and PostgreSQL
# when the lock could not read them (see ``_with_own``).
OWN = _own(_OWNER)
# A new participant: the row as ``locked`` creates it (a Core statement with its parameters
# bound at run time; the ORM's bulk insert, built per call, cost a third of a new chat's update).
_NEW_COLUMNS = (
    "external_id",
    "chat_id",
    "language",
    "state",
    "state_data",
    "seq",
    "active",
    "ignored_nudges",
    "reminder_time",
    "quiet_start",
    "quiet_end",
    "created_at",
    "updated_at",
)
# Its whole row comes back (RETURNING) as the participant: no second read. A row this
# transaction inserted is as good as locked (nobody else sees it before the COMMIT).
_NEW_PARTICIPANT = {
    dialect: select(Participant).from_statement(
        insert(_PARTICIPANT_T)
        .values({name: bindparam(name, type_=_PARTICIPANT_T.c[name].type) for name in _NEW_COLUMNS})
        .on_conflict_do_nothing(index_elements=["external_id"])
        .returning(*_PARTICIPANT_T.c)
    )
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_PROCESSED_T = cast(Table, ProcessedUpdate.__table__)
# The duplicate check and the mark in one statement (RETURNING: psycopg's rowcount is -1 here).
_FIRST_TIME = {
    dialect: insert(_PROCESSED_T)
    .values(
        update_id=bindparam("update"),
        participant_id=bindparam("participant"),
        processed_at=bindparam("now"),
    )
    .on_conflict_do_nothing(index_elements=["update_id"])
    .returning(_PROCESSED_T.c.update_id)
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


def _with_mark(row: Any, name: str) -> Any:
    """PostgreSQL: the participant in ``row`` (a CTE of their row) with the update marked
    handled in the same statement (the mark a data-modifying CTE fed by that row, named
    ``name``), and whether the mark is new: one round trip for both."""
    mark = (
        pg_insert(_PROCESSED_T)
        .from_select(
            ["update_id", "participant_id", "processed_at"],
            select(
                bindparam("update", type_=_PROCESSED_T.c.update_id.type),
                row.c.id,
                bindparam("now", type_=_PROCESSED_T.c.processed_at.type),
            ),
        )
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(_PROCESSED_T.c.update_id)
        .cte(name)
    )
    return select(
        aliased(Participant, row), exists(select(mark.c.update_id)).label("first")
    ).add_cte(mark)


def _with_own(statement: Any, row: Any) -> Any:
    """``statement`` (of the locked participant in ``row``) with their own rows (``_own``, as
    one JSON array) and whether those are theirs as of the lock (``fresh``).

    The rows are read from the statement's snapshot, taken before the lock: if the lock waited
    for another transaction that changed them, they are out of date. Every transaction that
    changes a participant's own rows holds their lock and writes their row as well (the
    conversation writes it on every event, the Mini App its ``updated_at``;
    ``tests/conftest.py`` checks it in every test). So if the row the lock got is the row the
    snapshot sees (the same version: ``xmin``), nobody changed their rows since the snapshot;
    if not, ``fresh`` is false and ``participants.snapshot`` reads them again.
    """
    own = _own(row.c.id, named=True).subquery("own")
    rows = func.json_agg(func.json_build_array(own.c.kind, own.c.key, own.c.text))
    seen = _PARTICIPANT_T.alias("seen")
    seen_version = (
        select(literal_column("seen.xmin")).where(seen.c.id == row.c.id).scalar_subquery()
    )
    fresh = func.coalesce(seen_version == row.c.version, false())
    return statement.add_columns(
        select(rows).select_from(own).scalar_subquery().label("own"), fresh.label("fresh")
    )


# Someone we know, locked, with their own rows. The participant is read from the lock's CTE:
# after waiting for another transaction's lock, that is the row as that one left it (a second
# read of the table in the same statement would see the snapshot from before the wait).
_LOCKED = _PARTICIPANT_FOR_UPDATE.add_columns(literal_column("participants.xmin").label("version"))
_LOCKED_CTE = _LOCKED.cte("locked")
_LOCK_AND_MARK = _with_own(_with_mark(_LOCKED_CTE, "marked"), _LOCKED_CTE)
# Someone new, created; no row at all if a racing transaction has just created them
# (``locked`` sorts that out).
_CREATE_AND_MARK = _with_mark(
    pg_insert(_PARTICIPANT_T)
    .values({name: bindparam(name, type_=_PARTICIPANT_T.c[name].type) for name in _NEW_COLUMNS})
    .on_conflict_do_nothing(index_elements=["external_id"])
    .returning(*_PARTICIPANT_T.c)
    .cte("created"),
    "marked_new",
)


def _asking_coach(statement: Any) -> Any:
    """``statement`` with whether the sender coaches: their coach id, or NULL (``coach``)."""
    return statement.add_columns(COACH_ID.scalar_subquery().label("coach"))


# The two statements above, for an update whose flows ask whether the sender coaches
# (``Needs.coach``: every /start and /menu): the question rides on them, a round trip less.
# Like the own rows, the answer is the snapshot's: used only if it is ``fresh`` (the update
# before, which the lock waited for, may have made them a coach: ``cohorts.redeem_invite``).
_LOCK_AND_MARK_ASKING = _asking_coach(_LOCK_AND_MARK)
_CREATE_AND_MARK_ASKING = _asking_coach(_CREATE_AND_MARK)


@dataclass(frozen=True)
class CoachCheck:
    """Whether the sender coaches, read with their lock: their coach id, or None."""

    coach_id: int | None


@dataclass(frozen=True)
class Arrival:
    """Who an update is from, locked for the transaction; whether it is new to us."""

    participant: Participant | None  # None: unknown, and not to be created
    created: bool = False  # this transaction created them
    first_time: bool = True  # the update was not handled before (now marked handled)
    # Their own rows (``OWN``'s): read with the lock where they could be, none for someone
    # new (a statement less on a first ``/start``); else None, and the snapshot reads them.
    own: tuple[tuple[str, str, str | None], ...] | None = None
    # Whether they coach, where it was asked (``coach_user``) and read with the lock; else
    # None, and whoever needs it asks (``coach_views.coach_id_of``).
    coach: CoachCheck | None = None


def arrive(
    session: Session,
    who: Identity,
    update_id: int | None,
    now: datetime,
    default_locale: str,
    *,
    create: bool = True,
    coach_user: int | None = None,
) -> Arrival:
    """:func:`locked`, then :func:`first_time` for ``update_id``: on PostgreSQL one round trip
    for both, and the participant's own rows, for someone we know (nearly every update); two
    for someone new (the lock finds nobody; the row is created and the update marked in one
    statement). ``coach_user``: a Telegram user the update's flows ask about (whether they
    coach); on PostgreSQL the same statement answers it (``Arrival.coach``)."""
    participant: Participant | None
    if update_id is not None and session.get_bind().dialect.name == "postgresql":
        asking = coach_user is not None
        params = {"external_id": who.external_id, "update": update_id, "now": now}
        if asking:
            params["user"] = coach_user
        lock = _LOCK_AND_MARK_ASKING if asking else _LOCK_AND_MARK
        found = session.execute(lock, params).first()
        if found is not None:
            known, first, own, fresh, *coach = found
            _welcome_back(known)
            if not fresh:  # the lock waited for a transaction that wrote them: read again
                return Arrival(known, False, bool(first))
            read = tuple(tuple(row) for row in own or ())
            return Arrival(known, False, bool(first), read, _checked(coach))
        if not create:
            return Arrival(None)
        # Not found: someone new (or their first updates racing: ``locked`` sorts it out).
        values = {**_new_row(who, now, default_locale), **params}
        make = _CREATE_AND_MARK_ASKING if asking else _CREATE_AND_MARK
        made = session.execute(make, values).first()
        if made is not None:
            new, first, *coach = made
            return Arrival(new, True, bool(first), (), _checked(coach))
        participant, created = locked(session, who, now, default_locale)
    else:
        participant, created = locked(session, who, now, default_locale, create=create)
    own = () if created else None  # someone new has no rows of their own yet
    if participant is None or update_id is None:
        return Arrival(participant, created, own=own)
    first = first_time(session, update_id, participant.id, now)
    return Arrival(participant, created, first, own)


def _checked(coach: list[Any]) -> CoachCheck | None:
    """The statement's ``coach`` column, if it was asked."""
    return CoachCheck(coach[0]) if coach else None


def first_time(session: Session, update_id: int, participant_id: int, now: datetime) -> bool:
    """Record the update as handled; False if it already was (Telegram redelivered it)."""
    statement = _FIRST_TIME[session.get_bind().dialect.name]
    params = {"update": update_id, "participant": participant_id, "now": now}
    return (session.execute(statement, params)).first() is not None


def lock(session: Session, who: Identity, now: datetime, default_locale: str) -> Participant:
    """Fetch (creating if new) and row-lock the participant for the rest of the transaction."""
    participant, _ = locked(session, who, now, default_locale)
    assert participant is not None  # created if new
    return participant


def locked(
    session: Session,
    who: Identity,
    now: datetime,
    default_locale: str,
    *,
    create: bool = True,
) -> tuple[Participant | None, bool]:
    """``_lock_participant``, and whether this transaction created them (without ``create``,
    someone unknown is None)."""
    bind = session.get_bind()
    query = _PARTICIPANT_FOR_UPDATE if bind.dialect.name == "postgresql" else _PARTICIPANT
    key = {"external_id": who.external_id}
    # Someone we know (nearly every update): one statement. Someone new: created, then locked
    # (two first updates of a new participant racing meet at the unique external_id).
    participant = (session.execute(query, key)).scalar_one_or_none()
    created = False
    if participant is None and not create:
        return None, False
    if participant is None:
        participant = _create(session, who, now, default_locale)
        created = participant is not None
        if participant is None:  # created by a racing transaction since: theirs, locked
            participant = (session.execute(query, key)).scalar_one()
    _welcome_back(participant)
    return participant, created


def _create(
    session: Session, who: Identity, now: datetime, default_locale: str
) -> Participant | None:
    """A new participant's row, or None if another transaction has just created it."""
    statement = _NEW_PARTICIPANT[session.get_bind().dialect.name]
    values = _new_row(who, now, default_locale)
    return session.execute(statement, values).scalar_one_or_none()


def _new_row(who: Identity, now: datetime, default_locale: str) -> dict[str, Any]:
    """A new participant's columns (``_NEW_COLUMNS``)."""
    language = who.language_hint if who.language_hint in text.LOCALES else default_locale
    return {
        "external_id": who.external_id,
        "chat_id": who.chat_id,
        "language": language,
        "state": "onboarding.consent",
        "state_data": {},
        "seq": 0,
        "active": True,
        "ignored_nudges": 0,
        "reminder_time": DEFAULT_REMINDER_TIME,
        "quiet_start": DEFAULT_QUIET_START,
        "quiet_end": DEFAULT_QUIET_END,
        "created_at": now,
        "updated_at": now,
    }


def _welcome_back(participant: Participant) -> None:
    if not participant.active:
        participant.active = True  # they wrote to us: they are back
        participant.ignored_nudges = 0
