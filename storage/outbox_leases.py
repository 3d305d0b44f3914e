"""Claiming from the outbox: which message a worker may send next, under a lease.

A worker sends a chat's earliest unsent message only if no other worker holds a live lease on
it (``LEASE``, ``storage/outbox_queue.py``), so two workers never interleave one chat. A lazy
message goes after the chat's others (``LAZY``) and may be put back for later (:func:`defer`,
not an attempt). What a crashed worker held is freed by :func:`release_orphans` on this host,
or expires on its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from coaching.validate import is_number
from storage import riding
from storage.db import Database
from storage.models import OutboxMessage
from storage.outbox_queue import HANDOFF, LEASE, Pending, lazy_order

# The claiming statement, built once (building it was a good part of its cost): the chat's
# earliest unsent message (a lazy one after the rest), leased to the worker in the same
# statement if it is due and no other worker's lease on it lives — one round trip, where a
# SELECT and then an UPDATE took two. On PostgreSQL the subquery locks that row (``FOR UPDATE``,
# not ``SKIP LOCKED``: skipping a row another worker holds would send the chat's next message
# before it, out of order) and the outer conditions are checked on the locked row.
_T = cast(Table, OutboxMessage.__table__)


def earliest_waiting(table: Any, chat: Any) -> Any:
    """The SELECT of a chat's earliest unsent message (a lazy one after the rest) on channel
    ``on_channel``: ``table`` is the outbox or an alias of it, ``chat`` the chat's id (a
    parameter, or a column of an enclosing query: ``storage/outbox_group.py``)."""
    return (
        select(table.c.id)
        .where(
            table.c.channel == bindparam("on_channel"),
            table.c.chat_id == chat,
            table.c.sent_at.is_(None),
            table.c.failed_at.is_(None),
        )
        .order_by(lazy_order(table), table.c.id)
        .limit(1)
    )


_EARLIEST = earliest_waiting(_T, bindparam("chat"))


def _claim_statement(*, lock_row: bool, after_recording: bool = False) -> Any:
    """The claim as one UPDATE … RETURNING. ``after_recording``: the sends of messages
    ``rows`` are recorded by a write riding on the claim (PostgreSQL: both see the statement's
    snapshot, so those messages still look unsent), and they are left out by id."""
    earliest = (
        _EARLIEST.where(_T.c.id.not_in(bindparam("rows", expanding=True)))
        if after_recording
        else _EARLIEST
    )
    if lock_row:
        earliest = earliest.with_for_update()
    return leasing(_T.c.id == earliest.scalar_subquery())


def leasing(which: Any) -> Any:
    """The claim's UPDATE … RETURNING of the message(s) ``which`` picks: leased to ``by``
    until ``until`` (one more attempt) if due at ``now`` and no other worker's lease lives."""
    return (
        update(_T)
        .where(
            which,
            _T.c.next_attempt_at <= bindparam("now"),
            or_(
                _T.c.claimed_by.is_(None),
                _T.c.claimed_by == bindparam("by"),
                _T.c.claimed_until.is_(None),
                _T.c.claimed_until <= bindparam("now"),
            ),
        )
        .values(
            claimed_by=bindparam("by"),
            claimed_until=bindparam("until"),
            attempts=_T.c.attempts + 1,
        )
        .returning(_T.c.id, _T.c.chat_id, _T.c.participant_id, _T.c.payload, _T.c.attempts)
    )


_CLAIM = _claim_statement(lock_row=False)
_CLAIM_LOCKING = _claim_statement(lock_row=True)
_CLAIM_AFTER_RECORDING = _claim_statement(lock_row=True, after_recording=True)


def claim(
    session: Session, *, channel: str, chat_id: int, worker: str, now: datetime, lock_row: bool
) -> Pending | None:
    """Lease the chat's next message to ``worker`` (one more attempt), if it is due and no other
    worker's lease on it lives; ``lock_row`` (PostgreSQL) locks it while deciding."""
    statement = _CLAIM_LOCKING if lock_row else _CLAIM
    params = _params(channel=channel, chat_id=chat_id, worker=worker, now=now)
    return pending_from(session.execute(statement, params).first())


def claim_after(
    session: Session,
    recording: riding.Rider,
    *,
    rows: tuple[int, ...],
    channel: str,
    chat_id: int,
    worker: str,
    now: datetime,
) -> Pending | None:
    """As :func:`claim`, just after messages ``rows`` of the chat were sent: ``recording`` (the
    sends' outcome) rides on the claim (``storage/riding.py``), and none of ``rows`` is
    claimed."""
    params = {**_params(channel=channel, chat_id=chat_id, worker=worker, now=now), "rows": rows}
    return pending_from(riding.execute(session, _CLAIM_AFTER_RECORDING, params, recording).first())


def _params(*, channel: str, chat_id: int, worker: str, now: datetime) -> dict[str, Any]:
    return {"on_channel": channel, "chat": chat_id, "by": worker, "until": now + LEASE, "now": now}


def pending_from(row: Any) -> Pending | None:
    """The claimed message of a claiming statement's row (None: nothing claimed)."""
    if row is None:
        return None
    return Pending(row.id, row.chat_id, row.participant_id, dict(row.payload), row.attempts)


def defer(session: Session, pending: Pending, later: datetime) -> None:
    """Put a claimed message back until ``later``: its lease freed, the claim not counted."""
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


def due_chats(session: Session, channel: str, now: datetime, limit: int) -> list[int]:
    """The chats with a message due and not leased, the longest-waiting first."""
    rows = session.execute(
        select(OutboxMessage.chat_id, func.min(OutboxMessage.id))
        .where(
            OutboxMessage.channel == channel,
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
