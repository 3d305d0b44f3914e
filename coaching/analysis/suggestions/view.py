"""The working copy of a map the pick changes tie by tie: components, the block–cut tree (which cut
points a tie removes) and global efficiency."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from coaching.analysis import _fast
from coaching.analysis.measures import FloatArray


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
