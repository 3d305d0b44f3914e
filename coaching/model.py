"""Plain data that crosses the engine boundary: what comes in, what goes out.

The engine is a pure function ``(Snapshot, Event) -> Outcome``. Transports (Telegram, the
terminal) build events and render replies; storage loads snapshots and applies effects. Nothing
here knows about either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    COMMAND = "command"
    DOCUMENT = "document"
    UNSUPPORTED = "unsupported"  # stickers, photos, voice...: answered with a re-ask


@dataclass(frozen=True)
class Document:
    file_name: str
    mime_type: str
    size: int
    content: bytes = b""


@dataclass(frozen=True)
class Event:
    """One thing the participant did."""

    kind: EventKind
    text: str = ""
    command: str = ""  # lower-case, without the slash; ``text`` holds its arguments
    choice: str = ""  # option value for CHOICE
    seq: int = 0  # conversation step the button belonged to; 0 = typed, not a button
    document: Document | None = None
    media: str = ""  # what UNSUPPORTED was ("sticker", "photo", ...)

    @staticmethod
    def of_text(text: str) -> Event:
        """Parse typed text: ``/cmd@bot args`` becomes a command, anything else text."""
        stripped = text.strip()
        if stripped.startswith("/") and len(stripped) > 1:
            head, _, args = stripped[1:].partition(" ")
            name = head.split("@", 1)[0].lower()
            if name and all(c.isascii() and (c.isalnum() or c == "_") for c in name):
                return Event(EventKind.COMMAND, text=args.strip(), command=name)
        return Event(EventKind.TEXT, text=text)


@dataclass(frozen=True)
class Option:
    """A button: ``value`` travels back as the choice, ``label`` is a message key."""

    value: str
    label: str
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """A message to send: a template key with its context and button rows."""

    key: str
    context: Mapping[str, Any] = field(default_factory=dict)
    options: tuple[tuple[Option, ...], ...] = ()

    def flat_options(self) -> tuple[Option, ...]:
        return tuple(option for row in self.options for option in row)


# --- effects: what storage must persist, decided by the engine --------------------------------


@dataclass(frozen=True)
class UpdateProfile:
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class RecordConsent:
    version: str


@dataclass(frozen=True)
class SaveAnswer:
    exercise: str
    text: str


@dataclass(frozen=True)
class JoinCohort:
    code: str


Effect = UpdateProfile | RecordConsent | SaveAnswer | JoinCohort


@dataclass(frozen=True)
class Profile:
    name: str | None = None
    unit: str | None = None
    language: str = "id"
    timezone: str | None = None
    reminder: str | None = None
    consent_at: datetime | None = None


@dataclass(frozen=True)
class Snapshot:
    """Everything the engine may read about one participant, loaded in one transaction."""

    profile: Profile
    state: str
    data: Mapping[str, Any]
    seq: int
    now: datetime
    answers: Mapping[str, str] = field(default_factory=dict)
    completed: frozenset[str] = frozenset()

    @property
    def locale(self) -> str:
        return self.profile.language


@dataclass(frozen=True)
class Outcome:
    """The engine's verdict: next state, what to store, what to say.

    ``toast`` answers a button press without a chat message (e.g. a stale button): it changes
    nothing, so a double tap has one effect.
    """

    state: str
    data: Mapping[str, Any] = field(default_factory=dict)
    effects: tuple[Effect, ...] = ()
    replies: tuple[Reply, ...] = ()
    toast: str | None = None
    changed: bool = True
    reprompt: bool = True  # follow the replies with the (new) state's prompt
