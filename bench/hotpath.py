"""The application layer's own cost per update, in process: no HTTP, no Bot API, no sending.

Usage: ``python -m bench.hotpath [--json] [--only sqlite postgres] [--participants N]
[--concurrency C]``

``participants`` new people each walk the throughput dialog (``/start``, the *agree* button,
the *Bahasa Indonesia* button) straight through ``app.conversations.handle_event``, ``C`` of
them at a time, on a throwaway database. Each button press first reads the participant's
``seq`` (a small SELECT of its own, left out of the statement counts), as the transport would
have it from the message. Figures: updates/s; this process's CPU per update (both threads, the
``seq`` reads included); statements per update; and, per kind of statement (its first three
words), the database thread's wall time for it per update, which on PostgreSQL is mostly the
round trip. ``bench.throughput`` measures the whole worker; this isolates the transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event, select

from app.conversations import handle_event
from bench._support import JSON, database, emit, postgres_reachable
from coaching.model import Event, EventKind
from storage.arrivals import Identity
from storage.db import Database
from storage.models import Participant

WARM_UP = 20  # participants walked before measuring: statements built, plans cached
_SEQ = "SELECT participants.seq"


class Timings:
    """Wall time and count per kind of statement, as the database thread saw it."""

    def __init__(self, db: Database) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        event.listen(db.engine, "before_cursor_execute", self._before)
        event.listen(db.engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        head = " ".join(statement.split()[:3])
        self.seconds[head] += time.perf_counter() - conn.info.pop("bench_started")
        self.calls[head] += 1

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()


async def _walk(db: Database, number: int, update_ids: itertools.count[int]) -> None:
    who = Identity(f"tg:{number}", "telegram", number, "id")
    await handle_event(
        db, who, Event.of_text("/start"), update_id=next(update_ids), claim_as="bench:1"
    )
    for choice in ("agree", "lang:id"):

        def seq(session: Any) -> int:
            found = session.execute(
                select(Participant.seq).where(Participant.external_id == who.external_id)
            )
            return int(found.scalar_one())

        press = Event(EventKind.CHOICE, choice=choice, seq=await db.run(seq))
        await handle_event(db, who, press, update_id=next(update_ids), claim_as="bench:1")


async def measure(kind: str, participants: int, concurrency: int) -> JSON:
    async with database(kind) as url:
        db = Database.connect(url)
        await db.upgrade()
        timings = Timings(db)
        update_ids = itertools.count(1)
        numbers = itertools.count(1_000)
        await asyncio.gather(*(_walk(db, next(numbers), update_ids) for _ in range(WARM_UP)))
        timings.reset()
        wall, cpu = time.perf_counter(), time.process_time()
        for start in range(0, participants, concurrency):
            batch = min(concurrency, participants - start)
            await asyncio.gather(*(_walk(db, next(numbers), update_ids) for _ in range(batch)))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        await db.dispose()
    updates = participants * 3
    statements = sum(n for head, n in timings.calls.items() if not head.startswith(_SEQ))
    per_kind = {
        head: round(seconds / updates * 1000, 3)
        for head, seconds in sorted(timings.seconds.items(), key=lambda kv: -kv[1])
        if not head.startswith(_SEQ)
    }
    return {
        "updates": updates,
        "updates_per_s": round(updates / wall, 1),
        "cpu_ms_per_update": round(cpu / updates * 1000, 2),
        "statements_per_update": round(statements / updates, 2),
        "db_ms_per_update_by_statement": per_kind,
    }


async def main(argv: Sequence[str]) -> JSON:
    parser = argparse.ArgumentParser(prog="python -m bench.hotpath")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--participants", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args(argv)
    results: JSON = {}
    for kind in args.only:
        if kind == "postgres" and not postgres_reachable():
            results[kind] = {"skipped": "PostgreSQL not reachable"}
            continue
        print(f"hotpath: {kind} ...", file=sys.stderr)
        results[kind] = await measure(kind, args.participants, args.concurrency)
    emit({"hotpath": results}, args.json)
    return results


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
