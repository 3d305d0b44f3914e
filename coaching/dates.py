"""Days and times as participants type them, in Indonesian and English.

:func:`parse_day` reads ``besok``, ``lusa``, ``senin depan``, ``minggu depan``, ``15/12``,
``15 Des``, ``akhir bulan``, ``2 minggu lagi``, ``next friday``, ``in 3 days``... and
:func:`parse_time` reads ``19.30``, ``jam 7 malam``, ``7pm``. Both are relative to the
participant's own day (the caller passes their local date), and the flows echo the concrete
date they understood, for one-tap confirmation.

The parsing itself is dateparser's (Indonesian and English, day-month order, future
preferred). A few Indonesian phrasings it does not know (``lusa``, ``<hari> depan``, ``akhir
bulan``, ``N minggu lagi``, ``jam 7 malam``) are first rewritten into ones it does, here; the
old hand-written reader is kept for what dateparser reads differently (``20-12``, ``7 hari``,
``+14``), so nothing that was understood before is refused now.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta

import dateparser

__all__ = ["TYPED_MAX", "parse_day", "parse_time"]

TYPED_MAX = 40  # longer text is no date: bounded before any parsing
_LANGUAGES = ["id", "en"]
_DAYS = {
    "senin": "monday", "selasa": "tuesday", "rabu": "wednesday", "kamis": "thursday",
    "jumat": "friday", "jum'at": "friday", "sabtu": "saturday", "minggu": "sunday",
    "ahad": "sunday",
}  # fmt: skip
_WEEKDAYS = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
)  # fmt: skip
_UNITS = {
    "hari": "days", "minggu": "weeks", "pekan": "weeks", "bulan": "months",
    "day": "days", "days": "days", "week": "weeks", "weeks": "weeks", "month": "months",
    "months": "months",
}  # fmt: skip
_NEXT_DAY = re.compile(r"^(?:hari\s+)?([a-z']+)\s+(?:depan|besok)$|^next\s+([a-z]+)$")
_IN = re.compile(
    r"^(?:dalam\s+|in\s+|\+\s*)?(\d{1,3})\s*([a-z]+)?(?:\s+(?:lagi|ke depan|dari sekarang|later))?$"
)
_END = re.compile(r"^(?:akhir|end of(?: the)?)\s+(?:bulan|month)(?:\s+(?:ini|this))?$")
_END_WEEK = re.compile(r"^(?:akhir|end of(?: the)?)\s+(?:minggu|pekan|week)(?:\s+(?:ini|this))?$")
_CLOCK = re.compile(
    r"^(?:jam|pukul|pkl\.?|at)?\s*(\d{1,2})(?:\s*[:.]\s*(\d{2}))?\s*"
    r"(pagi|siang|sore|petang|malam|am|pm|wib|wita|wit)?$"
)
_RELATIVE = {
    "hari ini": 0, "today": 0, "besok": 1, "tomorrow": 1, "lusa": 2, "besok lusa": 2,
    "minggu depan": 7, "pekan depan": 7, "next week": 7,
}  # fmt: skip


def parse_day(text: str, today: date) -> date | None:
    """The calendar day ``text`` means, seen from ``today`` (the participant's local date).

    A day without a year is the next such day; a weekday is the coming one. None when it is
    no date (a bare number, a name) — whether it lies in the past is the caller's concern.

    >>> today = date(2026, 12, 3)  # a Thursday
    >>> [str(parse_day(t, today)) for t in ("besok", "lusa", "senin depan", "15/12")]
    ['2026-12-04', '2026-12-05', '2026-12-07', '2026-12-15']
    >>> [str(parse_day(t, today)) for t in ("15 Des", "akhir bulan", "2 minggu lagi")]
    ['2026-12-15', '2026-12-31', '2026-12-17']
    >>> parse_day("Bandung", today), parse_day("3", today)
    (None, None)
    """
    cleaned = _clean(text)
    if not cleaned or cleaned.isdecimal():
        return None
    cleaned = cleaned.removeprefix("tanggal ").removeprefix("tgl ").removeprefix("on ")
    if cleaned in _RELATIVE:
        return today + timedelta(days=_RELATIVE[cleaned])
    if _END.match(cleaned):
        return date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
    if _END_WEEK.match(cleaned):
        return today + timedelta(days=(4 - today.weekday()) % 7)  # Friday: the working week's end
    if cleaned in _DAYS or cleaned in _WEEKDAYS:  # the coming one (today if it is today)
        english = _DAYS.get(cleaned, cleaned)
        return today + timedelta(days=(_WEEKDAYS.index(english) - today.weekday()) % 7)
    if match := _NEXT_DAY.match(cleaned):
        word = match.group(1) or match.group(2) or ""
        english = _DAYS.get(word, word)
        if english in _WEEKDAYS:
            ahead = (_WEEKDAYS.index(english) - today.weekday()) % 7 or 7
            return today + timedelta(days=ahead)
    if (match := _IN.match(cleaned)) and (match.group(2) in _UNITS or cleaned.startswith("+")):
        count, unit = int(match.group(1)), _UNITS.get(match.group(2) or "", "days")
        if unit == "months":
            return _add_months(today, count)
        return today + timedelta(days=count * (7 if unit == "weeks" else 1))
    return _dateparser_day(_english_days(cleaned), today)


def parse_time(text: str) -> time | None:
    """A time of day: ``19.30``, ``19:30``, ``jam 7 malam``, ``pukul 8 pagi``, ``7pm``.

    >>> [str(parse_time(t)) for t in ("19.30", "jam 7 malam", "pukul 8 pagi", "7pm", "3 sore")]
    ['19:30:00', '19:00:00', '08:00:00', '19:00:00', '15:00:00']
    >>> parse_time("besok"), parse_time("25.00")
    (None, None)
    """
    cleaned = _clean(text)
    match = _CLOCK.match(cleaned)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    part = match.group(3) or ""
    afternoon = part in ("sore", "petang", "malam", "pm") and hour < 12
    if (part == "siang" and hour < 11) or afternoon:
        hour += 12
    elif part in ("am", "malam") and hour == 12:
        hour = 0
    if not match.group(2) and not part and not cleaned.startswith(("jam", "pukul", "pkl")):
        return None  # a bare number is no time
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _clean(text: str) -> str:
    cleaned = " ".join((text or "").strip().casefold().replace(",", " ").split())
    return cleaned[:TYPED_MAX] if len(cleaned) <= TYPED_MAX else ""


def _english_days(text: str) -> str:
    words = [
        _DAYS.get(word, word) if word != "minggu" or len(text.split()) == 1 else word
        for word in text.split()
    ]
    return " ".join(words)


def _dateparser_day(text: str, today: date) -> date | None:
    base = datetime.combine(today, time(12, 0))
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": base,
        "DATE_ORDER": "DMY",
        "REQUIRE_PARTS": ["day"],
        "RETURN_TIME_AS_PERIOD": False,
    }
    try:
        found = dateparser.parse(text, languages=_LANGUAGES, settings=settings)
    except (ValueError, OverflowError):
        return None
    return found.date() if found is not None else None


def _add_months(day: date, count: int) -> date:
    month = day.month - 1 + count
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
