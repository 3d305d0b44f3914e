"""Typed text that means a button (coaching/engine.py): its words, a list item's number, or
part of a list item's name; and, when nothing fits, a reply that says what was typed and what to
type instead.

- Every step: the button's whole text (``Kuat``) taps it.
- A numbered list (coaching/flows/picker.py, every page): the number shown (``12``), or part of
  an item's name (``budi``: one match is chosen, several are offered as buttons).
- Lists and lesson pages (the menu, the plans, exercises and maps lists, a lesson's pages): text
  the step refused is read as part of a button's words (``latihan 2``, ``budi``, ``lanjut``).
  Nowhere else: where a step asks something, "ya" must never tap "Ya, hapus semua".
- A number chooses only where numbers are shown on the buttons.
"""

from __future__ import annotations

import dataclasses

from coaching import names, navigation, text
from coaching.address import form
from coaching.flows.base import Flow
from coaching.model import Event, EventKind, Option, Outcome, Reply, Snapshot
from coaching.validate import is_number, normalise

__all__ = ["FOUND_MAX", "ITEMS", "by_words", "find", "items", "not_found", "refused"]

ITEMS = ("pick:", "toggle:")  # a list's items (coaching/flows/picker.py), numbered
PAGES_MAX = 100  # 800 items: a list is never longer (maps are bounded well below)
FOUND_MAX = 8  # matches shown as buttons; more ask for more letters
TYPED_SHOWN = 40  # what was typed, as a reply quotes it
GENERIC = "common.use_buttons"  # a step's refusal that says nothing of what was typed
_LESSONS = ("bab2.", "bab3.", "bab5.")
_PAGING = ("page:",)


def items(snap: Snapshot, flow: Flow) -> list[Option]:
    """Every item of the step's list, on every page (a list shows one page at a time)."""
    found: list[Option] = []
    for page in range(PAGES_MAX):
        paged = dataclasses.replace(snap, data={**snap.data, "page": page}) if page else snap
        options = [o for r in flow.prompt(paged) for o in r.flat_options()]
        found += [o for o in options if o.value.startswith(ITEMS)]
        if not any(o.value == "page:next" for o in options):
            break
    return found


def _options(snap: Snapshot, flow: Flow) -> list[Option]:
    return [o for reply in flow.prompt(snap) for o in reply.flat_options()]


def _label(snap: Snapshot, option: Option) -> str:
    return text.button_label(snap.locale, option.label, you=form(snap), **option.context)


def find(snap: Snapshot, event: Event, flow: Flow) -> Event | Outcome:
    """Typed text that means a button: its label (``Kuat``), a list item's number (``12``),
    or part of a list item's name (``budi``: one match is chosen; several are offered)."""
    if event.kind is not EventKind.TEXT:
        return event
    options = _options(snap, flow)
    if not options:
        return event
    typed = normalise(event.text).casefold()
    for option in options:
        if normalise(_label(snap, option)).casefold() == typed:
            return Event(EventKind.CHOICE, choice=option.value)
    if not any(o.value.startswith(ITEMS) for o in options):
        return event  # no list here: a number is no button (none shows one)
    listed = items(snap, flow)
    if is_number(typed):
        number = int(typed)
        chosen = [o for o in listed if o.context.get("number") == number]
        return Event(EventKind.CHOICE, choice=chosen[0].value) if chosen else event
    found = names.find_items(typed, [str(o.context.get("name", "")) for o in listed])
    if found is None:
        return event
    return _chosen(snap, event, [listed[i] for i in found])


def _chosen(snap: Snapshot, event: Event, matches: list[Option]) -> Event | Outcome:
    if len(matches) == 1:
        return Event(EventKind.CHOICE, choice=matches[0].value)
    shown = tuple((o,) for o in matches[:FOUND_MAX])
    context = {"typed": event.text.strip()[:TYPED_SHOWN], "count": len(matches), "max": FOUND_MAX}
    reply = Reply("common.found", context, shown)
    return Outcome(snap.state, snap.data, replies=(reply,), changed=False, reprompt=False)


def refused(snap: Snapshot, event: Event, outcome: Outcome) -> bool:
    """Typed text the step did not take, answered only with the generic "use the buttons"."""
    return (
        event.kind is EventKind.TEXT
        and bool(normalise(event.text))
        and not outcome.changed
        and not outcome.effects
        and outcome.state == snap.state
        and any(r.key == GENERIC for r in outcome.replies)
    )


def readable(state: str) -> bool:
    """A place or a lesson page: its buttons are read, so typed words may choose one."""
    return state in navigation.PLACES or state.startswith(_LESSONS)


def by_words(snap: Snapshot, event: Event, flow: Flow) -> Event | Outcome | None:
    """Refused text read as part of a button's words in a list or on a lesson page
    (``latihan 2``, ``budi``, ``lanjut``); None when no button fits or this step is neither."""
    typed = normalise(event.text).casefold()
    if not readable(snap.state) or is_number(typed):
        return None  # a number chooses only where numbers are shown (find)
    options = [o for o in _options(snap, flow) if not o.value.startswith(_PAGING)]
    # Words that start the buttons' words only: no near misses where nothing was asked.
    found = names.find_items(typed, [_label(snap, o) for o in options], near=False)
    if not found:
        return None
    return _chosen(snap, event, [options[i] for i in found])


def not_found(snap: Snapshot, event: Event, flow: Flow, outcome: Outcome) -> Outcome:
    """The generic refusal replaced by what was typed and what to type instead: part of a
    button's words (one of them as an example) or, in a numbered list, a number shown."""
    options = [o for o in _options(snap, flow) if not o.value.startswith(_PAGING)]
    if not options:
        return outcome
    listed = items(snap, flow)
    numbers = [int(n) for o in listed if isinstance(n := o.context.get("number"), int)]
    example = str(listed[0].context.get("name", "")) if listed else _label(snap, options[0])
    context = {
        "typed": event.text.strip()[:TYPED_SHOWN],
        "example": example[:TYPED_SHOWN],
        "first": min(numbers, default=0),
        "last": max(numbers, default=0),
    }
    missed = Reply("common.not_found", context)
    replies = tuple(missed if r.key == GENERIC else r for r in outcome.replies)
    return dataclasses.replace(outcome, replies=replies)
