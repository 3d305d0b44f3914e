"""Serving the dashboard: alone (``jejaring dashboard``), beside polling, or with the webhook.

In webhook mode one uvicorn server on ``PORT`` serves both: the webhook's route (and
``/healthz``) first, the dashboard for everything else, so one HTTPS proxy fronts both.
"""

from __future__ import annotations

import asyncio
import logging
import socket

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp
from telegram.ext import Application

from bot.pipeline import Pipeline
from bot.polling import ALLOWED_UPDATES
from bot.settings import Settings
from bot.webhook import webhook_app

log = logging.getLogger(__name__)


async def serve_http(
    app: ASGIApp, host: str, port: int, stop: asyncio.Event, *, required: bool = True
) -> None:
    """Serve ``app`` until ``stop``. A busy port fails loudly only if ``required``: the bot
    itself must keep running when the dashboard beside it cannot listen."""
    try:
        sock = _bind(host, port)
    except OSError as exc:
        if required:
            raise
        log.error("dashboard not started: cannot listen on %s:%s (%s)", host, port, exc)
        return
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    await task
    stopper.cancel()
    sock.close()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


async def serve_webhook_and_dashboard(
    app: Application,  # type: ignore[type-arg]
    pipeline: Pipeline,
    settings: Settings,
    dashboard: ASGIApp,
    stop: asyncio.Event,
) -> None:
    """Webhook mode sharing ``PORT`` with the dashboard (same checks as ``serve_webhook``)."""
    if not settings.webhook_secret:
        raise ValueError("WEBHOOK_SECRET is required in webhook mode")
    hook = webhook_app(app, pipeline, path=settings.webhook_path, secret=settings.webhook_secret)
    both = Starlette(routes=[*hook.routes, Mount("/", app=dashboard)])
    await app.bot.set_webhook(
        settings.webhook_url or "",
        secret_token=settings.webhook_secret,
        allowed_updates=ALLOWED_UPDATES,
        max_connections=40,
    )
    await serve_http(both, settings.host, settings.port, stop)
