"""What the emulator keeps (chats, messages, files, the update queue, faults, rate limits) and
the helpers every part of it uses; :class:`tools.botapi_emulator.server.BotApiEmulator` is the
whole emulator."""

from __future__ import annotations

import asyncio
import copy
import json
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from tools.botapi_emulator.entities import _strip_text, parse_html
from tools.botapi_emulator.errors import (
    _SCOPE_TYPES,
    CAPTION_LIMIT,
    ENTITY_LIMIT,
    JSON,
    TEXT_LIMIT,
    ApiError,
    _bad,
)
from tools.botapi_emulator.state import (
    ApiCall,
    TokenBucket,
    _BotMessage,
    _Chat,
    _check_markup,
    _Fault,
    _Params,
    _Queued,
    _Signal,
    _StoredFile,
    _Upload,
)


class EmulatorState:
    """The emulator's state and its helpers (no HTTP here)."""

    def __init__(
        self,
        token: str = "123:ABC",
        username: str = "jejaring_test_bot",
        *,
        first_name: str = "Jejaring Test Bot",
        per_chat_burst: float = 3,
        per_chat_rate: float = 1.0,
        global_rate: float = 30.0,
        global_burst: float | None = None,
        auto_webhook: bool = True,
        webhook_retry_delay: float = 0.2,
        webhook_timeout: float = 10.0,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.username = username
        self.first_name = first_name
        self.bot_id = int(token.split(":")[0]) if token.split(":")[0].isdigit() else 123
        self.per_chat_burst = per_chat_burst
        self.per_chat_rate = per_chat_rate
        self.auto_webhook = auto_webhook
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_timeout = webhook_timeout
        self.host = host
        self.port = port
        self._clock = clock
        self._global_bucket = TokenBucket(global_burst or global_rate, global_rate, clock)
        self._chat_buckets: dict[int, TokenBucket] = {}

        self.calls: list[ApiCall] = []
        self.webhook: JSON | None = None
        self.webhook_attempts: list[JSON] = []
        self.callback_answers: list[JSON] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.menu_buttons: dict[int | None, JSON] = {}
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._chats: dict[int, _Chat] = {}
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], _BotMessage] = {}
        self._user_messages: set[tuple[int, int]] = set()
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._queue: list[_Queued] = []
        self._history: dict[int, JSON] = {}
        self._next_update_id = 100_000
        self._next_callback_id = 4_000_000_000
        self._open_callbacks: set[str] = set()
        self._allowed_updates: list[str] | None = None
        self._last_webhook_error: tuple[int, str] | None = None
        self._poll_generation = 0
        self._faults: dict[str, deque[_Fault]] = {}
        self._delays: dict[str, deque[float]] = {}
        self._updates_signal = _Signal()
        self._sent_signal = _Signal()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None

    def commands(self, language_code: str | None = None, scope: JSON | None = None) -> list[JSON]:
        return copy.deepcopy(self._commands.get(self._commands_key(scope, language_code), []))

    # ----------------------------------------------------------------- helpers

    def _chat(
        self,
        chat_id: int,
        first_name: str | None,
        language_code: str | None,
        username: str | None,
    ) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Chat(chat_id, first_name or f"User{chat_id}")
        if first_name:
            chat.first_name = first_name
        if language_code:
            chat.language_code = language_code
        if username:
            chat.username = username
        return chat

    def _new_message_id(self, chat_id: int) -> int:
        # In private chats user and bot messages share one id sequence.
        self._next_message_id[chat_id] = self._next_message_id.get(chat_id, 0) + 1
        return self._next_message_id[chat_id]

    def _user_message(self, chat: _Chat) -> JSON:
        message_id = self._new_message_id(chat.id)
        self._user_messages.add((chat.id, message_id))
        return {
            "message_id": message_id,
            "from": chat.user_json(),
            "chat": chat.chat_json(),
            "date": int(time.time()),
        }

    def _bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def _enqueue(self, payload: JSON) -> int:
        self._next_update_id += 1
        update = {"update_id": self._next_update_id, **payload}
        self._history[self._next_update_id] = copy.deepcopy(update)
        self._insert(_Queued(update))
        return self._next_update_id

    def _insert(self, item: _Queued) -> None:
        index = len(self._queue)
        while index > 0 and self._queue[index - 1].update_id > item.update_id:
            index -= 1
        self._queue.insert(index, item)
        self._updates_signal.fire()

    def _store_file(self, kind: str, upload: _Upload) -> _StoredFile:
        n = len(self._files) + 1
        suffix = upload.file_name.rsplit(".", 1)[-1] if "." in upload.file_name else "bin"
        stored = _StoredFile(
            file_id=f"emu-{kind}-{n:05d}",
            file_unique_id=f"uniq{n:05d}",
            file_path=f"{kind}s/file_{n}.{suffix}",
            file_name=upload.file_name,
            mime_type=upload.mime_type,
            content=upload.content,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    @staticmethod
    def _photo_size(stored: _StoredFile) -> JSON:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": 512,
            "height": 512,
            "file_size": len(stored.content),
        }

    def _message_json(self, message: _BotMessage) -> JSON:
        out: JSON = {
            "message_id": message.message_id,
            "from": self._bot_user(),
            "chat": self._chats[message.chat_id].chat_json(),
            "date": message.date,
        }
        if message.edit_date is not None:
            out["edit_date"] = message.edit_date
        key = "text" if message.text is not None else "caption"
        if message.text is not None or message.plain:
            out[key] = message.plain
        if message.entities:
            out["entities" if key == "text" else "caption_entities"] = message.entities
        if message.photo is not None:
            out["photo"] = [self._photo_size(message.photo)]
        if message.document is not None:
            doc = message.document
            out["document"] = {
                "file_id": doc.file_id,
                "file_unique_id": doc.file_unique_id,
                "file_name": doc.file_name,
                "mime_type": doc.mime_type,
                "file_size": len(doc.content),
            }
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            out["reply_markup"] = message.reply_markup
        return copy.deepcopy(out)

    def _target_chat(self, p: _Params) -> int:
        if p.raw.get("chat_id") in (None, ""):
            raise _bad("chat_id is empty")
        try:
            chat_id = int(str(p.raw["chat_id"]))
        except ValueError:
            raise _bad("chat not found") from None
        chat = self._chats.get(chat_id)
        if chat is None:
            raise _bad("chat not found")
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    @staticmethod
    def _render(
        raw: str | None, parse_mode: str | None, entities: Any, *, caption: bool
    ) -> tuple[str, list[JSON]]:
        mode = (parse_mode or "").lower()
        if mode == "html":
            plain, parsed = parse_html(raw or "")
        elif mode in ("", "markdown", "markdownv2"):
            # Markdown is not parsed: our bot renders HTML only.
            plain, parsed = raw or "", list(entities) if isinstance(entities, list) else []
        else:
            raise _bad("unsupported parse_mode")
        plain, parsed = _strip_text(plain, parsed)
        if len(parsed) > ENTITY_LIMIT:
            raise _bad(f"can't parse entities: too many entities ({len(parsed)} > {ENTITY_LIMIT})")
        if caption:
            if len(plain) > CAPTION_LIMIT:
                raise _bad("message caption is too long")
        elif not plain:
            raise _bad("message text is empty")
        elif len(plain) > TEXT_LIMIT:
            raise _bad("message is too long")
        return plain, parsed

    @staticmethod
    def _markup(p: _Params, *, inline_only: bool) -> JSON | None:
        markup = p.obj("reply_markup")
        return None if markup is None else _check_markup(markup, inline_only=inline_only)

    def _charge(self, chat_id: int) -> None:
        """Flood control; a refused call consumes nothing."""
        bucket = self._chat_buckets.get(chat_id)
        if bucket is None:
            bucket = TokenBucket(self.per_chat_burst, self.per_chat_rate, self._clock)
            self._chat_buckets[chat_id] = bucket
        wait = max(bucket.wait_time(), self._global_bucket.wait_time())
        if wait > 0:
            retry = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry)
        bucket.take()
        self._global_bucket.take()

    def _store_message(
        self,
        chat_id: int,
        method: str,
        p: _Params,
        *,
        plain: str,
        entities: list[JSON],
        markup: JSON | None,
        photo: _StoredFile | None = None,
        document: _StoredFile | None = None,
    ) -> JSON:
        text = p.text("text") if method == "sendMessage" else None
        message = _BotMessage(
            chat_id=chat_id,
            message_id=self._new_message_id(chat_id),
            date=int(time.time()),
            method=method,
            text=text,
            caption=None if method == "sendMessage" else p.text("caption"),
            parse_mode=p.text("parse_mode"),
            plain=plain,
            entities=entities,
            reply_markup=markup,
            photo=photo,
            document=document,
        )
        message.original = {
            "text": message.text,
            "caption": message.caption,
            "parse_mode": message.parse_mode,
            "reply_markup": copy.deepcopy(markup),
        }
        self._messages[(chat_id, message.message_id)] = message
        self._sent_signal.fire()
        return self._message_json(message)

    def _input_file(self, p: _Params, name: str, kind: str) -> _StoredFile:
        value = p.raw.get(name)
        upload = p.files.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = p.files.get(value.removeprefix("attach://"))
        if upload is not None:
            return self._store_file(kind, upload)
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            file_name = value.rsplit("/", 1)[-1] or "remote"
            return self._store_file(kind, _Upload(file_name, "application/octet-stream", b""))
        if value:
            raise _bad("wrong file identifier/HTTP URL specified")
        raise _bad(f"there is no {name} in the request")

    def _editable(self, p: _Params) -> _BotMessage:
        if p.raw.get("inline_message_id"):
            raise _bad("inline messages are not supported by the emulator")
        chat_id = self._target_chat(p)
        message_id = p.integer("message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        if (chat_id, message_id) in self._user_messages:
            raise _bad("message can't be edited")
        message = self._messages.get((chat_id, message_id))
        if message is None or message.deleted:
            raise _bad("message to edit not found")
        return message

    def _commands_key(self, scope: Any, language_code: str | None) -> tuple[str, str]:
        scope = scope or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise _bad("unsupported bot command scope type")
        return json.dumps(scope, sort_keys=True), language_code or ""

    def _deliverable(self, allowed: list[str] | None) -> list[_Queued]:
        if allowed:
            # Telegram never stores updates of types the bot did not ask for.
            self._queue = [q for q in self._queue if q.kind in allowed]
        return self._queue
