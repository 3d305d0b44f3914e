"""The service's long-lived commands, wired here and nowhere else.

``jejaring run`` (:func:`serve`): migrate, start the bot (polling, or the webhook when
``WEBHOOK_URL`` is set), the outbox's delivery, the reminder dispatcher, the sweeper and the
coach dashboard — beside polling on ``PORT``, or sharing ``PORT`` with the webhook (one app:
the webhook's route and ``/healthz`` first, the dashboard for everything else).
``jejaring reminders`` (:func:`serve_reminders`) and ``jejaring dashboard``
(:func:`serve_dashboard`) run one part alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Callable, Coroutine
from typing import Any, TextIO

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp
from telegram.ext import Application

from app.dashboard import DashboardLinks
from app.reminders import ReminderDispatcher
from bot.app import build_application, miniapp_url, register, set_commands, set_menu_button
from bot.pipeline import Pipeline
from bot.polling import poll
from bot.sender import TelegramSender
from bot.webhook import register_webhook, webhook_app
from service.http import serve_http
from service.settings import Settings, dashboard_refusal, rate_limited
from storage.cohorts import coach_chats
from storage.db import Database
from storage.outbox import Deliverer
from storage.outbox_leases import pid_alive, release_orphans
from storage.outbox_pacing import ChatPacer, Unpaced
from storage.privacy import run_sweeper
from web.app import dashboard_app
from web.mapcache import MapCache
from web.miniapp import SceneCache, warm_page

log = logging.getLogger(__name__)


def run_service(main: Coroutine[Any, Any, None]) -> None:
    """Run a long-lived service on uvloop where it is installed (Linux, macOS), else asyncio.

    The bot's event loop does the HTTP of every update (the webhook in, the replies out);
    uvloop does the same work with noticeably less CPU per update (bench/throughput.py).
    """
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)


def chat_pacer() -> ChatPacer:
    return ChatPacer() if rate_limited() else Unpaced()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def telegram_application(settings: Settings) -> Application:  # type: ignore[type-arg]
    return build_application(
        settings.token,
        base_url=settings.api_base_url,
        base_file_url=settings.file_base_url,
        rate_limited=rate_limited(),
    )


def forgetting(maps: MapCache, scenes: SceneCache) -> Callable[[str, tuple[int, ...]], None]:
    """What the pipeline calls when a participant deleted their data: the dashboard's drawings
    of their maps and the Mini App's scenes and session of theirs go at once, not when the
    caches would have evicted them."""

    def forget(external_id: str, map_ids: tuple[int, ...]) -> None:
        maps.forget(map_ids)
        scenes.forget_participant(external_id, map_ids)

    return forget


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """``jejaring run``: migrate, start the bot, deliver, until SIGINT/SIGTERM or ``stop``."""
    stop = stop or stop_on_signals()
    db = Database.connect(settings.database_url, threads=settings.database_threads)
    await db.upgrade()
    app = telegram_application(settings)
    async with app:
        released = await release_orphans(db, socket.gethostname(), pid_alive)
        if released:
            log.warning("resending %d message(s) a crashed worker may not have sent", released)
        # The coach dashboard's links: signed here, served on PORT (below), Mini App buttons.
        links = DashboardLinks.from_env(token=settings.token, port=settings.port)
        sender = TelegramSender(app.bot, links)
        deliverer = Deliverer(db, sender, worker=worker_name(), pacer=chat_pacer())
        pipeline = Pipeline(db, deliverer, default_locale=settings.default_locale, dashboard=links)
        register(app, pipeline)
        await set_commands(app, await coach_chats(db))
        sweeper = asyncio.create_task(deliverer.run(stop))
        dispatcher = ReminderDispatcher(db, deliverer, worker=worker_name())
        nudges = asyncio.create_task(dispatcher.run(stop))
        # The coach dashboard: on PORT beside polling, or sharing it with the webhook.
        refused = dashboard_refusal(settings.host, links.public_url) if links else None
        if refused:
            log.error("%s", refused)  # the bot itself runs on
        web = None
        maps, scenes = MapCache(), SceneCache()
        pipeline.on_forgotten = forgetting(maps, scenes)
        if links and not refused:
            web = dashboard_app(db, links, bot_token=settings.token, maps=maps, scenes=scenes)
            if miniapp_url(links.public_url) is not None:
                # The Mini App can open (public HTTPS): its page is served once now (templates
                # compiled, the scene worker started and warmed), not for the first participant;
                # a map the chat changes is laid out at once for whoever has the app.
                await warm_page(web)
                pipeline.on_handled = scenes.handled
        if web is not None and links is not None:
            await set_menu_button(app, links.public_url)
        background = [asyncio.create_task(run_sweeper(db, stop))]
        try:
            if settings.webhook_url:
                if not settings.webhook_secret:
                    raise ValueError("WEBHOOK_SECRET is required in webhook mode")
                hook = webhook_app(
                    app, pipeline, path=settings.webhook_path, secret=settings.webhook_secret
                )
                served: ASGIApp = hook
                if web is not None:
                    served = Starlette(routes=[*hook.routes, Mount("/", app=web)])
                url, secret = settings.webhook_url, settings.webhook_secret
                await serve_http(
                    served,
                    settings.host,
                    settings.port,
                    stop,
                    listening=lambda: register_webhook(app, url, secret),
                )
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
            scenes.close()
            maps.close()
    await db.dispose()


async def serve_reminders(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """``jejaring reminders``: only the reminder dispatcher (and the outbox it delivers through)."""
    stop = stop or stop_on_signals()
    db = Database.connect(settings.database_url, threads=settings.database_threads)
    await db.upgrade()
    app = telegram_application(settings)
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


async def serve_dashboard(settings: Settings, err: TextIO) -> int:
    """``jejaring dashboard``: only the coach dashboard, on ``HOST:PORT``."""
    links = DashboardLinks.from_env(token=settings.token, port=settings.port)
    if links is None:
        err.write("Set DASHBOARD_SECRET (or TELEGRAM_BOT_TOKEN) to sign login links.\n")
        return 2
    refused = dashboard_refusal(settings.host, links.public_url)
    if refused:
        err.write(refused[0].upper() + refused[1:] + "\n")
        return 2
    db = Database.connect(settings.database_url, threads=settings.database_threads)
    stop = stop_on_signals()
    try:
        await db.upgrade()
        err.write(f"Dashboard on {settings.host}:{settings.port}, links to {links.public_url}\n")
        await serve_http(dashboard_app(db, links), settings.host, settings.port, stop)
    finally:
        await db.dispose()
    return 0


def stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop
