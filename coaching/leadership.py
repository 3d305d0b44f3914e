"""Bab V's network leadership as data: what the self-assessment asks, and what it suggests.

The module (Bab V.A) names six characteristics of a leader who leads by "connect &
collaborate" (LLC, 2012) and eight success criteria of network leadership (Anklam, 2007); the
participant scores each on a 1–5 scale. Bab V.B names four stages of a network's development
(Anklam, 2007) and four things adjusted at each transition. Keys are stable: they are stored
with the answers (``bab5.selfcheck`` keeps the scores under these keys) and name the texts in
``templates/<locale>/bab5.j2``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Mau membagi ide, membagi informasi, berbagi kenalan/kontak, mampu merajut jejaring, percaya
# pada kemampuan kepemimpinan setiap orang, proaktif pada keterbukaan — the module's order.
CHARACTERISTICS: tuple[str, ...] = (
    "share_ideas",
    "share_information",
    "share_contacts",
    "weave",
    "believe",
    "openness",
)
# Anklam's eight criteria, numbered 1–8 in the module, in its order.
CRITERIA: tuple[str, ...] = (
    "stakeholders",
    "trust",
    "expectations",
    "mechanisms",
    "exchange",
    "support",
    "conflict",
    "give_get",
)
SCALE: tuple[int, ...] = (1, 2, 3, 4, 5)
STAGES: tuple[str, ...] = ("purpose", "design", "grow", "perform")  # Tahap I–IV
ASPECTS: tuple[str, ...] = ("purpose", "structure", "style", "value")  # adjusted in transition
# The module's questions for each adjustment in a transition (Bab V.B), in its order.
QUESTIONS: dict[str, tuple[str, ...]] = {
    "purpose": ("achieved", "expected", "committed"),
    "structure": ("supports", "responsive", "exchange", "diverse"),
    "style": ("comfort", "reciprocal", "rules", "leadership"),
    "value": ("resources", "fits_purpose", "measured", "received"),
}
# Which questions the move from each stage to the next asks: each of the module's fifteen
# questions once, where the stages' own descriptions put its work. Leaving Tahap I Purpose,
# the shared understanding of the goal and its benefit (Tahap I is "kesepahaman tentang tujuan
# dan manfaat"); leaving Tahap II Design, the structure, its exchanges, its diversity, the
# norms and the places of interaction it designed; leaving Tahap III Grow, whether the growing
# network stays responsive, reciprocal, led and resourced, and measures its benefit; leaving
# Tahap IV Perform for a new balance, whether the goal was reached and the benefit received
# ("apakah jejaring telah berhasil mencapai tujuannya?" belongs here, not to Tahap I).
TRANSITIONS: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...] = (
    (("purpose", ("expected", "committed")), ("value", ("fits_purpose",))),
    (("structure", ("supports", "exchange", "diverse")), ("style", ("comfort", "rules"))),
    (
        ("structure", ("responsive",)),
        ("style", ("reciprocal", "leadership")),
        ("value", ("resources", "measured")),
    ),
    (("purpose", ("achieved",)), ("value", ("received",))),
)
# Krebs & Holley's patterns of a network's structure (Bab IV) and the development stage of
# Anklam's model (Bab V) where the module does that structural work: mapping and re-arranging
# the structure and adding ties are Tahap II Design's work; a multi-hub network is growing
# (Tahap III Grow); a core/periphery network has grown and keeps growing to reach its goal
# on a wider scale (Tahap IV Perform). A hint for the participant, who chooses.
STAGE_OF_PATTERN: dict[str, int] = {
    "scattered_fragments": 2,
    "hub_and_spoke": 2,
    "multi_hub": 3,
    "core_periphery": 4,
}
WEAK_LIMIT = 3  # suggestions shown at once: more would be a wall of text on a phone
WEAK_SCORE = 3  # a score at or below this is a weak point


@dataclass(frozen=True)
class Item:
    key: str
    group: str  # "llc" (characteristic) | "anklam" (success criterion)
    number: int  # its number within the group, as the module counts


ITEMS: tuple[Item, ...] = tuple(
    Item(key, "llc", n) for n, key in enumerate(CHARACTERISTICS, start=1)
) + tuple(Item(key, "anklam", n) for n, key in enumerate(CRITERIA, start=1))
ITEMS_BY_KEY: dict[str, Item] = {item.key: item for item in ITEMS}


def valid_scores(raw: object) -> dict[str, int]:
    """The scores in ``raw`` that name a known item with a value on the scale.

    State data and stored answers are JSON: whatever else they hold is dropped, so a tampered
    or outdated value can neither crash a prompt nor reach the chart.
    """
    if not isinstance(raw, Mapping):
        return {}
    scores: dict[str, int] = {}
    for key, value in raw.items():
        if key in ITEMS_BY_KEY and isinstance(value, int) and value in SCALE:
            scores[str(key)] = value
    return scores


def weakest(scores: Mapping[str, int], limit: int = WEAK_LIMIT) -> tuple[str, ...]:
    """The items to work on first: lowest score first, the module's order breaking ties.

    Items scored ``WEAK_SCORE`` or less are weak points. When there are none, the lowest
    items still below the top of the scale are named (something to polish); a perfect score
    everywhere names nothing.
    """
    rated = [
        (scores[item.key], index, item.key)
        for index, item in enumerate(ITEMS)
        if item.key in scores
    ]
    rated.sort()
    weak = [key for score, _, key in rated if score <= WEAK_SCORE]
    if not weak and rated and rated[0][0] < SCALE[-1]:
        lowest = rated[0][0]
        weak = [key for score, _, key in rated if score == lowest]
    return tuple(weak[:limit])


def averages(scores: Mapping[str, int]) -> dict[str, float | None]:
    """Mean score per group (``llc``, ``anklam``), None for a group with no score yet."""
    result: dict[str, float | None] = {}
    for group in ("llc", "anklam"):
        values = [scores[i.key] for i in ITEMS if i.group == group and i.key in scores]
        result[group] = round(sum(values) / len(values), 1) if values else None
    return result
