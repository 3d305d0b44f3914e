"""A participant's own data: /ekspor sends it, /hapus_data deletes every row of it."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import networkx as nx
from sqlalchemy import select

from bot.sender import TelegramSender
from coaching.pictures import render_attachment
from storage import privacy
from storage.db import Database
from storage.models import Actor, Base, Cohort, NetworkMap, OutboxMessage
from storage.outbox import Deliverer
from storage.outbox_records import SendResult, Verdict
from tests.ptb import RecordingRequest, application
from tests.support import NOW, transaction
from tests.test_coach import MARKUP_REFLECTION, Person, texts, world
from tests.test_storage import fast


class Recorder:
    channel = "telegram"

    def __init__(self) -> None:
        self.sent: list[tuple[int, dict[str, Any]]] = []

    async def send(self, chat_id: int, payload: dict[str, Any]) -> SendResult:
        self.sent.append((chat_id, payload))
        return SendResult(Verdict.DELIVERED)


async def test_ekspor_sends_the_participants_data_as_json_and_graphml(db: Database) -> None:
    w = await world(db)
    said = await w.sari.answer(w.sari.say("/ekspor"))
    documents = [p["attachment"] for p in said if p.get("attachment")]
    # a one-page PDF a phone opens as it is, then the data and the maps as before
    assert [d["format"] for d in documents] == ["pdf", "json", "graphml"]
    journey = render_attachment(documents[0])
    assert journey.startswith(b"%PDF") and b"/Image" in journey  # the map's picture in it
    assert journey.count(b"/Type /Page\n") == 1  # one page
    documents = documents[1:]
    data = json.loads(render_attachment(documents[0]))
    assert data["participant"]["name"] == "Sari Dewi"
    assert data["participant"]["consent_version"] == "2026-11-v1"
    assert any(a["text"].startswith(MARKUP_REFLECTION) for a in data["answers"])
    assert "Rudi" not in json.dumps(data)  # only their own
    graph = nx.read_graphml(io.BytesIO(render_attachment(documents[1])))
    assert {graph.nodes[n]["name"] for n in graph} == {"Sari Dewi", "Budi", "Ani", "Dewi"}
    assert graph.number_of_edges() == 4
    before_consent = Person(db, 1009)
    await before_consent.say("/start")
    nothing = await before_consent.answer(before_consent.say("/ekspor"))
    assert "Belum ada data" in texts(nothing) and not any(p.get("attachment") for p in nothing)


async def test_ekspor_documents_reach_telegram_as_files(db: Database) -> None:
    w = await world(db)
    await w.sari.say("/ekspor")

    class Documents(RecordingRequest):
        async def do_request(
            self, url: str, method: str, request_data: Any = None, *a: Any, **k: Any
        ) -> tuple[int, bytes]:
            if url.endswith("/sendDocument"):
                self.calls.append(("sendDocument", dict(request_data.parameters)))
                message = {"message_id": 7, "date": 0, "chat": {"id": 1001, "type": "private"}}
                return 200, json.dumps({"ok": True, "result": message}).encode()
            return await super().do_request(url, method, request_data, *a, **k)

    request = Documents()
    app = application(request)
    async with app:
        deliverer = Deliverer(db, TelegramSender(app.bot), worker="t", pacer=fast())
        await deliverer.flush(1001)
    documents = [p for m, p in request.calls if m == "sendDocument"]
    assert len(documents) == 3
    assert "PDF" in documents[0]["caption"] and "Data Anda" in documents[1]["caption"]
    assert "GraphML" in documents[2]["caption"]


async def test_terminal_saves_a_document(tmp_path: Any, monkeypatch: Any) -> None:
    from cli.chat import TerminalSender

    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    attachment = {"type": "document", "format": "json", "filename": "../x.json", "data": {"a": 1}}
    await TerminalSender(out).send(-1, {"text": "<b>Data</b>", "attachment": attachment})
    assert json.loads((tmp_path / "x.json").read_text()) == {"a": 1}
    assert "Data" in out.getvalue() and "x.json" in out.getvalue()


async def test_hapus_data_asks_first_and_keeping_changes_nothing(db: Database) -> None:
    w = await world(db)
    ask = await w.sari.answer(w.sari.say("/hapus_data"))
    assert "Hapus semua data Anda?" in texts(ask) and "2 jawaban" in texts(ask)
    kept = await w.sari.answer(w.sari.press("keep"))
    assert "tidak ada yang dihapus" in texts(kept)
    assert (await w.sari.row()).name == "Sari Dewi"


async def test_after_hapus_data_nothing_of_the_participant_remains_in_any_table(
    db: Database,
) -> None:
    w = await world(db)
    await w.sari.say("/ekspor")  # queued files too must go
    with transaction(db) as session:
        maps = set(
            (
                session.execute(select(NetworkMap.id).where(NetworkMap.participant_id == w.sari_id))
            ).scalars()
        )
        actors = set((session.execute(select(Actor.id).where(Actor.map_id.in_(maps)))).scalars())
    await w.sari.say("/hapus_data")
    await w.sari.press("delete")
    bye = await w.sari.payloads()  # everything else for this chat went with the participant
    assert len(bye) == 1 and "sudah dihapus" in texts(bye)

    recorder = Recorder()
    await Deliverer(db, recorder, worker="t", pacer=fast()).flush(1001)
    assert [p["text"] for _, p in recorder.sent][-1] == bye[-1]["text"]
    await privacy.sweep(db, NOW + timedelta(days=3))

    # Her own words carry "(Sari Dewi)"; her name alone is also a template's example.
    personal = ("(Sari Dewi)", "tg:1001")
    with transaction(db) as session:
        for table in Base.metadata.sorted_tables:
            for row in (session.execute(select(table))).mappings():
                for column, value in row.items():
                    where = f"{table.name}.{column}={value!r}"
                    if column == "participant_id":
                        assert value != w.sari_id, where
                    if column == "map_id":
                        assert value not in maps, where
                    if column in ("actor_id", "source_id", "target_id"):
                        assert value not in actors, where
                    if column == "name" and table.name in ("participants", "actors"):
                        assert value != "Sari Dewi", where
                    if column in ("chat_id", "used_by", "telegram_user_id"):
                        assert value != 1001, where
                    flat = json.dumps(value, default=str)
                    assert not any(p in flat for p in personal), where
        cohort = session.get(Cohort, w.a.id)
        assert cohort is not None and cohort.left_count == 1
        left = (session.execute(select(OutboxMessage.chat_id))).scalars().all()
        assert 1001 not in left

    listed = await w.coach_a.answer(w.coach_a.say("/kohort"))
    assert "1 keluar" in texts(listed) or "keluar" in texts(listed)
    assert "Sari" not in texts(listed)
    # Rudi, in the other cohort, still has everything.
    assert (await w.rudi.row()).name == "Rudi Hartono"


async def test_hapus_data_before_consent_forgets_the_conversation(db: Database) -> None:
    someone = Person(db, 1010)
    await someone.say("/start")
    await someone.say("/hapus_data")
    assert "sudah dihapus" in texts(await someone.payloads())
    with transaction(db) as session:
        from storage.models import Participant

        rows = (session.execute(select(Participant.external_id))).scalars().all()
    assert "tg:1010" not in rows


async def test_a_redelivered_hapus_data_confirmation_does_not_bring_the_participant_back(
    db: Database,
) -> None:
    from app.conversations import handle_event
    from coaching.model import Event, EventKind
    from storage.models import Participant

    w = await world(db)
    await w.sari.say("/hapus_data")
    confirm = Event(EventKind.CHOICE, choice="delete", seq=await w.sari.seq())
    first = await handle_event(db, w.sari.who, confirm, update_id=555_001, now=NOW)
    assert not first.duplicate and "sudah dihapus" in texts(await w.sari.payloads())
    # Telegram delivers the same update again (the 200 was lost on its way).
    again = await handle_event(db, w.sari.who, confirm, update_id=555_001, now=NOW)
    assert again.duplicate and again.outbox_ids == ()
    with transaction(db) as session:
        found = session.execute(
            select(Participant.id).where(Participant.external_id == w.sari.who.external_id)
        )
        assert found.first() is None
