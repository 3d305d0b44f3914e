"""The Bot API emulator, driven by a real python-telegram-bot 22 client over HTTP: the methods,
their limits, flood control, injected faults, commands."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import sys
import time

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InputFile,
    MenuButtonCommands,
    Message,
    MessageEntity,
    Update,
)
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, CommandHandler, ContextTypes

from tests.emulator.conftest import CHAT, TOKEN, keyboard, raw_post
from tools.botapi_emulator import BotApiEmulator, parse_html

pytestmark = pytest.mark.e2e


# --------------------------------------------------------------------------- basics


async def test_get_me_satisfies_ptb(emu: BotApiEmulator, bot: Bot) -> None:
    assert bot.username == "jejaring_test_bot"
    assert bot.id == 123
    assert bot.bot.is_bot is True
    assert [c.method for c in emu.calls] == ["getMe"]


async def test_application_builder_polls_and_replies(emu: BotApiEmulator) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_user is not None
        name = update.effective_user.first_name
        await update.effective_message.reply_text(f"Halo <b>{name}</b>!", parse_mode="HTML")

    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    emu.user_sends_text(chat_id=2002, text="/start", first_name="Budi", language_code="id")
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        sent = await emu.wait_for_messages(2002, 1, timeout=10)
        await app.updater.stop()
        await app.stop()
    assert sent[0]["text"] == "Halo <b>Budi</b>!"
    assert sent[0]["visible_text"] == "Halo Budi!"
    assert sent[0]["parse_mode"] == "HTML"
    assert not emu.pending_updates  # the updater confirmed the update on shutdown


async def test_send_message_round_trip_with_inline_keyboard(emu: BotApiEmulator, bot: Bot) -> None:
    before = int(time.time())
    msg = await bot.send_message(
        CHAT, "<b>Halo</b> Sari &amp; tim", parse_mode="HTML", reply_markup=keyboard("yes", "no")
    )
    assert msg.text == "Halo Sari & tim"
    assert msg.entities == (MessageEntity(MessageEntity.BOLD, 0, 4),)
    assert msg.chat.id == CHAT and msg.chat.type == "private"
    assert msg.from_user is not None and msg.from_user.is_bot
    assert before <= msg.date.timestamp() <= time.time() + 1
    assert msg.reply_markup is not None
    assert msg.reply_markup.inline_keyboard[0][1].callback_data == "no"

    (record,) = emu.sent(CHAT)
    assert record["message_id"] == msg.message_id
    assert record["text"] == "<b>Halo</b> Sari &amp; tim"
    assert record["parse_mode"] == "HTML"
    assert record["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "yes", "callback_data": "yes"}, {"text": "no", "callback_data": "no"}]
        ]
    }
    # PTB sends urlencoded form data; the emulator decodes ints and JSON fields.
    method, params, status, _ = emu.calls[-1]
    assert (method, status, params["chat_id"]) == ("sendMessage", 200, CHAT)


async def test_unknown_chat_and_blocked_user(emu: BotApiEmulator, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(4242, "hi")
    emu.block(CHAT)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(CHAT, "hi")
    assert emu.sent(CHAT) == []


async def test_unknown_method_and_wrong_token(emu: BotApiEmulator) -> None:
    status, body = await raw_post(emu, "sendTelepathy", {"chat_id": CHAT})
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{emu.base_url}999:WRONG/getMe") as resp:
            assert resp.status == 401
        # Telegram's method names are case-insensitive, and GET with a query string works.
        async with session.get(f"{emu.base_url}{TOKEN}/GETME") as resp:
            assert (await resp.json())["result"]["username"] == "jejaring_test_bot"


# --------------------------------------------------------------------------- text and HTML


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<b>x", 'can\'t find end tag corresponding to start tag "b"'),
        ("a < b", 'unsupported start tag "" at byte offset 2'),
        ("<p>x</p>", 'unsupported start tag "p" at byte offset 0'),
        ("<b><i>x</b></i>", 'unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "unexpected end tag at byte offset 1"),
        ("fish & chips", 'character "&" at byte offset 5'),
        ("<span>x</span>", 'tag "span" must have class "tg-spoiler"'),
        ("é<b", "unclosed start tag at byte offset 2"),
    ],
)
async def test_invalid_html_is_rejected(
    bot: Bot, emu: BotApiEmulator, text: str, error: str
) -> None:
    with pytest.raises(BadRequest) as info:
        await bot.send_message(CHAT, text, parse_mode="HTML")
    assert info.value.message.lower().startswith(f"can't parse entities: {error}".lower())
    assert emu.sent(CHAT) == []
    assert emu.calls[-1].status == 400


def test_parse_html_entities_and_offsets() -> None:
    plain, entities = parse_html(
        '<b>a<i>😀b</i></b> <a href="https://x.id/?a=1&amp;b=2">l</a> &lt;&#62;&#x26;'
        '<pre><code class="language-python">p</code></pre>'
        "<blockquote expandable>q</blockquote><tg-spoiler>s</tg-spoiler>"
    )
    assert plain == "a😀b l <>&pqs"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 4},  # the emoji is two UTF-16 units
        {"type": "italic", "offset": 1, "length": 3},
        {"type": "text_link", "offset": 5, "length": 1, "url": "https://x.id/?a=1&b=2"},
        {"type": "pre", "offset": 10, "length": 1, "language": "python"},
        {"type": "expandable_blockquote", "offset": 11, "length": 1},
        {"type": "spoiler", "offset": 12, "length": 1},
    ]


async def test_text_length_counts_visible_characters(bot: Bot, emu: BotApiEmulator) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "<b>" + "x" * 4097 + "</b>", parse_mode="HTML")
    ok = await bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert len(ok.text or "") == 4096
    escaped = await bot.send_message(CHAT, "&lt;" * 4096, parse_mode="HTML")
    assert escaped.text == "<" * 4096
    for empty in ("<b></b>", "   \n "):
        with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
            await bot.send_message(CHAT, empty, parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)too many entities"):
        await bot.send_message(CHAT, "<b>x</b> " * 101, parse_mode="HTML")
    assert len(emu.sent(CHAT)) == 2


async def test_caption_limit_and_photo_upload_as_multipart(bot: Bot, emu: BotApiEmulator) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(CHAT, png, caption="c" * 1025)
    msg = await bot.send_photo(
        CHAT, InputFile(png, filename="chart.png"), caption="<i>Grafik</i>", parse_mode="HTML"
    )
    assert msg.caption == "Grafik" and msg.photo
    again = await bot.send_photo(CHAT, msg.photo[-1].file_id)  # re-send by file_id: no upload
    doc = await bot.send_document(CHAT, b"a,b\n1,2\n", filename="data.csv")
    assert doc.document is not None and doc.document.file_name == "data.csv"

    first, second, third = emu.sent(CHAT)
    assert first["photo"]["content"] == png and first["photo"]["file_name"] == "chart.png"
    assert first["caption"] == "<i>Grafik</i>" and first["text"] is None
    assert second["photo"]["content"] == png and again.photo[-1].file_id == msg.photo[-1].file_id
    assert third["document"]["content"] == b"a,b\n1,2\n"
    assert third["document"]["mime_type"] == "text/csv"


# --------------------------------------------------------------------------- keyboards


async def test_callback_data_is_limited_in_bytes(bot: Bot, emu: BotApiEmulator) -> None:
    # PTB 22 does not check callback_data length itself, so this reaches the server.
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(CHAT, "pilih", reply_markup=keyboard("é" * 33))  # 66 bytes
    await bot.send_message(CHAT, "pilih", reply_markup=keyboard("é" * 32))  # 64 bytes

    bad = {"inline_keyboard": [[{"text": "x", "callback_data": "a" * 65}]]}
    status, body = await raw_post(
        emu, "sendMessage", {"chat_id": CHAT, "text": "t", "reply_markup": bad}
    )
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")
    no_action = {"inline_keyboard": [[{"text": "x"}]]}
    status, body = await raw_post(
        emu, "sendMessage", {"chat_id": CHAT, "text": "t", "reply_markup": no_action}
    )
    assert status == 400 and "Text buttons are unallowed" in body["description"]
    two = {"inline_keyboard": [[{"text": "x", "callback_data": "a", "url": "https://a.id"}]]}
    status, _ = await raw_post(
        emu, "sendMessage", {"chat_id": CHAT, "text": "t", "reply_markup": two}
    )
    assert status == 400
    assert len(emu.sent(CHAT)) == 1


async def test_edit_semantics(bot: Bot, emu: BotApiEmulator) -> None:
    msg = await bot.send_message(
        CHAT, "<b>Soal 1</b>", parse_mode="HTML", reply_markup=keyboard("a")
    )
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "<b>Soal 1</b>", CHAT, msg.message_id, parse_mode="HTML", reply_markup=keyboard("a")
        )
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", CHAT, 9999)
    # Like Telegram: editing the text without reply_markup drops the keyboard.
    edited = await bot.edit_message_text("Soal 1 ✓", CHAT, msg.message_id)
    assert isinstance(edited, Message) and edited.reply_markup is None
    await bot.edit_message_reply_markup(CHAT, msg.message_id, reply_markup=keyboard("next"))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(CHAT, msg.message_id, reply_markup=keyboard("next"))

    (record,) = emu.sent(CHAT)
    assert record["text"] == "Soal 1 ✓" and record["parse_mode"] is None
    assert record["original"]["text"] == "<b>Soal 1</b>"
    assert [e["method"] for e in record["edits"]] == ["editMessageText", "editMessageReplyMarkup"]
    assert record["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "next"

    user_msg_update = emu.user_sends_text(CHAT, "halo")
    user_msg_id = emu.pending_updates[-1]["message"]["message_id"]
    assert emu.pending_updates[-1]["update_id"] == user_msg_update
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("hijack", CHAT, user_msg_id)


# --------------------------------------------------------------------------- flood control


async def test_per_chat_burst_then_retry_after(emu: BotApiEmulator, bot: Bot) -> None:
    emu.per_chat_rate = 0.2  # slow refill so the test does not depend on timing
    emu.add_chat(CHAT + 1)
    for i in range(3):
        await bot.send_message(CHAT, f"m{i}")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(CHAT, "m3")
    assert isinstance(info.value.retry_after, dtm.timedelta)
    assert info.value.retry_after >= dtm.timedelta(seconds=1)
    assert emu.calls[-1].status == 429
    assert [m["text"] for m in emu.sent(CHAT)] == ["m0", "m1", "m2"]
    await bot.send_message(CHAT + 1, "other chat is not limited")
    await bot.send_chat_action(CHAT, "typing")  # not a message: not limited


async def test_flood_control_refills_and_global_limit() -> None:
    now = [0.0]
    emu = BotApiEmulator(
        token=TOKEN, per_chat_burst=1, per_chat_rate=1.0, global_rate=2.0, clock=lambda: now[0]
    )
    async with emu, Bot(TOKEN, base_url=emu.base_url) as bot:
        for chat in (1, 2, 3):
            emu.add_chat(chat)
        await bot.send_message(1, "a")
        with pytest.raises(RetryAfter):
            await bot.send_message(1, "b")  # per chat: burst of one
        await bot.send_message(2, "c")
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(3, "d")  # overall: two per second
        assert info.value.retry_after == dtm.timedelta(seconds=1)
        now[0] += 1.0
        await bot.send_message(1, "b")
        assert [len(emu.sent(c)) for c in (1, 2, 3)] == [2, 1, 0]


# --------------------------------------------------------------------------- fault injection


async def test_injected_failures_have_no_effect(emu: BotApiEmulator, bot: Bot) -> None:
    emu.fail_next("sendMessage", status=500)
    with pytest.raises(NetworkError) as info:
        await bot.send_message(CHAT, "a")
    assert not isinstance(info.value, BadRequest)
    emu.fail_next("sendMessage", status=502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(CHAT, "b")
    emu.fail_next("sendmessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as retry:
        await bot.send_message(CHAT, "c")
    assert retry.value.retry_after == dtm.timedelta(seconds=7)
    assert emu.sent(CHAT) == []
    assert [c.status for c in emu.calls if c.method == "sendMessage"] == [500, 502, 429]
    await bot.send_message(CHAT, "d")
    assert [m["text"] for m in emu.sent(CHAT)] == ["d"]


async def test_delay_provokes_timeout_yet_the_message_is_sent(
    emu: BotApiEmulator, bot: Bot
) -> None:
    emu.delay_next("sendMessage", 0.6)
    with pytest.raises(TimedOut):
        await bot.send_message(CHAT, "late", read_timeout=0.2)
    # The hazard a retrying client must handle: Telegram did send it.
    sent = await emu.wait_for_messages(CHAT, 1, timeout=5)
    assert sent[0]["text"] == "late"


# --------------------------------------------------------------------------- commands and misc


async def test_commands_per_language_and_scope(emu: BotApiEmulator, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await bot.set_my_commands([BotCommand("mulai", "Mulai sesi")], language_code="id")
    await bot.set_my_commands(
        [BotCommand("peta", "Peta jejaring")], scope=BotCommandScopeAllPrivateChats()
    )
    assert [c["command"] for c in emu.commands()] == ["start", "help"]
    assert emu.commands("id") == [{"command": "mulai", "description": "Mulai sesi"}]
    assert emu.commands(scope={"type": "all_private_chats"})[0]["command"] == "peta"
    assert [c.command for c in await bot.get_my_commands(language_code="id")] == ["mulai"]
    assert await bot.get_my_commands(language_code="en") == ()
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "x")])
    with pytest.raises(BadRequest, match=r"(?i)bot_command_description_invalid"):
        await bot.set_my_commands([BotCommand("start", "")])
    await bot.delete_my_commands(language_code="id")
    assert emu.commands("id") == []
    assert [c["command"] for c in emu.commands()] == ["start", "help"]


async def test_menu_button_and_chat_action(emu: BotApiEmulator, bot: Bot) -> None:
    assert await bot.set_chat_menu_button(CHAT, MenuButtonCommands())
    assert emu.menu_buttons[CHAT] == {"type": "commands"}
    assert await bot.send_chat_action(CHAT, "upload_photo")
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
        await bot.send_chat_action(CHAT, "dancing")
    assert emu.chat_actions == [(CHAT, "upload_photo")]


async def test_json_requests_are_parsed_like_form_requests(emu: BotApiEmulator) -> None:
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    status, body = await raw_post(
        emu,
        "sendMessage",
        {"chat_id": str(CHAT), "text": "json", "reply_markup": json.dumps(markup)},
    )
    assert status == 200 and body["result"]["reply_markup"] == markup
    assert emu.calls[-1].params == {"chat_id": CHAT, "text": "json", "reply_markup": markup}


async def test_standalone_entry_point() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tools.botapi_emulator",
        "--port",
        "0",
        "--token",
        TOKEN,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), timeout=20)).decode().strip()
        assert line.startswith("base_url=http://127.0.0.1:")
        base_url = line.removeprefix("base_url=")
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{base_url}{TOKEN}/getMe") as resp:
                assert (await resp.json())["result"]["is_bot"] is True
            async with session.post(
                base_url.removesuffix("/bot") + "/_emu/text", json={"chat_id": 7, "text": "hi"}
            ) as resp:
                assert "update_id" in await resp.json()
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), timeout=10) == 0
        await proc.communicate()
