"""Where everything on a map goes: one layout for the bot's picture and the dashboard's SVG.

Pure data, no drawing library: :func:`plan` turns a map and its analysis into a :class:`Scene`
in pixels (y pointing down, as in SVG): positions and radii of the actors, their wrapped names
with the boxes they occupy, role badges, lines with their styles, a title and a legend in the
participant's language. :mod:`coaching.mapimage` paints a scene with matplotlib (in the
renderer process); :mod:`web.svg` hands it to the dashboard's template. Both therefore show the
same layout, the same line styles and the same legend.

Conventions (one set, in both legends):

* line thickness is the tie's strength (thick strong, medium not given, thin weak), always
  solid; a dashed curve is a *suggested* tie, never an existing one; an arrowhead halfway
  marks a one-way tie;
* fill colour is the cluster (Okabe–Ito, safe for colour-blind readers), white outside all
  clusters; the participant is the large node with a thick black ring;
* roles are small dark shapes beside the node (★ hub, ◆ broker, ▲ closest, ■ boundary
  spanner, ▼ peripheral) — shapes, not letters, so no badge reads as part of a name. Roles are
  the analysis' own (``analysis.roles``), never recomputed or mixed.

Layout: a personal map is ego-centred — the participant in the middle, direct ties on a first
ring, everyone else on an outer ring, each cluster in its own sector of both rings. A case map
lays each cluster out on its own (stress majorization) and packs the clusters side by side
with a gap, so clusters stay apart. Then every actor, with its name and badges as one box, is
put at the free spot nearest its ideal place (the participant first, then ring by ring), so no
name overlaps another name or a node. Everything is deterministic: name order in, same
pixels out.

Phone sizing (the number every size here derives from): Telegram shows a photo, opened, at the
phone's full width — about 360 CSS px on common Android phones — and its message text is about
15 CSS px. A picture ``WIDTH_PX`` wide shown 360 CSS px wide scales by 360 / WIDTH_PX, so text
reads as large as a message when its size is at least ``WIDTH_PX * 15 / 360`` px: 45 px at
1080 px. All text on the picture (names, legend) is ``FONT_PX``; the title is larger. On the
dashboard the same scene is drawn into the page's width: at a 412 px phone (about 380 px of
map after the page's margins) names show at 45 × 380 / 1080 ≈ 16 CSS px, at least 12.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from coaching._font_widths import BOLD, REGULAR
from coaching.analysis import Analysis
from coaching.analysis.graph import display_name, name_order, simple_graph
from coaching.analysis.measures import distance_matrix
from coaching.network import MapCounts
from coaching.text import html_to_plain, render

__all__ = [
    "FONT_PX",
    "LINE_STYLES",
    "PALETTE",
    "PHONE_CSS_PX",
    "ROLES",
    "TELEGRAM_TEXT_CSS_PX",
    "WIDTH_PX",
    "Badge",
    "Box",
    "LegendItem",
    "Line",
    "LineStyle",
    "Node",
    "Scene",
    "TextBlock",
    "clean_label",
    "plan",
    "shape_points",
    "text_width",
    "wrap",
]

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


# ------------------------------------------------------------------------------ text


def clean_label(name: str) -> str:
    """``name`` as it can be drawn: NFC, no control/format/unassigned characters, single
    spaces, and never empty or made only of marks (those get a dotted circle to sit on)."""
    text = unicodedata.normalize("NFC", name)
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch.isspace() or category.startswith("Z"):
            kept.append(" ")
        elif category[0] != "C":
            kept.append(ch)
    text = " ".join("".join(kept).split())
    if not any(unicodedata.category(ch)[0] != "M" for ch in text):
        text = "\u25cc" + text if text else "?"
    return text


def _char_width(ch: str, table: dict[int, int]) -> float:
    known = table.get(ord(ch))
    if known is not None:
        return known / 1000
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me"):
        return 0.0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    return 0.75  # wider than all but a few glyphs; the drawing squeezes those into the box


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width of ``text`` at ``size`` px in DejaVu Sans, the font of both drawings."""
    table = BOLD if bold else REGULAR
    return sum(_char_width(ch, table) for ch in text) * size


def wrap(text: str, width: float, size: float, *, bold: bool = False) -> tuple[str, ...]:
    """``text`` in lines no wider than ``width`` px: at spaces, and inside a word only when the
    word alone is wider than a line. Nothing is dropped."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size, bold=bold) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for ch in word:
            if current and text_width(current + ch, size, bold=bold) > width:
                lines.append(current)
                current = ""
            current += ch
    if current or not lines:
        lines.append(current)
    return tuple(lines)


def _block(
    lines: Sequence[str],
    x: float,
    top: float,
    size: float,
    *,
    bold: bool = False,
    anchor: str = "middle",
) -> TextBlock:
    line_px = size * LINE_HEIGHT
    width = max(text_width(line, size, bold=bold) for line in lines)
    x0 = x - width / 2 if anchor == "middle" else x
    box = Box(x0, top, x0 + width, top + line_px * len(lines))
    # DejaVu's ascender is 0.93 em; a line's box spans ascender and descender inside line_px
    baseline = top + (line_px - size * 1.16) / 2 + size * 0.93
    return TextBlock(tuple(lines), x, baseline, size, line_px, box, bold, anchor)


class _Text:
    """Words of the picture in one locale (``templates/<locale>/mapimage.j2``), tags stripped."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def __call__(self, key: str, **context: object) -> str:
        return html_to_plain(render(self.locale, f"mapimage.{key}", **context)).strip()


# ------------------------------------------------------------------------------ plan


def plan(
    graph: nx.Graph,
    analysis: Analysis,
    *,
    locale: str,
    ego: str | None = None,
    highlight: Iterable[str] = (),
    suggestions: bool = True,
    seed: int = 0,
) -> Scene:
    """The scene of ``graph``: every position, name box, badge, line and legend entry.

    Parameters
    ----------
    graph : networkx.Graph
        The map (as given to :func:`coaching.analysis.analyse`).
    analysis : Analysis
        Its analysis: counts, clusters, roles and suggestions are taken from here as they are.
    locale : str
        Language of the title and legend.
    ego : str, optional
        The participant's name; defaults to ``analysis.ego``.
    highlight : iterable of str
        Names to mark with a dashed ring (for example the actors just added).
    suggestions : bool
        Include the suggested ties (dashed curves).
    seed : int
        Seed of the case-map layout's tie-breaking jitter.
    """
    G = simple_graph(graph)
    order = name_order(G)
    names = {v: display_name(G, v) for v in order}
    by_name = {name: v for v, name in names.items()}
    me_name = ego if ego is not None else analysis.ego
    me = by_name.get(me_name) if me_name is not None else None
    marked = {by_name[n] for n in highlight if n in by_name}
    text = _Text(locale)
    ids = {v: f"n{i}" for i, v in enumerate(order)}

    clusters = _by_size(analysis.clusters)
    colour_of: dict[Hashable, str] = {}
    for i, members in enumerate(clusters):
        for name in members:
            if name in by_name:
                colour_of[by_name[name]] = PALETTE[i] if i < len(PALETTE) else OTHER_CLUSTER
    roles_of = {v: tuple(r for r in ROLES if names[v] in getattr(analysis.roles, r)) for v in order}

    title = _title(text, G, me)
    ranked, count = _naming(G, order, names, roles_of, me, marked)
    must = {v for v in order if v == me or v in marked}
    scene = None
    for _ in range(4):  # fewer names until the picture fits a phone (or few enough are left)
        labelled = must | set(ranked[:count])
        scene = _compose(
            G, order, names, by_name, ids, analysis, me, marked, roles_of, colour_of,
            labelled, title, text, suggestions, seed,
        )  # fmt: skip
        if scene.height <= MAX_HEIGHT_RATIO * WIDTH_PX or count <= ALWAYS_NAMED:
            break
        count = max(ALWAYS_NAMED, int(count * 0.75))
    assert scene is not None
    return scene


def _compose(
    G: nx.Graph,
    order: Sequence[Hashable],
    names: dict[Hashable, str],
    by_name: dict[str, Hashable],
    ids: dict[Hashable, str],
    analysis: Analysis,
    me: Hashable | None,
    marked: set[Hashable],
    roles_of: dict[Hashable, tuple[str, ...]],
    colour_of: dict[Hashable, str],
    labelled: set[Hashable],
    title: TextBlock,
    text: _Text,
    suggestions: bool,
    seed: int,
) -> Scene:
    """The scene with names on ``labelled``."""
    n = len(order)
    shapes = {
        v: _Shape.of(
            clean_label(names[v]),
            ego=v == me,
            highlighted=v in marked,
            roles=roles_of[v],
            labelled=v in labelled,
        )
        for v in order
    }
    ideal = _ideal(G, order, names, analysis, me, shapes, seed)
    priority = _priority(G, order, me, marked, roles_of, ideal)
    placed = _place(priority, ideal, shapes)

    top = (title.box.y1 if title else 0.0) + MARGIN
    if placed:
        low = min(placed[v][1] + shapes[v].dy0 for v in order)
        high = max(placed[v][1] + shapes[v].dy1 for v in order)
    else:
        low = high = 0.0
    shift = top - low
    nodes = []
    for v in order:
        x, y = placed[v][0], placed[v][1] + shift
        nodes.append(shapes[v].node(ids[v], names[v], x, y, colour_of.get(v, NO_CLUSTER)))
    where = {node.id: (node.x, node.y) for node in nodes}
    radius = {node.id: node.r for node in nodes}
    lines = _lines(G, analysis, ids, by_name, where, radius, suggestions)
    map_bottom = high + shift + MARGIN if n else top + FONT_PX * 3
    empty = text("empty") if n == 0 else None
    legend, legend_bottom = _legend(
        text,
        analysis,
        me is not None,
        bool(marked),
        suggestions,
        lines,
        nodes,
        n - len(labelled),
        map_bottom,
        empty,
    )
    return Scene(
        width=WIDTH_PX,
        height=math.ceil(legend_bottom + MARGIN),
        font_px=FONT_PX,
        title=title,
        map_top=top - MARGIN / 2,
        map_bottom=map_bottom,
        nodes=tuple(nodes),
        lines=tuple(lines),
        legend=tuple(legend),
        unlabelled=n - len(labelled),
    )


def _title(text: _Text, graph: nx.Graph, me: Hashable | None) -> TextBlock:
    # the one definition of a map's size (MapView.counts: the caption, the map page and
    # /analisis count the same); ``me`` may be given by name rather than in the graph
    size = MapCounts.of(
        (str(v) for v in graph.nodes),
        ((str(u), str(v)) for u, v in graph.edges),
        None if me is None else str(me),
    )
    words = text("title", size=size)
    lines = wrap(clean_label(words), WIDTH_PX - 2 * MARGIN, TITLE_PX, bold=True)
    return _block(lines, WIDTH_PX / 2, MARGIN, TITLE_PX, bold=True)


@dataclass(frozen=True)
class _Shape:
    """One actor's footprint relative to its centre: disc, badges to the right, name below."""

    r: float
    lines: tuple[str, ...]
    label_width: float
    badges: tuple[str, ...]
    ego: bool
    highlighted: bool
    dx0: float
    dy0: float
    dx1: float
    dy1: float

    @classmethod
    def of(
        cls,
        name: str,
        *,
        ego: bool,
        highlighted: bool,
        roles: tuple[str, ...],
        labelled: bool,
    ) -> _Shape:
        r = FONT_PX * (0.7 if ego else 0.45 if labelled else 0.25)
        ring = r + (FONT_PX * 0.25 if highlighted else 0.0)
        lines = wrap(name, LABEL_EMS * FONT_PX, FONT_PX) if labelled else ()
        label_width = max((text_width(line, FONT_PX) for line in lines), default=0.0)
        badge = _badge_size()
        shown = roles if labelled or ego else ()
        right = ring + (FONT_PX * 0.15 + len(shown) * (2 * badge + FONT_PX * 0.1) if shown else 0.0)
        half = max(label_width / 2, ring)
        dy1 = ring + (FONT_PX * 0.1 + len(lines) * FONT_PX * LINE_HEIGHT if lines else 0.0)
        return cls(
            r, lines, label_width, shown, ego, highlighted, -half, -ring, max(half, right), dy1
        )

    def node(self, id: str, name: str, x: float, y: float, fill: str) -> Node:
        ring = self.r + (FONT_PX * 0.25 if self.highlighted else 0.0)
        size = _badge_size()
        badges = tuple(
            Badge(
                role,
                SHAPES[role],
                x + ring + FONT_PX * 0.15 + size + i * (2 * size + FONT_PX * 0.1),
                y - (self.r * 0.55 if self.ego else 0.0),
                size,
            )
            for i, role in enumerate(self.badges)
        )
        label = None
        if self.lines:
            label = _block(self.lines, x, y + ring + FONT_PX * 0.1, FONT_PX)
        return Node(
            id, name, x, y, self.r, fill, self.ego, self.highlighted, self.badges, badges, label
        )


def _badge_size() -> float:
    return FONT_PX * 0.3


def _naming(
    G: nx.Graph,
    order: Sequence[Hashable],
    names: dict[Hashable, str],
    roles_of: dict[Hashable, tuple[str, ...]],
    me: Hashable | None,
    marked: set[Hashable],
) -> tuple[list[Hashable], int]:
    """Who gets a name, most deserving first (the participant, highlighted actors, role
    holders, then the most connected), and how many of them probably fit a phone-shaped
    picture (see ``MAX_HEIGHT_RATIO``; :func:`plan` checks and names fewer if not)."""

    def area(v: Hashable) -> float:
        lines = wrap(clean_label(names[v]), LABEL_EMS * FONT_PX, FONT_PX)
        width = max(max(text_width(line, FONT_PX) for line in lines), FONT_PX) + GAP
        return width * (FONT_PX * (1.1 + LINE_HEIGHT * len(lines)) + GAP)

    budget = (WIDTH_PX - 2 * MARGIN) * WIDTH_PX * MAX_HEIGHT_RATIO / 2.5  # packing is loose
    ranked = sorted(
        order,
        key=lambda v: (
            v != me,
            v not in marked,
            not [r for r in roles_of[v] if r != "peripheral"],
            -G.degree(v),
        ),
    )
    used = 0.0
    count = 0
    for v in ranked:
        used += area(v)
        if (used > budget and count >= ALWAYS_NAMED) or count >= LABEL_LIMIT:
            break
        count += 1
    return ranked, count


def _by_size(clusters: Sequence[Sequence[str]]) -> list[Sequence[str]]:
    """Clusters largest first (stable, so ties keep the analysis' name order)."""
    return sorted(clusters, key=lambda c: -len(c))


# ------------------------------------------------------------------------------ ideal positions


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


# ------------------------------------------------------------------------------ placement


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


# ------------------------------------------------------------------------------ lines


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


# ------------------------------------------------------------------------------ legend


def _legend(
    text: _Text,
    analysis: Analysis,
    has_ego: bool,
    marked: bool,
    suggestions: bool,
    lines: Sequence[Line],
    nodes: Sequence[Node],
    unlabelled: int,
    top: float,
    empty: str | None,
) -> tuple[list[LegendItem], float]:
    """Legend entries flowed like words in a paragraph: a symbol, then its text."""
    entries: list[tuple[str, str, str, bool, bool]] = []  # kind, key, words, ego, highlight
    if empty is not None:
        entries.append(("note", "", empty, False, False))
    kinds = {line.kind for line in lines}
    for kind, key in (
        ("strong", "legend_strong"),
        ("unknown", "legend_unknown"),
        ("weak", "legend_weak"),
    ):
        if kind in kinds:
            entries.append(("line", kind, text(key), False, False))
    if any(line.arrow for line in lines):
        entries.append(("line", "one_way", text("legend_one_way"), False, False))
    if suggestions and "suggested" in kinds:
        entries.append(("line", "suggested", text("legend_suggested"), False, False))
    if has_ego:
        entries.append(("node", NO_CLUSTER, text("legend_ego"), True, False))
    if marked:
        entries.append(("node", NO_CLUSTER, text("legend_highlight"), False, True))
    count = len(analysis.clusters)
    if count:  # one entry, a dot of each colour: the colours tell clusters apart, not numbers
        colours = ",".join([*PALETTE[:count], *([OTHER_CLUSTER] if count > len(PALETTE) else [])])
        entries.append(("clusters", colours, text("legend_clusters", count=count), False, False))
    if any(node.fill == NO_CLUSTER for node in nodes):
        entries.append(("node", NO_CLUSTER, text("legend_no_cluster"), False, False))
    shown = {role for node in nodes for role in node.roles}
    for role in ROLES:
        if role in shown:
            entries.append(("badge", role, text(_ROLE_TEXT[role]), False, False))
    if unlabelled:
        entries.append(("note", "", text("more_actors", count=unlabelled), False, False))

    items: list[LegendItem] = []
    row = FONT_PX * LINE_HEIGHT + FONT_PX * 0.35
    x, y = MARGIN, top + FONT_PX * 0.5
    right = WIDTH_PX - MARGIN
    for kind, key, words, ego, highlight in entries:
        symbol = FONT_PX * 1.4
        if kind == "clusters":
            symbol = FONT_PX * 0.95 * len(key.split(","))
        lead = symbol + FONT_PX * 0.3 if kind != "note" else 0.0
        room = right - MARGIN - lead
        wrapped = wrap(clean_label(words), room, FONT_PX)
        width = lead + max(text_width(line, FONT_PX) for line in wrapped)
        if x > MARGIN and (x + width > right or len(wrapped) > 1):
            x, y = MARGIN, y + row
        block = _block(wrapped, x + lead, y, FONT_PX, anchor="start")
        items.append(
            LegendItem(
                kind, key, x + symbol / 2, y + FONT_PX * LINE_HEIGHT / 2, block, ego, highlight
            )
        )
        if len(wrapped) > 1:
            x, y = MARGIN, y + row + FONT_PX * LINE_HEIGHT * (len(wrapped) - 1)
        else:
            x += width + FONT_PX * 1.0
    bottom = y + FONT_PX * LINE_HEIGHT if entries else top
    return items, bottom
