"""When a nudge is due: pure functions of a participant's preference and an injected ``now``.

Every instant here is an aware datetime; wall-clock times (the reminder time, quiet hours) are
read in the participant's zone with :mod:`zoneinfo`. Indonesia's zones (WIB, WITA, WIT) have no
daylight saving time, but participants abroad may live in a zone that has, so every wall-clock
time is resolved deterministically:

- a time that does not exist on that day (skipped by a spring-forward gap, e.g. 02:30 in
  Europe/Amsterdam on the last Sunday of March) happens as late as the gap: 03:30 local;
- a time that happens twice (the autumn fall-back) is taken at its first occurrence, except
  that the end of quiet hours is the first occurrence *after* the moment in question.

Quiet hours (default 21:00–07:00 local) are never broken: a due time inside them moves to the
end of the quiet period. Equal start and end mean no quiet hours at all.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from coaching.model import DEFAULT_QUIET_END, DEFAULT_QUIET_START, DEFAULT_REMINDER_TIME
from coaching.validate import ZONES, zone_label

FREQUENCIES = ("daily", "weekly", "off")
ROUTINE = ("daily", "weekly")
DEFAULT_TIME = DEFAULT_REMINDER_TIME
DEFAULT_QUIET = (DEFAULT_QUIET_START, DEFAULT_QUIET_END)
DEFAULT_ZONE = "Asia/Jakarta"  # WIB: where most participants are, and the module's default
WEEKLY_ON = 0  # Monday: the start of the working week
PAUSE_AFTER = 3  # nudges ignored in a row before nudging pauses until the participant is back
IDLE_DAYS = 7  # a participant silent this long is behind (coach nudges)
MAX_QUIET = timedelta(hours=16)  # longer quiet hours would leave no sensible time to nudge
SNOOZES = ("1h", "tmr", "wk")  # one hour, tomorrow at the reminder time, next week

TimeOfDay = time  # ``Preference.time`` (the stored "HH:MM") shadows the type in the class body
_HHMM = re.compile(r"^\s*(\d{1,2})\s*[:.]\s*(\d{2})\s*$")


@dataclass(frozen=True)
class Preference:
    """What a participant chose: how often, at what local time, in which zone, quiet hours."""

    frequency: str | None = None  # daily | weekly | off | None (not chosen yet)
    time: str = DEFAULT_TIME
    zone: str | None = None  # IANA name; None = WIB
    quiet_start: str = DEFAULT_QUIET[0]
    quiet_end: str = DEFAULT_QUIET[1]

    @property
    def routine(self) -> bool:
        return self.frequency in ROUTINE

    @property
    def tz(self) -> ZoneInfo:
        return zone_of(self.zone)

    @property
    def at(self) -> TimeOfDay:
        return reminder_clock(self.time)


def reminder_clock(text: str | None) -> time:
    """A reminder setting's time of day; the default reminder time's if unset or unreadable."""
    at = parse_hhmm(text or "") or parse_hhmm(DEFAULT_TIME)
    assert at is not None
    return at


def parse_hhmm(text: str) -> time | None:
    """``08:00``, ``8:00`` or ``08.00`` (as Indonesians often write it) → a time; else None."""
    match = _HHMM.match(text or "")
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        return None
    return time(hours, minutes)


def hhmm(at: time) -> str:
    return f"{at.hour:02d}:{at.minute:02d}"


def zone_of(name: str | None) -> ZoneInfo:
    """The zone for a stored name (or WIB/WITA/WIT); an unknown or missing one means WIB."""
    if name:
        try:
            return ZoneInfo(ZONES.get(name.upper(), name))
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo(DEFAULT_ZONE)


def wall_clock(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant (UTC) at which ``at`` happens on ``day`` in ``tz``.

    A skipped time happens as late as the gap (fold 0 keeps the offset from before the
    transition: 02:30 CET is 03:30 CEST); a repeated time is its first occurrence.
    """
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def occurrences(day: date, at: time, tz: ZoneInfo) -> tuple[datetime, ...]:
    """Every instant whose wall-clock time on ``day`` is ``at``: one, or two in a fall-back."""
    first = wall_clock(day, at, tz)
    local = first.astimezone(tz)
    if (local.date(), local.time()) != (day, at):
        return (first,)  # skipped by a gap: resolved forward
    second = datetime.combine(day, at, tzinfo=tz).replace(fold=1).astimezone(UTC)
    return (first,) if second == first else (first, second)


def quiet_span(pref: Preference) -> tuple[time, time] | None:
    start, end = parse_hhmm(pref.quiet_start), parse_hhmm(pref.quiet_end)
    if start is None or end is None or start == end:
        return None
    return start, end


def in_quiet(moment: datetime, pref: Preference) -> bool:
    """Whether ``moment`` falls in the participant's quiet hours (their local wall clock)."""
    span = quiet_span(pref)
    if span is None:
        return False
    start, end = span
    local = moment.astimezone(pref.tz).time().replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end  # across midnight: 21:00–07:00


def quiet_ends(moment: datetime, pref: Preference) -> datetime:
    """The first end of quiet hours after ``moment`` (which is inside them)."""
    span = quiet_span(pref)
    if span is None:
        return moment
    tz, end = pref.tz, span[1]
    today = moment.astimezone(tz).date()
    for offset in range(3):
        for instant in occurrences(today + timedelta(days=offset), end, tz):
            if instant > moment:
                return instant
    return moment + timedelta(days=1)  # unreachable: some day has the end time


def outside_quiet(moment: datetime, pref: Preference) -> datetime:
    """``moment``, or the end of the quiet period it falls in."""
    return quiet_ends(moment, pref) if in_quiet(moment, pref) else moment


def next_due(pref: Preference, now: datetime) -> datetime | None:
    """The next routine nudge strictly after ``now``: daily or Mondays at the chosen time.

    None when the participant chose no routine reminders.
    """
    if not pref.routine:
        return None
    tz, at = pref.tz, pref.at
    today = now.astimezone(tz).date()
    for offset in range(15):
        day = today + timedelta(days=offset)
        if pref.frequency == "weekly" and day.weekday() != WEEKLY_ON:
            continue
        instant = wall_clock(day, at, tz)
        if instant > now:
            return outside_quiet(instant, pref)
    return None  # unreachable: two weeks always contain a Monday


NIGHT_ENDS = time(4, 0)  # without quiet hours across midnight, the small hours end here


def snooze_until(pref: Preference, now: datetime, choice: str) -> datetime:
    """When a snoozed nudge comes back: in an hour, tomorrow or in a week at the reminder time.

    "Tomorrow" is the participant's next local calendar day as they live it: a tap in the
    small hours (before their quiet hours end, or before 04:00) still belongs to the evening
    before, so it means the coming day, not the one after. And it stays on that day: a
    reminder time inside quiet hours (23:00 with quiet hours 21:00–07:00) would move past
    midnight, so that day's end of quiet hours (the morning) is taken instead.
    """
    if choice == "1h":
        return outside_quiet(now + timedelta(hours=1), pref)
    tz = pref.tz
    day = _waking_day(now, pref) + timedelta(days=7 if choice == "wk" else 1)
    at = outside_quiet(wall_clock(day, pref.at, tz), pref)
    span = quiet_span(pref)
    if at.astimezone(tz).date() != day and span is not None:
        morning = wall_clock(day, span[1], tz)
        if not in_quiet(morning, pref):
            at = morning
    if at <= now:  # a reminder time in the small hours, already past: the day after
        at = outside_quiet(wall_clock(day + timedelta(days=1), pref.at, tz), pref)
    return at


def _waking_day(now: datetime, pref: Preference) -> date:
    """The local day ``now`` belongs to for someone awake in it: the small hours count as
    the evening before (until quiet hours across midnight end, or until 04:00)."""
    local = now.astimezone(pref.tz)
    span = quiet_span(pref)
    night_ends = span[1] if span is not None and span[0] > span[1] else NIGHT_ENDS
    if local.time().replace(tzinfo=None) < night_ends:
        return local.date() - timedelta(days=1)
    return local.date()


def paused(ignored_nudges: int) -> bool:
    """Three nudges ignored in a row: stop until the participant does anything at all."""
    return ignored_nudges >= PAUSE_AFTER


def quiet_too_long(start: time, end: time) -> bool:
    minutes = (end.hour * 60 + end.minute - start.hour * 60 - start.minute) % (24 * 60)
    return minutes == 0 or timedelta(minutes=minutes) > MAX_QUIET


def local_parts(moment: datetime, zone: str | None) -> dict[str, Any]:
    """A moment as templates show it: weekday (0 = Monday), day, month, ``HH:MM``, zone label."""
    tz = zone_of(zone)
    local = moment.astimezone(tz)
    return {
        "weekday": local.weekday(),
        "day": local.day,
        "month": local.month,
        "time": hhmm(local.time()),
        "zone": zone_label(tz.key),
    }


def cohort_pace(completed_counts: Sequence[int]) -> int:
    """The cohort's pace: how many exercises its median participant has completed."""
    return int(statistics.median_low(completed_counts)) if completed_counts else 0


def is_behind(*, completed: int, pace: int, last_active: datetime | None, now: datetime) -> bool:
    """Behind: silent for ``IDLE_DAYS`` days (or never active), or fewer exercises than the pace.

    Deliberately simple so a coach can predict it: the median participant of a cohort is never
    behind on exercises, whoever has done fewer than them is.
    """
    if last_active is None or now - last_active >= timedelta(days=IDLE_DAYS):
        return True
    return completed < pace
