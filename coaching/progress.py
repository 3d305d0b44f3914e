"""Network work earns progress, as exercises do: a map with its ties, its analysis, a planned
tie, each Know-Like-Trust-Buy step (``coaching.curriculum.PRACTICE``).

Pure: the engine asks, after each event, what the event's effects have earned that the
participant had not yet, and emits :class:`coaching.model.CompleteItem` for it (storage keeps a
``progress`` row, as for an answered exercise).
"""

from __future__ import annotations

from collections.abc import Iterable

from coaching.curriculum import PRACTICE
from coaching.model import (
    ChangeMap,
    CreateMap,
    Effect,
    PlanTie,
    RecordKltb,
    SaveAnalysis,
    Snapshot,
)
from coaching.network import MapView

MAP_ACTORS_MIN = 2  # besides the participant: a map with ties between people, not a stub


def has_its_ties(view: MapView) -> bool:
    """A map of the participant's own with at least two actors besides them, and ties."""
    size = view.counts()
    return not view.read_only and size.actors_without_ego >= MAP_ACTORS_MIN and size.ties >= 1


def earned(before: Snapshot, effects: Iterable[Effect], after: Snapshot) -> tuple[str, ...]:
    """The practice items the effects earned that ``before`` had not completed."""
    effects = tuple(effects)
    items: set[str] = set()
    for effect in effects:
        if isinstance(effect, SaveAnalysis):
            items.add("peta.analysis")
        elif isinstance(effect, PlanTie):
            items.add("peta.plan")
        elif isinstance(effect, RecordKltb):
            items.add(f"peta.kltb_{effect.step}")
    if any(isinstance(e, ChangeMap | CreateMap) for e in effects) and any(
        has_its_ties(view) for view in after.maps
    ):
        items.add("peta.map")
    return tuple(key for key in PRACTICE if key in items and key not in before.completed)
