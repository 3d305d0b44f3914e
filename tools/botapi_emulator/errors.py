"""The Bot API's limits and error answers, as the emulator gives them."""

from __future__ import annotations

import re
from typing import Any

JSON = dict[str, Any]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
ENTITY_LIMIT = 100
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200

_ERR_QUERY = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_ERR_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_ERR_WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_ERR_OTHER_POLLER = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)

# PTB sends form fields as strings; these keys are decoded so that `calls` and the handlers see
# the same values whether the client used JSON, urlencoded or multipart.
# fmt: off
_INT_KEYS = frozenset({
    "chat_id", "message_id", "offset", "limit", "timeout", "max_connections", "cache_time",
})
_BOOL_KEYS = frozenset({"show_alert", "drop_pending_updates", "disable_notification"})
_JSON_KEYS = frozenset({
    "reply_markup", "allowed_updates", "commands", "scope", "menu_button", "entities",
    "caption_entities", "reply_parameters", "link_preview_options",
})
_BUTTON_ACTIONS = (
    "callback_data", "url", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)
_CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})
_SCOPE_TYPES = frozenset({
    "default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
    "chat_administrators", "chat_member",
})
# fmt: on
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_BOT_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?")
_URL_RE = re.compile(r"(?:https?|tg)://\S+")


class ApiError(Exception):
    """A Bot API error answer; raised anywhere inside request handling."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> JSON:
        out: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            out["parameters"] = {"retry_after": self.retry_after}
        return out


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")
