"""What became of a send, and its bookkeeping: the outbox row, the participant, the dead letter,
the nudge's reminder.

A transport answers each send with a :class:`SendResult`; the deliverer (``storage/outbox.py``)
records it here in one transaction: sent, due again after a backoff, or failed; a participant
who blocked the bot marked inactive; a message that did not go out whole set aside as a dead
letter (``storage/deadletters.py``) to be queued again once fixed; a nudge's reminder ``sent``
only once Telegram took it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, update
from sqlalchemy.orm import Session

from storage import deadletters, outbox_leases, riding
from storage.models import OutboxMessage, Participant, Reminder
from storage.outbox_queue import Pending

log = logging.getLogger(__name__)

# Someone is waiting for this answer: after 5xx or timeouts, try again at least every 15 s
# (Telegram's own 429 ``retry_after`` is obeyed whatever it says). Every claim counts as an
# attempt — a worker killed mid-send too — and with a cap of 300 s a chat that met a few
# restarts and a burst of injected 5xx waited minutes for one reply (bench/faults.py).
MAX_BACKOFF = 15.0

_T = cast(Table, OutboxMessage.__table__)
# A message's outcome: one statement per set of columns written, built on first use (building
# it per call, with its values inlined, cost more than running it).
_RECORDS: dict[frozenset[str], tuple[Any, Any]] = {}


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


def outcome(pending: Pending, result: SendResult, now: datetime) -> dict[str, Any]:
    """The row's columns after this send (decided once, before the transaction that writes
    them, which may run twice)."""
    if result.verdict is Verdict.DELIVERED:
        return delivered(now)
    values: dict[str, Any] = {"claimed_by": None, "claimed_until": None}
    if result.verdict is Verdict.RETRY:
        values["next_attempt_at"] = now + timedelta(seconds=_backoff(pending, result))
        values["last_error"] = result.error
    else:
        values["failed_at"] = now
        values["last_error"] = result.error
        log.warning("outbox %s not deliverable: %s", pending.id, result.error)
    return values


def record(
    session: Session,
    *,
    channel: str,
    pending: Pending,
    result: SendResult,
    values: dict[str, Any],
    now: datetime,
    claim_next_as: str | None = None,
    earlier: Sequence[int] = (),
) -> Pending | None:
    """Write the send's outcome (``values``, from :func:`outcome`) and what follows from it;
    with ``claim_next_as`` (a worker), lease the chat's next message to it and return that.
    ``earlier``: messages of the chat sent just before it under the same hand-off lease and
    delivered (``storage/outbox.py``), recorded sent with it.

    On PostgreSQL the outcome and the claim are one statement (the outcome's UPDATE as a
    data-modifying CTE of the claim: one round trip where there were two, after every message
    sent). SQLite has no data-modifying CTEs, and its statements cost no round trip.
    """
    rows: tuple[int, ...] = (pending.id,)
    if earlier and result.verdict is Verdict.DELIVERED:
        rows = (*earlier, pending.id)  # the same columns, the same values: one UPDATE
    elif earlier:
        sent = recording(tuple(earlier), delivered(now))
        session.execute(sent.statement, sent.params)
    write = recording(rows, values)
    claimed = None
    if claim_next_as is None:
        session.execute(write.statement, write.params)
    else:
        claimed = outbox_leases.claim_after(
            session,
            write,
            rows=rows,
            channel=channel,
            chat_id=pending.chat_id,
            worker=claim_next_as,
            now=now,
        )
    if result.verdict is Verdict.BLOCKED and pending.participant_id is not None:
        session.execute(
            update(Participant).where(Participant.id == pending.participant_id).values(active=False)
        )
    if result.verdict is Verdict.FAILED or result.problem:
        _set_aside(session, channel, pending, result, now)
    reminder_id = pending.payload.get("reminder_id")
    if isinstance(reminder_id, int) and result.verdict is not Verdict.RETRY:
        _record_reminder(session, reminder_id, result.verdict, now)
    return claimed


def only_sent(pending: Pending, result: SendResult) -> bool:
    """Whether all :func:`record` has to write of this send is that it was delivered (no
    dead letter, no nudge's reminder), so it can wait to be written with a later one's."""
    return (
        result.verdict is Verdict.DELIVERED
        and not result.problem
        and not isinstance(pending.payload.get("reminder_id"), int)
    )


def delivered(now: datetime) -> dict[str, Any]:
    """A delivered message's columns (as :func:`outcome` has them)."""
    return {"claimed_by": None, "claimed_until": None, "sent_at": now}


def recording(rows: tuple[int, ...], values: dict[str, Any]) -> riding.Rider:
    """The outcome's UPDATE of messages ``rows``, able to ride on the next claim: its values
    are bound as ``v_<column>`` (a column's own name would be taken for a SET value there)."""
    columns = frozenset(values)
    built = _RECORDS.get(columns)
    if built is None:
        statement = (
            update(_T)
            .where(_T.c.id.in_(bindparam("rows", expanding=True)))
            .values(
                {name: bindparam(f"v_{name}", type_=_T.c[name].type) for name in sorted(columns)}
            )
        )
        built = _RECORDS[columns] = (statement, statement.cte("recorded"))
    params = {"rows": rows, **{f"v_{name}": value for name, value in values.items()}}
    return riding.Rider(statement=built[0], cte=built[1], params=params)


def _set_aside(
    session: Session, channel: str, pending: Pending, result: SendResult, now: datetime
) -> None:
    """A dead letter for a message that did not go out (whole), to retry once fixed."""
    if result.problem:
        error = ("sent incomplete", result.problem)
    else:
        refused = f"{channel} refused it"
        error = (result.error_class or refused, result.error or "not deliverable")
    deadletters.record(
        session,
        kind="message",
        participant_id=pending.participant_id,
        channel=channel,
        chat_id=pending.chat_id,
        payload=pending.payload,
        error=error,
        now=now,
        outbox_id=pending.id,
    )


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


def _backoff(pending: Pending, result: SendResult) -> float:
    if result.retry_after is not None:
        return max(0.0, result.retry_after)
    # Exponential with jitter so a recovering server is not hit by every chat at once.
    base = min(MAX_BACKOFF, 0.5 * 2.0 ** min(pending.attempts, 12))
    return base * (0.75 + random.random() / 2)
