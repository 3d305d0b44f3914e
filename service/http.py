"""The one HTTP serve loop: uvicorn on a socket of our own, until ``stop``.

It serves the dashboard alone (``jejaring dashboard``), beside polling, or one app holding the
webhook's route and the dashboard (``jejaring run`` in webhook mode: one HTTPS proxy fronts
both on ``PORT``).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable

import uvicorn
from starlette.types import ASGIApp

log = logging.getLogger(__name__)


async def serve_http(
    app: ASGIApp,
    host: str,
    port: int,
    stop: asyncio.Event,
    *,
    required: bool = True,
    listening: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Serve ``app`` until ``stop``. A busy port fails loudly only if ``required``: the bot
    itself must keep running when the dashboard beside it cannot listen. ``listening`` runs
    once the port takes connections, before anything is served: the webhook is registered
    there, so Telegram's first delivery never meets a closed port (it would back off)."""
    try:
        sock = _bind(host, port)
    except OSError as exc:
        if required:
            raise
        log.error("dashboard not started: cannot listen on %s:%s (%s)", host, port, exc)
        return
    if listening is not None:
        try:
            await listening()
        except BaseException:
            sock.close()
            raise
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
