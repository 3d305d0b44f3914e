"""A map as positioned SVG shapes for the participant page (drawn by ``participant.html``).

The page draws the SVG itself (autoescaped names, no inline styles, so the strict CSP holds);
this module only computes where things go. The layout is deterministic (fixed seed), so the
same map looks the same on every visit; the participant sits in the middle like in ``/peta``.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from coaching.network import MapView

WIDTH, HEIGHT, MARGIN = 720.0, 480.0, 48.0
SPRING_LIMIT = 400  # networkx's spring layout needs scipy above 500 nodes; stay well below


@dataclass(frozen=True)
class Node:
    id: str
    x: float
    y: float
    r: float
    name: str
    ego: bool
    detail: str  # tooltip: role, KLTB step


@dataclass(frozen=True)
class Edge:
    a: str
    b: str
    x1: float
    y1: float
    x2: float
    y2: float
    strong: bool
    one_way: bool


@dataclass(frozen=True)
class Drawing:
    width: float
    height: float
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


def draw(view: MapView) -> Drawing:
    """Positions for every actor and tie of ``view`` inside a WIDTH × HEIGHT box."""
    G = nx.Graph()
    keys = {a.key: f"n{i}" for i, a in enumerate(view.actors)}
    for actor in view.actors:
        G.add_node(keys[actor.key])
    for tie in view.ties:
        G.add_edge(keys[tie.a], keys[tie.b])
    ego = view.ego
    if len(G) == 0:
        return Drawing(WIDTH, HEIGHT, (), ())
    if len(G) > SPRING_LIMIT:
        pos = nx.circular_layout(G)
    else:
        centre = keys[ego.key] if ego is not None and len(G) > 1 else None
        fixed = [centre] if centre else None
        start = {centre: (0.0, 0.0)} if centre else None
        pos = nx.spring_layout(G, seed=7, pos=start, fixed=fixed, iterations=80)
    xs = [float(p[0]) for p in pos.values()]
    ys = [float(p[1]) for p in pos.values()]
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0

    def place(node: str) -> tuple[float, float]:
        x = MARGIN + (float(pos[node][0]) - min(xs)) / span_x * (WIDTH - 2 * MARGIN)
        y = MARGIN + (float(pos[node][1]) - min(ys)) / span_y * (HEIGHT - 2 * MARGIN)
        return round(x, 1), round(y, 1)

    nodes = []
    for actor in view.actors:
        x, y = place(keys[actor.key])
        parts = [p for p in (actor.role, actor.kltb_step and actor.kltb_step.upper()) if p]
        nodes.append(
            Node(
                id=keys[actor.key],
                x=x,
                y=y,
                r=14.0 if actor.is_ego else 9.0 + min(G.degree(keys[actor.key]), 6),
                name=actor.name,
                ego=actor.is_ego,
                detail=" · ".join(parts),
            )
        )
    edges = []
    for tie in view.ties:
        (x1, y1), (x2, y2) = place(keys[tie.a]), place(keys[tie.b])
        edges.append(
            Edge(
                keys[tie.a],
                keys[tie.b],
                x1,
                y1,
                x2,
                y2,
                strong=tie.strength == "strong",
                one_way=tie.direction == "out",
            )
        )
    return Drawing(WIDTH, HEIGHT, tuple(nodes), tuple(edges))
