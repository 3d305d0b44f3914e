"""A map's analysis as a step shows it: computed once per event, passed in, never cached.

Analysing a map takes up to a second for a large one, and the engine builds a step's prompt
several times per event (to check a pressed button or a typed choice, then to reply). So the
flows name the analyses their steps show (a flow's ``analyses(snap)``, gathered by
``engine.analyses``, as ``needs`` names what storage loads); the application computes them
once, before the engine runs, into ``Snapshot.analyses``; :func:`of` reads them there. An
analysis nobody declared (a map the event itself changed) is computed where it is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from coaching.analysis import Analysis, GraphError, analyse
from coaching.network import Actor, MapView, TieView

if TYPE_CHECKING:
    from coaching.model import Snapshot


@dataclass(frozen=True)
class Wanted:
    """One analysis: the map's actors and ties as they are, and whether it suggests new ties
    (a lesson that names none asks for none: cheaper)."""

    actors: tuple[Actor, ...]
    ties: tuple[TieView, ...]
    suggestions: bool = True


def wanted(view: MapView, *, suggestions: bool = True) -> Wanted:
    return Wanted(view.actors, view.ties, suggestions)


def compute(want: Wanted) -> Analysis | None:
    """The analysis (with the participant as the ego, if the map has one); None for a map
    that cannot be analysed."""
    view = MapView(None, "case", "", actors=want.actors, ties=want.ties)
    ego = view.ego.name if view.ego else None
    try:
        if want.suggestions:
            return analyse(view.graph(), ego)
        return analyse(view.graph(), ego, max_suggestions=0)
    except GraphError:
        return None


def of(snap: Snapshot, view: MapView, *, suggestions: bool = True) -> Analysis | None:
    """The analysis of ``view``: as the application computed it for this event, else now."""
    want = wanted(view, suggestions=suggestions)
    if want in snap.analyses:
        return snap.analyses[want]
    return compute(want)
