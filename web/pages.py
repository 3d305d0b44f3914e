"""The dashboard's pages (web/app.py): the Jinja2 environment, the texts of each locale, the
page's locale, and the security headers every response carries."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.miniapp import MINIAPP_PAGES, TELEGRAM_WEB

HERE = Path(__file__).resolve().parent
LOCALES = ("id", "en")
LANG_COOKIE = "jejaring_lang"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# The Mini App's page: the same policy, but Telegram Web (which shows a Mini App in a frame)
# may frame it — its origins only; nobody else, and no other page.
MINIAPP_CSP = CSP.replace("frame-ancestors 'none'", "frame-ancestors " + " ".join(TELEGRAM_WEB))


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


@cache
def _texts(locale: str) -> Any:
    return environment().get_template(f"text/{locale}.j2").module


def text_keys(locale: str) -> set[str]:
    """Every text the locale defines (the parity test compares the locales)."""
    module = _texts(locale)
    return {n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n))}


def translate(locale: str) -> Callable[..., Markup]:
    module = _texts(locale)

    def t(key: str, /, **context: Any) -> Markup:
        macro = getattr(module, key, None)
        if not callable(macro):
            raise KeyError(f"{locale}: no web text {key!r}")
        return Markup(str(macro(**context)).strip())

    return t


def app_texts(locale: str) -> dict[str, str]:
    """The Mini App's texts (the ``mini_*`` web texts, without arguments) for its script."""
    t = translate(locale)
    return {k[5:]: str(t(k)) for k in sorted(text_keys(locale)) if k.startswith("mini_")}


def pick_locale(request: Request) -> str:
    """``?lang=`` (then remembered in a cookie), the cookie, else the browser's languages."""
    asked = request.query_params.get("lang")
    if asked in LOCALES:
        return str(asked)
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in LOCALES:
        return str(remembered)
    weighted = []
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        weighted.append((weight, tag.strip()[:2].lower()))
    for _, tag in sorted(weighted, key=lambda w: -w[0]):
        if tag in LOCALES:
            return tag
    return "id"


class SecurityHeaders:
    """Adds the security headers to every response of the wrapped app."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app, self.secure = app, secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        static = path.startswith("/static/")
        framed = path in MINIAPP_PAGES  # Telegram Web frames it: its CSP says by whom

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                extra = {
                    b"content-security-policy": (MINIAPP_CSP if framed else CSP).encode(),
                    b"x-frame-options": b"DENY",
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"no-referrer",
                    b"cross-origin-opener-policy": b"same-origin",
                    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
                    # Pages show personal data: never from a shared cache or the back button.
                    b"cache-control": b"public, max-age=3600" if static else b"no-store",
                }
                if self.secure:
                    extra[b"strict-transport-security"] = b"max-age=31536000"
                if framed:  # X-Frame-Options cannot name origins; frame-ancestors does
                    del extra[b"x-frame-options"]
                names = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in extra.items() if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
