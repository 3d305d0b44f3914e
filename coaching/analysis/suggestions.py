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
``efficiency_limit`` actors and for the top candidates of each round; above that they are
reported as 0 and ties go by name. Candidate lists are capped (12 fragments, the 6 largest
clusters, the 4 least-tied members per side, 20 hanging actors, efficiency for 12 candidates)
so the cost stays bounded on large maps.

References
----------
.. [1] Granovetter, M. (1973). The strength of weak ties.
.. [2] Burt, R. S. (1992). Structural Holes.
.. [3] Krebs, V. & Holley, J. (2006). Building smart communities through network weaving.
.. [4] Latora, V. & Marchiori, M. (2001). Efficient behavior of small-world networks.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import numpy.typing as npt

from coaching.analysis import _fast
from coaching.analysis._fast import Indexed, indexed
from coaching.analysis.measures import DENSE_LIMIT, FloatArray
from coaching.analysis.roles import gatekeeper_indices

__all__ = ["KINDS", "REASONS", "Suggestion", "suggest_indexed", "suggest_ties"]

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
_MAX_CLUSTERS = 6
_MAX_MEMBERS = 4
_MAX_HANGING = 20
_MAX_EFFICIENCY = 12


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
    limit: int = 3,
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
    idx = indexed(G)
    alone = None
    if ego is not None:
        H = G.copy()
        H.remove_node(ego)
        alone = indexed(H)
    me = None if ego is None else idx.nodes.index(ego)
    return suggest_indexed(
        idx,
        me,
        alone,
        limit=limit,
        efficiency_limit=efficiency_limit,
        gatekeepers=gatekeeper_indices(idx.adj, me),
    )


def suggest_indexed(
    idx: Indexed,
    ego: int | None,
    alone: Indexed | None,
    *,
    limit: int,
    efficiency_limit: int,
    distances: FloatArray | None = None,
    distances_without_ego: FloatArray | None = None,
    blocks: Sequence[Sequence[int]] | None = None,
    blocks_without_ego: Sequence[Sequence[int]] | None = None,
    gatekeepers: Collection[int] = (),
) -> list[Suggestion]:
    """:func:`suggest_ties` on an indexed map; ``alone`` is the map without ``ego``, indexed.

    Distances and blocks already computed for the analysis may be passed to save work.
    ``gatekeepers`` (indices) never introduce anyone: a suggestion that would go through one
    goes through another contact the two have in common, or is a direct tie. Nor is a new tie
    ever suggested to one: it would strengthen the middleman's role, which the module says to
    remove or redirect (every group holding a gatekeeper holds someone else to tie to: his
    dependents).
    """
    whole = _View(idx.adj, efficiency_limit, distances, blocks)
    whole.avoid = set(gatekeepers)
    to_alone: list[int] = list(range(idx.n))
    if ego is None or alone is None:
        rest = whole
    else:
        rest = _View(alone.adj, efficiency_limit, distances_without_ego, blocks_without_ego)
        position = {v: i for i, v in enumerate(alone.nodes)}
        to_alone = [position.get(v, -1) for v in idx.nodes]
        rest.avoid = {to_alone[g] for g in gatekeepers if to_alone[g] >= 0}
    picked: list[Suggestion] = []
    while len(picked) < limit:
        whole.refresh()
        if rest is not whole:
            rest.refresh()
        best = _best(_candidates(whole, rest, to_alone, ego), whole, rest, to_alone, ego)
        if best is None:
            break
        a, b, kind, via, joined, removed, gain = best
        via = _introducer(whole, a, b, via, ego, {*gatekeepers, *removed})
        picked.append(
            Suggestion(
                a=idx.nodes[a],
                b=idx.nodes[b],
                kind=kind,
                reason=_reason(joined, removed, gain),
                via=None if via is None else idx.nodes[via],
                components_joined=joined,
                cut_points_removed=tuple(idx.nodes[v] for v in removed),
                efficiency_gain=gain,
            )
        )
        whole.add_tie(a, b)
        if rest is not whole and ego not in (a, b):
            rest.add_tie(to_alone[a], to_alone[b])
    return picked


# ---------------------------------------------------------------------------- helpers


class _View:
    """A working map as integer adjacency sets, with what the ranking needs: components,
    block–cut tree and distances."""

    def __init__(
        self,
        adj: Sequence[Sequence[int]],
        efficiency_limit: int,
        distances: FloatArray | None,
        blocks: Sequence[Sequence[int]] | None = None,
    ) -> None:
        self.n = len(adj)
        self.adj = [set(a) for a in adj]
        self.lists = [sorted(a) for a in adj]
        self.deg = [len(a) for a in self.lists]
        self.blocks = [
            list(b) for b in (_fast.biconnected(self.lists) if blocks is None else blocks)
        ]
        self.dist: FloatArray | None = None
        if self.n <= efficiency_limit:
            self.dist = distances.copy() if distances is not None else _distances(adj)
        self.comp: list[int] = []
        self.tree = _BlockTree([], 0)
        self.avoid: set[int] = set()

    def refresh(self) -> None:
        """Components and the block–cut tree of the current map (blocks are kept up to date
        by :meth:`add_tie`, so no new depth-first search is needed)."""
        self.comp = [0] * self.n
        for i, part in enumerate(_fast.components(self.lists)):
            for v in part:
                self.comp[v] = i
        self.tree = _BlockTree(self.blocks, self.n)

    def anchor(self, members: Iterable[int], *, avoiding: bool = True) -> int:
        """The best-connected member (highest degree, then first by name), not one of the
        actors to avoid (gatekeepers: no tie is suggested to them) unless there is no one
        else."""
        deg = self.deg
        avoid = self.avoid if avoiding else ()
        return min(members, key=lambda v: (v in avoid, -deg[v], v))

    def least_tied(self, members: Iterable[int]) -> list[int]:
        deg = self.deg
        return sorted(members, key=lambda v: (deg[v], v))

    def efficiency_gain(self, a: int, b: int) -> float:
        """Gain in global efficiency (mean of 1/d over ordered pairs) from a tie ``a``–``b``.

        Only pairs (x, y) with x nearer to ``a`` and y nearer to ``b`` (by more than one step)
        can get closer, so only that block of the distance matrix is looked at.
        """
        if self.dist is None or self.n < 2:
            return 0.0
        rows, cols, shorter = self._shortcut(a, b)
        if shorter is None:
            return 0.0
        old = self.dist[np.ix_(rows, cols)]
        gain = _inverse_sum(shorter) - _inverse_sum(old)
        return 2.0 * max(gain, 0.0) / (self.n * (self.n - 1))

    def add_tie(self, a: int, b: int) -> None:
        """Add a tie, updating distances, adjacency and blocks: within a component the blocks
        on the tree path between ``a`` and ``b`` merge; across components the tie is a new
        block (a bridge). Call after :meth:`refresh`."""
        if self.dist is not None:
            rows, cols, shorter = self._shortcut(a, b)
            if shorter is not None:
                self.dist[np.ix_(rows, cols)] = shorter
                self.dist[np.ix_(cols, rows)] = shorter.T
        if self.comp[a] != self.comp[b]:
            self.blocks.append(sorted((a, b)))
        else:
            on_path = {t for t in self.tree.path(a, b) if t < len(self.blocks)}
            merged = sorted({v for t in on_path for v in self.blocks[t]})
            self.blocks = [blk for t, blk in enumerate(self.blocks) if t not in on_path]
            self.blocks.append(merged)
        self.adj[a].add(b)
        self.adj[b].add(a)
        bisect.insort(self.lists[a], b)
        bisect.insort(self.lists[b], a)
        self.deg[a] += 1
        self.deg[b] += 1

    def _shortcut(
        self, a: int, b: int
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], FloatArray | None]:
        assert self.dist is not None
        da = self.dist[:, a]
        db = self.dist[:, b]
        rows = np.flatnonzero(da + 1.0 < db)
        cols = np.flatnonzero(db + 1.0 < da)
        if rows.size == 0 or cols.size == 0:
            return rows, cols, None
        through = da[rows][:, None] + 1.0 + db[cols][None, :]
        return rows, cols, np.minimum(self.dist[np.ix_(rows, cols)], through)


class _BlockTree:
    """The block–cut tree (blocks and cut points as tree nodes), rooted per component."""

    def __init__(self, blocks: Sequence[Sequence[int]], n: int) -> None:
        count = [0] * n
        for block in blocks:
            for v in block:
                count[v] += 1
        self.cuts = {v for v in range(n) if count[v] >= 2}
        nb = len(blocks)
        cut_ids = {v: nb + i for i, v in enumerate(sorted(self.cuts))}
        self.cut_of = {i: v for v, i in cut_ids.items()}
        self.tree_node: dict[int, int] = dict(cut_ids)
        size = nb + len(cut_ids)
        adj: list[list[int]] = [[] for _ in range(size)]
        for b, block in enumerate(blocks):
            for v in block:
                if v in cut_ids:
                    adj[b].append(cut_ids[v])
                    adj[cut_ids[v]].append(b)
                else:
                    self.tree_node[v] = b
        self.degree = [len(a) for a in adj]
        self.parent = [-1] * size
        self.depth = [-1] * size
        for root in range(size):
            if self.depth[root] >= 0:
                continue
            self.depth[root] = 0
            queue = [root]
            for t in queue:
                for u in adj[t]:
                    if self.depth[u] < 0:
                        self.depth[u] = self.depth[t] + 1
                        self.parent[u] = t
                        queue.append(u)

    def path(self, a: int, b: int) -> list[int]:
        """Tree nodes from ``a``'s to ``b``'s (same component), both ends included."""
        x, y = self.tree_node.get(a), self.tree_node.get(b)
        if x is None or y is None:
            return []
        left, right = [x], [y]
        while x != y:
            if self.depth[x] >= self.depth[y]:
                x = self.parent[x]
                left.append(x)
            else:
                y = self.parent[y]
                right.append(y)
        return left + right[-2::-1]

    def removed(self, a: int, b: int) -> list[int]:
        """Cut points that a new tie ``a``–``b`` (same component) would dissolve: those
        inside the tree path with exactly two blocks."""
        interior = self.path(a, b)[1:-1]
        return sorted(self.cut_of[t] for t in interior if t in self.cut_of and self.degree[t] == 2)


_Candidate = tuple[int, int, str, int | None]  # a, b, kind, via (indices of the whole map)


def _candidates(
    whole: _View, rest: _View, to_alone: Sequence[int], ego: int | None
) -> list[_Candidate]:
    found: list[_Candidate] = []
    seen: set[tuple[int, int]] = set()
    W = whole.adj

    def add(a: int, b: int, kind: str, via: int | None) -> None:
        pair = (a, b) if a < b else (b, a)
        if a == b or pair in seen or b in W[a] or a in whole.avoid or b in whole.avoid:
            return
        seen.add(pair)
        found.append((a, b, kind, via))

    # 1. fragments
    parts = _fast.components(whole.lists)
    if len(parts) > 1:
        main = next((p for p in parts if ego in p), parts[0]) if ego is not None else parts[0]
        hub = ego if ego is not None else whole.anchor(main)
        for part in [p for p in parts if p is not main][:_MAX_FRAGMENTS]:
            add(hub, whole.anchor(part), "connect_fragment", None)

    # 2. structural holes, on the map without the participant (indices of ``rest``)
    from_alone = {h: g for g, h in enumerate(to_alone) if h >= 0}
    contacts = W[ego] if ego is not None else None
    core = _fast.core_numbers(rest.lists)
    groups = sorted(_fast.shell_clusters(rest.lists, core), key=lambda c: (-len(c), c[0]))
    cluster_of = {v: i for i, c in enumerate(groups) for v in c}
    between: dict[tuple[int, int], int] = {}
    for u, neighbours in enumerate(rest.lists):
        cu = cluster_of.get(u)
        if cu is None:
            continue
        for v in neighbours:
            cv = cluster_of.get(v)
            if cv is not None and cu < cv:
                between[(cu, cv)] = between.get((cu, cv), 0) + 1
    top = groups[:_MAX_CLUSTERS]
    for i, x in enumerate(top):
        for j in range(i + 1, len(top)):
            if between.get((i, j), 0) > 1:
                continue
            xs = [v for v in x if contacts is None or from_alone[v] in contacts]
            ys = [v for v in top[j] if contacts is None or from_alone[v] in contacts]
            if not xs or not ys:
                continue
            for anchor, others in ((rest.anchor(xs), ys), (rest.anchor(ys), xs)):
                for other in rest.least_tied(others)[:_MAX_MEMBERS]:
                    a, b = sorted((from_alone[anchor], from_alone[other]))
                    add(a, b, "structural_hole", ego)

    # 3. triadic closure for actors hanging on one tie or only on cut points
    cuts = whole.tree.cuts
    deg = whole.deg
    hanging = [
        v
        for v in range(whole.n)
        if v != ego and deg[v] >= 1 and (deg[v] == 1 or all(w in cuts for w in W[v]))
    ]
    for v in whole.least_tied(hanging)[:_MAX_HANGING]:
        u = whole.anchor(W[v], avoiding=False)  # who v hangs on, gatekeeper or not
        partners = [w for w in W[u] if w != v and w not in W[v]]
        if partners:
            add(v, whole.anchor(partners), "triadic_closure", u)

    # 4. the participant's own tie into a cluster they do not reach
    if ego is not None and contacts is not None:
        for group in top:
            if not any(from_alone[v] in contacts for v in group):
                add(ego, from_alone[rest.anchor(group)], "reach_cluster", None)
    return found


def _best(
    candidates: Sequence[_Candidate],
    whole: _View,
    rest: _View,
    to_alone: Sequence[int],
    ego: int | None,
) -> tuple[int, int, str, int | None, int, list[int], float] | None:
    """The best candidate with its effects: (a, b, kind, via, joined, removed, gain)."""
    if not candidates:
        return None
    back = {h: g for g, h in enumerate(to_alone) if h >= 0}
    scored = []
    for a, b, kind, via in candidates:
        on_whole = ego is None or ego in (a, b) or rest is whole
        view = whole if on_whole else rest
        x, y = (a, b) if on_whole else (to_alone[a], to_alone[b])
        joined = int(view.comp[x] != view.comp[y])
        removed = [] if joined else view.tree.removed(x, y)
        if not on_whole:
            removed = sorted(back[v] for v in removed)
        scored.append((-joined, -len(removed), a, b, kind, via, view, x, y, joined, removed))
    scored.sort(key=lambda s: s[:4])
    head = scored[0]
    ties = [s for s in scored if s[0] == head[0] and s[1] == head[1]][:_MAX_EFFICIENCY]
    ranked = []
    for _, _, a, b, kind, via, view, x, y, joined, removed in ties:
        gain = view.efficiency_gain(x, y)
        ranked.append((-round(gain, 12), a, b, kind, via, joined, removed, gain))
    ranked.sort(key=lambda r: r[:3])
    _, a, b, kind, via, joined, removed, gain = ranked[0]
    return a, b, kind, via, joined, removed, gain


def _introducer(
    view: _View, a: int, b: int, via: int | None, ego: int | None, avoid: Collection[int]
) -> int | None:
    """Who introduces ``a`` to ``b``: ``via``, unless it is to be avoided (a gatekeeper, or a
    cut point the tie removes: asking the middleman to make himself redundant, or routing
    through him again, is what the module's Karawang lesson warns against). Then another
    contact of both, best-tied first, or nobody (a direct tie). The participant may always
    introduce: that is the weaver's work (Krebs & Holley)."""
    if via is None or via == ego or via not in avoid:
        return via
    others = [w for w in view.adj[a] & view.adj[b] if w not in avoid]
    return view.anchor(others) if others else None


def _reason(joined: int, removed: Sequence[int], gain: float) -> str:
    if joined:
        return "joins_components"
    if removed:
        return "removes_cut_points"
    if gain > 0:
        return "shortens_paths"
    return "adds_tie"


def _distances(adj: Sequence[Sequence[int]]) -> FloatArray:
    n = len(adj)
    rows = []
    for s in range(n):
        dist = [-1] * n
        dist[s] = 0
        queue = [s]
        for v in queue:
            for w in adj[v]:
                if dist[w] < 0:
                    dist[w] = dist[v] + 1
                    queue.append(w)
        rows.append(dist)
    matrix = np.array(rows, dtype=np.float64).reshape(n, n)
    return np.where(matrix < 0, np.inf, matrix)


def _inverse_sum(dist: FloatArray) -> float:
    """Sum of ``1/d`` over pairs at a finite positive distance (0 on the diagonal)."""
    inverse = np.divide(1.0, dist, out=np.zeros_like(dist), where=dist > 0)
    return float(inverse.sum())
