"""Webhook mode: a Starlette app (served by ``service/``). 200 only after the update is committed.

Every request must carry ``X-Telegram-Bot-Api-Secret-Token`` equal to ``WEBHOOK_SECRET``;
anything else gets 403 before the body is read. A body over ``BODY_MAX`` is refused (413): from
its Content-Length before a byte of it is read, or as soon as a body without one (chunked)
passes the limit. Anything that is not a Telegram update object (JSON that is not an object, an
``update_id`` that is not an integer in 0 … 2⁶³−1) gets 400. The database away answers 500 so
Telegram redelivers. A button press is answered (``answerCallbackQuery``) in the 200 response
itself, which Telegram runs as a Bot API call: one HTTP request less per press.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.pipeline import Pipeline
from bot.polling import ALLOWED_UPDATES

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
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > BODY_MAX):
            status = 413 if declared.isdigit() else 400
            return PlainTextResponse("too large" if status == 413 else "bad length", status)
        body = await _bounded_body(request, BODY_MAX)
        if body is None:
            return PlainTextResponse("too large", status_code=413)
        try:
            data = json.loads(body)
            if not is_update_object(data):
                raise ValueError("not a Telegram update object")
            update = Update.de_json(without_unread(data), app.bot)
        except Exception as exc:  # whatever a malformed body makes the parser raise
            log.warning("webhook: not an update, refused (%s)", str(exc)[:200])
            return PlainTextResponse("bad update", status_code=400)
        pipeline.reply_in_response(update.update_id)
        try:
            await app.process_update(update)
        finally:
            reply = pipeline.take_reply(update.update_id)
        if pipeline.take_failed({update.update_id}):
            return PlainTextResponse("retry", status_code=500)
        if pipeline.take_refused({update.update_id}):
            # Over the flood limit: not applied yet, so not acknowledged. Telegram delivers
            # it again, by when the participant's window has room.
            wait = str(max(1, int(pipeline.flood.window)))
            return PlainTextResponse("slow down", status_code=429, headers={"Retry-After": wait})
        return Response(status_code=200) if reply is None else JSONResponse(reply)

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route(path, receive, methods=["POST"]), Route("/healthz", health)])


# What a button press carries that nothing here reads: the pressed message's formatting and
# its keyboard (the message's id and chat are all the pipeline takes from it). PTB builds an
# object for each entity and button: parsing a press with eight entities and two buttons took
# 173-227 µs of CPU with them, 93-111 µs without (ARCHITECTURE.md, "Measured speedups").
_UNREAD_OF_PRESSED = ("entities", "caption_entities", "reply_markup")


def without_unread(data: dict[str, Any]) -> dict[str, Any]:
    """The update without what the pipeline never reads of a pressed button's message.

    >>> press = {"update_id": 1, "callback_query": {"id": "9", "data": "j1:1:agree",
    ...     "message": {"message_id": 70, "text": "Setuju?", "entities": [{"type": "bold"}],
    ...                 "reply_markup": {"inline_keyboard": []}}}}
    >>> without_unread(press)["callback_query"]["message"]
    {'message_id': 70, 'text': 'Setuju?'}
    >>> press["callback_query"]["message"]["entities"]  # the original is left as it was
    [{'type': 'bold'}]
    """
    query = data.get("callback_query")
    if not isinstance(query, dict):
        return data
    message = query.get("message")
    if not isinstance(message, dict) or not any(k in message for k in _UNREAD_OF_PRESSED):
        return data
    kept = {k: v for k, v in message.items() if k not in _UNREAD_OF_PRESSED}
    return {**data, "callback_query": {**query, "message": kept}}


UPDATE_ID_MAX = 2**63 - 1  # processed_updates.update_id is a signed 64-bit integer


def is_update_object(data: object) -> bool:
    """A JSON object with an ``update_id`` Telegram could have sent (a non-negative integer
    that fits our column; ``True`` is not one)."""
    if not isinstance(data, dict):
        return False
    update_id = data.get("update_id")
    return type(update_id) is int and 0 <= update_id <= UPDATE_ID_MAX


async def _bounded_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it passes ``limit`` bytes (read no further)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def register_webhook(
    app: Application,  # type: ignore[type-arg]
    url: str,
    secret: str,
) -> None:
    """Tell Telegram where to deliver updates, and the secret it must send with each."""
    await app.bot.set_webhook(
        url, secret_token=secret, allowed_updates=ALLOWED_UPDATES, max_connections=40
    )
