"""Checks on what participants type. User text is data: bounded, normalised, never markup."""

from __future__ import annotations

import unicodedata

# One cleaning for every name (coaching/names.py); re-exported here, where they always lived.
from coaching.names import NAME_MAX, Checked, clean_name, normalise
from coaching.places import ZONES, find_zone, zone_label

__all__ = [
    "ANSWER_MAX",
    "NAME_MAX",
    "UNIT_MAX",
    "ZONES",
    "Checked",
    "check_answer",
    "check_name",
    "check_timezone",
    "check_unit",
    "is_number",
    "normalise",
    "zone_label",
]

UNIT_MAX = 120
ANSWER_MAX = 3500  # leaves room to echo an answer inside a 4096-character message

_NAME_PUNCT = set(" .,'-()")
_UNIT_PUNCT = set(" .,'-()/&:")


def is_number(text: str) -> bool:
    """ASCII digits only: ``"²".isdigit()`` is true, yet ``int("²")`` raises."""
    return text.isascii() and text.isdecimal()


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
    """WIB/WITA/WIT, an Indonesian province, city or regency (``Bandung``), or any IANA zone
    name (for participants abroad): see :func:`coaching.places.find_zone`."""
    place = find_zone(normalise(text))
    if place is None:
        return Checked(None, "onboarding.bad_timezone")
    return Checked(place.zone)


def _check_label(text: str, limit: int, punct: set[str], what: str) -> Checked:
    """The participant's own name or unit: cleaned as every name is (:func:`clean_name`), then
    held to the narrower alphabet a person's name and a unit's name use."""
    checked = clean_name(text, limit=limit)
    if checked.value is None:
        problem = {"names.empty": "empty", "names.long": "long"}.get(checked.problem or "")
        return Checked(None, f"onboarding.bad_{what}_{problem or 'chars'}")
    cleaned = checked.value
    letters = sum(1 for ch in cleaned if ch.isalpha())
    allowed = all(ch.isalpha() or _is_mark(ch) or ch in punct for ch in cleaned)
    if letters < 2 or not allowed:
        return Checked(None, f"onboarding.bad_{what}_chars")
    return Checked(cleaned)


def _printable(ch: str) -> bool:
    return unicodedata.category(ch)[0] != "C" or ch in "\n\t"


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch).startswith("M")
