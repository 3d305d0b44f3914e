"""Safe defaults: the service listens on this machine only unless told otherwise, the dashboard
refuses a public address over http, and a stale tap after /hapus_data brings nobody back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.settings import Settings, dashboard_refusal, is_loopback
from storage.db import Database
from storage.models import Participant, ProcessedUpdate
from tests.support import transaction
from tests.test_e2e import CHAT, TOKEN, free_port, reply, running, settings_for
from tests.test_handlers import Harness
from tests.test_terminal import run_cli
from tools.botapi_emulator import BotApiEmulator


def test_the_service_listens_on_this_machine_unless_told_otherwise() -> None:
    assert Settings.from_env({}).host == "127.0.0.1"
    assert Settings.from_env({"HOST": ""}).host == "127.0.0.1"
    assert Settings.from_env({"HOST": "0.0.0.0"}).host == "0.0.0.0"
    assert Settings(token=None, api_base_url="", database_url="").host == "127.0.0.1"


def test_a_public_address_needs_an_https_public_url() -> None:
    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"):
        assert is_loopback(host) and dashboard_refusal(host, "http://127.0.0.1:8080") is None
    for host in ("0.0.0.0", "::", "10.0.0.5", "bot.example.org"):
        assert not is_loopback(host)
        refusal = dashboard_refusal(host, "http://bot.example.org")
        assert refusal is not None and "https" in refusal and f"HOST={host}" in refusal
        assert dashboard_refusal(host, "https://bot.example.org") is None


def test_jejaring_dashboard_refuses_to_start_on_a_public_address_over_http(
    tmp_path: Path,
) -> None:
    result = run_cli(
        ["dashboard"], "", tmp_path, DASHBOARD_SECRET="k" * 32, HOST="0.0.0.0", PORT="1"
    )
    assert result.returncode == 2
    assert "not https" in result.stderr and "HOST=127.0.0.1" in result.stderr


@pytest.mark.e2e
async def test_jejaring_run_on_a_public_address_over_http_runs_the_bot_without_dashboard(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    port = free_port()
    async with (
        BotApiEmulator(token=TOKEN) as emu,
        running(settings_for(emu, sqlite_url, host="0.0.0.0", port=port)),
    ):
        emu.user_sends_text(CHAT, "/start")
        assert "Persetujuan" in (await reply(emu, 1))["text"]
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)
    assert any("dashboard was not started" in r.getMessage() for r in caplog.records)


async def test_a_stale_tap_after_hapus_data_brings_nobody_back(db: Database) -> None:
    bot = Harness(db)
    async with bot.app:
        await bot.feed(bot.sari.text("/start"))
        await bot.feed(bot.sari.press("j1:1:agree"))
        await bot.feed(bot.sari.press("j1:2:lang:id"))
        await bot.feed(bot.sari.text("Sari Dewi"))
        await bot.feed(bot.sari.text("/hapus_data"))
        seq = (await bot.participant()).seq
        await bot.feed(bot.sari.press(f"j1:{seq}:delete"))
        with transaction(db) as session:
            assert session.scalar(select(func.count()).select_from(Participant)) == 0
            kept = session.scalar(select(func.count()).select_from(ProcessedUpdate))
        # Days later, a button of an old message: the language choice, a reminder's snooze.
        for stale in ("j1:2:lang:en", "j1:0:rem:1:s:tmr", "j1:0:ko:p:1", "j1:5:g::menu.main:net"):
            assert await bot.feed(bot.sari.press(stale)) == []
            assert "sudah selesai" in bot.request.answers()[-1]["text"]
        with transaction(db) as session:
            assert session.scalar(select(func.count()).select_from(Participant)) == 0
            assert session.scalar(select(func.count()).select_from(ProcessedUpdate)) == kept
        # Writing again starts a new conversation, as it should.
        sent = await bot.feed(bot.sari.text("/start"))
        assert "Persetujuan" in sent[0]["text"]
