"""Names: one validation for every name, and one resolver from a typed name to an actor.

Every name that enters the project goes through :func:`clean_name` first, however it comes:
typed in the chat, ``/tambah``, ``/hubung``, a quick line, a CSV row, a participant's name or
unit, a map title or a cohort name. It returns a :class:`Checked`: the cleaned name, or the
message key (``names.*``, ``templates/<locale>/names.j2``) that tells what to type instead.

Three keys derive from a cleaned name:

- :func:`name_key` is an actor's *identity* on a map (the ``actors.name_key`` column): case,
  accents and spacing ignored. It is what ``coaching.analysis.graph.name_key`` always computed
  for ordinary names, so keys already stored stay valid; it is bounded to :data:`KEY_MAX`.
- :func:`match_key` is looser and is only ever used to *find* an actor the participant probably
  means: it also drops honorifics and titles, academic degrees, punctuation and a trailing
  "(Unit)", and spells out a few Indonesian abbreviations. It is never stored.
- :func:`resolve` decides what a typed name refers to: the participant themself (``ego``), one
  actor for certain (``same``), probably one or a few actors (``near``: ask "did you mean…?"),
  one of several (``ambiguous``: ask which), or nobody yet (``new``).

Everything here is pure and deterministic: the same input gives the same answer, candidates in
the same order.
"""

from __future__ import annotations

from coaching.names.cleaning import (
    AMBIGUOUS_MAX,
    KEY_MAX,
    NAME_MAX,
    NAME_PUNCTUATION,
    NEAR_MAX,
    Checked,
    clean_name,
    normalise,
)
from coaching.names.finding import find_items
from coaching.names.keys import match_key, name_key
from coaching.names.resolving import (
    EGO_WORDS,
    JOINED_SIMILARITY,
    NAME_SIMILARITY,
    PREFIX_MIN_LENGTH,
    TYPO_EDITS,
    TYPO_MIN_LENGTH,
    Kind,
    Resolution,
    _known,
    resolve,
)

__all__ = [
    "AMBIGUOUS_MAX",
    "EGO_WORDS",
    "JOINED_SIMILARITY",
    "KEY_MAX",
    "NAME_MAX",
    "NAME_PUNCTUATION",
    "NAME_SIMILARITY",
    "NEAR_MAX",
    "PREFIX_MIN_LENGTH",
    "TYPO_EDITS",
    "TYPO_MIN_LENGTH",
    "Checked",
    "Kind",
    "Resolution",
    "_known",
    "clean_name",
    "find_items",
    "match_key",
    "name_key",
    "normalise",
    "resolve",
]
