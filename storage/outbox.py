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

This module is the :class:`Deliverer`, the loop that drains chats; the outbox's other parts are
``storage/outbox_queue.py`` (queueing, the hand-off lease), ``storage/outbox_leases.py``
(claiming, deferring, orphaned leases), ``storage/outbox_records.py`` (what became of a send:
backoff, dead letters, reminders) and ``storage/outbox_pacing.py`` (the per-chat pace).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from storage import deadletters, outbox_leases, outbox_records
from storage.db import Database
from storage.logs import pseudonym
from storage.outbox_group import RecordGroup, Sent
from storage.outbox_pacing import ChatPacer
from storage.outbox_queue import Pending
from storage.outbox_records import SendResult, Verdict

log = logging.getLogger(__name__)

# How long to keep trying to record Telegram's answer while the database is unreachable (a
# restart, a failover): the send cannot be undone, and giving up means sending it again.
RECORD_PATIENCE = 120.0
# How long a hand-off's messages may go out under its first's lease (``LEASE``, 30 s) before
# their outcomes are written and the rest is claimed as usual: well inside the lease.
HANDOFF_SPAN = timedelta(seconds=10)


class Sender(Protocol):
    channel: str

    async def send(self, chat_id: int, payload: dict[str, Any]) -> SendResult:
        """Deliver one payload (``text`` HTML, ``buttons`` rows, ``seq``)."""
        ...


Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


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
        # Chats kicked for messages queued without a lease, which no claim has looked for since.
        self._owed: set[int] = set()
        # PostgreSQL: many chats' plain records in one statement (``storage/outbox_group.py``).
        self.group = (
            RecordGroup(db, channel=sender.channel, worker=worker)
            if db.dialect == "postgresql"
            else None
        )

    def kick(self, chat_id: int, claimed: Pending | None = None) -> None:
        """Start draining a chat in the background (coalesced: one drainer per chat).

        ``claimed`` is a message already leased to this worker when it was queued (see
        ``enqueue``'s ``claim_as``): sent first, without a transaction to claim it.
        """
        if claimed is not None:
            self._handoff[chat_id] = claimed
        else:
            self._owed.add(chat_id)
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

    async def flush(self, chat_id: int, *, kicked: bool = False) -> int:
        """Send this chat's due messages in order; returns how many were delivered.

        ``kicked``: for what a commit queued (:meth:`kick`). A claim that this chat's previous
        drainer here made after that commit has seen those messages (and took them, or met
        whatever holds them back, as a claim now would), so none is made again."""
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        delivered = 0
        async with lock:
            handed = self._handoff.pop(chat_id, None)
            if handed is not None or (kicked and chat_id not in self._owed):
                pending = handed
            else:
                pending = await self._claim(chat_id)
            # The update's other messages go straight after its first, unclaimed, while the
            # first's hand-off lease holds the chat: it is the chat's earliest unsent message
            # until its outcome is written, and every other drainer's claim stops at it. Their
            # outcomes are written together, with the claim of what comes next: one write for
            # the update's messages where each had its own.
            followers = deque(handed.followers if handed else ())
            sent: list[int] = []  # delivered under that lease, not yet recorded
            until = self.clock() + HANDOFF_SPAN
            while pending is not None:
                if pending.lazy and (spare := self.pacer.spare(chat_id)):
                    # Now it would make the chat's next message wait: later, after the rest.
                    # (A hand-off's first put back frees its lease: its followers are claimed.)
                    followers.clear()
                    pending = await self._defer(pending, spare)
                    continue
                wait = self.pacer.delay(chat_id)
                if wait:
                    await asyncio.sleep(wait)
                result = await self._send(pending)
                if result.verdict is Verdict.DELIVERED:
                    delivered += 1
                if (
                    followers
                    and outbox_records.only_sent(pending, result)
                    and self._straight(followers[0], until)
                ):
                    sent.append(pending.id)
                    pending = followers.popleft()
                    continue
                # The hand-off ends here (its next would wait, or this send needs writing): the
                # chat goes on from its next message as usual, claimed with this record.
                followers.clear()
                # Keep order: after a RETRY later messages wait behind this one. Otherwise the
                # next message is claimed in the same transaction that records this one.
                retry = result.verdict is Verdict.RETRY
                pending = await self._record_surely(
                    pending, result, claim_next=not retry, earlier=sent
                )
                sent = []
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
            await self.flush(chat_id, kicked=True)
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

    def _claiming(self, chat_id: int) -> None:
        """A claim of this chat's next message is about to be queued: it runs after every
        commit kicked so far, so it pays what ``_owed`` kept for them."""
        self._owed.discard(chat_id)

    async def _claim(self, chat_id: int) -> Pending | None:
        self._claiming(chat_id)
        return await self.db.run(lambda session: self._claim_in(session, chat_id))

    def _claim_in(self, session: Session, chat_id: int) -> Pending | None:
        return outbox_leases.claim(
            session,
            channel=self.sender.channel,
            chat_id=chat_id,
            worker=self.worker,
            now=self.clock(),
            lock_row=self.db.dialect == "postgresql",
        )

    async def _defer(self, pending: Pending, seconds: float) -> Pending | None:
        """A lazy message left for later (not an attempt); the chat's next other message, if
        one waits, claimed instead."""
        later = self.clock() + timedelta(seconds=max(seconds, 0.05))
        self._claiming(pending.chat_id)

        def defer(session: Session) -> Pending | None:
            outbox_leases.defer(session, pending, later)
            return self._claim_in(session, pending.chat_id)

        return await self.db.run(defer)

    def _straight(self, pending: Pending, until: datetime) -> bool:
        """Whether a hand-off's next message may go now, under the first's lease: it would
        neither wait for the chat's pace nor be put back (a summary with no message to spare),
        and the lease is young."""
        chat = pending.chat_id
        lazy_waits = pending.lazy and self.pacer.spare(chat) > 0
        return self.clock() < until and self.pacer.ready(chat) and not lazy_waits

    async def _record_surely(
        self,
        pending: Pending,
        result: SendResult,
        *,
        claim_next: bool = False,
        earlier: Sequence[int] = (),
    ) -> Pending | None:
        """``_record``, retried while the database is unreachable (Telegram has answered)."""
        delay, waited = 0.2, 0.0
        while True:
            try:
                return await self._record(pending, result, claim_next=claim_next, earlier=earlier)
            except IntegrityError:
                raise
            except (DBAPIError, OSError):
                if waited >= RECORD_PATIENCE:
                    raise
                log.warning("database unavailable recording outbox %s; retrying", pending.id)
                await asyncio.sleep(delay)
                waited, delay = waited + delay, min(delay * 2, 5.0)

    async def _record(
        self,
        pending: Pending,
        result: SendResult,
        *,
        claim_next: bool = False,
        earlier: Sequence[int] = (),
    ) -> Pending | None:
        """Record the outcome (with ``earlier``'s, see ``outbox_records.record``); with
        ``claim_next``, claim the chat's next message too."""
        now = self.clock()
        values = outbox_records.outcome(pending, result, now)
        channel = self.sender.channel
        claim_as = self.worker if claim_next else None
        if claim_next:
            self._claiming(pending.chat_id)
        group = self.group
        if (
            group is not None
            and claim_next
            and outbox_records.only_sent(pending, result)
            and group.takes(pending.chat_id)
        ):
            return await group.record(Sent(pending.chat_id, (*earlier, pending.id), now))

        def record(session: Session) -> Pending | None:
            return outbox_records.record(
                session,
                channel=channel,
                pending=pending,
                result=result,
                values=values,
                now=now,
                claim_next_as=claim_as,
                earlier=earlier,
            )

        return await self.db.run(record)

    async def _due_chats(self, limit: int) -> list[int]:
        now = self.clock()
        channel = self.sender.channel
        return await self.db.run(
            lambda session: outbox_leases.due_chats(session, channel, now, limit)
        )
