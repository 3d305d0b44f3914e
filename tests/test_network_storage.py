"""The network conversation against real databases, and through a real Application."""

from __future__ import annotations

import io
import json
from typing import Any

from sqlalchemy import func, select

from app.conversations import Identity, handle_event
from coaching.model import Document, Event, EventKind
from storage.db import Database
from storage.models import Actor, AnalysisSnapshot, NetworkMap, Participant, Tie
from tests.support import NOW, transaction
from tests.test_handlers import Harness
from tests.test_storage import fast

SARI = Identity("tg:2002", "telegram", 2002, "id")


class Chat:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.update = 0

    async def seq(self) -> int:
        with transaction(self.db) as session:
            return int(
                (
                    session.execute(
                        select(Participant.seq).where(Participant.external_id == SARI.external_id)
                    )
                ).scalar_one()
            )

    async def send(self, event: Event | str) -> Any:
        self.update += 1
        event = Event.of_text(event) if isinstance(event, str) else event
        return await handle_event(self.db, SARI, event, update_id=self.update, now=NOW)

    async def press(self, value: str) -> Any:
        return await self.send(Event(EventKind.CHOICE, choice=value, seq=await self.seq()))

    async def onboard(self) -> None:
        await self.send("/start")
        for step in ("agree", "lang:id"):
            await self.press(step)
        await self.send("Sari Dewi")
        await self.send("Bappeda Karawang")
        await self.press("WIB")
        await self.press("off")


async def count(db: Database, model: Any) -> int:
    with transaction(db) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_map_built_in_chat_is_stored_and_survives_a_new_connection(
    database_url: str,
) -> None:
    db = Database.connect(database_url)
    await db.upgrade()
    chat = Chat(db)
    await chat.onboard()
    await chat.press("net")
    await chat.send("Budi - Ani kuat\nBudi -> Dewi lemah")
    await chat.send("/tambah Pak Hendra")
    await db.dispose()

    db = Database.connect(database_url)
    chat.db = db
    with transaction(db) as session:
        network_map = (session.execute(select(NetworkMap))).scalar_one()
        actors = {a.name: a for a in (session.execute(select(Actor))).scalars()}
        ties = (session.execute(select(Tie))).scalars().all()
    assert network_map.kind == "personal"
    assert set(actors) == {"Sari Dewi", "Budi", "Ani", "Dewi", "Pak Hendra"}
    assert actors["Sari Dewi"].is_ego
    assert len(ties) == 2  # the two typed: none to the participant was assumed
    one_way = next(t for t in ties if t.direction == "out")
    assert (one_way.source_id, one_way.target_id, one_way.strength) == (
        actors["Budi"].id,
        actors["Dewi"].id,
        "weak",
    )

    await chat.send("/urungkan")  # undo the last change: Pak Hendra
    assert await count(db, Actor) == 4
    await chat.send("/analisis")
    await chat.send("Ani - Dewi")
    await chat.send("/analisis")
    with transaction(db) as session:
        snapshots = (
            (session.execute(select(AnalysisSnapshot).order_by(AnalysisSnapshot.id)))
            .scalars()
            .all()
        )
    assert [s.result["ties"] for s in snapshots] == [2, 3]
    await db.dispose()


async def test_deleting_an_actor_removes_its_ties_and_undo_restores_them(db: Database) -> None:
    chat = Chat(db)
    await chat.onboard()
    await chat.press("net")
    await chat.send("Budi - Ani kuat\nBudi - Dewi")
    await chat.press("edit")
    await chat.press("pick:1")  # Budi (sorted: Ani, Budi, Dewi)
    await chat.press("delete")
    await chat.press("yes")
    assert await count(db, Actor) == 3 and await count(db, Tie) == 0
    await chat.press("undo")
    assert await count(db, Actor) == 4 and await count(db, Tie) == 2


async def test_csv_import_creates_a_case_map_all_or_nothing(db: Database) -> None:
    chat = Chat(db)
    await chat.onboard()
    await chat.press("net")
    bad = b"source,target\nA,B\nA,A\n"
    await chat.send(
        Event(EventKind.DOCUMENT, document=Document("x.csv", "text/csv", len(bad), bad))
    )
    assert await count(db, NetworkMap) == 1
    good = b"source,target,strength\nPetani,Tengkulak,kuat\nTengkulak,KUD,lemah\n"
    await chat.send(
        Event(EventKind.DOCUMENT, document=Document("k.csv", "text/csv", len(good), good))
    )
    await chat.press("yes")
    assert await count(db, NetworkMap) == 2
    with transaction(db) as session:
        case = (session.execute(select(NetworkMap).where(NetworkMap.kind == "case"))).scalar_one()
        participant = (session.execute(select(Participant))).scalar_one()
    assert case.title == "k" and participant.active_map == str(case.id)
    assert await count(db, Tie) == 2  # the personal map has none yet


async def test_map_picture_is_sent_as_a_photo_and_toggles_edit_in_place(db: Database) -> None:
    bot = Harness(db)
    bot.deliverer.pacer = fast()
    async with bot.app:
        sari = bot.sari
        await bot.feed(sari.text("/start"))
        for data in ("j1:1:agree", "j1:2:lang:id"):
            await bot.feed(sari.press(data))
        await bot.feed(sari.text("Sari Dewi"))
        await bot.feed(sari.text("Bappeda Karawang"))
        await bot.feed(sari.press("j1:5:WIB"))
        await bot.feed(sari.press("j1:6:off"))
        await bot.feed(sari.press("j1:7:net"))
        await bot.feed(sari.text("Budi - Ani kuat"))
        await bot.feed(sari.text("/peta"))
        photos = [p for m, p in bot.request.calls if m == "sendPhoto"]
        assert len(photos) == 1
        assert "Jejaring personal saya" in photos[0]["caption"]
        await bot.feed(sari.text("/tambah Dewi"))
        with transaction(db) as session:
            seq = (session.execute(select(Participant.seq))).scalar_one()
        await bot.feed(sari.press(f"j1:{seq}:connect"))
        with transaction(db) as session:
            seq = (session.execute(select(Participant.seq))).scalar_one()
        await bot.feed(sari.press(f"j1:{seq}:toggle:0:1"))
        # (answered onboarding steps may be edited to summaries, without buttons)
        edits = [
            p for m, p in bot.request.calls if m == "editMessageText" and p.get("reply_markup")
        ]
        assert len(edits) == 1 and int(edits[0]["message_id"]) == 999
        markup = edits[0]["reply_markup"]
        markup = json.loads(markup) if isinstance(markup, str) else markup
        assert markup["inline_keyboard"][0][0]["text"].startswith("✅")


async def test_the_first_map_command_on_a_fresh_account_does_what_it_says(db: Database) -> None:
    """Issue 19.1, through the real Application: the map is created and the command applied."""
    bot = Harness(db)
    bot.deliverer.pacer = fast()
    async with bot.app:
        sari = bot.sari
        await bot.feed(sari.text("/start"))
        for data in ("j1:1:agree", "j1:2:lang:id"):
            await bot.feed(sari.press(data))
        await bot.feed(sari.text("Sari Dewi"))
        await bot.feed(sari.text("Bappeda Karawang"))
        await bot.feed(sari.press("j1:5:WIB"))
        await bot.feed(sari.press("j1:6:off"))
        sent = await bot.feed(sari.text("/tambah Pak Budi Santoso"))
        said = " ".join(str(m.get("text", "")) for m in sent)
        assert "sekali lagi" not in said and "Pak Budi Santoso" in said
        with transaction(db) as session:
            names = set((session.execute(select(Actor.name))).scalars())
        assert names == {"Sari Dewi", "Pak Budi Santoso"}
        assert await count(db, NetworkMap) == 1 and await count(db, Tie) == 0
        await bot.feed(sari.text("/urungkan"))  # the first command is undone like any other
        with transaction(db) as session:
            names = set((session.execute(select(Actor.name))).scalars())
        assert names == {"Sari Dewi"}


async def test_the_first_hubung_in_jejaring_chat_is_applied(sqlite_url: str) -> None:
    from cli.chat import chat as terminal_chat
    from tests.test_terminal import ONBOARDING

    db = Database.connect(sqlite_url)
    out = io.StringIO()
    typed = ONBOARDING + "/hubung Budi - Sari Ayu kuat\n"
    await terminal_chat(db, user="sari", stdin=io.StringIO(typed), stdout=out)
    with transaction(db) as session:
        names = set((session.execute(select(Actor.name))).scalars())
        ties = (session.execute(select(Tie))).scalars().all()
    await db.dispose()
    assert names == {"Sari Dewi", "Budi", "Sari Ayu"}
    assert [t.strength for t in ties] == ["strong"]
    assert "sekali lagi" not in out.getvalue()
    assert "Saya kenal Budi langsung" in out.getvalue()  # the participant's tie is offered


async def test_the_maps_history_undoes_and_redoes_many_steps_across_a_restart(
    database_url: str,
) -> None:
    db = Database.connect(database_url)
    await db.upgrade()
    chat = Chat(db)
    await chat.onboard()
    await chat.press("net")
    for i in range(22):
        await chat.send(f"/tambah Aktor {i:02d}")
    await db.dispose()

    db = Database.connect(database_url)  # a restart: the history is read back from the database
    chat.db = db
    for _ in range(21):
        await chat.send("/urungkan")
    with transaction(db) as session:
        names = set((session.execute(select(Actor.name))).scalars())
    assert names == {"Sari Dewi", "Aktor 00"}
    await chat.press("redo")
    await chat.press("redo")
    with transaction(db) as session:
        names = set((session.execute(select(Actor.name))).scalars())
        history = (session.execute(select(NetworkMap.history))).scalar_one()
    assert names == {"Sari Dewi", "Aktor 00", "Aktor 01", "Aktor 02"}
    assert len(history["undo"]) == 3 and len(history["redo"]) == 19
    await db.dispose()


async def test_an_actors_attributes_and_a_ties_direction_are_changed_in_the_database(
    db: Database,
) -> None:
    chat = Chat(db)
    await chat.onboard()
    await chat.press("net")
    await chat.send("Budi - Ani kuat")
    await chat.press("edit")
    await chat.press("pick:1")  # Budi (sorted: Ani, Budi)
    await chat.press("kind")
    await chat.press("group")
    await chat.press("ties")
    await chat.press("pick:0")  # Ani
    await chat.press("d:ba")
    await chat.press("flow:knowledge")
    with transaction(db) as session:
        actors = {a.name: a for a in (session.execute(select(Actor))).scalars()}
        tie = (session.execute(select(Tie))).scalar_one()
    assert actors["Budi"].kind == "group"
    assert (tie.source_id, tie.target_id, tie.direction, tie.strength, tie.flows) == (
        actors["Ani"].id,
        actors["Budi"].id,
        "out",
        "strong",
        ["knowledge"],
    )
    await chat.press("untie")
    assert await count(db, Tie) == 0
    await chat.send("/urungkan")
    await chat.send("/urungkan")
    with transaction(db) as session:
        tie = (session.execute(select(Tie))).scalar_one()
    assert (tie.direction, tie.flows) == ("out", [])
