"""Configuration from the environment, read once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from coaching.text import normalise_locale
from storage.db import database_url

TELEGRAM_API = "https://api.telegram.org/bot"


@dataclass(frozen=True)
class Settings:
    token: str | None
    api_base_url: str
    database_url: str
    webhook_url: str | None = None
    webhook_secret: str | None = None
    host: str = "0.0.0.0"
    port: int = 8080
    default_locale: str = "id"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        return cls(
            token=env.get("TELEGRAM_BOT_TOKEN") or None,
            api_base_url=(env.get("TELEGRAM_API_BASE_URL") or TELEGRAM_API).rstrip("/"),
            database_url=database_url(env),
            webhook_url=env.get("WEBHOOK_URL") or None,
            webhook_secret=env.get("WEBHOOK_SECRET") or None,
            host=env.get("HOST", "0.0.0.0"),
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
