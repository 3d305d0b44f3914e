"""What a typed name refers to: the participant, one actor, probably one of a few, one of several,
or nobody yet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein

from coaching.names.cleaning import AMBIGUOUS_MAX, NEAR_MAX, clean_name
from coaching.names.keys import _FEMALE, _MALE, _match_words, name_key

EGO_WORDS: frozenset[str] = frozenset(
    {
        # Indonesian: formal, everyday, Jakarta colloquial; "Anda" because the bot says it
        "saya", "aku", "anda", "diri saya", "diri sendiri", "saya sendiri", "aku sendiri",
        "gue", "gua", "gw",
        # English
        "me", "i", "myself", "my self", "self",
    }
)  # fmt: skip
"""What a participant calls themself when naming an actor (compared by :func:`name_key`)."""

# Thresholds. A typo is counted in edits (rapidfuzz's Damerau-Levenshtein distance: a letter
# added, dropped, changed, or two swapped), because similar-looking agency names differ by a few
# letters: "Dinas Pertanian" and "Dinas Perikanan" (3 edits) are two agencies, "Santosa" and
# "Santoso" (1 edit) one man.
TYPO_MIN_LENGTH = 4
"""Shorter words are never typos of each other: "Pemangku A" and "Pemangku B" are two actors."""
TYPO_EDITS = ((8, 2), (TYPO_MIN_LENGTH, 1))
"""Edits allowed in one word by the longer spelling's length: 1 from 4 letters ("Budy" for
"Budi"), 2 from 8 ("Kesehtn" for "Kesehatan"). Both spellings have at least 4 letters."""
NAME_SIMILARITY = 80.0
"""Typos in several words ("Budy Santosa"): each word as above, and the whole name at least this
similar (rapidfuzz ``fuzz.ratio``, 0–100, as difflib's ratio)."""
JOINED_SIMILARITY = 90.0
"""A missing or extra space ("Pakbudi", "Bap peda"): the names without spaces this similar."""
PREFIX_MIN_LENGTH = 3
"""A shortened word ("Dinas Kes" for "Dinas Kesehatan") is at least this long."""

Kind = Literal["ego", "same", "near", "ambiguous", "new"]


@dataclass(frozen=True)
class Resolution:
    """What a typed name refers to.

    - ``ego``: the participant (``name`` is the ego actor's name, ``None`` on a case map);
    - ``same``: exactly one actor, for certain (``name``);
    - ``near``: probably ``name`` (= ``candidates[0]``); ``candidates`` best first, at most
      :data:`NEAR_MAX`: ask "did you mean…?" before storing anything;
    - ``ambiguous``: one of ``candidates`` (at most :data:`AMBIGUOUS_MAX`): ask which;
    - ``new``: nobody on the map yet.
    """

    kind: Kind
    typed: str  # the cleaned typed name
    name: str | None = None
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Known:
    name: str
    key: str  # name_key
    match: str  # match_key
    words: tuple[str, ...]
    honorifics: frozenset[str]


@lru_cache(maxsize=65536)
def _known(name: str) -> _Known:
    honorifics, words = _match_words(name)
    return _Known(name, name_key(name), " ".join(words), words, honorifics)


def resolve(
    typed: str,
    known: Sequence[str],
    *,
    ego: str | None = None,
    ego_names: Sequence[str] = (),
) -> Resolution:
    """What ``typed`` refers to among the actors ``known`` (their display names).

    Parameters
    ----------
    typed : str
        The name as typed; it must be one :func:`clean_name` accepts (else ``ValueError``).
    known : sequence of str
        The display names of the map's actors (the ego among them or not).
    ego : str, optional
        The ego actor's display name on a personal map; ``None`` on a case map.
    ego_names : sequence of str
        The participant's own name(s) from their profile.

    Rules, in order (first that applies):

    1. ``ego``: one of :data:`EGO_WORDS`; or, on a personal map, the ego's name or one of
       ``ego_names`` by :func:`match_key`. On a case map only the ego words count (the
       participant is not on it; their own name may be an ordinary actor there).
    2. ``same``: one actor with the same :func:`match_key` (several: the one with the same
       :func:`name_key`; an honorific of the other sex, "Pak Budi" for "Bu Budi", makes it
       ``near`` instead).
    3. ``ambiguous``: the typed words are among the words of several actors ("Budi" with
       "Pak Budi Santoso" and "Budi Hartono"), or several actors share the match key.
    4. ``near``: the typed words are among one actor's words (a shortened word of at least
       :data:`PREFIX_MIN_LENGTH` letters counts, "Dinas Kes" for "Dinas Kesehatan", when
       another word is exact); or an actor's words are all among the typed ones ("Budi
       Hartono" for "Budi"); or the same words in another order; or a typo (:data:`TYPO_EDITS`
       per word, :data:`NAME_SIMILARITY`, :data:`JOINED_SIMILARITY`). Best first: word-subset
       matches, then by similarity (``fuzz.ratio`` of the match keys), then alphabetically.
    5. ``new``.
    """
    checked = clean_name(typed)
    if checked.value is None:
        raise ValueError(f"resolve() takes a valid name ({checked.problem}): {typed[:40]!r}")
    cleaned = checked.value
    me = _known(cleaned)
    if me.key in EGO_WORDS or " ".join(me.words) in EGO_WORDS:
        return Resolution("ego", cleaned, ego)
    if ego is not None:
        own = [ego, *ego_names]
        if any(_known(n).match == me.match or _known(n).key == me.key for n in own if n):
            return Resolution("ego", cleaned, ego)

    actors = [_known(n) for n in dict.fromkeys(known)]
    same = [a for a in actors if a.match == me.match]
    if same:
        exact = [a for a in same if a.key == me.key]
        if len(same) == 1 or len(exact) == 1:
            hit = exact[0] if exact else same[0]
            if _other_sex(me.honorifics, hit.honorifics):
                return Resolution("near", cleaned, hit.name, (hit.name,))
            return Resolution("same", cleaned, hit.name)
        fitting = [a for a in same if not _other_sex(me.honorifics, a.honorifics)]
        if len(fitting) == 1:
            return Resolution("same", cleaned, fitting[0].name)
        return Resolution("ambiguous", cleaned, None, _ordered(same, me)[:AMBIGUOUS_MAX])

    within = [a for a in actors if _within(me.words, a.words)]
    if len(within) > 1:
        return Resolution("ambiguous", cleaned, None, _ordered(within, me)[:AMBIGUOUS_MAX])
    ranked: list[tuple[int, float, str, str]] = []
    for a in actors:
        if a in within:
            ranked.append((0, -_score(me, a), a.match, a.name))
        elif (
            _within(a.words, me.words, prefixes=False)
            or sorted(a.words) == sorted(me.words)  # "Santoso Budi" for "Budi Santoso"
            or _typo(me, a)
        ):
            ranked.append((1, -_score(me, a), a.match, a.name))
    if ranked:
        ranked.sort()
        names = tuple(r[3] for r in ranked[:NEAR_MAX])
        return Resolution("near", cleaned, names[0], names)
    return Resolution("new", cleaned)


def _other_sex(typed: frozenset[str], known: frozenset[str]) -> bool:
    return bool((typed & _MALE and known & _FEMALE) or (typed & _FEMALE and known & _MALE))


def _score(me: _Known, other: _Known) -> float:
    return float(fuzz.ratio(me.match, other.match))


def _ordered(actors: Sequence[_Known], me: _Known) -> tuple[str, ...]:
    ranked = sorted(actors, key=lambda a: (-_score(me, a), a.match, a.name))
    return tuple(a.name for a in ranked)


def _within(part: tuple[str, ...], whole: tuple[str, ...], *, prefixes: bool = True) -> bool:
    """``part`` names fewer words than ``whole``, each one of them ("budi" in "budi santoso").

    With ``prefixes``, a word may also be the start of one ("kes" in "kesehatan", at least
    :data:`PREFIX_MIN_LENGTH` letters), provided another word matches exactly: "Dinas Kes" is
    "Dinas Kesehatan", but "Ani" alone is not "Anita".
    """
    free = list(whole)
    shortened: list[str] = []
    for word in part:
        if word in free:
            free.remove(word)
        else:
            shortened.append(word)
    if not shortened:
        return 0 < len(part) < len(whole)
    if not prefixes or len(shortened) == len(part):
        return False
    for word in shortened:
        start = next(
            (w for w in free if len(word) >= PREFIX_MIN_LENGTH and w.startswith(word)), None
        )
        if start is None:
            return False
        free.remove(start)
    return True


def _typo(me: _Known, other: _Known) -> bool:
    if me.words == other.words:
        return False
    if len(me.words) != len(other.words):
        joined = fuzz.ratio("".join(me.words), "".join(other.words))
        return bool(joined >= JOINED_SIMILARITY)
    differing = [(a, b) for a, b in zip(me.words, other.words, strict=True) if a != b]
    for a, b in differing:
        if min(len(a), len(b)) < TYPO_MIN_LENGTH:
            return False
        longer = max(len(a), len(b))
        allowed = next((edits for length, edits in TYPO_EDITS if longer >= length), 0)
        if DamerauLevenshtein.distance(a, b, score_cutoff=allowed) > allowed:
            return False
    return len(differing) == 1 or fuzz.ratio(me.match, other.match) >= NAME_SIMILARITY
