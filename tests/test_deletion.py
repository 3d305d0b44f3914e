"""Deletion deletes (issue 18): after /hapus_data no table holds the participant's name, words,
map or Telegram id — not their outbox, not their coach's copies, not processed updates, not
the project's logs — and everyone's sent messages and update ids go after a retention period.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy import MetaData, select

from storage import cohorts, privacy
from storage.db import Database
from storage.logs import pseudonym
from storage.models import OutboxMessage, ProcessedUpdate
from storage.outbox import Deliverer
from tests.support import NOW, place_value, transaction
from tests.test_coach import Person, texts
from tests.test_privacy import Recorder
from tests.test_storage import fast

TELEGRAM_ID = 7_123_456_789
NAME = "Sekar Ayuningtyas"
UNIT = "Balai Karantina Kuokka Timur"
STAKEHOLDER = "Zulkarnaen Wibisono"
OTHER = "Mardiyah Sulistyowati"
REFLECTION = "Saya belajar bahwa kepercayaan Zebu tumbuh dari janji yang ditepati."
KLTB_NOTE = "Minum kopi bersama Pak Zulkarnaen di Kuokka"
PROJECT = ("bot", "storage", "coaching", "cli", "web")  # the loggers the project writes
DELETED = (NAME, UNIT, STAKEHOLDER, OTHER, REFLECTION, KLTB_NOTE, str(TELEGRAM_ID))


async def scan(db: Database, needles: Sequence[str]) -> list[str]:
    """Every place (table.column) where any needle occurs, in every table of the database
    as the database itself describes it (reflection, not our models: nothing is missed)."""
    meta = MetaData()
    with db.engine.connect() as conn:
        meta.reflect(conn)
        found = []
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    flat = value if isinstance(value, str) else json.dumps(value, default=str)
                    flat = flat.casefold()
                    for needle in needles:
                        if needle.casefold() in flat or value == needle:
                            found.append(f"{table.name}.{column} holds {needle!r}")
    return found


async def journey(db: Database) -> tuple[Person, Person, int]:
    """A participant's whole journey, and their coach looking at them in every way."""
    cohort = await cohorts.create_cohort(db, "PKA Angkatan 21", now=NOW)
    coach = Person(db, 5101)
    await coach.say(f"/start coach_{cohort.coach_token}")
    sekar = Person(db, TELEGRAM_ID)
    sekar.update = 40_000  # Telegram's update ids are not user ids
    await sekar.say(f"/start join_{cohort.join_code}")
    await sekar.press("agree")
    await sekar.press("lang:id")
    await sekar.say(NAME)
    await sekar.say(UNIT)
    await sekar.press("WIB")
    await sekar.press("daily")
    await sekar.press("net")
    await sekar.say(f"{STAKEHOLDER} - {OTHER} kuat\n{STAKEHOLDER} -> Dinas Pertanian")
    await sekar.say(f"/hubung {NAME} - {STAKEHOLDER} kuat")
    await sekar.say("/analisis")
    await sekar.say("/menu")
    await sekar.press("kltb")
    said = await sekar.payloads()
    values = [place_value(b["value"]) for b in said[-1]["buttons"][0]]  # as the list offers them
    pick = [value for value in values if value.startswith("pick:")]
    assert pick, said[-1]
    await sekar.press(pick[0])
    await sekar.press("step:know")
    await sekar.say(KLTB_NOTE)
    await sekar.say("/menu")
    await sekar.press("m:bab2")
    await sekar.press("x:bab2.latihan1")
    await sekar.say(REFLECTION)
    await sekar.say("/ekspor")
    pid = (await sekar.row()).id
    # The coach: the roster, her detail (reflections, KLTB, map picture, analysis), a nudge.
    roster = await coach.answer(coach.say("/kohort"))
    assert NAME in texts(roster)
    detail = await coach.answer(coach.press(f"ko:p:{pid}", stable=True))
    assert REFLECTION[:40] in texts(detail) and STAKEHOLDER in json.dumps(detail)
    nudged = await coach.answer(coach.press(f"ko:n:{pid}", stable=True))
    assert NAME in texts(nudged)
    return sekar, coach, pid


async def deliver_all(db: Database) -> None:
    with transaction(db) as session:
        chats = set((session.execute(select(OutboxMessage.chat_id))).scalars())
    deliverer = Deliverer(db, Recorder(), worker="t", pacer=fast())
    for chat in chats:
        await deliverer.flush(chat)


async def test_after_hapus_data_no_column_of_any_table_holds_the_participant(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    for package in PROJECT:
        caplog.set_level(logging.DEBUG, logger=package)
    sekar, coach, _ = await journey(db)
    await deliver_all(db)
    before = await scan(db, DELETED)
    # The scan sees what it must not find later: her rows and her coach's copies.
    assert any(f.startswith("outbox.payload") for f in before), before
    assert any(f.startswith("actors.name") for f in before) and any(
        f.startswith("answers.text") for f in before
    )
    with transaction(db) as session:
        coach_rows = (
            session.execute(
                select(OutboxMessage.payload).where(OutboxMessage.chat_id == coach.user_id)
            )
        ).scalars()
        assert any(NAME in json.dumps(p) for p in coach_rows)

    await sekar.say("/hapus_data")
    await sekar.press("delete")
    bye = await sekar.payloads()  # everything else for this chat went with her
    assert len(bye) == 1 and "sudah dihapus" in texts(bye)
    await deliver_all(db)  # the goodbye goes out (it alone knew the chat) ...
    await privacy.sweep(db, NOW + timedelta(minutes=1))  # ... and is swept once sent

    assert await scan(db, DELETED) == []
    logged = "\n".join(
        record.getMessage() for record in caplog.records if record.name.startswith(PROJECT)
    )
    for value in DELETED:
        assert value.casefold() not in logged.casefold(), value
    # The coach keeps working, and sees that someone left.
    listed = await coach.answer(coach.say("/kohort"))
    assert "keluar" in texts(listed) and NAME not in texts(listed)


async def test_a_log_line_pseudonym_does_not_carry_the_id() -> None:
    assert str(TELEGRAM_ID) not in pseudonym(TELEGRAM_ID)
    assert pseudonym(TELEGRAM_ID) == pseudonym(TELEGRAM_ID) != pseudonym(TELEGRAM_ID + 1)


async def test_sent_messages_and_update_ids_are_pruned_after_the_retention_period(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JEJARING_RETENTION_DAYS", "30")
    someone = Person(db, 1201)
    await someone.say("/start")
    await someone.press("agree")
    pid = (await someone.row()).id
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=29)
    with transaction(db) as session:
        for at, update_id in ((old, 1), (recent, 2)):
            session.add(ProcessedUpdate(update_id=update_id, participant_id=pid, processed_at=at))
            for sent, failed in ((at, None), (None, at), (None, None)):
                session.add(
                    OutboxMessage(
                        participant_id=pid,
                        channel="telegram",
                        chat_id=1201,
                        payload={"text": f"{at:%d} {sent is not None} {failed is not None}"},
                        created_at=at,
                        next_attempt_at=NOW + timedelta(days=1),  # not due: left alone
                        attempts=0,
                        sent_at=sent,
                        failed_at=failed,
                    )
                )

    stop = asyncio.Event()
    seen: list[datetime] = []

    def clock() -> datetime:  # injected: the sweeper's "now"; one round, then stop
        seen.append(NOW)
        stop.set()
        return NOW

    await privacy.run_sweeper(db, stop, every=3600, clock=clock)
    assert seen == [NOW]
    with transaction(db) as session:
        updates = set((session.execute(select(ProcessedUpdate.update_id))).scalars())
        kept = [
            p["text"]
            for p in (
                session.execute(select(OutboxMessage.payload).where(OutboxMessage.created_at < NOW))
            ).scalars()
        ]
    assert 1 not in updates and 2 in updates
    day = f"{recent:%d}"
    assert sorted(kept) == sorted(
        [f"{old:%d} False False", f"{day} True False", f"{day} False True", f"{day} False False"]
    )


def test_the_retention_period_is_read_from_the_environment() -> None:
    assert privacy.retention({}) == timedelta(days=30)
    assert privacy.retention({"JEJARING_RETENTION_DAYS": "7"}) == timedelta(days=7)
    with pytest.raises(ValueError):
        privacy.retention({"JEJARING_RETENTION_DAYS": "0"})


async def test_a_dead_letter_set_aside_before_the_participant_existed_goes_too(
    db: Database,
) -> None:
    """A very first update that could not even create the participant's row is set aside
    without them (participant_id NULL, their chat id and the update as sent): it is theirs all
    the same, and /hapus_data deletes it with the rest."""
    from storage.models import DeadLetter

    with transaction(db) as session:
        session.add(
            DeadLetter(
                participant_id=None,
                kind="update",
                channel="telegram",
                chat_id=TELEGRAM_ID,
                update_id=39_999,
                payload={"update": {"message": {"from": {"id": TELEGRAM_ID}, "text": NAME}}},
                error_class="ZeroDivisionError",
                error="a bug",
                created_at=NOW,
                failed_at=NOW,
            )
        )
        session.add(  # someone else's stays
            DeadLetter(
                participant_id=None,
                kind="update",
                channel="telegram",
                chat_id=5555,
                update_id=39_998,
                payload={"update": {"message": {"text": "Orang lain"}}},
                error_class="ZeroDivisionError",
                error="a bug",
                created_at=NOW,
                failed_at=NOW,
            )
        )
    sekar = Person(db, TELEGRAM_ID)
    sekar.update = 40_000
    await sekar.say("/start")
    await sekar.press("agree")
    await sekar.press("lang:id")
    await sekar.say(NAME)
    assert await scan(db, [NAME]) != []
    await sekar.say("/hapus_data")
    await sekar.press("delete")
    await deliver_all(db)
    await privacy.sweep(db, NOW + timedelta(minutes=1))
    assert await scan(db, [NAME, str(TELEGRAM_ID)]) == []
    assert await scan(db, ["Orang lain"]) != []


async def test_retried_dead_letters_are_pruned_after_the_retention_period(db: Database) -> None:
    from storage.models import DeadLetter

    with transaction(db) as session:
        for resolved in (None, NOW - timedelta(days=31), NOW - timedelta(days=29)):
            session.add(
                DeadLetter(
                    participant_id=None,
                    kind="update",
                    channel="telegram",
                    chat_id=5555,
                    payload={"resolved": str(resolved)},
                    error_class="ZeroDivisionError",
                    error="a bug",
                    created_at=NOW - timedelta(days=40),
                    failed_at=NOW - timedelta(days=40),
                    resolved_at=resolved,
                )
            )
    await privacy.sweep(db, NOW, timedelta(days=30))
    with transaction(db) as session:
        kept = session.execute(select(DeadLetter.resolved_at)).scalars().all()
    # Still open: kept for the operator, however old. Retried a month ago: gone.
    assert len(kept) == 2 and None in kept
