"""Who an update is from: their row found and locked (or created), the update marked handled.

The first statements of every update's transaction (``app/conversations.py``): on PostgreSQL
the lock and the mark are one round trip for someone we know, and the creation and the mark one
for someone new. The rest of a participant's rows are ``storage/participants.py``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from coaching import text
from coaching.model import DEFAULT_QUIET_END, DEFAULT_QUIET_START, DEFAULT_REMINDER_TIME
from storage.models import Participant, ProcessedUpdate


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


# Someone we know, locked. The participant is read from the lock's CTE: after waiting for
# another transaction's lock, that is the row as that one left it (a second read of the table
# in the same statement would see the snapshot from before the wait).
_LOCK_AND_MARK = _with_mark(_PARTICIPANT_FOR_UPDATE.cte("locked"), "marked")
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


@dataclass(frozen=True)
class Arrival:
    """Who an update is from, locked for the transaction; whether it is new to us."""

    participant: Participant | None  # None: unknown, and not to be created
    created: bool = False  # this transaction created them
    first_time: bool = True  # the update was not handled before (now marked handled)


def arrive(
    session: Session,
    who: Identity,
    update_id: int | None,
    now: datetime,
    default_locale: str,
    *,
    create: bool = True,
) -> Arrival:
    """:func:`locked`, then :func:`first_time` for ``update_id``: on PostgreSQL one round trip
    for both for someone we know (nearly every update), two for someone new (the lock finds
    nobody; the row is created and the update marked in one statement)."""
    participant: Participant | None
    if update_id is not None and session.get_bind().dialect.name == "postgresql":
        params = {"external_id": who.external_id, "update": update_id, "now": now}
        found = session.execute(_LOCK_AND_MARK, params).first()
        if found is not None:
            known, first = found
            _welcome_back(known)
            return Arrival(known, False, bool(first))
        if not create:
            return Arrival(None)
        # Not found: someone new (or their first updates racing: ``locked`` sorts it out).
        values = {**_new_row(who, now, default_locale), "update": update_id, "now": now}
        made = session.execute(_CREATE_AND_MARK, values).first()
        if made is not None:
            new, first = made
            return Arrival(new, True, bool(first))
        participant, created = locked(session, who, now, default_locale)
    else:
        participant, created = locked(session, who, now, default_locale, create=create)
    if participant is None or update_id is None:
        return Arrival(participant, created)
    return Arrival(participant, created, first_time(session, update_id, participant.id, now))


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
