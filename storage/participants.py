"""A participant's own rows: the row lock, repeats, the snapshot, effects stored, replies queued.

Repository functions of a ``Session``, run inside the application's transaction for an event
(``app/conversations.py``): nothing here runs the engine or renders a reply.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    Table,
    bindparam,
    exists,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value

from coaching import address, text, unloaded
from coaching.curriculum import EXERCISES
from coaching.model import (
    DEFAULT_QUIET_END,
    DEFAULT_QUIET_START,
    DEFAULT_REMINDER_TIME,
    Profile,
    SaveAnswer,
    Snapshot,
)
from coaching.network import MapView
from storage import maps, outbox_queue, riding
from storage.models import (
    Answer,
    NetworkMap,
    Participant,
    PlannedTie,
    ProcessedUpdate,
    Progress,
)
from storage.outbox_queue import Pending

PROFILE_FIELDS = frozenset({"name", "unit", "language", "timezone", "reminder"}) | frozenset(
    {"reminder_time", "quiet_start", "quiet_end"}
)


@dataclass(frozen=True)
class Identity:
    """Who is talking, as the transport knows them."""

    external_id: str  # "tg:<user id>" or "term:<name>"
    channel: str  # "telegram" | "terminal"
    chat_id: int
    language_hint: str | None = None  # Telegram's language_code, used before they choose


class InviteLost(Exception):
    """A coach invite checked in this transaction could not be redeemed in it."""


# Statements every update runs, built once (building them cost as much as running them).
_PARTICIPANT = select(Participant).where(Participant.external_id == bindparam("external_id"))
_PARTICIPANT_FOR_UPDATE = _PARTICIPANT.with_for_update()
_ANSWER_T = cast(Table, Answer.__table__)
_PROGRESS_T = cast(Table, Progress.__table__)
_MAPS_T = cast(Table, NetworkMap.__table__)
_PLANNED_T = cast(Table, PlannedTie.__table__)
_OWNER: BindParameter[int] = bindparam("participant")
# What the snapshot reads of the participant's own rows, in one statement: their answers ("a"),
# the items they completed ("p"), whether they have a map ("m"; the maps are loaded only
# then, and only for a step that reads them) and a planned tie ("l": the menu offers the
# plans without loading the maps). One round trip where there were three.
_OWN = union_all(
    select(literal_column("'a'"), _ANSWER_T.c.exercise_key, _ANSWER_T.c.text).where(
        _ANSWER_T.c.participant_id == _OWNER
    ),
    select(literal_column("'p'"), _PROGRESS_T.c.item_key, null()).where(
        _PROGRESS_T.c.participant_id == _OWNER
    ),
    select(literal_column("'m'"), literal_column("''"), null()).where(
        exists().where(_MAPS_T.c.participant_id == _OWNER)
    ),
    select(literal_column("'l'"), literal_column("''"), null()).where(
        exists().where(_PLANNED_T.c.map_id == _MAPS_T.c.id, _MAPS_T.c.participant_id == _OWNER)
    ),
)
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


# A participant's columns written by ``write``: one UPDATE per set of columns, built on first use,
# with its form as a CTE (``storage/riding.py``). Its parameters are prefixed (``w_``) so that
# they never meet the INSERT's it rides with.
_WRITES: dict[frozenset[str], tuple[Any, Any]] = {}


def stage(participant: Participant, values: Mapping[str, Any]) -> riding.Rider | None:
    """The UPDATE that sets these columns of the (locked) participant, to run with the
    transaction's replies (:func:`queue`); the loaded object is in step from now on.

    Not through the unit of work: every update changes its participant's row, and the ORM's
    flush of that one row cost more than the whole UPDATE (a sixth of an update's time on the
    database thread). ``set_committed_value`` gives the object the new values without
    marking it changed; a column also changed through the ORM before (say, by a storage
    function of an effect) is flushed first and then overwritten by this UPDATE, as an
    assignment after it would have been.
    """
    if not values:
        return None
    columns = frozenset(values)
    built = _WRITES.get(columns)
    if built is None:
        statement = (
            update(_PARTICIPANT_T)
            .where(_PARTICIPANT_T.c.id == bindparam("w_participant"))
            .values(
                {
                    name: bindparam(f"w_{name}", type_=_PARTICIPANT_T.c[name].type)
                    for name in columns
                }
            )
        )
        built = _WRITES[columns] = (
            statement,
            statement.returning(_PARTICIPANT_T.c.id).cte("written"),
        )
    for name, value in values.items():
        set_committed_value(participant, name, value)
    params = {"w_participant": participant.id, **{f"w_{k}": v for k, v in values.items()}}
    return riding.Rider(statement=built[0], cte=built[1], params=params)


def write(session: Session, participant: Participant, values: Mapping[str, Any]) -> None:
    """Set these columns of the (locked) participant with one UPDATE now (see :func:`stage`)."""
    staged = stage(participant, values)
    if staged is not None:
        session.execute(staged.statement, staged.params)


def snapshot(
    session: Session,
    participant: Participant,
    now: datetime,
    *,
    load_maps: bool = True,
    created: bool = False,
) -> Snapshot:
    """The participant's snapshot; without ``load_maps``, a participant who has maps gets
    placeholders for them (``coaching/unloaded.py``), loaded by :func:`with_maps` if a step
    reads them. ``created``: this transaction created them, so they have no rows of their own
    yet and none are read (a statement less on a first ``/start``)."""
    answers: dict[str, str] = {}
    done: list[str] = []
    has_maps = has_plans = False
    own = () if created else session.execute(_OWN, {"participant": participant.id})
    for kind, key, answer in own:
        if kind == "a":
            answers[key] = answer
        elif kind == "p":
            done.append(key)
        elif kind == "m":
            has_maps = True
        else:
            has_plans = True
    completed = frozenset(done)
    profile = Profile(
        name=participant.name,
        unit=participant.unit,
        language=text.normalise_locale(participant.language),
        timezone=participant.timezone,
        reminder=participant.reminder,
        consent_at=participant.consent_at,
        reminder_time=participant.reminder_time,
        quiet_start=participant.quiet_start,
        quiet_end=participant.quiet_end,
    )
    network: MapView | None
    last: Mapping[str, Any] | None
    if has_maps and not load_maps:
        views, network, last = unloaded.MAPS, unloaded.NETWORK, unloaded.ANALYSIS
    else:
        views, network, last = _maps_of(session, participant, has_maps)
    return Snapshot(
        profile=profile,
        state=participant.state,
        data=dict(participant.state_data or {}),
        seq=participant.seq,
        now=now,
        answers=answers,
        completed=completed,
        network=network,
        maps=views,
        last_analysis=last,
        has_plans=has_plans,
    )


def with_maps(session: Session, participant: Participant, snap: Snapshot) -> Snapshot:
    """The snapshot with the participant's maps loaded, if they were left out."""
    if not unloaded.pending(snap):
        return snap
    views, network, last = _maps_of(session, participant, True)
    return dataclasses.replace(snap, maps=views, network=network, last_analysis=last)


def _maps_of(
    session: Session, participant: Participant, has_maps: bool
) -> tuple[tuple[MapView, ...], MapView | None, Mapping[str, Any] | None]:
    """Every map of the participant, the active one, and its last analysis."""
    views = maps.load_maps(session, participant.id) if has_maps else ()
    network = maps.active_view(participant, views)
    return views, network, maps.last_analysis(session, network.id if network else None)


def save_answer(
    session: Session, participant: Participant, effect: SaveAnswer, now: datetime
) -> None:
    answer = (
        session.execute(
            select(Answer).where(
                Answer.participant_id == participant.id, Answer.exercise_key == effect.exercise
            )
        )
    ).scalar_one_or_none()
    if answer is None:
        session.add(
            Answer(
                participant_id=participant.id,
                exercise_key=effect.exercise,
                text=effect.text,
                data=dict(effect.data or {}),
                created_at=now,
                updated_at=now,
            )
        )
    else:
        answer.text, answer.updated_at = effect.text, now
        if effect.data is not None:
            answer.data = dict(effect.data)
    if effect.exercise in EXERCISES and not effect.draft:
        complete(session, participant, effect.exercise, now)
    elif effect.draft:  # a draft counts for nothing, whatever was counted before
        done = session.get(Progress, (participant.id, effect.exercise))
        if done is not None:
            session.delete(done)


def complete(session: Session, participant: Participant, item: str, now: datetime) -> None:
    """One progress row per item (an exercise answered, a piece of network work done)."""
    if session.get(Progress, (participant.id, item)) is None:
        session.add(Progress(participant_id=participant.id, item_key=item, completed_at=now))


def queue(
    session: Session,
    participant: Participant,
    who: Identity,
    payloads: Sequence[dict[str, Any]],
    seq: int,
    now: datetime,
    *,
    claim_as: str | None = None,
    write: riding.Rider | None = None,
) -> tuple[tuple[int, ...], Pending | None]:
    """Queue the payloads; with ``claim_as``, the first leased to that deliverer if it may be;
    ``write``: the participant's columns (:func:`stage`), written in the same statement on
    PostgreSQL.

    See ``outbox_queue.enqueue``: the caller sends it at once after the commit.
    """
    messages = [
        {
            **{k: v for k, v in payload.items() if k != "stable"},
            "seq": 0 if payload.get("stable") else seq,
        }
        for payload in payloads
    ]
    return outbox_queue.enqueue(
        session,
        participant.id,
        who.channel,
        who.chat_id,
        messages,
        now,
        claim_as=claim_as,
        rider=write,
    )


def address_form(session: Session, participant_id: int) -> str | None:
    """The form of address the participant chose in onboarding or with ``/sapaan`` (the
    answer row ``profile.address``): what ``{{ Anda }}`` says in a text rendered for them
    outside their own conversation (a nudge, a coach's reply). None if not chosen."""
    chosen = session.execute(
        select(Answer.text).where(
            Answer.participant_id == participant_id, Answer.exercise_key == address.ANSWER_KEY
        )
    ).scalar_one_or_none()
    return address.form_of(chosen)
