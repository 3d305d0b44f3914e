"""The path of one update: translate, lock the participant, commit, then deliver.

Transient failures (the database away: see ``storage.deadletters``) are remembered per update
id so the transport can refuse to acknowledge the update (polling keeps the offset; the
webhook answers 500) and Telegram redelivers it. Deterministic ones are set aside inside the
transaction code (a dead letter; the participant is told the message could not be saved) and
the update is acknowledged: one poison update never pins the offset or blocks another chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from app.conversations import Identity, handle_event
from app.dashboard import DashboardLinks
from bot.flood import FloodGuard, FloodVerdict
from bot.translate import event_of, identity_of
from coaching.model import Event, EventKind
from coaching.text import normalise_locale, render
from storage.db import Database
from storage.deadletters import is_transient
from storage.outbox import Deliverer

log = logging.getLogger(__name__)

DOCUMENT_MAX = 1_048_576  # a CSV edge list of 5,000 ties fits comfortably


class KeyedLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class Pipeline:
    def __init__(
        self,
        db: Database,
        deliverer: Deliverer,
        *,
        default_locale: str = "id",
        flood: FloodGuard | None = None,
        dashboard: DashboardLinks | None = None,
    ) -> None:
        self.db = db
        self.dashboard = dashboard
        self.deliverer = deliverer
        self.default_locale = default_locale
        self.locks = KeyedLocks()
        self.failed: set[int] = set()
        self.flood = flood or FloodGuard()
        # Flood control: updates over the limit, per participant, waiting their turn (polling);
        # update ids refused for it (webhook).
        self._held: dict[str, deque[tuple[Update, Identity, Event]]] = {}
        self._releasers: set[asyncio.Task[None]] = set()
        self._hurry = asyncio.Event()
        self._told: dict[str, float] = {}
        self.refused: set[int] = set()
        # Sets a coach's own command menu (chat id, language): ``bot.app.register`` wires it.
        self.on_coach: Callable[[int, str], Awaitable[None]] | None = None
        # Told whose update was committed (external id), at once: the Mini App lays out a map
        # the chat changed before its owner opens it (``service/run.py`` wires it).
        self.on_handled: Callable[[str], None] | None = None
        # Told that a participant deleted their data (external id, their maps' ids), once it
        # is committed: the dashboard and the Mini App drop what they keep drawn of them.
        self.on_forgotten: Callable[[str, tuple[int, ...]], None] | None = None
        # Updates whose HTTP request the transport answers (webhook): a button's answer rides
        # on that response instead of costing a request of its own (see ``reply_in_response``).
        self._replies: dict[int, dict[str, Any] | None] = {}

    def reply_in_response(self, update_id: int) -> None:
        """The transport answers this update's request and can carry a Bot API call in it.

        Telegram runs a method given in a webhook's response body (without telling us how it
        went — fine for a spinner's answer, never for a reply, which the outbox delivers).
        """
        self._replies[update_id] = None

    def take_reply(self, update_id: int) -> dict[str, Any] | None:
        """The Bot API call to put in this update's webhook response, if any."""
        return self._replies.pop(update_id, None)

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """PTB handler: every update of every kind comes through here."""
        await self.process(update)

    async def process(self, update: Update) -> None:
        who, event = identity_of(update), event_of(update)
        if who is None or event is None:
            return
        key = who.external_id
        if key in self._held:  # earlier updates of theirs wait: this one waits behind them
            await self._hold(update, who, event)
            return
        verdict = self.flood.check(key, update.update_id)
        if verdict is not FloodVerdict.ALLOW:
            if verdict is FloodVerdict.WARN:
                await self._slow_down(update, who.language_hint)
            await self._hold(update, who, event)
            return
        await self._handle(update, who, event)

    async def _handle(self, update: Update, who: Identity, event: Event) -> None:
        event = await self._with_document(update, event)
        query = update.callback_query
        pressed = query.message.message_id if query is not None and query.message else None
        async with self.locks.hold(who.external_id):
            try:
                handled = await handle_event(
                    self.db,
                    who,
                    event,
                    update_id=update.update_id,
                    default_locale=self.default_locale,
                    pressed_message_id=pressed,
                    claim_as=self.deliverer.worker,
                    raw_update=update.to_dict,
                    dashboard=self.dashboard,
                )
            except Exception as exc:
                if not is_transient(exc):
                    # handle_event sets deterministic failures aside itself; one that escapes
                    # would fail again on every redelivery: acknowledged, and logged.
                    log.exception("update %s failed and is dropped", update.update_id)
                    return
                # Nothing was committed: refusing the update gets it redelivered, where a 200
                # would lose it.
                log.exception("database unavailable for update %s; redelivered", update.update_id)
                self.failed.add(update.update_id)
                return
        self.failed.discard(update.update_id)
        if update.callback_query is not None:
            await self._answer_button(update, handled.toast)
        self.deliverer.kick(who.chat_id, handled.claimed)
        if handled.forgotten is not None and self.on_forgotten is not None:
            self.on_forgotten(who.external_id, handled.forgotten)
        if self.on_handled is not None:
            self.on_handled(who.external_id)
        if handled.coach_menu and self.on_coach is not None:
            await self.on_coach(who.chat_id, handled.locale)

    # --- flood control: over the limit, an update waits; it is never dropped unannounced ---

    async def _hold(self, update: Update, who: Identity, event: Event) -> None:
        """An update over the flood limit. It may change state (a tap on "stop reminders", an
        answer), so it is not dropped: the webhook refuses it (Telegram keeps it and delivers
        it again, by when the window has room); polling keeps it here and applies it, in
        order, as soon as the window has room. Past one window's worth waiting, the participant
        is told it was not applied and to send it again. Media we cannot use change nothing."""
        if event.kind is EventKind.UNSUPPORTED:
            return
        if update.update_id in self._replies:  # webhook
            self.refused.add(update.update_id)
            return
        key = who.external_id
        waiting = self._held.setdefault(key, deque())
        if len(waiting) >= self.flood.limit:
            await self._not_applied(update, who)
            return
        waiting.append((update, who, event))
        if len(waiting) == 1:
            task = asyncio.create_task(self._release(key, waiting))
            self._releasers.add(task)
            task.add_done_callback(self._releasers.discard)

    async def _release(self, key: str, waiting: deque[tuple[Update, Identity, Event]]) -> None:
        """Apply a participant's held updates in order, each when the flood window has room."""
        while waiting:
            update, who, event = waiting[0]
            wait = 0.0 if self._hurry.is_set() else self.flood.admit(key, update.update_id)
            if wait:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._hurry.wait(), wait)
                continue
            waiting.popleft()
            try:
                await self._handle(update, who, event)
            except Exception:  # a bug here must not strand the ones behind it
                log.exception("held update %s failed", update.update_id)
        if self._held.get(key) is waiting:
            del self._held[key]

    async def settle(self) -> None:
        """Apply every held update now (shutting down: nothing held is lost to a stop)."""
        self._hurry.set()
        await self.idle()

    async def idle(self) -> None:
        """Wait until no update is held (tests, shutdown)."""
        while self._releasers:
            await asyncio.gather(*list(self._releasers), return_exceptions=True)

    def take_refused(self, update_ids: set[int]) -> set[int]:
        """Updates refused for flood control (the webhook answers 429: delivered again)."""
        refused = self.refused & update_ids
        self.refused -= refused
        return refused

    async def _not_applied(self, update: Update, who: Identity) -> None:
        """Too many held already: say so — a tap in its pop-up, a message once per window."""
        locale = normalise_locale(who.language_hint)
        if update.callback_query is not None:
            await self._answer_button(update, render(locale, "common.flood_not_applied"))
            return
        now = asyncio.get_running_loop().time()
        if now - self._told.get(who.external_id, -1e9) < self.flood.window:
            return
        self._told[who.external_id] = now
        if len(self._told) > 10_000:  # forget old ones rather than grow
            self._told = {k: t for k, t in self._told.items() if now - t < self.flood.window}
        await self._notify(update, render(locale, "common.flood_not_applied"))

    async def _slow_down(self, update: Update, language: str | None) -> None:
        locale = normalise_locale(language)
        notice = render(
            locale, "common.flood", limit=self.flood.limit, window=int(self.flood.window)
        )
        await self._notify(update, notice)

    async def _notify(self, update: Update, html: str) -> None:
        """Best effort: this message is about the flood itself, not part of the conversation."""
        chat = update.effective_chat
        if chat is None:
            return
        try:
            await update.get_bot().send_message(chat.id, html, parse_mode=ParseMode.HTML)
        except TelegramError as exc:
            log.info("could not send the flood notice: %s", exc)

    async def _with_document(self, update: Update, event: Event) -> Event:
        """Fetch a small document's bytes before the transaction (never hold locks on I/O)."""
        document = update.message.document if update.message else None
        if event.document is None or document is None:
            return event
        if event.document.size > DOCUMENT_MAX:
            return event
        try:
            file = await document.get_file()
            content = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            log.warning("could not download document: %s", exc)
            failed = dataclasses.replace(event.document, download_failed=True)
            return dataclasses.replace(event, document=failed)
        return dataclasses.replace(
            event, document=dataclasses.replace(event.document, content=content[:DOCUMENT_MAX])
        )

    def take_failed(self, update_ids: set[int]) -> set[int]:
        failed = self.failed & update_ids
        self.failed -= failed
        return failed

    async def _answer_button(self, update: Update, toast: str | None) -> None:
        """Stop the button's spinner; best effort, the reply itself is in the outbox."""
        query = update.callback_query
        if query is None:
            return
        text = toast[:200] if toast else None
        if update.update_id in self._replies:
            answer = {"method": "answerCallbackQuery", "callback_query_id": query.id}
            self._replies[update.update_id] = answer if text is None else {**answer, "text": text}
            return
        try:
            await query.answer(text=text)
        except TelegramError as exc:
            log.info("could not answer callback %s: %s", query.id, exc)
