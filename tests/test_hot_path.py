"""What one update of someone we know costs the database (issue 16: no figure gets worse).

Every update runs these statements, on SQLite and PostgreSQL alike; one more is a round trip
more per update (on PostgreSQL, under the participant's row lock).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select, text, update
from sqlalchemy.orm import Session

from app.conversations import handle_event
from coaching.flows.menu import Menu
from coaching.model import CreateMap, Event, EventKind
from coaching.network.ops import AddActor, AddTie
from storage import effects, participants
from storage.arrivals import Identity
from storage.db import Database
from storage.models import Coach, NetworkMap, OutboxMessage, Participant, ProcessedUpdate
from storage.outbox_leases import claim
from storage.outbox_queue import enqueue
from tests.support import NOW, transaction
from tests.test_storage import SARI, onboard, participant, press, say


@contextmanager
def executed(db: Database) -> Iterator[list[tuple[str, Any]]]:
    """The statements as the driver got them, with their parameters (not SQLite's BEGIN
    IMMEDIATE)."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        if not statement.startswith("BEGIN"):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The statements run inside the block, each on one line (the list is filled at its end)."""
    seen: list[str] = []
    with executed(db) as raw:
        yield seen
    seen.extend(" ".join(statement.split()) for statement, _ in raw)


async def test_an_update_of_someone_we_know_is_five_statements_two_on_postgresql(
    db: Database,
) -> None:
    await say(db, "/start", update_id=1)
    await press(db, "agree", update_id=2)
    with transaction(db) as session:  # the replies so far went out
        session.execute(update(OutboxMessage).values(sent_at=NOW))
    before = await participant(db)
    tap = Event(EventKind.CHOICE, choice="lang:en", seq=before.seq)
    with statements(db) as seen:
        handled = await handle_event(db, SARI, tap, update_id=3, now=NOW, claim_as="host:1")
    heads = [" ".join(s.split()[:3]) for s in seen]
    arrival = [
        "SELECT participants.id, participants.external_id,",  # the participant (locked)
        "INSERT INTO processed_updates",  # a repeat is dropped here
    ]
    own = ["SELECT 'a', answers.exercise_key,"]  # answers, items done, a map or not
    written = [
        "UPDATE participants SET",  # the row written once: no flush of the ORM's after it
        "INSERT INTO outbox",  # the reply, leased for sending at once
    ]
    if db.dialect == "postgresql":  # the mark fed by the lock, and the own rows read with it
        arrival, own = ["WITH locked AS"], []
        written = ["WITH written AS"]  # the row's UPDATE, a CTE of the replies' INSERT
    assert heads == [*arrival, *own, *written], seen
    # The one UPDATE carries the effect's column (the language) with the conversation's own.
    (update_sql,) = (s for s in seen[len(arrival) :] if "UPDATE participants SET" in s)
    for column in ("language", "state", "seq", "last_active_at"):
        assert f"{column}=" in update_sql.replace(" = ", "="), update_sql
    assert "INSERT INTO outbox" in seen[-1]
    assert handled.claimed is not None and handled.claimed.id == handled.outbox_ids[0]
    after = await participant(db)
    assert (after.language, after.seq) == ("en", before.seq + 1)
    assert after.state != before.state and after.last_active_at is not None


async def test_a_first_start_reads_none_of_the_participants_own_rows(db: Database) -> None:
    """Someone the update creates has no answers, progress or maps yet: nothing is read."""
    with statements(db) as seen:
        handled = await handle_event(db, SARI, Event.of_text("/start"), update_id=1, now=NOW)
    assert handled.outbox_ids and not handled.failed
    assert not [s for s in seen if s.startswith("SELECT 'a',")], seen
    # Her second update reads them: she may have some by now (on PostgreSQL with the lock).
    with statements(db) as seen:
        await press(db, "agree", update_id=2)
    own = "FROM answers" if db.dialect == "postgresql" else "SELECT 'a',"
    assert [s for s in seen if own in s], seen


async def test_someone_new_is_created_and_their_update_marked_in_one_statement_on_postgresql(
    db: Database,
) -> None:
    with statements(db) as seen:
        handled = await handle_event(db, SARI, Event.of_text("/start"), update_id=1, now=NOW)
    heads = [" ".join(s.split()[:3]) for s in seen]
    if db.dialect == "postgresql":
        # The lock finds nobody; the row and the mark are one statement (the mark a CTE).
        arrival = ["WITH locked AS", "WITH created AS"]
    else:
        arrival = [
            "SELECT participants.id, participants.external_id,",
            "INSERT INTO participants",
            "INSERT INTO processed_updates",
        ]
    assert heads[: len(arrival)] == arrival, seen
    assert not [h for h in heads[len(arrival) :] if "processed_updates" in h], seen
    sari = await participant(db)
    assert sari.id == handled.participant_id and sari.external_id == SARI.external_id
    assert sari.language == "id" and sari.seq == 1 and sari.state == handled.state
    # The update is marked handled: delivered again, it changes nothing and sends nothing.
    again = await handle_event(db, SARI, Event.of_text("/start"), update_id=1, now=NOW)
    assert again.duplicate and not again.outbox_ids
    assert (await participant(db)).seq == 1


async def test_whether_the_sender_coaches_is_asked_with_the_lock_on_postgresql(
    db: Database,
) -> None:
    """Every /start and /menu asks whether the sender coaches (a coach's home instead of the
    participant's menu): on PostgreSQL in the update's first statement, not a round trip of
    its own."""
    await say(db, "/start", update_id=1)
    await press(db, "agree", update_id=2)
    with transaction(db) as session:
        session.add(Coach(telegram_user_id=SARI.chat_id, name=None, created_at=NOW))
    with statements(db) as seen:
        handled = await say(db, "/menu", update_id=3)
    assert handled.coach_menu  # she coaches: her coach home
    asked = [" ".join(s.split()[:3]) for s in seen if "FROM coaches" in s]
    postgresql = db.dialect == "postgresql"
    assert asked == (["WITH locked AS"] if postgresql else ["SELECT coaches.id FROM"]), seen
    # Someone new who coaches nobody: on PostgreSQL asked with the lock that finds nobody and
    # answered with their creation; no round trip of its own either.
    rudi = Identity("tg:1002", "telegram", 1002, "id")
    with statements(db) as seen:
        handled = await say(db, "/start", update_id=4, who=rudi)
    assert handled.outbox_ids and not handled.coach_menu
    asked = [" ".join(s.split()[:3]) for s in seen if "FROM coaches" in s]
    new = ["WITH locked AS", "WITH created AS"]
    assert asked == (new if postgresql else ["SELECT coaches.id FROM"]), seen
    # An update whose flows do not ask does not ask.
    with statements(db) as seen:
        await press(db, "lang:id", update_id=5)
    assert not [s for s in seen if "FROM coaches" in s], seen


async def test_the_participants_row_is_written_with_no_reply_to_queue(db: Database) -> None:
    """The row's UPDATE rides with the replies' INSERT; with no reply it still runs alone."""
    await say(db, "/start", update_id=1)
    sari = await participant(db)
    with transaction(db) as session:
        row = session.get(Participant, sari.id)
        assert row is not None
        staged = participants.stage(row, {"seq": sari.seq + 5, "updated_at": NOW})
        ids, claimed = participants.queue(session, row, SARI, [], row.seq, NOW, write=staged)
        assert (ids, claimed) == ((), None)
    assert (await participant(db)).seq == sari.seq + 5


async def test_a_rolled_back_transaction_keeps_neither_the_row_nor_its_replies(
    db: Database,
) -> None:
    """One statement on PostgreSQL, two on SQLite: a transaction that fails after them keeps
    neither the participant's new columns nor the replies queued with them."""
    await say(db, "/start", update_id=1)
    sari = await participant(db)
    before = await _outbox_count(db)

    def job(session: Session) -> None:
        row = session.get(Participant, sari.id)
        assert row is not None
        staged = participants.stage(row, {"seq": sari.seq + 7})
        payload = {"text": "hai", "seq": 0}
        ids, _ = participants.queue(session, row, SARI, [payload], row.seq, NOW, write=staged)
        assert len(ids) == 1
        raise RuntimeError("the transaction fails after both")

    with pytest.raises(RuntimeError):
        await db.run(job)
    assert (await participant(db)).seq == sari.seq
    assert await _outbox_count(db) == before


async def _outbox_count(db: Database) -> int:
    with transaction(db) as session:
        return int(session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


async def test_the_row_is_updated_once_with_several_replies(db: Database) -> None:
    """Three replies in one INSERT, the participant's UPDATE riding on it: the row is written
    once, not once per message (PostgreSQL counts the row updates: before and after)."""
    await say(db, "/start", update_id=1)
    sari = await participant(db)

    def row_updates(session: Session) -> int:
        if db.dialect != "postgresql":
            return 0
        counted = session.execute(
            text("SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'participants'")
        )
        return int(counted.scalar_one())

    def job(session: Session) -> tuple[tuple[int, ...], int]:
        row = session.get(Participant, sari.id)
        assert row is not None
        before = row_updates(session)
        staged = participants.stage(row, {"seq": sari.seq + 3})
        replies = [{"text": f"balasan {n}", "seq": 0} for n in range(3)]
        ids, _ = participants.queue(session, row, SARI, replies, row.seq, NOW, write=staged)
        return ids, row_updates(session) - before

    with statements(db) as seen:
        ids, updated = await db.run(job)
    assert len(ids) == 3
    assert sum("UPDATE participants" in s for s in seen) == 1, seen
    assert updated == (1 if db.dialect == "postgresql" else 0)
    assert (await participant(db)).seq == sari.seq + 3


async def test_an_updates_messages_are_queued_in_one_statement_in_their_order(
    db: Database,
) -> None:
    """A tap's answer and the edit that sums up the tapped message: one INSERT for both, the
    answer leased for sending at once, the lazy edit not (it goes after the rest anyway); their
    ids in the order the engine gave them."""
    await say(db, "/start", update_id=1)
    with transaction(db) as session:
        session.execute(update(OutboxMessage).values(sent_at=NOW))
    before = await participant(db)
    tap = Event(EventKind.CHOICE, choice="agree", seq=before.seq)
    with statements(db) as seen:
        handled = await handle_event(
            db, SARI, tap, update_id=2, now=NOW, claim_as="host:1", pressed_message_id=70
        )
    inserts = [s for s in seen if "INSERT INTO outbox" in s]  # on PostgreSQL after a CTE
    assert len(inserts) == 1, seen
    with transaction(db) as session:
        rows = session.execute(
            select(OutboxMessage).where(OutboxMessage.id.in_(handled.outbox_ids))
        ).scalars()
        queued = {row.id: row for row in rows}
    assert len(handled.outbox_ids) == 2 and list(handled.outbox_ids) == sorted(queued)
    (summary,) = (row for row in queued.values() if row.payload.get("summary") is True)
    (answer,) = (row for row in queued.values() if row is not summary)
    # The engine gives the answer first: the smaller id, so it is sent first.
    assert [queued[i] for i in handled.outbox_ids] == [answer, summary]
    assert summary.claimed_by is None
    assert summary.payload.get("edit_message_id") == 70
    assert answer.claimed_by == "host:1/handoff" and answer.attempts == 1
    assert summary.attempts == 0
    assert handled.claimed is not None and handled.claimed.id == answer.id


async def test_a_reply_waits_behind_an_earlier_one_of_its_chat(db: Database) -> None:
    """The lease is decided inside the INSERT: an earlier unsent message keeps the order."""
    first = await handle_event(db, SARI, Event.of_text("/start"), update_id=1, now=NOW)
    assert first.claimed is None and first.outbox_ids  # queued, not leased: nobody asked
    second = await handle_event(
        db, SARI, Event.of_text("/bantuan"), update_id=2, now=NOW, claim_as="host:1"
    )
    assert second.outbox_ids and second.claimed is None


# What loading a participant's maps reads: the maps, their actors, ties, KLTB entries, planned
# ties and stages, and the active map's last analysis.
MAP_TABLES = ("maps", "actors", "ties", "kltb_entries", "planned_ties", "analysis_snapshots")


def _reads_maps(seen: list[str]) -> list[str]:
    """The statements that read maps (the snapshot's own one only asks whether there is one)."""
    own = "SELECT 'a',"
    return [
        s
        for s in seen
        if s.startswith("SELECT")
        and not s.startswith(own)
        and any(f"FROM {t} " in s for t in MAP_TABLES)
    ]


def _store_maps(count: int) -> list[CreateMap]:
    """A personal map and ``count - 1`` case maps, each with two people and a tie."""
    people = (AddActor("Budi"), AddActor("Wati"), AddTie("Budi", "Wati"))
    made = [CreateMap("personal", "personal", ops=people, ego="Sari")]
    return made + [CreateMap("case", f"Kasus {n}", ops=people) for n in range(1, count)]


async def _with_maps(db: Database, count: int) -> Participant:
    """Sari (onboarded, in the menu) with ``count`` maps; her replies so far sent."""
    with transaction(db) as session:
        row = session.get(Participant, (await participant(db)).id)
        assert row is not None
        effects.store_effects(session, row, _store_maps(count), NOW)
        session.execute(update(OutboxMessage).values(sent_at=NOW))
    return await participant(db)


async def test_a_participant_with_maps_in_a_step_without_maps_does_not_load_them(
    db: Database,
) -> None:
    await onboard(db)
    with statements(db) as mapless:  # her menu, before she has a map
        await handle_event(db, SARI, Event.of_text("/menu"), update_id=20, now=NOW)
    sari = await _with_maps(db, 4)
    assert sari.state == "menu.main"
    with statements(db) as seen:
        handled = await handle_event(db, SARI, Event.of_text("/menu"), update_id=21, now=NOW)
    assert handled.state == "menu.main" and not handled.failed
    # None of her four maps read: the statements she had without them, no more.
    assert _reads_maps(seen) == [], seen
    assert len(seen) == len(mapless), (seen, mapless)
    # A step that shows the maps loads them: /peta, the map's home, reads all seven.
    with statements(db) as seen:
        handled = await handle_event(db, SARI, Event.of_text("/peta"), update_id=22, now=NOW)
    assert len(_reads_maps(seen)) == 7, seen
    assert handled.state == "network.home"


async def test_a_step_that_reads_maps_undeclared_is_decided_with_them(
    db: Database, monkeypatch: Any
) -> None:
    """The menu's map button opens the map. Were it not declared (``Menu.reads_maps``, taken
    away here), the map's home would read the maps unloaded and the event would be decided
    again with them loaded (coaching/unloaded.py), never on maps it did not see."""
    monkeypatch.setattr(Menu, "reads_maps", lambda self, snap, event: False)
    await onboard(db)
    sari = await _with_maps(db, 1)
    net = Event(EventKind.CHOICE, choice="net", seq=sari.seq)
    with statements(db) as seen:
        handled = await handle_event(db, SARI, net, update_id=20, now=NOW)
    assert handled.state == "network.home" and not handled.failed
    assert len(_reads_maps(seen)) == 7, seen  # loaded once, when the map's home read them
    with transaction(db) as session:  # the map opened is hers: no second personal map made
        maps = session.scalars(select(NetworkMap.kind).where(NetworkMap.participant_id == sari.id))
        assert list(maps) == ["personal"]


async def test_a_journey_through_the_menu_decides_every_event_once(
    db: Database, caplog: Any
) -> None:
    """The menu declares which of its events open a map (``Menu.reads_maps``): its map button,
    a module whose guide reads the maps, a stakeholder line typed at the menu. None of a
    participant's ordinary journey is decided twice for maps read undeclared."""
    await onboard(db)
    caplog.set_level("DEBUG", logger="app.conversations")
    journey: list[tuple[str, str]] = [
        ("press", "net"),  # no map yet: the map's home makes the first one
        ("say", "/menu"),
        ("say", "Pak Budi; Bappeda; kuat; dana"),  # a stakeholder line typed at the menu
        ("say", "/menu"),
        ("say", "Bu Rina; Dinas Sosial; lemah; data"),
        ("say", "/menu"),
        ("press", "net"),
        ("say", "/menu"),
        ("press", "m:bab4"),
        ("say", "/menu"),
        ("press", "m:bab3"),
        ("say", "/menu"),
        ("press", "m:bab2"),
        ("say", "/menu"),
        ("press", "next"),
        ("say", "/menu"),
        ("press", "kltb"),
        ("say", "/menu"),
        ("press", "plans"),
        ("say", "/menu"),
    ]
    for number, (kind, value) in enumerate(journey, start=10):
        before = len(caplog.records)
        handled = await (say if kind == "say" else press)(db, value, number)
        assert not handled.failed, (kind, value)
        redecided = [r for r in caplog.records[before:] if "undeclared" in r.getMessage()]
        assert redecided == [], (kind, value, handled.state)
    sari = await participant(db)
    assert sari.state == "menu.main"


def explain(session: Session, statement: str, parameters: Any) -> str:
    """The query plan of a statement as the driver got it (not executed)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
    rows = session.connection().exec_driver_sql(prefix + statement, parameters).all()
    return "\n".join(" ".join(str(part) for part in row) for row in rows)


async def test_queueing_and_claiming_find_a_chats_waiting_messages_by_its_index(
    db: Database,
) -> None:
    """Both ask for one chat's unsent messages. With many chats waiting (a backlog, a new
    database whose statistics are not in yet) they must not read every unsent message of
    every chat through ``ix_outbox_pending``: they go by ``ix_outbox_chat_waiting``."""
    backlog = [
        {
            "channel": "telegram",
            "chat_id": chat,
            "payload": {"text": "tunggu"},
            "created_at": NOW,
            "next_attempt_at": NOW,
            "attempts": 0,
        }
        for chat in range(1, 3001)
    ]
    with transaction(db) as session:
        session.execute(insert(OutboxMessage), backlog)
    with transaction(db) as session:
        with executed(db) as seen:
            enqueue(session, None, "telegram", 999_999, [{"text": "baru"}], NOW, claim_as="h:1")
            claim(
                session,
                channel="telegram",
                chat_id=999_998,
                worker="h:1",
                now=NOW,
                lock_row=db.dialect == "postgresql",
            )
        assert len(seen) == 2, seen
        for statement, parameters in seen:
            plan = explain(session, statement, parameters)
            assert "ix_outbox_chat_waiting" in plan, plan
            assert "ix_outbox_pending" not in plan, plan


async def test_two_first_updates_of_someone_new_racing_create_them_once(database_url: str) -> None:
    """Two workers each take a first update of the same new person at once: one creates them,
    the other finds the row the first created (the create statement returns nothing to it)
    and waits for its lock. Both updates are handled, once each."""
    workers = [Database.connect(database_url), Database.connect(database_url)]
    await workers[0].upgrade()
    people = [
        Identity(external_id=f"tg:{7000 + n}", channel="telegram", chat_id=7000 + n)
        for n in range(15)
    ]
    firsts = [
        handle_event(workers[i % 2], who, Event.of_text(word), update_id=1000 + 10 * n + i, now=NOW)
        for n, who in enumerate(people)
        for i, word in enumerate(("/start", "/bantuan"))
    ]
    handled = await asyncio.gather(*firsts)
    assert not [h for h in handled if h.failed or h.duplicate]
    with transaction(workers[0]) as session:
        rows = session.execute(
            select(Participant.external_id).where(Participant.external_id.like("tg:70%"))
        ).all()
        marked = session.execute(
            select(func.count())
            .select_from(ProcessedUpdate)
            .where(ProcessedUpdate.update_id >= 1000)
        ).scalar_one()
    assert sorted(r for (r,) in rows) == sorted(who.external_id for who in people)  # one each
    assert marked == 2 * len(people)
    for worker in workers:
        await worker.dispose()
