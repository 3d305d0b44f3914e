"""A write that rides on another statement: on PostgreSQL as its data-modifying CTE.

Two writes of the hot path always go with a statement that follows them in the same
transaction: a participant's UPDATE with the INSERT of the replies it queues
(``participants.stage``), a send's outcome with the claim of the chat's next message
(``outbox_records.record``). On PostgreSQL each pair is one statement, one round trip where
there were two; SQLite has no data-modifying CTEs (and its statements cost no round trip), so
there the write runs just before.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

# SQLAlchemy sends the rows of one executemany INSERT as one multi-row statement up to its page
# size (``insertmanyvalues_page_size``, 1,000): with more, the statement and its CTE would run
# once per page. A write rides on at most this many rows.
RIDE_AT_MOST = 100


@dataclass(frozen=True)
class Rider:
    """A write and its form as a CTE (both built once, per set of columns), with its
    parameters. Their names must be none of the statement's it rides on, nor a column of the
    table it writes (SQLAlchemy would take such a parameter as one more SET value)."""

    statement: Any
    cte: Any
    params: Mapping[str, Any]


def execute(
    session: Session,
    statement: Any,
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    rider: Rider | None,
) -> Any:  # a Result, typed as the statements are
    """Run ``statement`` with ``params`` (one set, or several rows), and ``rider`` with it."""
    if rider is None:
        return session.execute(statement, params)
    rows = [params] if isinstance(params, Mapping) else params
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres and len(rows) <= RIDE_AT_MOST:
        both = [{**row, **rider.params} for row in rows]
        return session.execute(
            _with_cte(statement, rider.cte), both[0] if isinstance(params, Mapping) else both
        )
    session.execute(rider.statement, rider.params)
    return session.execute(statement, params)


@functools.cache
def _with_cte(statement: Any, cte: Any) -> Any:
    # Both are built once and kept (module constants, a cache per set of columns): few pairs.
    return statement.add_cte(cte)
