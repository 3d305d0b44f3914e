"""Joining another cohort asks first (issue 18): through the real PTB Application.

A participant who has consented and opens another cohort's join link is told what the new
coaches will see; "no" changes nothing; "yes" moves them, records the move, and the old
cohort's coach can no longer open them (and loses the messages the bot sent about them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from storage import coach_views, cohorts
from storage.db import Database
from storage.models import CohortMove, OutboxAbout, OutboxMessage, Participant
from tests.ptb import Person
from tests.support import NOW, place_value, transaction
from tests.test_handlers import Harness


class Room(Harness):
    async def say(self, who: Person, text: str) -> list[dict[str, Any]]:
        return await self.feed(who.text(text))

    async def tap(self, who: Person, value: str, *, stable: bool = False) -> list[dict[str, Any]]:
        """Press the button with this value on the last message that offered it."""
        if stable:
            return await self.feed(who.press(f"j1:0:{value}"))
        chat = who.chat.id
        for message in reversed(self.request.sent()):
            if int(message["chat_id"]) != chat:
                continue
            # (a navigation button carries its place: g:<check>:<state>:<value>)
            found = [b for b in self.buttons(message) if place_value(b.split(":", 2)[2]) == value]
            if found:
                return await self.feed(who.press(found[0]))
        raise AssertionError(f"no button {value!r} was offered to {chat}")

    async def row(self, user_id: int) -> Participant:
        with transaction(self.db) as session:
            return (
                session.execute(
                    select(Participant).where(Participant.external_id == f"tg:{user_id}")
                )
            ).scalar_one()


def said(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m["text"] for m in messages)


@pytest.fixture
async def room(db: Database) -> AsyncIterator[Room]:
    harness = Room(db)
    async with harness.app:
        yield harness


async def test_a_join_link_to_another_cohort_asks_and_no_changes_nothing_yes_moves(
    room: Room, db: Database
) -> None:
    a = await cohorts.create_cohort(db, "PKA Angkatan 31", now=NOW)
    b = await cohorts.create_cohort(db, "PKA Angkatan 32", now=NOW)
    coach_a, coach_b = Person(room.app, 5201), Person(room.app, 5202)
    assert "pendamping" in said(await room.say(coach_a, f"/start coach_{a.coach_token}"))
    await room.say(coach_b, f"/start coach_{b.coach_token}")
    sari = room.sari
    await room.say(sari, f"/start join_{a.join_code}")
    await room.tap(sari, "agree")
    await room.tap(sari, "lang:id")
    await room.say(sari, "Sari Dewi")
    await room.say(sari, "Bappeda Karawang")
    await room.tap(sari, "WIB")
    await room.tap(sari, "daily")
    await room.say(sari, "/menu")
    await room.tap(sari, "m:bab2")
    await room.tap(sari, "x:bab2.latihan1")
    await room.say(sari, "Refleksi Sari tentang kepercayaan.")
    me = await room.row(sari.user.id)
    assert me.cohort_id == a.id
    seen = await room.tap(coach_a, f"ko:p:{me.id}", stable=True)
    assert "Sari Dewi" in said(seen) and "Refleksi Sari" in said(seen)

    # Another cohort's link: asked first, with what the new coach will see.
    ask = await room.say(sari, f"/start join_{b.join_code}")
    text = said(ask)
    assert "Pindah ke kohort PKA Angkatan 32?" in text
    assert "refleksi" in text and "peta jejaring" in text and "PKA Angkatan 31" in text
    assert (await room.row(sari.user.id)).cohort_id == a.id  # nothing moved yet
    no = await room.tap(sari, "stay")
    assert "tidak ada yang berubah" in said(no) and "PKA Angkatan 31" in said(no)
    assert (await room.row(sari.user.id)).cohort_id == a.id
    still = await room.tap(coach_a, f"ko:p:{me.id}", stable=True)
    assert "Refleksi Sari" in said(still)
    with transaction(db) as session:
        assert (session.execute(select(CohortMove))).first() is None

    # Again, and yes: moved, recorded, and the old coach cannot open her any more.
    await room.say(sari, f"/start join_{b.join_code}")
    yes = await room.tap(sari, "join")
    assert "PKA Angkatan 32" in said(yes) and (await room.row(sari.user.id)).cohort_id == b.id
    with transaction(db) as session:
        moves = (session.execute(select(CohortMove))).scalars().all()
        assert [(m.participant_id, m.from_cohort_id, m.to_cohort_id) for m in moves] == [
            (me.id, a.id, b.id)
        ]
        coach_a_id = coach_views.coach_id_of(session, 5201)
        coach_b_id = coach_views.coach_id_of(session, 5202)
        assert coach_a_id is not None and coach_b_id is not None
        with pytest.raises(coach_views.Forbidden):
            coach_views.participant_detail(session, coach_a_id, me.id, NOW)
        coach_views.participant_detail(session, coach_b_id, me.id, NOW)
        # What coach A was sent about her is gone from the outbox.
        kept = (
            session.execute(select(OutboxMessage.payload).where(OutboxMessage.chat_id == 5201))
        ).scalars()
        assert not any("Refleksi Sari" in str(p) for p in kept)
        assert (session.execute(select(OutboxAbout))).first() is None
    refused = await room.tap(coach_a, f"ko:p:{me.id}", stable=True)
    assert "Refleksi Sari" not in said(refused) and "tidak dapat Anda buka" in said(refused)
    roster = await room.say(coach_a, "/kohort")
    assert "Sari Dewi" not in said(roster)
    opened = await room.tap(coach_b, f"ko:p:{me.id}", stable=True)
    assert "Refleksi Sari" in said(opened)


async def test_the_same_cohorts_link_again_just_says_so(room: Room, db: Database) -> None:
    a = await cohorts.create_cohort(db, "PKA Angkatan 33", now=NOW)
    sari = room.sari
    await room.say(sari, f"/start join_{a.join_code}")
    await room.tap(sari, "agree")
    again = await room.say(sari, f"/start join_{a.join_code}")
    assert "sudah menjadi peserta kohort" in said(again)
    with transaction(db) as session:
        assert (session.execute(select(CohortMove))).first() is None
    assert (await room.row(sari.user.id)).state == "onboarding.language"  # where she was


async def test_a_consented_participant_without_a_cohort_is_asked_too(
    room: Room, db: Database
) -> None:
    a = await cohorts.create_cohort(db, "PKA Angkatan 34", now=NOW)
    sari = room.sari
    await room.say(sari, "/start")
    await room.tap(sari, "agree")
    await room.tap(sari, "lang:en")
    ask = await room.say(sari, f"/start join_{a.join_code}")
    assert "Join the cohort PKA Angkatan 34?" in said(ask) and "reflections" in said(ask)
    joined = await room.tap(sari, "join")
    assert "PKA Angkatan 34" in said(joined)
    me = await room.row(sari.user.id)
    assert me.cohort_id == a.id and me.state == "onboarding.name"  # back where she was
    with transaction(db) as session:
        assert (session.execute(select(CohortMove))).first() is None  # a join, no move
