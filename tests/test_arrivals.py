"""PostgreSQL: a participant's own rows read with their lock, and read again when stale.

The lock-and-mark statement (``storage/arrivals.py``) also reads the participant's answers,
completed items and whether they have maps and plans, from the statement's snapshot; for a
/start or /menu, whether they coach as well. If the lock waited for a transaction that changed
those rows, that snapshot is older than the lock: the rows must be read again, or the engine
would decide on answers that are no longer there (or without ones that are).
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from app.conversations import handle_event
from coaching.model import Event, Snapshot
from storage import arrivals, participants
from storage.arrivals import CoachCheck, Identity
from storage.db import Database
from tests.support import NOW, until_a_lock_is_waited_for

pytestmark = pytest.mark.postgres

SARI = Identity("tg:7101", "telegram", 7101, "id")
RUDI = Identity("tg:7102", "telegram", 7102, "id")
DEWI = Identity("tg:7103", "telegram", 7103, "id")


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


def make_coach(key: dict[str, str]) -> str:
    return (
        "INSERT INTO coaches (telegram_user_id, created_at)"
        f" SELECT {int(key['e'].removeprefix('tg:'))}, now()"
    )


async def test_whether_they_coach_comes_with_the_lock_when_asked(pg: Database) -> None:
    await pg.run(lambda session: arrivals.lock(session, SARI, NOW, "id"))

    async def arrive(who: Identity, update_id: int, asking: bool) -> arrivals.Arrival:
        user = who.chat_id if asking else None
        return await pg.run(
            lambda session: arrivals.arrive(session, who, update_id, NOW, "id", coach_user=user)
        )

    assert (await arrive(SARI, 611, True)).coach == CoachCheck(None)  # she coaches nobody
    assert (await arrive(SARI, 612, False)).coach is None  # not asked: not read
    with pg.engine.begin() as conn:
        conn.execute(sql(make_coach({"e": SARI.external_id})))
    check = (await arrive(SARI, 613, True)).coach
    assert check is not None and check.coach_id is not None
    new = await arrive(Identity("tg:7104", "telegram", 7104), 614, True)  # asked as created
    assert new.created and new.coach == CoachCheck(None)


async def test_a_coach_made_while_the_lock_waited_is_asked_again(pg: Database) -> None:
    """Dewi redeems a coach invite and at once sends /menu: the second update waits for the
    first's lock, and must see her a coach (her coach home), not the snapshot from before."""
    await handle_event(pg, DEWI, Event.of_text("/start"), update_id=621, now=NOW)
    other = create_engine(pg.engine.url)
    holder = other.connect()
    holder.begin()
    key = {"e": DEWI.external_id}
    holder.execute(sql("SELECT id FROM participants WHERE external_id = :e FOR UPDATE"), key)
    holder.execute(sql(make_coach(key)))
    holder.execute(sql("UPDATE participants SET seq = seq + 1 WHERE external_id = :e"), key)
    waiting = asyncio.create_task(
        handle_event(pg, DEWI, Event.of_text("/menu"), update_id=622, now=NOW)
    )
    await until_a_lock_is_waited_for(other)  # on the holder's lock
    holder.commit()
    holder.close()
    other.dispose()
    handled = await waiting
    assert handled.coach_menu  # her coach home: the coach row the lock waited for is seen
