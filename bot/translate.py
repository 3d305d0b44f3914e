"""Telegram ``Update`` → the engine's ``Event`` and the participant's ``Identity``."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType

from app.conversations import Identity
from bot.callback import CallbackData
from coaching.model import Document, Event, EventKind

INCOMING_TEXT_MAX = 10_000  # Telegram caps at 4096; this guards against anything else
_MEDIA = (
    "sticker",
    "photo",
    "voice",
    "video",
    "video_note",
    "audio",
    "animation",
    "location",
    "contact",
    "poll",
    "dice",
    "venue",
)


def identity_of(update: Update) -> Identity | None:
    """Private chats only: a coaching conversation is one person's."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE or user.is_bot:
        return None
    hint = (user.language_code or "")[:2].lower() or None
    return Identity(f"tg:{user.id}", "telegram", chat.id, hint)


def event_of(update: Update) -> Event | None:
    if update.callback_query is not None:
        data = CallbackData.decode(update.callback_query.data)
        if data is None:  # forged or from another version: treat as a stale button
            return Event(EventKind.CHOICE, choice="", seq=-1)
        return Event(EventKind.CHOICE, choice=data.value, seq=data.seq)
    message = update.message
    if message is None:
        return None  # edits, channel posts, member updates: nothing to coach
    if message.text is not None:
        return Event.of_text(message.text[:INCOMING_TEXT_MAX])
    if message.document is not None:
        doc = message.document
        return Event(
            EventKind.DOCUMENT,
            document=Document(doc.file_name or "", doc.mime_type or "", doc.file_size or 0),
        )
    media = next((kind for kind in _MEDIA if getattr(message, kind, None)), "other")
    return Event(EventKind.UNSUPPORTED, media=media)
