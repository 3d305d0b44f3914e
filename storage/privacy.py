"""A participant's rights over their data: take it (``/ekspor``), delete it (``/hapus_data``).

Deleting is one ``DELETE`` of the participant row: every table that holds something of theirs
references it with ``ON DELETE CASCADE`` (answers, progress, maps → actors, ties, KLTB entries,
planned ties, analysis snapshots; reminders; processed update ids; their outbox; their cohort
moves). Their coach's copies go first: every outbox message a coach was sent about them (a
roster naming them, their detail with reflections, map and KLTB, a nudge's confirmation) is
linked to them in ``outbox_about`` when it is queued (:func:`mark_about`), and those messages
are deleted with them. Logs never name them: the project's log lines carry internal ids or a
pseudonym (``storage/logs.py``). What is left afterwards, on purpose, says nothing of who they
were:

- ``cohorts.left_count`` goes up by one, so their coach sees that someone left;
- the update id of the confirming tap (without the participant), so a redelivered tap is not
  taken as a new conversation's first message; swept after two days (Telegram redelivers for
  one);
- the goodbye message in the outbox (it needs the chat to be sent to), without the
  participant; :func:`sweep` deletes it once it has been sent.

Everyone else's sent (or given-up) outbox messages and processed update ids are kept for
``JEJARING_RETENTION_DAYS`` (default 30), then :func:`sweep` deletes them too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from coaching.cohort import CoachView
from storage.db import Database
from storage.logs import pseudonym as pseudonym  # re-exported: conversations' log line
from storage.models import (
    CoachLogin,
    CoachSession,
    Cohort,
    DeadLetter,
    NetworkMap,
    OutboxAbout,
    OutboxMessage,
    Participant,
    ProcessedUpdate,
)
from storage.outbox import utcnow
from storage.outbox_queue import enqueue

log = logging.getLogger(__name__)

KEEP_UPDATE_IDS = timedelta(days=2)
SWEEP_EVERY = 60.0  # seconds
RETENTION_ENV = "JEJARING_RETENTION_DAYS"
DEFAULT_RETENTION = timedelta(days=30)
# Deleted per statement: a first sweep after an upgrade (months of sent messages) must not
# hold SQLite's one writer for long; the rest goes in the next sweeps.
SWEEP_BATCH = 5_000


def retention(env: Mapping[str, str] | None = None) -> timedelta:
    """How long sent messages and processed update ids are kept (``JEJARING_RETENTION_DAYS``)."""
    raw = (os.environ if env is None else env).get(RETENTION_ENV, "").strip()
    if not raw:
        return DEFAULT_RETENTION
    days = float(raw)
    if days <= 0:
        raise ValueError(f"{RETENTION_ENV} must be a positive number of days, not {raw!r}")
    return timedelta(days=days)


def subjects(view: CoachView | None) -> frozenset[int]:
    """The participants a coach's screen shows (a roster's members, a detail's participant)."""
    if view is None:
        return frozenset()
    ids = {m.id for m in view.roster.members} if view.roster is not None else set()
    if view.detail is not None:
        ids.add(view.detail.member.id)
    return frozenset(ids)


def mark_about(session: Session, outbox_ids: Sequence[int], participant_ids: Iterable[int]) -> None:
    """Link queued messages to the participants they speak of (deleted with them)."""
    rows = [
        {"participant_id": pid, "outbox_id": oid}
        for pid in sorted(set(participant_ids))
        for oid in outbox_ids
    ]
    if rows:
        session.execute(insert(OutboxAbout), rows)


def forget_copies(session: Session, participant_id: int) -> int:
    """Delete every message sent or queued to someone else that speaks of this participant."""
    about = select(OutboxAbout.outbox_id).where(OutboxAbout.participant_id == participant_id)
    # A copy that could not be sent was set aside with its payload: it goes too.
    session.execute(
        delete(DeadLetter)
        .where(DeadLetter.outbox_id.in_(about))
        .execution_options(synchronize_session=False)
    )
    result = session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.id.in_(about))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def map_ids(session: Session, participant_id: int) -> tuple[int, ...]:
    """The ids of the participant's maps (before :func:`forget`: caches drop their drawings)."""
    found = session.execute(
        select(NetworkMap.id).where(NetworkMap.participant_id == participant_id)
    )
    return tuple(sorted(found.scalars()))


def forget(
    session: Session,
    participant: Participant,
    channel: str,
    chat_id: int,
    payloads: Sequence[dict[str, Any]],
    update_id: int | None,
    now: datetime,
) -> tuple[int, ...]:
    """Delete the participant (everything cascades) and queue the goodbye, owned by nobody."""
    forget_copies(session, participant.id)
    # A very first update that failed before their row could be written was set aside without
    # them (storage/deadletters.py): it holds their update all the same.
    session.execute(
        delete(DeadLetter)
        .where(
            DeadLetter.participant_id.is_(None),
            DeadLetter.channel == channel,
            DeadLetter.chat_id == chat_id,
        )
        .execution_options(synchronize_session=False)
    )
    if participant.cohort_id is not None:
        session.execute(
            update(Cohort)
            .where(Cohort.id == participant.cohort_id)
            .values(left_count=Cohort.left_count + 1)
        )
    session.delete(participant)
    session.flush()
    goodbye = [{**payload, "seq": 0} for payload in payloads]
    ids, _ = enqueue(session, None, channel, chat_id, goodbye, now)
    if update_id is not None:
        session.add(ProcessedUpdate(update_id=update_id, participant_id=None, processed_at=now))
        session.flush()
    log.info("a participant deleted their data")
    return ids


async def sweep(db: Database, now: datetime, keep: timedelta | None = None) -> int:
    """Delete what is no longer needed: sent goodbyes, old bare update ids, dead logins, and
    everyone's messages sent (or given up), update ids handled and dead letters retried more
    than ``keep`` ago (default :func:`retention`)."""
    keep = retention() if keep is None else keep
    done = (OutboxMessage.sent_at.is_not(None)) | (OutboxMessage.failed_at.is_not(None))
    expired = (OutboxMessage.sent_at < now - keep) | (OutboxMessage.failed_at < now - keep)

    def job(session: Session) -> int:
        removed = 0
        for statement in (
            delete(OutboxMessage).where(OutboxMessage.participant_id.is_(None), done),
            _batch(OutboxMessage.id, expired),
            delete(ProcessedUpdate).where(
                ProcessedUpdate.participant_id.is_(None),
                ProcessedUpdate.processed_at < now - KEEP_UPDATE_IDS,
            ),
            _batch(ProcessedUpdate.update_id, ProcessedUpdate.processed_at < now - keep),
            # Dead letters retried successfully; open ones wait for the operator.
            _batch(DeadLetter.id, DeadLetter.resolved_at < now - keep),
            delete(CoachLogin).where(CoachLogin.expires_at < now),
            delete(CoachSession).where(CoachSession.expires_at < now),
        ):
            result = session.execute(statement.execution_options(synchronize_session=False))
            removed += int(getattr(result, "rowcount", 0) or 0)
        return removed

    return await db.run(job)


def _batch(key: Any, condition: Any) -> Any:
    """DELETE at most ``SWEEP_BATCH`` rows matching ``condition`` (by primary key)."""
    table = key.class_
    chosen = select(key).where(condition).limit(SWEEP_BATCH)
    return delete(table).where(key.in_(chosen))


async def run_sweeper(
    db: Database,
    stop: asyncio.Event,
    every: float = SWEEP_EVERY,
    *,
    clock: Callable[[], datetime] = utcnow,
    keep: timedelta | None = None,
) -> None:
    """:func:`sweep` every ``every`` seconds until ``stop`` (part of ``jejaring run``)."""
    if keep is None:
        try:
            keep = retention()
        except ValueError as exc:  # housekeeping must not stop the bot: say so, keep 30 days
            log.error("%s; keeping %s days", exc, DEFAULT_RETENTION.days)
            keep = DEFAULT_RETENTION
    while not stop.is_set():
        try:
            await sweep(db, clock(), keep)
        except Exception:  # a sweep is housekeeping: log it and try again later
            log.exception("privacy sweep failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
