"""Configuration from the environment, read once at start-up (the README lists every variable)."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from coaching.text import normalise_locale
from storage.db import LOCAL_THREADS, database_threads, database_url

TELEGRAM_API = "https://api.telegram.org/bot"
# Only this machine can reach the service unless HOST says otherwise: the usual set-up is an
# HTTPS proxy in front (DEPLOY.md), and a dashboard open to the network over http would carry
# login links and session cookies in clear text.
DEFAULT_HOST = "127.0.0.1"


@dataclass(frozen=True)
class Settings:
    token: str | None
    api_base_url: str
    database_url: str
    webhook_url: str | None = None
    webhook_secret: str | None = None
    host: str = DEFAULT_HOST
    port: int = 8080
    default_locale: str = "id"
    database_threads: int = LOCAL_THREADS  # PostgreSQL: threads open under load

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        url = database_url(env)
        return cls(
            token=env.get("TELEGRAM_BOT_TOKEN") or None,
            api_base_url=(env.get("TELEGRAM_API_BASE_URL") or TELEGRAM_API).rstrip("/"),
            database_url=url,
            database_threads=database_threads(env, url),
            webhook_url=env.get("WEBHOOK_URL") or None,
            webhook_secret=env.get("WEBHOOK_SECRET") or None,
            host=env.get("HOST") or DEFAULT_HOST,
            port=int(env.get("PORT", "8080")),
            default_locale=normalise_locale(env.get("JEJARING_DEFAULT_LANG", "id")),
        )

    @property
    def file_base_url(self) -> str:
        """``.../bot`` → ``.../file/bot``, as Telegram and local Bot API servers lay it out."""
        base = self.api_base_url
        return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file"

    @property
    def webhook_path(self) -> str:
        return urlsplit(self.webhook_url or "").path or "/telegram"


def rate_limited(env: dict[str, str] | None = None) -> bool:
    """``JEJARING_RATE_LIMIT=0`` lifts Telegram's limits (30/s overall, 1/s per chat) for
    benchmarks against a local Bot API emulator; never in production."""
    value = (os.environ if env is None else env).get("JEJARING_RATE_LIMIT", "1")
    return value.strip().lower() not in ("0", "off", "false", "no")


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach ``host`` (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name, or 0.0.0.0-like wildcards handled by ip_address above


def dashboard_refusal(host: str, public_url: str) -> str | None:
    """Why the coach dashboard must not start listening on ``host``, or None if it may.

    Open to other machines, it must be reached over https: its login links and session
    cookies would otherwise cross the network in clear text.
    """
    if is_loopback(host) or public_url.startswith("https://"):
        return None
    return (
        f"the coach dashboard was not started: HOST={host} is reachable from other machines "
        f"and PUBLIC_URL ({public_url}) is not https, so login links and session cookies would "
        "travel in clear text. Put an HTTPS proxy in front and set PUBLIC_URL=https://…, or "
        "listen on HOST=127.0.0.1 (the default)."
    )
