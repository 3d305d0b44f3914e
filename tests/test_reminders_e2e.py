"""Reminders end to end over HTTP: the bot (and ``jejaring reminders``) against the emulator."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import Participant, Reminder
from tests.conftest import REPO
from tests.support import telegram_html_errors, transaction
from tests.test_e2e import TOKEN, BotProcess, running, settings_for
from tools.botapi_emulator import BotApiEmulator
from tools.seeding import seed_due

pytestmark = pytest.mark.e2e


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN) as emulator:
        yield emulator


async def database(url: str) -> Database:
    db = Database.connect(url)
    await db.upgrade()
    return db


async def seed(
    db: Database, emu: BotApiEmulator, first: int, count: int, due: datetime
) -> list[int]:
    chats = list(range(first, first + count))
    for chat in chats:
        emu.add_chat(chat)
    await seed_due(db, count, due, first_chat=first)
    return chats


async def all_arrive(emu: BotApiEmulator, chats: Iterable[int], within: float = 40) -> None:
    await asyncio.gather(*(emu.wait_for_messages(chat, 1, timeout=within) for chat in chats))


async def first_reminders(db: Database, chats: Iterable[int]) -> dict[int, str]:
    """Each chat's first reminder's status."""
    with transaction(db) as session:
        rows = session.execute(
            select(Participant.chat_id, Reminder.status)
            .join(Participant, Participant.id == Reminder.participant_id)
            .where(Participant.chat_id.in_(list(chats)))
            .order_by(Reminder.id)
        )
        found: dict[int, str] = {}
        for chat, status in rows.all():
            found.setdefault(int(chat), status)
        return found


def sends(emu: BotApiEmulator, status: int) -> int:
    return sum(1 for c in emu.calls if c.method == "sendMessage" and c.status == status)


async def test_429_and_5xx_every_reminder_is_still_delivered_once(
    emu: BotApiEmulator, database_url: str
) -> None:
    db = await database(database_url)
    chats = await seed(db, emu, 5001, 20, datetime.now(UTC) - timedelta(minutes=1))
    emu.fail_next("sendMessage", status=429, count=4, retry_after=1)
    emu.fail_next("sendMessage", status=502, count=3)
    emu.fail_next("sendMessage", status=500, count=2)
    emu.fail_next("sendMessage", status=503, count=1)
    async with running(settings_for(emu, database_url)):
        await all_arrive(emu, chats)
        await asyncio.sleep(1.5)  # nothing more comes
        assert all(len(emu.sent(chat)) == 1 for chat in chats)
        nudge = emu.sent(5001)[0]
        assert telegram_html_errors(nudge["text"]) == []
        buttons = [
            b["callback_data"] for row in nudge["reply_markup"]["inline_keyboard"] for b in row
        ]
        assert buttons[0].startswith("j1:0:rem:") and buttons[0].endswith(":x:bab2.latihan1")
        # "Do it now" opens the exercise, from the nudge, through the whole stack.
        emu.user_presses(5001, nudge["message_id"], buttons[0])
        opened = (await emu.wait_for_messages(5001, 2, timeout=15))[1]
        assert "Latihan 1" in opened["text"] or "Exercise 1" in opened["text"]
    assert [sends(emu, s) for s in (429, 502, 500, 503)] == [4, 3, 2, 1]
    assert sends(emu, 200) == 21
    assert set((await first_reminders(db, chats)).values()) == {"sent"}
    await db.dispose()


async def test_killed_while_reminders_are_due_each_arrives_exactly_once(
    emu: BotApiEmulator, database_url: str
) -> None:
    db = await database(database_url)
    now = datetime.now(UTC)
    delivered = await seed(db, emu, 5101, 15, now - timedelta(minutes=1))
    bot = BotProcess(emu, database_url)
    await bot.start()
    await all_arrive(emu, delivered)
    await asyncio.sleep(1.0)  # their deliveries are recorded
    # Due now, rendered into the outbox, tried once and failed (Telegram 503): then killed.
    # Every send fails until the kill: a retry that falls due before it (the first backoff
    # is about a second, and seeding on a loaded machine can take longer) must not succeed.
    emu.fail_next("sendMessage", status=503, count=1000)
    in_flight = await seed(db, emu, 5201, 15, datetime.now(UTC))
    for _ in range(400):
        if sends(emu, 503) >= 15:
            break
        await asyncio.sleep(0.05)
    assert sends(emu, 503) >= 15
    # And some that fall due while the process is dead.
    later = await seed(db, emu, 5301, 15, datetime.now(UTC) + timedelta(seconds=2))
    await bot.kill(settle=0.3)
    emu.clear_faults("sendMessage")
    assert all(emu.sent(chat) == [] for chat in in_flight + later)
    await asyncio.sleep(2.5)

    await bot.start()
    everyone = delivered + in_flight + later
    await all_arrive(emu, everyone)
    await bot.kill(settle=1.5)
    counts = {chat: len(emu.sent(chat)) for chat in everyone}
    assert set(counts.values()) == {1}, counts
    assert set((await first_reminders(db, everyone)).values()) == {"sent"}
    await db.dispose()


async def test_jejaring_reminders_runs_the_dispatcher_alone(
    emu: BotApiEmulator, sqlite_url: str
) -> None:
    db = await database(sqlite_url)
    chats = await seed(db, emu, 5401, 5, datetime.now(UTC) - timedelta(minutes=1))
    env: dict[str, Any] = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emu.base_url,
        "DATABASE_URL": sqlite_url,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPO),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli.main",
        "reminders",
        env=env,
        cwd=str(REPO),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await all_arrive(emu, chats, within=30)
    finally:
        await asyncio.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 15) == 0
    assert proc.stderr is not None
    errors = (await proc.stderr.read()).decode()
    assert "Traceback" not in errors, errors
    assert all(len(emu.sent(chat)) == 1 for chat in chats)
    assert not [c for c in emu.calls if c.method == "getUpdates"]  # it does not poll
    assert set((await first_reminders(db, chats)).values()) == {"sent"}
    await db.dispose()
