"""PostgreSQL: a participant's own rows read with their lock, and read again when stale.

The lock-and-mark statement (``storage/arrivals.py``) also reads the participant's answers,
completed items and whether they have maps and plans, from the statement's snapshot. If the
lock waited for a transaction that changed those rows, that snapshot is older than the lock:
the rows must be read again, or the engine would decide on answers that are no longer there
(or without ones that are).
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from coaching.model import Snapshot
from storage import arrivals, participants
from storage.arrivals import Identity
from storage.db import Database
from tests.support import NOW, until_a_lock_is_waited_for

pytestmark = pytest.mark.postgres

SARI = Identity("tg:7101", "telegram", 7101, "id")
RUDI = Identity("tg:7102", "telegram", 7102, "id")


def answer(key: str, text: str) -> str:
    return (
        "INSERT INTO answers (participant_id, exercise_key, text, data, created_at, updated_at)"
        f" SELECT id, '{key}', '{text}', '{{}}', now(), now() FROM participants"
        " WHERE external_id = :e"
    )


async def arrive_and_snapshot(
    pg: Database, who: Identity, update_id: int
) -> tuple[arrivals.Arrival, Snapshot]:
    def job(session: Session) -> tuple[arrivals.Arrival, Snapshot]:
        arrival = arrivals.arrive(session, who, update_id, NOW, "id")
        assert arrival.participant is not None and arrival.first_time
        snap = participants.snapshot(session, arrival.participant, NOW, read=arrival.own)
        return arrival, snap

    return await pg.run(job)


async def test_own_rows_come_with_the_lock_when_nobody_changed_them(pg: Database) -> None:
    await pg.run(lambda session: arrivals.lock(session, SARI, NOW, "id"))
    with pg.engine.begin() as conn:
        conn.execute(
            sql(answer("bab2.similarity", "Kami satu almamater.")), {"e": SARI.external_id}
        )
        conn.execute(
            sql("UPDATE participants SET seq = seq + 1 WHERE external_id = :e"),
            {"e": SARI.external_id},
        )
    arrival, snap = await arrive_and_snapshot(pg, SARI, 601)
    assert arrival.own == (("a", "bab2.similarity", "Kami satu almamater."),)
    assert snap.answers == {"bab2.similarity": "Kami satu almamater."}
    assert not snap.completed and not snap.has_plans


async def test_own_rows_changed_while_the_lock_waited_are_read_again(pg: Database) -> None:
    await pg.run(lambda session: arrivals.lock(session, RUDI, NOW, "id"))
    with pg.engine.begin() as conn:
        conn.execute(sql(answer("bab2.similarity", "Draf lama.")), {"e": RUDI.external_id})
        conn.execute(
            sql("UPDATE participants SET seq = seq + 1 WHERE external_id = :e"),
            {"e": RUDI.external_id},
        )
    # Another transaction holds the lock and changes her rows, as the conversation does: an
    # answer replaced, an item completed, her row written.
    other = create_engine(pg.engine.url)
    holder = other.connect()
    holder.begin()
    key = {"e": RUDI.external_id}
    holder.execute(sql("SELECT id FROM participants WHERE external_id = :e FOR UPDATE"), key)
    holder.execute(
        sql(
            "DELETE FROM answers WHERE exercise_key = 'bab2.similarity' AND participant_id ="
            " (SELECT id FROM participants WHERE external_id = :e)"
        ),
        key,
    )
    holder.execute(sql(answer("bab3.evaluasi1", "Banyaknya aktor yang terlibat.")), key)
    holder.execute(
        sql(
            "INSERT INTO progress (participant_id, item_key, completed_at)"
            " SELECT id, 'bab3.evaluasi1', now() FROM participants WHERE external_id = :e"
        ),
        key,
    )
    holder.execute(sql("UPDATE participants SET seq = seq + 1 WHERE external_id = :e"), key)
    waiting = asyncio.create_task(arrive_and_snapshot(pg, RUDI, 602))
    await until_a_lock_is_waited_for(other)  # on the holder's lock
    holder.commit()
    holder.close()
    other.dispose()
    arrival, snap = await waiting
    assert arrival.own is None  # the lock's snapshot was older than the lock: not used
    assert snap.answers == {"bab3.evaluasi1": "Banyaknya aktor yang terlibat."}
    assert snap.completed == frozenset({"bab3.evaluasi1"})
    # With nobody in the way, the next update has them with its lock again.
    again, snap = await arrive_and_snapshot(pg, RUDI, 603)
    assert again.own is not None and len(again.own) == 2
    assert snap.answers == {"bab3.evaluasi1": "Banyaknya aktor yang terlibat."}
