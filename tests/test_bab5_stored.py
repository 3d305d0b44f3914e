"""Bab V's answers and scores stored, over SQLite and PostgreSQL, and found again after the
connection is closed: the lesson resumes at the question it stopped on."""

from __future__ import annotations

from sqlalchemy import select

from coaching.leadership import ITEMS
from coaching.pictures import render_attachment
from storage.db import Database
from storage.models import Actor, Answer, OutboxMessage, Participant, Progress
from tests.support import transaction
from tests.test_bab5 import SCORES, png_size
from tests.test_network_storage import Chat


async def test_answers_and_scores_are_stored_and_survive_a_new_connection(
    database_url: str,
) -> None:
    db = Database.connect(database_url)
    await db.upgrade()
    chat = Chat(db)
    await chat.onboard()
    # Bab II: a contact classified on the personal map, Latihan II.1 answered in the lesson
    await chat.press("net")
    await chat.send("Budi - Ani kuat")
    await chat.send("/menu")
    await chat.press("m:bab2")
    await chat.press("go")
    for _ in range(4):
        await chat.press("next")
    await chat.press("classify")
    await chat.press("kind:strategic")  # Ani
    await chat.press("kind:personal")  # Budi
    await chat.press("next")  # balance → Anklam
    await chat.press("next")  # → the principles
    await chat.send("Kami satu almamater.")
    for _ in range(2):
        await chat.press("skip")
    for _ in range(3):  # levels of networking, KNOW → LIKE → TRUST → BUY, the skills
        await chat.press("next")
    await chat.send(
        "Latihan II.1 dari dalam pelajaran: kesamaan membuka jalan, lalu bertukar sumber daya."
    )
    # Bab V: the self-assessment, then leave in the middle of the stages
    await chat.send("/menu")
    await chat.press("m:bab5")
    await chat.press("go")
    await chat.press("next")
    await chat.press("skip")
    await chat.press("next")
    for value in SCORES:
        await chat.press(f"s:{value}")
    await chat.press("next")
    await chat.send("Menurunkan stunting di Kecamatan Cilamaya")
    await chat.press("next")
    await chat.press("now:1")  # the case is at Tahap I
    await chat.send("Tujuan disepakati di rembuk stunting.")
    await chat.send("/menu")
    await db.dispose()

    db = Database.connect(database_url)
    chat.db = db
    with transaction(db) as session:
        answers = {a.exercise_key: a for a in (session.execute(select(Answer))).scalars()}
        progress = set((session.execute(select(Progress.item_key))).scalars())
        kinds = {a.name: a.ibarra for a in (session.execute(select(Actor))).scalars()}
        charts = [
            m.payload["attachment"]
            for m in (session.execute(select(OutboxMessage))).scalars()
            if m.payload.get("attachment", {}).get("type") == "scores"
        ]
    assert kinds == {"Sari Dewi": None, "Ani": "strategic", "Budi": "personal"}
    assert answers["bab2.similarity"].text == "Kami satu almamater."
    assert (
        answers["bab2.latihan1"].text
        == "Latihan II.1 dari dalam pelajaran: kesamaan membuka jalan, lalu bertukar sumber daya."
    )
    assert answers["bab5.case"].text == "Menurunkan stunting di Kecamatan Cilamaya"
    assert answers["bab5.now"].text == "1"
    assert answers["bab5.stage1.situation"].text == "Tujuan disepakati di rembuk stunting."
    selfcheck = answers["bab5.selfcheck"]
    assert selfcheck.data["scores"] == dict(zip([i.key for i in ITEMS], SCORES, strict=True))
    assert selfcheck.data["weakest"] == ["conflict", "weave", "trust"]
    assert "Mengelola konflik secara konstruktif: 1" in selfcheck.text
    # Exercises and network work (the map with its ties) count; reflections are answers.
    assert progress == {"bab2.latihan1", "peta.map"}
    assert len(charts) == 1 and png_size(render_attachment(charts[0]))[0] == 1080
    # back where they left: the first transition question after Tahap I
    await chat.press("m:bab5")
    await chat.press("go")
    with transaction(db) as session:
        participant = (session.execute(select(Participant))).scalar_one()
    assert participant.state == "bab5.transition"
    assert participant.state_data == {"stage": 0, "aspect": 0}  # its first adjustment
    await db.dispose()
