"""Checks on what participants type. User text is data: bounded, normalised, never markup."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

NAME_MAX = 80
UNIT_MAX = 120
ANSWER_MAX = 3500  # leaves room to echo an answer inside a 4096-character message

_NAME_PUNCT = set(" .,'-()")
_UNIT_PUNCT = set(" .,'-()/&:")

# The module's regions of Indonesia: WIB, WITA, WIT.
ZONES: dict[str, str] = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}


@dataclass(frozen=True)
class Checked:
    value: str | None
    problem: str | None = None  # message key explaining what to type instead


def is_number(text: str) -> bool:
    """ASCII digits only: ``"²".isdigit()`` is true, yet ``int("²")`` raises."""
    return text.isascii() and text.isdecimal()


def normalise(text: str) -> str:
    """NFC, control characters dropped, runs of white space folded to one space."""
    text = unicodedata.normalize("NFC", text)
    kept = "".join(" " if ch.isspace() else ch for ch in text if _printable(ch))
    return " ".join(kept.split())


def check_name(text: str) -> Checked:
    return _check_label(text, NAME_MAX, _NAME_PUNCT, "name")


def check_unit(text: str) -> Checked:
    return _check_label(text, UNIT_MAX, _UNIT_PUNCT | set("0123456789"), "unit")


def check_answer(text: str) -> Checked:
    """A reflection: any characters (markup stays text), at least a few words' worth."""
    cleaned = unicodedata.normalize("NFC", text).strip()
    cleaned = "".join(ch for ch in cleaned if ch in "\n\t" or _printable(ch))
    if len(normalise(cleaned)) < 3:
        return Checked(None, "common.bad_answer_short")
    if len(cleaned) > ANSWER_MAX:
        return Checked(None, "common.bad_answer_long")
    return Checked(cleaned)


def check_timezone(text: str) -> Checked:
    """WIB/WITA/WIT or any IANA zone name (for participants abroad)."""
    cleaned = normalise(text)
    if cleaned.upper() in ZONES:
        return Checked(ZONES[cleaned.upper()])
    if 0 < len(cleaned) <= 64 and "/" in cleaned and cleaned in _iana_zones():
        try:
            ZoneInfo(cleaned)
        except (ZoneInfoNotFoundError, ValueError):
            return Checked(None, "onboarding.bad_timezone")
        return Checked(cleaned)
    return Checked(None, "onboarding.bad_timezone")


def zone_label(zone: str | None) -> str:
    for label, name in ZONES.items():
        if name == zone:
            return label
    return zone or "-"


def _check_label(text: str, limit: int, punct: set[str], what: str) -> Checked:
    cleaned = normalise(text)
    if not cleaned:
        return Checked(None, f"onboarding.bad_{what}_empty")
    if len(cleaned) > limit:
        return Checked(None, f"onboarding.bad_{what}_long")
    letters = sum(1 for ch in cleaned if ch.isalpha())
    allowed = all(ch.isalpha() or _is_mark(ch) or ch in punct for ch in cleaned)
    if letters < 2 or not allowed:
        return Checked(None, f"onboarding.bad_{what}_chars")
    return Checked(cleaned)


def _printable(ch: str) -> bool:
    return unicodedata.category(ch)[0] != "C" or ch in "\n\t"


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch).startswith("M")


_ZONES_CACHE: set[str] = set()


def _iana_zones() -> set[str]:
    if not _ZONES_CACHE:
        _ZONES_CACHE.update(available_timezones())
    return _ZONES_CACHE
