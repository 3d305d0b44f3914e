"""A map's pieces as plain data: actors, ties, KLTB steps, planned ties, and the one count of a
map's size."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import networkx as nx

from coaching.analysis import name_key
from coaching.names import NAME_MAX

ACTOR_NAME_MAX = NAME_MAX
ACTOR_KINDS = ("person", "group", "organisation")
RESOURCES = ("information", "expertise", "funds", "influence", "access", "other")
IBARRA = ("personal", "operational", "strategic")
FLOWS = ("communication", "information", "problem_solving", "knowledge", "access")
STRENGTH_WORDS = {"kuat": "strong", "strong": "strong", "lemah": "weak", "weak": "weak"}
HISTORY_MAX = 30  # undo steps kept per map (and as many redo steps)
ACTOR_FIELDS = frozenset({"kind", "role", "inside", "resources", "needs", "ibarra", "kltb_step"})


@dataclass(frozen=True)
class Actor:
    name: str
    kind: str | None = None
    role: str | None = None
    inside: bool | None = None
    resources: tuple[str, ...] = ()
    needs: str | None = None
    ibarra: str | None = None
    kltb_step: str | None = None
    is_ego: bool = False

    @property
    def key(self) -> str:
        return name_key(self.name)

    def attributes(self) -> dict[str, Any]:
        return {f: _jsonable(getattr(self, f)) for f in sorted(ACTOR_FIELDS)}


@dataclass(frozen=True)
class TieView:
    """A tie between two actors (by key). ``direction`` "out" means from ``a`` to ``b``."""

    a: str
    b: str
    strength: str | None = None
    direction: str = "both"
    flows: tuple[str, ...] = ()

    def joins(self, x: str, y: str) -> bool:
        return {self.a, self.b} == {x, y}


@dataclass(frozen=True)
class KltbView:
    """One Know-Like-Trust-Buy step with one stakeholder: reached (with notes) or planned."""

    actor: str  # actor key
    step: str
    note: str | None = None
    next_action: str | None = None
    due_at: datetime | None = None
    done_at: datetime | None = None


@dataclass(frozen=True)
class PlannedTie:
    """A tie the participant plans to weave ("merajut jejaring"), maybe with a due date."""

    id: int | None
    a: str  # display names
    b: str
    reason: str | None = None
    due_at: datetime | None = None
    done_at: datetime | None = None
    status: str = "planned"  # planned | done | dropped (coaching/flows/plans.py)
    note: str | None = None  # how it went, in the participant's words
    dropped_at: datetime | None = None
    followup_at: datetime | None = None  # when a nudge asked how it went
    followup_answer: str | None = None  # done | later | dropped

    @property
    def is_open(self) -> bool:
        return self.status == "planned" and self.done_at is None


@dataclass(frozen=True)
class MapCounts:
    """A map's size, defined once: the map page, ``/analisis``, the picture and its caption,
    the coach's views and the exports all count with this.

    ``actors`` and ``ties`` count everyone on the map, the participant included (they are a
    node of their personal map like any other). ``without_ego`` gives the same counts with the
    participant and their ties left out; it says so by ``ego`` (False: nobody was left out).
    """

    actors: int
    ties: int
    ego: bool = False  # the participant is on this map
    actors_without_ego: int = 0
    ties_without_ego: int = 0

    @classmethod
    def of(
        cls, actors: Iterable[str], ties: Iterable[tuple[str, str]], ego: str | None = None
    ) -> MapCounts:
        """Counts from actor keys, tie pairs (by key, either order) and the ego's key."""
        keys = set(actors)
        pairs = {frozenset(pair) for pair in ties if pair[0] != pair[1]}
        keys.update(key for pair in pairs for key in pair)
        has_ego = ego is not None and ego in keys
        return cls(
            actors=len(keys),
            ties=len(pairs),
            ego=has_ego,
            actors_without_ego=len(keys) - (1 if has_ego else 0),
            ties_without_ego=sum(1 for pair in pairs if ego not in pair),
        )

    @classmethod
    def of_graph(cls, graph: nx.Graph) -> MapCounts:
        """Counts of a map built by :func:`coaching.analysis.build_graph` (its ``ego`` key)."""
        return cls.of(graph.nodes, graph.edges, graph.graph.get("ego"))

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
