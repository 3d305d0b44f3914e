"""The baseline: a minimal python-telegram-bot bot doing the benchmark's three-step dialog.

``ConversationHandler`` + ``PicklePersistence``, served by PTB's custom-webhook pattern
(``examples/customwebhookbot/starlettebot.py``: ``Application`` with ``.updater(None)``,
Starlette under uvicorn, the update put on ``application.update_queue``) — the same HTTP
stack as ours. Its texts and buttons are the ones our bot sends for these steps, rendered
once at start (so the emulator parses messages of the same size from both bots, and the
baseline is not charged for rendering).

Like every PTB bot written this way it answers the webhook 200 *before* the update is
handled, and PicklePersistence writes its file every ``update_interval`` (60 s): a crash
loses the queued updates and up to a minute of conversations. That is what "durable per
update" is measured against.

Environment: ``TELEGRAM_BOT_TOKEN``, ``TELEGRAM_API_BASE_URL``, ``WEBHOOK_SECRET``, ``HOST``,
``PORT``, ``BASELINE_PICKLE`` (the persistence file), ``BASELINE_CONCURRENT=1`` for
``concurrent_updates=True`` (PTB warns that ConversationHandler is not meant for it).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import os
import signal
import warnings

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    PicklePersistence,
)

CONSENT, LANGUAGE, NAME = range(3)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def our_texts() -> list[tuple[str, list[tuple[str, str]]]]:
    """Our bot's three replies (HTML, buttons as (data, label)) for /start, agree, lang:id."""
    from datetime import UTC, datetime

    from coaching import engine, text
    from coaching.model import Event, EventKind, Profile, Snapshot
    from coaching.payloads import payloads

    snap = Snapshot(Profile(), "onboarding.consent", {}, 0, datetime.now(UTC))
    steps = [
        Event.of_text("/start"),
        Event(EventKind.CHOICE, choice="agree", seq=1),
        Event(EventKind.CHOICE, choice="lang:id", seq=2),
    ]
    out = []
    for event in steps:
        outcome = engine.handle(snap, event)
        snap = engine.apply(snap, outcome)
        # The new message, not the edit that marks the pressed button (sent after it).
        sent = payloads(text.normalise_locale(snap.locale), outcome.replies)
        payload = [p for p in sent if not p.get("edit")][-1]
        pressed = [(b["value"], b["label"]) for row in payload["buttons"] for b in row]
        out.append((payload["text"], pressed))
    return out


def keyboard(options: list[tuple[str, str]]) -> InlineKeyboardMarkup | None:
    if not options:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data)] for data, label in options]
    )


def build() -> Application:  # type: ignore[type-arg]
    texts = our_texts()
    no_preview = LinkPreviewOptions(is_disabled=True)

    async def say(update: Update, context: ContextTypes.DEFAULT_TYPE, step: int) -> None:
        html, options = texts[step]
        chat = update.effective_chat
        assert chat is not None
        await context.bot.send_message(
            chat.id,
            html,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(options),
            link_preview_options=no_preview,
        )

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        await say(update, context, 0)
        return CONSENT

    async def agree(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert update.callback_query is not None
        await update.callback_query.answer()
        if context.user_data is not None:
            context.user_data["consent"] = True
        await say(update, context, 1)
        return LANGUAGE

    async def language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        query = update.callback_query
        assert query is not None
        await query.answer()
        if context.user_data is not None:
            context.user_data["language"] = (query.data or "").removeprefix("lang:")
        await say(update, context, 2)
        return NAME

    persistence = PicklePersistence(os.environ.get("BASELINE_PICKLE", "baseline.pickle"))
    concurrent = os.environ.get("BASELINE_CONCURRENT", "0") == "1"
    app = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .updater(None)
        .persistence(persistence)
        .concurrent_updates(concurrent)
        .build()
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # per_message=False with CallbackQueryHandler: intended
        conversation = ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states={
                CONSENT: [CallbackQueryHandler(agree, pattern="^agree$")],
                LANGUAGE: [CallbackQueryHandler(language, pattern="^lang:")],
            },
            fallbacks=[CommandHandler("start", start)],
            name="onboarding",
            persistent=True,
        )
    app.add_handler(conversation)
    return app


async def main() -> None:
    app = build()
    secret = os.environ.get("WEBHOOK_SECRET", "")

    async def telegram(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return PlainTextResponse("forbidden", status_code=403)
        await app.update_queue.put(Update.de_json(json.loads(await request.body()), app.bot))
        return Response(status_code=200)

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    web = Starlette(
        routes=[Route("/telegram", telegram, methods=["POST"]), Route("/healthz", health)]
    )
    server = uvicorn.Server(
        uvicorn.Config(
            web,
            host=os.environ.get("HOST", "127.0.0.1"),
            port=int(os.environ.get("PORT", "8090")),
            lifespan="off",
            log_level="warning",
        )
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with app:
        await app.start()
        serving = asyncio.create_task(server.serve())
        waiting = asyncio.create_task(stop.wait())
        await asyncio.wait({serving, waiting}, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        await serving
        waiting.cancel()
        await app.stop()


if __name__ == "__main__":
    asyncio.run(main())
