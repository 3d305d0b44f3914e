"""Long polling that acknowledges an update only after it is committed (at-least-once).

PTB's ``Updater`` confirms updates when it queues them, before handlers run: a crash then
loses them. Here the offset moves past an update only once its transaction committed; a
redelivered update is dropped by its id in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Update
from telegram.error import Conflict, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.pipeline import Pipeline

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


async def poll(
    app: Application,  # type: ignore[type-arg]
    pipeline: Pipeline,
    stop: asyncio.Event,
    *,
    long_poll: int = 25,
) -> None:
    await app.bot.delete_webhook(drop_pending_updates=False)
    offset: int | None = None
    pause = 0.0
    log.info("polling %s", app.bot.base_url)
    while not stop.is_set():
        if pause:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)
            if stop.is_set():
                break
        try:
            updates = await _fetch(app, offset, long_poll, stop)
        except RetryAfter as exc:
            pause = _seconds(exc.retry_after)
            continue
        except Conflict:
            log.error("another poller or a webhook is active for this bot; retrying")
            pause = 5.0
            continue
        except (NetworkError, TelegramError) as exc:
            log.warning("getUpdates failed: %s", exc)
            pause = min(30.0, max(1.0, pause * 2))
            continue
        pause = 0.0
        if not updates:
            continue
        await asyncio.gather(*(app.process_update(update) for update in updates))
        failed = pipeline.take_failed({u.update_id for u in updates})
        if failed:
            # Fetch again from the first failure; the ones after it are dropped as repeats.
            offset = min(failed)
            pause = 2.0
        else:
            offset = updates[-1].update_id + 1


async def _fetch(
    app: Application,  # type: ignore[type-arg]
    offset: int | None,
    long_poll: int,
    stop: asyncio.Event,
) -> tuple[Update, ...]:
    """getUpdates that returns at once (empty) when asked to stop."""
    fetch = asyncio.ensure_future(
        app.bot.get_updates(offset=offset, timeout=long_poll, allowed_updates=ALLOWED_UPDATES)
    )
    stopping = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if fetch in done:
        stopping.cancel()
        return tuple(fetch.result())
    fetch.cancel()
    with contextlib.suppress(asyncio.CancelledError, TelegramError):
        await fetch
    return ()


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
