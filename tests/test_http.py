"""PTB over our aiohttp transport (bot/http.py), against the Bot API emulator on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
import socket
import ssl
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.http import AiohttpRequest
from tools.botapi_emulator import BotApiEmulator

TOKEN = "123456:HTTP-token"
CHAT = 4242


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN) as emulator:
        for chat in range(CHAT, CHAT + 6):
            emulator.add_chat(chat, first_name="Sari")
        yield emulator


def bot_for(emu: BotApiEmulator, request: AiohttpRequest | None = None) -> Bot:
    return Bot(
        TOKEN,
        base_url=emu.base_url,
        base_file_url=emu.base_file_url,
        request=request or AiohttpRequest(),
        get_updates_request=AiohttpRequest(1),
    )


async def test_a_message_with_html_and_buttons_arrives_as_sent(emu: BotApiEmulator) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Setuju", callback_data="1:ok")]])
    async with bot_for(emu) as bot:
        sent = await bot.send_message(
            CHAT, "<b>Halo</b> &amp; selamat", parse_mode=ParseMode.HTML, reply_markup=keyboard
        )
    [stored] = emu.sent(CHAT)
    assert stored["text"] == "<b>Halo</b> &amp; selamat"
    assert stored["parse_mode"] == ParseMode.HTML
    assert stored["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "1:ok"
    assert sent.message_id == stored["message_id"]


async def test_a_picture_travels_as_multipart_and_comes_back_byte_for_byte(
    emu: BotApiEmulator,
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    async with bot_for(emu) as bot:
        message = await bot.send_photo(
            CHAT, InputFile(io.BytesIO(png), filename="peta.png"), caption="Peta <i>Anda</i>"
        )
        assert message.caption == "Peta <i>Anda</i>"  # no parse_mode: the tags are text
        file = await bot.get_file(message.photo[-1].file_id)
        assert bytes(await file.download_as_bytearray()) == png


async def test_telegram_errors_reach_ptb_as_its_own_exceptions(emu: BotApiEmulator) -> None:
    async with bot_for(emu) as bot:
        emu.fail_next("sendMessage", 429, retry_after=7)
        with pytest.raises(RetryAfter) as limited:
            await bot.send_message(CHAT, "a")
        assert limited.value.retry_after.total_seconds() == 7  # type: ignore[union-attr]
        emu.fail_next("sendMessage", 502)
        with pytest.raises(NetworkError):
            await bot.send_message(CHAT, "b")
        with pytest.raises(BadRequest):
            await bot.send_message(CHAT, "<b>unclosed", parse_mode=ParseMode.HTML)
        await bot.send_message(CHAT, "c")
    assert [m["text"] for m in emu.sent(CHAT)] == ["c"]


async def test_a_slow_answer_times_out_and_the_next_request_still_works(
    emu: BotApiEmulator,
) -> None:
    async with bot_for(emu, AiohttpRequest(read_timeout=0.3)) as bot:
        emu.delay_next("sendMessage", 2.0)
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT, "slow")
        await bot.send_message(CHAT, "quick", read_timeout=5)
    assert "quick" in [m["text"] for m in emu.sent(CHAT)]


async def test_an_unreachable_server_is_a_network_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=AiohttpRequest())
    with pytest.raises(NetworkError, match="aiohttp"):
        await bot.initialize()
    await bot.shutdown()


async def test_requests_beyond_the_connections_wait_their_turn(emu: BotApiEmulator) -> None:
    request = AiohttpRequest(2)
    async with bot_for(emu, request) as bot:
        emu.delay_next("sendMessage", 0.2, count=2)
        started = asyncio.get_running_loop().time()
        # One chat each: the emulator, like Telegram, allows about one message a second per chat.
        await asyncio.gather(*(bot.send_message(CHAT + i, f"m{i}") for i in range(6)))
        # Two slow requests hold both connections; the other four wait for them.
        assert asyncio.get_running_loop().time() - started >= 0.2
    assert [m["text"] for i in range(6) for m in emu.sent(CHAT + i)] == [f"m{i}" for i in range(6)]


def test_the_proxy_comes_from_the_environment_once_per_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    request = AiohttpRequest()
    assert request._proxy("https://api.telegram.org/bot1/getMe") == "http://proxy.example:3128"
    assert request._proxy("http://127.0.0.1:8081/bot1/getMe") is None
    monkeypatch.delenv("HTTPS_PROXY")
    # Looked up once: a worker does not re-read its environment on every request.
    assert request._proxy("https://api.telegram.org/bot1/sendMessage") is not None


async def test_telegrams_certificate_is_checked_against_certifis_authorities() -> None:
    import certifi

    request = AiohttpRequest()
    await request.initialize()
    try:
        assert request._session is not None
        context = request._session.connector._ssl  # type: ignore[union-attr]
        assert context.verify_mode.name == "CERT_REQUIRED" and context.check_hostname
        ours = {c["serialNumber"] for c in context.get_ca_certs()}
        bundle = ssl.create_default_context(cafile=certifi.where())
        assert ours and ours == {c["serialNumber"] for c in bundle.get_ca_certs()}
    finally:
        await request.shutdown()
