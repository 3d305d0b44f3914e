"""Integer kernels shared by the analysis modules.

A map is turned once into an :class:`Indexed` graph — actors numbered in name order, sorted
adjacency lists — and the structural algorithms run on plain lists of integers, which is several
times faster than walking a networkx graph and keeps every result in name order for free. The
public, networkx-style functions in :mod:`.measures`, :mod:`.roles` and :mod:`.stages` are thin
wrappers around these kernels.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import networkx as nx

from coaching.analysis.graph import name_order

__all__ = [
    "Adjacency",
    "Indexed",
    "biconnected",
    "bridges_of",
    "components",
    "core_numbers",
    "cut_points_of",
    "indexed",
    "restrict",
    "shell_clusters",
]

Adjacency = Sequence[Sequence[int]]


@dataclass(frozen=True)
class Indexed:
    """A graph as integers: ``nodes[i]`` is actor ``i`` (name order), ``adj[i]`` its
    neighbours, sorted."""

    nodes: tuple[Hashable, ...]
    adj: tuple[tuple[int, ...], ...]

    @property
    def n(self) -> int:
        return len(self.nodes)

    @property
    def m(self) -> int:
        return sum(len(a) for a in self.adj) // 2

    def degree(self) -> list[int]:
        return [len(a) for a in self.adj]

    def map(self, items: Iterable[int]) -> list[Hashable]:
        return [self.nodes[i] for i in items]


def indexed(G: nx.Graph) -> Indexed:
    """Number the actors of ``G`` in name order."""
    nodes = name_order(G)
    position = {node: i for i, node in enumerate(nodes)}
    adj = tuple(tuple(sorted(position[w] for w in G[v] if w != v)) for v in nodes)
    return Indexed(tuple(nodes), adj)


def restrict(adj: Adjacency, members: Sequence[int]) -> tuple[tuple[int, ...], ...]:
    """Adjacency of the subgraph on ``members`` (ascending), renumbered 0..k-1."""
    local = {v: i for i, v in enumerate(members)}
    return tuple(tuple(local[w] for w in adj[v] if w in local) for v in members)


def components(adj: Adjacency) -> list[list[int]]:
    """Connected components, each ascending, largest first, then by first member."""
    n = len(adj)
    seen = [False] * n
    parts: list[list[int]] = []
    for start in range(n):
        if seen[start]:
            continue
        seen[start] = True
        part = [start]
        for v in part:
            for w in adj[v]:
                if not seen[w]:
                    seen[w] = True
                    part.append(w)
        part.sort()
        parts.append(part)
    parts.sort(key=lambda p: (-len(p), p[0]))
    return parts


def biconnected(adj: Adjacency) -> list[list[int]]:
    """Blocks (biconnected components, as ascending vertex lists) by Hopcroft–Tarjan,
    iteratively. Isolated actors belong to no block; a block of two is a bridge."""
    n = len(adj)
    disc = [-1] * n
    low = [0] * n
    found: list[list[int]] = []
    counter = 0
    for root in range(n):
        if disc[root] >= 0 or not adj[root]:
            continue
        disc[root] = low[root] = counter
        counter += 1
        edges: list[tuple[int, int]] = []
        stack: list[tuple[int, int, int]] = [(root, -1, 0)]  # (vertex, parent, next neighbour)
        while stack:
            v, parent, i = stack[-1]
            neighbours = adj[v]
            descended = False
            while i < len(neighbours):
                w = neighbours[i]
                i += 1
                if w == parent:
                    continue
                if disc[w] < 0:
                    stack[-1] = (v, parent, i)
                    disc[w] = low[w] = counter
                    counter += 1
                    edges.append((v, w))
                    stack.append((w, v, 0))
                    descended = True
                    break
                if disc[w] < disc[v]:
                    if disc[w] < low[v]:
                        low[v] = disc[w]
                    edges.append((v, w))
            if descended:
                continue
            stack.pop()
            if stack:
                u = stack[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
                if low[v] >= disc[u]:
                    block: set[int] = set()
                    while True:
                        a, b = edges.pop()
                        block.add(a)
                        block.add(b)
                        if a == u and b == v:
                            break
                    found.append(sorted(block))
    return found


def cut_points_of(blocks: Iterable[Sequence[int]], n: int) -> list[int]:
    """Actors in two or more blocks (articulation points), ascending."""
    count = [0] * n
    for block in blocks:
        for v in block:
            count[v] += 1
    return [v for v in range(n) if count[v] >= 2]


def bridges_of(blocks: Iterable[Sequence[int]]) -> list[tuple[int, int]]:
    """Ties forming a block of their own, each pair ascending, the list sorted."""
    return sorted((b[0], b[1]) for b in blocks if len(b) == 2)


def core_numbers(adj: Adjacency) -> list[int]:
    """k-core numbers by Batagelj & Zaveršnik's (2003) O(m) bucket algorithm."""
    n = len(adj)
    degree = [len(a) for a in adj]
    if n == 0:
        return []
    top = max(degree)
    bins = [0] * (top + 1)
    for d in degree:
        bins[d] += 1
    start = 0
    for d in range(top + 1):
        bins[d], start = start, start + bins[d]
    position = [0] * n
    order = [0] * n
    for v in range(n):
        position[v] = bins[degree[v]]
        order[position[v]] = v
        bins[degree[v]] += 1
    for d in range(top, 0, -1):
        bins[d] = bins[d - 1]
    bins[0] = 0
    core = degree[:]
    for i in range(n):
        v = order[i]
        for w in adj[v]:
            if core[w] > core[v]:
                dw = core[w]
                pw = position[w]
                ps = bins[dw]
                u = order[ps]
                if u != w:
                    order[pw], order[ps] = u, w
                    position[u], position[w] = pw, ps
                bins[dw] += 1
                core[w] -= 1
    return core


def shell_clusters(adj: Adjacency, core: Sequence[int]) -> list[list[int]]:
    """Connected pieces of each k-shell with two or more members, ascending, by first."""
    n = len(adj)
    seen = [False] * n
    found: list[list[int]] = []
    for start in range(n):
        if seen[start]:
            continue
        seen[start] = True
        shell = core[start]
        piece = [start]
        for v in piece:
            for w in adj[v]:
                if not seen[w] and core[w] == shell:
                    seen[w] = True
                    piece.append(w)
        if len(piece) >= 2:
            piece.sort()
            found.append(piece)
    return found
