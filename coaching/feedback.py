"""Formative feedback on an answer, as soon as it is saved: what it covers of the module's key
points, the first point it misses with a follow-up question, and where the item is about the
participant's own map, what that map shows.

Pure and deterministic: the rubric is data (``coaching/rubrics.toml``, beside the curriculum,
both languages, in the module's words), the answer is matched against it after stemming
(Sastrawi, the maintained Indonesian stemmer: "menghubungkan" → "hubung", "kepercayaan" →
"percaya"), tolerant of typos (rapidfuzz), whatever the language the participant wrote in. No
external service. Budget: ≤ 20 ms for one answer (``python -m bench.feedback``).

An empty or evasive answer is a *draft*: it is kept, counts for no progress, and is met with
an encouraging prompt. Empty: only signs, emoji or punctuation ("-", "...", "👍", "?"), or a
few words that touch no key point. Evasive, whatever its length: the participant says they do
not know, have not read the module, or will answer later ("Tidak tahu, belum baca modulnya,
nanti saja saya pikirkan lagi kalau sempat ya"), unless the answer still touches at least two
of the item's key points.

>>> fb = assess("bab3.evaluasi1", "Banyaknya aktor yang terlibat dalam jejaring kerja.")
>>> [p.id for p in fb.covered], fb.missing.id if fb.missing else None, fb.draft
(['actors'], 'bigger', False)
>>> assess("bab3.evaluasi1", "Tidak tahu, belum baca modulnya.").draft
True
>>> assess("bab2.evaluasi1", "I don't know, haven't read the module, will do it later.").draft
True
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory  # type: ignore[import-untyped]

from coaching import address as addressing
from coaching import answer_words
from coaching.model import KLTB_STEPS, Reply, SaveAnswer, Snapshot
from coaching.network import MapView
from coaching.text import render

RUBRICS_PATH = Path(__file__).with_name("rubrics.toml")
LOCALES = ("id", "en")
MIN_WORDS = 5  # words of substance below which an answer that touches no key point is a draft
FLOOR_WORDS = 2  # below this an answer is a draft whatever it touches
EVASIVE_COVER = 2  # key points an evasive answer must still touch to count
FUZZY_MIN_LEN = 6  # shorter words must match exactly (after stemming): "kuat" is not "kuas"
FUZZY_CUTOFF = 88.0
MAX_TOKENS = 1500  # an answer is at most 3,500 characters; this only bounds the work
ADDRESS = "{sapaan}"


@dataclass(frozen=True)
class Point:
    """One key point of an item: what it is, the words that show it, the question it asks."""

    id: str
    label: Mapping[str, str]
    ask: Mapping[str, str]
    terms: tuple[tuple[str, ...], ...]  # stemmed phrases, both languages


@dataclass(frozen=True)
class Mixup:
    """Words of another concept the module keeps apart from this item's (Anklam's stages of
    development against Krebs & Holley's stages of reorganising), and the note saying so."""

    terms: tuple[tuple[str, ...], ...]
    note: Mapping[str, str]


@dataclass(frozen=True)
class Rubric:
    key: str
    points: tuple[Point, ...]
    map: str | None = None  # what of the participant's own map the item is about
    min_words: int = MIN_WORDS
    mixups: tuple[Mixup, ...] = ()


@dataclass(frozen=True)
class Feedback:
    key: str
    draft: bool
    covered: tuple[Point, ...] = ()
    missing: Point | None = None
    mixups: tuple[Mixup, ...] = ()
    words: int = 0
    map: str | None = None


# --- the rubric --------------------------------------------------------------------------------


@cache
def rubrics() -> dict[str, Rubric]:
    """Every item's rubric, by its answer key, parsed and stemmed once."""
    with RUBRICS_PATH.open("rb") as handle:
        raw = tomllib.load(handle)
    found: dict[str, Rubric] = {}
    _collect(raw, (), found)
    return found


def rubric_for(key: str) -> Rubric | None:
    """The rubric an answer key is matched against (Bab V's transitions share one per aspect:
    ``bab5.stage2.style`` → ``bab5.transition.style``)."""
    table = rubrics()
    if key in table:
        return table[key]
    match = re.fullmatch(r"bab5\.stage\d+\.(\w+)", key)
    return table.get(f"bab5.transition.{match.group(1)}") if match else None


def _collect(node: Mapping[str, Any], path: tuple[str, ...], found: dict[str, Rubric]) -> None:
    if "points" in node:
        key = ".".join(path)
        found[key] = Rubric(
            key,
            tuple(_point(p) for p in node["points"]),
            node.get("map"),
            int(node.get("min_words", MIN_WORDS)),
            tuple(
                Mixup(_phrases(m["terms"]), {loc: m[f"note_{loc}"] for loc in LOCALES})
                for m in node.get("mixups", ())
            ),
        )
        return
    for name, child in node.items():
        if isinstance(child, Mapping):
            _collect(child, (*path, name), found)


def _point(raw: Mapping[str, Any]) -> Point:
    return Point(
        raw["id"],
        {loc: raw[f"label_{loc}"] for loc in LOCALES},
        {loc: raw[f"ask_{loc}"] for loc in LOCALES},
        _phrases(raw["terms_id"], "id") + _phrases(raw["terms_en"], "en"),
    )


def _phrases(terms: Sequence[str], locale: str = "id") -> tuple[tuple[str, ...], ...]:
    stem = _stem_id if locale == "id" else _english
    stemmed = (tuple(stem(w) for w in answer_words.words(term)) for term in terms)
    return tuple(dict.fromkeys(p for p in stemmed if p))  # unique, in order


# --- matching ----------------------------------------------------------------------------------


def assess(key: str, text: str) -> Feedback:
    """What an answer to item ``key`` covers of its rubric; a draft when it is empty or evasive.

    An item without a rubric gets only the draft check.
    """
    words = answer_words.words(text)[:MAX_TOKENS]
    content = answer_words.content(words)
    rubric = rubric_for(key)
    evasive = answer_words.is_evasive(words)
    if rubric is None:
        return Feedback(key, draft=len(content) < FLOOR_WORDS or evasive, words=len(content))
    rubrics()  # parsed (and the rubric's own words stemmed) once per process
    stems = _answer_stems(words)
    index = _Index(stems)
    covered = tuple(p for p in rubric.points if any(index.has(t) for t in p.terms))
    missing = next((p for p in rubric.points if p not in covered), None)
    mixups = tuple(m for m in rubric.mixups if any(index.has(t) for t in m.terms))
    draft = (
        len(content) < FLOOR_WORDS
        or (len(content) < rubric.min_words and not covered)
        or (evasive and len(covered) < min(EVASIVE_COVER, len(rubric.points)))
    )
    if draft:
        covered, mixups = (), ()
        missing = rubric.points[0] if rubric.points else None
    return Feedback(key, draft, covered, missing, mixups, len(content), rubric.map)


def is_draft(key: str, text: str) -> bool:
    return assess(key, text).draft


class _Index:
    """An answer's stems, for phrase look-ups: exact first, then a typo's worth of fuzz."""

    def __init__(self, stems: Sequence[str]) -> None:
        self.stems = stems
        self.positions: dict[str, list[int]] = {}
        for i, stem in enumerate(stems):
            self.positions.setdefault(stem, []).append(i)
        self.vocab = [s for s in self.positions if len(s) >= FUZZY_MIN_LEN - 1]
        self._near: dict[str, tuple[str, ...]] = {}

    def where(self, stem: str) -> list[int]:
        if stem in self.positions:
            return self.positions[stem]
        if len(stem) < FUZZY_MIN_LEN or not self.vocab:
            return []
        if stem not in self._near:
            found = process.extract(
                stem, self.vocab, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=3
            )
            self._near[stem] = tuple(str(match[0]) for match in found)
        return sorted(i for near in self._near[stem] for i in self.positions[near])

    def has(self, phrase: tuple[str, ...]) -> bool:
        """All the phrase's words, in order, each within two words of the one before."""
        starts = self.where(phrase[0])
        for start in starts:
            at, ok = start, True
            for stem in phrase[1:]:
                nxt = [i for i in self.where(stem) if at < i <= at + 3]
                if not nxt:
                    ok = False
                    break
                at = nxt[0]
            if ok:
                return True
        return False


def _answer_stems(words: Sequence[str]) -> list[str]:
    """Each word's stem as far as the rubrics care.

    The stemmer is slow on words it does not know (a name, a typo: about a millisecond each),
    so only a word that may be an affixed form of a rubric's word goes to it: one holding that
    word between an Indonesian prefix and suffix ("pertukaran" = per + tukar + an;
    "menukar" = men + (t)ukar). Every other word keeps its form, with English endings taken
    off. Deterministic: the same answer always gives the same stems.
    """
    seen: dict[str, str] = {}
    out = []
    for word in words:
        if word not in seen:
            seen[word] = _answer_stem(word)
        out.append(seen[word])
    return out


@lru_cache(maxsize=50_000)
def _answer_stem(word: str) -> str:
    index, roots = _root_index()
    if word in roots:
        return word
    for i in range(len(word) - 2):
        for root, form in index.get(word[i : i + 3], ()):
            if not word.startswith(form, i):
                continue
            prefix, suffix = word[:i], word[i + len(form) :]
            nasal = form != root  # "menukar": the root's first letter melts into the nasal
            if (_PREFIX.fullmatch(prefix) and (not nasal or _NASAL.search(prefix))) and (
                _SUFFIX.fullmatch(suffix)
            ):
                stemmed = _stem_id(word)
                return stemmed if stemmed in roots else root
    return _english(word)


_PREFIX = re.compile(
    r"(?:(?:me|pe)(?:m|n|ng|ny|nge)?|be[rl]?|te[r]?|di|ke|se)?"
    r"(?:(?:per|pe|ber|be|ke|ter|se|memper|mem|men|meng)){0,2}"
)
_NASAL = re.compile(r"(?:m|n|ng|ny)$")
_SUFFIX = re.compile(r"(?:i|an|kan)?(?:ku|mu|nya)?(?:lah|kah|pun)?")


@cache
def _root_index() -> tuple[dict[str, list[tuple[str, str]]], frozenset[str]]:
    """The rubrics' Indonesian words (stemmed), by their first three letters; with the form a
    root beginning with p, t, k or s takes after a nasal prefix (tukar → ukar)."""
    roots = frozenset(
        stem
        for rubric in rubrics().values()
        for phrase in (
            *(t for p in rubric.points for t in p.terms),
            *(t for m in rubric.mixups for t in m.terms),
        )
        for stem in phrase
        if len(stem) >= 3
    )
    index: dict[str, list[tuple[str, str]]] = {}
    for root in sorted(roots):
        forms = {root}
        if root[0] in "ptks" and len(root) >= 5:
            forms.add(root[1:])
        for form in sorted(forms):
            index.setdefault(form[:3], []).append((root, form))
    return index, roots


@lru_cache(maxsize=50_000)
def _stem_id(word: str) -> str:
    """Sastrawi's stem; a word it leaves alone loses an English ending instead, so a word
    listed in both languages of a rubric ("similarity") has one stem."""
    stemmed = str(_stemmer().stem(word)) or word
    return _english(word) if stemmed == word and word.isascii() else stemmed


def _english(word: str) -> str:
    """A light English suffix strip, so "brokers", "connected", "sharing" meet their stems."""
    for suffix in ("ities", "ity", "ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@cache
def _stemmer() -> Any:
    return StemmerFactory().create_stemmer()


# --- the reply ---------------------------------------------------------------------------------

EXCERPT = 300  # characters of the answer shown back above the feedback (escaped as all text)


def reply(snap: Snapshot, key: str, fb: Feedback, text: str = "", *, kept: bool = False) -> Reply:
    """The feedback message: covered points, the first missing one with its question, the
    participant's own map where the item is about it; for a draft, an encouraging prompt.

    ``kept``: the draft did not replace an earlier full answer (it was not stored).
    """
    locale = snap.locale if snap.locale in LOCALES else "id"
    address = render(locale, "feedback.address", you=addressing.form(snap))

    def say(value: Mapping[str, str]) -> str:
        return value[locale].replace(ADDRESS, address)

    context = {
        "key": key,
        "draft": fb.draft,
        "kept": kept,
        "covered": [say(p.label) for p in fb.covered],
        "missing": say(fb.missing.label) if fb.missing else None,
        "ask": say(fb.missing.ask) if fb.missing else None,
        "notes": [say(m.note) for m in fb.mixups],
        "map": None if fb.draft else map_facts(snap, fb.map),
        "excerpt": _excerpt(text),
    }
    return Reply("feedback.reply", context)


def respond(snap: Snapshot, key: str, text: str) -> tuple[Feedback, Reply]:
    fb = assess(key, text)
    return fb, reply(snap, key, fb, text)


def _excerpt(text: str) -> str | None:
    text = " ".join(text.split())
    if not text:
        return None
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def map_facts(snap: Snapshot, kind: str | None) -> dict[str, Any] | None:
    """What the participant's own map shows for an item about ``kind``: the active map when
    it is theirs, else their personal map. Counted from the map as it is (cheap); who is
    central comes from its latest analysis when there is one (``/analisis``)."""
    if kind is None:
        return None
    view = snap.network if snap.network and snap.network.kind != "example" else None
    if view is None or view.id is None:
        view = next((m for m in snap.maps if m.kind == "personal" and m.id is not None), None)
    if kind == "kltb":
        view = next((m for m in snap.maps if m.kind == "personal"), view)
        if view is None:
            return {"kind": "empty"}
        steps = [
            (s, sum(1 for a in view.others() if view.kltb_reached(a.name) == s)) for s in KLTB_STEPS
        ]
        return {"kind": "kltb", "steps": steps}
    if view is None or len(view.actors) < 2:
        return {"kind": "empty"}
    counts = view.counts()
    title = render(
        snap.locale, "network.map_title", title=view.title, kind=view.kind, example=view.example
    )
    facts: dict[str, Any] = {"kind": kind, "title": title, **counts.as_dict()}
    if kind == "density":
        possible = counts.actors * (counts.actors - 1) // 2
        value = counts.ties / possible if possible else 0.0
        facts |= {"possible": possible, "density": _decimal(value, snap.locale)}
    elif kind == "structure":
        facts |= {
            "strong": sum(1 for t in view.ties if t.strength == "strong"),
            "weak": sum(1 for t in view.ties if t.strength == "weak"),
        }
    elif kind == "stage":
        facts["stage"] = view.stages[-1][1] if view.stages else None
    elif kind == "centrality":
        facts |= _central(snap, view)
    return facts


def _central(snap: Snapshot, view: MapView) -> dict[str, Any]:
    roles: Mapping[str, Any] = {}
    if snap.last_analysis is not None and snap.network is not None and snap.network.id == view.id:
        roles = snap.last_analysis.get("roles") or {}
    ego = view.ego.key if view.ego else None
    names = {a.key: a.name for a in view.actors}
    degree: dict[str, int] = {}
    for tie in view.ties:
        for end in (tie.a, tie.b):
            if end != ego:
                degree[end] = degree.get(end, 0) + 1
    top = min(degree.items(), key=lambda kv: (-kv[1], kv[0])) if degree else None
    return {
        "analysed": bool(roles),
        "hubs": list(roles.get("hubs", ()))[:5],
        "brokers": list(roles.get("brokers", ()))[:5],
        "closest": list(roles.get("closest", ()))[:5],
        "top": names.get(top[0], top[0]) if top and not roles else None,
        "degree": top[1] if top else 0,
    }


def _decimal(value: float, locale: str) -> str:
    shown = f"{value:.2f}"
    return shown.replace(".", ",") if locale == "id" else shown


@dataclass(frozen=True)
class Answered:
    """What a flow does with a typed answer: the feedback to send, what to store (None: keep
    the earlier answer), and whether it is a draft (the flow stays on the question)."""

    reply: Reply
    save: SaveAnswer | None
    draft: bool


def on_answer(snap: Snapshot, key: str, text: str) -> Answered:
    """Feedback on an answer to ``key`` and what to store: a full answer is saved (and counts);
    a draft is saved as a draft unless an earlier full answer exists, which it never replaces."""
    fb = assess(key, text)
    if not fb.draft:
        return Answered(reply(snap, key, fb, text), SaveAnswer(key, text), False)
    previous = snap.answers.get(key)
    if previous and not assess(key, previous).draft:
        return Answered(reply(snap, key, fb, text, kept=True), None, True)
    return Answered(reply(snap, key, fb, text), SaveAnswer(key, text, draft=True), True)
