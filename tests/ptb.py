"""Real PTB objects for handler tests: an Application whose HTTP layer records instead of
calling Telegram, and builders for real ``Update`` objects (as PTB's own tests do)."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

from telegram import (
    CallbackQuery,
    Chat,
    Document,
    Message,
    MessageEntity,
    PhotoSize,
    Sticker,
    Update,
    User,
)
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from tools.botapi_emulator.methods import canonical

BOT = {"id": 42, "is_bot": True, "first_name": "Jejaring", "username": "jejaring_test_bot"}


class RecordingRequest(BaseRequest):
    """Answers like the Bot API and keeps every call: ``calls`` of (method, parameters)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._ids = itertools.count(1)
        self.fail: dict[str, tuple[int, dict[str, Any]]] = {}
        self.file_content = b"source,target\nA,B\n"

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float:
        return 5.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        if "/file/bot" in url:  # a download: the file's bytes, not JSON
            self.calls.append(("download", {"url": url}))
            return 200, self.file_content
        api = canonical(url.rsplit("/", 1)[-1])  # the sender calls "sendmessage"
        params = dict(request_data.parameters) if request_data else {}
        if api in self.fail:
            status, body = self.fail.pop(api)
            return status, json.dumps(body).encode()
        self.calls.append((api, params))
        result: Any = True
        if api == "getMe":
            result = BOT
        elif api == "getFile":
            result = {
                "file_id": params["file_id"],
                "file_unique_id": "u1",
                "file_size": len(self.file_content),
                "file_path": "documents/file.csv",
            }
        elif api in ("sendMessage", "sendPhoto"):
            result = {
                "message_id": next(self._ids),
                "date": int(datetime.now(UTC).timestamp()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": BOT,
                "text": params.get("text") or params.get("caption", ""),
            }
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def sent(self) -> list[dict[str, Any]]:
        return [p for m, p in self.calls if m == "sendMessage"]

    def answers(self) -> list[dict[str, Any]]:
        return [p for m, p in self.calls if m == "answerCallbackQuery"]


def application(request: RecordingRequest) -> Application:  # type: ignore[type-arg]
    return (
        Application.builder()
        .token("123:TEST")
        .request(request)
        .get_updates_request(RecordingRequest())
        .updater(None)
        .build()
    )


class Person:
    """A participant in a private chat, producing real Update objects for one bot."""

    _updates = itertools.count(1)

    def __init__(self, app: Application, user_id: int = 1001, language: str = "id") -> None:  # type: ignore[type-arg]
        self.app = app
        self.user = User(user_id, "Sari", False, language_code=language)
        self.chat = Chat(user_id, Chat.PRIVATE)
        self._messages = itertools.count(1)

    def _message(self, **kwargs: Any) -> Message:
        message = Message(
            next(self._messages), datetime.now(UTC), self.chat, from_user=self.user, **kwargs
        )
        message.set_bot(self.app.bot)
        return message

    def text(self, text: str, update_id: int | None = None) -> Update:
        entities = []
        if text.startswith("/"):
            entities = [MessageEntity(MessageEntity.BOT_COMMAND, 0, len(text.split()[0]))]
        return self._update(self._message(text=text, entities=entities), update_id)

    def sticker(self) -> Update:
        sticker = Sticker("s1", "u1", 512, 512, False, False, Sticker.REGULAR)
        return self._update(self._message(sticker=sticker))

    def photo(self) -> Update:
        return self._update(self._message(photo=(PhotoSize("p1", "u1", 90, 90),)))

    def document(self, name: str = "peta.csv") -> Update:
        doc = Document("d1", "u1", file_name=name, mime_type="text/csv", file_size=10)
        doc.set_bot(self.app.bot)
        return self._update(self._message(document=doc))

    def press(self, data: str, update_id: int | None = None) -> Update:
        bot_message = Message(999, datetime.now(UTC), self.chat, from_user=User(**BOT))
        query = CallbackQuery(
            f"cq{next(self._updates)}",
            self.user,
            chat_instance="ci",
            message=bot_message,
            data=data,
        )
        query.set_bot(self.app.bot)
        return self._update(callback_query=query, update_id=update_id)

    def _update(
        self,
        message: Message | None = None,
        update_id: int | None = None,
        callback_query: CallbackQuery | None = None,
    ) -> Update:
        update = Update(
            update_id if update_id is not None else next(self._updates),
            message=message,
            callback_query=callback_query,
        )
        update.set_bot(self.app.bot)
        return update
