"""The Bot API emulator's updates, as a real python-telegram-bot 22 client receives them: long
polling, offsets, a second poller, documents, webhooks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web
from telegram import (
    Bot,
    Message,
    MessageEntity,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
)

from tests.emulator.conftest import CHAT, TOKEN, keyboard
from tools.botapi_emulator import BotApiEmulator

pytestmark = pytest.mark.e2e


# --------------------------------------------------------------------------- updates


async def test_get_updates_parses_text_and_callback_query(emu: BotApiEmulator, bot: Bot) -> None:
    first = emu.user_sends_text(chat_id=CHAT, text="/start@jejaring_test_bot go", first_name="Sari")
    (update,) = await bot.get_updates(timeout=0)
    assert update.update_id == first
    assert update.message is not None and update.message.text == "/start@jejaring_test_bot go"
    assert update.message.entities == (MessageEntity(MessageEntity.BOT_COMMAND, 0, 24),)
    assert update.effective_user is not None and update.effective_user.language_code == "id"

    sent = await bot.send_message(CHAT, "Siap?", reply_markup=keyboard("ya", "tidak"))
    with pytest.raises(ValueError, match="no button"):
        emu.user_presses(CHAT, sent.message_id, "maybe")
    pressed = emu.user_presses(CHAT, sent.message_id, "ya")
    (cb_update,) = await bot.get_updates(offset=first + 1, timeout=0)
    assert cb_update.update_id == pressed
    query = cb_update.callback_query
    assert query is not None and query.data == "ya" and query.chat_instance
    assert isinstance(query.message, Message) and query.message.message_id == sent.message_id
    assert query.message.reply_markup == keyboard("ya", "tidak")
    assert Update.de_json(cb_update.to_dict(), bot) == cb_update

    assert await bot.answer_callback_query(query.id, text="Oke")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query.id)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("12345")
    second = emu.user_presses(CHAT, sent.message_id, "ya")
    assert second != pressed
    (again,) = await bot.get_updates(offset=pressed + 1, timeout=0)
    assert again.callback_query is not None and again.callback_query.id != query.id
    with pytest.raises(BadRequest, match=r"(?i)message_too_long"):
        await bot.answer_callback_query(again.callback_query.id, text="x" * 201)
    assert [a["text"] for a in emu.callback_answers] == ["Oke"]


async def test_long_poll_waits_for_new_updates(emu: BotApiEmulator, bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=1) == ()
    assert loop.time() - started >= 0.9

    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    assert not poll.done()
    emu.user_sends_sticker(CHAT)
    (update,) = await asyncio.wait_for(poll, timeout=2)
    assert update.message is not None and update.message.sticker is not None


async def test_offset_confirms_and_redeliver(emu: BotApiEmulator, bot: Bot) -> None:
    a = emu.user_sends_text(CHAT, "satu")
    b = emu.user_sends_text(CHAT, "dua")
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [a, b]
    # Without an offset nothing is confirmed.
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [a, b]
    assert [u.update_id for u in await bot.get_updates(offset=b, timeout=0)] == [b]
    assert await bot.get_updates(offset=b + 1, timeout=0) == ()
    assert emu.pending_updates == []
    emu.redeliver(a)
    (redelivered,) = await bot.get_updates(offset=b + 1, timeout=0)
    assert redelivered.update_id == a
    assert redelivered.message is not None and redelivered.message.text == "satu"
    c = emu.user_sends_text(CHAT, "tiga")
    assert [u.update_id for u in await bot.get_updates(limit=1, offset=-1, timeout=0)] == [c]


async def test_a_second_poller_terminates_the_first(emu: BotApiEmulator, bot: Bot) -> None:
    # A second Bot, as in a second process: one Bot polls through a connection pool of one, so
    # its own second getUpdates would wait for the pool (PoolTimeout) instead.
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    async with Bot(TOKEN, base_url=emu.base_url) as other:
        assert await other.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, timeout=2)


async def test_user_document_can_be_downloaded(emu: BotApiEmulator, bot: Bot) -> None:
    content = b"Nama,Peran\nSari,Ketua\n"
    emu.user_sends_document(CHAT, "anggota.csv", content, "text/csv")
    emu.user_sends_photo(CHAT, content=b"jpeg-bytes")
    doc_update, photo_update = await bot.get_updates(timeout=0)
    assert doc_update.message is not None and doc_update.message.document is not None
    file = await doc_update.message.document.get_file()
    assert bytes(await file.download_as_bytearray()) == content
    assert photo_update.message is not None
    photo = await photo_update.message.photo[-1].get_file()
    assert bytes(await photo.download_as_bytearray()) == b"jpeg-bytes"
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


# --------------------------------------------------------------------------- webhook


async def test_set_webhook_blocks_get_updates(emu: BotApiEmulator, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)secret token contains unallowed characters"):
        await bot.set_webhook("https://bot.example/hook", secret_token="has:colon")
    assert emu.webhook is None
    emu.user_sends_text(CHAT, "queued before the webhook")
    await bot.set_webhook("https://bot.example/hook", secret_token="s3cr3t_-", max_connections=5)
    assert emu.webhook is not None and emu.webhook["secret_token"] == "s3cr3t_-"
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates(timeout=0)
    info = await bot.get_webhook_info()
    assert info.url == "https://bot.example/hook" and info.max_connections == 5
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates(timeout=0) == ()


async def test_webhook_delivery_with_secret_and_retry(emu: BotApiEmulator, bot: Bot) -> None:
    received: list[dict[str, Any]] = []
    statuses = iter([500])

    async def hook(request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != "rahasia":
            return web.Response(status=403)
        status = next(statuses, 200)
        if status == 200:
            received.append(await request.json())
        return web.Response(status=status)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="rahasia")
        update_id = emu.user_sends_text(CHAT, "lewat webhook")
        for _ in range(600):
            if received and len(emu.webhook_attempts) >= 2 and not emu.pending_updates:
                break
            await asyncio.sleep(0.05)
        assert [u["update_id"] for u in received] == [update_id]
        parsed = Update.de_json(received[0], bot).message
        assert parsed is not None and parsed.text == "lewat webhook"
        assert [a["status"] for a in emu.webhook_attempts] == [500, 200]
        assert emu.pending_updates == []
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 0
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )
        assert await emu.post_to_webhook(received[0], secret="wrong") == 403
        assert await emu.post_to_webhook(received[0], secret=None) == 403
    finally:
        await bot.delete_webhook()
        await runner.cleanup()


async def test_manual_webhook_delivery_keeps_failed_updates() -> None:
    async with BotApiEmulator(token=TOKEN, auto_webhook=False) as emu:
        emu.user_sends_text(CHAT, "x")
        async with Bot(TOKEN, base_url=emu.base_url) as bot:
            await bot.set_webhook("http://127.0.0.1:9/unreachable")
        assert await emu.deliver_webhook_updates() == 0
        assert emu.webhook_attempts[0]["status"] is None
        assert len(emu.pending_updates) == 1
