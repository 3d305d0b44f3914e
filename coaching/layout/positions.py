"""Where each actor would ideally go: rings around the participant on a personal map, clusters laid
out apart on a case map."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import networkx as nx
import numpy as np

from coaching.analysis import Analysis
from coaching.analysis.measures import distance_matrix
from coaching.layout.scene import CLUSTER_GAP, FONT_PX, GAP, MARGIN, WIDTH_PX
from coaching.layout.shape import _Shape


def _by_size(clusters: Sequence[Sequence[str]]) -> list[Sequence[str]]:
    """Clusters largest first (stable, so ties keep the analysis' name order)."""
    return sorted(clusters, key=lambda c: -len(c))


def _ideal(
    G: nx.Graph,
    order: Sequence[Hashable],
    names: dict[Hashable, str],
    analysis: Analysis,
    me: Hashable | None,
    shapes: dict[Hashable, _Shape],
    seed: int,
) -> dict[Hashable, tuple[float, float]]:
    if not order:
        return {}
    if me is not None and len(order) > 1:
        pos = _ego_rings(G, order, names, analysis, me, shapes)
    else:
        pos = _clusters_apart(G, order, names, analysis, shapes, seed)
    return _fit_width(pos, shapes, me if me is not None and len(order) > 1 else None)


def _groups(
    order: Sequence[Hashable], names: dict[Hashable, str], clusters: Sequence[Sequence[str]]
) -> list[list[Hashable]]:
    """Actors by cluster (largest first), those outside all clusters last, name order within."""
    by_name = {names[v]: v for v in order}
    rank = {v: i for i, v in enumerate(order)}
    seen: set[Hashable] = set()
    groups = []
    for members in _by_size(clusters):
        group = [by_name[m] for m in members if m in by_name and by_name[m] not in seen]
        seen.update(group)
        if group:
            groups.append(sorted(group, key=rank.__getitem__))
    rest = [v for v in order if v not in seen]
    if rest:
        groups.append(rest)
    return groups


def _ego_rings(
    G: nx.Graph,
    order: Sequence[Hashable],
    names: dict[Hashable, str],
    analysis: Analysis,
    me: Hashable,
    shapes: dict[Hashable, _Shape],
) -> dict[Hashable, tuple[float, float]]:
    """The participant at the origin, direct ties on ring 1, the others on ring 2, each cluster
    (of the map without the participant, where the groups show) in its own sector."""
    clusters = analysis.without_ego.clusters if analysis.without_ego else analysis.clusters
    groups = _groups([v for v in order if v != me], names, clusters)
    direct = set(G[me])
    rings: list[list[tuple[Hashable, int]]] = [[], []]
    for g, group in enumerate(groups):
        rings[0] += [(v, g) for v in group if v in direct]
        rings[1] += [(v, g) for v in group if v not in direct]

    # rings are ellipses as wide as the picture allows and as tall as their names need
    weight = [0.0] * len(groups)
    for ring in rings:
        for _, g in ring:
            weight[g] += 1.0
    total = sum(weight) or 1.0
    start = [0.0] * len(groups)
    angle = -math.pi / 2
    for g in range(len(groups)):
        start[g] = angle
        angle += 2 * math.pi * weight[g] / total
    angles: dict[Hashable, float] = {}
    for ring in rings:
        for g in range(len(groups)):
            members = [v for v, h in ring if h == g]
            span = 2 * math.pi * weight[g] / total
            for i, v in enumerate(members):
                angles[v] = start[g] + span * (i + 0.5) / len(members)
        if len(ring) == 1:
            angles[ring[0][0]] = -math.pi / 2

    # Each ring is the middle of the band its boxes fill: a disc of the boxes' area around the
    # participant, then a band around that. Bands are circles where the width allows, else
    # ellipses of the same area, as wide as the picture.
    def area(v: Hashable) -> float:
        return (shapes[v].dx1 - shapes[v].dx0 + GAP * 2) * (shapes[v].dy1 - shapes[v].dy0 + GAP * 2)

    filled = area(me) * 1.5
    pos: dict[Hashable, tuple[float, float]] = {me: (0.0, 0.0)}
    ring_one = 0.0
    depth = max((shapes[v].dy1 - shapes[v].dy0 for v, _ in rings[0]), default=0.0) * 0.5
    for ring in rings:
        if not ring:
            continue
        inside = filled
        widths = sorted(shapes[v].dx1 - shapes[v].dx0 for v, _ in ring)
        a_max = WIDTH_PX / 2 - MARGIN - widths[len(widths) // 2] / 2
        filled += sum(area(v) for v, _ in ring) * 1.3
        # a crowded ring alternates between two radii inside its band, filling the band
        levels = (0.5, 0.85) if len(ring) > 8 else (0.6,)
        for i, (v, _) in enumerate(ring):
            band = inside + (filled - inside) * levels[i % len(levels)]
            a = min(math.sqrt(band / math.pi), a_max)
            b = band / math.pi / a
            x, y = a * math.cos(angles[v]), b * math.sin(angles[v])
            if ring is rings[1] and ring_one:
                # outside the first ring: where the picture's width stops it going sideways,
                # beyond the first ring's top or bottom
                beyond = ring_one + depth
                y = math.copysign(max(abs(y), beyond), y if y else (1.0 if i % 2 else -1.0))
            pos[v] = (x, y)
        if ring is rings[0]:
            ring_one = max(abs(pos[v][1]) for v, _ in ring)
    return pos


def _clusters_apart(
    G: nx.Graph,
    order: Sequence[Hashable],
    names: dict[Hashable, str],
    analysis: Analysis,
    shapes: dict[Hashable, _Shape],
    seed: int,
) -> dict[Hashable, tuple[float, float]]:
    """Each connected piece laid out with the distance between two clusters' members
    stretched (so clusters stand apart and ties between them run across the gap, while actors
    outside all clusters stay beside whoever they are tied to), then the pieces packed in rows."""
    rank = {v: i for i, v in enumerate(order)}
    # small maps are drawn airy: a tie at least 4 ems across or 3 down
    roomy = FONT_PX * (1.35 if len(order) <= 20 else 1.0 if len(order) <= 60 else 0.0)
    # one tie is about one box apart: a box's width across, its height down (names are wide
    # and short, so a portrait picture fits more of them stacked than side by side)
    step = np.array(
        [
            max(float(np.median([s.dx1 - s.dx0 for s in shapes.values()])), roomy * 3),
            max(float(np.median([s.dy1 - s.dy0 for s in shapes.values()])), roomy * 2.5),
        ]
    )
    by_name = {names[v]: v for v in order}
    cluster_of = {
        by_name[name]: i
        for i, members in enumerate(analysis.clusters)
        for name in members
        if name in by_name
    }
    parts = sorted(
        (sorted(c, key=rank.__getitem__) for c in nx.connected_components(G)),
        key=lambda c: (-len(c), rank[c[0]]),
    )
    blocks = []
    for part in parts:
        coords = _component_layout(G, part, seed, cluster_of) * step
        half_w = max(shapes[v].dx1 - shapes[v].dx0 for v in part) / 2
        half_h = max(shapes[v].dy1 - shapes[v].dy0 for v in part) / 2
        room = WIDTH_PX - 2 * MARGIN - 2 * half_w
        spread = float(np.ptp(coords[:, 0]))
        if spread > room:  # a block never wider than the picture: squeeze it, not its neighbours
            coords[:, 0] *= room / spread
        low = coords.min(axis=0) - np.array([half_w, half_h])
        high = coords.max(axis=0) + np.array([half_w, half_h])
        blocks.append((part, coords - low, high - low))
    row_width = WIDTH_PX - 2 * MARGIN
    pos: dict[Hashable, tuple[float, float]] = {}
    x = y = row_height = 0.0
    for part, coords, size in blocks:
        if x > 0 and x + size[0] > row_width:
            x, y, row_height = 0.0, y + row_height + FONT_PX * 2, 0.0
        for v, point in zip(part, coords, strict=True):
            pos[v] = (float(point[0] + x), float(point[1] + y))
        x += float(size[0]) + FONT_PX * 2
        row_height = max(row_height, float(size[1]))
    return pos


def _fit_width(
    pos: dict[Hashable, tuple[float, float]],
    shapes: dict[Hashable, _Shape],
    middle: Hashable | None,
) -> dict[Hashable, tuple[float, float]]:
    """Squeeze x (never y) so every box fits the picture's width, centred (on ``middle``)."""
    xs = np.array([p[0] for p in pos.values()])
    left = float(min(p[0] + shapes[v].dx0 for v, p in pos.items()))
    right = float(max(p[0] + shapes[v].dx1 for v, p in pos.items()))
    spread = float(xs.max() - xs.min())
    room = WIDTH_PX - 2 * MARGIN - (right - left - spread)
    scale = min(1.0, room / spread) if spread > 0 else 1.0
    centre = (float(xs.max()) + float(xs.min())) / 2 if middle is None else pos[middle][0]
    return {v: ((p[0] - centre) * scale + WIDTH_PX / 2, p[1]) for v, p in pos.items()}


def _component_layout(
    G: nx.Graph,
    part: Sequence[Hashable],
    seed: int,
    cluster_of: dict[Hashable, int] | None = None,
) -> np.ndarray:
    """Positions for one connected piece (rows in ``part`` order), one tie about one unit
    long, the longer axis down."""
    n = len(part)
    if n == 1:
        return np.zeros((1, 2))
    if n == 2:
        return np.array([[0.0, -0.5], [0.0, 0.5]])
    H = nx.Graph()
    H.add_nodes_from(range(n))
    local = {v: i for i, v in enumerate(part)}
    H.add_edges_from(
        sorted(
            (min(local[u], local[v]), max(local[u], local[v]))
            for u, v in G.edges(part)
            if u in local and v in local
        )
    )
    if n <= 300:
        dist = distance_matrix(H, list(range(n)))
        if cluster_of:
            groups = np.array([cluster_of.get(v, -1) for v in part])
            apart = (
                (groups[:, None] != groups[None, :])
                & (groups[:, None] >= 0)
                & (groups[None, :] >= 0)
            )
            dist = dist + apart * CLUSTER_GAP
        coords = _stress(dist, seed)
    else:  # a ring is cheap and, for a cohort view this large, as readable as anything else
        angles = np.linspace(0, 2 * math.pi, n, endpoint=False)
        coords = np.stack([np.cos(angles), np.sin(angles)], axis=1) * n / (2 * math.pi)
    return np.asarray(coords - coords.mean(axis=0))


def _stress(dist: np.ndarray, seed: int, iterations: int = 50) -> np.ndarray:
    """Stress majorization (Gansner, Koren & North 2004) from classical MDS, weights 1/d².

    Keeps graph distances as drawing distances, so a cluster spreads evenly instead of
    collapsing as in force-directed layouts. A seeded jitter breaks exact symmetries.
    """
    n = dist.shape[0]
    centre = np.eye(n) - 1.0 / n
    gram = -0.5 * centre @ (dist**2) @ centre
    values, vectors = np.linalg.eigh(gram)
    coords = vectors[:, -2:] * np.sqrt(np.maximum(values[-2:], 1e-9))
    for j in range(2):
        if coords[int(np.argmax(np.abs(coords[:, j]))), j] < 0:
            coords[:, j] *= -1
    rng = np.random.default_rng(seed)
    coords += rng.normal(scale=1e-3 * max(float(np.abs(coords).max()), 1.0), size=coords.shape)
    positive = dist > 0
    weights = np.where(positive, 1.0 / np.where(positive, dist, 1.0) ** 2, 0.0)
    laplacian = -weights
    np.fill_diagonal(laplacian, weights.sum(axis=1))
    inverse = np.linalg.pinv(laplacian)
    for _ in range(iterations):
        diff = coords[:, None, :] - coords[None, :, :]
        length = np.sqrt((diff**2).sum(axis=-1))
        apart = length > 1e-12
        b = np.where(apart, -weights * dist / np.where(apart, length, 1.0), 0.0)
        np.fill_diagonal(b, -b.sum(axis=1))
        updated = inverse @ (b @ coords)
        done = float(np.abs(updated - coords).max()) < 1e-3
        coords = updated
        if done:
            break
    return np.asarray(coords, dtype=np.float64)
