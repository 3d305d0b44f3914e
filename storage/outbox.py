"""Delivery of committed replies: one path for chat replies, the terminal and reminders.

A message leaves the outbox only when its transport accepted it. Per chat, messages go out
strictly in order: a worker sends a chat's earliest unsent message only if no other worker
holds a live lease on it, and keeps going until the chat is drained, so two workers never
interleave one chat. A crash after sending but before marking can repeat one message; that is
the price of never losing one (Telegram has no idempotency key for sendMessage).

A *lazy* message — an answered step's message edited to its one-line summary (``summary`` in
its payload) — changes an older message, so its order does not matter: a chat's other messages
go first, and it is sent only when the chat's pace leaves a message to spare, so it never holds
the next message back; otherwise it waits (``next_attempt_at``) for the sweep or the next kick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, case, exists, func, insert, null, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from coaching.validate import is_number
from storage import deadletters
from storage.db import Database
from storage.logs import pseudonym
from storage.models import OutboxMessage, Participant, Reminder

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
# Someone is waiting for this answer: after 5xx or timeouts, try again at least every 15 s
# (Telegram's own 429 ``retry_after`` is obeyed whatever it says). Every claim counts as an
# attempt — a worker killed mid-send too — and with a cap of 300 s a chat that met a few
# restarts and a burst of injected 5xx waited minutes for one reply (bench/faults.py).
MAX_BACKOFF = 15.0
# How long to keep trying to record Telegram's answer while the database is unreachable (a
# restart, a failover): the send cannot be undone, and giving up means sending it again.
RECORD_PATIENCE = 120.0


# The delivery path's statements, built once (building them was a good part of their cost).
# Core statements on the table, not the ORM entity: the ORM's bulk UPDATE path and entity
# loading cost more than the statements themselves, and nothing here needs identity.
_T = cast(Table, OutboxMessage.__table__)
# A lazy message (an answered step's summary, an edit of an older message): after the rest.
_LAZY = case((_T.c.payload["summary"].as_boolean().is_(True), 1), else_=0)
# A chat's messages still to send, oldest first.
_UNSENT = (
    _T.c.channel == bindparam("channel"),
    _T.c.chat_id == bindparam("chat"),
    _T.c.sent_at.is_(None),
    _T.c.failed_at.is_(None),
)
_NEXT = (
    select(
        _T.c.id,
        _T.c.chat_id,
        _T.c.participant_id,
        _T.c.payload,
        _T.c.attempts,
        _T.c.next_attempt_at,
        _T.c.claimed_by,
        _T.c.claimed_until,
    )
    .where(*_UNSENT)
    .order_by(_LAZY, _T.c.id)
    .limit(1)
)
_NEXT_FOR_UPDATE = _NEXT.with_for_update()
_CLAIM = (
    update(_T)
    .where(_T.c.id == bindparam("row"))
    .values(
        claimed_by=bindparam("by"),
        claimed_until=bindparam("until"),
        attempts=bindparam("attempts"),
    )
)
_INSERT = insert(_T).returning(_T.c.id)
# A message's outcome: one statement per set of columns written, built on first use (building
# it per call, with its values inlined, cost more than running it).
_RECORDS: dict[frozenset[str], Any] = {}


def _recorded(columns: frozenset[str]) -> Any:
    statement = _RECORDS.get(columns)
    if statement is None:
        statement = (
            update(_T)
            .where(_T.c.id == bindparam("row"))
            .values({name: bindparam(name, type_=_T.c[name].type) for name in sorted(columns)})
        )
        _RECORDS[columns] = statement
    return statement


# A chat's first reply of an update, leased for the hand-off (see ``enqueue``) unless an earlier
# message of the chat still waits (a lazy one does not count: it goes after the rest anyway):
# the check and the insert in one statement.
_WAITING = exists().where(
    _T.c.channel == bindparam("waiting_channel"),
    _T.c.chat_id == bindparam("waiting_chat"),
    _T.c.sent_at.is_(None),
    _T.c.failed_at.is_(None),
    _LAZY == 0,
)
_LEASED_COLUMNS = (
    "participant_id",
    "channel",
    "chat_id",
    "payload",
    "created_at",
    "next_attempt_at",
)
_INSERT_LEASED = (
    insert(_T)
    .values(
        {
            **{name: bindparam(name, type_=_T.c[name].type) for name in _LEASED_COLUMNS},
            "attempts": case((_WAITING, 0), else_=1),
            "claimed_by": case(
                (_WAITING, null()), else_=bindparam("lease_by", type_=_T.c.claimed_by.type)
            ),
            "claimed_until": case(
                (_WAITING, null()),
                else_=bindparam("lease_until", type_=_T.c.claimed_until.type),
            ),
        }
    )
    .returning(_T.c.id, _T.c.claimed_by)
)


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"  # 429, 5xx, timeouts: try again after ``retry_after``
    FAILED = "failed"  # the transport will never take it (400)
    BLOCKED = "blocked"  # the participant blocked the bot (403): stop writing to them


@dataclass(frozen=True)
class SendResult:
    verdict: Verdict
    retry_after: float | None = None
    error: str | None = None
    # DELIVERED with a ``problem``: it went out without a part of it (a picture that could not
    # be drawn went as its caption). Recorded as a dead letter, to be sent whole once fixed.
    problem: str | None = None
    error_class: str | None = None  # for the dead letter of a message that failed


@dataclass(frozen=True)
class Pending:
    id: int
    chat_id: int
    participant_id: int | None
    payload: dict[str, Any]
    attempts: int

    @property
    def lazy(self) -> bool:
        """An edit of an older message into its summary: sent when the chat has time to spare."""
        return self.payload.get("summary") is True


class Sender(Protocol):
    channel: str

    async def send(self, chat_id: int, payload: dict[str, Any]) -> SendResult:
        """Deliver one payload (``text`` HTML, ``buttons`` rows, ``seq``)."""
        ...


Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class ChatPacer:
    """Per-chat token bucket: Telegram allows about one message a second, in short bursts."""

    def __init__(
        self, rate: float = 1.0, burst: int = 3, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[int, tuple[float, float]] = {}

    def _tokens(self, chat_id: int, now: float) -> float:
        tokens, stamp = self._buckets.get(chat_id, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - stamp) * self.rate)

    def spare(self, chat_id: int) -> float:
        """Seconds until this chat could take a lazy message and still have one left for its
        next message (0: now). Takes nothing."""
        need = min(2.0, float(self.burst))
        tokens = self._tokens(chat_id, self.clock())
        return 0.0 if tokens >= need else (need - tokens) / self.rate

    def delay(self, chat_id: int) -> float:
        """Seconds to wait before this chat may take one more message (and take it)."""
        now = self.clock()
        tokens = self._tokens(chat_id, now)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
        self._buckets[chat_id] = (tokens - 1, now + wait) if wait else (tokens - 1, now)
        if len(self._buckets) > 50_000:  # forget idle chats
            cutoff = now - self.burst / self.rate
            self._buckets = {k: v for k, v in self._buckets.items() if v[1] > cutoff}
        return wait


class Unpaced(ChatPacer):
    """No pacing at all: for benchmarks against a local emulator (``JEJARING_RATE_LIMIT=0``)."""

    def delay(self, chat_id: int) -> float:
        return 0.0

    def spare(self, chat_id: int) -> float:
        return 0.0


class Deliverer:
    def __init__(
        self,
        db: Database,
        sender: Sender,
        *,
        worker: str,
        clock: Clock = utcnow,
        pacer: ChatPacer | None = None,
    ) -> None:
        self.db, self.sender, self.worker, self.clock = db, sender, worker, clock
        self.pacer = pacer or ChatPacer()
        self._locks: dict[int, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._kicked: set[int] = set()
        # Messages leased to us as they were queued, waiting for their chat's drainer.
        self._handoff: dict[int, Pending] = {}

    def kick(self, chat_id: int, claimed: Pending | None = None) -> None:
        """Start draining a chat in the background (coalesced: one drainer per chat).

        ``claimed`` is a message already leased to this worker when it was queued (see
        ``enqueue``'s ``claim_as``): sent first, without a transaction to claim it.
        """
        if claimed is not None:
            self._handoff[chat_id] = claimed
        if chat_id in self._kicked:
            return
        self._kicked.add(chat_id)
        task = asyncio.create_task(self._drain_kicked(chat_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Wait until every background drain has finished (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def flush(self, chat_id: int) -> int:
        """Send this chat's due messages in order; returns how many were delivered."""
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        delivered = 0
        async with lock:
            pending = self._handoff.pop(chat_id, None) or await self._claim(chat_id)
            while pending is not None:
                if pending.lazy and (spare := self.pacer.spare(chat_id)):
                    # Now it would make the chat's next message wait: later, after the rest.
                    pending = await self._defer(pending, spare)
                    continue
                wait = self.pacer.delay(chat_id)
                if wait:
                    await asyncio.sleep(wait)
                result = await self._send(pending)
                # Keep order: after a RETRY later messages wait behind this one. Otherwise the
                # next message is claimed in the same transaction that records this one.
                retry = result.verdict is Verdict.RETRY
                pending = await self._record_surely(pending, result, claim_next=not retry)
                if result.verdict is Verdict.DELIVERED:
                    delivered += 1
        if len(self._locks) > 50_000:  # forget idle chats
            self._locks = {k: v for k, v in self._locks.items() if v.locked()}
        return delivered

    async def sweep(self, limit: int = 200) -> int:
        """Drain every chat with a due message (retries, and leftovers from a crash)."""
        chats = await self._due_chats(limit)
        results = await asyncio.gather(*(self.flush(chat) for chat in chats))
        return sum(results)

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        """Sweep until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.sweep()
            except Exception:
                log.exception("outbox sweep failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    async def _drain_kicked(self, chat_id: int) -> None:
        try:
            self._kicked.discard(chat_id)
            await self.flush(chat_id)
        except Exception:
            # A pseudonym: a private chat's id is the participant's Telegram id.
            log.exception("delivery to chat %s failed; the sweep will retry", pseudonym(chat_id))

    async def _send(self, pending: Pending) -> SendResult:
        try:
            return await self.sender.send(pending.chat_id, pending.payload)
        except Exception as exc:
            if deadletters.is_transient(exc):
                log.warning("sending outbox %s failed for now: %r", pending.id, exc)
                return SendResult(Verdict.RETRY, None, repr(exc)[:500])
            # Building this message raises (a sender bug, a payload it cannot take): it
            # would raise on every try and hold the chat's later messages behind it for ever.
            # Set aside (failed, a dead letter); the chat goes on.
            log.exception("sender raised for outbox %s: set aside", pending.id)
            error_class, message = deadletters.describe(exc)
            return SendResult(Verdict.FAILED, None, message, error_class=error_class)

    async def _claim(self, chat_id: int) -> Pending | None:
        return await self.db.run(lambda session: self._claim_in(session, chat_id))

    def _claim_in(self, session: Session, chat_id: int) -> Pending | None:
        now = self.clock()
        query = _NEXT_FOR_UPDATE if self.db.dialect == "postgresql" else _NEXT
        row = (session.execute(query, {"channel": self.sender.channel, "chat": chat_id})).first()
        if row is None or row.next_attempt_at > now:
            return None
        held = row.claimed_by not in (None, self.worker)
        if held and row.claimed_until is not None and row.claimed_until > now:
            return None
        attempts = row.attempts + 1
        session.execute(
            _CLAIM, {"row": row.id, "by": self.worker, "until": now + LEASE, "attempts": attempts}
        )
        return Pending(row.id, row.chat_id, row.participant_id, dict(row.payload), attempts)

    async def _defer(self, pending: Pending, seconds: float) -> Pending | None:
        """A lazy message left for later (not an attempt); the chat's next other message, if
        one waits, claimed instead."""
        later = self.clock() + timedelta(seconds=max(seconds, 0.05))

        def defer(session: Session) -> Pending | None:
            session.execute(
                update(_T)
                .where(_T.c.id == pending.id)
                .values(
                    claimed_by=None,
                    claimed_until=None,
                    next_attempt_at=later,
                    attempts=pending.attempts - 1,
                )
            )
            return self._claim_in(session, pending.chat_id)

        return await self.db.run(defer)

    async def _record_surely(
        self, pending: Pending, result: SendResult, *, claim_next: bool = False
    ) -> Pending | None:
        """``_record``, retried while the database is unreachable (Telegram has answered)."""
        delay, waited = 0.2, 0.0
        while True:
            try:
                return await self._record(pending, result, claim_next=claim_next)
            except IntegrityError:
                raise
            except (DBAPIError, OSError):
                if waited >= RECORD_PATIENCE:
                    raise
                log.warning("database unavailable recording outbox %s; retrying", pending.id)
                await asyncio.sleep(delay)
                waited, delay = waited + delay, min(delay * 2, 5.0)

    async def _record(
        self, pending: Pending, result: SendResult, *, claim_next: bool = False
    ) -> Pending | None:
        """Record the outcome; with ``claim_next``, claim the chat's next message too."""
        now = self.clock()
        values: dict[str, Any] = {"claimed_by": None, "claimed_until": None}
        if result.verdict is Verdict.DELIVERED:
            values["sent_at"] = now
        elif result.verdict is Verdict.RETRY:
            values["next_attempt_at"] = now + timedelta(seconds=_backoff(pending, result))
            values["last_error"] = result.error
        else:
            values["failed_at"] = now
            values["last_error"] = result.error
            log.warning("outbox %s not deliverable: %s", pending.id, result.error)

        def record(session: Session) -> Pending | None:
            session.execute(_recorded(frozenset(values)), {"row": pending.id, **values})
            if result.verdict is Verdict.BLOCKED and pending.participant_id is not None:
                session.execute(
                    update(Participant)
                    .where(Participant.id == pending.participant_id)
                    .values(active=False)
                )
            if result.verdict is Verdict.FAILED or result.problem:
                self._set_aside(session, pending, result, now)
            reminder_id = pending.payload.get("reminder_id")
            if isinstance(reminder_id, int) and result.verdict is not Verdict.RETRY:
                _record_reminder(session, reminder_id, result.verdict, now)
            return self._claim_in(session, pending.chat_id) if claim_next else None

        return await self.db.run(record)

    def _set_aside(
        self, session: Session, pending: Pending, result: SendResult, now: datetime
    ) -> None:
        """A dead letter for a message that did not go out (whole), to retry once fixed."""
        if result.problem:
            error = ("sent incomplete", result.problem)
        else:
            refused = f"{self.sender.channel} refused it"
            error = (result.error_class or refused, result.error or "not deliverable")
        deadletters.record(
            session,
            kind="message",
            participant_id=pending.participant_id,
            channel=self.sender.channel,
            chat_id=pending.chat_id,
            payload=pending.payload,
            error=error,
            now=now,
            outbox_id=pending.id,
        )

    async def _due_chats(self, limit: int) -> list[int]:
        now = self.clock()

        def job(session: Session) -> list[int]:
            rows = session.execute(
                select(OutboxMessage.chat_id, func.min(OutboxMessage.id))
                .where(
                    OutboxMessage.channel == self.sender.channel,
                    OutboxMessage.sent_at.is_(None),
                    OutboxMessage.failed_at.is_(None),
                    OutboxMessage.next_attempt_at <= now,
                    or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
                )
                .group_by(OutboxMessage.chat_id)
                .order_by(func.min(OutboxMessage.id))
                .limit(limit)
            )
            return [chat for chat, _ in rows.all()]

        return await self.db.run(job)


HANDOFF = "/handoff"


def handoff_name(worker: str) -> str:
    return worker + HANDOFF


def enqueue(
    session: Session,
    participant_id: int | None,
    channel: str,
    chat_id: int,
    payloads: Sequence[dict[str, Any]],
    now: datetime,
    *,
    claim_as: str | None = None,
) -> tuple[tuple[int, ...], Pending | None]:
    """Queue messages for a chat; with ``claim_as``, the first leased to that worker if it may be.

    Leasing happens in the transaction that queues the messages, so the deliverer can send the
    first at once after the commit instead of claiming it in a transaction of its own. It is
    held for the hand-off alone (``<worker>/handoff``): the chat's other drainers stop at it
    while the lease lives. Anything older still waiting for the chat (a retry, another
    worker's message) keeps the order: then nothing is leased and the chat drains as usual.
    """
    rows = [
        {
            "participant_id": participant_id,
            "channel": channel,
            "chat_id": chat_id,
            "payload": payload,
            "created_at": now,
            "next_attempt_at": now,
            "attempts": 0,
            "claimed_by": None,
            "claimed_until": None,
        }
        for payload in payloads
    ]
    leased = False
    # The first message that is not lazy is the one leased: a summary goes after it anyway.
    first = next((i for i, p in enumerate(payloads) if p.get("summary") is not True), 0)
    ids: list[int] = []
    for index, row in enumerate(rows):
        if index == first and claim_as is not None:
            values = {key: row[key] for key in _LEASED_COLUMNS}
            lease = {"lease_by": handoff_name(claim_as), "lease_until": now + LEASE}
            waiting = {"waiting_channel": channel, "waiting_chat": chat_id}
            new_id, held_by = session.execute(_INSERT_LEASED, {**values, **lease, **waiting}).one()
            ids.append(new_id)
            leased = held_by is not None
        else:
            ids.append(session.execute(_INSERT, row).scalar_one())
    if not leased:
        return tuple(ids), None
    return tuple(ids), Pending(ids[first], chat_id, participant_id, dict(payloads[first]), 1)


_REMINDER_STATUS = {
    Verdict.DELIVERED: "sent",
    Verdict.FAILED: "failed",
    Verdict.BLOCKED: "cancelled",  # and the participant is inactive: no more nudges
}


def _record_reminder(session: Session, reminder_id: int, verdict: Verdict, now: datetime) -> None:
    """A nudge's reminder is ``sent`` only once Telegram took it, in the same transaction."""
    values: dict[str, Any] = {
        # A nudge snoozed in the instant before this commit stays snoozed.
        "status": case(
            (Reminder.status == "queued", _REMINDER_STATUS[verdict]), else_=Reminder.status
        )
    }
    if verdict is Verdict.DELIVERED:
        values["sent_at"] = now
    session.execute(update(Reminder).where(Reminder.id == reminder_id).values(**values))


async def release_orphans(db: Database, host: str, alive: Callable[[int], bool]) -> int:
    """Free leases of this host's workers that are no longer running (a restart after a crash).

    Leases of other hosts are left to expire: only they know whether they are alive. The
    message the dead worker held may already have reached the chat; it is sent again (the
    at-least-once window is the time between Telegram's answer and our commit).
    """

    def job(session: Session) -> int:
        rows = session.execute(
            select(OutboxMessage.claimed_by)
            .where(OutboxMessage.claimed_by.like(f"{host}:%"), OutboxMessage.sent_at.is_(None))
            .distinct()
        )
        dead = [
            worker
            for (worker,) in rows.all()
            if worker
            and is_number(pid := worker.removesuffix(HANDOFF).rsplit(":", 1)[-1])
            and not alive(int(pid))
        ]
        if not dead:
            return 0
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.claimed_by.in_(dead), OutboxMessage.sent_at.is_(None))
            .values(claimed_by=None, claimed_until=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    return await db.run(job)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _backoff(pending: Pending, result: SendResult) -> float:
    if result.retry_after is not None:
        return max(0.0, result.retry_after)
    # Exponential with jitter so a recovering server is not hit by every chat at once.
    base = min(MAX_BACKOFF, 0.5 * 2.0 ** min(pending.attempts, 12))
    return base * (0.75 + random.random() / 2)
