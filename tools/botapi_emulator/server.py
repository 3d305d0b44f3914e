"""A Telegram Bot API emulator that python-telegram-bot talks to over real HTTP.

It keeps the parts of Telegram that our bot can get wrong: entity parsing and text limits,
inline keyboard validation, flood control, callback query answering, edit semantics, update
delivery by long polling or webhook, and injectable failures. Everything else is left out.

Deliberate differences from Telegram (stricter, so that bugs surface in tests):
- a bare ``&`` in HTML text is rejected (Telegram keeps it literally; its docs require ``&amp;``);
- more than 100 entities is rejected (Telegram silently drops formatting after the 100th);
- messages can only go to chats whose user has written to the bot (or ``add_chat``).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Self

import aiohttp
from aiohttp import web

from tools.botapi_emulator.entities import _strip_text, parse_html, utf16_len
from tools.botapi_emulator.errors import (
    _BOT_COMMAND_RE,
    _CHAT_ACTIONS,
    _COMMAND_RE,
    _ERR_NOT_MODIFIED,
    _ERR_OTHER_POLLER,
    _ERR_QUERY,
    _ERR_WEBHOOK_ACTIVE,
    _SCOPE_TYPES,
    _SECRET_RE,
    CALLBACK_ANSWER_LIMIT,
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
    _normalize,
    _Params,
    _Queued,
    _Signal,
    _StoredFile,
    _Upload,
)

# --------------------------------------------------------------------------- the emulator


class BotApiEmulator:
    """An in-process Bot API server for end-to-end tests; see the module docstring."""

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
        self._methods: dict[str, Callable[[_Params], Awaitable[Any]]] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "setchatmenubutton": self._set_chat_menu_button,
            "getchatmenubutton": self._get_chat_menu_button,
            "sendchataction": self._send_chat_action,
            "getfile": self._get_file,
        }

    # ----------------------------------------------------------------- lifecycle

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.root_url}/file/bot"

    async def start(self) -> None:
        # Telegram accepts bot uploads up to 50 MB; aiohttp's default body cap is 1 MB.
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_post("/_emu/text", self._control_text)
        app.router.add_post("/_emu/press", self._control_press)
        app.router.add_get("/_emu/sent/{chat_id}", self._control_sent)
        # A short shutdown timeout: long polls and delayed calls are woken by `_closing` anyway.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._session = aiohttp.ClientSession()
        if self.auto_webhook:
            self._webhook_task = asyncio.create_task(self._webhook_loop())

    async def stop(self) -> None:
        self._closing = True
        self._updates_signal.fire()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ----------------------------------------------------------------- test-side API

    def fail_next(
        self,
        method: str,
        status: int = 500,
        count: int = 1,
        retry_after: int = 1,
        description: str | None = None,
    ) -> None:
        """The next `count` calls of `method` fail with `status` and have no effect."""
        queue = self._faults.setdefault(method.lower(), deque())
        queue.extend(_Fault(status, retry_after, description) for _ in range(count))

    def delay_next(self, method: str, seconds: float, count: int = 1) -> None:
        """The next `count` calls of `method` wait `seconds` before being processed. A client
        that times out meanwhile does not cancel them: like Telegram, the call still happens."""
        self._delays.setdefault(method.lower(), deque()).extend([seconds] * count)

    def add_chat(
        self, chat_id: int, first_name: str = "User", language_code: str | None = None
    ) -> None:
        """Makes a chat known without an update, as if the user had talked to the bot before."""
        self._chat(chat_id, first_name, language_code, None)

    def block(self, chat_id: int, blocked: bool = True) -> None:
        """The user blocks the bot: sends then fail with 403 like Telegram's."""
        self._chat(chat_id, None, None, None).blocked = blocked

    def user_sends_text(
        self,
        chat_id: int,
        text: str,
        first_name: str | None = None,
        language_code: str | None = None,
        username: str | None = None,
    ) -> int:
        chat = self._chat(chat_id, first_name, language_code, username)
        message = self._user_message(chat)
        message["text"] = text
        match = _BOT_COMMAND_RE.match(text)
        if match:
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}
            ]
        return self._enqueue({"message": message})

    def user_sends_document(
        self,
        chat_id: int,
        file_name: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> int:
        chat = self._chat(chat_id, None, None, None)
        stored = self._store_file("document", _Upload(file_name, mime_type, content))
        message = self._user_message(chat)
        message["document"] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        if caption is not None:
            message["caption"] = caption
        return self._enqueue({"message": message})

    def user_sends_photo(
        self, chat_id: int, content: bytes = b"\x89PNG\r\n\x1a\n", caption: str | None = None
    ) -> int:
        chat = self._chat(chat_id, None, None, None)
        stored = self._store_file("photo", _Upload("photo.jpg", "image/jpeg", content))
        message = self._user_message(chat)
        message["photo"] = [self._photo_size(stored)]
        if caption is not None:
            message["caption"] = caption
        return self._enqueue({"message": message})

    def user_sends_sticker(self, chat_id: int, emoji: str = "👍") -> int:
        chat = self._chat(chat_id, None, None, None)
        stored = self._store_file("sticker", _Upload("sticker.webp", "image/webp", b"RIFF"))
        message = self._user_message(chat)
        message["sticker"] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._enqueue({"message": message})

    def user_presses(
        self, chat_id: int, message_id: int, data: str, *, check_button: bool = True
    ) -> int:
        """The user taps an inline button of a bot message. With `check_button=False` any data is
        sent, as a modified client could."""
        message = self._messages.get((chat_id, message_id))
        if message is None or message.deleted:
            raise ValueError(f"no bot message {message_id} in chat {chat_id}")
        if check_button:
            rows = (message.reply_markup or {}).get("inline_keyboard", [])
            if data not in [b.get("callback_data") for row in rows for b in row]:
                raise ValueError(f"message {message_id} has no button with callback_data={data!r}")
        chat = self._chats[chat_id]
        self._next_callback_id += 1
        query_id = str(self._next_callback_id)
        self._open_callbacks.add(query_id)
        query = {
            "id": query_id,
            "from": chat.user_json(),
            "chat_instance": str(chat_id * 7919 + 17),
            "message": self._message_json(message),
            "data": data,
        }
        return self._enqueue({"callback_query": query})

    def redeliver(self, update_id: int) -> None:
        """Queues an already created update again, same update_id (at-least-once delivery)."""
        if update_id not in self._history:
            raise ValueError(f"unknown update_id {update_id}")
        self._insert(_Queued(copy.deepcopy(self._history[update_id]), forced=True))

    def sent(self, chat_id: int) -> list[JSON]:
        """Messages the bot sent to the chat, oldest first. `text`, `caption`, `parse_mode` and
        `reply_markup` are the current values, raw as the bot sent them (edits applied);
        `original` holds the first version and `edits` each applied edit."""
        found = [m for (c, _), m in self._messages.items() if c == chat_id]
        return [m.record() for m in sorted(found, key=lambda m: m.message_id)]

    async def wait_for_messages(
        self,
        chat_id: int,
        n: int,
        timeout: float = 10.0,  # noqa: ASYNC109 -- part of the agreed test-side API
    ) -> list[JSON]:
        deadline = time.monotonic() + timeout
        while len(sent := self.sent(chat_id)) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                texts = [m["text"] or m["caption"] for m in sent]
                raise TimeoutError(f"chat {chat_id}: wanted {n} messages, got {texts}")
            await self._sent_signal.wait(remaining)
        return sent

    def commands(self, language_code: str | None = None, scope: JSON | None = None) -> list[JSON]:
        return copy.deepcopy(self._commands.get(self._commands_key(scope, language_code), []))

    @property
    def pending_updates(self) -> list[JSON]:
        return [copy.deepcopy(q.update) for q in self._queue]

    async def deliver_webhook_updates(self) -> int:
        """Delivers queued updates to the webhook until one fails; returns how many succeeded."""
        delivered = 0
        while self.webhook is not None and self._queue and await self._deliver_one():
            delivered += 1
        return delivered

    async def post_to_webhook(self, update: JSON, secret: str | None = "wrong") -> int:
        """POSTs `update` to the webhook with the given secret header (none if None)."""
        if self.webhook is None or self._session is None:
            raise RuntimeError("no webhook is set")
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        async with self._session.post(self.webhook["url"], json=update, headers=headers) as resp:
            return resp.status

    # ----------------------------------------------------------------- HTTP layer

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw, files = await self._read_params(request)
        params = _normalize(raw)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            handler = self._methods.get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found")
            delays = self._delays.get(method.lower())
            if delays:
                await self._sleep(delays.popleft())
            faults = self._faults.get(method.lower())
            if faults:
                fault = faults.popleft()
                self.calls.append(ApiCall(method, params, fault.status))
                return self._fault_response(fault)
            result = await handler(_Params(params, files))
        except ApiError as exc:
            self.calls.append(ApiCall(method, params, exc.status))
            return web.json_response(exc.body(), status=exc.status)
        self.calls.append(ApiCall(method, params, 200))
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _fault_response(fault: _Fault) -> web.Response:
        if fault.status == 429:
            retry = max(1, fault.retry_after)
            error = ApiError(429, f"Too Many Requests: retry after {retry}", retry)
            return web.json_response(error.body(), status=429)
        if fault.status == 502 and fault.description is None:
            # Telegram's front end answers a 502 with an nginx HTML page, not JSON.
            page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
            return web.Response(text=page, status=502, content_type="text/html")
        description = fault.description or {
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
        }.get(fault.status, "Injected failure")
        return web.json_response(ApiError(fault.status, description).body(), status=fault.status)

    @staticmethod
    async def _read_params(request: web.Request) -> tuple[JSON, dict[str, _Upload]]:
        raw: JSON = dict(request.query)
        files: dict[str, _Upload] = {}
        if not request.can_read_body:
            return raw, files
        if request.content_type == "application/json":
            with contextlib.suppress(ValueError):
                body = await request.json()
                if isinstance(body, dict):
                    raw.update(body)
            return raw, files
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                upload = _Upload(value.filename, value.content_type, value.file.read())
                files[key] = upload
                raw[key] = {"file_name": upload.file_name, "size": len(upload.content)}
            else:
                raw[key] = value
        return raw, files

    async def _handle_file(self, request: web.Request) -> web.Response:
        stored = self._files_by_path.get(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        return web.Response(body=stored.content, content_type=stored.mime_type)

    async def _control_text(self, request: web.Request) -> web.Response:
        body = await request.json()
        update_id = self.user_sends_text(
            int(body["chat_id"]), str(body["text"]), body.get("first_name")
        )
        return web.json_response({"update_id": update_id})

    async def _control_press(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            update_id = self.user_presses(
                int(body["chat_id"]), int(body["message_id"]), str(body["data"])
            )
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"update_id": update_id})

    async def _control_sent(self, request: web.Request) -> web.Response:
        sent = self.sent(int(request.match_info["chat_id"]))
        for record in sent:
            for key in ("photo", "document"):
                if record[key]:
                    del record[key]["content"]
        return web.json_response(sent)

    async def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._closing and (left := deadline - time.monotonic()) > 0:
            await self._updates_signal.wait(left)

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

    # ----------------------------------------------------------------- Bot API methods

    async def _get_me(self, p: _Params) -> JSON:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, p: _Params) -> list[JSON]:
        if self.webhook is not None:
            raise ApiError(409, _ERR_WEBHOOK_ACTIVE)
        offset = p.integer("offset")
        limit = min(100, max(1, p.integer("limit") or 100))
        timeout = max(0, p.integer("timeout") or 0)
        allowed = p.obj("allowed_updates")
        if isinstance(allowed, list):
            # Telegram remembers allowed_updates from the last call that passed them.
            self._allowed_updates = [str(a) for a in allowed] or None
        if offset is not None:
            if offset < 0:
                self._queue = self._queue[offset:]
            else:
                self._queue = [q for q in self._queue if q.forced or q.update_id >= offset]
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_signal.fire()  # terminates an older long poll with 409, like Telegram
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, _ERR_OTHER_POLLER)
            if self.webhook is not None:
                raise ApiError(409, _ERR_WEBHOOK_ACTIVE)
            batch = self._deliverable(self._allowed_updates)[:limit]
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._closing:
                for item in batch:
                    item.forced = False
                return [copy.deepcopy(item.update) for item in batch]
            await self._updates_signal.wait(remaining)

    def _deliverable(self, allowed: list[str] | None) -> list[_Queued]:
        if allowed:
            # Telegram never stores updates of types the bot did not ask for.
            self._queue = [q for q in self._queue if q.kind in allowed]
        return self._queue

    async def _set_webhook(self, p: _Params) -> bool:
        url = p.text("url") or ""
        if not url:
            return await self._delete_webhook(p)
        if not url.startswith(("http://", "https://")):
            raise _bad("bad webhook: Wrong HTTP URL specified")
        secret = p.text("secret_token")
        if secret is not None and not _SECRET_RE.fullmatch(secret):
            raise _bad("secret token contains unallowed characters")
        max_connections = p.integer("max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise _bad("bad webhook: max_connections must be between 1 and 100")
        allowed = p.obj("allowed_updates")
        if p.flag("drop_pending_updates"):
            self._queue.clear()
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": max_connections,
            "allowed_updates": allowed if isinstance(allowed, list) else None,
            "ip_address": p.text("ip_address"),
        }
        self._last_webhook_error = None
        self._updates_signal.fire()
        return True

    async def _delete_webhook(self, p: _Params) -> bool:
        if p.flag("drop_pending_updates"):
            self._queue.clear()
        self.webhook = None
        self._updates_signal.fire()
        return True

    async def _get_webhook_info(self, p: _Params) -> JSON:
        info: JSON = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
            if self.webhook["allowed_updates"] is not None:
                info["allowed_updates"] = self.webhook["allowed_updates"]
            if self._last_webhook_error:
                info["last_error_date"], info["last_error_message"] = self._last_webhook_error
        return info

    async def _send_message(self, p: _Params) -> JSON:
        chat_id = self._target_chat(p)
        plain, entities = self._render(
            p.text("text"), p.text("parse_mode"), p.obj("entities"), caption=False
        )
        markup = self._markup(p, inline_only=False)
        self._charge(chat_id)
        return self._store_message(
            chat_id, "sendMessage", p, plain=plain, entities=entities, markup=markup
        )

    async def _send_media(self, p: _Params, method: str, kind: str) -> JSON:
        chat_id = self._target_chat(p)
        plain, entities = self._render(
            p.text("caption"), p.text("parse_mode"), p.obj("caption_entities"), caption=True
        )
        markup = self._markup(p, inline_only=False)
        stored = self._input_file(p, kind, kind)
        self._charge(chat_id)
        return self._store_message(
            chat_id,
            method,
            p,
            plain=plain,
            entities=entities,
            markup=markup,
            photo=stored if kind == "photo" else None,
            document=stored if kind == "document" else None,
        )

    async def _send_photo(self, p: _Params) -> JSON:
        return await self._send_media(p, "sendPhoto", "photo")

    async def _send_document(self, p: _Params) -> JSON:
        return await self._send_media(p, "sendDocument", "document")

    async def _edit_message_text(self, p: _Params) -> JSON:
        message = self._editable(p)
        if message.text is None:
            raise _bad("there is no text in the message to edit")
        plain, entities = self._render(
            p.text("text"), p.text("parse_mode"), p.obj("entities"), caption=False
        )
        # Leaving out reply_markup removes the keyboard, as on Telegram.
        markup = self._markup(p, inline_only=True)
        if (plain, entities, markup) == (message.plain, message.entities, message.reply_markup):
            raise _bad(_ERR_NOT_MODIFIED.removeprefix("Bad Request: "))
        self._charge(message.chat_id)
        message.text, message.parse_mode = p.text("text"), p.text("parse_mode")
        message.plain, message.entities, message.reply_markup = plain, entities, markup
        return self._record_edit(message, "editMessageText")

    async def _edit_message_reply_markup(self, p: _Params) -> JSON:
        message = self._editable(p)
        markup = self._markup(p, inline_only=True)
        if markup == message.reply_markup:
            raise _bad(_ERR_NOT_MODIFIED.removeprefix("Bad Request: "))
        self._charge(message.chat_id)
        message.reply_markup = markup
        return self._record_edit(message, "editMessageReplyMarkup")

    def _record_edit(self, message: _BotMessage, method: str) -> JSON:
        message.edit_date = int(time.time())
        message.edits.append(
            {
                "method": method,
                "text": message.text,
                "parse_mode": message.parse_mode,
                "reply_markup": copy.deepcopy(message.reply_markup),
                "date": message.edit_date,
            }
        )
        self._sent_signal.fire()
        return self._message_json(message)

    async def _delete_message(self, p: _Params) -> bool:
        chat_id = self._target_chat(p)
        message = self._messages.get((chat_id, p.integer("message_id") or 0))
        if message is None or message.deleted:
            raise _bad("message to delete not found")
        message.deleted = True
        return True

    async def _answer_callback_query(self, p: _Params) -> bool:
        query_id = p.text("callback_query_id") or ""
        text = p.text("text")
        if text is not None and len(text) > CALLBACK_ANSWER_LIMIT:
            raise _bad("MESSAGE_TOO_LONG")
        if query_id not in self._open_callbacks:
            raise ApiError(400, _ERR_QUERY)
        self._open_callbacks.discard(query_id)
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "text": text,
                "show_alert": p.flag("show_alert"),
                "url": p.text("url"),
                "cache_time": p.integer("cache_time"),
            }
        )
        return True

    async def _set_my_commands(self, p: _Params) -> bool:
        commands = p.obj("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        language = p.text("language_code")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _bad("invalid language code specified")
        key = self._commands_key(p.obj("scope"), language)
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _get_my_commands(self, p: _Params) -> list[JSON]:
        return self.commands(p.text("language_code"), p.obj("scope"))

    async def _delete_my_commands(self, p: _Params) -> bool:
        self._commands.pop(self._commands_key(p.obj("scope"), p.text("language_code")), None)
        return True

    async def _set_chat_menu_button(self, p: _Params) -> bool:
        chat_id = self._target_chat(p) if p.raw.get("chat_id") not in (None, "") else None
        button = p.obj("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise _bad("can't parse menu button JSON object")
        self.menu_buttons[chat_id] = button
        return True

    async def _get_chat_menu_button(self, p: _Params) -> JSON:
        chat_id = self._target_chat(p) if p.raw.get("chat_id") not in (None, "") else None
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "commands"}

    async def _send_chat_action(self, p: _Params) -> bool:
        chat_id = self._target_chat(p)
        action = p.text("action") or ""
        if action not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        self.chat_actions.append((chat_id, action))
        return True

    async def _get_file(self, p: _Params) -> JSON:
        stored = self._files.get(p.text("file_id") or "")
        if stored is None:
            raise _bad("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    # ----------------------------------------------------------------- webhook delivery

    async def _webhook_loop(self) -> None:
        while not self._closing:
            if self.webhook is None or not self._queue:
                await self._updates_signal.wait(1.0)
            elif not await self._deliver_one():
                await self._sleep(self.webhook_retry_delay)

    async def _deliver_one(self) -> bool:
        assert self.webhook is not None and self._session is not None
        queue = self._deliverable(self.webhook["allowed_updates"])
        if not queue:
            return False
        item = queue[0]
        headers = {}
        if self.webhook["secret_token"]:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        attempt: JSON = {"update_id": item.update_id, "url": self.webhook["url"]}
        try:
            async with self._session.post(
                self.webhook["url"],
                json=item.update,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
            ) as resp:
                attempt["status"] = resp.status
                error = None if 200 <= resp.status < 300 else f"{resp.status} {resp.reason}"
                reply = await resp.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            attempt["status"] = None
            error = "Connection timed out" if isinstance(exc, TimeoutError) else str(exc)
        attempt["error"] = error
        # Recorded only once finished, so a reader never sees an attempt without its status.
        self.webhook_attempts.append(attempt)
        if error is not None:
            self._last_webhook_error = (
                int(time.time()),
                f"Wrong response from the webhook: {error}",
            )
            return False
        if item in self._queue:
            self._queue.remove(item)
        await self.run_webhook_reply(reply)
        return True

    async def run_webhook_reply(self, body: bytes) -> None:
        """Runs a Bot API method the bot put in its webhook response, as Telegram does.

        The bot never learns the outcome; the call is recorded in ``calls`` like any other.
        """
        try:
            raw = json.loads(body) if body else None
        except ValueError:
            return
        if not isinstance(raw, dict) or not isinstance(raw.get("method"), str):
            return
        method = raw.pop("method")
        params = _normalize(raw)
        handler = self._methods.get(method.lower())
        try:
            if handler is None:
                raise ApiError(404, "Not Found")
            await handler(_Params(params, {}))
        except ApiError as exc:
            self.calls.append(ApiCall(method, params, exc.status, via_webhook=True))
            return
        self.calls.append(ApiCall(method, params, 200, via_webhook=True))
