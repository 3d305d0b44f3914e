"""The analysis result as frozen data, and its stable JSON form (``ANALYSIS.md``).

Everything here uses display names. Lists of names are sorted by name (case-, space- and
diacritic-insensitive, see :func:`graph.sort_key`); mappings keyed by name are in the same
order; floats are rounded to 4 places in :meth:`Analysis.to_json_dict` (the dataclasses keep
full precision). The JSON object has exactly the contract's keys in the contract's order,
followed by extra keys (allowed by the contract: fields may be added, never renamed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Analysis",
    "Centrality",
    "CoreFit",
    "Gatekeeper",
    "Need",
    "Resources",
    "Roles",
    "Stage",
    "Suggestion",
    "WithoutEgo",
]


@dataclass(frozen=True)
class Centrality:
    """Per-actor measures, keyed by display name in name order. Treat as read-only."""

    degree: dict[str, int] = field(default_factory=dict)
    betweenness: dict[str, float] = field(default_factory=dict)
    closeness: dict[str, float] = field(default_factory=dict)
    core_number: dict[str, int] = field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "degree": dict(self.degree),
            "betweenness": {k: _round(v) for k, v in self.betweenness.items()},
            "closeness": {k: _round(v) for k, v in self.closeness.items()},
            "core_number": dict(self.core_number),
        }


@dataclass(frozen=True)
class Roles:
    """The module's five roles (Bab III), each a sorted tuple of names."""

    hubs: tuple[str, ...] = ()
    brokers: tuple[str, ...] = ()
    closest: tuple[str, ...] = ()
    boundary_spanners: tuple[str, ...] = ()
    peripheral: tuple[str, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "hubs": list(self.hubs),
            "brokers": list(self.brokers),
            "closest": list(self.closest),
            "boundary_spanners": list(self.boundary_spanners),
            "peripheral": list(self.peripheral),
        }


@dataclass(frozen=True)
class Gatekeeper:
    """A cut point that is some actors' only tie to the rest of the map (``ANALYSIS.md``,
    "Consistency"): Karawang's middleman between the farmers and everyone else.

    ``dependents`` are the actors whose one tie goes to the gatekeeper. The participant is
    never a gatekeeper: on their own map they are expected to introduce people (the weaver).
    """

    name: str
    dependents: tuple[str, ...]

    def to_json_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dependents": list(self.dependents)}


@dataclass(frozen=True)
class Need:
    """One actor's need (mapping step 2c), the resource kinds it names, who else holds them."""

    actor: str
    need: str
    kinds: tuple[str, ...] = ()
    met_by: tuple[str, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "need": self.need,
            "kinds": list(self.kinds),
            "met_by": list(self.met_by),
        }


@dataclass(frozen=True)
class Resources:
    """Mapping step 4b: who holds which kind of resource (step 2b), the kinds nobody holds,
    and each recorded need with who could meet it (see :mod:`.resources`)."""

    holders: tuple[tuple[str, tuple[str, ...]], ...] = ()
    unheld: tuple[str, ...] = ()
    needs: tuple[Need, ...] = ()

    @property
    def recorded(self) -> bool:
        """Anyone on the map has resources or a need recorded."""
        return bool(self.holders or self.needs)

    @property
    def unmet(self) -> tuple[Need, ...]:
        """The needs nobody else on the map meets."""
        return tuple(n for n in self.needs if not n.met_by)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "holders": {kind: list(names) for kind, names in self.holders},
            "unheld": list(self.unheld),
            "needs": [n.to_json_dict() for n in self.needs],
            "unmet": [n.actor for n in self.unmet],
        }


@dataclass(frozen=True)
class CoreFit:
    """The Borgatti–Everett core found in the main component."""

    members: tuple[str, ...] = ()
    fit: float = 0.0
    density: float = 0.0


@dataclass(frozen=True)
class Stage:
    """Krebs & Holley stage with the measures its signature used."""

    key: str
    flags: tuple[str, ...] = ()
    nearest: str | None = None
    satellites: tuple[tuple[str, ...], ...] = ()
    components: int = 0
    largest_share: float = 0.0
    centralisation: float = 0.0
    degree_ratio: float = 0.0
    highest_degree: int = 0
    hubs: tuple[str, ...] = ()
    core: CoreFit = CoreFit()

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "flags": list(self.flags),
            "nearest": self.nearest,
            "satellites": [list(s) for s in self.satellites],
            "signature": {
                "components": self.components,
                "largest_share": _round(self.largest_share),
                "centralisation": _round(self.centralisation),
                "degree_ratio": _round(self.degree_ratio),
                "highest_degree": self.highest_degree,
                "hubs": list(self.hubs),
                "core": list(self.core.members),
                "core_density": _round(self.core.density),
                "core_fit": _round(self.core.fit),
            },
        }


@dataclass(frozen=True)
class WithoutEgo:
    """The map with the participant taken out: "if you stepped away"."""

    ego: str
    actors: int
    ties: int
    components: int
    clusters: tuple[tuple[str, ...], ...]
    roles: Roles
    stage: Stage
    cut_points: tuple[str, ...] = ()
    pieces: tuple[tuple[str, ...], ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "components": self.components,
            "clusters": [list(c) for c in self.clusters],
            "stage": self.stage.to_json_dict(),
            "roles": self.roles.to_json_dict(),
            "cut_points": list(self.cut_points),
        }


@dataclass(frozen=True)
class Suggestion:
    """A suggested new tie (*merajut jejaring*): a message key and data, never prose.

    ``kind`` and ``reason`` select the templates (``analysis.j2``: ``suggestion_<kind>`` and
    ``reason_<reason>``); :meth:`context` gives the values they need.
    """

    a: str
    b: str
    kind: str
    reason: str
    via: str | None = None
    components_joined: int = 0
    cut_points_removed: tuple[str, ...] = ()
    efficiency_gain: float = 0.0

    def context(self) -> dict[str, Any]:
        """Template context: ``a``, ``b``, ``via``, ``kind``, ``reason`` and the effects."""
        return {
            "a": self.a,
            "b": self.b,
            "via": self.via,
            "kind": self.kind,
            "reason": self.reason,
            "components_joined": self.components_joined,
            "cut_points": list(self.cut_points_removed),
            "efficiency_gain": _round(self.efficiency_gain),
        }

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "kind": self.kind,
            "reason": self.reason,
            "via": self.via,
            "components_joined": self.components_joined,
            "cut_points_removed": list(self.cut_points_removed),
            "efficiency_gain": _round(self.efficiency_gain),
        }


@dataclass(frozen=True)
class Analysis:
    """Everything the analysis found about one map (see ``ANALYSIS.md``).

    ``approximate`` is true when betweenness and closeness were estimated from
    ``sampled_sources`` sources (large maps). ``pieces`` are the connected components (largest
    first, each in name order; not in the JSON, which gives their number as ``components``).
    """

    actors: int
    ties: int
    strong_ties: int
    weak_ties: int
    density: float
    components: int
    clusters: tuple[tuple[str, ...], ...]
    centrality: Centrality
    roles: Roles
    stage: Stage
    without_ego: WithoutEgo | None
    suggestions: tuple[Suggestion, ...]
    ego: str | None = None
    one_way_ties: int = 0
    cut_points: tuple[str, ...] = ()
    bridges: tuple[tuple[str, str], ...] = ()
    tie_list: tuple[tuple[str, str], ...] = ()
    approximate: bool = False
    sampled_sources: int = 0
    gatekeepers: tuple[Gatekeeper, ...] = ()
    resources: Resources = Resources()
    pieces: tuple[tuple[str, ...], ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        """The ``jejaring analyze --json`` object: contract keys in order, then extras."""
        return {
            "actors": self.actors,
            "ties": self.ties,
            "strong_ties": self.strong_ties,
            "weak_ties": self.weak_ties,
            "density": _round(self.density),
            "components": self.components,
            "clusters": [list(c) for c in self.clusters],
            "centrality": self.centrality.to_json_dict(),
            "roles": self.roles.to_json_dict(),
            "stage": self.stage.to_json_dict(),
            "without_ego": None if self.without_ego is None else self.without_ego.to_json_dict(),
            "suggestions": [s.to_json_dict() for s in self.suggestions],
            "ego": self.ego,
            "one_way_ties": self.one_way_ties,
            "cut_points": list(self.cut_points),
            "bridges": [list(b) for b in self.bridges],
            "tie_list": [list(t) for t in self.tie_list],
            "approximate": self.approximate,
            "sampled_sources": self.sampled_sources,
            "gatekeepers": [g.to_json_dict() for g in self.gatekeepers],
            "resources": self.resources.to_json_dict(),
        }


def _round(value: float) -> float:
    return round(float(value), 4) + 0.0
