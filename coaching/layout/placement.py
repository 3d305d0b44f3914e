"""Each actor with its name put at the free spot nearest its ideal place, so no name overlaps
another name or a node."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

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
# Each chunk's moves and their extremes (left, right, up, down): a box that is clear of the
# rectangle they span is clear of every candidate in the chunk.
_CHUNK_MOVES = [
    (
        _OFFSETS[a:b],
        float(_OFFSETS[a:b, 0].min()),
        float(_OFFSETS[a:b, 0].max()),
        float(_OFFSETS[a:b, 1].min()),
        float(_OFFSETS[a:b, 1].max()),
    )
    for a, b in _CHUNKS
]


def _place(
    priority: Sequence[Hashable],
    ideal: dict[Hashable, tuple[float, float]],
    shapes: dict[Hashable, _Shape],
) -> dict[Hashable, tuple[float, float]]:
    """Each actor at the free spot nearest its ideal one, inside the width; when nothing near
    is free, just below everything placed (always free, so this never fails).

    A candidate box is free when it keeps ``GAP`` from every box placed before it. The moves
    are tried a chunk at a time, nearest first, each against only the boxes its chunk can reach.
    """
    boxes = np.empty((len(priority), 4))  # x0, y0, x1, y1 of each box placed
    ends = np.empty((len(priority), 2))  # x1 + GAP, y1 + GAP of each
    placed: dict[Hashable, tuple[float, float]] = {}
    for count, v in enumerate(priority):  # ``count`` boxes placed so far
        s = shapes[v]
        lo, hi = MARGIN - s.dx0, WIDTH_PX - MARGIN - s.dx1
        x = min(max(ideal[v][0], lo), hi) if lo <= hi else WIDTH_PX / 2
        y = ideal[v][1]
        spot = None
        for moves, left, right, up, down in _CHUNK_MOVES:  # nearest first: most stop early
            cx, cy = x + moves[:, 0], y + moves[:, 1]
            inside = (cx >= lo - 1e-6) & (cx <= hi + 1e-6) if lo <= hi else np.ones(len(cx), bool)
            ok = inside
            if count:
                # The boxes a candidate of this chunk can touch: the test below at the chunk's
                # extremes (float addition is monotonic, so none that matters is left out).
                b, e = boxes[:count], ends[:count]
                near = (
                    ((x + left) + s.dx0 < e[:, 0])
                    & (b[:, 0] < (x + right) + s.dx1 + GAP)
                    & ((y + up) + s.dy0 < e[:, 1])
                    & (b[:, 1] < (y + down) + s.dy1 + GAP)
                )
                if near.any():
                    b, e = b[near], e[near]
                    clash = (
                        ((cx + s.dx0)[:, None] < e[None, :, 0])
                        & (b[None, :, 0] < ((cx + s.dx1) + GAP)[:, None])
                        & ((cy + s.dy0)[:, None] < e[None, :, 1])
                        & (b[None, :, 1] < ((cy + s.dy1) + GAP)[:, None])
                    )
                    ok = ~clash.any(axis=1) & inside
            if ok.any():
                i = int(np.argmax(ok))
                spot = (float(cx[i]), float(cy[i]))
                break
        if spot is None:
            bottom = float(boxes[:count, 3].max()) if count else y
            spot = (x, bottom + GAP * 2 - s.dy0)
        placed[v] = spot
        box = (spot[0] + s.dx0, spot[1] + s.dy0, spot[0] + s.dx1, spot[1] + s.dy1)
        boxes[count] = box
        ends[count] = (box[2] + GAP, box[3] + GAP)
    return placed
