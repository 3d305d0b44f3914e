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
import time
from collections import deque
from typing import Self

import aiohttp
from aiohttp import web

from tools.botapi_emulator.entities import utf16_len
from tools.botapi_emulator.errors import (
    _BOT_COMMAND_RE,
    JSON,
    ApiError,
)
from tools.botapi_emulator.methods import BotApiMethods, canonical
from tools.botapi_emulator.state import (
    ApiCall,
    _Fault,
    _normalize,
    _Params,
    _Queued,
    _Upload,
)


class BotApiEmulator(BotApiMethods):
    """An in-process Bot API server for end-to-end tests; see the module docstring."""

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

    def clear_faults(self, method: str) -> None:
        """The failures still queued for `method` are dropped: its next calls succeed."""
        self._faults.pop(method.lower(), None)

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
        method = canonical(request.match_info["method"])
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
        method = canonical(raw.pop("method"))
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
