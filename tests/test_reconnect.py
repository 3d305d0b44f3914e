"""PostgreSQL connections closed under the pool (a server restart): pinged when idle, a busy
one's batch run again on a fresh connection; a busy connection is not pinged."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

import storage.db
from storage.db import Database, driver_url
from storage.models import ProcessedUpdate
from tests.conftest import PG_ADMIN
from tests.support import NOW

pytestmark = pytest.mark.postgres


def terminate_backends(database: Database) -> int:
    """What a server restart does to the pool: every connection to this database closed."""
    name = database.engine.url.database
    admin = create_engine(driver_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            rows = conn.execute(
                sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
                {"d": name},
            )
            return len(rows.all())
    finally:
        admin.dispose()


def count_pings(database: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    ping = database.engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(1)
        return ping(dbapi_connection)

    monkeypatch.setattr(database.engine.dialect, "do_ping", counted)
    return pings


def mark(update_id: int) -> Any:
    def job(session: Session) -> int:
        session.execute(sql("DELETE FROM processed_updates WHERE update_id = :u"), {"u": update_id})
        session.add(ProcessedUpdate(update_id=update_id, participant_id=None, processed_at=NOW))
        session.flush()
        found = session.execute(
            select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == update_id)
        )
        return int(found.scalar_one())

    return job


async def test_a_busy_connection_is_not_pinged(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = count_pings(pg, monkeypatch)
    for n in range(5):
        assert await pg.run(mark(9_100 + n)) == 9_100 + n
    assert pings == []


async def test_an_idle_connection_is_pinged_and_replaced_when_the_server_closed_it(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await pg.run(mark(9_200)) == 9_200
    monkeypatch.setattr(storage.db, "IDLE_PING", 0.0)  # every connection counts as idle
    pings = count_pings(pg, monkeypatch)
    assert terminate_backends(pg) >= 1
    assert await pg.run(mark(9_201)) == 9_201
    assert pings  # the dead connection was found by the ping, not by the job


async def test_a_busy_connection_the_server_closed_is_replaced_and_its_batch_runs_again(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await pg.run(mark(9_300)) == 9_300
    pings = count_pings(pg, monkeypatch)
    assert terminate_backends(pg) >= 1
    assert await pg.run(mark(9_301)) == 9_301
    assert pings == []  # not idle: the job's first statement met the closed connection
    assert await pg.run(mark(9_302)) == 9_302
