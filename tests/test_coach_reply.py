"""A widyaiswara's reply in one tap, and hearing of the answer back (issue 13 item 2): each
answer shown to a coach has its own reply button (tap → prompt → the next message is the
reply; cancel sends nothing), and a coach is told when a participant writes back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import register
from bot.callback import CallbackData
from bot.pipeline import Pipeline
from bot.sender import TelegramSender
from storage.db import Database
from storage.models import Answer, AnswerNote
from storage.outbox import Deliverer
from storage.outbox_pacing import ChatPacer
from tests import ptb
from tests.support import telegram_html_errors, transaction
from tests.test_coach import buttons, texts, world

REPLY = "Bagus. Tambahkan <b>contoh</b> & peta Anda."


async def _answer_id(db: Database, pid: int) -> int:
    with transaction(db) as session:
        query = select(Answer.id).where(Answer.participant_id == pid).order_by(Answer.id)
        return int(session.execute(query.limit(1)).scalar_one())


async def _notes(db: Database, answer_id: int) -> list[tuple[str, str]]:
    with transaction(db) as session:
        rows = session.execute(
            select(AnswerNote.author, AnswerNote.text)
            .where(AnswerNote.answer_id == answer_id)
            .order_by(AnswerNote.id)
        )
        return [(a, t) for a, t in rows.all()]


async def test_each_answer_shown_to_a_coach_has_its_own_reply_button(db: Database) -> None:
    w = await world(db)
    answer = await _answer_id(db, w.sari_id)
    detail = await w.coach_a.answer(w.coach_a.press(f"ko:p:{w.sari_id}", stable=True))
    values = buttons(detail)
    replies = [v for v in values if v.startswith("kb:")]
    assert f"kb:{answer}:bab2.latihan1" in replies and len(replies) == 2
    labels = [b["label"] for p in detail for row in p.get("buttons") or [] for b in row]
    assert any(f"#{answer}" in label and "Latihan 1" in label for label in labels), labels
    # tap → a prompt naming the answer → the coach's next message is the reply
    prompt = await w.coach_a.answer(w.coach_a.press(f"kb:{answer}:bab2.latihan1", stable=True))
    assert f"#{answer}" in texts(prompt) and "Latihan 1" in texts(prompt)
    assert buttons(prompt) == ["cancel"]
    said = await w.coach_a.answer(w.coach_a.say(REPLY))
    assert "terkirim" in texts(said) and "Sari Dewi" in texts(said)
    assert await _notes(db, answer) == [("coach", REPLY)]
    got = [p for p in await w.sari.payloads() if "Balasan widyaiswara" in p["text"]]
    assert len(got) == 1 and "&lt;b&gt;contoh&lt;/b&gt; &amp;" in got[0]["text"]
    # the next message is no reply any more
    await w.coach_a.say("Ini pesan biasa.")
    assert await _notes(db, answer) == [("coach", REPLY)]


async def test_cancel_sends_nothing_and_returns_a_participant_coach_to_their_place(
    db: Database,
) -> None:
    w = await world(db)
    answer = await _answer_id(db, w.sari_id)
    await w.coach_a.onboard("Dr. Hana")  # the coach learns as a participant too
    await w.coach_a.say("/menu")
    before = await w.coach_a.row()
    await w.coach_a.press(f"kb:{answer}", stable=True)
    assert (await w.coach_a.row()).state == "replies.coach"
    cancelled = await w.coach_a.answer(w.coach_a.press("cancel"))
    assert "dibatalkan" in texts(cancelled)
    assert (await w.coach_a.row()).state == before.state
    # typing "batal" cancels too
    await w.coach_a.press(f"kb:{answer}", stable=True)
    await w.coach_a.say("batal")
    assert (await w.coach_a.row()).state == before.state
    assert await _notes(db, answer) == []
    assert not [p for p in await w.sari.payloads() if "Balasan widyaiswara" in p["text"]]


async def test_a_coach_who_is_no_participant_keeps_no_participant_prompt(db: Database) -> None:
    w = await world(db)
    answer = await _answer_id(db, w.sari_id)
    await w.coach_a.press(f"kb:{answer}", stable=True)
    assert (await w.coach_a.row()).state == "replies.coach"
    said = texts(await w.coach_a.answer(w.coach_a.say("Sudah baik, lanjutkan.")))
    assert "terkirim" in said and "persetujuan" not in said.casefold()
    assert await _notes(db, answer) == [("coach", "Sudah baik, lanjutkan.")]


async def test_a_reply_button_is_refused_to_whoever_is_no_coach_of_the_answer(
    db: Database,
) -> None:
    w = await world(db)
    answer = await _answer_id(db, w.sari_id)
    refused = await w.rudi.answer(w.rudi.press(f"kb:{answer}", stable=True))
    assert "⛔" in texts(refused) and (await w.rudi.row()).state == "menu.main"
    await w.coach_b.press(f"kb:{answer}", stable=True)  # a coach, of another cohort
    said = texts(await w.coach_b.answer(w.coach_b.say("Bukan peserta saya.")))
    assert "⛔" in said and await _notes(db, answer) == []


async def test_the_coach_is_told_when_a_participant_writes_back(db: Database) -> None:
    w = await world(db)
    answer = await _answer_id(db, w.sari_id)
    await w.coach_a.say(f"/balas {answer} {REPLY}")
    before_a, before_b = await w.coach_a.last_id(), await w.coach_b.last_id()
    await w.sari.press(f"fb:{answer}", stable=True)
    await w.sari.say("Terima kasih, saya tambahkan <i>contoh</i> Pak Budi.")
    told = await w.coach_a.payloads(before_a)
    assert len(told) == 1
    message = told[0]
    assert "Sari Dewi" in message["text"] and "Latihan 1" in message["text"]
    assert "&lt;i&gt;contoh&lt;/i&gt; Pak Budi" in message["text"]
    assert telegram_html_errors(message["text"]) == []
    assert buttons(told) == [f"kb:{answer}:bab2.latihan1"] and message.get("stable")
    assert await w.coach_b.payloads(before_b) == []  # not their cohort
    # the notice goes with Sari when she deletes her data
    await w.sari.say("/hapus_data")
    await w.sari.press("delete")
    assert "Sari Dewi" not in texts(await w.coach_a.payloads())


async def test_the_coach_is_told_in_english_when_their_language_is_english(db: Database) -> None:
    w = await world(db)
    answer = await _answer_id(db, w.sari_id)
    await w.coach_a.onboard("Dr. Hana")
    await w.coach_a.say("/bahasa")
    await w.coach_a.press("lang:en")
    before = await w.coach_a.last_id()
    await w.sari.press(f"fb:{answer}", stable=True)
    await w.sari.say("Sudah saya perbaiki.")
    told = texts(await w.coach_a.payloads(before))
    assert "replied to your feedback" in told and "Sudah saya perbaiki." in told


# --- the same through the Telegram adapter: a real Application and real Updates -------------


class Harness:
    def __init__(self, db: Database) -> None:
        self.request = ptb.RecordingRequest()
        self.app = ptb.application(self.request)
        self.deliverer = Deliverer(
            db, TelegramSender(self.app.bot), worker="test", pacer=ChatPacer(1e6, 10**6)
        )
        register(self.app, Pipeline(db, self.deliverer))

    async def feed(self, update: Any) -> list[dict[str, Any]]:
        before = len(self.request.sent())
        await self.app.process_update(update)
        await self.deliverer.idle()
        return self.request.sent()[before:]


@pytest.fixture
async def harness(db: Database) -> AsyncIterator[Harness]:
    made = Harness(db)
    async with made.app:
        yield made


async def test_a_coach_taps_reply_in_telegram_and_the_participant_gets_it(
    db: Database, harness: Harness
) -> None:
    w = await world(db)
    answer = await _answer_id(db, w.sari_id)
    coach = ptb.Person(harness.app, user_id=5001)
    button = CallbackData(0, f"kb:{answer}:bab2.latihan1").encode()
    prompt = await harness.feed(coach.press(button))
    assert f"#{answer}" in prompt[-1]["text"] and "balasan widyaiswara" in prompt[-1]["text"]
    sent = await harness.feed(coach.text("Sudah baik; tambahkan satu contoh."))
    assert any("terkirim" in m["text"] for m in sent)
    assert await _notes(db, answer) == [("coach", "Sudah baik; tambahkan satu contoh.")]
    got = [p for p in await w.sari.payloads() if "Balasan widyaiswara" in p["text"]]
    assert len(got) == 1 and buttons(got) == [f"fb:{answer}"]
