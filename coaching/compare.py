"""Before and after: what changed between two analysis snapshots of one map.

Pure (no database, no Telegram): the coach's views (``/kohort`` and the dashboard) and the
Mini App's read-only coach view call :func:`compare` with two stored snapshots — the JSON
of :meth:`coaching.analysis.result.Analysis.to_json_dict` that ``analysis_snapshots.result``
keeps — and show which ties appeared (and went), which actors came and went, how the Krebs &
Holley stage moved along ``scattered → hub-and-spoke → multi-hub → core/periphery``, and the
counts beside each other.

Ties are compared without direction (``tie_list`` holds each tie once, as the analysis
listed it) and names as the analysis wrote them: both snapshots come from the same map, so
one actor keeps one spelling.

Examples
--------
>>> before = {"actors": 3, "ties": 2, "density": 0.67, "stage": {"key": "hub_and_spoke"},
...           "tie_list": [["Sari", "Budi"], ["Sari", "Ani"]]}
>>> after = {"actors": 4, "ties": 4, "density": 0.67, "stage": {"key": "multi_hub"},
...          "tie_list": [["Budi", "Sari"], ["Sari", "Ani"], ["Budi", "Ani"], ["Ani", "Dewi"]]}
>>> change = compare(before, after)
>>> change.ties_appeared
(('Ani', 'Budi'), ('Ani', 'Dewi'))
>>> change.actors_appeared, change.stage_move
(('Dewi',), 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Krebs & Holley's stages in the order a network develops ("Building Smart Communities
# through Network Weaving", 2006): scattered fragments → single hub-and-spoke → multi-hub
# small-world → core/periphery. (``analysis.stages.STAGES`` is the order they are *tested*.)
DEVELOPMENT: tuple[str, ...] = (
    "scattered_fragments",
    "hub_and_spoke",
    "multi_hub",
    "core_periphery",
)
ROLE_KEYS = ("hubs", "brokers", "boundary_spanners", "peripheral")


@dataclass(frozen=True)
class Comparison:
    """What changed from ``before`` to ``after`` (two snapshots of one map)."""

    stage_before: str | None
    stage_after: str | None
    # +1 (or more): moved on along the module's stages; -1: moved back; 0: same or unknown.
    stage_move: int
    ties_appeared: tuple[tuple[str, str], ...]
    ties_gone: tuple[tuple[str, str], ...]
    actors_appeared: tuple[str, ...]
    actors_gone: tuple[str, ...]
    # (before, after) of actors, ties, density, components
    counts: tuple[tuple[str, float | int | None, float | int | None], ...]
    # role → (names who took it on, names who no longer hold it)
    roles: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]

    @property
    def changed(self) -> bool:
        return bool(
            self.ties_appeared
            or self.ties_gone
            or self.actors_appeared
            or self.actors_gone
            or self.stage_before != self.stage_after
        )

    def context(self) -> dict[str, Any]:
        """Template context (both the bot's and the dashboard's texts use these names)."""
        return {
            "stage_before": self.stage_before,
            "stage_after": self.stage_after,
            "stage_move": self.stage_move,
            "ties_appeared": [list(t) for t in self.ties_appeared],
            "ties_gone": [list(t) for t in self.ties_gone],
            "actors_appeared": list(self.actors_appeared),
            "actors_gone": list(self.actors_gone),
            "counts": [{"key": k, "before": b, "after": a} for k, b, a in self.counts],
            "roles": [{"key": k, "gained": list(g), "lost": list(lo)} for k, g, lo in self.roles],
            "changed": self.changed,
        }


def compare(before: Mapping[str, Any], after: Mapping[str, Any]) -> Comparison:
    """What changed from the snapshot ``before`` to the snapshot ``after``.

    Parameters
    ----------
    before, after : the stored analysis JSON of one map at two times (older first).

    Returns
    -------
    Comparison : ties and actors that appeared or went (sorted), the stage's move along
        Krebs & Holley's stages (``DEVELOPMENT`` order), counts side by side, role changes.
    """
    ties_before, ties_after = _ties(before), _ties(after)
    actors_before, actors_after = _actors(before, ties_before), _actors(after, ties_after)
    stage_before, stage_after = _stage(before), _stage(after)
    move = 0
    if stage_before in DEVELOPMENT and stage_after in DEVELOPMENT:
        move = DEVELOPMENT.index(stage_after) - DEVELOPMENT.index(stage_before)
    counts = tuple(
        (key, _number(before.get(key)), _number(after.get(key)))
        for key in ("actors", "ties", "density", "components")
    )
    roles = []
    for key in ROLE_KEYS:
        was, now = _names(before, key), _names(after, key)
        if was != now:
            roles.append((key, tuple(sorted(now - was)), tuple(sorted(was - now))))
    return Comparison(
        stage_before=stage_before,
        stage_after=stage_after,
        stage_move=move,
        ties_appeared=tuple(sorted(ties_after - ties_before)),
        ties_gone=tuple(sorted(ties_before - ties_after)),
        actors_appeared=tuple(sorted(actors_after - actors_before, key=str.casefold)),
        actors_gone=tuple(sorted(actors_before - actors_after, key=str.casefold)),
        counts=counts,
        roles=tuple(roles),
    )


def _ties(result: Mapping[str, Any]) -> set[tuple[str, str]]:
    pairs: Iterable[Any] = result.get("tie_list") or ()
    found: set[tuple[str, str]] = set()
    for pair in pairs:
        if isinstance(pair, list | tuple) and len(pair) == 2:
            a, b = str(pair[0]), str(pair[1])
            found.add((a, b) if a.casefold() <= b.casefold() else (b, a))
    return found


def _actors(result: Mapping[str, Any], ties: set[tuple[str, str]]) -> set[str]:
    """Every actor the snapshot names: in a tie, a cluster, or the centrality table."""
    names = {name for tie in ties for name in tie}
    degree = (result.get("centrality") or {}).get("degree") or {}
    names |= {str(n) for n in degree}
    return names


def _stage(result: Mapping[str, Any]) -> str | None:
    stage = result.get("stage")
    if isinstance(stage, Mapping):
        key = stage.get("key")
        return str(key) if key else None
    return str(stage) if isinstance(stage, str) else None


def _names(result: Mapping[str, Any], role: str) -> set[str]:
    roles = result.get("roles") or {}
    return {str(n) for n in roles.get(role) or ()}


def _number(value: Any) -> float | int | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None
