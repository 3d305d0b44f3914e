"""How the bot addresses the participant: Bapak, Ibu, or by name — as they chose.

A PKA participant writes their name with titles and degrees ("Dr. Sari Dewi, M.Si."); a
greeting uses the name without them ("Ibu Sari Dewi"). The choice is asked in onboarding and
kept as the answer row ``profile.address`` (like a lesson's bookmark, it is no exercise and
counts for no progress); until it is chosen, the bot uses the name alone.

>>> short_name("Dr. Sari Dewi, M.Si.")
'Sari Dewi'
>>> short_name("Ir. H. Bambang Sutrisno MM")
'Bambang Sutrisno'
>>> short_name("Pak Budi")
'Budi'
"""

from __future__ import annotations

import re

from coaching import text
from coaching.model import Snapshot

ANSWER_KEY = "profile.address"
FORMS: tuple[str, ...] = ("bapak", "ibu", "name")
# Titles written before a name (academic, religious, professional) and forms of address.
_BEFORE = frozenset(
    [
        "dr",
        "drs",
        "dra",
        "ir",
        "h",
        "hj",
        "prof",
        "kh",
        "apt",
        "ns",
        "drg",
        "bapak",
        "ibu",
        "pak",
        "bu",
        "bpk",
        "sdr",
        "sdri",
        "mr",
        "mrs",
        "ms",
    ]
)
# Degrees written after a name without a comma ("Bambang MM", "Ani S.Sos").
_DEGREE = re.compile(
    r"^(?:[A-Z][A-Za-z]{0,4}\.(?:[A-Za-z]{1,5}\.?)*|MM|MPA|MSi|MAP|SH|SE|ST|SKM|SPd|PhD|MBA|MSc)$"
)


def short_name(name: str) -> str:
    """The name without titles before it and degrees after it; the name itself if that
    would leave nothing."""
    head = name.split(",", 1)[0]
    words = head.split()
    while len(words) > 1 and words[0].lower().rstrip(".") in _BEFORE:
        words.pop(0)
    while len(words) > 1 and _DEGREE.match(words[-1]):
        words.pop()
    return " ".join(words) or name.strip()


def form_of(stored: object) -> str | None:
    """The stored answer ``profile.address`` as a form of address, if it is one."""
    return stored if isinstance(stored, str) and stored in FORMS else None


def form(snap: Snapshot) -> str | None:
    """The participant's chosen form of address, if any."""
    return form_of(snap.answers.get(ANSWER_KEY))


def salutation(snap: Snapshot, chosen: str | None = None) -> str:
    """ "Ibu Sari Dewi", "Bapak Budi" or "Sari Dewi": how a greeting names the participant.

    The same in English: Bapak and Ibu are how the participant is addressed in Indonesia
    whatever the language of the text.
    """
    if not snap.profile.name:
        return ""
    short = short_name(snap.profile.name)
    chosen = chosen or form(snap)
    return f"{text.you_word(chosen)} {short}" if chosen in text.YOU_WORDS else short
