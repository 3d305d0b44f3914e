"""The lines between actors: ties, one-way arrowheads, and suggested ties as dashed curves."""

from __future__ import annotations

from collections.abc import Hashable

import networkx as nx
import numpy as np

from coaching.analysis import Analysis
from coaching.layout.scene import FONT_PX, Line


def _lines(
    G: nx.Graph,
    analysis: Analysis,
    ids: dict[Hashable, str],
    by_name: dict[str, Hashable],
    where: dict[str, tuple[float, float]],
    radius: dict[str, float],
    suggestions: bool,
) -> list[Line]:
    lines = []
    rank = {v: i for i, v in enumerate(ids)}
    middle = tuple(np.mean(np.array(list(where.values())), axis=0)) if where else (0.0, 0.0)
    edges = []
    for u, v, data in G.edges(data=True):
        edges.append((u, v, data) if rank[u] < rank[v] else (v, u, data))
    for u, v, data in sorted(edges, key=lambda e: (rank[e[0]], rank[e[1]])):
        strength = data.get("strength")
        kind = strength if strength in ("strong", "weak") else "unknown"
        a, b = ids[u], ids[v]
        arrow: tuple[tuple[float, float], ...] = ()
        if data.get("direction") == "out":
            start, end = (a, b) if data.get("origin", u) == u else (b, a)
            arrow = _arrowhead(where[start], where[end], FONT_PX * 0.45)
        lines.append(Line(a, b, kind, (where[a], where[b]), arrow))
    if suggestions:
        for s in analysis.suggestions:
            if s.a in by_name and s.b in by_name:
                a, b = ids[by_name[s.a]], ids[by_name[s.b]]
                lines.append(Line(a, b, "suggested", _arc(where[a], where[b], middle)))
    return lines


def _arc(
    start: tuple[float, float],
    end: tuple[float, float],
    middle: tuple[float, ...],
    bend: float = 0.18,
) -> tuple[tuple[float, float], ...]:
    """A gently curved line (quadratic Bézier), so a suggested tie never hides an existing one;
    it bulges toward the map's middle, never out over the title or the legend."""
    p, q = np.array(start), np.array(end)
    direction = q - p
    normal = np.array([-direction[1], direction[0]]) * bend
    centre = np.array(middle[:2])
    control = (p + q) / 2 + normal
    other = (p + q) / 2 - normal
    if np.hypot(*(other - centre)) < np.hypot(*(control - centre)):
        control = other
    t = np.linspace(0.0, 1.0, 16)[:, None]
    points = (1 - t) ** 2 * p + 2 * (1 - t) * t * control + t**2 * q
    return tuple((round(float(x), 1), round(float(y), 1)) for x, y in points)


def _arrowhead(
    start: tuple[float, float], end: tuple[float, float], size: float
) -> tuple[tuple[float, float], ...]:
    p, q = np.array(start), np.array(end)
    direction = q - p
    length = float(np.hypot(*direction)) or 1.0
    unit = direction / length
    normal = np.array([-unit[1], unit[0]])
    tip = p + direction * 0.55 + unit * size * 0.5
    base = tip - unit * size
    corners = (tip, base + normal * size * 0.5, base - normal * size * 0.5)
    return tuple((round(float(c[0]), 1), round(float(c[1]), 1)) for c in corners)
