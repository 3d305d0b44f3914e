"""A coach's dashboard login links and sessions, as rows: secrets are stored as hashes only.

The links themselves (signing, checking, how long they live) are the application's
(``app/dashboard.py``); here is what the database keeps of them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.models import CoachLogin, CoachSession


def add_login(
    session: Session, coach_id: int, nonce_hash: str, expires: datetime, now: datetime
) -> None:
    """A fresh login link's nonce, unused."""
    session.add(
        CoachLogin(
            coach_id=coach_id,
            nonce_hash=nonce_hash,
            expires_at=expires,
            used_at=None,
            created_at=now,
        )
    )
    session.flush()


def use_login(session: Session, coach_id: int, nonce_hash: str, now: datetime) -> bool:
    """Mark the link used; False if it was used already, expired or never minted (a
    conditional UPDATE: of two clicks racing, one wins)."""
    used = session.execute(
        update(CoachLogin)
        .where(
            CoachLogin.nonce_hash == nonce_hash,
            CoachLogin.coach_id == coach_id,
            CoachLogin.used_at.is_(None),
            CoachLogin.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return getattr(used, "rowcount", 0) == 1


def open_session(
    session: Session, coach_id: int, token_hash: str, expires: datetime, now: datetime
) -> None:
    session.add(
        CoachSession(coach_id=coach_id, token_hash=token_hash, expires_at=expires, created_at=now)
    )


def session_coach(session: Session, token_hash: str, now: datetime) -> int | None:
    """The coach whose live session this is, else None."""
    found = session.execute(
        select(CoachSession.coach_id).where(
            CoachSession.token_hash == token_hash, CoachSession.expires_at > now
        )
    )
    return found.scalar_one_or_none()


def end_session(session: Session, token_hash: str) -> None:
    session.execute(delete(CoachSession).where(CoachSession.token_hash == token_hash))
