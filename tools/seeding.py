"""Rows for tests and benchmarks that need many participants at once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from storage.db import Database
from storage.models import Participant, Reminder


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
    async with db.transaction() as session:
        await session.execute(insert(Participant), rows)
        ids = (
            await session.execute(
                select(Participant.id).where(
                    Participant.external_id.in_([r["external_id"] for r in rows])
                )
            )
        ).scalars()
        await session.execute(
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
