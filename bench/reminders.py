"""Benchmark: due reminders through the real delivery path, against the Bot API emulator.

10,000 participants (``--quick``: 900) each have one reminder due now. The dispatcher claims
them, renders each nudge into the outbox and the outbox delivers it through PTB (whose
``AIORateLimiter`` keeps 30 messages/s overall) to an in-process emulator that enforces the
same 30/s and Telegram's per-chat limits, answering 429 to anything faster. Prints the achieved
rate (goal: at least 95% of the limit), duplicates and lost nudges (goal: none of either)::

    python -m bench.reminders [--quick] [--json] [--count N] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.sender import TelegramSender
from service.run import telegram_application
from service.settings import Settings
from storage.db import Database, driver_url
from storage.models import Reminder
from storage.outbox import Deliverer
from storage.reminders import ReminderDispatcher
from tools.botapi_emulator import BotApiEmulator
from tools.seeding import seed_due, transaction

TOKEN = "123456:BENCH-reminders"
LIMIT = 30.0  # Telegram's overall limit, messages per second
FIRST_CHAT = 700_000


async def seed(db: Database, count: int, due: datetime) -> None:
    """``count`` onboarded Telegram participants, each with one routine reminder due."""
    for start in range(0, count, 2000):  # bounded statements: 2,000 rows and ids at a time
        await seed_due(db, min(2000, count - start), due, first_chat=FIRST_CHAT + start)


async def run(count: int, database_url: str, patience: float) -> dict[str, Any]:
    db = Database.connect(database_url)
    await db.upgrade()
    await seed(db, count, datetime.now(UTC) - timedelta(seconds=1))
    chats = range(FIRST_CHAT, FIRST_CHAT + count)
    async with BotApiEmulator(token=TOKEN, global_rate=LIMIT) as emu:
        for chat in chats:
            emu.add_chat(chat)
        settings = Settings(token=TOKEN, api_base_url=emu.base_url, database_url=database_url)
        app = telegram_application(settings)  # the production rate limiter: 30/s overall
        async with app:
            deliverer = Deliverer(db, TelegramSender(app.bot), worker=f"bench:{os.getpid()}")
            dispatcher = ReminderDispatcher(db, deliverer, worker=f"bench:{os.getpid()}")
            stop = asyncio.Event()
            started = time.monotonic()
            tasks = [
                asyncio.create_task(deliverer.run(stop)),
                asyncio.create_task(dispatcher.run(stop)),
            ]
            delivered: Counter[int] = Counter()
            seen, last = 0, started
            while len(delivered) < count and time.monotonic() - started < patience:
                await asyncio.sleep(0.2)
                calls = emu.calls
                for call in calls[seen:]:
                    if call.method == "sendMessage" and call.status == 200:
                        delivered[int(call.params["chat_id"])] += 1
                        last = time.monotonic()
                seen = len(calls)
                _progress(len(delivered), count, last - started)
            await asyncio.sleep(2.0)  # anything sent twice would show up now
            stop.set()
            await asyncio.gather(*tasks)
            await deliverer.idle()
            calls = emu.calls
            delivered = Counter(
                int(c.params["chat_id"])
                for c in calls
                if c.method == "sendMessage" and c.status == 200
            )
            refused = sum(1 for c in calls if c.method == "sendMessage" and c.status == 429)
    with transaction(db) as session:
        statuses = dict(
            (
                session.execute(
                    select(Reminder.status, func.count())
                    .where(Reminder.kind == "routine", Reminder.due_at <= datetime.now(UTC))
                    .group_by(Reminder.status)
                )
            ).all()
        )
    await db.dispose()
    elapsed = last - started
    return {
        "reminders": {
            "count": count,
            "rate_per_s": round(sum(delivered.values()) / elapsed, 2) if elapsed else 0.0,
            "limit_per_s": int(LIMIT),
            "duplicates": sum(n - 1 for n in delivered.values() if n > 1),
            "lost": sum(1 for chat in chats if delivered[chat] == 0),
            "seconds": round(elapsed, 1),
            "refused_429": refused,
            "marked_sent": int(statuses.get("sent", 0)),
            "database": database_url.split(":", 1)[0],
        }
    }


def _progress(done: int, total: int, seconds: float) -> None:
    if sys.stderr.isatty():
        rate = done / seconds if seconds else 0.0
        print(f"\r{done}/{total} delivered, {rate:.1f}/s", end="", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reminders", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="900 reminders instead of 10,000")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--count", type=int, help="how many reminders (overrides --quick)")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    options = parser.parse_args(argv)
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    logging.basicConfig(level=logging.ERROR)
    # A 429 is counted below; PTB's limiter would log each one with a traceback.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    count = options.count or (900 if options.quick else 10_000)
    with tempfile.TemporaryDirectory() as tmp:
        url = options.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        # Generous: the limit alone takes count/30 s; the rest is start-up and the final check.
        patience = count / LIMIT * 1.5 + 60
        result = asyncio.run(run(count, driver_url(url), patience))
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if options.json:
        print(json.dumps(result))
        return 0
    r = result["reminders"]
    print(
        f"reminders: {r['count']} due, delivered at {r['rate_per_s']}/s "
        f"(limit {r['limit_per_s']}/s, {r['rate_per_s'] / r['limit_per_s']:.1%}) "
        f"in {r['seconds']} s; duplicates {r['duplicates']}, lost {r['lost']}; "
        f"429 refusals {r['refused_429']}; reminders marked sent {r['marked_sent']} "
        f"({r['database']})"
    )
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
