"""Webhook mode: Starlette under uvicorn. 200 only after the update is committed.

Every request must carry ``X-Telegram-Bot-Api-Secret-Token`` equal to ``WEBHOOK_SECRET``;
anything else gets 403 before the body is read. A failed commit answers 500 so Telegram
redelivers. A button press is answered (``answerCallbackQuery``) in the 200 response itself,
which Telegram runs as a Bot API call: one HTTP request less per press.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.pipeline import Pipeline
from bot.polling import ALLOWED_UPDATES
from bot.settings import Settings

log = logging.getLogger(__name__)

BODY_MAX = 1_000_000
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_app(
    app: Application,  # type: ignore[type-arg]
    pipeline: Pipeline,
    *,
    path: str,
    secret: str,
) -> Starlette:
    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return PlainTextResponse("forbidden", status_code=403)
        body = await request.body()
        if len(body) > BODY_MAX:
            return PlainTextResponse("too large", status_code=413)
        try:
            update = Update.de_json(json.loads(body), app.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("webhook: unparseable update dropped")
            return PlainTextResponse("bad update", status_code=400)
        pipeline.reply_in_response(update.update_id)
        try:
            await app.process_update(update)
        finally:
            reply = pipeline.take_reply(update.update_id)
        if pipeline.take_failed({update.update_id}):
            return PlainTextResponse("retry", status_code=500)
        return Response(status_code=200) if reply is None else JSONResponse(reply)

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route(path, receive, methods=["POST"]), Route("/healthz", health)])


async def serve_webhook(
    app: Application,  # type: ignore[type-arg]
    pipeline: Pipeline,
    settings: Settings,
    stop: asyncio.Event,
) -> None:
    if not settings.webhook_secret:
        raise ValueError("WEBHOOK_SECRET is required in webhook mode")
    web = webhook_app(app, pipeline, path=settings.webhook_path, secret=settings.webhook_secret)
    await app.bot.set_webhook(
        settings.webhook_url or "",
        secret_token=settings.webhook_secret,
        allowed_updates=ALLOWED_UPDATES,
        max_connections=40,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            web, host=settings.host, port=settings.port, lifespan="off", log_level="warning"
        )
    )
    server_task = asyncio.create_task(server.serve())
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({server_task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    await server_task
    stopper.cancel()
