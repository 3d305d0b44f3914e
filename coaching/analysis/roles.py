"""The module's five roles (Bab III), as rules on the measures.

Each rule reproduces what the module says about Krackhardt's kite (Krackhardt 1990): D is the
hub, H the broker, F and G the closest, F, G and H boundary spanners, I and J peripheral
players. Roles may combine, except that a hub or broker is never peripheral. Ties are kept:
every actor at the top value gets the role. Floating-point values are compared with a
relative tolerance of 1e-9, so actors in symmetric positions (F and G) always share a role.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from typing import Any

import networkx as nx

from coaching.analysis import _fast
from coaching.analysis.graph import name_order

__all__ = [
    "boundary_spanners",
    "brokers",
    "closest",
    "gatekeeper_indices",
    "hub_indices",
    "hub_threshold",
    "hubs",
    "peripheral",
    "peripheral_indices",
    "spanner_indices",
    "top_indices",
]

_TOLERANCE = 1e-9


def hub_threshold(degree: Mapping[Any, int]) -> float:
    """The degree a hub needs: ``max(3, mean + 1 sd, 1.5 * mean)`` (population sd).

    The floor of three keeps a pair or a triangle from having "hubs"; the two relative terms
    ask a hub to stand out from the rest of the map. On the kite (mean 3.6) it is 5.4.
    """
    values = list(degree.values())
    if not values:
        return 3.0
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((x - mean) ** 2 for x in values) / len(values))
    return max(3.0, mean + sd, 1.5 * mean)


def hubs(G: nx.Graph, *, degree: Mapping[Hashable, int] | None = None) -> list[Hashable]:
    """Connectors (*penghubung*, degree centrality): degree at or above :func:`hub_threshold`.

    The module's "D" — the actor with the most direct ties (Freeman 1978).

    Examples
    --------
    >>> hubs(nx.krackhardt_kite_graph())
    [3]
    """
    nodes = name_order(G)
    deg = dict(G.degree()) if degree is None else degree
    return [nodes[i] for i in hub_indices([deg[v] for v in nodes])]


def brokers(G: nx.Graph, betweenness: Mapping[Hashable, float]) -> list[Hashable]:
    """Brokers: the highest betweenness (ties kept), when it is above zero.

    The module's "H", who sits between two clusters and controls what flows between them
    (Freeman 1978; Burt 1992 on brokerage across structural holes).
    """
    nodes = name_order(G)
    return [nodes[i] for i in top_indices([betweenness[v] for v in nodes])]


def closest(G: nx.Graph, closeness: Mapping[Hashable, float]) -> list[Hashable]:
    """The closest actors: the highest (standard, not harmonic) closeness, when above zero.

    The module's "F" and "G": quickest to reach everyone, good innovators.
    """
    nodes = name_order(G)
    return [nodes[i] for i in top_indices([closeness[v] for v in nodes])]


def boundary_spanners(
    G: nx.Graph, *, core_number: Mapping[Hashable, int] | None = None
) -> list[Hashable]:
    """Boundary spanners: a tie inside the main k-core *and* a tie outside it.

    The main k-core is the set of actors with the highest k-core number. On the kite it is
    {A..G}; F and G (members with a tie to H) and H (outside, with ties to F and G) span its
    boundary.
    """
    idx = _fast.indexed(G)
    core = _core_list(idx, core_number)
    return idx.map(spanner_indices(idx.adj, core))


def peripheral(
    G: nx.Graph,
    *,
    core_number: Mapping[Hashable, int] | None = None,
    betweenness: Mapping[Hashable, float] | None = None,
) -> list[Hashable]:
    """Peripheral players: k-core number exactly 1, and neither hub nor broker.

    Not :func:`networkx.periphery`, which is about eccentricity. The module frames them
    positively: their own cluster may not be mapped yet, and they bring fresh information
    from outside (the kite's "I" and "J"). A hub or a broker is never also called peripheral
    (``ANALYSIS.md``, "Consistency"): the centre of a star, or the middle of a path, has
    k-core number 1 too. Without ``betweenness`` only hubs are excluded.
    """
    idx = _fast.indexed(G)
    core = _core_list(idx, core_number)
    exclude = set(hub_indices(idx.degree()))
    if betweenness is not None:
        exclude.update(top_indices([betweenness[v] for v in idx.nodes]))
    return idx.map(peripheral_indices(core, exclude=exclude))


def gatekeeper_indices(adj: _fast.Adjacency, ego: int | None = None) -> dict[int, list[int]]:
    """Gatekeepers (``ANALYSIS.md``, "Consistency") and their dependents, ascending.

    A gatekeeper is the only tie of some actor (the dependent) and has other ties, so it is a
    cut point standing between them and the rest of the map: Karawang's middleman, the
    farmers' only buyer. The participant (``ego``) is never one: introducing people is the
    weaver's work. The dependents may include the participant.
    """
    found: dict[int, list[int]] = {}
    for u, neighbours in enumerate(adj):
        if len(neighbours) == 1:
            g = neighbours[0]
            if g != ego and len(adj[g]) >= 2:
                found.setdefault(g, []).append(u)
    return found


def hub_indices(degree: Sequence[int]) -> list[int]:
    """Positions of the hubs in ``degree`` (the rule of :func:`hubs`)."""
    threshold = hub_threshold(dict(enumerate(degree)))
    return [i for i, d in enumerate(degree) if d >= threshold]


def top_indices(values: Sequence[float]) -> list[int]:
    """Positions holding the highest value (relative tolerance 1e-9), if it is above zero."""
    if not values:
        return []
    best = max(values)
    if best <= _TOLERANCE:
        return []
    return [i for i, x in enumerate(values) if math.isclose(x, best, rel_tol=_TOLERANCE)]


def spanner_indices(adj: _fast.Adjacency, core: Sequence[int]) -> list[int]:
    """Positions with a neighbour inside the main k-core and one outside it."""
    if not core:
        return []
    top = max(core)
    found = []
    for v, neighbours in enumerate(adj):
        inside = [core[w] == top for w in neighbours]
        if any(inside) and not all(inside):
            found.append(v)
    return found


def peripheral_indices(core: Sequence[int], *, exclude: Collection[int] = ()) -> list[int]:
    """Positions with k-core number 1, except those in ``exclude`` (the hubs and brokers)."""
    return [i for i, k in enumerate(core) if k == 1 and i not in exclude]


# ---------------------------------------------------------------------------- helpers


def _core_list(idx: _fast.Indexed, core_number: Mapping[Hashable, int] | None) -> list[int]:
    if core_number is None:
        return _fast.core_numbers(idx.adj)
    return [core_number[v] for v in idx.nodes]
