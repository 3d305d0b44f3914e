"""Many chats' sends recorded in one statement: the delivered messages and each chat's next claim.

After every message it sends, a deliverer writes that it went out and claims the chat's next
message (``outbox_records.record``): one statement per chat, and on PostgreSQL one round trip,
about a third of the hot path's (bench/SPEEDUPS.md, change 21). Under load many chats' records
wait at once for the database's thread. A :class:`RecordGroup` gathers the plain ones (delivered
whole, no nudge's reminder: ``outbox_records.only_sent``) while its job waits there, and that job
writes all it has gathered, and claims each chat's next message, in one statement.

Only on PostgreSQL (a data-modifying CTE; SQLite's statements cost no round trip). A chat has
at most one record in a group: its drainer waits for the record before sending again.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    BigInteger,
    DateTime,
    Table,
    all_,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session

from storage import outbox_leases, outbox_records
from storage.db import Database
from storage.models import OutboxMessage
from storage.outbox_queue import LEASE, Pending

_T = cast(Table, OutboxMessage.__table__)


def _statement() -> Any:
    """Messages ``sent_ids`` recorded sent at ``sent_times`` (a data-modifying CTE), and each
    of ``chats``' earliest other unsent message leased to ``by``, as ``outbox_leases.claim``
    leases one: due, no other worker's lease alive, its row locked while deciding (chats in
    ascending order, so two workers' groups lock them in the same order)."""
    ids = bindparam("sent_ids", type_=ARRAY(BigInteger))
    sent = (
        func.unnest(ids, bindparam("sent_times", type_=ARRAY(DateTime(timezone=True))))
        .table_valued("id", "sent_at")
        .render_derived()
    )
    recorded = (
        update(_T)
        .where(_T.c.id == sent.c.id)
        .values(claimed_by=None, claimed_until=None, sent_at=sent.c.sent_at)
        .cte("recorded")
    )
    chats = func.unnest(bindparam("chats", type_=ARRAY(BigInteger))).table_valued("chat")
    chats = chats.render_derived()
    waiting = _T.alias("waiting")
    # Both see the statement's snapshot, in which the recorded messages still look unsent.
    earliest = (
        outbox_leases.earliest_waiting(waiting, chats.c.chat)
        .where(waiting.c.id != all_(ids))
        .with_for_update()
        .scalar_subquery()
    )
    return outbox_leases.leasing(_T.c.id.in_(select(earliest).select_from(chats))).add_cte(recorded)


_RECORD_AND_CLAIM = _statement()


@dataclass(frozen=True)
class Sent:
    """A chat's messages delivered (its earlier ones under the same hand-off, then the last),
    when."""

    chat_id: int
    rows: tuple[int, ...]
    at: datetime


def record_sent(
    session: Session, sends: Sequence[Sent], *, channel: str, worker: str
) -> dict[int, Pending]:
    """Record ``sends`` (one per chat) and claim each chat's next message for ``worker``, in
    one statement; the claimed messages by chat. PostgreSQL only."""
    if len(sends) == 1:
        # One alone goes as before, with the chat's own statement: through this one, the
        # one-chat round-trip bench measured half a round trip more per update (9.2 against
        # 8.6; bench/SPEEDUPS.md, change 21).
        (send,) = sends
        alone = outbox_leases.claim_after(
            session,
            outbox_records.recording(send.rows, outbox_records.delivered(send.at)),
            rows=send.rows,
            channel=channel,
            chat_id=send.chat_id,
            worker=worker,
            now=send.at,
        )
        return {} if alone is None else {send.chat_id: alone}
    now = max(send.at for send in sends)  # the latest: no claim is older than its record
    pairs = sorted((row, send.at) for send in sends for row in send.rows)
    params = {
        "sent_ids": [row for row, _ in pairs],
        "sent_times": [at for _, at in pairs],
        "chats": sorted(send.chat_id for send in sends),
        "on_channel": channel,
        "by": worker,
        "now": now,
        "until": now + LEASE,
    }
    rows = session.execute(_RECORD_AND_CLAIM, params)
    claimed = (outbox_leases.pending_from(row) for row in rows)
    return {pending.chat_id: pending for pending in claimed if pending is not None}


class RecordGroup:
    """Gathers chats' plain records while one job waits for the database's thread; that job
    takes what has gathered when it starts, so a record that arrives meanwhile goes with it."""

    def __init__(self, db: Database, *, channel: str, worker: str) -> None:
        self.db, self.channel, self.worker = db, channel, worker
        # The records waiting for the next job, by chat: added on the event loop, taken on the
        # database's thread. They wait exactly while a job that will take them is queued:
        # the first to arrive queues it.
        self._lock = threading.Lock()
        self._waiting: dict[int, tuple[Sent, asyncio.Future[Pending | None]]] = {}
        self.statements = 0  # counters for benchmarks and tests
        self.records = 0

    def takes(self, chat_id: int) -> bool:
        """Whether a record of this chat can join (none of it is waiting already)."""
        with self._lock:
            return chat_id not in self._waiting

    async def record(self, send: Sent) -> Pending | None:
        """Write ``send`` with the others gathered; the chat's next message, claimed."""
        future: asyncio.Future[Pending | None] = asyncio.get_running_loop().create_future()
        with self._lock:
            if send.chat_id in self._waiting:
                raise ValueError(f"chat {send.chat_id} already has a record waiting")
            first = not self._waiting
            self._waiting[send.chat_id] = (send, future)
        if first:
            # Queued now, as a record of its own would be: behind what was committed for the
            # chat before this send, ahead of what comes after.
            self._submit()
        return await future

    def _take(self) -> list[tuple[Sent, asyncio.Future[Pending | None]]]:
        with self._lock:
            taken, self._waiting = list(self._waiting.values()), {}
        return taken

    def _submit(self) -> None:
        taken: list[tuple[Sent, asyncio.Future[Pending | None]]] | None = None

        def job(session: Session) -> dict[int, Pending]:
            # A job may run twice (its batch rolled back, then alone): it takes once.
            nonlocal taken
            if taken is None:
                taken = self._take()
            sends = [send for send, _ in taken]
            return record_sent(session, sends, channel=self.channel, worker=self.worker)

        def written(done: asyncio.Future[dict[int, Pending]]) -> None:
            mine = taken if taken is not None else self._take()  # never ran: still waiting
            pending = [(send, future) for send, future in mine if not future.done()]
            error = RuntimeError("cancelled") if done.cancelled() else done.exception()
            if error is not None:  # each caller decides (``Deliverer._record_surely`` retries)
                for _, future in pending:
                    future.set_exception(error)
                return
            claimed = done.result()
            self.statements += 1
            self.records += len(mine)
            for send, future in pending:
                future.set_result(claimed.get(send.chat_id))

        self.db.submit(job).add_done_callback(written)
