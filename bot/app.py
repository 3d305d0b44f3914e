"""Building the PTB ``Application``: its HTTP transport, rate limiter, handlers and command menu.

Handlers are registered in one place (``register``). Updates never pass through PTB's own
``Updater``: our poller and webhook acknowledge an update only after it is committed. The
composition root (``service/``) builds it and runs it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, TypeHandler

from bot.http import AiohttpRequest
from bot.pipeline import Pipeline
from coaching.text import LOCALES, html_to_plain, render

log = logging.getLogger(__name__)

COMMANDS = (
    "start",
    "menu",
    "peta",
    "analisis",
    "tambah",
    "hubung",
    "urungkan",
    "pengingat",
    "rencana",
    "ekspor",
    "hapus_data",
    "bantuan",
    "batal",
    "bahasa",
    "sapaan",
)
# A coach's own command menu (set per chat: BotCommandScopeChat), before the participant's.
COACH_COMMANDS = ("kohort", "ingatkan", "dasbor")


class _OutboxRetries429(logging.Filter):
    """With ``max_retries=0`` PTB logs every 429 as an exception before re-raising it; the
    outbox retries it after ``retry_after`` and says so itself, so that record is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Rate limit hit after maximum of")


logging.getLogger("telegram.ext.AIORateLimiter").addFilter(_OutboxRetries429())


def build_application(
    token: str | None,
    *,
    base_url: str,
    base_file_url: str,
    rate_limited: bool = True,
) -> Application:  # type: ignore[type-arg]
    """PTB's ``Application`` without its ``Updater`` (our poller and webhook acknowledge an
    update only after it is committed). ``rate_limited=False`` drops ``AIORateLimiter``: only
    for benchmarks against a local Bot API emulator."""
    if not token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder = (
        Application.builder()
        .token(token)
        .base_url(base_url)
        .base_file_url(base_file_url)
        .updater(None)
        .request(AiohttpRequest())
        # getUpdates long-polls (PTB adds its timeout to the read timeout): one connection.
        .get_updates_request(AiohttpRequest(1))
    )
    if not rate_limited:
        return builder.build()
    limiter = AIORateLimiter(overall_max_rate=30, overall_time_period=1, max_retries=0)
    return builder.rate_limiter(limiter).build()


def register(app: Application, pipeline: Pipeline) -> None:  # type: ignore[type-arg]
    """Every handler, in order. Order matters: first match wins."""
    app.add_handler(TypeHandler(Update, pipeline.on_update))

    async def coach_commands(chat_id: int, locale: str) -> None:
        await set_coach_commands(app.bot, chat_id, locale)

    pipeline.on_coach = coach_commands


def command_menu(locale: str) -> list[BotCommand]:
    return [BotCommand(c, html_to_plain(render(locale, f"commands.{c}"))) for c in COMMANDS]


def coach_menu(locale: str) -> list[BotCommand]:
    """A coach's menu: the coach commands first, then everything a participant has."""
    coach = [BotCommand(c, html_to_plain(render(locale, f"commands.{c}"))) for c in COACH_COMMANDS]
    return coach + command_menu(locale)


async def set_coach_commands(bot: Bot, chat_id: int, locale: str) -> None:
    """The coach's menu in their own chat only (scope ``BotCommandScopeChat``): participants
    never see coach commands; a coach sees both."""
    try:
        await bot.set_my_commands(coach_menu(locale), scope=BotCommandScopeChat(chat_id))
    except Exception:  # a menu is a convenience: never fail an update or a start for it
        log.warning("could not set a coach's command menu", exc_info=True)


async def set_commands(
    app: Application,  # type: ignore[type-arg]
    coaches: Sequence[tuple[int, str]] = (),
) -> None:
    """The command menu in each language; Indonesian is the default for everyone else; each
    coach's chat (``coaches``: Telegram user id, language) gets the coach menu."""
    await app.bot.set_my_commands(command_menu("id"))
    for locale in LOCALES:
        await app.bot.set_my_commands(command_menu(locale), language_code=locale)
    for chat_id, locale in coaches:
        await set_coach_commands(app.bot, chat_id, locale)


def miniapp_url(public_url: str) -> str | None:
    """The Mini App's address, only if it is public HTTPS (Telegram opens nothing else)."""
    return f"{public_url.rstrip('/')}/app" if public_url.startswith("https://") else None


async def set_menu_button(app: Application, public_url: str) -> None:  # type: ignore[type-arg]
    """The chat's menu button opens the Mini App (``setChatMenuButton`` with a WebAppInfo),
    only when ``PUBLIC_URL`` is public HTTPS; otherwise it stays the command list."""
    url = miniapp_url(public_url)
    if url is None:
        return
    label = html_to_plain(render("id", "network.btn_miniapp"))
    try:
        await app.bot.set_chat_menu_button(
            menu_button=MenuButtonWebApp(text=label, web_app=WebAppInfo(url=url))
        )
    except TelegramError as exc:  # the bot runs on with the command list
        log.error("menu button not set: %s", exc)
