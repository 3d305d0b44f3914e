"""Test helpers: drive the pure engine like a participant, and check Telegram's HTML rules."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from sqlalchemy import text as sql
from sqlalchemy.engine import Engine

from coaching import address, engine, navigation, text
from coaching.model import Event, EventKind, Outcome, Profile, Reply, Snapshot
from tools.seeding import transaction as transaction  # the one definition, shared with bench

if TYPE_CHECKING:
    pass

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-spoiler",
    "span",
    "tg-emoji",
}


@dataclasses.dataclass
class Said:
    key: str
    html: str
    buttons: list[
        tuple[str, str]
    ]  # (value, label); a navigation button's value as its place knows it
    sent: list[str] = dataclasses.field(default_factory=list)  # the values as they go out

    @property
    def plain(self) -> str:
        return text.html_to_plain(self.html)


class Conversation:
    """One participant talking to the pure engine; storage simulated by ``engine.apply``."""

    def __init__(self, snap: Snapshot | None = None) -> None:
        self.snap = snap or Snapshot(Profile(), "onboarding.consent", {}, 0, NOW)
        self.last: list[Said] = []
        self.summaries: list[Said] = []
        self.outcome: Outcome | None = None

    def send(self, event: Event | str) -> list[Said]:
        if isinstance(event, str):
            event = Event.of_text(event)
        self.outcome = engine.handle(self.snap, event)
        self.snap = engine.apply(self.snap, self.outcome)
        you = address.form(self.snap)  # as app/conversations.py renders them: Bapak, Ibu, Anda
        shown = [said(self.snap.locale, r, you=you) for r in self.outcome.replies]
        # A finished step's summary edits the message that asked; what is said anew follows.
        self.summaries = [s for s in shown if s.key == "common.answered"]
        self.last = [s for s in shown if s.key != "common.answered"]
        return self.last

    def press(self, value: str, seq: int | None = None) -> list[Said]:
        return self.send(
            Event(EventKind.CHOICE, choice=value, seq=self.snap.seq if seq is None else seq)
        )

    @property
    def buttons(self) -> list[str]:
        return [value for s in self.last for value, _ in s.buttons]

    def onboard(self, name: str = "Sari Dewi", language: str = "id") -> None:
        self.send("/start")
        self.press("agree")
        self.press(f"lang:{language}")
        self.send(name)
        self.send("Bappeda Kabupaten Karawang")
        self.press("WIB")
        self.press("daily")
        assert self.snap.state == "menu.main"


def said(locale: str, reply: Reply, *, you: str | None = None) -> Said:
    html = text.render(locale, reply.key, you=you, **reply.context)
    buttons = [
        (place_value(o.value), text.button_label(locale, o.label, you=you, **o.context))
        for o in reply.flat_options()
    ]
    return Said(reply.key, html, buttons, [o.value for o in reply.flat_options()])


def place_value(value: str) -> str:
    """``g::menu.main:net`` → ``net``: the value its place offers (coaching/navigation)."""
    nav = navigation.decode(value)
    return nav.value if nav is not None else value


_TAG = re.compile(r"</?(?:" + "|".join(sorted(ALLOWED_TAGS)) + r")(?:\s[^<>]*)?>")
_BARE_AMP = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")


class _TelegramHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.errors.append(f"tag <{tag}> not allowed")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")


def telegram_html_errors(html: str) -> list[str]:
    """What Telegram would refuse in this HTML (tags, nesting, stray ``<``/``&``, length)."""
    parser = _TelegramHTML()
    parser.feed(html)
    parser.close()
    errors = list(parser.errors)
    if parser.stack:
        errors.append(f"unclosed {parser.stack}")
    stripped = _TAG.sub("", html)
    if "<" in stripped or ">" in stripped:
        errors.append("stray < or >")
    if _BARE_AMP.search(stripped):
        errors.append("stray &")
    visible = text.visible_length(html)
    if not 1 <= visible <= text.TELEGRAM_TEXT_MAX:
        errors.append(f"visible length {visible}")
    return errors


def context_of(**kwargs: Any) -> dict[str, Any]:
    return kwargs


_BLOCKED = "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'"


async def until_a_lock_is_waited_for(other: Engine) -> None:
    """Return once a PostgreSQL transaction waits for another's row lock: the event a test of
    lock waiting means (no sleep). ``other``: an engine whose pool the waiting job does not use."""
    with other.connect() as watcher:
        while not watcher.execute(sql(_BLOCKED)).scalar_one():
            await asyncio.to_thread(lambda: None)  # the event loop runs the waiting job meanwhile
