"""Poison updates: a deterministic failure is set aside (a dead letter), the participant is told,
and the bot moves on; only the database being away gets an update delivered again."""

from __future__ import annotations

import asyncio
import io
import sqlite3
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from storage import deadletters, networks
from storage.db import Database
from storage.deadletters import is_transient
from storage.models import DeadLetter, Participant, ProcessedUpdate
from tests.ptb import Person
from tests.support import transaction
from tests.test_e2e import (
    CHAT,
    TOKEN,
    first_with,
    free_port,
    reply,
    running,
    settings_for,
    webhook_settings,
)
from tests.test_handlers import Harness
from tools.botapi_emulator import BotApiEmulator

POISON = "Nama Beracun"
Poison = Callable[[Session, int], None]


def null_state(session: Session, participant_id: int) -> None:
    """A real IntegrityError on both databases (participants.state is NOT NULL)."""
    session.execute(update(Participant).where(Participant.id == participant_id).values(state=None))


def too_long(session: Session, participant_id: int) -> None:
    """A real DataError on PostgreSQL: a value too long for its String(120) column."""
    session.execute(
        update(Participant).where(Participant.id == participant_id).values(unit="u" * 500)
    )


def poison_names(monkeypatch: pytest.MonkeyPatch, poison: Poison) -> None:
    """Storing the name ``POISON`` fails deterministically, inside the update's transaction."""
    real = networks.rename_ego

    def rename_ego(session: Session, participant: Participant, name: str) -> None:
        if name == POISON:
            poison(session, participant.id)
            session.flush()
        real(session, participant, name)

    monkeypatch.setattr(networks, "rename_ego", rename_ego)


async def letters(db: Database) -> list[DeadLetter]:
    return await deadletters.listing(db, include_resolved=True)


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Harness]:
    harness = Harness(db)
    async with harness.app:
        yield harness


async def to_name_step(bot: Harness, person: Person) -> None:
    await bot.feed(person.text("/start"))
    await bot.feed(person.press("j1:1:agree"))
    sent = await bot.feed(person.press("j1:2:lang:id"))
    assert "Siapa nama Anda" in sent[-1]["text"]


# --- classification ------------------------------------------------------------------------


def test_only_the_database_being_away_is_transient() -> None:
    lost = OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))
    assert is_transient(lost)
    assert is_transient(InterfaceError("SELECT 1", {}, Exception("connection closed")))
    assert is_transient(TimeoutError()) and is_transient(ConnectionResetError())
    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorname = "SQLITE_BUSY"
    assert is_transient(OperationalError("UPDATE", {}, locked))
    missing = sqlite3.OperationalError("no such table: x")
    missing.sqlite_errorname = "SQLITE_ERROR"
    assert not is_transient(OperationalError("SELECT", {}, missing))
    assert not is_transient(DataError("UPDATE", {}, Exception("value too long")))
    assert not is_transient(IntegrityError("INSERT", {}, Exception("not null")))
    assert not is_transient(ValueError("an actor's name is empty"))
    assert not is_transient(KeyError("x"))


async def test_a_real_lock_timeout_on_sqlite_is_transient(sqlite_url: str) -> None:
    db = Database.connect(sqlite_url)
    await db.upgrade()
    path = sqlite_url.split("///", 1)[1]
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError) as caught:
            other.execute("BEGIN IMMEDIATE")
        other.close()
        assert is_transient(OperationalError("BEGIN", {}, caught.value))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        await db.dispose()


@pytest.mark.postgres
async def test_a_real_data_error_on_postgresql_is_deterministic(postgres_url: str) -> None:
    db = Database.connect(postgres_url)
    try:
        with pytest.raises(DataError) as caught:
            await db.run(lambda session: session.execute(text("SELECT CAST('ab' AS INTEGER)")))
        assert not is_transient(caught.value)
    finally:
        await db.dispose()


# --- an update that cannot be stored -------------------------------------------------------


@pytest.mark.parametrize(
    ("poison", "error"), [(null_state, "IntegrityError"), (too_long, "DataError")]
)
async def test_a_deterministic_failure_is_set_aside_told_and_the_chat_goes_on(
    bot: Harness, db: Database, monkeypatch: pytest.MonkeyPatch, poison: Poison, error: str
) -> None:
    if poison is too_long and db.dialect == "sqlite":
        pytest.skip("SQLite does not enforce a column's length")
    await to_name_step(bot, bot.sari)
    poison_names(monkeypatch, poison)
    update_ = bot.sari.text(POISON, update_id=4242)
    sent = await bot.feed(update_)
    assert bot.pipeline.take_failed({4242}) == set()  # acknowledged: not redelivered
    assert len(sent) == 1 and "tidak dapat disimpan" in sent[0]["text"]
    assert "pendaftaran" in sent[0]["text"]  # where they still are
    [letter] = await letters(db)
    assert letter.kind == "update" and letter.update_id == 4242
    assert letter.error_class == f"sqlalchemy.exc.{error}" and letter.attempts == 1
    assert letter.payload["update"]["message"]["text"] == POISON
    assert letter.payload["event"]["text"] == POISON
    assert letter.participant_id == (await bot.participant()).id
    assert (await bot.participant()).state == "onboarding.name"  # nothing half-stored
    # Delivered again by Telegram: a repeat, dropped.
    assert await bot.feed(bot.sari.text(POISON, update_id=4242)) == []
    assert len(await letters(db)) == 1
    # The same chat goes on, and so does everyone else.
    sent = await bot.feed(bot.sari.text("Sari Dewi"))
    assert "Sari Dewi" in sent[0]["text"]  # the greeting, then the unit question
    other = Person(bot.app, user_id=3003)
    assert "Persetujuan" in (await bot.feed(other.text("/start")))[0]["text"]


async def test_an_engine_failure_is_a_dead_letter_too(
    bot: Harness, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import conversations

    await to_name_step(bot, bot.sari)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("a bug in pure code")

    monkeypatch.setattr(conversations.engine, "handle", broken)
    sent = await bot.feed(bot.sari.text("Sari"))
    assert "tidak dapat disimpan" in sent[0]["text"]
    [letter] = await letters(db)
    assert letter.error_class == "ZeroDivisionError" and "pure code" in letter.error


async def test_the_database_away_is_still_redelivered(
    bot: Harness, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await to_name_step(bot, bot.sari)
    real = networks.rename_ego

    def away(session: Session, participant: Participant, name: str) -> None:
        raise OperationalError("UPDATE", {}, ConnectionResetError("server closed the connection"))

    monkeypatch.setattr(networks, "rename_ego", away)
    assert await bot.feed(bot.sari.text("Sari", update_id=6161)) == []
    assert bot.pipeline.take_failed({6161}) == {6161}
    assert await letters(db) == []
    monkeypatch.setattr(networks, "rename_ego", real)
    sent = await bot.feed(bot.sari.text("Sari", update_id=6161))
    assert "Sari" in sent[-1]["text"]
    with transaction(db) as session:
        assert session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 4
    await asyncio.sleep(0)


# --- over HTTP: the Bot API emulator, polling and webhook ------------------------------------


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN, webhook_retry_delay=0.05) as emulator:
        yield emulator


@pytest.mark.e2e
@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_poison_update_pins_no_offset_and_blocks_no_chat(
    emu: BotApiEmulator, database_url: str, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    postgres = database_url.startswith("postgresql")
    poison_names(monkeypatch, too_long if postgres else null_state)
    settings = settings_for(emu, database_url)
    if mode == "webhook":
        settings = webhook_settings(emu, database_url, free_port())
    async with running(settings):
        for _ in range(100):
            if mode == "polling" or emu.webhook:
                break
            await asyncio.sleep(0.05)
        emu.user_sends_text(CHAT, "/start")
        consent = await reply(emu, 1)
        emu.user_presses(CHAT, consent["message_id"], "j1:1:agree")
        language = await reply(emu, 2)
        emu.user_presses(CHAT, language["message_id"], "j1:2:lang:id")
        await reply(emu, 3)
        poisoned = emu.user_sends_text(CHAT, POISON)
        others = [emu.user_sends_text(chat, "/start") for chat in (2001, 2002, 2003)]
        told = await first_with(emu, "tidak dapat disimpan")
        assert "pendaftaran" in told["text"]
        for chat in (2001, 2002, 2003):
            [consent] = await emu.wait_for_messages(chat, 1, timeout=15)
            assert "Persetujuan" in consent["text"]
        emu.user_sends_text(CHAT, "Sari Dewi")
        assert "Sari Dewi" in (await first_with(emu, "Senang berkenalan"))["text"]
        if mode == "webhook":
            answered = [a["status"] for a in emu.webhook_attempts if a["update_id"] == poisoned]
            assert answered == [200]  # once, acknowledged: no 500 for ever
        else:
            assert emu.pending_updates == []  # the offset moved past it
        assert all(a.get("status") == 200 for a in emu.webhook_attempts if a["update_id"] in others)
    db = Database.connect(database_url)
    try:
        [letter] = await letters(db)
        assert letter.update_id == poisoned and letter.chat_id == CHAT
    finally:
        await db.dispose()


# --- jejaring dead-letters list | retry ------------------------------------------------------


async def cli(*args: str) -> tuple[int, str]:
    from cli.deadletters import _run
    from cli.main import _parser

    out, err = io.StringIO(), io.StringIO()
    code = await _run(_parser().parse_args(["dead-letters", *args]), out, err)
    return code, out.getvalue() + err.getvalue()


async def test_dead_letters_are_listed_and_retried_once_the_cause_is_fixed(
    bot: Harness, db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    await to_name_step(bot, bot.sari)
    real = networks.rename_ego
    poison_names(monkeypatch, null_state)
    await bot.feed(bot.sari.text(POISON, update_id=4242))
    code, listed = await cli("list")
    assert code == 0 and listed.count("\n") == 1
    assert listed.startswith("#1\t") and "update 4242" in listed and "IntegrityError" in listed
    told = len(bot.request.sent())

    code, output = await cli("retry", "1")  # not fixed yet
    assert code == 1 and "failed again: sqlalchemy.exc.IntegrityError" in output
    [letter] = await letters(db)
    assert letter.attempts == 2 and letter.resolved_at is None
    await bot.deliverer.sweep()
    assert len(bot.request.sent()) == told  # told once, not at every retry

    monkeypatch.setattr(networks, "rename_ego", real)  # the fix is deployed
    code, output = await cli("retry", "--all")
    assert (code, output) == (0, "#1\tdone\n")
    participant = await bot.participant()
    assert participant.name == POISON and participant.state == "onboarding.unit"
    await bot.deliverer.sweep()  # the running bot's outbox sends the reply
    assert any("Senang berkenalan" in m["text"] for m in bot.request.sent()[-2:])
    assert (await cli("list"))[1] == ""
    code, output = await cli("list", "--all")
    assert "\tretried " in output
    assert (await cli("retry", "1"))[1] == "#1\talready retried\n"
    assert (await cli("retry", "9"))[0] == 2


async def test_a_message_set_aside_is_queued_again(
    bot: Harness, db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from storage.outbox_queue import enqueue

    monkeypatch.setenv("DATABASE_URL", database_url)
    broken = {"text": "tombol", "buttons": [[{"value": "x"}]], "seq": 0}
    with transaction(db) as session:
        enqueue(session, None, "telegram", 1001, [broken], datetime.now(UTC))
    await bot.deliverer.flush(1001)
    [letter] = await letters(db)
    assert letter.kind == "message" and letter.error_class == "KeyError"
    assert (await cli("retry", str(letter.id)))[0] == 0
    with transaction(db) as session:
        from storage.models import OutboxMessage

        rows = (
            (session.execute(select(OutboxMessage.payload).order_by(OutboxMessage.id)))
            .scalars()
            .all()
        )
    assert [row["text"] for row in rows] == ["tombol", "tombol"]  # queued again, once
