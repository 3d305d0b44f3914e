"""A due date typed as people type it, echoed as a concrete date to confirm with one tap.

Steps that ask "when?" (a KLTB step's next action, a planned tie, a plan's new date) offer
quick buttons and take typed text: ``besok``, ``senin depan``, ``15/12``, ``akhir bulan``,
``2 minggu lagi``, ``next friday`` (:mod:`coaching.dates`, relative to the participant's local
day). A typed day is not stored yet: the step asks again with a first button naming the day it
understood ("✓ Kamis, 17 Des 2026"); that button carries the day itself (``day:2026-12-17``),
so it means the same whenever it is tapped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from coaching import dates, schedule
from coaching.flows.common import note, stay
from coaching.model import Event, EventKind, Option, Outcome, Snapshot

__all__ = [
    "AHEAD_MAX",
    "NO_DUE",
    "PREFIX",
    "Due",
    "confirm_rows",
    "due_of",
    "due_rows",
    "local_today",
    "read",
]

PREFIX = "day:"
AHEAD_MAX = timedelta(days=730)  # a later date is more likely a typo than a plan
KEY = "typed_day"
NO_DUE = "nodue"  # the button for "no date"


def due_at(snap: Snapshot, day: date) -> datetime:
    """A planned day as an instant: the participant's reminder time that day, in their zone."""
    at = schedule.parse_hhmm(snap.profile.reminder_time) or schedule.parse_hhmm("08:00")
    assert at is not None
    return schedule.wall_clock(day, at, schedule.zone_of(snap.profile.timezone))


def local_today(snap: Snapshot) -> date:
    return snap.now.astimezone(schedule.zone_of(snap.profile.timezone)).date()


def read(snap: Snapshot, event: Event) -> date | Outcome | None:
    """The day a ``day:`` button carries (a date), or what typed text makes of the step (an
    Outcome: the echo to confirm, or what to type instead); None when the event is neither."""
    today = local_today(snap)
    if event.choice.startswith(PREFIX):
        try:
            day = date.fromisoformat(event.choice.removeprefix(PREFIX))
        except ValueError:
            return stay(snap, note("common.bad_date"), reprompt=False)
        return day if _in_range(day, today) else stay(snap, note("common.date_out_of_range"))
    if event.kind is not EventKind.TEXT:
        return None
    typed = dates.parse_day(event.text, today)
    if typed is None:
        return stay(snap, note("common.bad_date"), reprompt=False)
    if not _in_range(typed, today):
        return stay(snap, note("common.date_out_of_range"), reprompt=False)
    data = {**snap.data, KEY: typed.isoformat()}
    return Outcome(snap.state, data, replies=(note("common.date_understood", **_parts(typed)),))


def confirm_rows(snap: Snapshot) -> tuple[tuple[Option, ...], ...]:
    """The row confirming a typed day, when one waits (first, above the quick buttons)."""
    typed = snap.data.get(KEY)
    if not isinstance(typed, str):
        return ()
    try:
        day = date.fromisoformat(typed)
    except ValueError:
        return ()
    return ((Option(f"{PREFIX}{day.isoformat()}", "common.btn_day", _parts(day)),),)


@dataclass(frozen=True)
class Due:
    """The answer to "when?": an instant, or None for no date."""

    at: datetime | None


def due_rows(
    snap: Snapshot, presets: Mapping[str, int], texts: str
) -> tuple[tuple[Option, ...], ...]:
    """A "when?" step's buttons: the typed day to confirm (when one waits), the preset days
    ahead (``<texts>.btn_<preset>``), and no date (``<texts>.btn_nodue``)."""
    quick = tuple(Option(value, f"{texts}.btn_{value}") for value in presets)
    return (*confirm_rows(snap), quick, (Option(NO_DUE, f"{texts}.btn_nodue"),))


def due_of(snap: Snapshot, event: Event, presets: Mapping[str, int]) -> Due | Outcome:
    """What a "when?" step's answer names (:func:`due_rows`' buttons, or a typed day): the due
    date, or the outcome that asks again."""
    typed = read(snap, event)
    if isinstance(typed, Outcome):
        return typed
    if typed is not None:
        return Due(due_at(snap, typed))
    if event.choice in presets:
        return Due(snap.now + timedelta(days=presets[event.choice]))
    if event.choice == NO_DUE:
        return Due(None)
    return stay(snap, note("common.use_buttons"))


def _in_range(day: date, today: date) -> bool:
    return today <= day and day - today <= AHEAD_MAX


def _parts(day: date) -> dict[str, int]:
    return {"weekday": day.weekday(), "day": day.day, "month": day.month, "year": day.year}
