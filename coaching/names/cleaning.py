"""One validation for every name: :func:`clean_name` cleans it or says what to type instead."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

NAME_MAX: int = 80
"""Longest name, in characters (code points) of the cleaned, NFC-normalised name."""

KEY_MAX: int = 80
"""Longest :func:`name_key` (the database's ``name_key`` columns are ``String(80)``)."""

NEAR_MAX = 3
"""At most this many "did you mean…?" candidates (a phone shows three buttons comfortably)."""

AMBIGUOUS_MAX = 8
"""At most this many candidates for an ambiguous name; beyond that the participant types more."""


@dataclass(frozen=True)
class Checked:
    """A checked input: the cleaned ``value``, or ``None`` and the message key of the problem."""

    value: str | None
    problem: str | None = None  # message key explaining what to type instead


# Invisible characters outside Unicode's "C" (control/format/surrogate/private/unassigned)
# categories, which are dropped wholesale: Hangul fillers, the combining grapheme joiner,
# Mongolian and other variation selectors, Khmer inherent vowels. A name made of them would
# look empty, and "Bu<filler>di" would look like "Budi" while being another actor.
_INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u3164\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
    + "".join(chr(c) for c in range(0xE0100, 0xE01F0))
)

# Punctuation a name may hold besides letters, digits, combining marks and spaces: what
# organisations and people are actually called ("Dinas PU & PR", "KUD 'Sri Rejeki'",
# "Budi Santoso, S.T.", "Kab. Bogor", "Koperasi \"Maju\"", "Pokja 1/2", "Tim: Humas").
# Angle brackets, braces, back-ticks and emoji are refused: no name needs them, and they are
# what markup and injection attempts are made of (they would still be escaped everywhere).
NAME_PUNCTUATION = frozenset("&'\"().,-/:;!?#+%’‘“”–—")

# A spreadsheet runs a cell starting with these as a formula (CSV injection, OWASP), the
# full-width forms included. Tabs, vertical tabs and carriage returns before them are folded
# away as white space before this check, so "\x0b=1+1" is caught too.
_FORMULA_START = frozenset("=+-@＝＋－＠")


def normalise(text: str) -> str:
    """NFC; control, format (bidi, zero-width), surrogate and invisible characters dropped;
    every run of white space folded to one space; trimmed. Idempotent."""
    text = unicodedata.normalize("NFC", text)
    # White space first: tabs, line breaks and "\x0b" are control characters that separate words.
    kept = "".join(" " if ch.isspace() else ch for ch in text if ch.isspace() or _visible(ch))
    # Dropping a character can bring a letter and its combining mark together: compose again.
    return unicodedata.normalize("NFC", " ".join(kept.split()))


def clean_name(text: str, *, limit: int = NAME_MAX) -> Checked:
    """The name as it will be stored and shown, or the problem (a ``names.*`` message key).

    Cleaning (:func:`normalise`): NFC, control/bidi/zero-width characters removed, white space
    folded. Refused, in this order:

    - ``names.empty``: nothing left;
    - ``names.no_letters``: no letter or digit (only punctuation, or only combining marks);
    - ``names.long``: over ``limit`` characters after cleaning;
    - ``names.command``: starts with "/" (a command, not a name);
    - ``names.formula``: starts with ``= + - @`` (a spreadsheet would run it as a formula);
    - ``names.chars``: a character outside letters, digits, combining marks, spaces and
      :data:`NAME_PUNCTUATION`.

    >>> clean_name("  Dinas  PU & PR\\u200b ").value
    'Dinas PU & PR'
    >>> clean_name("\\x0b=1+1").problem
    'names.formula'
    """
    if not isinstance(text, str):
        return Checked(None, "names.empty")
    cleaned = normalise(text)
    if not cleaned:
        return Checked(None, "names.empty")
    if not any(_letter_or_digit(ch) for ch in cleaned):
        return Checked(None, "names.no_letters")
    if len(cleaned) > limit:
        return Checked(None, "names.long")
    if cleaned.startswith("/"):
        return Checked(None, "names.command")
    if cleaned[0] in _FORMULA_START:
        return Checked(None, "names.formula")
    if unicodedata.category(cleaned[0]).startswith("M"):
        # A mark with nothing to sit on would decorate whatever is printed before the name.
        return Checked(None, "names.chars")
    if not all(_allowed(ch) for ch in cleaned):
        return Checked(None, "names.chars")
    return Checked(cleaned)


def _visible(ch: str) -> bool:
    return unicodedata.category(ch)[0] != "C" and ch not in _INVISIBLE


def _letter_or_digit(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LN"


def _allowed(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LNM" or ch == " " or ch in NAME_PUNCTUATION
