"""Transient or deterministic: every failure is one or the other, and handled as such.

A *transient* failure is the database (or the network under it) being away for a while: a
lost connection, a timeout, SQLite's "database is locked", a full disk, a deadlock. Trying the
same thing again later works, so the update is refused and Telegram delivers it again.

Anything else is *deterministic*: a value the database refuses (``DataError``: too long for
its column, a NUL byte), a constraint (``IntegrityError``), a statement it cannot run, an
exception in pure code. Trying again would fail again, for ever, and hold up everything behind
it (a polling offset, a chat's outbox). Such an update or message is set aside here, in
``dead_letters``, with what is needed to try it again once the cause is fixed
(``jejaring dead-letters retry``), and the bot moves on.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from coaching.model import Document, Event, EventKind
from storage.db import Database
from storage.models import DeadLetter

# PostgreSQL SQLSTATE classes that mean "not now" rather than "never": connection exceptions,
# insufficient resources (a full disk, too many connections), operator intervention (a
# restart, a cancelled statement), system errors. And single states: serialization failure,
# deadlock, lock not available, object in use.
_TRANSIENT_CLASSES = ("08", "53", "57", "58")
_TRANSIENT_STATES = frozenset({"40001", "40P01", "55P03", "55006"})
# SQLite's result codes that mean the same (extended codes share their primary's prefix).
_SQLITE_TRANSIENT = tuple(
    f"SQLITE_{code}"
    for code in ("BUSY", "LOCKED", "FULL", "IOERR", "CANTOPEN", "PROTOCOL", "NOMEM", "INTERRUPT")
)
ERROR_MAX = 2000  # characters of an error message kept


def is_transient(exc: BaseException) -> bool:
    """Whether trying the same thing again later can succeed (see the module's docstring)."""
    if isinstance(exc, OSError | TimeoutError):
        return True
    if isinstance(exc, RuntimeError) and str(exc).startswith("database job lost"):
        return True  # storage.committer at shutdown: the job never ran
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return True
    orig = exc.orig
    if isinstance(orig, OSError | TimeoutError):
        return True
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(state, str) and state:
        return state[:2] in _TRANSIENT_CLASSES or state in _TRANSIENT_STATES
    name = getattr(orig, "sqlite_errorname", None)
    if isinstance(name, str) and name:
        return name.startswith(_SQLITE_TRANSIENT)
    # No code to go by: an OperationalError is, by the DB-API's definition, the database's
    # operation (a lost connection...), not the statement.
    return isinstance(exc, OperationalError)


def describe(exc: BaseException) -> tuple[str, str]:
    """The error's class (with its module) and message, bounded for the table."""
    cls = type(exc)
    name = cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"
    orig = getattr(exc, "orig", None)
    message = str(orig) if isinstance(exc, DBAPIError) and orig is not None else str(exc)
    return name[:200], message.strip()[:ERROR_MAX] or repr(exc)[:ERROR_MAX]


def event_json(event: Event) -> dict[str, Any]:
    """The event as JSON (a document's bytes in base64): a retry needs no Telegram."""
    data = dataclasses.asdict(event)
    data["kind"] = event.kind.value
    if event.document is not None:
        data["document"] = {
            "file_name": event.document.file_name,
            "mime_type": event.document.mime_type,
            "size": event.document.size,
            "content": base64.b64encode(event.document.content).decode(),
        }
    return data


def event_from_json(data: Mapping[str, Any]) -> Event:
    document = data.get("document")
    return Event(
        EventKind(str(data["kind"])),
        text=str(data.get("text") or ""),
        command=str(data.get("command") or ""),
        choice=str(data.get("choice") or ""),
        seq=int(data.get("seq") or 0),
        document=None
        if not document
        else Document(
            str(document["file_name"]),
            str(document["mime_type"]),
            int(document["size"]),
            base64.b64decode(str(document["content"])),
        ),
        media=str(data.get("media") or ""),
    )


def record(
    session: Session,
    *,
    kind: str,
    participant_id: int | None,
    channel: str,
    chat_id: int,
    payload: Mapping[str, Any],
    error: BaseException | tuple[str, str],
    now: datetime,
    update_id: int | None = None,
    outbox_id: int | None = None,
) -> int:
    """Set something aside; a message already set aside once is opened again (attempts + 1).

    ``error`` is the exception, or its class name and message when only those are known."""
    error_class, message = describe(error) if isinstance(error, BaseException) else error
    error_class, message = error_class[:200], message[:ERROR_MAX]
    if outbox_id is not None:
        found = (
            session.execute(select(DeadLetter).where(DeadLetter.outbox_id == outbox_id))
        ).scalar_one_or_none()
        if found is not None:
            found.attempts += 1
            found.error_class, found.error = error_class, message
            found.failed_at, found.resolved_at = now, None
            session.flush()
            return found.id
    letter = DeadLetter(
        participant_id=participant_id,
        kind=kind,
        channel=channel,
        chat_id=chat_id,
        update_id=update_id,
        outbox_id=outbox_id,
        payload=dict(payload),
        error_class=error_class,
        error=message,
        attempts=1,
        created_at=now,
        failed_at=now,
    )
    session.add(letter)
    session.flush()
    return letter.id


def failed_again(session: Session, letter_id: int, error: BaseException, now: datetime) -> None:
    """A retry that failed the same deterministic way: it stays set aside, counted."""
    error_class, message = describe(error)
    session.execute(
        update(DeadLetter)
        .where(DeadLetter.id == letter_id)
        .values(
            attempts=DeadLetter.attempts + 1,
            error_class=error_class,
            error=message,
            failed_at=now,
            resolved_at=None,
        )
    )


def resolve(session: Session, letter_id: int, now: datetime) -> None:
    session.execute(update(DeadLetter).where(DeadLetter.id == letter_id).values(resolved_at=now))


async def listing(db: Database, *, include_resolved: bool = False) -> list[DeadLetter]:
    """Dead letters, oldest first (by default only those still set aside)."""
    query = select(DeadLetter).order_by(DeadLetter.id)
    if not include_resolved:
        query = query.where(DeadLetter.resolved_at.is_(None))

    def job(session: Session) -> list[DeadLetter]:
        return list((session.execute(query)).scalars())

    return await db.run(job)


async def get(db: Database, letter_id: int) -> DeadLetter | None:
    def job(session: Session) -> DeadLetter | None:
        return session.get(DeadLetter, letter_id)

    return await db.run(job)
