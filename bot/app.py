"""Building the PTB ``Application`` and running it: polling or webhook, plus the outbox sweep.

Handlers are registered in one place (``register``). Updates never pass through PTB's own
``Updater``: our poller and webhook acknowledge an update only after it is committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket

from telegram import BotCommand, MenuButtonWebApp, Update, WebAppInfo
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, TypeHandler

from bot.http import AiohttpRequest
from bot.pipeline import Pipeline
from bot.sender import TelegramSender
from bot.settings import Settings, dashboard_refusal
from coaching.text import LOCALES, html_to_plain, render
from storage.cohorts import DashboardLinks, configure_dashboard
from storage.db import Database
from storage.outbox import ChatPacer, Deliverer, Unpaced, pid_alive, release_orphans
from storage.privacy import run_sweeper
from storage.reminders import ReminderDispatcher

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
)


def rate_limited(env: dict[str, str] | None = None) -> bool:
    """``JEJARING_RATE_LIMIT=0`` lifts Telegram's limits (30/s overall, 1/s per chat) for
    benchmarks against a local Bot API emulator; never in production."""
    value = (os.environ if env is None else env).get("JEJARING_RATE_LIMIT", "1")
    return value.strip().lower() not in ("0", "off", "false", "no")


class _OutboxRetries429(logging.Filter):
    """With ``max_retries=0`` PTB logs every 429 as an exception before re-raising it; the
    outbox retries it after ``retry_after`` and says so itself, so that record is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Rate limit hit after maximum of")


logging.getLogger("telegram.ext.AIORateLimiter").addFilter(_OutboxRetries429())


def build_application(settings: Settings) -> Application:  # type: ignore[type-arg]
    if not settings.token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .base_file_url(settings.file_base_url)
        .updater(None)
        .request(AiohttpRequest())
        # getUpdates long-polls (PTB adds its timeout to the read timeout): one connection.
        .get_updates_request(AiohttpRequest(1))
    )
    if not rate_limited():
        return builder.build()
    limiter = AIORateLimiter(overall_max_rate=30, overall_time_period=1, max_retries=0)
    return builder.rate_limiter(limiter).build()


def chat_pacer() -> ChatPacer:
    return ChatPacer() if rate_limited() else Unpaced()


def register(app: Application, pipeline: Pipeline) -> None:  # type: ignore[type-arg]
    """Every handler, in order. Order matters: first match wins."""
    app.add_handler(TypeHandler(Update, pipeline.on_update))


def command_menu(locale: str) -> list[BotCommand]:
    return [BotCommand(c, html_to_plain(render(locale, f"commands.{c}"))) for c in COMMANDS]


async def set_commands(app: Application) -> None:  # type: ignore[type-arg]
    """The command menu in each language; Indonesian is the default for everyone else."""
    await app.bot.set_my_commands(command_menu("id"))
    for locale in LOCALES:
        await app.bot.set_my_commands(command_menu(locale), language_code=locale)


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


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """``jejaring run``: migrate, start the bot, deliver, until SIGINT/SIGTERM or ``stop``."""
    from bot.polling import poll
    from bot.webhook import serve_webhook
    from web.app import dashboard_app
    from web.server import serve_http, serve_webhook_and_dashboard

    stop = stop or _stop_on_signals()
    db = Database.connect(settings.database_url)
    await db.upgrade()
    app = build_application(settings)
    async with app:
        released = await release_orphans(db, socket.gethostname(), pid_alive)
        if released:
            log.warning("resending %d message(s) a crashed worker may not have sent", released)
        deliverer = Deliverer(db, TelegramSender(app.bot), worker=worker_name(), pacer=chat_pacer())
        pipeline = Pipeline(db, deliverer, default_locale=settings.default_locale)
        register(app, pipeline)
        await set_commands(app)
        sweeper = asyncio.create_task(deliverer.run(stop))
        dispatcher = ReminderDispatcher(db, deliverer, worker=worker_name())
        nudges = asyncio.create_task(dispatcher.run(stop))
        # The coach dashboard: on PORT beside polling, or sharing it with the webhook.
        links = DashboardLinks.from_env(token=settings.token, port=settings.port)
        configure_dashboard(links)
        refused = dashboard_refusal(settings.host, links.public_url) if links else None
        if refused:
            log.error("%s", refused)  # the bot itself runs on
        web = dashboard_app(db, links, bot_token=settings.token) if links and not refused else None
        if web is not None and links is not None:
            await set_menu_button(app, links.public_url)
        background = [asyncio.create_task(run_sweeper(db, stop))]
        try:
            if settings.webhook_url and web is not None:
                await serve_webhook_and_dashboard(app, pipeline, settings, web, stop)
            elif settings.webhook_url:
                await serve_webhook(app, pipeline, settings, stop)
            else:
                if web is not None:
                    site = serve_http(web, settings.host, settings.port, stop, required=False)
                    background.append(asyncio.create_task(site))
                await poll(app, pipeline, stop)
        finally:
            stop.set()
            await pipeline.settle()  # updates held by flood control are applied, not lost
            await sweeper
            await nudges
            await asyncio.gather(*background)
            await deliverer.idle()
    await db.dispose()


async def serve_reminders(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """``jejaring reminders``: only the reminder dispatcher (and the outbox it delivers through)."""
    stop = stop or _stop_on_signals()
    db = Database.connect(settings.database_url)
    await db.upgrade()
    app = build_application(settings)
    async with app:
        await release_orphans(db, socket.gethostname(), pid_alive)
        deliverer = Deliverer(db, TelegramSender(app.bot), worker=worker_name(), pacer=chat_pacer())
        sweeper = asyncio.create_task(deliverer.run(stop))
        try:
            await ReminderDispatcher(db, deliverer, worker=worker_name()).run(stop)
        finally:
            stop.set()
            await sweeper
            await deliverer.idle()
    await db.dispose()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop
