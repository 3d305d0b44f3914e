"""One participant event as one transaction: load, decide (pure engine), persist, queue replies.

The application layer owns the transaction: it loads the snapshot and what the event's flows
declare they need (``engine.needs``), runs the engine, has storage apply the effects and
queues the rendered replies (``coaching.payloads``) in the outbox, all in one unit of work on
a database thread (``Database.run``). The replies are written inside the same transaction as
the state change, so a committed step always has its answer waiting to be sent, and a crash
before the commit leaves no trace (the update is redelivered and handled afresh).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import coach
from app.dashboard import DashboardLinks
from coaching import address, analysed, engine, payloads, text, unloaded
from coaching.effects import AFTER_COMMIT
from coaching.flows import coach as coach_flow
from coaching.model import (
    Event,
    EventKind,
    ForgetParticipant,
    NudgeParticipants,
    Outcome,
    Reply,
    ReplyToAnswer,
    Snapshot,
)
from coaching.needs import Needs
from storage import (
    arrivals,
    cohorts,
    deadletters,
    effects,
    exports,
    participants,
    privacy,
    reminders,
)
from storage.arrivals import Identity
from storage.db import Database
from storage.models import Participant
from storage.outbox_queue import Pending
from storage.participants import InviteLost

__all__ = ["Handled", "Identity", "handle_event", "known", "pending_prompt"]

log = logging.getLogger(__name__)


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
    # The participant deleted their data (/hapus_data): the ids their maps had, so that what
    # the adapters keep drawn of them goes too (``service/run.py`` wires it); None otherwise.
    forgotten: tuple[int, ...] | None = None


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
    dashboard: DashboardLinks | None = None,
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
    ``dashboard`` signs a coach's login links (else ``DashboardLinks.from_env()``).
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
                dashboard,
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
        participant = arrivals.lock(session, who, now, text.DEFAULT_LOCALE)
        snap = participants.snapshot(session, participant, now)
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
    dashboard: DashboardLinks | None = None,
) -> Handled:
    # A button is never someone's first word: a tap on a message of a conversation deleted
    # since (/hapus_data) finds nobody and must not bring their row — their Telegram id —
    # back. It gets the stale button's pop-up and leaves nothing behind.
    button = event.kind is EventKind.CHOICE
    needs = engine.needs(event)
    # Whether they coach, if the flows ask (every /start and /menu): asked with the lock.
    coach_user = cohorts.telegram_user(who.external_id) if needs.coach is not None else None
    # Locked, and the update marked handled: a repeat of it (redelivered) is found here.
    arrival = arrivals.arrive(
        session, who, update_id, now, default_locale, create=not button, coach_user=coach_user
    )
    if arrival.participant is None:
        locale = text.normalise_locale(who.language_hint or default_locale)
        stale = text.render(locale, "common.stale_button")
        return Handled(0, "", locale, toast=stale, duplicate=True)
    participant = arrival.participant
    if not arrival.first_time:
        if arrival.created:  # a repeat of the /hapus_data that deleted them: they stay deleted
            session.delete(participant)
        return Handled(participant.id, participant.state, participant.language, duplicate=True)
    # The maps only if the event's flows read them (``engine.reads_maps``): loading them is
    # about seven statements, for a step that shows none of them.
    snap = participants.snapshot(session, participant, now, load_maps=False, read=arrival.own)
    if engine.reads_maps(snap, event):
        snap = participants.with_maps(session, participant, snap)
    snap = _load(session, snap, participant.id, who, needs, dashboard, arrival.coach)
    try:
        # On a database thread (see storage.committer): the engine is pure but not always
        # quick (/analisis of an imported 2,000-actor map takes a second), and the event loop
        # keeps every other chat answered meanwhile.
        try:
            outcome, after, replies, toast = _decide(snap, event, pressed_message_id)
        except unloaded.MapsNotLoaded:
            # A step read the maps undeclared (a nudge's button resolving a plan): decided
            # again with them; the engine is pure, so the first try left nothing behind.
            log.debug("maps read undeclared in %s; deciding again with them", snap.state)
            snap = participants.with_maps(session, participant, snap)
            outcome, after, replies, toast = _decide(snap, event, pressed_message_id)
    except Exception as exc:
        raise _EngineFailure(participant.state) from exc
    if any(isinstance(effect, ForgetParticipant) for effect in outcome.effects):
        map_ids = privacy.map_ids(session, participant.id)
        ids = privacy.forget(
            session, participant, who.channel, who.chat_id, replies, update_id, now
        )
        _analysis.cache_clear()  # it holds maps' actors by name: theirs go with them
        return Handled(participant.id, outcome.state, after.locale, ids, toast, forgotten=map_ids)
    # The participant's row is written once, with one UPDATE (``participants.stage``): the
    # columns the effects set and the conversation's own, sent with the replies' INSERT (on
    # PostgreSQL in the same statement: one round trip for both).
    columns: dict[str, Any] = {}
    try:
        stored = effects.store_effects(
            session, participant, outcome.effects, now, who, columns=columns
        )
    except InviteLost as lost:
        raise _EngineFailure(participant.state) from lost
    for written in stored.written_back:  # an answer back to a coach: their coaches are told
        coach.tell_coaches(session, written, now)
    if retrying is not None:
        deadletters.resolve(session, retrying, now)
    if outcome.changed:
        columns.update(state=outcome.state, state_data=dict(outcome.data), seq=after.seq)
    columns.update(last_active_at=now, updated_at=now)
    columns["ignored_nudges"] = 0  # any sign of life ends a pause in reminders
    if participant.chat_id != who.chat_id:
        columns["chat_id"] = who.chat_id
    row = participants.stage(participant, columns)
    reminders.ensure_scheduled(session, participant, now)  # ...and schedules them again
    ids, claimed = participants.queue(
        session, participant, who, replies, after.seq, now, claim_as=claim_as, write=row
    )
    # A coach's screen speaks of participants: deleted with them (/hapus_data, a move).
    privacy.mark_about(session, ids, privacy.subjects(snap.coach))
    deferred = tuple(e for e in outcome.effects if isinstance(e, AFTER_COMMIT))
    return Handled(
        participant.id,
        participant.state,
        participant.language,
        ids,
        toast,
        deferred=deferred,
        claimed=claimed,
        coach_menu=coach_flow.sets_menu(snap, event, outcome.effects),
    )


# A map's analysis per version of it (its actors and ties): turning Bab III's pages, or
# coming back to Bab IV's step 4, analyses a large map once, not once per tap. The pure
# flows keep no cache; this one is the application's.
_analysis = functools.lru_cache(maxsize=64)(analysed.compute)


def _decide(
    snap: Snapshot, event: Event, pressed_message_id: int | None
) -> tuple[Outcome, Snapshot, list[dict[str, Any]], str | None]:
    """The engine's verdict, rendered: what to store and the payloads to queue."""
    wanted = engine.analyses(snap)  # the analyses the step shows: computed once, passed in
    if wanted:
        snap = dataclasses.replace(snap, analyses={w: _analysis(w) for w in wanted})
    outcome = engine.handle(snap, event)
    after = outcome.after or engine.apply(snap, outcome)  # applied once, by the engine
    you = address.form(after)  # Bapak, Ibu or Anda: as the participant chose to be addressed
    replies = payloads.payloads(after.locale, outcome.replies, you=you)
    if pressed_message_id is None:  # no message to edit: a summary of it has nowhere to go
        replies = [payload for payload in replies if not payload.get("summary")]
    for payload in replies:
        if payload.pop("edit", False) and pressed_message_id is not None:
            payload["edit_message_id"] = pressed_message_id
    toast = text.render(after.locale, outcome.toast, you=you) if outcome.toast else None
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
    participant = arrivals.lock(session, who, now, locale)
    if retrying is not None:  # they were told the first time
        deadletters.failed_again(session, retrying, cause, now)
        return Handled(participant.id, participant.state, participant.language, failed=True)
    if update_id is not None:
        # A deterministic failure would fail again: do not let it block the chat forever.
        arrivals.first_time(session, update_id, participant.id, now)
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


async def _run_deferred(db: Database, who: Identity, handled: Handled, now: datetime) -> Handled:
    """A coach's nudges, after the commit; their result is one more message to the coach."""
    user = cohorts.telegram_user(who.external_id)
    replies: list[Reply] = []
    replied: set[int] = set()  # participants a reply's confirmation names
    for effect in handled.deferred:
        if user is None:
            replies.append(Reply("coach.denied"))
        elif isinstance(effect, ReplyToAnswer):
            said, about = await coach.coach_reply(db, user, effect, now, who.channel)
            replies.append(said)
            replied.update({about} if about is not None else set())
        else:
            replies.append(await coach.nudge(db, user, effect, now))

    def job(session: Session) -> tuple[int, ...]:
        participant = arrivals.lock(session, who, now, handled.locale)
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


def _queue(
    session: Session,
    participant: Participant,
    who: Identity,
    replies: Sequence[Reply],
    seq: int,
    now: datetime,
) -> tuple[int, ...]:
    rendered = payloads.payloads(text.normalise_locale(participant.language), replies)
    ids, _ = participants.queue(session, participant, who, rendered, seq, now)
    return ids


def _from_env() -> DashboardLinks | None:
    return DashboardLinks.from_env()


def _load(
    session: Session,
    snap: Snapshot,
    participant_id: int,
    who: Identity,
    needs: Needs,
    dashboard: DashboardLinks | None,
    coaching: arrivals.CoachCheck | None = None,
) -> Snapshot:
    """Add to the snapshot what the event's flows declared they need (``engine.needs``);
    ``coaching``: whether they coach, if the arrival read it."""
    changes: dict[str, Any] = {}
    if needs.nudges:  # a nudge's button: the participant's own recent nudges, what is waiting
        changes["reminders"] = reminders.recent(session, participant_id)
        changes["waiting"] = reminders.load_waiting(session, [participant_id], snap.now).get(
            participant_id
        )
    if needs.link is not None:  # a deep link's verdict
        changes["link"] = cohorts.link_verdict(session, needs.link, who.external_id, snap.now)
    if needs.coach is not None:  # a coach's screen, if they coach
        links = dashboard if dashboard is not None or not needs.coach.login else _from_env()
        view = coach.view(session, who.external_id, needs.coach, snap.now, links, coaching)
        if view is not None:
            changes["coach"] = view
    if needs.export and snap.profile.consent_at is not None:  # /ekspor: their whole record
        changes["export"] = exports.participant_data(session, participant_id, snap.now)
    return dataclasses.replace(snap, **changes) if changes else snap


async def known(db: Database, external_id: str) -> bool:
    """Whether this person has talked to us before (a terminal resumes instead of greeting)."""

    def job(session: Session) -> bool:
        found = session.execute(
            select(Participant.id).where(Participant.external_id == external_id)
        )
        return found.first() is not None

    return await db.run(job)
