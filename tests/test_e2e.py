"""End to end over real HTTP: the bot (polling and webhook) against the Bot API emulator."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

from service.run import serve
from service.settings import Settings
from tests.conftest import REPO
from tests.support import telegram_html_errors
from tools.botapi_emulator import BotApiEmulator

pytestmark = pytest.mark.e2e
TOKEN = "123456:TEST-token"
CHAT = 1001


def buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {"inline_keyboard": []}
    return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN) as emulator:
        yield emulator


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


async def first_with(emu: BotApiEmulator, words: str, patience: float = 15) -> dict[str, Any]:
    """The first message to the chat containing ``words`` (waiting for it to arrive)."""
    for _ in range(int(patience / 0.05)):
        found = [m for m in emu.sent(CHAT) if words in m["text"]]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no message with {words!r}: {[m['text'][:40] for m in emu.sent(CHAT)]}")


def settings_for(emu: BotApiEmulator, database_url: str, **extra: Any) -> Settings:
    return Settings(token=TOKEN, api_base_url=emu.base_url, database_url=database_url, **extra)


WEBHOOK_SECRET = "s3cret-Token_1"


def webhook_settings(emu: BotApiEmulator, database_url: str, port: int) -> Settings:
    """Webhook mode, served on 127.0.0.1:``port`` with the tests' secret."""
    return settings_for(
        emu,
        database_url,
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        webhook_secret=WEBHOOK_SECRET,
        host="127.0.0.1",
        port=port,
    )


async def reply(emu: BotApiEmulator, count: int) -> dict[str, Any]:
    messages = await emu.wait_for_messages(CHAT, count, timeout=15)
    return messages[count - 1]


async def test_polling_answers_start_with_consent_and_a_button_advances(
    emu: BotApiEmulator, database_url: str
) -> None:
    async with running(settings_for(emu, database_url)):
        emu.user_sends_text(CHAT, "/start", first_name="Sari", language_code="id")
        consent = await reply(emu, 1)
        assert "Persetujuan penyimpanan data" in consent["text"]
        assert buttons(consent) == ["j1:1:agree", "j1:1:decline", "j1:1:lang:en"]
        emu.user_presses(CHAT, consent["message_id"], "j1:1:agree")
        language = await reply(emu, 2)
        assert "Pilih bahasa" in language["text"]
        assert buttons(language) == ["j1:2:lang:id", "j1:2:lang:en"]
        assert len(emu.callback_answers) == 1
        # Polling has no response to carry it: the answer is a request of its own.
        answers = [c for c in emu.calls if c.method == "answerCallbackQuery"]
        assert [(c.status, c.via_webhook) for c in answers] == [(200, False)]
        assert {c["command"] for c in emu.commands(language_code="en")} >= {"menu", "bahasa"}


async def test_whole_onboarding_over_http_within_telegrams_limits(
    emu: BotApiEmulator, sqlite_url: str
) -> None:
    async with running(settings_for(emu, sqlite_url)):
        emu.user_sends_text(CHAT, "/start")
        last = await reply(emu, 1)
        steps: list[tuple[str, str]] = [
            ("press", "agree"),
            ("press", "lang:en"),
            ("text", "<b>Sari</b> 😀"),
            ("text", "Sari Dewi"),  # two replies: how to address her, then her unit
            ("text", "x" * 4000),
            ("text", "Bappeda Karawang"),
            ("press", "WITA"),
            ("press", "weekly"),
        ]
        count = 1
        for kind, value in steps:
            if kind == "press":
                data = next(d for d in buttons(last) if d.endswith(f":{value}"))
                emu.user_presses(CHAT, last["message_id"], data)
            else:
                emu.user_sends_text(CHAT, value)
            count += 2 if value == "Sari Dewi" else 1
            last = await reply(emu, count)
        assert "Main menu" in last["text"] and "0/25" in last["text"]
        texts = [m["text"] for m in emu.sent(CHAT)]
        assert all(telegram_html_errors(t) == [] for t in texts)
        assert "A name may contain only letters" in texts[3]  # markup and emoji re-asked
        assert "How would you like me to address you" in texts[4]
        assert "too long" in texts[6]
        assert len(texts) == len(set(texts)) + 0 or texts.count(texts[-1]) == 1


async def test_429_and_5xx_are_retried_until_delivered_once(
    emu: BotApiEmulator, sqlite_url: str
) -> None:
    emu.fail_next("sendMessage", status=429, retry_after=1)
    emu.fail_next("sendMessage", status=502)
    async with running(settings_for(emu, sqlite_url)):
        emu.user_sends_text(CHAT, "/start")
        consent = await reply(emu, 1)
        await asyncio.sleep(1.5)
        assert len(emu.sent(CHAT)) == 1 and "Persetujuan" in consent["text"]
        statuses = [c.status for c in emu.calls if c.method == "sendMessage"]
        assert statuses[:2] == [429, 502] and statuses.count(200) == 1


async def test_webhook_mode_commits_then_answers_and_refuses_a_wrong_secret(
    emu: BotApiEmulator, database_url: str
) -> None:
    settings = webhook_settings(emu, database_url, free_port())
    async with running(settings):
        for _ in range(50):
            if emu.webhook:
                break
            await asyncio.sleep(0.1)
        assert emu.webhook and emu.webhook["url"].endswith("/telegram")
        emu.user_sends_text(CHAT, "/start")
        consent = await reply(emu, 1)
        emu.user_presses(CHAT, consent["message_id"], "j1:1:agree")
        assert "Pilih bahasa" in (await reply(emu, 2))["text"]
        # The button's spinner was stopped by a call inside the webhook's 200 response (which
        # may reach Telegram just after the reply the deliverer sent meanwhile).
        for _ in range(100):
            answers = [c for c in emu.calls if c.method == "answerCallbackQuery"]
            if answers:
                break
            await asyncio.sleep(0.05)
        assert [(c.status, c.via_webhook) for c in answers] == [(200, True)]
        assert len(emu.callback_answers) == 1
        forged = {
            "update_id": 99_999,
            "message": {
                "message_id": 1,
                "date": 1_764_000_000,
                "chat": {"id": CHAT, "type": "private"},
                "from": {"id": CHAT, "is_bot": False, "first_name": "Mallory"},
                "text": "/menu",
            },
        }
        assert await emu.post_to_webhook(forged, secret="wrong") == 403
        assert await emu.post_to_webhook(forged, secret=None) == 403
        await asyncio.sleep(0.3)
        assert len(emu.sent(CHAT)) == 2  # the forged update did nothing
        assert any(a["status"] == 200 for a in emu.webhook_attempts)


# --- a real process, killed with SIGKILL between steps -------------------------------------


class BotProcess:
    def __init__(self, emu: BotApiEmulator, database_url: str) -> None:
        self.env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": emu.base_url,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(REPO),
        }
        self.env.pop("WEBHOOK_URL", None)
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "cli.main",
            "run",
            env=self.env,
            cwd=str(REPO),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )

    async def kill(self, settle: float = 0.5) -> None:
        """SIGKILL; ``settle`` first lets the step finish (its delivery recorded)."""
        assert self.proc is not None
        await asyncio.sleep(settle)
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        if self.proc.stderr is not None:
            errors = (await self.proc.stderr.read()).decode()
            assert "Traceback" not in errors, errors


async def test_sigkill_between_steps_resumes_without_asking_twice(
    emu: BotApiEmulator, database_url: str
) -> None:
    bot = BotProcess(emu, database_url)
    await bot.start()
    emu.user_sends_text(CHAT, "/start")
    consent = await reply(emu, 1)
    await bot.kill()

    await bot.start()
    emu.user_presses(CHAT, consent["message_id"], "j1:1:agree")
    language = await reply(emu, 2)
    await bot.kill()

    await bot.start()
    emu.user_presses(CHAT, language["message_id"], "j1:2:lang:id")
    assert "Siapa nama Anda" in (await reply(emu, 3))["text"]
    emu.user_sends_text(CHAT, "Sari Dewi")
    await bot.kill(settle=0.02)  # mid-step: before or after the commit, nothing is lost

    await bot.start()
    unit = await first_with(emu, "Senang berkenalan")
    assert "Sari Dewi" in unit["text"]
    emu.user_sends_text(CHAT, "Bappeda Karawang")
    timezone = await first_with(emu, "Anda berada di zona waktu")
    assert buttons(timezone) == ["j1:5:WIB", "j1:5:WITA", "j1:5:WIT"]
    await bot.kill(settle=1.0)
    texts = [m["text"] for m in emu.sent(CHAT)]
    distinct = list(dict.fromkeys(texts))
    # Nothing lost, every step answered once it was asked.
    assert len(distinct) == 6, [t[:60] for t in texts]  # the name: address, then unit
    # Nothing asked twice — except, at most, the one reply in flight when the process died
    # mid-step (Telegram had accepted it, our record had not committed: README's window).
    assert len(texts) - len(distinct) <= 1 and texts.count(distinct[-1]) == 1
