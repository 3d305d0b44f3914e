"""The unit of work and the outbox against real databases (SQLite file and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select

from app.conversations import Identity, handle_event, known, pending_prompt
from coaching.model import Event, EventKind
from storage.db import Database, database_url
from storage.models import Answer, Base, OutboxMessage, Participant, ProcessedUpdate, Progress
from storage.outbox import Deliverer
from storage.outbox_pacing import ChatPacer
from storage.outbox_records import SendResult, Verdict
from tests.support import NOW, transaction

SARI = Identity("tg:1001", "telegram", 1001, "id")


def fast() -> ChatPacer:
    """No per-chat pacing: these tests are about order and exclusivity, not Telegram's pace."""
    return ChatPacer(rate=1e6, burst=10**6)


async def say(db: Database, text: str, update_id: int | None = None, who: Identity = SARI) -> Any:
    return await handle_event(db, who, Event.of_text(text), update_id=update_id, now=NOW)


async def press(db: Database, value: str, update_id: int | None = None) -> Any:
    seq = (await participant(db)).seq
    return await handle_event(
        db, SARI, Event(EventKind.CHOICE, choice=value, seq=seq), update_id=update_id, now=NOW
    )


async def participant(db: Database, external_id: str = "tg:1001") -> Participant:
    with transaction(db) as session:
        return (
            session.execute(select(Participant).where(Participant.external_id == external_id))
        ).scalar_one()


async def outbox(db: Database) -> list[OutboxMessage]:
    with transaction(db) as session:
        return list((session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


async def onboard(db: Database) -> None:
    await say(db, "/start", 1)
    await press(db, "agree", 2)
    await press(db, "lang:id", 3)
    await say(db, "Sari Dewi", 4)
    await say(db, "Bappeda Kabupaten Karawang", 5)
    await press(db, "WITA", 6)
    await press(db, "weekly", 7)


def test_database_url_defaults_to_sqlite_and_names_the_one_driver_of_each_database() -> None:
    # The test changed with storage's drivers (issue 16): one synchronous driver per database;
    # every spelling operators' configurations use (async drivers included) still works.
    assert database_url({}) == "sqlite+pysqlite:///jejaring.sqlite3"
    for given in ("postgresql://", "postgres://", "postgresql+asyncpg://", "postgresql+psycopg://"):
        url = database_url({"DATABASE_URL": given + "u@h/d"})
        assert url == "postgresql+psycopg://u@h/d"
    assert database_url({"DATABASE_URL": "sqlite+aiosqlite:///x.db"}) == "sqlite+pysqlite:///x.db"


async def test_onboarding_is_persisted_with_consent_and_profile(db: Database) -> None:
    await onboard(db)
    p = await participant(db)
    assert (p.name, p.unit, p.timezone, p.reminder, p.language) == (
        "Sari Dewi",
        "Bappeda Kabupaten Karawang",
        "Asia/Makassar",
        "weekly",
        "id",
    )
    assert p.consent_at == NOW and p.consent_version == "2026-11-v1"
    assert p.state == "menu.main" and p.seq == 7
    assert p.chat_id == 1001
    messages = await outbox(db)
    assert messages[-1].payload["buttons"][0][0]["value"] == "g::menu.main:next"
    assert messages[-1].payload["seq"] == 7
    assert all(m.channel == "telegram" and m.chat_id == 1001 for m in messages)


async def test_nothing_personal_is_stored_before_consent(db: Database) -> None:
    await say(db, "/start", 1)
    await press(db, "decline", 2)
    p = await participant(db)
    assert p.consent_at is None and p.name is None and p.unit is None


async def test_the_same_update_twice_has_one_effect(db: Database) -> None:
    await onboard(db)
    await press(db, "m:bab2")  # "what next" would open the lesson first: the exercise directly
    await press(db, "x:bab2.latihan1", 8)
    first = await say(db, "Kesamaan membuat kami akrab.", 9)
    count = len(await outbox(db))
    again = await say(db, "Kesamaan membuat kami akrab.", 9)
    assert not first.duplicate and again.duplicate
    assert len(await outbox(db)) == count
    with transaction(db) as session:
        assert session.scalar(select(func.count()).select_from(Answer)) == 1
        assert session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 9


async def test_a_double_tap_under_new_update_ids_has_one_effect(db: Database) -> None:
    await say(db, "/start", 1)
    seq = (await participant(db)).seq
    tap = Event(EventKind.CHOICE, choice="agree", seq=seq)
    first = await handle_event(db, SARI, tap, update_id=2, now=NOW)
    second = await handle_event(db, SARI, tap, update_id=3, now=NOW)
    assert first.outbox_ids and not first.toast
    assert second.outbox_ids == () and second.toast  # only a pop-up: "already chosen"
    p = await participant(db)
    assert p.state == "onboarding.language" and p.seq == seq + 1


async def test_a_new_connection_resumes_where_the_participant_was(database_url: str) -> None:
    first = Database.connect(database_url)
    await first.upgrade()
    await say(first, "/start", 1)
    await press(first, "agree", 2)
    await press(first, "lang:en", 3)
    await say(first, "Sari Dewi", 4)
    await first.dispose()  # the process is gone; only the database remains

    second = Database.connect(database_url)
    resumed = await pending_prompt(second, SARI, now=NOW)
    assert resumed.state == "onboarding.unit"
    last = (await outbox(second))[-1]
    assert "Which unit or agency" in last.payload["text"] and "Sari Dewi" in last.payload["text"]
    assert await known(second, "tg:1001") and not await known(second, "tg:9")
    await second.dispose()


async def test_one_participants_updates_are_serialised_across_workers(database_url: str) -> None:
    """Two engines (as two worker processes) race on one participant: no update is lost."""
    workers = [Database.connect(database_url), Database.connect(database_url)]
    await workers[0].upgrade()
    await onboard(workers[0])
    start_seq = (await participant(workers[0])).seq
    menus = [
        handle_event(workers[i % 2], SARI, Event.of_text("/menu"), update_id=100 + i, now=NOW)
        for i in range(20)
    ]
    await asyncio.gather(*menus)
    assert (await participant(workers[0])).seq == start_seq + 20
    for worker in workers:
        await worker.dispose()


class Recorder:
    channel = "telegram"

    def __init__(self, verdicts: list[Verdict] | None = None) -> None:
        self.sent: list[tuple[int, str]] = []
        self.verdicts = verdicts or []

    async def send(self, chat_id: int, payload: dict[str, Any]) -> SendResult:
        verdict = self.verdicts.pop(0) if self.verdicts else Verdict.DELIVERED
        if verdict is Verdict.DELIVERED:
            self.sent.append((chat_id, payload["text"]))
        return SendResult(verdict, 0.0 if verdict is Verdict.RETRY else None, verdict.value)


async def test_outbox_delivers_in_order_and_retries_until_delivered(db: Database) -> None:
    await onboard(db)
    expected = [m.payload["text"] for m in await outbox(db)]
    recorder = Recorder([Verdict.RETRY, Verdict.DELIVERED, Verdict.RETRY])
    deliverer = Deliverer(db, recorder, worker="w1", pacer=fast())
    rounds = 0
    while len(recorder.sent) < len(expected) and rounds < 10:
        await deliverer.flush(1001)
        rounds += 1
    assert [t for _, t in recorder.sent] == expected
    assert all(m.sent_at is not None for m in await outbox(db))


async def test_two_deliverers_never_send_one_message_twice(database_url: str) -> None:
    a, b = Database.connect(database_url), Database.connect(database_url)
    await a.upgrade()
    for i in range(30):
        await say(a, "/bantuan", i + 1, who=Identity(f"tg:{i % 5}", "telegram", 5000 + i % 5))
    recorder = Recorder()
    one = Deliverer(a, recorder, worker="one", pacer=fast())
    two = Deliverer(b, recorder, worker="two", pacer=fast())
    await asyncio.gather(*(d.sweep() for d in (one, two, one, two)))
    await asyncio.gather(one.sweep(), two.sweep())
    texts = await outbox(a)
    assert len(recorder.sent) == len(texts)  # each exactly once
    for chat in range(5000, 5005):  # and in order within each chat
        sent_ids = [t for c, t in recorder.sent if c == chat]
        assert sent_ids == [m.payload["text"] for m in texts if m.chat_id == chat]
    await a.dispose()
    await b.dispose()


async def test_a_blocked_participant_is_marked_inactive(db: Database) -> None:
    await say(db, "/start", 1)
    await Deliverer(db, Recorder([Verdict.BLOCKED]), worker="w", pacer=fast()).flush(1001)
    assert (await participant(db)).active is False
    await say(db, "/start", 2)  # they came back
    assert (await participant(db)).active is True


async def test_an_expired_lease_lets_another_worker_take_over(db: Database) -> None:
    await say(db, "/start", 1)
    clock = [NOW]
    first = Deliverer(db, Recorder(), worker="crashed", clock=lambda: clock[0], pacer=fast())
    assert await first._claim(1001) is not None  # claimed, then the worker "dies"
    rescuer = Recorder()
    second = Deliverer(db, rescuer, worker="rescuer", clock=lambda: clock[0], pacer=fast())
    assert await second.flush(1001) == 0  # lease still live
    clock[0] = NOW + timedelta(seconds=31)
    assert await second.flush(1001) == 1  # welcome and consent arrive as one message
    assert "Persetujuan" in rescuer.sent[0][1]


async def test_deleting_a_participant_removes_all_their_rows(db: Database) -> None:
    await onboard(db)
    await press(db, "m:bab2")
    await press(db, "x:bab2.latihan1", 8)
    await say(db, "Refleksi saya tentang kesamaan.", 9)
    with transaction(db) as session:
        session.execute(delete(Participant).where(Participant.external_id == "tg:1001"))
    with transaction(db) as session:
        for table in Base.metadata.sorted_tables:
            if "participant_id" in table.c:
                count = session.scalar(select(func.count()).select_from(table))
                assert count == 0, table.name
        assert session.scalar(select(func.count()).select_from(Progress)) == 0


async def test_a_restart_frees_leases_of_dead_workers_on_this_host(db: Database) -> None:
    from storage.outbox_leases import release_orphans

    await say(db, "/start", 1)
    dead = Deliverer(db, Recorder(), worker="hostA:111", pacer=fast())
    assert await dead._claim(1001) is not None  # killed right after Telegram accepted it
    other_host = Deliverer(db, Recorder(), worker="hostB:222", pacer=fast())
    assert await other_host.flush(1001) == 0  # lease live
    assert await release_orphans(db, "hostB", alive=lambda pid: False) == 0  # not ours
    assert await release_orphans(db, "hostA", alive=lambda pid: pid != 111) == 1
    assert await other_host.flush(1001) == 1


async def test_a_slow_decision_does_not_block_the_event_loop(
    db: Database, monkeypatch: Any
) -> None:
    """One participant's heavy step (/analisis of a big imported map) leaves others answered."""
    import time

    from app import conversations

    real = conversations.engine.handle

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)  # CPU-bound work on whatever thread runs the engine
        return real(*args, **kwargs)

    monkeypatch.setattr(conversations.engine, "handle", slow)
    gaps: list[float] = []

    async def heartbeat() -> None:
        last = time.monotonic()
        for _ in range(30):
            await asyncio.sleep(0.02)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    handled, _ = await asyncio.gather(say(db, "/start", 1), heartbeat())
    assert handled.outbox_ids and not handled.failed
    assert max(gaps) < 0.25, max(gaps)  # the loop kept running while the engine worked
