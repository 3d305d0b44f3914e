"""Navigation buttons: buttons that carry what they mean, so they work from any older message.

The menu, the map's page and the lists (exercises, KLTB stakeholders, plans, maps, actors to
edit) are places, not questions: a button there means "open X" whenever it is tapped. The
engine sends their buttons as ``g:<check>:<state>:<value>`` — the state that offered the button
and its value — instead of tying them to the step that showed them (``seq``). A tap on one from
an older message opens that place and does what the button says there, if the place still
offers that button:

- ``check`` is empty for buttons whose value says everything (``m:bab2``, ``x:bab2.latihan1``,
  ``map:12``, ``analyse``); for a button that points into a list by position (``pick:3``,
  ``p:0``) it is a 4-hex fingerprint of what the button showed, so a list that changed since
  makes the tap stale instead of opening someone else;
- buttons that change something each time they are tapped (undo, redo, a one-tap tie) are no
  navigation: they stay tied to their step, so a double tap changes nothing twice.

Everything else (answer buttons of a question) keeps ``seq``: once that step is finished its
buttons are stale, and the engine edits the finished step's message to a one-line summary.
"""

from __future__ import annotations

import dataclasses
import re
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from coaching.model import Option, Reply

__all__ = ["PREFIX", "Nav", "decode", "navigable", "place_data", "summarised"]

PREFIX = "g:"
VALUE_MAX = 48  # bot/callback.py: a value is at most 48 ASCII characters
_INDEXED = re.compile(r"^[a-z]+:\d+$")
_NEVER = ("undo", "redo", "know:")  # each tap changes the map: tied to its step


def _module(value: str) -> dict[str, Any]:
    return {"module": value.removeprefix("x:").split(".", 1)[0]}


def _page(value: str) -> dict[str, Any]:
    head, _, number = value.partition(":")
    return {"page": int(number) // 8} if head == "pick" and number.isdigit() else {}


# The places, and the data a place needs to show what it showed (from the button's value).
PLACES: Mapping[str, Callable[[str], dict[str, Any]]] = {
    "menu.main": lambda value: {},
    "network.home": lambda value: {},
    "network.maps": lambda value: {},
    "network.edit_pick": _page,
    "exercises.list": _module,
    "kltb.pick": _page,
    "plans.list": lambda value: {},
}


@dataclasses.dataclass(frozen=True)
class Nav:
    state: str
    value: str
    check: str


def navigable(state: str, replies: tuple[Reply, ...]) -> tuple[Reply, ...]:
    """The replies of ``state``'s prompt with its navigation buttons made ``g:`` buttons."""
    if state not in PLACES:
        return replies
    return tuple(
        dataclasses.replace(
            reply,
            options=tuple(tuple(_nav_option(state, o) for o in row) for row in reply.options),
        )
        if reply.options
        else reply
        for reply in replies
    )


# Lessons are read: their pages keep their text (and scrolling back reads them again).
_READ = ("bab2.", "bab3.", "bab5.")


def summarised(state: str) -> bool:
    """Whether a step answered with a button has its message edited to a one-line summary:
    a question's, yes; a place's (it stays useful) or a lesson page's (it is read), no."""
    return state not in PLACES and not state.startswith(_READ)


def decode(value: str) -> Nav | None:
    """A ``g:`` value's parts; None if it is malformed or names no place."""
    parts = value.split(":", 3)
    if len(parts) != 4 or parts[0] != PREFIX[:-1] or parts[2] not in PLACES:
        return None
    return Nav(parts[2], parts[3], parts[1])


def place_data(nav: Nav) -> dict[str, Any]:
    return PLACES[nav.state](nav.value)


def matches(nav: Nav, option: Option) -> bool:
    """The option the place offers now is the one the button showed."""
    return option.value == nav.value and is_nav(option) and fingerprint(option) == nav.check


def is_nav(option: Option) -> bool:
    return not option.value.startswith(_NEVER)


def fingerprint(option: Option) -> str:
    if not _INDEXED.match(option.value):
        return ""
    shown = repr(sorted((k, str(v)) for k, v in option.context.items()))
    return f"{zlib.crc32(shown.encode()) & 0xFFFF:04x}"


def _nav_option(state: str, option: Option) -> Option:
    if not is_nav(option):
        return option
    value = f"{PREFIX}{fingerprint(option)}:{state}:{option.value}"
    if len(value) > VALUE_MAX:
        return option
    return dataclasses.replace(option, value=value)
