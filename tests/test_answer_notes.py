"""The widyaiswara closes the loop (issue 13 item 2): a coach replies to an answer in Telegram
(/balas, /tinjau), the participant gets it under the answer's title and writes back, the
exchange is stored, shown in the coach's view and exported — on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coaching.exports import csv_bytes
from storage import exports
from storage.db import Database
from storage.models import Answer, AnswerNote
from tests.support import NOW, telegram_html_errors, transaction
from tests.test_coach import buttons, texts, world
from tests.test_web import site_for

REPLY = "Bagus. Kaitkan dengan <b>timbal balik</b> & contoh dari peta Anda."


async def _answer_id(db: Database, pid: int, key: str | None = None) -> int:
    with transaction(db) as session:
        query = select(Answer.id).where(Answer.participant_id == pid).order_by(Answer.id)
        if key is not None:
            query = query.where(Answer.exercise_key == key)
        return int((session.execute(query.limit(1))).scalar_one())


async def _notes(db: Database, answer_id: int) -> list[tuple[str, str]]:
    with transaction(db) as session:
        rows = session.execute(
            select(AnswerNote.author, AnswerNote.text)
            .where(AnswerNote.answer_id == answer_id)
            .order_by(AnswerNote.id)
        )
        return [(a, t) for a, t in rows.all()]


async def _reviewed(db: Database, answer_id: int) -> bool:
    with transaction(db) as session:
        answer = session.get(Answer, answer_id)
        assert answer is not None
        return answer.reviewed_at is not None


async def test_a_coach_replies_the_participant_reads_it_and_writes_back(db: Database) -> None:
    w = await world(db)
    answer = await _answer_id(db, w.sari_id)
    said = await w.coach_a.answer(w.coach_a.say(f"/balas {answer} {REPLY}"))
    assert "terkirim" in texts(said) and "Sari Dewi" in texts(said)
    assert await _notes(db, answer) == [("coach", REPLY)]
    assert await _reviewed(db, answer)
    # the participant receives it under the answer's title, the reply's markup inert
    got = await w.sari.payloads()
    message = next(p for p in got if "Balasan widyaiswara" in p["text"])
    assert "&lt;b&gt;timbal balik&lt;/b&gt; &amp; contoh" in message["text"]
    assert telegram_html_errors(message["text"]) == []
    assert buttons([message]) == [f"fb:{answer}"] and message.get("stable")
    # ... and writes back, days later: the button still works
    await w.sari.press(f"fb:{answer}", stable=True)
    assert (await w.sari.row()).state == "replies.write"
    back = await w.sari.answer(w.sari.say("Terima kasih, saya tambahkan contoh Pak Budi."))
    assert "tersimpan" in texts(back)
    assert (await w.sari.row()).state == "menu.main"
    assert await _notes(db, answer) == [
        ("coach", REPLY),
        ("participant", "Terima kasih, saya tambahkan contoh Pak Budi."),
    ]
    assert not await _reviewed(db, answer)  # something new for the coach to read
    # the coach's view shows the exchange under the answer, with its number
    detail = texts(await w.coach_a.answer(w.coach_a.press(f"ko:p:{w.sari_id}", stable=True)))
    assert f"#{answer}" in detail and "widyaiswara" in detail
    assert "saya tambahkan contoh Pak Budi" in detail
    # /tinjau marks it reviewed
    reviewed = await w.coach_a.answer(w.coach_a.say(f"/tinjau {answer}"))
    assert "ditinjau" in texts(reviewed) and await _reviewed(db, answer)
    detail = texts(await w.coach_a.answer(w.coach_a.press(f"ko:p:{w.sari_id}", stable=True)))
    assert "✅ ditinjau" in detail


async def test_the_exchange_is_exported_for_the_participant_and_the_coach(db: Database) -> None:
    w = await world(db)
    answer = await _answer_id(db, w.sari_id)
    await w.coach_a.say(f"/balas {answer} {REPLY}")
    with transaction(db) as session:
        data = exports.participant_data(session, w.sari_id, NOW)
    exported = next(a for a in data["answers"] if a["exchange"])
    assert exported["exchange"][0]["author"] == "coach"
    assert exported["exchange"][0]["text"] == REPLY and exported["reviewed_at"]
    table = csv_bytes("answers", [data]).decode("utf-8-sig")
    assert "reviewed_at,exchange" in table.splitlines()[0]
    assert "coach " in table and "timbal balik" in table


async def test_a_coach_reaches_only_answers_of_their_own_cohorts(db: Database) -> None:
    w = await world(db)
    answer = await _answer_id(db, w.sari_id)
    refused = await w.coach_b.answer(w.coach_b.say(f"/balas {answer} Saya bukan pendamping Sari."))
    assert "⛔" in texts(refused)
    assert await _notes(db, answer) == []
    # a participant is no coach, and cannot write on someone else's answer
    assert "⛔" in texts(await w.rudi.answer(w.rudi.say(f"/balas {answer} halo")))
    rudis = await _answer_id(db, w.rudi_id)
    await w.sari.press(f"fb:{rudis}", stable=True)
    await w.sari.say("Menulis di jawaban orang lain.")
    assert await _notes(db, rudis) == []


async def test_a_reply_to_an_answer_since_deleted_is_refused_clearly(db: Database) -> None:
    w = await world(db)
    answer = await _answer_id(db, w.sari_id)
    confirmed = texts(await w.coach_a.answer(w.coach_a.say(f"/balas {answer} Sudah baik.")))
    assert "Sari Dewi" in confirmed
    await w.sari.say("/hapus_data")
    await w.sari.press("delete")
    assert "Sari Dewi" not in texts(await w.coach_a.payloads())  # the coach's copy went too
    said = texts(await w.coach_a.answer(w.coach_a.say(f"/balas {answer} Masih ada?")))
    assert "sudah tidak ada" in said and "tidak dikirim" in said
    with transaction(db) as session:
        assert (session.execute(select(AnswerNote))).first() is None  # gone with her


async def test_a_malformed_reply_command_explains_itself(db: Database) -> None:
    w = await world(db)
    for command in ("/balas", "/balas abc teks", "/balas 12", "/tinjau x"):
        said = texts(await w.coach_a.answer(w.coach_a.say(command)))
        assert "/balas NOMOR" in said


# --- the dashboard -----------------------------------------------------------------------------


async def test_the_dashboard_shows_the_exchange_and_sends_a_reply(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = await site_for(db, monkeypatch)
    w = site.world
    answer = await _answer_id(db, w.sari_id)
    async with site.signed_in(w.coach_a) as client:
        page = await client.get(f"/participants/{w.sari_id}")
        assert page.status_code == 200 and f'action="/answers/{answer}"' in page.text
        sent = await client.post(
            f"/answers/{answer}", data={"text": "<i>Dari dasbor</i>: tambahkan contoh."}
        )
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/participants/{w.sari_id}#answer-{answer}"
        page = await client.get(f"/participants/{w.sari_id}")
        assert "&lt;i&gt;Dari dasbor&lt;/i&gt;: tambahkan contoh." in page.text
        assert "sudah ditinjau" in page.text
        got = texts(await w.sari.payloads())
        assert "Balasan widyaiswara" in got and "&lt;i&gt;Dari dasbor&lt;/i&gt;" in got
        # another coach's participant: 403, nothing stored
        rudis = await _answer_id(db, w.rudi_id)
        refused = await client.post(f"/answers/{rudis}", data={"text": "bukan milik saya"})
        assert refused.status_code == 403 and await _notes(db, rudis) == []
        empty = await client.post(f"/answers/{answer}", data={"text": "  "})
        assert empty.status_code == 400
    await w.sari.say("/hapus_data")
    await w.sari.press("delete")
    async with site.signed_in(w.coach_a) as client:
        gone = await client.post(f"/answers/{answer}", data={"text": "Masih ada?"})
        assert gone.status_code == 410 and "tidak dikirim" in gone.text
