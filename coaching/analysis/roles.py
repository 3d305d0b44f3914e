"""The module's five roles (Bab III), as rules on the measures.

Each rule reproduces what the module says about Krackhardt's kite (Krackhardt 1990): D is the
hub, H the broker, F and G the closest, F, G and H boundary spanners, I and J peripheral
players. Ties are kept: every actor at the top value gets the role. Floating-point values are
compared with a relative tolerance of 1e-9, so actors in symmetric positions (F and G) always
share a role.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Hashable, Mapping

import networkx as nx

from coaching.analysis.graph import name_order

__all__ = [
    "boundary_spanners",
    "brokers",
    "closest",
    "hub_threshold",
    "hubs",
    "peripheral",
]

_TOLERANCE = 1e-9


def hub_threshold(degree: Mapping[Hashable, int]) -> float:
    """The degree a hub needs: ``max(3, mean + 1 sd, 1.5 * mean)`` (population sd).

    The floor of three keeps a pair or a triangle from having "hubs"; the two relative terms
    ask a hub to stand out from the rest of the map. On the kite (mean 3.6) it is 5.4.
    """
    values = list(degree.values())
    if not values:
        return 3.0
    mean = statistics.fmean(values)
    sd = statistics.pstdev(values)
    return max(3.0, mean + sd, 1.5 * mean)


def hubs(G: nx.Graph, *, degree: Mapping[Hashable, int] | None = None) -> list[Hashable]:
    """Connectors (*penghubung*, degree centrality): degree at or above :func:`hub_threshold`.

    The module's "D" — the actor with the most direct ties (Freeman 1978).

    Examples
    --------
    >>> hubs(nx.krackhardt_kite_graph())
    [3]
    """
    deg = dict(G.degree()) if degree is None else degree
    threshold = hub_threshold(deg)
    return [node for node in name_order(G) if deg[node] >= threshold]


def brokers(G: nx.Graph, betweenness: Mapping[Hashable, float]) -> list[Hashable]:
    """Brokers: the highest betweenness (ties kept), when it is above zero.

    The module's "H", who sits between two clusters and controls what flows between them
    (Freeman 1978; Burt 1992 on brokerage across structural holes).
    """
    return _top(G, betweenness)


def closest(G: nx.Graph, closeness: Mapping[Hashable, float]) -> list[Hashable]:
    """The closest actors: the highest (standard, not harmonic) closeness, when above zero.

    The module's "F" and "G": quickest to reach everyone, good innovators.
    """
    return _top(G, closeness)


def boundary_spanners(
    G: nx.Graph, *, core_number: Mapping[Hashable, int] | None = None
) -> list[Hashable]:
    """Boundary spanners: a tie inside the main k-core *and* a tie outside it.

    The main k-core is the set of actors with the highest k-core number. On the kite it is
    {A..G}; F and G (members with a tie to H) and H (outside, with ties to F and G) span its
    boundary.
    """
    core = dict(nx.core_number(G)) if core_number is None else core_number
    if not core:
        return []
    top = max(core.values())
    inside = {node for node, k in core.items() if k == top}
    found = []
    for node in name_order(G):
        neighbours = [w for w in G[node] if w != node]
        if any(w in inside for w in neighbours) and any(w not in inside for w in neighbours):
            found.append(node)
    return found


def peripheral(G: nx.Graph, *, core_number: Mapping[Hashable, int] | None = None) -> list[Hashable]:
    """Peripheral players: k-core number exactly 1.

    Not :func:`networkx.periphery`, which is about eccentricity. The module frames them
    positively: their own cluster may not be mapped yet, and they bring fresh information
    from outside (the kite's "I" and "J").
    """
    core = dict(nx.core_number(G)) if core_number is None else core_number
    return [node for node in name_order(G) if core[node] == 1]


# ---------------------------------------------------------------------------- helpers


def _top(G: nx.Graph, values: Mapping[Hashable, float]) -> list[Hashable]:
    if not values:
        return []
    best = max(values.values())
    if best <= _TOLERANCE:
        return []
    return [
        node
        for node in name_order(G)
        if math.isclose(values[node], best, rel_tol=_TOLERANCE, abs_tol=0.0)
    ]
