"""What a map's picture is made of, in pixels (y down): the sizes every size derives from, colours,
role shapes, line styles and the :class:`Scene` both drawings paint."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

PHONE_CSS_PX = 360
"""Width of a common Android phone in CSS px: Telegram shows an opened photo this wide."""
TELEGRAM_TEXT_CSS_PX = 15
"""Telegram's message text size on such a phone, in CSS px."""
WIDTH_PX = 1080
"""Width of the picture (≤ 1280, the size Telegram keeps a photo at without downscaling)."""
FONT_PX = math.ceil(WIDTH_PX * TELEGRAM_TEXT_CSS_PX / PHONE_CSS_PX)
"""Size of every name and legend line: 45 px, 15 CSS px once shown 360 CSS px wide."""
TITLE_PX = round(FONT_PX * 1.2)
LINE_HEIGHT = 1.15
"""Line spacing of wrapped names, in ems."""
LABEL_EMS = 8.0
"""Names wrap at this width (a third of the picture; about 14 letters)."""
MARGIN = FONT_PX * 0.6
GAP = FONT_PX * 0.3
"""Minimum white space between two actors' boxes."""
MAX_HEIGHT_RATIO = 2.5
"""A picture much taller than twice its width no longer fits a phone's screen when opened (the
viewer shrinks it to the screen's height, and the names with it, until the reader taps to
zoom): beyond this, the least central actors lose their names (counted in the legend) before
the picture grows taller."""
LABEL_LIMIT = 150
CLUSTER_GAP = 1.5
"""On a case map two clusters' members are drawn this many ties further apart than they are."""
ALWAYS_NAMED = 12
"""A map this small names everyone, however long the names (the picture grows instead)."""
"""Maps above this size never name everyone (each name would be a few pixels of a huge map)."""

PALETTE: tuple[str, ...] = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
)
"""Okabe & Ito (2008) colours for the seven largest clusters; others are grey."""
NO_CLUSTER = "#FFFFFF"
OTHER_CLUSTER = "#BBBBBB"
INK = "#1A1A1A"
EDGE = "#4D4D4D"
SUGGESTED = "#000000"

ROLES = ("hubs", "brokers", "closest", "boundary_spanners", "peripheral")
SHAPES = {
    "hubs": "star",
    "brokers": "diamond",
    "closest": "triangle",
    "boundary_spanners": "square",
    "peripheral": "triangle_down",
}
_ROLE_TEXT = {
    "hubs": "legend_hub",
    "brokers": "legend_broker",
    "closest": "legend_closest",
    "boundary_spanners": "legend_spanner",
    "peripheral": "legend_peripheral",
}


@dataclass(frozen=True)
class LineStyle:
    """How one kind of line is drawn, in pixels of the scene."""

    width: float
    colour: str
    dash: tuple[float, ...] = ()  # on/off lengths in px; empty: solid


LINE_STYLES: dict[str, LineStyle] = {
    "strong": LineStyle(FONT_PX * 0.16, EDGE),
    "unknown": LineStyle(FONT_PX * 0.08, EDGE),
    "weak": LineStyle(FONT_PX * 0.04, EDGE),
    "suggested": LineStyle(FONT_PX * 0.07, SUGGESTED, (FONT_PX * 0.3, FONT_PX * 0.2)),
}
"""Strength is thickness; dashes mean a suggested tie (the one convention of both drawings)."""


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in scene pixels (y down)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1
        )

    def shifted(self, dx: float, dy: float) -> Box:
        return Box(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy)


@dataclass(frozen=True)
class TextBlock:
    """Lines of text centred on ``x`` (or starting at it when ``anchor == "start"``); the first
    line's baseline at ``baseline``, each next one ``line_px`` lower. ``box`` bounds them."""

    lines: tuple[str, ...]
    x: float
    baseline: float
    size: float
    line_px: float
    box: Box
    bold: bool = False
    anchor: str = "middle"


@dataclass(frozen=True)
class Badge:
    role: str
    shape: str
    x: float
    y: float
    size: float  # half-width in px


@dataclass(frozen=True)
class Node:
    id: str
    name: str
    x: float
    y: float
    r: float
    fill: str
    ego: bool
    highlighted: bool
    roles: tuple[str, ...]
    badges: tuple[Badge, ...]
    label: TextBlock | None


@dataclass(frozen=True)
class Line:
    a: str
    b: str
    kind: str  # strong | unknown | weak | suggested
    points: tuple[tuple[float, float], ...]
    arrow: tuple[tuple[float, float], ...] = ()  # triangle for a one-way tie


@dataclass(frozen=True)
class LegendItem:
    kind: str  # line | node | clusters | badge | note
    key: str  # line kind, fill colour, comma-separated fill colours, role, or ""
    x: float  # the symbol's centre
    y: float
    text: TextBlock
    ego: bool = False
    highlight: bool = False


@dataclass(frozen=True)
class Scene:
    width: float
    height: float
    font_px: float
    title: TextBlock | None
    map_top: float
    map_bottom: float
    nodes: tuple[Node, ...]
    lines: tuple[Line, ...]
    legend: tuple[LegendItem, ...]
    unlabelled: int = 0
    styles: dict[str, LineStyle] = field(default_factory=lambda: dict(LINE_STYLES))

    def label_boxes(self) -> list[Box]:
        return [n.label.box for n in self.nodes if n.label is not None]

    def node_boxes(self) -> list[Box]:
        """Each node's disc (with its ring) and badges, as boxes."""
        boxes = []
        for n in self.nodes:
            boxes.append(Box(n.x - n.r, n.y - n.r, n.x + n.r, n.y + n.r))
            boxes += [Box(b.x - b.size, b.y - b.size, b.x + b.size, b.y + b.size) for b in n.badges]
        return boxes


def shape_points(shape: str, x: float, y: float, size: float) -> list[tuple[float, float]]:
    """Corners of a role badge's shape centred on (x, y), y down (both drawings use these)."""
    if shape == "star":
        points = []
        for k in range(10):
            radius = size * (1.15 if k % 2 == 0 else 0.47)
            angle = -math.pi / 2 + k * math.pi / 5
            points.append((x + radius * math.cos(angle), y + radius * math.sin(angle)))
        return points
    if shape == "diamond":
        return [(x, y - size * 1.1), (x + size * 0.8, y), (x, y + size * 1.1), (x - size * 0.8, y)]
    if shape == "triangle":
        return [(x, y - size), (x + size, y + size * 0.8), (x - size, y + size * 0.8)]
    if shape == "triangle_down":
        return [(x - size, y - size * 0.8), (x + size, y - size * 0.8), (x, y + size)]
    s = size * 0.85
    return [(x - s, y - s), (x + s, y - s), (x + s, y + s), (x - s, y + s)]
