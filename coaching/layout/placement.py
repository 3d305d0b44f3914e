"""Each actor with its name put at the free spot nearest its ideal place, so no name overlaps
another name or a node."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from coaching.layout.scene import FONT_PX, GAP, MARGIN, WIDTH_PX
from coaching.layout.shape import _Shape


def _priority(
    G: nx.Graph,
    order: Sequence[Hashable],
    me: Hashable | None,
    marked: set[Hashable],
    roles_of: dict[Hashable, tuple[str, ...]],
    ideal: dict[Hashable, tuple[float, float]],
) -> list[Hashable]:
    """Who gets their ideal spot first: the participant, then outward from the middle."""
    if not ideal:
        return []
    cx = float(np.mean([p[0] for p in ideal.values()]))
    cy = float(np.mean([p[1] for p in ideal.values()]))
    if me is not None:
        cx, cy = ideal[me]
    return sorted(
        order,
        key=lambda v: (v != me, round(math.hypot(ideal[v][0] - cx, ideal[v][1] - cy), 1)),
    )


@dataclass
class _Occupied:
    """Boxes already placed, as arrays for vectorised overlap tests."""

    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))

    def free(self, candidates: np.ndarray) -> np.ndarray:
        """For boxes ``candidates`` (k × 4: x0, y0, x1, y1), whether each is clear of all."""
        if not len(self.boxes):
            return np.ones(len(candidates), dtype=bool)
        b = self.boxes
        clash = (
            (candidates[:, None, 0] < b[None, :, 2] + GAP)
            & (b[None, :, 0] < candidates[:, None, 2] + GAP)
            & (candidates[:, None, 1] < b[None, :, 3] + GAP)
            & (b[None, :, 1] < candidates[:, None, 3] + GAP)
        )
        return np.asarray(~clash.any(axis=1))

    def add(self, box: np.ndarray) -> None:
        self.boxes = np.vstack([self.boxes, box[None, :]])


def _offsets() -> np.ndarray:
    """Moves from an ideal spot, nearest first (a grid of a quarter em, out to 14 ems)."""
    step = FONT_PX / 4
    reach = 56
    grid = np.arange(-reach, reach + 1) * step
    xs, ys = np.meshgrid(grid, grid)
    moves = np.stack([xs.ravel(), ys.ravel()], axis=1)
    distance = np.hypot(moves[:, 0], moves[:, 1] * 1.15)  # rather sideways than down
    keep = distance <= reach * step
    moves, distance = moves[keep], distance[keep]
    return np.asarray(moves[np.lexsort((moves[:, 1], moves[:, 0], distance))])


_OFFSETS = _offsets()
_CHUNKS = [(0, 48), (48, 256), *((i, i + 1024) for i in range(256, len(_OFFSETS), 1024))]


def _place(
    priority: Sequence[Hashable],
    ideal: dict[Hashable, tuple[float, float]],
    shapes: dict[Hashable, _Shape],
) -> dict[Hashable, tuple[float, float]]:
    """Each actor at the free spot nearest its ideal one, inside the width; when nothing near
    is free, just below everything placed (always free, so this never fails)."""
    occupied = _Occupied()
    placed: dict[Hashable, tuple[float, float]] = {}
    for v in priority:
        s = shapes[v]
        lo, hi = MARGIN - s.dx0, WIDTH_PX - MARGIN - s.dx1
        x = min(max(ideal[v][0], lo), hi) if lo <= hi else WIDTH_PX / 2
        y = ideal[v][1]
        near = occupied.boxes
        if len(near):
            reach = _OFFSETS[-1, 0] * 1.5 + (s.dx1 - s.dx0) + (s.dy1 - s.dy0)
            keep = (
                (near[:, 2] > x - reach)
                & (near[:, 0] < x + reach)
                & (near[:, 3] > y - reach)
                & (near[:, 1] < y + reach)
            )
            local = _Occupied(near[keep])
        else:
            local = occupied
        spot = None
        for chunk, end in _CHUNKS:  # nearest first; most actors find room in the first few
            moves = _OFFSETS[chunk:end]
            cx, cy = x + moves[:, 0], y + moves[:, 1]
            inside = (cx >= lo - 1e-6) & (cx <= hi + 1e-6) if lo <= hi else np.ones(len(cx), bool)
            boxes = np.stack([cx + s.dx0, cy + s.dy0, cx + s.dx1, cy + s.dy1], axis=1)
            ok = local.free(boxes) & inside
            if ok.any():
                i = int(np.argmax(ok))
                spot = (float(cx[i]), float(cy[i]))
                break
        if spot is None:
            bottom = float(occupied.boxes[:, 3].max()) if len(occupied.boxes) else y
            spot = (x, bottom + GAP * 2 - s.dy0)
        placed[v] = spot
        occupied.add(np.array([spot[0] + s.dx0, spot[1] + s.dy0, spot[0] + s.dx1, spot[1] + s.dy1]))
    return placed
