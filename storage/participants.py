"""A participant's own rows, once ``storage/arrivals.py`` has locked them: the snapshot, effects
stored, replies queued.

Repository functions of a ``Session``, run inside the application's transaction for an event
(``app/conversations.py``): nothing here runs the engine or renders a reply.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Table,
    bindparam,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from coaching import address, text, unloaded
from coaching.curriculum import EXERCISES
from coaching.model import (
    Profile,
    SaveAnswer,
    Snapshot,
)
from coaching.network import MapView
from storage import arrivals, maps, outbox_queue, riding
from storage.arrivals import Identity
from storage.models import (
    Answer,
    Participant,
    Progress,
)
from storage.outbox_queue import Pending

PROFILE_FIELDS = frozenset({"name", "unit", "language", "timezone", "reminder"}) | frozenset(
    {"reminder_time", "quiet_start", "quiet_end"}
)


class InviteLost(Exception):
    """A coach invite checked in this transaction could not be redeemed in it."""


_PARTICIPANT_T = cast(Table, Participant.__table__)


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
    read: Sequence[Sequence[Any]] | None = None,
) -> Snapshot:
    """The participant's snapshot; without ``load_maps``, a participant who has maps gets
    placeholders for them (``coaching/unloaded.py``), loaded by :func:`with_maps` if a step
    reads them. ``read``: their own rows as the arrival has them (``arrivals.Arrival.own``:
    read with the lock, or none for someone new); None, and they are read here."""
    answers: dict[str, str] = {}
    done: list[str] = []
    has_maps = has_plans = False
    own = read
    if own is None:
        own = session.execute(arrivals.OWN, {"participant": participant.id}).all()
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
