"""Centralities (degree, betweenness, closeness) in one pass of Brandes' algorithm, component by
component, estimated from sampled sources on large maps; and the distance matrix."""

from __future__ import annotations

import random
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import numpy.typing as npt

from coaching.analysis import _fast
from coaching.analysis._fast import Indexed, indexed
from coaching.analysis.graph import name_order

EXACT_LIMIT = 1000
"""Above this many actors betweenness and closeness are estimated from sampled sources."""

SAMPLE_SIZE = 500
"""Most sampled sources (``k``) for estimated centralities."""

SAMPLE_WORK = 6_000_000
"""Sampling budget in arcs visited: ``k = min(SAMPLE_SIZE, max(100, SAMPLE_WORK // (n + 2m)))``.

Keeps a 5,000-actor cohort map within the 2 s budget of ``ANALYSIS.md`` (about 250 sources for
a sparse one); maps of up to 2,000 actors keep the full 500.
"""

DENSE_LIMIT = 500
"""Up to this many actors shortest paths may be computed as dense matrix products."""

_SMALL_COMPONENT = 50  # components up to this size are always computed exactly

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Centralities:
    """Degree, betweenness and closeness of every actor.

    ``approximate`` is true when betweenness and closeness were estimated from
    ``sampled_sources`` sources rather than computed from every actor.
    """

    degree: dict[Hashable, int]
    betweenness: dict[Hashable, float]
    closeness: dict[Hashable, float]
    approximate: bool = False
    sampled_sources: int = 0


def centralities(
    G: nx.Graph,
    *,
    exact_limit: int = EXACT_LIMIT,
    sample_size: int = SAMPLE_SIZE,
    seed: int = 0,
) -> Centralities:
    """Degree, normalised betweenness and closeness of every actor.

    Values equal networkx's ``degree``, ``betweenness_centrality`` and
    ``closeness_centrality`` (up to floating-point rounding). With more than ``exact_limit``
    actors, betweenness and closeness are estimated from at most ``sample_size`` sources (fewer
    on very large maps, see :data:`SAMPLE_WORK`) drawn with ``random.Random(seed)`` in
    proportion to component size; components of up to 50 actors are always exact.

    Examples
    --------
    >>> c = centralities(nx.krackhardt_kite_graph())
    >>> c.degree[3], round(c.betweenness[7], 4), round(c.closeness[5], 4)
    (6, 0.3889, 0.6429)
    """
    idx = indexed(G)
    result, _ = _centralities(idx, exact_limit, sample_size, seed, want_distances=False)
    return result


def distance_matrix(G: nx.Graph, order: Sequence[Hashable] | None = None) -> FloatArray:
    """Shortest-path lengths between all actors as a float matrix (``inf`` when unreachable).

    Rows and columns follow ``order`` (default: name order).
    """
    nodes = list(name_order(G) if order is None else order)
    adj = _adjacency(G, nodes)
    if len(nodes) <= DENSE_LIMIT and _dense_is_cheap(adj):
        dist = _dense_paths(adj, want_dependency=False)[1]
    else:
        rows = [_bfs_distances(adj, s) for s in range(len(nodes))]
        dist = np.array(rows, dtype=np.int64).reshape(len(nodes), len(nodes))
    return np.where(dist < 0, np.inf, dist.astype(np.float64))


def _centralities(
    idx: Indexed, exact_limit: int, sample_size: int, seed: int, *, want_distances: bool
) -> tuple[Centralities, FloatArray | None]:
    """Centralities, plus the distance matrix (name order) when asked and affordable."""
    nodes = idx.nodes
    n = idx.n
    adj = idx.adj
    degree = {node: len(adj[i]) for i, node in enumerate(nodes)}
    distances: FloatArray | None = None
    approximate = False
    sampled = 0
    if n <= exact_limit:
        raw, closeness, dist = _exact(adj, want_distances=want_distances and n <= DENSE_LIMIT)
        if dist is not None:
            distances = np.where(dist < 0, np.inf, dist.astype(np.float64))
    else:
        arcs = sum(len(a) for a in adj)
        k = min(sample_size, max(100, SAMPLE_WORK // (n + arcs)))
        raw, closeness, sampled = _sampled(adj, k, seed)
        approximate = True
    scale = 1.0 / ((n - 1) * (n - 2)) if n > 2 else 0.0
    betweenness = {node: float(raw[i]) * scale for i, node in enumerate(nodes)}
    close = {node: float(closeness[i]) for i, node in enumerate(nodes)}
    return Centralities(degree, betweenness, close, approximate, sampled), distances


def _exact(
    adj: Sequence[Sequence[int]], *, want_distances: bool
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64] | None]:
    """Exact raw betweenness, closeness and (when asked) distances, component by component.

    Each component is done with dense products when :func:`_dense_is_cheap` says so, else
    with a search per source; working per component keeps a fragmented map (a personal map
    without the participant) as cheap as its largest piece.
    """
    n = len(adj)
    raw = np.zeros(n, dtype=np.float64)
    sums = [0.0] * n
    reach = [1] * n
    dist = np.full((n, n), -1, dtype=np.int64) if want_distances else None
    if dist is not None:
        np.fill_diagonal(dist, 0)
    for part in _fast.components(adj):
        size = len(part)
        if size == 1:
            continue
        sub = _fast.restrict(adj, part) if size < n else adj
        at = np.array(part, dtype=np.intp)
        part_dist: npt.NDArray[np.int64] | None
        if size <= DENSE_LIMIT and _dense_is_cheap(sub):
            part_raw, part_dist = _dense_paths(sub, want_dependency=size > 2)
            part_sums = np.where(part_dist > 0, part_dist, 0).sum(axis=1).tolist()
            part_reach = [size] * size
        else:
            rows: list[list[int]] | None = [] if dist is not None else None
            part_raw, part_sums, part_reach = _brandes(sub, range(size), rows)
            part_dist = None if rows is None else np.array(rows, dtype=np.int64)
        raw[at] = part_raw
        for i, v in enumerate(part):
            sums[v] = float(part_sums[i])
            reach[v] = part_reach[i]
        if dist is not None and part_dist is not None:
            dist[np.ix_(at, at)] = part_dist
    return raw, _closeness(sums, reach, n), dist


def _adjacency(G: nx.Graph, nodes: Sequence[Hashable]) -> list[list[int]]:
    index = {node: i for i, node in enumerate(nodes)}
    return [sorted(index[w] for w in G[node] if w != node) for node in nodes]


def _bfs_distances(adj: Sequence[Sequence[int]], s: int) -> list[int]:
    dist = [-1] * len(adj)
    dist[s] = 0
    queue = [s]
    for v in queue:
        dv = dist[v] + 1
        for w in adj[v]:
            if dist[w] < 0:
                dist[w] = dv
                queue.append(w)
    return dist


def _dense_is_cheap(adj: Sequence[Sequence[int]]) -> bool:
    """Whether dense products beat a breadth-first search per source.

    Measured on this project's machines (``bench/analysis.py``): dense products cost about
    ``0.1 ns * levels * n**3`` and the searches about ``105 ns * n * (n + arcs)``, where the
    number of levels is the largest component diameter, estimated by a double sweep.
    """
    n = len(adj)
    if n <= 2:
        return True
    arcs = sum(len(a) for a in adj)
    seen = [False] * n
    levels = 0
    for s in range(n):
        if seen[s]:
            continue
        dist = _bfs_distances(adj, s)
        far = s
        for v, d in enumerate(dist):
            if d >= 0:
                seen[v] = True
                if d > dist[far]:
                    far = v
        levels = max(levels, max(_bfs_distances(adj, far)))
    return levels * n * n <= 1000 * (n + arcs)


def _dense_paths(
    adj: Sequence[Sequence[int]], *, want_dependency: bool
) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """All-sources Brandes as matrix products, level by level.

    Forward: the path counts of level ``k`` are the counts of level ``k-1`` times the adjacency
    matrix, kept where a node is first reached. Backward: dependencies flow from level ``k`` to
    ``k-1`` the same way (Brandes 2001, in matrix form). Returns the raw betweenness (ordered
    pairs, as networkx accumulates it) and the distance matrix (``-1`` when unreachable).
    """
    n = len(adj)
    A = np.zeros((n, n), dtype=np.float64)
    for i, row in enumerate(adj):
        A[i, row] = 1.0
    reached = np.eye(n, dtype=bool)
    frontier = np.eye(n, dtype=np.float64)
    sigma = np.eye(n, dtype=np.float64)
    dist = np.where(reached, 0, -1).astype(np.int64)
    masks = [reached.copy()]
    level = 0
    while True:
        counts = frontier @ A
        new = (counts > 0) & ~reached
        if not new.any():
            break
        level += 1
        frontier = np.where(new, counts, 0.0)
        sigma += frontier
        reached |= new
        dist[new] = level
        masks.append(new)
    raw = np.zeros(n, dtype=np.float64)
    if want_dependency and level > 0:
        delta = np.zeros((n, n), dtype=np.float64)
        safe_sigma = np.where(sigma > 0, sigma, 1.0)
        for k in range(level, 0, -1):
            z = np.where(masks[k], (1.0 + delta) / safe_sigma, 0.0)
            delta += np.where(masks[k - 1], sigma * (z @ A), 0.0)
        raw = delta.sum(axis=0) - np.diagonal(delta)
    return raw, dist


def _closeness(sums: Sequence[float], reach: Sequence[int], n: int) -> FloatArray:
    """networkx's formula: ``(r-1)/sum * (r-1)/(n-1)`` with ``r`` actors reachable."""
    out = np.zeros(n, dtype=np.float64)
    for i in range(n):
        total = sums[i]
        if total > 0 and n > 1:
            out[i] = ((reach[i] - 1.0) / total) * ((reach[i] - 1.0) / (n - 1))
    return out


def _brandes(
    adj: Sequence[Sequence[int]],
    sources: Sequence[int],
    rows: list[list[int]] | None = None,
    dist_sum: list[float] | None = None,
) -> tuple[FloatArray, list[float], list[int]]:
    """Brandes' algorithm from ``sources``: raw betweenness, distance sums, reach counts.

    ``sums[v]`` and ``reach[v]`` are filled for source ``v`` only (its own search). When given,
    ``rows`` receives each source's distance list and ``dist_sum[v]`` adds up ``d(s, v)`` over
    the sources ``s``.
    """
    n = len(adj)
    bc = [0.0] * n
    sums = [0.0] * n
    reach = [1] * n
    for s in sources:
        sigma = [0] * n
        sigma[s] = 1
        dist = [-1] * n
        dist[s] = 0
        queue = [s]
        append = queue.append
        for v in queue:
            dv = dist[v] + 1
            sv = sigma[v]
            for w in adj[v]:
                dw = dist[w]
                if dw < 0:
                    dist[w] = dv
                    append(w)
                    sigma[w] = sv
                elif dw == dv:
                    sigma[w] += sv
        delta = [0.0] * n
        for w in reversed(queue):
            coeff = (1.0 + delta[w]) / sigma[w]
            dw = dist[w] - 1
            for v in adj[w]:
                if dist[v] == dw:
                    delta[v] += sigma[v] * coeff
            bc[w] += delta[w]
        bc[s] -= delta[s]
        sums[s] = float(sum(dist[v] for v in queue))
        reach[s] = len(queue)
        if rows is not None:
            rows.append(dist)
        if dist_sum is not None:
            for v in queue:
                dist_sum[v] += dist[v]
    return np.array(bc, dtype=np.float64), sums, reach


def _sampled(
    adj: Sequence[Sequence[int]], sample_size: int, seed: int
) -> tuple[FloatArray, FloatArray, int]:
    """Estimated raw betweenness and closeness from sampled sources, per component.

    Components of up to 50 actors use every actor as a source; larger ones share
    ``sample_size`` sources in proportion to their size (at least two each). For an actor
    ``v`` in a component of ``c`` actors with ``k`` sources, the sums over sources are scaled
    by ``(c-1)/k`` (``(c-1)/(k-1)`` when ``v`` is itself a source): unbiased estimates of the
    full sums (Brandes & Pich 2007; Eppstein & Wang 2004).
    """
    n = len(adj)
    rng = random.Random(seed)
    comp_of = [-1] * n
    comps: list[list[int]] = []
    for s in range(n):
        if comp_of[s] >= 0:
            continue
        members = sorted(v for v, d in enumerate(_bfs_distances(adj, s)) if d >= 0)
        for v in members:
            comp_of[v] = len(comps)
        comps.append(members)
    big = sum(len(c) for c in comps if len(c) > _SMALL_COMPONENT)
    raw = np.zeros(n, dtype=np.float64)
    closeness = np.zeros(n, dtype=np.float64)
    used = 0
    for members in comps:
        size = len(members)
        if size == 1:
            continue
        if size <= _SMALL_COMPONENT:
            k = size
            sources = members
        else:
            k = min(size, max(2, round(sample_size * size / big)))
            sources = sorted(rng.sample(members, k))
        used += k
        dist_sum = [0.0] * n
        bc, sums, _ = _brandes(adj, sources, dist_sum=dist_sum)
        source_set = set(sources)
        for v in members:
            own = v in source_set
            raw[v] = bc[v] * (size - 1) / (k - 1 if own else k)
            total = sums[v] if own else dist_sum[v] * (size - 1) / k
            if total > 0:
                closeness[v] = ((size - 1.0) / total) * ((size - 1.0) / (n - 1))
    return raw, closeness, used
