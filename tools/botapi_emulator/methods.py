"""The Bot API methods the emulator answers, each as Telegram would (see ``server``)."""

from __future__ import annotations

import copy
import functools
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tools.botapi_emulator.core import EmulatorState
from tools.botapi_emulator.errors import (
    _CHAT_ACTIONS,
    _COMMAND_RE,
    _ERR_NOT_MODIFIED,
    _ERR_OTHER_POLLER,
    _ERR_QUERY,
    _ERR_WEBHOOK_ACTIVE,
    _SECRET_RE,
    CALLBACK_ANSWER_LIMIT,
    JSON,
    ApiError,
    _bad,
)
from tools.botapi_emulator.state import (
    _BotMessage,
    _Params,
)

# Each method as the Bot API spells it, and its handler. Telegram takes a method's name in any
# case (a bot may call ``sendmessage``); the calls the emulator records carry these spellings,
# so tests and benches compare one spelling whatever the client sent.
_HANDLERS = {
    "getMe": "_get_me",
    "getUpdates": "_get_updates",
    "setWebhook": "_set_webhook",
    "deleteWebhook": "_delete_webhook",
    "getWebhookInfo": "_get_webhook_info",
    "sendMessage": "_send_message",
    "sendPhoto": "_send_photo",
    "sendDocument": "_send_document",
    "editMessageText": "_edit_message_text",
    "editMessageReplyMarkup": "_edit_message_reply_markup",
    "deleteMessage": "_delete_message",
    "answerCallbackQuery": "_answer_callback_query",
    "setMyCommands": "_set_my_commands",
    "getMyCommands": "_get_my_commands",
    "deleteMyCommands": "_delete_my_commands",
    "setChatMenuButton": "_set_chat_menu_button",
    "getChatMenuButton": "_get_chat_menu_button",
    "sendChatAction": "_send_chat_action",
    "getFile": "_get_file",
}
_CANONICAL = {name.lower(): name for name in _HANDLERS}


def canonical(method: str) -> str:
    """The Bot API's spelling of a method named in any case (unknown names as given)."""
    return _CANONICAL.get(method.lower(), method)


class BotApiMethods(EmulatorState):
    """getMe, getUpdates, the webhook's set-up, sending and editing messages, callback answers,
    commands, the menu button, chat actions and files."""

    @functools.cached_property
    def _methods(self) -> dict[str, Callable[[_Params], Awaitable[Any]]]:
        """Each method by its lower-cased name."""
        return {name.lower(): getattr(self, handler) for name, handler in _HANDLERS.items()}

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
