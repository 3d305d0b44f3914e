"""Queueing into the outbox: the rows a transaction adds, and the hand-off lease on the first.

Everything that reaches a participant (a reply, a nudge, a coach's note, a goodbye) is a row
queued here inside the transaction that decided it, so it is sent only once that transaction
commits. :class:`Pending` is one queued message as the deliverer sees it (``storage/outbox.py``);
claiming and leases are ``storage/outbox_leases.py``, what became of a send
``storage/outbox_records.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, exists, insert, null, or_
from sqlalchemy.orm import Session

from storage import riding
from storage.models import OutboxMessage

# How long a claimed message is ours: another worker may take it once this runs out.
LEASE = timedelta(seconds=30)
# A lease held for the hand-off alone ends in this suffix (``<host>:<pid>/handoff``).
HANDOFF = "/handoff"

# Core statements on the table, not the ORM entity: the ORM's bulk paths and entity loading
# cost more than the statements themselves, and nothing here needs identity.
_T = cast(Table, OutboxMessage.__table__)


def lazy_order(table: Any) -> Any:
    """1 for a lazy message (an answered step's summary, an edit of an older message), else 0:
    ordered by it, a chat's lazy messages come after the rest."""
    return case((table.c.payload["summary"].as_boolean().is_(True), 1), else_=0)


LAZY = lazy_order(_T)

# A chat's first reply of an update, leased for the hand-off (see ``enqueue``) unless an earlier
# message of the chat still waits (a lazy one does not count: it goes after the rest anyway):
# the check and the insert in one statement. Every message of the update goes in the same
# statement (the others without a lease: ``lease_by`` NULL), one round trip for them all.
_WAITING = exists().where(
    _T.c.channel == bindparam("waiting_channel"),
    _T.c.chat_id == bindparam("waiting_chat"),
    _T.c.sent_at.is_(None),
    _T.c.failed_at.is_(None),
    LAZY == 0,
)
_LEASED_COLUMNS = (
    "participant_id",
    "channel",
    "chat_id",
    "payload",
    "created_at",
    "next_attempt_at",
)
# Its parameters are named ``m_<column>``: the names of a participant's columns would become
# SET values of a participant's UPDATE riding on it (``storage/riding.py``).
_LEASE_BY = bindparam("m_lease_by", type_=_T.c.claimed_by.type)
_UNLEASED = or_(_LEASE_BY.is_(None), _WAITING)
_INSERT = (
    insert(_T)
    .values(
        {
            **{name: bindparam(f"m_{name}", type_=_T.c[name].type) for name in _LEASED_COLUMNS},
            "attempts": case((_UNLEASED, 0), else_=1),
            "claimed_by": case((_UNLEASED, null()), else_=_LEASE_BY),
            "claimed_until": case(
                (_UNLEASED, null()),
                else_=bindparam("lease_until", type_=_T.c.claimed_until.type),
            ),
        }
    )
    .returning(_T.c.id, _T.c.claimed_by)
)


@dataclass(frozen=True)
class Pending:
    id: int
    chat_id: int
    participant_id: int | None
    payload: dict[str, Any]
    attempts: int
    # Leased for the hand-off, this is the update's first message; ``followers`` are the update's
    # others, in the order a claim would give them (``LAZY``, then id). The deliverer sends them
    # straight after it, unclaimed, while its lease still holds the chat (``storage/outbox.py``).
    followers: tuple[Pending, ...] = ()

    @property
    def lazy(self) -> bool:
        """An edit of an older message into its summary: sent when the chat has time to spare."""
        return self.payload.get("summary") is True


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
    rider: riding.Rider | None = None,
) -> tuple[tuple[int, ...], Pending | None]:
    """Queue messages for a chat; with ``claim_as``, the first leased to that worker if it may be.

    Leasing happens in the transaction that queues the messages, so the deliverer can send the
    first at once after the commit instead of claiming it in a transaction of its own. It is
    held for the hand-off alone (``<worker>/handoff``): the chat's other drainers stop at it
    while the lease lives, and so at the update's other messages behind it, which come back as
    its ``followers`` (unleased: the deliverer sends them under the first's lease). Anything
    older still waiting for the chat (a retry, another worker's message) keeps the order: then
    nothing is leased and the chat drains as usual.
    ``rider``: a write of the same transaction that goes with them (``storage/riding.py``).
    """
    # The first message that is not lazy is the one leased: a summary goes after it anyway.
    first = next((i for i, p in enumerate(payloads) if p.get("summary") is not True), 0)
    lease_until = now + LEASE
    rows = [
        {
            "m_participant_id": participant_id,
            "m_channel": channel,
            "m_chat_id": chat_id,
            "m_payload": payload,
            "m_created_at": now,
            "m_next_attempt_at": now,
            "m_lease_by": handoff_name(claim_as) if index == first and claim_as else None,
            "lease_until": lease_until,
            "waiting_channel": channel,
            "waiting_chat": chat_id,
        }
        for index, payload in enumerate(payloads)
    ]
    if not rows:
        if rider is not None:
            session.execute(rider.statement, rider.params)
        return (), None
    # One multi-row VALUES: the ids are drawn from the sequence in the rows' order, so sorted
    # they are the messages' order (asking SQLAlchemy to sort RETURNING by parameter order
    # instead doubled the statement's time on PostgreSQL). Only the first can hold a lease.
    queued = sorted(riding.execute(session, _INSERT, rows, rider).all())
    ids = [new_id for new_id, _ in queued]
    leased = any(held_by is not None for _, held_by in queued)
    if not leased:
        return tuple(ids), None
    later = sorted(
        (i for i in range(len(payloads)) if i != first),
        key=lambda i: (payloads[i].get("summary") is True, i),
    )
    followers = tuple(Pending(ids[i], chat_id, participant_id, dict(payloads[i]), 0) for i in later)
    head = Pending(ids[first], chat_id, participant_id, dict(payloads[first]), 1, followers)
    return tuple(ids), head
