"""The coach dashboard's authentication: signed, single-use login links and session cookies.

Login links are ``<PUBLIC_URL>/login/<coach>.<expires>.<nonce>.<hmac>``: signed with
HMAC-SHA256 (key: ``DASHBOARD_SECRET``, else derived from the bot token), bound to the coach,
valid 15 minutes and single-use (the nonce's hash is a ``coach_logins`` row, marked used with a
conditional UPDATE so two clicks cannot both win). Sessions are ``coach_sessions`` rows holding
the cookie's hash. The configuration is passed to whoever needs it (no process-wide state).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from coaching.validate import is_number
from storage import logins
from storage.cohorts import digest
from storage.db import Database

LOGIN_MINUTES = 15
SESSION_HOURS = 12


@dataclass(frozen=True)
class DashboardLinks:
    """Where the dashboard is and the key its links are signed with."""

    public_url: str
    secret: bytes

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        token: str | None = None,
        port: int | None = None,
    ) -> DashboardLinks | None:
        """``PUBLIC_URL`` (default ``http://127.0.0.1:$PORT``) and ``DASHBOARD_SECRET``.

        Without ``DASHBOARD_SECRET`` the key is derived from the bot token (HMAC of a fixed
        label), so one secret configures everything; None if there is neither.
        """
        env = os.environ if env is None else env
        port = port or int(env.get("PORT") or 8080)
        public = (env.get("PUBLIC_URL") or f"http://127.0.0.1:{port}").rstrip("/")
        given = env.get("DASHBOARD_SECRET")
        token = token or env.get("TELEGRAM_BOT_TOKEN")
        if given:
            secret = given.encode()
        elif token:
            secret = hmac.new(token.encode(), b"jejaring-dashboard-v1", hashlib.sha256).digest()
        else:
            return None
        return cls(public, secret)

    @property
    def secure(self) -> bool:
        return self.public_url.startswith("https://")


def _sign(secret: bytes, message: str) -> str:
    mac = hmac.new(secret, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def mint_login(session: Session, coach_id: int, now: datetime, links: DashboardLinks) -> str:
    """A fresh login link for this coach (its nonce's hash stored, unused)."""
    nonce = secrets.token_urlsafe(18)
    expires = now + timedelta(minutes=LOGIN_MINUTES)
    stamp = int(expires.timestamp())
    logins.add_login(session, coach_id, digest(nonce), expires, now)
    body = f"{coach_id}.{stamp}.{nonce}"
    return f"{links.public_url}/login/{body}.{_sign(links.secret, 'login.' + body)}"


@dataclass(frozen=True)
class Login:
    """A redeemed login link: the new session's cookie value, or why not."""

    session_token: str | None
    coach_id: int | None
    problem: str | None = None  # malformed | signature | expired | used


async def redeem_login(db: Database, token: str, now: datetime, links: DashboardLinks) -> Login:
    """Check a login link (signature, time, single use) and open a session for its coach."""
    parts = token.split(".")
    if len(parts) != 4 or not is_number(parts[0]) or not is_number(parts[1]) or len(token) > 200:
        return Login(None, None, "malformed")
    coach_text, stamp, nonce, signature = parts
    expected = _sign(links.secret, f"login.{coach_text}.{stamp}.{nonce}")
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return Login(None, None, "signature")
    if int(stamp) <= now.timestamp():
        return Login(None, None, "expired")
    coach_id = int(coach_text)

    def job(session: Session) -> Login:
        if not logins.use_login(session, coach_id, digest(nonce), now):
            return Login(None, None, "used")
        session_token = secrets.token_urlsafe(32)
        expires = now + timedelta(hours=SESSION_HOURS)
        logins.open_session(session, coach_id, digest(session_token), expires, now)
        return Login(session_token, coach_id)

    return await db.run(job)


async def session_coach(db: Database, session_token: str, now: datetime) -> int | None:
    """The coach whose live session this cookie is, else None."""
    if not session_token or len(session_token) > 100:
        return None
    return await db.run(lambda session: logins.session_coach(session, digest(session_token), now))


async def end_session(db: Database, session_token: str) -> None:
    await db.run(lambda session: logins.end_session(session, digest(session_token)))
