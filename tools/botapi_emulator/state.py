"""What the emulator keeps: chats, messages, files, queued updates, injected faults, flood control's
token buckets; and request parameters decoded as PTB sends them."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from tools.botapi_emulator.errors import (
    _BOOL_KEYS,
    _BUTTON_ACTIONS,
    _INT_KEYS,
    _JSON_KEYS,
    _URL_RE,
    CALLBACK_DATA_LIMIT,
    JSON,
    _bad,
)

# --------------------------------------------------------------------------- state


class TokenBucket:
    """Flood control: `capacity` messages at once, refilled at `rate` per second."""

    def __init__(self, capacity: float, rate: float, clock: Callable[[], float]) -> None:
        self.capacity = capacity
        self.rate = rate
        self._clock = clock
        self._tokens = capacity
        self._last = clock()

    def wait_time(self) -> float:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    def take(self) -> None:
        self._tokens -= 1


class ApiCall(NamedTuple):
    method: str
    params: JSON
    status: int
    via_webhook: bool = False  # given in the bot's webhook response, not a request of its own


@dataclass
class _Upload:
    file_name: str
    mime_type: str
    content: bytes


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str
    mime_type: str
    content: bytes

    def info(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "size": len(self.content),
            "content": self.content,
        }


@dataclass
class _Chat:
    id: int
    first_name: str
    language_code: str | None = None
    username: str | None = None
    blocked: bool = False

    def user_json(self) -> JSON:
        user: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def chat_json(self) -> JSON:
        chat: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass
class _BotMessage:
    chat_id: int
    message_id: int
    date: int
    method: str
    text: str | None
    caption: str | None
    parse_mode: str | None
    plain: str
    entities: list[JSON]
    reply_markup: JSON | None
    photo: _StoredFile | None = None
    document: _StoredFile | None = None
    edits: list[JSON] = field(default_factory=list)
    edit_date: int | None = None
    deleted: bool = False
    original: JSON = field(default_factory=dict)

    def record(self) -> JSON:
        return copy.deepcopy(
            {
                "chat_id": self.chat_id,
                "message_id": self.message_id,
                "date": self.date,
                "method": self.method,
                "text": self.text,
                "caption": self.caption,
                "parse_mode": self.parse_mode,
                "visible_text": self.plain,
                "entities": self.entities,
                "reply_markup": self.reply_markup,
                "photo": self.photo.info() if self.photo else None,
                "document": self.document.info() if self.document else None,
                "edits": self.edits,
                "original": self.original,
                "deleted": self.deleted,
            }
        )


@dataclass
class _Queued:
    update: JSON
    forced: bool = False  # redelivered: returned once even if the offset already passed it

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def kind(self) -> str:
        return next(k for k in self.update if k != "update_id")


@dataclass
class _Fault:
    status: int
    retry_after: int
    description: str | None


class _Signal:
    """Wakes every current waiter; sync test helpers can fire it without awaiting a lock."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        event = self._event
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, seconds)):
                await event.wait()


class _Params:
    def __init__(self, raw: JSON, files: dict[str, _Upload]) -> None:
        self.raw = raw
        self.files = files

    def text(self, name: str) -> str | None:
        value = self.raw.get(name)
        return None if value is None else str(value)

    def integer(self, name: str) -> int | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return int(str(value))
        except ValueError:
            raise _bad(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        value = self.raw.get(name)
        return value is True or str(value).lower() in ("true", "1")

    def obj(self, name: str) -> Any:
        value = self.raw.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                what = "reply keyboard markup" if name == "reply_markup" else name
                raise _bad(f"can't parse {what} JSON object") from None
        return value


def _normalize(raw: JSON) -> JSON:
    out: JSON = {}
    for key, value in raw.items():
        if isinstance(value, str):
            if key in _INT_KEYS:
                with contextlib.suppress(ValueError):
                    value = int(value)
            elif key in _BOOL_KEYS:
                value = value.lower() in ("true", "1")
            elif key in _JSON_KEYS:
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
        out[key] = value
    return out


def _check_markup(markup: Any, *, inline_only: bool) -> JSON:
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if inline_only or not {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
            raise _bad("can't parse reply keyboard markup JSON object")
        return markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    for row in rows:
        for button in row:
            if not isinstance(button, dict):
                raise _bad(
                    "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            text = button.get("text")
            if not isinstance(text, str) or not text.strip():
                raise _bad(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            actions = [k for k in _BUTTON_ACTIONS if k in button]
            if not actions:
                raise _bad(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline "
                    "keyboard"
                )
            if len(actions) > 1:
                raise _bad(
                    "can't parse inline keyboard button: exactly one of the optional fields "
                    f"must be used, got {', '.join(actions)}"
                )
            data = button.get("callback_data")
            if "callback_data" in button and (
                not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT
            ):
                raise _bad("BUTTON_DATA_INVALID")
            url = button.get("url")
            if "url" in button and (not isinstance(url, str) or not _URL_RE.fullmatch(url)):
                raise _bad(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
    return markup
