"""The engine's effects stored: one table from each effect kind to the function that persists
it (``STORED``), the twin of ``coaching.effects.APPLIED`` (what the same effect does to the
snapshot). The application calls :func:`store_effects` inside the event's transaction; the
kinds it runs after the commit (``coaching.effects.AFTER_COMMIT``) and ``ForgetParticipant``
(``storage/privacy.py``) are not stored here."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from coaching.effects import AFTER_COMMIT
from coaching.model import (
    BecomeCoach,
    CompleteItem,
    Effect,
    ForgetParticipant,
    JoinCohort,
    RecordConsent,
    ResolvePlan,
    SaveAnswer,
    SnoozeReminder,
    StopReminders,
    UpdateProfile,
    WriteBack,
)
from storage import answer_notes, cohorts, networks, participants, plans, reminders
from storage.arrivals import Identity
from storage.models import Participant
from storage.participants import PROFILE_FIELDS, InviteLost


@dataclass(frozen=True)
class Stored:
    """What storing the effects did that the application acts on in the same transaction:
    answers written back to a coach, whose coaches it tells (``app/coach.tell_coaches``)."""

    written_back: tuple[answer_notes.WrittenBack, ...] = ()


@dataclass
class Context:
    """What a store function may need beyond the effect: who sent the event, and the
    participant's own columns to write with one UPDATE (``participants.write``); what it
    did that the application acts on goes into ``written_back``."""

    who: Identity | None
    columns: dict[str, Any] = dataclasses.field(default_factory=dict)
    written_back: list[answer_notes.WrittenBack] = dataclasses.field(default_factory=list)

    def assign(self, participant: Participant, name: str, value: Any) -> None:
        """The loaded participant sees the new value at once (later effects read it);
        ``participants.write`` stores it."""
        set_committed_value(participant, name, value)
        self.columns[name] = value


Store = Callable[[Session, Participant, Any, datetime, Context], object]
NOT_STORED = (*AFTER_COMMIT, ForgetParticipant)


def store_effects(
    session: Session,
    participant: Participant,
    effects: Sequence[Effect],
    now: datetime,
    who: Identity | None = None,
    *,
    columns: dict[str, Any] | None = None,
) -> Stored:
    """Store the effects. The participant's own columns they set (profile, consent) are
    written with ``participants.write``: into ``columns`` for the caller to write with its
    own, if given, else here. Returns what the application still has to act on."""
    context = Context(who, {} if columns is None else columns)
    for effect in effects:
        if not isinstance(effect, NOT_STORED):
            STORED[type(effect)](session, participant, effect, now, context)
    if columns is None:
        participants.write(session, participant, context.columns)
    return Stored(tuple(context.written_back))


def _profile(
    session: Session,
    participant: Participant,
    effect: UpdateProfile,
    now: datetime,
    context: Context,
) -> None:
    for field, value in effect.fields.items():
        if field not in PROFILE_FIELDS:
            raise ValueError(f"not a profile field: {field}")
        context.assign(participant, field, value)
        if field == "name" and value:
            networks.rename_ego(session, participant, str(value))
    if reminders.SCHEDULE_FIELDS & set(effect.fields):
        reminders.reschedule(session, participant, now)


def _consent(
    session: Session,
    participant: Participant,
    effect: RecordConsent,
    now: datetime,
    context: Context,
) -> None:
    context.assign(participant, "consent_at", now)
    context.assign(participant, "consent_version", effect.version)


def _become_coach(
    session: Session,
    participant: Participant,
    effect: BecomeCoach,
    now: datetime,
    context: Context,
) -> None:
    who = context.who
    user = cohorts.telegram_user(who.external_id) if who else None
    cohort = cohorts.redeem_invite(session, user, effect.token, now) if user else None
    if cohort is None:
        # Checked in this transaction under the invite's lock: cannot happen; if it does,
        # nothing is committed and the coach is told something went wrong.
        raise InviteLost(participant.state)


def _write_back(
    session: Session,
    participant: Participant,
    effect: WriteBack,
    now: datetime,
    context: Context,
) -> None:
    written = answer_notes.write_back(session, participant.id, effect.answer_id, effect.text, now)
    if written is not None:
        context.written_back.append(written)


def _map(store: Callable[[Session, Participant, Any, datetime], None]) -> Store:
    return lambda session, participant, effect, now, _: store(session, participant, effect, now)


# Adding an effect kind: a line here (or in NOT_STORED) and one in coaching/effects.py's
# APPLIED (tests/test_effects.py checks both cover every kind of ``coaching.model.Effect``).
STORED: Mapping[type, Store] = {
    UpdateProfile: _profile,
    RecordConsent: _consent,
    SaveAnswer: lambda session, participant, effect, now, _: participants.save_answer(
        session, participant, effect, now
    ),
    CompleteItem: lambda session, participant, effect, now, _: participants.complete(
        session, participant, effect.item, now
    ),
    JoinCohort: lambda session, participant, effect, now, _: cohorts.join_cohort(
        session, participant, effect.code, now
    ),
    BecomeCoach: _become_coach,
    WriteBack: _write_back,
    ResolvePlan: lambda session, participant, effect, now, _: plans.resolve(
        session, participant, effect, now
    ),
    SnoozeReminder: lambda session, participant, effect, now, _: reminders.apply_snooze(
        session, participant, effect, now
    ),
    StopReminders: lambda session, participant, effect, now, _: reminders.apply_stop(
        session, participant, effect, now
    ),
    **{kind: _map(store) for kind, store in networks.STORED.items()},
}
