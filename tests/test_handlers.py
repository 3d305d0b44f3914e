"""The Telegram adapter on a real ``Application`` with real ``Update`` objects."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from app import conversations
from bot.app import command_menu, register, set_commands
from bot.callback import CallbackData
from bot.pipeline import Pipeline
from bot.sender import TelegramSender
from storage.db import Database
from storage.models import Participant
from storage.outbox import Deliverer
from storage.outbox_pacing import ChatPacer
from tests.ptb import Person, RecordingRequest, application
from tests.support import telegram_html_errors, transaction


class Harness:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.request = RecordingRequest()
        self.app = application(self.request)
        self.deliverer = Deliverer(
            db, TelegramSender(self.app.bot), worker="test", pacer=ChatPacer(1e6, 10**6)
        )
        self.pipeline = Pipeline(db, self.deliverer)
        register(self.app, self.pipeline)
        self.sari = Person(self.app)

    async def feed(self, update: Any) -> list[dict[str, Any]]:
        before = len(self.request.sent())
        await self.app.process_update(update)
        await self.deliverer.idle()
        return self.request.sent()[before:]

    def buttons(self, message: dict[str, Any]) -> list[str]:
        markup = message.get("reply_markup")
        if not markup:
            return []
        markup = json.loads(markup) if isinstance(markup, str) else markup
        return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]

    async def participant(self) -> Participant:
        with transaction(self.db) as session:
            return (session.execute(select(Participant))).scalar_one()


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Harness]:
    harness = Harness(db)
    async with harness.app:
        yield harness


async def test_start_answers_with_consent_and_buttons(bot: Harness) -> None:
    sent = await bot.feed(bot.sari.text("/start"))
    assert len(sent) == 1
    message = sent[0]
    assert message["parse_mode"] == "HTML" and int(message["chat_id"]) == 1001
    assert "Persetujuan penyimpanan data" in message["text"]
    assert telegram_html_errors(message["text"]) == []
    assert bot.buttons(message) == ["j1:1:agree", "j1:1:decline", "j1:1:lang:en"]


async def test_a_button_press_advances_and_stops_the_spinner(bot: Harness) -> None:
    await bot.feed(bot.sari.text("/start"))
    sent = await bot.feed(bot.sari.press("j1:1:agree"))
    assert "Pilih bahasa" in sent[0]["text"]
    assert bot.buttons(sent[0]) == ["j1:2:lang:id", "j1:2:lang:en"]
    assert len(bot.request.answers()) == 1
    assert (await bot.participant()).consent_at is not None


async def test_a_double_tap_has_one_effect(bot: Harness) -> None:
    await bot.feed(bot.sari.text("/start"))
    first = await bot.feed(bot.sari.press("j1:1:agree"))
    second = await bot.feed(bot.sari.press("j1:1:agree"))  # Telegram: a new update id
    assert len(first) == 1 and second == []
    toast = bot.request.answers()[-1]
    assert "sudah selesai" in toast["text"]
    assert (await bot.participant()).seq == 2


async def test_a_redelivered_update_is_dropped(bot: Harness) -> None:
    await bot.feed(bot.sari.text("/start", update_id=500))
    again = await bot.feed(bot.sari.text("/start", update_id=500))
    assert again == []


async def test_forged_callback_data_changes_nothing(bot: Harness) -> None:
    await bot.feed(bot.sari.text("/start"))
    for forged in ["j1:1:lang:xx", "garbage", "j1:99:agree", "j9:1:agree"]:
        assert await bot.feed(bot.sari.press(forged)) == [] or forged == "j1:1:lang:xx"
    p = await bot.participant()
    assert p.consent_at is None and p.language == "id"


@pytest.mark.parametrize("kind", ["sticker", "photo", "document"])
async def test_media_gets_a_clear_re_ask(bot: Harness, kind: str) -> None:
    await bot.feed(bot.sari.text("/start"))
    sent = await bot.feed(getattr(bot.sari, kind)())
    assert len(sent) == 1 and "Silakan" in sent[0]["text"]
    assert bot.buttons(sent[0])  # the consent buttons again
    assert (await bot.participant()).state == "onboarding.consent"


async def test_user_markup_is_escaped_in_replies(bot: Harness) -> None:
    await bot.feed(bot.sari.text("/start"))
    await bot.feed(bot.sari.press("j1:1:agree"))
    await bot.feed(bot.sari.press("j1:2:lang:id"))
    await bot.feed(bot.sari.text("Sari Dewi"))
    await bot.feed(bot.sari.text("Bappeda Karawang"))
    await bot.feed(bot.sari.press("j1:5:WIB"))
    await bot.feed(bot.sari.press("j1:6:off"))
    await bot.feed(bot.sari.press("j1:7:m:bab2"))
    await bot.feed(bot.sari.press("j1:8:x:bab2.latihan1"))
    answer = "Kesamaan itu <b>penting</b> & </code> " + "x" * 3400
    shown = await bot.feed(bot.sari.text(answer))
    again = next(b for m in shown for b in bot.buttons(m) if b.endswith(":x:bab2.latihan1"))
    sent = await bot.feed(bot.sari.press(again))
    assert sent, "the exercise with the previous answer"
    for message in sent:
        assert telegram_html_errors(message["text"]) == []
    assert "&lt;b&gt;penting&lt;/b&gt; &amp; &lt;/code&gt;" in sent[0]["text"]


async def test_an_engine_failure_apologises_and_keeps_state(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await bot.feed(bot.sari.text("/start"))
    await bot.feed(bot.sari.press("j1:1:agree"))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(conversations.engine, "handle", broken)
    sent = await bot.feed(bot.sari.press("j1:2:lang:en"))
    assert "tidak dapat disimpan" in sent[0]["text"]
    assert "pendaftaran" in sent[0]["text"]  # where they are
    p = await bot.participant()
    assert p.state == "onboarding.language" and p.language == "id"
    monkeypatch.undo()
    sent = await bot.feed(bot.sari.press("j1:2:lang:en"))
    assert "What is your name" in sent[0]["text"]


async def test_a_database_outage_marks_the_update_for_redelivery(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr("bot.pipeline.handle_event", down)
    update = bot.sari.text("/start", update_id=777)
    assert await bot.feed(update) == []
    assert bot.pipeline.take_failed({777}) == {777}


async def test_group_chats_are_ignored(bot: Harness) -> None:
    from telegram import Chat

    bot.sari.chat = Chat(-100, Chat.GROUP)
    assert await bot.feed(bot.sari.text("/start")) == []


async def test_commands_menu_is_set_per_language(bot: Harness) -> None:
    await set_commands(bot.app)
    calls = [p for m, p in bot.request.calls if m == "setMyCommands"]
    languages = [c.get("language_code") for c in calls]
    assert languages == [None, "id", "en"]
    by_language = {
        c.get("language_code"): json.loads(c["commands"])
        if isinstance(c["commands"], str)
        else c["commands"]
        for c in calls
    }
    from bot.app import COMMANDS

    assert [c["command"] for c in by_language["en"]] == list(COMMANDS)
    assert {"start", "menu", "bantuan", "batal", "bahasa", "peta", "analisis"} <= set(COMMANDS)
    assert by_language["en"][1]["description"] != by_language["id"][1]["description"]
    assert command_menu("id")[0].command == "start"


def test_callback_data_of_every_button_fits() -> None:
    assert len(CallbackData(10**9, "x:bab4.evaluasi2").encode()) <= 64


async def test_the_webhook_carries_a_buttons_answer_in_its_response(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    from bot.webhook import SECRET_HEADER, webhook_app

    web = webhook_app(bot.app, bot.pipeline, path="/telegram", secret="s3cret")
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:

        async def post(update: Any) -> httpx.Response:
            body = json.dumps(update.to_dict())
            response = await client.post(
                "/telegram", content=body, headers={SECRET_HEADER: "s3cret"}
            )
            await bot.deliverer.idle()
            return response

        started = await post(bot.sari.text("/start"))
        assert (started.status_code, started.content) == (200, b"")  # nothing to answer
        press = bot.sari.press("j1:1:agree")
        assert press.callback_query is not None
        answered = await post(press)
        assert answered.status_code == 200
        assert answered.json() == {
            "method": "answerCallbackQuery",
            "callback_query_id": press.callback_query.id,
        }
        assert bot.request.answers() == []  # no request of its own
        assert "Pilih bahasa" in bot.request.sent()[-1]["text"]

        async def down(*args: Any, **kwargs: Any) -> Any:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))

        # Refused (to be redelivered): no answer rides on a 500, nothing is left behind.
        monkeypatch.setattr("bot.pipeline.handle_event", down)
        refused = await post(bot.sari.press("j1:2:lang:id"))
        assert (refused.status_code, refused.text) == (500, "retry")
        assert bot.pipeline._replies == {}


async def test_the_pipeline_says_whose_update_was_committed(bot: Harness) -> None:
    told: list[str] = []
    bot.pipeline.on_handled = told.append  # the Mini App's hook (service/run.py)
    await bot.feed(bot.sari.text("/start"))
    await bot.feed(bot.sari.press("j1:1:agree"))
    assert told == ["tg:1001", "tg:1001"]
