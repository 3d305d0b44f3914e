"""Rows for tests and benchmarks that arrange the database themselves."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import event, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import Participant, Reminder

# Marks a transaction of this module's on its connection (``Connection.info``): rows a test
# arranges are not a participant's doing, so tests/conftest.py's check that their own rows
# change only with their row passes them by.
ARRANGED = "arranged"


@contextmanager
def transaction(db: Database) -> Iterator[Session]:
    """One transaction on the calling thread, for a test or a benchmark that arranges or
    inspects rows itself.

    The service never does this: on the event loop, storage runs as ``await db.run(job)``.
    """
    with Session(db.engine, expire_on_commit=False) as session:
        # Marked once the transaction has its connection (not before: on SQLite that begins
        # it, and takes the write lock, earlier than the block's first statement would).
        event.listen(session, "after_begin", _arranged)
        with session.begin():
            yield session


def _arranged(session: Session, transaction: object, connection: Connection) -> None:
    connection.info[ARRANGED] = True


async def seed_due(db: Database, count: int, due: datetime, first_chat: int = 10_000) -> None:
    """``count`` onboarded participants on Telegram, each with one due routine reminder."""
    rows: list[dict[str, object]] = [
        {
            "external_id": f"tg:{first_chat + i}",
            "chat_id": first_chat + i,
            "name": f"Peserta {i}",
            "language": "id" if i % 3 else "en",
            "timezone": ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")[i % 3],
            "reminder": "daily",
            "reminder_time": "08:00",
            "quiet_start": "00:00",
            "quiet_end": "00:00",
            "consent_at": due,
            "state": "menu.main",
            "state_data": {},
            "seq": 1,
            "active": True,
            "ignored_nudges": 0,
            "created_at": due,
            "updated_at": due,
        }
        for i in range(count)
    ]
    with transaction(db) as session:
        session.execute(insert(Participant), rows)
        ids = session.execute(
            select(Participant.id).where(
                Participant.external_id.in_([r["external_id"] for r in rows])
            )
        ).scalars()
        session.execute(
            insert(Reminder),
            [
                {
                    "participant_id": pid,
                    "kind": "routine",
                    "due_at": due,
                    "status": "pending",
                    "attempts": 0,
                    "created_at": due,
                }
                for pid in ids
            ],
        )
