"""Krebs & Holley's stages of a network, and a Borgatti–Everett core/periphery fit.

Krebs & Holley (2006) describe how a network grows when someone weaves it: *scattered
fragments* → a *single hub-and-spoke* (the weaver is the hub; fragile if the hub leaves) →
*multi-hub* (the weaver becomes a facilitator) → *core/periphery*. No published tool classifies
these, so the signatures below are this project's convention (``ANALYSIS.md``), applied in
order, first match wins, on the main component unless stated:

=====================  =====================================================================
``scattered_fragments``  two or more components and the largest holds under 50% of actors
                         (whole map)
``hub_and_spoke``        Freeman degree centralisation ≥ 0.5, second-highest degree ≤ 0.5 ×
                         highest, highest ≥ 3
``core_periphery``       a Borgatti–Everett core of ≥ 4 actors with core density ≥ 2/3 and fit
                         r ≥ 0.5
``multi_hub``            two or more hubs (:func:`roles.hubs`)
``undetermined``         none of the above; ``nearest`` names the closest signature
=====================  =====================================================================

A ratio measure within 10% of its threshold adds a ``borderline_<measure>`` flag (counts are
exact and never borderline). ``nearest`` is the stage whose worst condition misses its
threshold by the smallest relative amount (ties go to the earlier stage). Components other than
the main one are reported as *satellites*.

Core search (Borgatti & Everett 1999, discrete model). The fit ``r`` is the correlation, over
core–core and periphery–periphery pairs (core–periphery pairs are ignored), between "tied" and
the ideal pattern (core–core tied, periphery–periphery not). It depends only on the core size
and the tie counts inside the core and inside the periphery, so it can be updated in O(1) per
actor moved. The search is deterministic:

1. order actors by k-core number, then degree (both descending), then name;
2. take the prefix of that order with the best fit (every prefix is scored in one pass);
3. improve it by local search: repeatedly move the single actor (into or out of the core) that
   raises the fit most, first in name order on ties, until no move helps (at most 200 moves).

On Krackhardt's kite this finds {A, B, D, F, G} (r = 0.6, density 0.8), which exhaustive
search confirms is the best core.

References
----------
.. [1] Krebs, V. & Holley, J. (2006). Building smart communities through network weaving.
.. [2] Borgatti, S. P. & Everett, M. G. (1999). Models of core/periphery structures.
       Social Networks 21, 375–395.
.. [3] Freeman, L. C. (1978). Centrality in social networks: conceptual clarification.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from coaching.analysis import _fast
from coaching.analysis.roles import hub_indices

__all__ = [
    "STAGES",
    "CorePeriphery",
    "StageReport",
    "classify_stage",
    "core_periphery",
    "stage_of",
]

STAGES: tuple[str, ...] = (
    "scattered_fragments",
    "hub_and_spoke",
    "core_periphery",
    "multi_hub",
)
"""Stage keys in the order they are tested (``undetermined`` when none matches)."""

_BORDER = 0.10
_MAX_MOVES = 200


@dataclass(frozen=True)
class CorePeriphery:
    """A core found by :func:`core_periphery`: members (name order), fit r and density."""

    core: tuple[Hashable, ...]
    fit: float
    density: float


@dataclass(frozen=True)
class StageReport:
    """The stage of a map, with every measure its signature looked at."""

    key: str
    flags: tuple[str, ...]
    nearest: str | None
    satellites: tuple[tuple[Hashable, ...], ...]
    actors: int
    components: int
    largest_share: float
    centralisation: float
    degree_ratio: float
    highest_degree: int
    hubs: tuple[Hashable, ...]
    core: CorePeriphery


def classify_stage(G: nx.Graph, *, core_number: dict[Hashable, int] | None = None) -> StageReport:
    """Classify the map into one of Krebs & Holley's stages (see the module docstring).

    ``core_number`` may pass precomputed k-core numbers of ``G``.

    Examples
    --------
    >>> classify_stage(nx.star_graph(6)).key
    'hub_and_spoke'
    >>> classify_stage(nx.krackhardt_kite_graph()).key
    'core_periphery'
    """
    idx = _fast.indexed(G)
    core = (
        _fast.core_numbers(idx.adj) if core_number is None else [core_number[v] for v in idx.nodes]
    )
    return stage_of(idx, core)


def stage_of(idx: _fast.Indexed, core: Sequence[int]) -> StageReport:
    """:func:`classify_stage` on an indexed graph with its k-core numbers."""
    n = idx.n
    parts = _fast.components(idx.adj)
    empty_core = CorePeriphery((), 0.0, 0.0)
    if n == 0:
        return StageReport("undetermined", (), None, (), 0, 0, 0.0, 0.0, 1.0, 0, (), empty_core)
    main = parts[0]
    adj = idx.adj if len(parts) == 1 else _fast.restrict(idx.adj, main)
    main_core = [core[v] for v in main]
    share = len(main) / n
    degrees = [len(a) for a in adj]
    ranked = sorted(degrees, reverse=True)
    highest = ranked[0]
    second = ranked[1] if len(ranked) > 1 else 0
    ratio = second / highest if highest > 0 else 1.0
    k = len(main)
    central = sum(highest - d for d in degrees) / ((k - 1) * (k - 2)) if k > 2 else 0.0
    main_hubs = tuple(idx.nodes[main[i]] for i in hub_indices(degrees))
    members, fit, density = _core_search(adj, main_core)
    core_found = CorePeriphery(tuple(idx.nodes[main[i]] for i in members), fit, density)

    # (stage, [(measure name, value, threshold, "ge"/"lt"/"le", is ratio)])
    tests: list[tuple[str, list[tuple[str, float, float, str, bool]]]] = [
        (
            "scattered_fragments",
            [
                ("components", len(parts), 2, "ge", False),
                ("largest_share", share, 0.5, "lt", True),
            ],
        ),
        (
            "hub_and_spoke",
            [
                ("centralisation", central, 0.5, "ge", True),
                ("degree_ratio", ratio, 0.5, "le", True),
                ("highest_degree", highest, 3, "ge", False),
            ],
        ),
        (
            "core_periphery",
            [
                ("core_size", len(members), 4, "ge", False),
                ("core_density", density, 2 / 3, "ge", True),
                ("core_fit", fit, 0.5, "ge", True),
            ],
        ),
        ("multi_hub", [("hubs", len(main_hubs), 2, "ge", False)]),
    ]
    key = "undetermined"
    flags: list[str] = []
    shortfalls: list[float] = []
    for stage, conditions in tests:
        for measure, value, threshold, _, is_ratio in conditions:
            if is_ratio and abs(value - threshold) <= _BORDER * threshold + 1e-12:
                flag = f"borderline_{measure}"
                if flag not in flags:
                    flags.append(flag)
        shortfalls.append(max(_shortfall(v, t, op) for _, v, t, op, _ in conditions))
        if all(_holds(v, t, op) for _, v, t, op, _ in conditions):
            key = stage
            break
    nearest = None
    if key == "undetermined":
        nearest = STAGES[min(range(len(STAGES)), key=lambda i: (shortfalls[i], i))]
    satellites = tuple(tuple(idx.map(p)) for p in sorted(parts[1:], key=lambda p: p[0]))
    return StageReport(
        key,
        tuple(flags),
        nearest,
        satellites,
        n,
        len(parts),
        share,
        central,
        ratio,
        highest,
        main_hubs,
        core_found,
    )


def core_periphery(G: nx.Graph, *, core_number: dict[Hashable, int] | None = None) -> CorePeriphery:
    """The best core found by the deterministic search described in the module docstring.

    Returns an empty core (fit 0) when no split into core and periphery has a defined fit
    (fewer than four actors, no ties, or a complete graph). ``core_number`` may pass
    precomputed k-core numbers (of ``G`` or of a graph it is a component of).

    Examples
    --------
    >>> cp = core_periphery(nx.krackhardt_kite_graph())
    >>> sorted(cp.core), round(cp.fit, 4), cp.density
    ([0, 1, 3, 5, 6], 0.6, 0.8)
    """
    idx = _fast.indexed(G)
    core = (
        _fast.core_numbers(idx.adj) if core_number is None else [core_number[v] for v in idx.nodes]
    )
    members, fit, density = _core_search(idx.adj, core)
    return CorePeriphery(tuple(idx.map(members)), fit, density)


# ---------------------------------------------------------------------------- helpers


def _core_search(adj: _fast.Adjacency, core_no: Sequence[int]) -> tuple[list[int], float, float]:
    """The search of the module docstring: (core members ascending, fit, core density)."""
    n = len(adj)
    m = sum(len(a) for a in adj) // 2
    if n < 4 or m == 0:
        return [], 0.0, 0.0
    deg = np.array([len(a) for a in adj], dtype=np.int64)
    ranking = sorted(range(n), key=lambda i: (-core_no[i], -deg[i], i))

    # 2. best prefix, scored in one pass
    position = [0] * n
    for rank, i in enumerate(ranking):
        position[i] = rank
    e_cc, e_pp = 0, m
    best_fit, best_size = -2.0, 0
    for size, i in enumerate(ranking, start=1):
        earlier = sum(1 for w in adj[i] if position[w] < position[i])
        e_cc += earlier
        e_pp -= len(adj[i]) - earlier
        fit = _fit(size, n, e_cc, e_pp)
        if fit > best_fit + 1e-12:
            best_fit, best_size = fit, size
    in_core = np.zeros(n, dtype=bool)
    in_core[ranking[:best_size]] = True

    # 3. local search by single moves
    core_nbrs = np.array([sum(1 for w in adj[i] if in_core[w]) for i in range(n)], dtype=np.int64)
    e_cc = int(core_nbrs[in_core].sum()) // 2
    e_pp = int((deg - core_nbrs)[~in_core].sum()) // 2
    size = int(in_core.sum())
    for _ in range(_MAX_MOVES):
        sign = np.where(in_core, -1, 1)
        new_size = size + sign
        new_cc = e_cc + sign * core_nbrs
        new_pp = e_pp - sign * (deg - core_nbrs)
        fits = _fit_array(new_size, n, new_cc, new_pp)
        fits[new_size < 2] = -2.0
        i = int(np.argmax(fits))
        if not fits[i] > best_fit + 1e-12:
            break
        best_fit = float(fits[i])
        size, e_cc, e_pp = int(new_size[i]), int(new_cc[i]), int(new_pp[i])
        in_core[i] = not in_core[i]
        for w in adj[i]:
            core_nbrs[w] += 1 if in_core[i] else -1
    if best_fit <= -2.0 or size < 2:
        return [], 0.0, 0.0
    pairs = size * (size - 1) / 2
    return [i for i in range(n) if in_core[i]], best_fit, e_cc / pairs


def _fit(size: int, n: int, e_cc: int, e_pp: int) -> float:
    """Borgatti–Everett r for a core of ``size`` with ``e_cc``/``e_pp`` ties inside core and
    periphery; -2 when undefined."""
    n_cc = size * (size - 1) / 2
    rest = n - size
    total = n_cc + rest * (rest - 1) / 2
    tied = e_cc + e_pp
    denominator = tied * (total - tied) * n_cc * (total - n_cc)
    if denominator <= 0:
        return -2.0
    return (total * e_cc - tied * n_cc) / math.sqrt(denominator)


def _fit_array(size: np.ndarray, n: int, e_cc: np.ndarray, e_pp: np.ndarray) -> np.ndarray:
    n_cc = size * (size - 1) / 2.0
    rest = n - size
    total = n_cc + rest * (rest - 1) / 2.0
    tied = (e_cc + e_pp).astype(np.float64)
    denominator = tied * (total - tied) * n_cc * (total - n_cc)
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, (total * e_cc - tied * n_cc) / np.sqrt(safe), -2.0)


def _holds(value: float, threshold: float, op: str) -> bool:
    if op == "ge":
        return value >= threshold - 1e-12
    if op == "le":
        return value <= threshold + 1e-12
    return value < threshold - 1e-12


def _shortfall(value: float, threshold: float, op: str) -> float:
    """How far ``value`` misses ``threshold``, relative to the threshold (0 when it holds)."""
    if _holds(value, threshold, op):
        return 0.0
    return abs(value - threshold) / threshold
