"""A participant's rights over their data: take it (``/ekspor``), delete it (``/hapus_data``).

Deleting is one ``DELETE`` of the participant row: every table that holds something of theirs
references it with ``ON DELETE CASCADE`` (answers, progress, maps → actors, ties, KLTB entries,
planned ties, analysis snapshots; reminders; processed update ids; their outbox). What is left
afterwards, on purpose, and nothing of it says who they were:

- ``cohorts.left_count`` goes up by one, so their coach sees that someone left;
- the update id of the confirming tap (without the participant), so a redelivered tap is not
  taken as a new conversation's first message; swept after two days (Telegram redelivers for
  one);
- the goodbye message in the outbox (it needs the chat to be sent to), without the
  participant; :func:`sweep` deletes it once it has been sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from coaching.model import Event, EventKind, Snapshot
from storage import exports
from storage.db import Database
from storage.models import (
    CoachLogin,
    CoachSession,
    Cohort,
    OutboxMessage,
    Participant,
    ProcessedUpdate,
)
from storage.outbox import enqueue, utcnow

log = logging.getLogger(__name__)

KEEP_UPDATE_IDS = timedelta(days=2)
SWEEP_EVERY = 60.0  # seconds


async def enrich(
    session: AsyncSession, snap: Snapshot, participant_id: int, event: Event
) -> Snapshot:
    """For ``/ekspor`` only: the participant's whole record, to send back to them."""
    if event.kind is not EventKind.COMMAND or event.command != "ekspor":
        return snap
    if snap.profile.consent_at is None:
        return snap
    data = await exports.participant_data(session, participant_id, snap.now)
    return dataclasses.replace(snap, export=data)


async def forget(
    session: AsyncSession,
    participant: Participant,
    channel: str,
    chat_id: int,
    payloads: Sequence[dict[str, Any]],
    update_id: int | None,
    now: datetime,
) -> tuple[int, ...]:
    """Delete the participant (everything cascades) and queue the goodbye, owned by nobody."""
    if participant.cohort_id is not None:
        await session.execute(
            update(Cohort)
            .where(Cohort.id == participant.cohort_id)
            .values(left_count=Cohort.left_count + 1)
        )
    await session.delete(participant)
    await session.flush()
    goodbye = [{**payload, "seq": 0} for payload in payloads]
    ids, _ = await enqueue(session, None, channel, chat_id, goodbye, now)
    if update_id is not None:
        session.add(ProcessedUpdate(update_id=update_id, participant_id=None, processed_at=now))
        await session.flush()
    log.info("a participant deleted their data")
    return ids


async def sweep(db: Database, now: datetime) -> int:
    """Delete what is no longer needed: sent goodbyes, old bare update ids, dead logins."""
    removed = 0
    async with db.transaction() as session:
        for statement in (
            delete(OutboxMessage).where(
                OutboxMessage.participant_id.is_(None),
                (OutboxMessage.sent_at.is_not(None)) | (OutboxMessage.failed_at.is_not(None)),
            ),
            delete(ProcessedUpdate).where(
                ProcessedUpdate.participant_id.is_(None),
                ProcessedUpdate.processed_at < now - KEEP_UPDATE_IDS,
            ),
            delete(CoachLogin).where(CoachLogin.expires_at < now),
            delete(CoachSession).where(CoachSession.expires_at < now),
        ):
            result = await session.execute(statement)
            removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


async def run_sweeper(db: Database, stop: asyncio.Event, every: float = SWEEP_EVERY) -> None:
    """:func:`sweep` every ``every`` seconds until ``stop`` (part of ``jejaring run``)."""
    while not stop.is_set():
        try:
            await sweep(db, utcnow())
        except Exception:  # a sweep is housekeeping: log it and try again later
            log.exception("privacy sweep failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
