"""What one update of someone we know costs the database (issue 16: no figure gets worse).

Every update runs these statements, on SQLite and PostgreSQL alike; one more is a round trip
more per update (on PostgreSQL, under the participant's row lock).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, update

from app.conversations import handle_event
from coaching.model import Event, EventKind
from storage.db import Database
from storage.models import OutboxMessage
from tests.support import NOW, transaction
from tests.test_storage import SARI, participant, press, say


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        statement = " ".join(str(args[2]).split())
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


async def test_an_update_of_someone_we_know_is_five_statements(db: Database) -> None:
    await say(db, "/start", update_id=1)
    await press(db, "agree", update_id=2)
    with transaction(db) as session:  # the replies so far went out
        session.execute(update(OutboxMessage).values(sent_at=NOW))
    before = await participant(db)
    tap = Event(EventKind.CHOICE, choice="lang:en", seq=before.seq)
    with statements(db) as seen:
        handled = await handle_event(db, SARI, tap, update_id=3, now=NOW, claim_as="host:1")
    heads = [" ".join(s.split()[:3]) for s in seen]
    assert heads == [
        "SELECT participants.id, participants.external_id,",  # the participant (locked)
        "INSERT INTO processed_updates",  # a repeat is dropped here
        "SELECT 'a', answers.exercise_key,",  # answers, items done, a map or not
        "UPDATE participants SET",  # the row written once: no flush of the ORM's after it
        "INSERT INTO outbox",  # the reply, leased for sending at once
    ], seen
    # The one UPDATE carries the effect's column (the language) with the conversation's own.
    written = seen[3]
    for column in ("language", "state", "seq", "last_active_at"):
        assert f"{column}=" in written.replace(" = ", "="), written
    assert handled.claimed is not None and handled.claimed.id == handled.outbox_ids[0]
    after = await participant(db)
    assert (after.language, after.seq) == ("en", before.seq + 1)
    assert after.state != before.state and after.last_active_at is not None


async def test_a_reply_waits_behind_an_earlier_one_of_its_chat(db: Database) -> None:
    """The lease is decided inside the INSERT: an earlier unsent message keeps the order."""
    first = await handle_event(db, SARI, Event.of_text("/start"), update_id=1, now=NOW)
    assert first.claimed is None and first.outbox_ids  # queued, not leased: nobody asked
    second = await handle_event(
        db, SARI, Event.of_text("/bantuan"), update_id=2, now=NOW, claim_as="host:1"
    )
    assert second.outbox_ids and second.claimed is None
