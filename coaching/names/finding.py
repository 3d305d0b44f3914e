"""Finding list items by what was typed: part of a name, or a near miss (coaching/engine.py)."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from coaching.names.keys import _fold, _words

__all__ = ["FIND_SCORE", "find_items"]

FIND_SCORE = 85
"""rapidfuzz ``partial_ratio`` (0–100) at which a typed fragment finds a list item ("budy" in
"Pak Budi Santoso"); below, only items whose words start with what was typed are found."""


def find_items(typed: str, labels: Sequence[str], *, near: bool = True) -> list[int] | None:
    """The items of a list that typed text points at, best first: items with a word starting
    with every typed word ("bud san" finds "Pak Budi Santoso"), else near misses (unless
    ``near`` is False). None when nothing fits or too little was typed (a single letter).

    >>> find_items("budi", ["Pak Budi Santoso", "Bu Ani", "Budiman"])
    [0, 2]
    >>> find_items("bu ani", ["Pak Budi Santoso", "Bu Ani", "Budiman"])
    [1]
    >>> find_items("santosa", ["Pak Budi Santoso", "Bu Ani"]), find_items("x", ["X"])
    ([0], None)
    """
    wanted = _words(_fold(typed).casefold())
    if not wanted or len("".join(wanted)) < 2:
        return None
    keys = [_words(_fold(label).casefold()) for label in labels]
    prefixed = [
        i
        for i, words in enumerate(keys)
        if all(any(w.startswith(t) for w in words) for t in wanted)
    ]
    if prefixed or not near:
        return prefixed or None
    query = " ".join(wanted)
    scored = [(fuzz.partial_ratio(query, " ".join(words)), i) for i, words in enumerate(keys)]
    close = [i for score, i in sorted(scored, key=lambda s: (-s[0], s[1])) if score >= FIND_SCORE]
    return close or None
