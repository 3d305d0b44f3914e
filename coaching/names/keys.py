"""The keys derived from a cleaned name: :func:`name_key` (an actor's identity on a map) and
:func:`match_key` (looser, only to find who is meant)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from coaching.names.cleaning import KEY_MAX, _visible


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
