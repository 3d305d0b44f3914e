"""Fast fault tests beside bench/faults.py: a database outage during an update, the
benchmark's rate-limit switch, and SQLite writers queueing in the process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

import bot.pipeline
import service.run
from app.conversations import Identity, handle_event
from coaching.model import Event
from service.run import chat_pacer
from service.settings import rate_limited
from storage.db import Database
from storage.outbox_pacing import ChatPacer, Unpaced
from tests.test_e2e import CHAT, TOKEN, free_port, reply, running, webhook_settings
from tools.botapi_emulator import BotApiEmulator


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN, webhook_retry_delay=0.05) as emulator:
        yield emulator


@pytest.mark.e2e
async def test_database_outage_answers_500_and_the_redelivered_update_is_answered_once(
    emu: BotApiEmulator, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = handle_event
    outages = 2

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        nonlocal outages
        if outages:
            outages -= 1
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database restarting"))
        return await real(*args, **kwargs)

    monkeypatch.setattr(bot.pipeline, "handle_event", flaky)
    settings = webhook_settings(emu, sqlite_url, free_port())
    async with running(settings):
        for _ in range(50):
            if emu.webhook:
                break
            await asyncio.sleep(0.1)
        emu.user_sends_text(CHAT, "/start")
        consent = await reply(emu, 1)
        assert "Persetujuan" in consent["text"]
        for _ in range(200):  # the acknowledging attempt finishes after the reply is sent
            if any(a["status"] == 200 for a in emu.webhook_attempts):
                break
            await asyncio.sleep(0.05)
        assert len(emu.sent(CHAT)) == 1  # answered once, after two refusals
        statuses = [a["status"] for a in emu.webhook_attempts]
        assert statuses[:3] == [500, 500, 200]


@pytest.mark.e2e
async def test_the_webhook_is_registered_once_its_port_takes_connections(
    emu: BotApiEmulator, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Telegram delivers as soon as the webhook is set, and backs off after a refused
    connection: after a restart the first updates would wait. So the port listens first."""
    port = free_port()
    listening: list[bool] = []
    real = service.run.register_webhook

    async def register(*args: Any, **kwargs: Any) -> None:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            listening.append(False)
        else:
            writer.close()
            listening.append(True)
        await real(*args, **kwargs)

    monkeypatch.setattr(service.run, "register_webhook", register)
    settings = webhook_settings(emu, sqlite_url, port)
    async with running(settings):
        emu.user_sends_text(CHAT, "/start")
        assert "Persetujuan" in (await reply(emu, 1))["text"]
    assert listening == [True]
    assert all(a["status"] is not None for a in emu.webhook_attempts), emu.webhook_attempts


def test_rate_limit_switch() -> None:
    assert rate_limited({})
    assert rate_limited({"JEJARING_RATE_LIMIT": "1"})
    assert not rate_limited({"JEJARING_RATE_LIMIT": "0"})
    assert not rate_limited({"JEJARING_RATE_LIMIT": " off "})
    assert Unpaced().delay(1) == 0.0
    assert all(Unpaced().delay(7) == 0.0 for _ in range(10))


def test_pacer_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JEJARING_RATE_LIMIT", raising=False)
    assert type(chat_pacer()) is ChatPacer
    monkeypatch.setenv("JEJARING_RATE_LIMIT", "0")
    assert isinstance(chat_pacer(), Unpaced)


async def test_sqlite_writers_queue_in_the_process_instead_of_sleeping(sqlite_url: str) -> None:
    """Thirty participants' first updates at once: all committed, none waits in SQLite's busy
    handler (which sleeps up to 100 ms per attempt), so the whole batch is quick."""
    db = Database.connect(sqlite_url)
    await db.upgrade()
    try:
        began = time.monotonic()
        handled = await asyncio.gather(
            *(
                handle_event(
                    db,
                    Identity(f"tg:{n}", "telegram", n, "id"),
                    Event.of_text("/start"),
                    update_id=n,
                )
                for n in range(1, 31)
            )
        )
        assert len({h.participant_id for h in handled}) == 30
        assert all(h.outbox_ids for h in handled)
        assert time.monotonic() - began < 10
    finally:
        await db.dispose()
