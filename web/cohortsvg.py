"""The cohort's network as an SVG the dashboard embeds: participants and the stakeholders they
share, with who could help whom (``coaching.cohortnet``).

Only participants and *shared* stakeholders are drawn (one participant's own stakeholders are
in their map): a class of 30 stays readable. Positions come from networkx's spring layout on a
fixed seed (the same cohort draws the same), scaled into a box 900 units wide so that names
set at 34 units read at 12 CSS px or more on a 360 px phone; a name near an edge is anchored
towards the middle so it is never cut off. No inline styles (the dashboard's CSP).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from coaching.cohortnet import CohortNetwork

WIDTH, HEIGHT, MARGIN = 900.0, 620.0, 70.0
FONT = 34.0
SHARED_DRAWN = 40


@dataclass(frozen=True)
class Spot:
    id: str
    x: float
    y: float
    label: str
    kind: str  # participant | stakeholder
    anchor: str  # start | middle | end
    r: float


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    kind: str  # map | help


@dataclass(frozen=True)
class Picture:
    width: float
    height: float
    font: float
    spots: tuple[Spot, ...]
    lines: tuple[Line, ...]


def draw(network: CohortNetwork) -> Picture | None:
    """Where each drawn node and tie goes; None when there is nobody to draw."""
    G = network.graph
    shared = {f"s:{s.key}" for s in network.shared[:SHARED_DRAWN]}
    keep = [n for n, d in G.nodes(data=True) if d.get("kind") == "participant" or n in shared]
    if not keep:
        return None
    H = G.subgraph(keep)
    positions = nx.spring_layout(H, seed=7, k=1.6 / max(1, len(keep)) ** 0.5)
    xs = [p[0] for p in positions.values()] or [0.0]
    ys = [p[1] for p in positions.values()] or [0.0]
    spanx, spany = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0

    def place(node: str) -> tuple[float, float]:
        x, y = positions[node]
        return (
            round(MARGIN + (x - min(xs)) / spanx * (WIDTH - 2 * MARGIN), 1),
            round(MARGIN + (y - min(ys)) / spany * (HEIGHT - 2 * MARGIN - FONT), 1),
        )

    spots = []
    for node in H.nodes:
        x, y = place(node)
        anchor = "start" if x < WIDTH / 3 else "end" if x > 2 * WIDTH / 3 else "middle"
        kind = str(H.nodes[node].get("kind"))
        spots.append(
            Spot(
                node,
                x,
                y,
                str(H.nodes[node].get("label")),
                kind,
                anchor,
                14.0 if kind == "participant" else 10.0,
            )
        )
    lines = []
    for a, b, data in H.edges(data=True):
        (x1, y1), (x2, y2) = place(a), place(b)
        lines.append(Line(x1, y1, x2, y2, str(data.get("kind"))))
    lines.sort(key=lambda line: line.kind == "help")  # help ties drawn last, on top
    return Picture(WIDTH, HEIGHT, FONT, tuple(spots), tuple(lines))
