"""A map's structure: size, ties, density, components, blocks, cut points, bridges, k-cores,
clusters and degree centralisation."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import networkx as nx

from coaching.analysis import _fast
from coaching.analysis._fast import indexed


@dataclass(frozen=True)
class TieCounts:
    """How many ties there are, by strength and direction."""

    ties: int
    strong: int
    weak: int
    one_way: int


def tie_counts(G: nx.Graph) -> TieCounts:
    """Count ties; a tie without a ``strength`` counts as neither strong nor weak."""
    strong = weak = one_way = 0
    for _, _, data in G.edges(data=True):
        strength = data.get("strength")
        strong += strength == "strong"
        weak += strength == "weak"
        one_way += data.get("direction") == "out"
    return TieCounts(G.number_of_edges(), strong, weak, one_way)


def density(G: nx.Graph) -> float:
    """Ties present over ties possible, ``m / (n(n-1)/2)``; 0 below two actors.

    Examples
    --------
    >>> round(density(nx.krackhardt_kite_graph()), 4)
    0.4
    """
    n = G.number_of_nodes()
    return 0.0 if n < 2 else G.number_of_edges() / (n * (n - 1) / 2)


def components(G: nx.Graph) -> list[list[Hashable]]:
    """Connected components, each in name order, largest first (then by first name)."""
    idx = indexed(G)
    return [idx.map(part) for part in _fast.components(idx.adj)]


def blocks(G: nx.Graph) -> list[list[Hashable]]:
    """Biconnected components (blocks) of ``G``, each in name order; isolated actors belong
    to none."""
    idx = indexed(G)
    return [idx.map(block) for block in _fast.biconnected(idx.adj)]


def cut_points(G: nx.Graph) -> list[Hashable]:
    """Actors whose removal splits their component (articulation points), in name order.

    An actor is a cut point exactly when it belongs to two or more blocks.

    Examples
    --------
    >>> sorted(cut_points(nx.krackhardt_kite_graph()))
    [7, 8]
    """
    idx = indexed(G)
    return idx.map(_fast.cut_points_of(_fast.biconnected(idx.adj), idx.n))


def bridges(G: nx.Graph) -> list[tuple[Hashable, Hashable]]:
    """Ties whose removal splits their component, each pair and the list in name order.

    A tie is a bridge exactly when it forms a block of its own (a block of two actors).
    """
    idx = indexed(G)
    return [(idx.nodes[a], idx.nodes[b]) for a, b in _fast.bridges_of(_fast.biconnected(idx.adj))]


def core_numbers(G: nx.Graph) -> dict[Hashable, int]:
    """The k-core number of every actor (Seidman 1983): the largest ``k`` such that the actor
    belongs to a subgraph where everyone has at least ``k`` ties. Same as
    :func:`networkx.core_number`, computed with Batagelj & Zaveršnik's algorithm."""
    idx = indexed(G)
    return dict(zip(idx.nodes, _fast.core_numbers(idx.adj), strict=True))


def main_core(G: nx.Graph, *, core_number: dict[Hashable, int] | None = None) -> set[Hashable]:
    """The actors with the highest k-core number (the main k-core)."""
    core = core_numbers(G) if core_number is None else core_number
    if not core:
        return set()
    top = max(core.values())
    return {node for node, k in core.items() if k == top}


def clusters(
    G: nx.Graph, *, core_number: dict[Hashable, int] | None = None
) -> list[list[Hashable]]:
    """The module's clusters: connected pieces of each k-shell with at least two members.

    A k-shell is the set of actors whose k-core number is exactly ``k``. On Krackhardt's kite
    this gives the module's two clusters, {A..G} and {I, J}; modularity communities do not.
    Each cluster is in name order and the list is sorted by its first member.

    Examples
    --------
    >>> [sorted(c) for c in clusters(nx.krackhardt_kite_graph())]
    [[0, 1, 2, 3, 4, 5, 6], [8, 9]]
    """
    idx = indexed(G)
    if core_number is None:
        core = _fast.core_numbers(idx.adj)
    else:
        core = [core_number[v] for v in idx.nodes]
    return [idx.map(c) for c in _fast.shell_clusters(idx.adj, core)]


def degree_centralisation(G: nx.Graph) -> float:
    """Freeman's degree centralisation: ``sum(max - d_i) / ((n-1)(n-2))``; 1 for a star.

    Zero below three actors (Freeman 1978).
    """
    n: int = G.number_of_nodes()
    if n < 3:
        return 0.0
    degrees: list[int] = [int(d) for _, d in G.degree()]
    top = max(degrees)
    return sum(top - d for d in degrees) / ((n - 1) * (n - 2))
