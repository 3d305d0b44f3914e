"""Sends outbox payloads through PTB and classifies Telegram's answers for the outbox."""

from __future__ import annotations

import io
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from app.dashboard import DashboardLinks
from app.rendering import RenderError, draw, picture_and_text
from bot.callback import CallbackData
from storage.outbox_records import SendResult, Verdict

# The Bot API methods the hot path calls by name. Lower case: Telegram's method names are
# case-insensitive, and ``Bot.do_api_request`` warns when the name is one of PTB's own methods
# (``sendMessage``), to point at the typed method — whose parsing of the answer into PTB
# objects is what calling by name saves (nothing here reads the sent message).
SEND_MESSAGE = "sendmessage"
EDIT_MESSAGE_TEXT = "editmessagetext"
_NO_PREVIEW = {"is_disabled": True}


def markup(payload: dict[str, Any], links: DashboardLinks | None = None) -> dict[str, Any] | None:
    """The payload's buttons as the Bot API's ``InlineKeyboardMarkup`` JSON, ready to send; a
    Mini App button opens ``PUBLIC_URL`` + its path, and is left out unless that address is
    public HTTPS (Telegram opens nothing else). ``links``: the service's configuration, else
    the environment's."""
    stored = payload.get("buttons")
    if not stored:
        return None
    seq = int(payload.get("seq", 0))
    if links is None and any(b.get("web_app") for row in stored for b in row):
        links = DashboardLinks.from_env()
    public = links.public_url if links is not None and links.secure else None
    rows = []
    for row in stored:
        buttons: list[dict[str, Any]] = []
        for b in row:
            if b.get("web_app"):
                if public:
                    url = public.rstrip("/") + str(b["web_app"])
                    buttons.append({"text": b["label"], "web_app": {"url": url}})
                continue
            data = CallbackData(seq, b["value"]).encode()
            buttons.append({"text": b["label"], "callback_data": data})
        if buttons:
            rows.append(buttons)
    return {"inline_keyboard": rows} if rows else None


def keyboard(
    payload: dict[str, Any], links: DashboardLinks | None = None
) -> InlineKeyboardMarkup | None:
    """:func:`markup` as PTB's objects, for the typed methods (a photo, a document)."""
    json = markup(payload, links)
    if json is None:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b["text"], web_app=WebAppInfo(b["web_app"]["url"]))
                if "web_app" in b
                else InlineKeyboardButton(b["text"], callback_data=b["callback_data"])
                for b in row
            ]
            for row in json["inline_keyboard"]
        ]
    )


class TelegramSender:
    channel = "telegram"

    def __init__(self, bot: Bot, links: DashboardLinks | None = None) -> None:
        self.bot = bot
        self.links = links  # where a Mini App button points (None: the environment says)

    async def send(self, chat_id: int, payload: dict[str, Any]) -> SendResult:
        problem: str | None = None
        try:
            if (payload.get("attachment") or {}).get("type") == "document":
                await self._document(chat_id, payload)
            elif payload.get("attachment"):
                problem = await self._photo(chat_id, payload)
            elif payload.get("edit_message_id") and (
                await self._edit(chat_id, payload) or payload.get("summary")
            ):
                pass  # edited; a summary that cannot be edited in is left out, not sent anew
            else:
                await self.bot.do_api_request(SEND_MESSAGE, self._message(chat_id, payload))
        except RenderError as exc:  # the renderer died: a fresh one may draw it
            return SendResult(Verdict.RETRY, None, str(exc))
        except RetryAfter as exc:
            retry = exc.retry_after
            seconds = retry.total_seconds() if hasattr(retry, "total_seconds") else float(retry)
            return SendResult(Verdict.RETRY, seconds, str(exc))
        except Forbidden as exc:
            return SendResult(Verdict.BLOCKED, None, str(exc))
        except BadRequest as exc:
            return SendResult(Verdict.FAILED, None, str(exc))
        except (NetworkError, TelegramError) as exc:  # 5xx, timeouts, connection errors
            return SendResult(Verdict.RETRY, None, f"{type(exc).__name__}: {exc}")
        return SendResult(Verdict.DELIVERED, problem=problem)

    def _message(self, chat_id: int, payload: dict[str, Any]) -> dict[str, Any]:
        """A text message's parameters as the Bot API takes them."""
        message: dict[str, Any] = {
            "chat_id": chat_id,
            "text": payload["text"],
            "parse_mode": ParseMode.HTML.value,
            "link_preview_options": _NO_PREVIEW,
        }
        buttons = markup(payload, self.links)
        if buttons is not None:
            message["reply_markup"] = buttons
        return message

    async def _photo(self, chat_id: int, payload: dict[str, Any]) -> str | None:
        """Send the picture, or its caption alone; what kept the picture out, if anything."""
        png, text, problem = await picture_and_text(payload)
        if png is None:
            await self.bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(payload, self.links),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
            return problem
        await self.bot.send_photo(
            chat_id,
            InputFile(io.BytesIO(png), filename="peta-jejaring.png"),
            caption=text,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(payload, self.links),
        )
        return None

    async def _document(self, chat_id: int, payload: dict[str, Any]) -> None:
        data = await draw(payload["attachment"])
        name = str(payload["attachment"].get("filename") or "jejaring.dat")
        await self.bot.send_document(
            chat_id,
            InputFile(io.BytesIO(data), filename=name),
            caption=payload["text"],
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(payload, self.links),
        )

    async def _edit(self, chat_id: int, payload: dict[str, Any]) -> bool:
        """Replace the pressed message; False when it cannot be edited (then send anew)."""
        edit = {**self._message(chat_id, payload), "message_id": int(payload["edit_message_id"])}
        try:
            await self.bot.do_api_request(EDIT_MESSAGE_TEXT, edit)
        except BadRequest as exc:
            # "Not modified": a repeated toggle, the message already shows this. Anything else
            # (too old, deleted) means the reply goes out as a new message.
            return "not modified" in str(exc).lower()
        return True
