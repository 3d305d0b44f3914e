"""One undeliverable message never holds its chat: a picture that cannot be drawn goes as its
caption, a message whose sending raises is set aside, and the chat's later messages go on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from app import rendering
from storage import deadletters
from storage.db import Database
from storage.outbox_queue import enqueue
from tests.support import transaction
from tests.test_handlers import Harness

CHAT = 1001
LATER = [f"balasan berikutnya {n}" for n in range(4)]


def a_map(*names: str) -> dict[str, Any]:
    return {
        "type": "map",
        "actors": list(names),
        "ties": [[names[0], names[1], "strong", "both"]],
        "ego": None,
        "locale": "id",
    }


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Harness]:
    harness = Harness(db)
    async with harness.app:
        yield harness


async def queue(db: Database, first: dict[str, Any]) -> None:
    """``first``, then four plain replies, all for one chat."""
    payloads = [first, *({"text": text, "buttons": [], "seq": 0} for text in LATER)]
    with transaction(db) as session:
        enqueue(session, None, "telegram", CHAT, payloads, datetime.now(UTC))


def texts(bot: Harness) -> list[str]:
    return [
        str(p.get("text") or p.get("caption") or "")
        for m, p in bot.request.calls
        if m in ("sendMessage", "sendPhoto")
    ]


async def test_a_drawing_that_raises_goes_out_as_its_caption_and_the_chat_goes_on(
    bot: Harness, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def raises(attachment: Any) -> bytes:
        raise ValueError("an actor's name is empty")

    monkeypatch.setattr(rendering, "draw", raises)
    picture = {"text": "Peta Anda", "buttons": [], "seq": 0, "attachment": a_map("A", "B")}
    await queue(db, picture)
    assert await bot.deliverer.flush(CHAT) == 5
    sent = texts(bot)
    assert sent[0].startswith("Peta Anda") and "Gambarnya tidak dapat dibuat" in sent[0]
    assert sent[1:] == LATER
    [letter] = await deadletters.listing(db)
    assert letter.kind == "message" and letter.payload["attachment"]["type"] == "map"
    assert "ValueError" in letter.error and "empty" in letter.error


async def test_the_real_trigger_a_name_of_combining_marks_does_not_hold_the_chat(
    bot: Harness, db: Database
) -> None:
    picture = {
        "text": "Peta Anda",
        "buttons": [],
        "seq": 0,
        "attachment": a_map("\u0300\u0300", "B"),
    }
    await queue(db, picture)
    assert await bot.deliverer.flush(CHAT) == 5  # drawn, or its caption alone
    sent = texts(bot)
    assert sent[0].startswith("Peta Anda") and sent[1:] == LATER


async def test_a_message_whose_sending_raises_is_set_aside_and_the_chat_goes_on(
    bot: Harness, db: Database
) -> None:
    broken = {"text": "tombol rusak", "buttons": [[{"value": "x"}]], "seq": 1}  # no label
    await queue(db, broken)
    assert await bot.deliverer.flush(CHAT) == 4
    assert texts(bot) == LATER
    [letter] = await deadletters.listing(db)
    assert letter.kind == "message" and letter.error_class == "KeyError"
    assert letter.payload["text"] == "tombol rusak"
    # Nothing is left to hold the chat: the sweep finds nothing due.
    assert await bot.deliverer.sweep() == 0


async def test_a_coach_opening_that_participant_is_not_held_either(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import update

    from storage.models import Actor
    from storage.networks import name_key
    from tests.test_coach import world

    w = await world(db)
    with transaction(db) as session:  # the name of the CSV actor in the issue
        session.execute(
            update(Actor)
            .where(Actor.name == "Dewi")
            .values(name="\u0300\u0300", name_key=name_key("\u0300\u0300"))
        )

    async def raises(attachment: Any) -> bytes:
        assert "\u0300\u0300" in attachment["actors"]
        raise ValueError("an actor's name is empty")

    monkeypatch.setattr(rendering, "draw", raises)
    harness = Harness(db)
    async with harness.app:
        await w.coach_a.press(f"ko:p:{w.sari_id}", stable=True)
        await w.coach_a.say("/kohort")
        await w.coach_a.say("/bantuan")
        await harness.deliverer.flush(w.coach_a.user_id)
        sent = texts(harness)
    assert any("Gambarnya tidak dapat dibuat" in text for text in sent)
    assert "PKA Angkatan 12" in sent[-2]  # /kohort answered
    assert "/menu" in sent[-1]  # and /bantuan
