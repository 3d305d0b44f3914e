"""The reminder dispatcher: claims due reminders, composes their nudges, queues them, delivers.

One transaction per batch, owned here: storage claims the rows (``storage/reminders.py``), the
pure ``coaching.nudges.compose`` decides what a nudge says, ``coaching.payloads.nudge`` renders
it the way every reply is rendered, and the outbox delivers it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from coaching import payloads, schedule, text
from coaching.model import Waiting
from coaching.nudges import compose, follow_up_of, kltb_follow_up_of
from storage import participants
from storage import reminders as store
from storage.db import Database
from storage.logs import pseudonym
from storage.models import Participant, Reminder
from storage.outbox import Clock, Deliverer, utcnow
from storage.outbox_queue import enqueue

log = logging.getLogger(__name__)


@dataclass
class Claimed:
    reminders: int = 0  # rows taken off the pending list (queued, skipped, cancelled, postponed)
    chats: list[int] = dataclasses.field(default_factory=list)  # chats with a nudge queued


class ReminderDispatcher:
    """Claims due reminders, renders their nudges into the outbox, and has them delivered.

    Claiming and rendering happen in one transaction: a crash before the commit leaves the
    reminders pending, after it leaves nudges in the outbox, which delivers each exactly once
    (but for the at-least-once window the outbox documents). At most ``window`` chats are being
    delivered at once, so nothing waits long behind the 30/s limit holding a lease.
    """

    def __init__(
        self,
        db: Database,
        deliverer: Deliverer,
        *,
        worker: str,
        clock: Clock = utcnow,
        batch: int = 100,
        window: int = 90,
        interval: float = 1.0,
    ) -> None:
        self.db, self.deliverer, self.worker, self.clock = db, deliverer, worker, clock
        self.batch, self.window, self.interval = batch, window, interval
        self.prefix = store.CHANNEL_PREFIX.get(
            deliverer.sender.channel, f"{deliverer.sender.channel}:"
        )
        self._inflight: set[asyncio.Task[int]] = set()

    async def tick(self, limit: int | None = None) -> int:
        """Claim up to ``limit`` due reminders and start delivering their nudges."""
        claimed = await self.claim(limit or self.batch)
        for chat in claimed.chats:
            task = asyncio.create_task(self._deliver(chat))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
        return claimed.reminders

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until ``stop`` is set, then let the nudges in flight finish."""
        while not stop.is_set():
            free = self.window - len(self._inflight)
            want = min(self.batch, free)
            taken = 0
            if want >= min(self.batch, max(1, self.window // 3)):
                try:
                    taken = await self.tick(want)
                except Exception:
                    log.exception("reminder dispatch failed; retrying")
            if taken and taken >= want:
                continue  # more may be due: claim again as soon as there is room
            await self._pause(stop)
        await self.idle()

    async def drain(self) -> int:
        """Dispatch everything due now and wait for its delivery (tests, the benchmark)."""
        total = 0
        while True:
            free = self.window - len(self._inflight)
            taken = await self.tick(min(self.batch, free)) if free > 0 else 0
            total += taken
            if taken == 0 and not self._inflight:
                return total
            if taken == 0 or free <= 0:
                await asyncio.wait(set(self._inflight), return_when=asyncio.FIRST_COMPLETED)

    async def idle(self) -> None:
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    async def _pause(self, stop: asyncio.Event) -> None:
        waiter = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait(
                {waiter, *self._inflight},
                timeout=self.interval,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter

    async def _deliver(self, chat: int) -> int:
        try:
            return await self.deliverer.flush(chat)
        except Exception:
            log.exception(
                "delivery to chat %s failed; the outbox sweep will retry", pseudonym(chat)
            )
            return 0

    async def claim(self, limit: int) -> Claimed:
        """One transaction: take due reminders, queue their nudges, schedule the next ones."""
        now = self.clock()

        def job(session: Session) -> Claimed:
            postgres = self.db.dialect == "postgresql"
            found = store.claim_due(session, self.prefix, limit, now, skip_locked=postgres)
            if not found:
                return Claimed()
            # A coach's nudge due with a routine one is the one sent: it says who asked.
            rows = sorted(found, key=lambda row: row[0].kind != store.COACH)
            waiting = store.load_waiting(session, {p.id for _, p in rows}, now)
            nudged: set[int] = set()
            queued: list[tuple[Reminder, Participant, dict[str, Any]]] = []
            asked: list[int] = []
            for reminder, participant in rows:
                payload, tie = self._decide(session, reminder, participant, waiting, nudged, now)
                if payload is not None:
                    queued.append((reminder, participant, payload))
                if tie is not None:
                    asked.append(tie)
            if asked:  # the follow-up is asked once per date (again only after a new one)
                store.asked_followups(session, asked, now)
            channel = self.deliverer.sender.channel
            chats = [int(participant.chat_id or 0) for _, participant, _ in queued]
            for (_, participant, payload), chat in zip(queued, chats, strict=True):
                enqueue(session, participant.id, channel, chat, [payload], now)
            return Claimed(len(rows), chats)

        return await self.db.run(job)

    def _decide(
        self,
        session: Session,
        reminder: Reminder,
        participant: Participant,
        waiting: dict[int, Waiting],
        nudged: set[int],
        now: datetime,
    ) -> tuple[dict[str, Any] | None, int | None]:
        """What one due reminder becomes: the nudge's payload if one is to be sent, and the
        planned tie whose follow-up it asks."""
        pref = store.preference_of(participant)
        reachable = (
            participant.active and participant.consent_at is not None and participant.chat_id
        )
        wanted = pref.routine if reminder.kind == store.ROUTINE else pref.frequency != "off"
        if not reachable or not wanted:
            reminder.status = (
                store.CANCELLED
            )  # blocked, gone or opted out: they come back by writing
            return None, None
        if schedule.in_quiet(now, pref):
            reminder.due_at = schedule.quiet_ends(now, pref)  # never in quiet hours: later
            return None, None
        scheduled = reminder.kind in store.SCHEDULED
        reply = None
        if participant.id not in nudged:  # two due at once (a coach's and a routine one): one
            reply = compose(
                reminder.id,
                waiting.get(participant.id, Waiting()),
                name=participant.name,
                zone=participant.timezone,
                coach=reminder.kind == store.COACH,
                message=reminder.message if reminder.kind == store.COACH else None,
            )
        if reply is None:
            reminder.status = store.SKIPPED  # nothing waiting: no nudge at all
        else:
            nudged.add(participant.id)
            reminder.status, reminder.claimed_by = store.QUEUED, self.worker
            reminder.attempts += 1
            if scheduled:
                participant.ignored_nudges += 1  # reset to 0 by anything they do
        if scheduled:
            store.schedule_routine(session, participant, now)
        if reply is None:
            return None, None
        locale = text.normalise_locale(participant.language)
        you = participants.address_form(session, participant.id)
        payload = payloads.nudge(locale, reply, reminder.id, you=you)
        if (step := kltb_follow_up_of(reply)) is not None:
            # Asked once per date, in the transaction that queues the nudge: a redelivered or
            # retried claim finds it asked already.
            store.asked_kltb_followup(session, *step, now)
        return payload, follow_up_of(reply)
