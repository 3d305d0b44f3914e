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

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein

__all__ = [
    "AMBIGUOUS_MAX",
    "EGO_WORDS",
    "KEY_MAX",
    "NAME_MAX",
    "NEAR_MAX",
    "Checked",
    "Resolution",
    "clean_name",
    "match_key",
    "name_key",
    "normalise",
    "resolve",
]

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


# --------------------------------------------------------------------------- cleaning

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


# --------------------------------------------------------------------------- keys


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """An actor's identity on a map: case-, accent- and space-insensitive, at most
    :data:`KEY_MAX` characters.

    For ordinary names this is exactly the key stored since the first release (NFKD, combining
    marks dropped, casefolded, spaces folded). Two steps make it safe for any input: invisible
    characters are dropped, and the fold is repeated after casefolding (a few characters
    casefold into a letter plus a combining mark), so ``name_key(name_key(x)) == name_key(x)``.
    Casefolding can lengthen a name ("ß" → "ss", "ﬁ" → "fi"), so the key is cut to
    :data:`KEY_MAX` afterwards: two names alike in their first 80 folded characters are one
    actor.

    >>> name_key("Pák  Budi ") == name_key("pak budi") == "pak budi"
    True
    >>> len(name_key("ß" * 80))
    80
    """
    folded = _fold(_fold(name).casefold())
    return folded[:KEY_MAX].rstrip()


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(
        " " if ch.isspace() else ch
        for ch in decomposed
        if ch.isspace() or (not unicodedata.combining(ch) and _visible(ch))
    )
    return " ".join(plain.split())


# Words that only say how someone is addressed; dropped at the start of a name when matching.
# Indonesian first (Pak/Bu and their long and written forms, Haji/Hajah, Javanese Mas/Mbak),
# then English. "Dr"/"dr" (doctor, physician) and "drg" (dentist), "Ir" (engineer),
# "Drs"/"Dra" (the old doctorandus/doctoranda), "Prof", "KH" (kiai haji) are titles written
# before the name.
_MALE = frozenset({"pak", "bapak", "bpk", "mas", "bang", "sdr", "saudara", "tuan", "tn", "mr"})
_FEMALE = frozenset(
    {"bu", "ibu", "mbak", "mba", "sdri", "saudari", "nyonya", "ny", "nona", "mrs", "ms", "miss"}
)
_TITLES = frozenset(
    {"dr", "drg", "prof", "ir", "drs", "dra", "h", "hj", "kh", "kak", "mx", "sir", "dokter"}
)
_HONORIFICS = _MALE | _FEMALE | _TITLES

# Academic degrees written after a name, dots removed ("S.T." → "st", "M.Si." → "msi").
# They are dropped only where they cannot be part of the name itself: after a comma
# ("Budi Santoso, ST, MSi"), or at the end when written with dots ("Budi Santoso S.T.") or
# when they are long and unmistakable ("Budi Santoso MSc"). "Jack Ma" keeps his "Ma".
_DEGREES = frozenset(
    {
        # Indonesian first degrees (sarjana) and diplomas
        "st", "se", "sh", "ssos", "skom", "spd", "ssi", "sag", "sip", "spsi", "sked", "sfarm",
        "shut", "sp", "spt", "skep", "skm", "sap", "str", "sstp", "sst", "sik", "sn", "ssn",
        "ak", "amd", "ama", "apt",
        # masters (magister) and doctorates
        "msi", "msc", "mm", "mt", "mpd", "mkom", "mh", "ma", "mba", "mpa", "mpp", "mkes",
        "mak", "me", "meng", "mec", "mecdev", "mag", "mhum", "mps", "mse", "mphil", "llm",
        "phd", "dphil", "dr",
        # medical specialists
        "spa", "sppd", "spog", "spb", "spm", "spkj", "sprad",
        # English first degrees
        "ba", "bsc", "beng",
    }
)  # fmt: skip
_UNMISTAKABLE_DEGREES = frozenset(d for d in _DEGREES if len(d) >= 3)

# Indonesian abbreviations spelt out when matching, chosen because each has exactly one reading
# in the names of government bodies and places: "Kominfo Prov" is "Kominfo Provinsi", "Kab.
# Bogor" is "Kabupaten Bogor". Not expanded: "Dis" (it begins compound words, Diskominfo,
# Disdik, rather than standing alone, and those compounds are proper names in their own right),
# "Kota" (already a word), "Kel"/"Kec" beyond the two below, and anything with two readings
# ("Pem" for pemerintah or pembangunan, "Ked" for kedokteran or kedutaan).
_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "prov": ("provinsi",),
    "propinsi": ("provinsi",),  # the older spelling
    "kab": ("kabupaten",),
    "kec": ("kecamatan",),
    "kel": ("kelurahan",),
    "pemprov": ("pemerintah", "provinsi"),
    "pemkab": ("pemerintah", "kabupaten"),
    "pemkot": ("pemerintah", "kota"),
    "univ": ("universitas",),
}

_TRAILING_UNIT = re.compile(r"\s*\([^()]*\)\s*$")
_QUOTES = str.maketrans("", "", "'’‘`\"“”")  # "Jum'at" is "Jumat", not "Jum at"
_NOT_WORD = re.compile(r"[^\w]+|_")


@lru_cache(maxsize=65536)
def match_key(name: str) -> str:
    """A looser key, only for finding the actor a typed name means; never stored.

    On top of :func:`name_key`: a trailing "(Unit)" is dropped ("Pak Budi Santoso (Bappeda)");
    academic degrees after the name ("Budi Santoso, S.T., M.Si."); honorifics and titles
    before it (Pak, Bu, Bapak, Ibu, Sdr., dr., Dr., H., Hj., Prof., Ir., Drs., Mr, Mrs…);
    punctuation; and a few unambiguous Indonesian abbreviations are spelt out (Prov, Kab, Kec,
    Kel, Pemprov, Pemkab, Pemkot, Univ). Whatever would leave nothing is kept ("Pak" alone is
    "pak").

    >>> match_key("Pak Budi Santoso (Bappeda)") == match_key("budi santoso")
    True
    >>> match_key("dr. Nia") == match_key("dr nia") == "nia"
    True
    >>> match_key("Kominfo Prov") == match_key("Kominfo Provinsi")
    True
    """
    return " ".join(_match_words(name)[1])


def _match_words(name: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """(The honorifics found before the name, the words of its match key.)"""
    key = name_key(name)
    unit = _TRAILING_UNIT.search(key)
    if unit is not None and _words(key[: unit.start()]):
        key = key[: unit.start()]
    head, *tail = key.split(",")
    # Degrees after a comma: "budi santoso, s.t., m.si." (only if every part after it is one).
    if tail and all(_is_degree_run(part, _DEGREES) for part in tail) and _words(head):
        key = head
    raw = key.split()
    # Degrees at the end without a comma: dotted ones, or unmistakable ones.
    while len(raw) > 1 and _is_trailing_degree(raw[-1]):
        raw.pop()
    honorifics: set[str] = set()
    while len(raw) > 1 and _bare(raw[0]) in _HONORIFICS:
        honorifics.add(_bare(raw.pop(0)))
    words = _words(" ".join(raw))
    if not words:  # only punctuation and honorifics: fall back to the plain key's words
        words = _words(key) or (key,)
    return frozenset(honorifics), words


def _words(text: str) -> tuple[str, ...]:
    """The words of ``text`` without punctuation, abbreviations spelt out."""
    out: list[str] = []
    for word in _NOT_WORD.sub(" ", text.translate(_QUOTES)).split():
        out.extend(_ABBREVIATIONS.get(word, (word,)))
    return tuple(out)


def _bare(word: str) -> str:
    return word.strip(".,:;").replace(".", "")


def _is_degree_run(part: str, degrees: frozenset[str]) -> bool:
    words = part.split()
    return bool(words) and all(_bare(w) in degrees for w in words)


def _is_trailing_degree(word: str) -> bool:
    bare = _bare(word)
    dotted = "." in word.rstrip(",").rstrip(".") or (word.endswith(".") and len(bare) > 1)
    return bare in (_DEGREES if dotted else _UNMISTAKABLE_DEGREES)


# --------------------------------------------------------------------------- resolving

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


FIND_SCORE = 85
"""rapidfuzz ``partial_ratio`` (0–100) at which a typed fragment finds a list item ("budy" in
"Pak Budi Santoso"); below, only items whose words start with what was typed are found."""


def find_items(typed: str, labels: Sequence[str]) -> list[int] | None:
    """The items of a list that typed text points at, best first: items with a word starting
    with every typed word ("bud san" finds "Pak Budi Santoso"), else near misses. None when
    nothing fits or too little was typed (a single letter).

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
    if prefixed:
        return prefixed
    query = " ".join(wanted)
    scored = [(fuzz.partial_ratio(query, " ".join(words)), i) for i, words in enumerate(keys)]
    near = [i for score, i in sorted(scored, key=lambda s: (-s[0], s[1])) if score >= FIND_SCORE]
    return near or None
