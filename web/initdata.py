"""Telegram Mini App authentication: the WebApp ``initData`` check, and the app's own token.

Telegram opens the Mini App with ``initData``: a query string of the user, ``auth_date`` and
more, signed with ``hash`` = HMAC-SHA256(data-check-string) keyed by
HMAC-SHA256(key="WebAppData", msg=bot token) (core.telegram.org/bots/webapps, "Validating data
received via the Mini App"). :func:`check_init_data` accepts it only when the hash is right and
``auth_date`` is fresh. The app then trades it once for a short-lived :func:`issue_token`
(HMAC-signed with the dashboard's secret), which it keeps in memory only — no cookie is set.

Pure: no I/O; ``now`` is given.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

MAX_AGE = timedelta(hours=1)
"""How old ``auth_date`` may be when the app opens (Telegram signs it when the app is opened)."""
CLOCK_SKEW = timedelta(minutes=1)
"""How far in the future ``auth_date`` may be (clocks differ a little)."""
TOKEN_TTL = timedelta(hours=4)
"""How long the app's token lasts once the app is open."""


class InitDataError(ValueError):
    """``initData`` refused; ``reason`` is one of missing, malformed, forged, stale."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebAppUser:
    """Who opened the app, as Telegram signed it."""

    id: int
    first_name: str = ""
    language_code: str | None = None
    auth_date: int = 0

    @property
    def external_id(self) -> str:
        return f"tg:{self.id}"


def secret_key(bot_token: str) -> bytes:
    """HMAC-SHA256 of the bot token keyed with the constant string "WebAppData"."""
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    """Every field but ``hash``, as ``key=value`` lines in key order."""
    return "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """``fields`` signed as Telegram signs them, as the query string a client gets (tests,
    benches: a simulated Telegram)."""
    from urllib.parse import urlencode

    digest = hmac.new(
        secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    return urlencode({**fields, "hash": digest})


def check_init_data(
    init_data: str, bot_token: str, *, now: datetime, max_age: timedelta = MAX_AGE
) -> WebAppUser:
    """The user ``init_data`` was signed for, or :class:`InitDataError`.

    >>> from datetime import UTC
    >>> now = datetime(2026, 12, 3, tzinfo=UTC)
    >>> fields = {"auth_date": str(int(now.timestamp())), "user": '{"id": 7, "first_name": "Sari"}'}
    >>> check_init_data(sign_init_data(fields, "1:T"), "1:T", now=now).id
    7
    >>> check_init_data(sign_init_data(fields, "1:T"), "2:X", now=now)
    Traceback (most recent call last):
    ...
    web.initdata.InitDataError: forged
    """
    if not init_data or not bot_token:
        raise InitDataError("missing")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs) or "hash" not in fields:
        raise InitDataError("malformed")
    expected = hmac.new(
        secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, fields["hash"].lower()):
        raise InitDataError("forged")
    try:
        auth_date = int(fields["auth_date"])
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise InitDataError("malformed") from None
    age = now.timestamp() - auth_date
    if age > max_age.total_seconds() or age < -CLOCK_SKEW.total_seconds():
        raise InitDataError("stale")
    language = user.get("language_code")
    return WebAppUser(
        id=user_id,
        first_name=str(user.get("first_name") or ""),
        language_code=language if isinstance(language, str) else None,
        auth_date=auth_date,
    )


def issue_token(subject: str, secret: bytes, *, now: datetime, ttl: timedelta = TOKEN_TTL) -> str:
    """A token naming ``subject`` (``tg:<id>``) until ``now + ttl``, signed with ``secret``."""
    body = json.dumps({"sub": subject, "exp": int((now + ttl).timestamp())}, separators=(",", ":"))
    payload = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
    mac = hmac.new(secret, b"miniapp-v1." + payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}.{mac}"


def token_subject(token: str, secret: bytes, *, now: datetime) -> str | None:
    """The subject of a valid, unexpired token; None otherwise."""
    payload, _, mac = token.partition(".")
    expected = hmac.new(secret, b"miniapp-v1." + payload.encode(), hashlib.sha256).hexdigest()
    if not payload or not hmac.compare_digest(expected, mac):
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        subject, expires = str(body["sub"]), int(body["exp"])
    except (ValueError, KeyError, TypeError):
        return None
    return subject if now.timestamp() < expires else None
