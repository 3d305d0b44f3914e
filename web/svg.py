"""A map as positioned SVG shapes for the participant page (drawn by ``participant.html``).

The positions, name boxes, badges, line styles and legend are :mod:`coaching.layout`'s, the
same scene the bot's picture paints, so the coach sees the participant's picture, not a
different drawing. This module only turns the scene into strings the template can put into
attributes (autoescaped names, no inline styles, so the strict CSP holds). The scene's title is
left out (the page has its own heading); the view box starts below it.
"""

from __future__ import annotations

from dataclasses import dataclass

from coaching.analysis import Analysis
from coaching.layout import LINE_STYLES, SHAPES, LegendItem, Scene, TextBlock, plan, shape_points
from coaching.network import MapView


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    size: float
    anchor: str
    lines: tuple[tuple[float, str], ...]  # (dy from the previous line, words)


@dataclass(frozen=True)
class Node:
    id: str
    x: float
    y: float
    r: float
    fill: str
    name: str
    ego: bool
    highlighted: bool
    detail: str  # tooltip: role, KLTB step
    label: Text | None
    badges: tuple[str, ...]  # polygon points


@dataclass(frozen=True)
class Edge:
    a: str
    b: str
    kind: str  # strong | unknown | weak | suggested
    points: str
    width: float
    dash: str
    arrow: str


@dataclass(frozen=True)
class Key:
    """One legend entry: a symbol (line, disc or badge) and its words."""

    kind: str
    x: float
    y: float
    text: Text
    width: float = 0.0
    dash: str = ""
    fill: str = ""
    ego: bool = False
    highlight: bool = False
    badge: str = ""
    arrow: str = ""
    dots: tuple[tuple[float, str], ...] = ()  # (x, fill) of each cluster colour


@dataclass(frozen=True)
class Drawing:
    width: float
    height: float
    top: float
    font_px: float
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    legend: tuple[Key, ...]

    @property
    def view_box(self) -> str:
        return f"0 {self.top:g} {self.width:g} {self.height - self.top:g}"


def draw(view: MapView, analysis: Analysis, *, locale: str) -> Drawing:
    """The scene of ``view`` (analysed as ``analysis``) as SVG-ready shapes."""
    scene = plan(view.graph(), analysis, locale=locale, ego=view.ego.name if view.ego else None)
    actors = {a.name: a for a in view.actors}
    nodes = []
    for node in scene.nodes:
        actor = actors.get(node.name)
        parts = []
        if actor is not None:
            parts = [p for p in (actor.role, actor.kltb_step and actor.kltb_step.upper()) if p]
        nodes.append(
            Node(
                id=node.id,
                x=_r(node.x),
                y=_r(node.y),
                r=_r(node.r),
                fill=node.fill,
                name=node.name,
                ego=node.ego,
                highlighted=node.highlighted,
                detail=" · ".join(parts),
                label=_text(node.label) if node.label else None,
                badges=tuple(_points(shape_points(b.shape, b.x, b.y, b.size)) for b in node.badges),
            )
        )
    edges = []
    for line in scene.lines:
        style = LINE_STYLES[line.kind]
        edges.append(
            Edge(
                line.a,
                line.b,
                line.kind,
                _points(line.points),
                _r(style.width),
                " ".join(f"{d:g}" for d in style.dash),
                _points(line.arrow) if line.arrow else "",
            )
        )
    return Drawing(
        width=scene.width,
        height=scene.height,
        top=_r(scene.map_top),
        font_px=scene.font_px,
        nodes=tuple(nodes),
        edges=tuple(edges),
        legend=tuple(_key(item, scene) for item in scene.legend),
    )


def _key(item: LegendItem, scene: Scene) -> Key:
    half = scene.font_px * 0.7
    text = _text(item.text)
    if item.kind == "line":
        kind = "unknown" if item.key == "one_way" else item.key
        style = LINE_STYLES[kind]
        arrow = ""
        if item.key == "one_way":
            f = scene.font_px
            arrow = _points(
                [
                    (item.x + f * 0.35, item.y),
                    (item.x - f * 0.1, item.y - f * 0.22),
                    (item.x - f * 0.1, item.y + f * 0.22),
                ]
            )
        return Key(
            "line",
            _r(item.x - half),
            _r(item.y),
            text,
            width=_r(style.width),
            dash=" ".join(f"{d:g}" for d in style.dash),
            arrow=arrow,
        )
    if item.kind == "node":
        return Key(
            "node",
            _r(item.x),
            _r(item.y),
            text,
            fill=item.key,
            ego=item.ego,
            highlight=item.highlight,
        )
    if item.kind == "clusters":
        colours = item.key.split(",")
        dots = tuple(
            (_r(item.x + (k - (len(colours) - 1) / 2) * scene.font_px * 0.95), colour)
            for k, colour in enumerate(colours)
        )
        return Key("clusters", _r(item.x), _r(item.y), text, dots=dots)
    if item.kind == "badge":
        points = _points(shape_points(SHAPES[item.key], item.x, item.y, scene.font_px * 0.3))
        return Key("badge", _r(item.x), _r(item.y), text, badge=points)
    return Key("note", _r(item.x), _r(item.y), text)


def _text(block: TextBlock) -> Text:
    lines = tuple(
        (0.0 if i == 0 else _r(block.line_px), line) for i, line in enumerate(block.lines)
    )
    return Text(_r(block.x), _r(block.baseline), block.size, block.anchor, lines)


def _points(points: object) -> str:
    return " ".join(f"{_r(x):g},{_r(y):g}" for x, y in points)  # type: ignore[attr-defined]


def _r(value: float) -> float:
    return round(float(value), 1)
