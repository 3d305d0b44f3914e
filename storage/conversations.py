"""One participant event as one transaction: load, decide (pure engine), persist, queue replies.

The replies are rendered and written to the outbox inside the same transaction as the state
change, so a committed step always has its answer waiting to be sent, and a crash before the
commit leaves no trace (the update is redelivered and handled afresh).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from coaching import engine, text
from coaching.curriculum import EXERCISES
from coaching.model import (
    DEFAULT_QUIET_END,
    DEFAULT_QUIET_START,
    DEFAULT_REMINDER_TIME,
    BecomeCoach,
    ChangeMap,
    CompleteItem,
    CreateMap,
    Effect,
    Event,
    EventKind,
    ForgetParticipant,
    JoinCohort,
    NudgeParticipants,
    Outcome,
    PlanKltb,
    PlanTie,
    Profile,
    RecordConsent,
    RecordKltb,
    Reply,
    ReplyToAnswer,
    ResolvePlan,
    SaveAnalysis,
    SaveAnswer,
    SelectMap,
    Snapshot,
    SnoozeReminder,
    StopReminders,
    UpdateProfile,
    WriteBack,
)
from storage import (
    answer_notes,
    cohorts,
    deadletters,
    networks,
    outbox,
    plans,
    privacy,
    reminders,
)
from storage.db import Database
from storage.models import (
    Answer,
    Participant,
    ProcessedUpdate,
    Progress,
)
from storage.outbox import Pending

log = logging.getLogger(__name__)

PROFILE_FIELDS = frozenset({"name", "unit", "language", "timezone", "reminder"}) | frozenset(
    {"reminder_time", "quiet_start", "quiet_end"}
)


# Statements every update runs, built once (building them cost as much as running them).
_PARTICIPANT = select(Participant).where(Participant.external_id == bindparam("external_id"))
_PARTICIPANT_FOR_UPDATE = _PARTICIPANT.with_for_update()
_ANSWER_T = cast(Table, Answer.__table__)
_ANSWERS = select(_ANSWER_T.c.exercise_key, _ANSWER_T.c.text).where(
    _ANSWER_T.c.participant_id == bindparam("participant")
)
_PROGRESS_T = cast(Table, Progress.__table__)
_PROGRESS = select(_PROGRESS_T.c.item_key).where(
    _PROGRESS_T.c.participant_id == bindparam("participant")
)
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


@dataclass(frozen=True)
class Identity:
    """Who is talking, as the transport knows them."""

    external_id: str  # "tg:<user id>" or "term:<name>"
    channel: str  # "telegram" | "terminal"
    chat_id: int
    language_hint: str | None = None  # Telegram's language_code, used before they choose


@dataclass(frozen=True)
class Handled:
    participant_id: int
    state: str
    locale: str
    outbox_ids: tuple[int, ...] = ()
    toast: str | None = None  # rendered text for a button's pop-up answer
    duplicate: bool = False
    failed: bool = False
    # Effects to run after the commit (a coach's nudge: reminders open their own transactions).
    deferred: tuple[NudgeParticipants | ReplyToAnswer, ...] = ()
    # The first reply, already leased to the caller's deliverer (see ``claim_as``).
    claimed: Pending | None = None
    # The sender is a coach (just redeemed an invite, or opened their home): the transport
    # sets their own command menu.
    coach_menu: bool = False


async def handle_event(
    db: Database,
    who: Identity,
    event: Event,
    *,
    update_id: int | None = None,
    now: datetime | None = None,
    default_locale: str = text.DEFAULT_LOCALE,
    pressed_message_id: int | None = None,
    claim_as: str | None = None,
    raw_update: Callable[[], Mapping[str, Any]] | None = None,
    retrying: int | None = None,
) -> Handled:
    """Handle one event for one participant, committed before anything is sent.

    ``pressed_message_id`` is the message whose button was pressed: a reply that asks to
    replace it (a toggled multi-select) is sent as an edit of that message. With
    ``claim_as`` (a deliverer's worker name) the first reply is queued already leased to that
    worker when nothing else waits for the chat, so it can be sent at once without a
    transaction of its own to claim it (``Handled.claimed``).

    A transient failure (see ``storage.deadletters``) is raised: nothing was committed and the
    caller has the update delivered again. A deterministic one (the engine raised, the
    database refused a value) is set aside as a dead letter with ``raw_update()`` (the update
    as Telegram sent it) and the participant is told this message could not be saved: the
    update counts as handled, so it blocks nothing. ``retrying`` is the dead letter this event
    came from (``jejaring dead-letters retry``): resolved with the commit, or counted again.
    """
    now = now or datetime.now(UTC)
    if event.kind is EventKind.DOCUMENT:
        # A big CSV's parsing and checking, on a thread of its own: the database's thread (on
        # SQLite, everyone's) only gets the transaction (issue 18).
        event = await _prepared(event)

    try:
        handled = await db.run(
            lambda session: _handle(
                session,
                who,
                event,
                update_id,
                now,
                default_locale,
                pressed_message_id,
                claim_as,
                retrying,
            )
        )
        if handled.deferred:
            handled = await _run_deferred(db, who, handled, now)
        return handled
    except _EngineFailure as failure:
        log.exception(
            "engine failed: participant=%s state=%s event=%s update=%s",
            privacy.pseudonym(who.external_id),  # logs outlive /hapus_data: no Telegram id
            failure.state,
            event.kind,
            update_id,
            exc_info=failure.__cause__,
        )
        cause: BaseException = failure.__cause__ or failure
    except Exception as exc:
        if deadletters.is_transient(exc):
            raise
        log.exception(
            "update %s of participant %s failed deterministically: set aside",
            update_id,
            privacy.pseudonym(who.external_id),  # logs outlive /hapus_data: no Telegram id
        )
        cause = exc
    return await _set_aside(
        db, who, event, update_id, now, default_locale, raw_update, cause, retrying
    )


async def _set_aside(
    db: Database,
    who: Identity,
    event: Event,
    update_id: int | None,
    now: datetime,
    locale: str,
    raw_update: Callable[[], Mapping[str, Any]] | None,
    cause: BaseException,
    retrying: int | None,
) -> Handled:
    """Record the dead letter, tell the participant, mark the update handled: one commit."""
    payload = {
        "update": dict(raw_update()) if raw_update is not None else None,
        "event": deadletters.event_json(event),
        "identity": dataclasses.asdict(who),
    }
    try:
        return await db.run(
            lambda session: _report_failure(
                session, who, update_id, now, locale, payload, cause, retrying
            )
        )
    except Exception as exc:
        if deadletters.is_transient(exc):
            raise
        # Not even the participant's row can be written (their very first update is what
        # fails): keep the update without them, and acknowledge it all the same.
        log.exception("could not report update %s's failure to its participant", update_id)

    def alone(session: Session) -> int:
        return deadletters.record(
            session,
            kind="update",
            participant_id=None,
            channel=who.channel,
            chat_id=who.chat_id,
            payload=payload,
            error=cause,
            now=now,
            update_id=update_id,
        )

    await db.run(alone)
    return Handled(0, "", locale, failed=True)


async def _prepared(event: Event) -> Event:
    try:
        return await asyncio.to_thread(engine.prepare, event)
    except Exception:  # the engine meets it again in the transaction, and says so there
        log.warning("preparing a document failed; handled in the transaction", exc_info=True)
        return event


async def pending_prompt(db: Database, who: Identity, *, now: datetime | None = None) -> Handled:
    """Queue the current step's question again (a terminal resuming a conversation)."""
    now = now or datetime.now(UTC)

    def job(session: Session) -> Handled:
        participant = _lock_participant(session, who, now, text.DEFAULT_LOCALE)
        snap = _snapshot(session, participant, now)
        ids = _queue(session, participant, who, engine.prompt(snap), snap.seq, now)
        return Handled(participant.id, participant.state, participant.language, ids)

    return await db.run(job)


class _EngineFailure(Exception):
    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


def _handle(
    session: Session,
    who: Identity,
    event: Event,
    update_id: int | None,
    now: datetime,
    default_locale: str,
    pressed_message_id: int | None = None,
    claim_as: str | None = None,
    retrying: int | None = None,
) -> Handled:
    # A button is never someone's first word: a tap on a message of a conversation deleted
    # since (/hapus_data) finds nobody and must not bring their row — their Telegram id —
    # back. It gets the stale button's pop-up and leaves nothing behind.
    button = event.kind is EventKind.CHOICE
    found, created = _locked_participant(session, who, now, default_locale, create=not button)
    if found is None:
        locale = text.normalise_locale(who.language_hint or default_locale)
        stale = text.render(locale, "common.stale_button")
        return Handled(0, "", locale, toast=stale, duplicate=True)
    participant = found
    # Under the participant's lock: the same update can only race with itself there.
    if update_id is not None and not _first_time(session, update_id, participant.id, now):
        if created:  # a repeat of the /hapus_data that deleted them: they stay deleted
            session.delete(participant)
        return Handled(participant.id, participant.state, participant.language, duplicate=True)
    snap = _snapshot(session, participant, now)
    snap = reminders.enrich(session, snap, participant.id, event)  # a nudge's button
    snap = cohorts.enrich(session, snap, who.external_id, event)  # deep links, coaches
    snap = privacy.enrich(session, snap, participant.id, event)  # /ekspor's data
    try:
        # On a database thread (see storage.committer): the engine is pure but not always
        # quick (/analisis of an imported 2,000-actor map takes a second), and the event loop
        # keeps every other chat answered meanwhile.
        outcome, after, replies, toast = _decide(snap, event, pressed_message_id)
    except Exception as exc:
        raise _EngineFailure(participant.state) from exc
    if any(isinstance(effect, ForgetParticipant) for effect in outcome.effects):
        ids = privacy.forget(
            session, participant, who.channel, who.chat_id, replies, update_id, now
        )
        return Handled(participant.id, outcome.state, after.locale, ids, toast)
    _apply_effects(session, participant, outcome.effects, now, who)
    if retrying is not None:
        deadletters.resolve(session, retrying, now)
    if outcome.changed:
        participant.state = outcome.state
        participant.state_data = dict(outcome.data)
        participant.seq = after.seq
    participant.last_active_at = now
    participant.updated_at = now
    participant.ignored_nudges = 0  # any sign of life ends a pause in reminders
    reminders.ensure_scheduled(session, participant, now)  # ...and schedules them again
    if participant.chat_id != who.chat_id:
        participant.chat_id = who.chat_id
    ids, claimed = _queue_rendered(
        session, participant, who, replies, after.seq, now, claim_as=claim_as
    )
    # A coach's screen speaks of participants: deleted with them (/hapus_data, a move).
    privacy.mark_about(session, ids, privacy.subjects(snap.coach))
    deferred = tuple(e for e in outcome.effects if isinstance(e, NudgeParticipants | ReplyToAnswer))
    return Handled(
        participant.id,
        participant.state,
        participant.language,
        ids,
        toast,
        deferred=deferred,
        claimed=claimed,
        coach_menu=any(isinstance(e, BecomeCoach) for e in outcome.effects)
        or (snap.coach is not None and event.command in ("start", "menu")),
    )


def _decide(
    snap: Snapshot, event: Event, pressed_message_id: int | None
) -> tuple[Outcome, Snapshot, list[dict[str, Any]], str | None]:
    """The engine's verdict, rendered: what to store and the payloads to queue."""
    outcome = engine.handle(snap, event)
    after = engine.apply(snap, outcome)
    replies = _render_all(after.locale, outcome.replies)
    if pressed_message_id is None:  # no message to edit: a summary of it has nowhere to go
        replies = [payload for payload in replies if not payload.get("summary")]
    for payload in replies:
        if payload.pop("edit", False) and pressed_message_id is not None:
            payload["edit_message_id"] = pressed_message_id
    toast = text.render(after.locale, outcome.toast) if outcome.toast else None
    return outcome, after, replies, toast


def _report_failure(
    session: Session,
    who: Identity,
    update_id: int | None,
    now: datetime,
    locale: str,
    payload: Mapping[str, Any],
    cause: BaseException,
    retrying: int | None = None,
) -> Handled:
    """Set the update aside and tell the participant it was not saved and what to do instead;
    their state stays as it was."""
    participant = _lock_participant(session, who, now, locale)
    if retrying is not None:  # they were told the first time
        deadletters.failed_again(session, retrying, cause, now)
        return Handled(participant.id, participant.state, participant.language, failed=True)
    if update_id is not None:
        # A deterministic failure would fail again: do not let it block the chat forever.
        _first_time(session, update_id, participant.id, now)
    deadletters.record(
        session,
        kind="update",
        participant_id=participant.id,
        channel=who.channel,
        chat_id=who.chat_id,
        payload=payload,
        error=cause,
        now=now,
        update_id=update_id,
    )
    reply = Reply("common.not_saved", {"state": participant.state})
    ids = _queue(session, participant, who, (reply,), participant.seq, now)
    return Handled(participant.id, participant.state, participant.language, ids, failed=True)


def _first_time(session: Session, update_id: int, participant_id: int, now: datetime) -> bool:
    """Record the update as handled; False if it already was (Telegram redelivered it)."""
    statement = _FIRST_TIME[session.get_bind().dialect.name]
    params = {"update": update_id, "participant": participant_id, "now": now}
    return (session.execute(statement, params)).first() is not None


def _lock_participant(
    session: Session, who: Identity, now: datetime, default_locale: str
) -> Participant:
    """Fetch (creating if new) and row-lock the participant for the rest of the transaction."""
    participant, _ = _locked_participant(session, who, now, default_locale)
    assert participant is not None  # created if new
    return participant


def _locked_participant(
    session: Session,
    who: Identity,
    now: datetime,
    default_locale: str,
    *,
    create: bool = True,
) -> tuple[Participant | None, bool]:
    """``_lock_participant``, and whether this transaction created them (without ``create``,
    someone unknown is None)."""
    language = who.language_hint if who.language_hint in text.LOCALES else default_locale
    values: dict[str, Any] = {
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
        insert = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
        inserted = session.execute(
            insert(Participant)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["external_id"])
            .returning(Participant.id)
        )
        created = inserted.first() is not None
        participant = (session.execute(query, key)).scalar_one()
    if not participant.active:
        participant.active = True  # they wrote to us: they are back
        participant.ignored_nudges = 0
    return participant, created


def _snapshot(session: Session, participant: Participant, now: datetime) -> Snapshot:
    rows = session.execute(_ANSWERS, {"participant": participant.id})
    answers = {key: answer for key, answer in rows.all()}
    completed = frozenset((session.execute(_PROGRESS, {"participant": participant.id})).scalars())
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
    maps = networks.load_maps(session, participant.id)
    network = networks.active_view(participant, maps)
    return Snapshot(
        profile=profile,
        state=participant.state,
        data=dict(participant.state_data or {}),
        seq=participant.seq,
        now=now,
        answers=answers,
        completed=completed,
        network=network,
        maps=maps,
        last_analysis=networks.last_analysis(session, network.id if network else None),
    )


def _apply_effects(
    session: Session,
    participant: Participant,
    effects: Sequence[Effect],
    now: datetime,
    who: Identity | None = None,
) -> None:
    for effect in effects:
        if isinstance(effect, UpdateProfile):
            for field, value in effect.fields.items():
                if field not in PROFILE_FIELDS:
                    raise ValueError(f"not a profile field: {field}")
                setattr(participant, field, value)
                if field == "name" and value:
                    networks.rename_ego(session, participant, str(value))
            if reminders.SCHEDULE_FIELDS & set(effect.fields):
                reminders.reschedule(session, participant, now)
        elif isinstance(effect, RecordConsent):
            participant.consent_at = now
            participant.consent_version = effect.version
        elif isinstance(effect, SaveAnswer):
            _save_answer(session, participant, effect, now)
        elif isinstance(effect, CompleteItem):
            _complete(session, participant, effect.item, now)
        elif isinstance(effect, JoinCohort):
            cohorts.join_cohort(session, participant, effect.code, now)
        elif isinstance(effect, BecomeCoach):
            user = cohorts.telegram_user(who.external_id) if who else None
            cohort = cohorts.redeem_invite(session, user, effect.token, now) if user else None
            if cohort is None:
                # Checked in this transaction under the invite's lock: cannot happen; if it
                # does, nothing is committed and the coach is told something went wrong.
                raise _EngineFailure(participant.state)
        elif isinstance(
            effect,
            CreateMap | SelectMap | ChangeMap | SaveAnalysis | RecordKltb | PlanKltb | PlanTie,
        ):
            networks.apply_network_effect(session, participant, effect, now)
        elif isinstance(effect, WriteBack):
            answer_notes.write_back(session, participant.id, effect.answer_id, effect.text, now)
        elif isinstance(effect, ResolvePlan):
            plans.resolve(session, participant, effect, now)
        elif isinstance(effect, SnoozeReminder):
            reminders.apply_snooze(session, participant, effect, now)
        elif isinstance(effect, StopReminders):
            reminders.apply_stop(session, participant, effect, now)


def _save_answer(
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
        _complete(session, participant, effect.exercise, now)
    elif effect.draft:  # a draft counts for nothing, whatever was counted before
        done = session.get(Progress, (participant.id, effect.exercise))
        if done is not None:
            session.delete(done)


def _complete(session: Session, participant: Participant, item: str, now: datetime) -> None:
    """One progress row per item (an exercise answered, a piece of network work done)."""
    if session.get(Progress, (participant.id, item)) is None:
        session.add(Progress(participant_id=participant.id, item_key=item, completed_at=now))


async def _run_deferred(db: Database, who: Identity, handled: Handled, now: datetime) -> Handled:
    """A coach's nudges, after the commit; their result is one more message to the coach."""
    user = cohorts.telegram_user(who.external_id)
    replies: list[Reply] = []
    replied: set[int] = set()  # participants a reply's confirmation names
    for effect in handled.deferred:
        if user is None:
            replies.append(Reply("coach.denied"))
        elif isinstance(effect, ReplyToAnswer):
            said, about = await answer_notes.coach_reply(db, user, effect, now, who.channel)
            replies.append(said)
            replied.update({about} if about is not None else set())
        else:
            replies.append(await cohorts.nudge(db, user, effect, now))

    def job(session: Session) -> tuple[int, ...]:
        participant = _lock_participant(session, who, now, handled.locale)
        ids = _queue(session, participant, who, replies, participant.seq, now)
        named = replied | {
            pid
            for effect in handled.deferred
            if isinstance(effect, NudgeParticipants)
            for pid in effect.participant_ids or ()
        }
        privacy.mark_about(session, ids, named)
        return ids

    ids = await db.run(job)
    return dataclasses.replace(handled, outbox_ids=handled.outbox_ids + ids, deferred=())


def _render_all(locale: str, replies: Sequence[Reply]) -> list[dict[str, Any]]:
    """Replies as transport-neutral payloads: HTML parts and labelled buttons.

    A reply without buttons is merged into the next one ("Saved." + the next question), so a
    participant gets one message per step and the chat stays within Telegram's pace.
    """
    payloads: list[dict[str, Any]] = []
    summaries: list[dict[str, Any]] = []
    pending = ""
    for index, reply in enumerate(replies):
        html = text.render(locale, reply.key, **reply.context)
        if not html.strip() and reply.attachment is None and not reply.options:
            continue  # a message with nothing to say (e.g. "0 ties saved") is not sent
        if reply.attachment is not None and pending:  # a picture stands on its own
            payloads.extend({"text": part, "buttons": []} for part in text.split_message(pending))
            pending = ""
        if reply.edit and not reply.options and reply.attachment is None:
            # A finished step's message, edited to its summary: never merged with another,
            # and sent after the new question (which must not wait behind it for the pace).
            summaries.append({"text": html, "buttons": [], "edit": True, "summary": True})
            continue
        html = f"{pending}\n\n{html}" if pending else html
        if not reply.options and reply.attachment is None and index < len(replies) - 1:
            pending = html
            continue
        pending = ""
        buttons = [
            [
                {
                    "label": text.button_label(locale, o.label, **o.context),
                    "value": o.value,
                    **({"web_app": o.web_app} if o.web_app else {}),
                }
                for o in row
            ]
            for row in reply.options
        ]
        if reply.attachment is not None:  # a picture: the text is its caption
            caption = text.split_message(html, limit=text.CAPTION_MAX)
            payloads.append(
                {"text": caption[0], "buttons": buttons, "attachment": dict(reply.attachment)}
            )
            continue
        parts = text.split_message(html)
        for number, part in enumerate(parts, start=1):
            last = number == len(parts)
            payload: dict[str, Any] = {"text": part, "buttons": buttons if last else []}
            if reply.edit and len(parts) == 1:
                payload["edit"] = True
            if reply.stable and last:
                payload["stable"] = True  # its buttons go out with seq 0 (a flow's own prefix)
            payloads.append(payload)
    return payloads + summaries


def _queue(
    session: Session,
    participant: Participant,
    who: Identity,
    replies: Sequence[Reply],
    seq: int,
    now: datetime,
) -> tuple[int, ...]:
    payloads = _render_all(text.normalise_locale(participant.language), replies)
    ids, _ = _queue_rendered(session, participant, who, payloads, seq, now)
    return ids


def _queue_rendered(
    session: Session,
    participant: Participant,
    who: Identity,
    payloads: Sequence[dict[str, Any]],
    seq: int,
    now: datetime,
    *,
    claim_as: str | None = None,
) -> tuple[tuple[int, ...], Pending | None]:
    """Queue the payloads; with ``claim_as``, the first leased to that deliverer if it may be.

    See ``outbox.enqueue``: the caller sends it at once after the commit.
    """
    messages = [
        {
            **{k: v for k, v in payload.items() if k != "stable"},
            "seq": 0 if payload.get("stable") else seq,
        }
        for payload in payloads
    ]
    return outbox.enqueue(
        session, participant.id, who.channel, who.chat_id, messages, now, claim_as=claim_as
    )


async def known(db: Database, external_id: str) -> bool:
    """Whether this person has talked to us before (a terminal resumes instead of greeting)."""

    def job(session: Session) -> bool:
        found = session.execute(
            select(Participant.id).where(Participant.external_id == external_id)
        )
        return found.first() is not None

    return await db.run(job)
