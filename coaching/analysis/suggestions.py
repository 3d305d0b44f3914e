"""Suggested new ties — *merajut jejaring* ("knit the network", Krebs & Holley 2006).

Four kinds of candidate, each grounded in the literature the module draws on:

``connect_fragment``
    Join a separate fragment to the main component — through the participant when there is
    one (Krebs & Holley: the weaver first becomes the hub that links the scattered clusters).
``structural_hole``
    A warm introduction between two of the participant's contacts (any two actors when there is
    no participant) in different clusters joined by at most one tie (Burt 1992: structural
    holes). It trades the participant's broker position for the network's resilience — the
    network stops depending on one hub (Krebs & Holley).
``triadic_closure``
    Someone hanging on a single tie, or only on cut points, meets a contact of their contact
    (Granovetter 1973: weak ties as bridges; closing the triad removes the single point of
    failure).
``reach_cluster``
    The participant's own tie into a cluster none of their contacts belong to.

Ranking (``ANALYSIS.md``): components joined, then cut points removed, then gain in global
efficiency (Latora & Marchiori 2001), then name. The pick is greedy and deterministic: take
the best candidate, add it to a working copy of the map, generate the candidates again, repeat.

With a participant, a tie between two other actors is judged on the map *without* the
participant (does it help the network hold by itself?), a tie of the participant's own on the
whole map. Cut points removed are found on the block–cut tree (a tie between two actors merges
the blocks on the tree path between them; a cut point on that path with exactly two blocks
stops being one). Efficiency gains are computed from the distance matrix, for maps of up to
``efficiency_limit`` actors and for at most 40 top candidates per round; above that they are
reported as 0 and ties go by name. Candidate lists are capped (12 fragments, 8 clusters,
12 members per side, 20 hanging actors) so the cost stays bounded on large maps.

References
----------
.. [1] Granovetter, M. (1973). The strength of weak ties.
.. [2] Burt, R. S. (1992). Structural Holes.
.. [3] Krebs, V. & Holley, J. (2006). Building smart communities through network weaving.
.. [4] Latora, V. & Marchiori, M. (2001). Efficient behavior of small-world networks.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import numpy.typing as npt

from coaching.analysis.graph import name_order
from coaching.analysis.measures import DENSE_LIMIT, FloatArray, clusters, distance_matrix

__all__ = ["KINDS", "REASONS", "Suggestion", "suggest_ties"]

KINDS: tuple[str, ...] = (
    "connect_fragment",
    "structural_hole",
    "triadic_closure",
    "reach_cluster",
)

REASONS: tuple[str, ...] = (
    "joins_components",
    "removes_cut_points",
    "shortens_paths",
    "adds_tie",
)
"""Why a suggestion ranked where it did: the first of its effects that is non-zero."""

_MAX_FRAGMENTS = 12
_MAX_CLUSTERS = 8
_MAX_MEMBERS = 12
_MAX_HANGING = 20
_MAX_EFFICIENCY = 40


@dataclass(frozen=True)
class Suggestion:
    """One suggested tie between actors ``a`` and ``b`` (nodes of the map).

    ``via`` is who makes the introduction (the participant, or the contact in common), when
    anyone does. ``cut_points_removed`` lists the actors that would stop being cut points.
    """

    a: Hashable
    b: Hashable
    kind: str
    reason: str
    via: Hashable | None
    components_joined: int
    cut_points_removed: tuple[Hashable, ...]
    efficiency_gain: float


def suggest_ties(
    G: nx.Graph,
    ego: Hashable | None = None,
    *,
    limit: int = 5,
    efficiency_limit: int = DENSE_LIMIT,
) -> list[Suggestion]:
    """Suggest up to ``limit`` new ties, best first (see the module docstring).

    Parameters
    ----------
    G : networkx.Graph
        The undirected simple map.
    ego : node, optional
        The participant.
    limit : int
        Most suggestions returned.
    efficiency_limit : int
        Largest map on which efficiency gains are computed.

    Examples
    --------
    >>> G = nx.krackhardt_kite_graph()
    >>> [(s.a, s.b, s.kind, s.reason) for s in suggest_ties(G)]
    [(3, 9, 'structural_hole', 'removes_cut_points')]
    """
    return _suggest(G, ego, limit=limit, efficiency_limit=efficiency_limit)


# ---------------------------------------------------------------------------- helpers


def _suggest(
    G: nx.Graph,
    ego: Hashable | None,
    *,
    limit: int,
    efficiency_limit: int,
    distances: FloatArray | None = None,
    distances_without_ego: FloatArray | None = None,
) -> list[Suggestion]:
    work = nx.Graph()
    work.add_nodes_from(G)
    work.add_edges_from((u, v) for u, v in G.edges() if u != v)
    order = {node: i for i, node in enumerate(name_order(G))}
    whole = _View(work, order, efficiency_limit, distances)
    if ego is None:
        alone = whole
    else:
        rest = work.copy()
        rest.remove_node(ego)
        alone = _View(rest, order, efficiency_limit, distances_without_ego)
    picked: list[Suggestion] = []
    while len(picked) < limit:
        whole.refresh()
        if alone is not whole:
            alone.refresh()
        best = _best(_candidates(whole, alone, ego, order), whole, alone, ego, order)
        if best is None:
            break
        picked.append(best)
        whole.add_tie(best.a, best.b)
        if alone is not whole and ego not in (best.a, best.b):
            alone.add_tie(best.a, best.b)
    return picked


class _View:
    """A working graph with what the ranking needs: components, block–cut tree, distances."""

    def __init__(
        self,
        G: nx.Graph,
        order: dict[Hashable, int],
        efficiency_limit: int,
        distances: FloatArray | None,
    ) -> None:
        self.G = G
        self.order = order
        self.nodes = sorted(G, key=order.__getitem__)
        self.index = {node: i for i, node in enumerate(self.nodes)}
        self.dist: FloatArray | None = None
        if len(self.nodes) <= efficiency_limit:
            self.dist = (
                distances.copy() if distances is not None else distance_matrix(G, self.nodes)
            )
        self.comp: dict[Hashable, int] = {}
        self.deg: dict[Hashable, int] = {}
        self.tree: _BlockTree | None = None

    def refresh(self) -> None:
        self.deg = dict(self.G.degree())
        self.comp = {}
        for i, part in enumerate(nx.connected_components(self.G)):
            for node in part:
                self.comp[node] = i
        self.tree = _BlockTree(self.G)

    def anchor(self, members: Iterable[Hashable]) -> Hashable:
        """The best-connected member (highest degree, then first by name)."""
        deg, order = self.deg, self.order
        return min(members, key=lambda v: (-deg[v], order[v]))

    def efficiency_gain(self, a: Hashable, b: Hashable) -> float:
        """Gain in global efficiency (mean of 1/d over ordered pairs) from a tie ``a``–``b``.

        Only pairs (x, y) with x nearer to ``a`` and y nearer to ``b`` (by more than one step)
        can get closer, so only that block of the distance matrix is looked at.
        """
        if self.dist is None or len(self.nodes) < 2:
            return 0.0
        rows, cols, shorter = self._shortcut(a, b)
        if shorter is None:
            return 0.0
        old = self.dist[np.ix_(rows, cols)]
        gain = _inverse_sum(shorter) - _inverse_sum(old)
        n = len(self.nodes)
        return 2.0 * max(gain, 0.0) / (n * (n - 1))

    def add_tie(self, a: Hashable, b: Hashable) -> None:
        if self.dist is not None:
            rows, cols, shorter = self._shortcut(a, b)
            if shorter is not None:
                self.dist[np.ix_(rows, cols)] = shorter
                self.dist[np.ix_(cols, rows)] = shorter.T
        self.G.add_edge(a, b)

    def _shortcut(
        self, a: Hashable, b: Hashable
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], FloatArray | None]:
        assert self.dist is not None
        da = self.dist[:, self.index[a]]
        db = self.dist[:, self.index[b]]
        rows = np.flatnonzero(da + 1.0 < db)
        cols = np.flatnonzero(db + 1.0 < da)
        if rows.size == 0 or cols.size == 0:
            return rows, cols, None
        through = da[rows][:, None] + 1.0 + db[cols][None, :]
        return rows, cols, np.minimum(self.dist[np.ix_(rows, cols)], through)


class _BlockTree:
    """The block–cut tree of a graph, rooted per component, for path queries."""

    def __init__(self, G: nx.Graph) -> None:
        block_list = [set(b) for b in nx.biconnected_components(G)]
        count: dict[Hashable, int] = {}
        for block in block_list:
            for node in block:
                count[node] = count.get(node, 0) + 1
        self.cuts = {node for node, c in count.items() if c >= 2}
        nb = len(block_list)
        cut_ids = {node: nb + i for i, node in enumerate(sorted(self.cuts, key=str))}
        self.cut_of = {i: node for node, i in cut_ids.items()}
        self.tree_node: dict[Hashable, int] = dict(cut_ids)
        size = nb + len(cut_ids)
        adj: list[list[int]] = [[] for _ in range(size)]
        for b, block in enumerate(block_list):
            for node in block:
                if node in cut_ids:
                    adj[b].append(cut_ids[node])
                    adj[cut_ids[node]].append(b)
                else:
                    self.tree_node[node] = b
        self.degree = [len(a) for a in adj]
        self.parent = [-1] * size
        self.depth = [-1] * size
        for root in range(size):
            if self.depth[root] >= 0:
                continue
            self.depth[root] = 0
            queue = [root]
            for t in queue:
                for s in adj[t]:
                    if self.depth[s] < 0:
                        self.depth[s] = self.depth[t] + 1
                        self.parent[s] = t
                        queue.append(s)

    def removed(self, a: Hashable, b: Hashable) -> list[Hashable]:
        """Cut points that a new tie ``a``–``b`` (same component) would dissolve."""
        ta, tb = self.tree_node.get(a), self.tree_node.get(b)
        if ta is None or tb is None:
            return []
        interior: list[int] = []
        ends = {ta, tb}
        while ta != tb:
            if self.depth[ta] < self.depth[tb]:
                ta, tb = tb, ta
            ta = self.parent[ta]
            if ta not in ends:
                interior.append(ta)
        return [self.cut_of[t] for t in interior if t in self.cut_of and self.degree[t] == 2]


@dataclass(frozen=True)
class _Candidate:
    a: Hashable
    b: Hashable
    kind: str
    via: Hashable | None


def _candidates(
    whole: _View, alone: _View, ego: Hashable | None, order: dict[Hashable, int]
) -> list[_Candidate]:
    found: list[_Candidate] = []
    seen: set[frozenset[Hashable]] = set()

    def add(a: Hashable, b: Hashable, kind: str, via: Hashable | None) -> None:
        pair = frozenset((a, b))
        if a == b or pair in seen or whole.G.has_edge(a, b):
            return
        seen.add(pair)
        found.append(_Candidate(a, b, kind, via))

    W = whole.G
    # 1. fragments
    parts = sorted(
        (sorted(p, key=order.__getitem__) for p in nx.connected_components(W)),
        key=lambda p: (-len(p), order[p[0]]),
    )
    if len(parts) > 1:
        main = next((p for p in parts if ego in p), parts[0]) if ego is not None else parts[0]
        hub = ego if ego is not None else whole.anchor(main)
        for part in [p for p in parts if p is not main][:_MAX_FRAGMENTS]:
            add(hub, whole.anchor(part), "connect_fragment", None)

    # 2. structural holes, on the map without the participant
    H = alone.G
    contacts = set(W[ego]) if ego is not None else None
    groups = sorted(clusters(H), key=lambda c: (-len(c), order[c[0]]))
    cluster_of = {node: i for i, c in enumerate(groups) for node in c}
    between: dict[tuple[int, int], int] = {}
    for u, v in H.edges():
        cu, cv = cluster_of.get(u), cluster_of.get(v)
        if cu is not None and cv is not None and cu != cv:
            key = (min(cu, cv), max(cu, cv))
            between[key] = between.get(key, 0) + 1
    top = groups[:_MAX_CLUSTERS]
    for i, x in enumerate(top):
        for j in range(i + 1, len(top)):
            if between.get((i, j), 0) > 1:
                continue
            xs = [v for v in x if contacts is None or v in contacts]
            ys = [v for v in top[j] if contacts is None or v in contacts]
            if not xs or not ys:
                continue
            for anchor, others in ((alone.anchor(xs), ys), (alone.anchor(ys), xs)):
                for other in _least_tied(alone, others)[:_MAX_MEMBERS]:
                    a, b = sorted((anchor, other), key=order.__getitem__)
                    add(a, b, "structural_hole", ego)

    # 3. triadic closure for actors hanging on one tie or only on cut points
    assert whole.tree is not None
    cuts = whole.tree.cuts
    deg = whole.deg
    hanging = [
        v
        for v in whole.nodes
        if v != ego and deg[v] >= 1 and (deg[v] == 1 or all(w in cuts for w in W[v]))
    ]
    for v in _least_tied(whole, hanging)[:_MAX_HANGING]:
        u = whole.anchor(W[v])
        partners = [w for w in W[u] if w != v and not W.has_edge(v, w)]
        if partners:
            add(v, whole.anchor(partners), "triadic_closure", u)

    # 4. the participant's own tie into a cluster they do not reach
    if ego is not None and contacts is not None:
        for group in groups[:_MAX_CLUSTERS]:
            if not any(v in contacts for v in group):
                add(ego, alone.anchor(group), "reach_cluster", None)
    return found


def _inverse_sum(dist: FloatArray) -> float:
    """Sum of ``1/d`` over pairs at a finite positive distance (0 on the diagonal)."""
    inverse = np.divide(1.0, dist, out=np.zeros_like(dist), where=dist > 0)
    return float(inverse.sum())


def _least_tied(view: _View, nodes: Iterable[Hashable]) -> list[Hashable]:
    deg, order = view.deg, view.order
    return sorted(nodes, key=lambda v: (deg[v], order[v]))


def _best(
    candidates: Sequence[_Candidate],
    whole: _View,
    alone: _View,
    ego: Hashable | None,
    order: dict[Hashable, int],
) -> Suggestion | None:
    if not candidates:
        return None
    scored = []
    for c in candidates:
        view = whole if ego is not None and ego in (c.a, c.b) else alone
        joined = int(view.comp[c.a] != view.comp[c.b])
        assert view.tree is not None
        removed = [] if joined else view.tree.removed(c.a, c.b)
        scored.append((c, view, joined, sorted(removed, key=order.__getitem__)))
    scored.sort(key=lambda s: (-s[2], -len(s[3]), order[s[0].a], order[s[0].b]))
    head = scored[0]
    ties = [s for s in scored if s[2] == head[2] and len(s[3]) == len(head[3])]
    ranked = []
    for c, view, joined, removed in ties[:_MAX_EFFICIENCY]:
        gain = view.efficiency_gain(c.a, c.b)
        ranked.append((-round(gain, 12), order[c.a], order[c.b], c, joined, removed, gain))
    ranked.sort(key=lambda r: r[:3])
    _, _, _, c, joined, removed, gain = ranked[0]
    if joined:
        reason = "joins_components"
    elif removed:
        reason = "removes_cut_points"
    elif gain > 0:
        reason = "shortens_paths"
    else:
        reason = "adds_tie"
    return Suggestion(c.a, c.b, c.kind, reason, c.via, joined, tuple(removed), gain)
