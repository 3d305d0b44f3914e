"""The network map as a picture (PNG), readable on a phone.

Drawn with matplotlib's object API (a :class:`~matplotlib.figure.Figure` on an Agg canvas, no
``pyplot`` state), so it is safe to call from a worker thread (``asyncio.to_thread``). The
picture follows the module's conventions (Bab IV, Gambar 10): strong ties thick, weak ties
thin (unknown strength in between), one-way ties with an arrow halfway along, the participant
ringed in black, clusters coloured with the Okabe–Ito palette (safe for colour-blind readers),
roles as short badges under the names, suggested ties dashed. The legend is in the user's
language (``templates/<locale>/mapimage.j2``).

Layout is deterministic: each component is laid out on its own, on a graph built in name order,
then the components are packed in rows, largest first; on a personal map the others are laid out
without the participant, who is placed in the middle (see :func:`_layout`). Components of up
to 300 actors use stress majorization (graph distances become drawing distances, so clusters
spread evenly); up to 499 a seeded spring layout (Fruchterman–Reingold); from 500 concentric
shells by k-core number (the core in the middle), which is cheap and shows the core/periphery
structure. Above 40 actors names are shortened; above 150 only role holders, the participant
and highlighted actors get a label.
"""

from __future__ import annotations

import io
import math
from collections.abc import Hashable, Iterable, Sequence
from functools import cache

import networkx as nx
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.ft2font import LoadFlags
from matplotlib.lines import Line2D
from matplotlib.path import Path
from matplotlib.transforms import Affine2D

from coaching.analysis import Analysis
from coaching.analysis.graph import display_name, name_order, simple_graph
from coaching.analysis.measures import core_numbers, distance_matrix
from coaching.text import html_to_plain, render

__all__ = ["MAX_PNG_BYTES", "PALETTE", "WIDTH_PX", "render_map_png"]

WIDTH_PX = 1280
MAX_PNG_BYTES = 1_000_000

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

_NO_CLUSTER = "#FFFFFF"
_OTHER_CLUSTER = "#BBBBBB"
_EDGE = "#4D4D4D"
_SUGGESTED = "#000000"
_WIDTHS = {"strong": 3.2, None: 1.6, "weak": 0.7}
_STRESS_LIMIT = 300
_SPRING_LIMIT = 500
_LABEL_ALL = 150
_LABEL_FULL = 40
_ROLES = ("hubs", "brokers", "closest", "boundary_spanners", "peripheral")
_BADGES = {
    "hubs": "badge_hub",
    "brokers": "badge_broker",
    "closest": "badge_closest",
    "boundary_spanners": "badge_spanner",
    "peripheral": "badge_peripheral",
}
_BADGE_LEGEND = {
    "hubs": "legend_hub",
    "brokers": "legend_broker",
    "closest": "legend_closest",
    "boundary_spanners": "legend_spanner",
    "peripheral": "legend_peripheral",
}


def render_map_png(
    graph: nx.Graph,
    analysis: Analysis,
    *,
    locale: str,
    ego: str | None = None,
    highlight: Iterable[str] = (),
    suggestions: bool = True,
    seed: int = 0,
) -> bytes:
    """Draw the map as a PNG about 1280 px wide and under 1 MB.

    Parameters
    ----------
    graph : networkx.Graph
        The map (as given to :func:`coaching.analysis.analyse`).
    analysis : Analysis
        Its analysis: clusters, roles and suggestions come from here.
    locale : str
        Language of the legend (``"id"`` or ``"en"``).
    ego : str, optional
        The participant's name; defaults to ``analysis.ego``.
    highlight : iterable of str
        Names to mark with an extra ring (for example the actors just added).
    suggestions : bool
        Draw the suggested ties as dashed lines.
    seed : int
        Seed of the layout.

    Returns
    -------
    bytes
        The PNG file. The same inputs always give the same bytes.
    """
    G = simple_graph(graph)
    order = name_order(G)
    names = {node: display_name(G, node) for node in order}
    by_name = {name: node for node, name in names.items()}
    me_name = ego if ego is not None else analysis.ego
    me = by_name.get(me_name) if me_name is not None else None
    marked = {by_name[n] for n in highlight if n in by_name}
    text = _Text(locale)

    data = b""
    for dpi in (100, 80, 64):
        data = _draw(G, order, names, by_name, analysis, me, marked, suggestions, seed, text, dpi)
        if len(data) <= MAX_PNG_BYTES:
            break
    return data


# ---------------------------------------------------------------------------- helpers


class _Text:
    """Legend words for one locale, tags stripped."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def __call__(self, key: str, **context: object) -> str:
        return html_to_plain(render(self.locale, f"mapimage.{key}", **context)).strip()


def _draw(
    G: nx.Graph,
    order: Sequence[Hashable],
    names: dict[Hashable, str],
    by_name: dict[str, Hashable],
    analysis: Analysis,
    me: Hashable | None,
    marked: set[Hashable],
    draw_suggestions: bool,
    seed: int,
    text: _Text,
    dpi: int,
) -> bytes:
    n = len(order)
    pos = _layout(G, order, seed, me) if n else {}
    xy = np.array([pos[v] for v in order], dtype=np.float64).reshape(n, 2)
    index = {v: i for i, v in enumerate(order)}

    # figure geometry: title, plot (aspect of the layout), legend rows
    width_in = WIDTH_PX / 100
    if n:
        low, high = xy.min(axis=0), xy.max(axis=0)
        span = max(float(high[0] - low[0]), float(high[1] - low[1]), 1.0)
        pad = span * 0.08 + 0.6
        low, high = low - pad, high + pad
        ratio = float((high[1] - low[1]) / (high[0] - low[0]))
    else:
        low, high, span, ratio = np.zeros(2), np.ones(2), 1.0, 0.5
    plot_in = width_in * min(max(ratio, 0.6), 1.1)
    handles = _legend_handles(analysis, me, bool(marked), draw_suggestions, text)
    legend_in = 0.4 + 0.34 * math.ceil((len(handles) + 1) / 3)
    title_in = 0.8
    total_in = title_in + plot_in + legend_in
    fig = Figure(figsize=(width_in, total_in), dpi=100)
    FigureCanvasAgg(fig)
    fig.text(
        0.5,
        1 - 0.15 / total_in,
        text("title", actors=analysis.actors, ties=analysis.ties),
        ha="center",
        va="top",
        fontsize=22,
        fontweight="bold",
        parse_math=False,
    )
    ax = fig.add_axes((0.0, legend_in / total_in, 1.0, plot_in / total_in))
    ax.set_axis_off()
    # equal scale on both axes: widen whichever range is short of the box's aspect
    box = plot_in / width_in
    width, height = float(high[0] - low[0]), float(high[1] - low[1])
    if height / width < box:
        extra = (width * box - height) / 2
        low[1], high[1] = low[1] - extra, high[1] + extra
    else:
        extra = (height / box - width) / 2
        low[0], high[0] = low[0] - extra, high[0] + extra
    ax.set_xlim(float(low[0]), float(high[0]))
    ax.set_ylim(float(low[1]), float(high[1]))
    if n == 0:
        fig.text(0.5, 0.55, text("empty"), ha="center", va="center", fontsize=16, parse_math=False)
        _legend(fig, legend_in / total_in, handles)
        return _png(fig, dpi)

    # ties, by strength; one-way ties get an arrow halfway
    for strength, line_width in _WIDTHS.items():
        segments = [
            (xy[index[u]], xy[index[v]])
            for u, v, s in G.edges(data="strength")
            if (s if s in ("strong", "weak") else None) == strength
        ]
        if segments:
            ax.add_collection(
                LineCollection(
                    segments,
                    linewidths=line_width * _scale(n),
                    colors=_EDGE,
                    alpha=0.75 if strength != "weak" else 0.6,
                    zorder=1,
                )
            )
    arrows = []
    for u, v, data in G.edges(data=True):
        if data.get("direction") == "out":
            start, end = (u, v) if data.get("origin", u) == u else (v, u)
            arrows.append(_arrowhead(xy[index[start]], xy[index[end]], span * 0.018))
    if arrows:
        ax.add_collection(PolyCollection(arrows, facecolors=_EDGE, edgecolors="none", zorder=2))
    if draw_suggestions:
        dashed = [
            _arc(xy[index[by_name[s.a]]], xy[index[by_name[s.b]]])
            for s in analysis.suggestions
            if s.a in by_name and s.b in by_name
        ]
        if dashed:
            ax.add_collection(
                LineCollection(
                    dashed, linewidths=2.0, colors=_SUGGESTED, linestyles=(0, (4, 3)), zorder=1.5
                )
            )

    # actors, coloured by cluster
    cluster_of: dict[str, int] = {}
    for i, members in enumerate(_by_size(analysis.clusters)):
        for name in members:
            cluster_of[name] = i
    colours = [_cluster_colour(cluster_of.get(names[v])) for v in order]
    size = _node_size(n)
    ax.scatter(
        xy[:, 0], xy[:, 1], s=size, c=colours, edgecolors="#333333", linewidths=0.8, zorder=3
    )
    if me is not None:
        ax.scatter(
            [xy[index[me], 0]],
            [xy[index[me], 1]],
            s=size * 2.2,
            c=[colours[index[me]]],
            edgecolors="#000000",
            linewidths=3.0,
            zorder=4,
        )
    if marked:
        rows = [index[v] for v in order if v in marked]
        ax.scatter(
            xy[rows, 0],
            xy[rows, 1],
            s=size * 3.2,
            facecolors="none",
            edgecolors="#000000",
            linewidths=1.4,
            linestyles="--",
            zorder=2.5,
        )

    # labels and role badges: glyph outlines in three path collections, much faster to draw
    # than one text artist per actor
    # on a personal map the stakeholders' badges come from the map without the participant
    # (as in the reply); the participant keeps their own roles on the whole map
    source = analysis.without_ego.roles if analysis.without_ego and me is not None else None
    roles = {role: set(getattr(source or analysis.roles, role)) for role in _ROLES}
    if source is not None and me is not None:
        for role in _ROLES:
            if names[me] in getattr(analysis.roles, role):
                roles[role].add(names[me])
    badge_text = {role: text(_BADGES[role]) for role in _ROLES}
    font = _font_size(n)
    name_width = 22 if n <= _LABEL_FULL else 14
    gap = math.sqrt(size) / 2 + 4.0
    layers: dict[str, tuple[list[Path], list[tuple[float, float]]]] = {
        "name": ([], []),
        "ego": ([], []),
        "badge": ([], []),
    }
    unlabelled = 0
    for v in order:
        name = names[v]
        held = [r for r in _ROLES if name in roles[r]]
        if n > _LABEL_ALL:
            held = [r for r in held if r != "peripheral"]
        if n > _LABEL_ALL and not held and v != me and v not in marked:
            unlabelled += 1
            continue
        point = (float(xy[index[v], 0]), float(xy[index[v], 1]))
        if v == me:
            ego_gap = math.sqrt(size * 2.2) / 2 + 4.0
            layers["ego"][0].append(_text_path(text("legend_ego"), font + 2, "bold", ego_gap))
            layers["ego"][1].append(point)
        else:
            layers["name"][0].append(_text_path(_shorten(name, name_width), font, "normal", gap))
            layers["name"][1].append(point)
        if held:
            badge = "·".join(badge_text[r] for r in held)
            below = -(gap if v != me else math.sqrt(size * 2.2) / 2 + 4.0) - font * 0.75
            layers["badge"][0].append(_text_path(badge, max(font - 1, 6.0), "bold", below))
            layers["badge"][1].append(point)
    points_to_pixels = Affine2D().scale(1 / 72) + fig.dpi_scale_trans
    for layer, colour in (("name", "#111111"), ("ego", "#000000"), ("badge", "#7A0019")):
        paths, offsets = layers[layer]
        if not paths:
            continue
        for face, edge, width, z in (("#FFFFFF", "#FFFFFF", 3.0, 4.5), (colour, "none", 0.0, 5)):
            # a white halo first keeps labels readable over ties
            ax.add_collection(
                PathCollection(
                    paths,
                    offsets=offsets,
                    offset_transform=ax.transData,
                    transform=points_to_pixels,
                    facecolors=face,
                    edgecolors=edge,
                    linewidths=width,
                    zorder=z,
                )
            )
    if unlabelled:
        handles.append(_note(text("more_actors", count=unlabelled)))
    _legend(fig, legend_in / total_in, handles)
    return _png(fig, dpi)


def _legend_handles(
    analysis: Analysis,
    me: Hashable | None,
    marked: bool,
    draw_suggestions: bool,
    text: _Text,
) -> list[Line2D]:
    handles: list[Line2D] = []
    unknown = analysis.ties - analysis.strong_ties - analysis.weak_ties
    for present, key, label in (
        (analysis.strong_ties, "strong", "legend_strong"),
        (analysis.weak_ties, "weak", "legend_weak"),
        (unknown, None, "legend_unknown"),
    ):
        if present:
            handles.append(Line2D([], [], color=_EDGE, linewidth=_WIDTHS[key], label=text(label)))
    if analysis.one_way_ties:
        handles.append(
            Line2D(
                [],
                [],
                color=_EDGE,
                marker=">",
                markersize=8,
                linewidth=1.2,
                label=text("legend_one_way"),
            )
        )
    if draw_suggestions and analysis.suggestions:
        handles.append(
            Line2D(
                [],
                [],
                color=_SUGGESTED,
                linestyle=(0, (4, 3)),
                linewidth=1.8,
                label=text("legend_suggested"),
            )
        )
    if me is not None:
        handles.append(_dot("#FFFFFF", text("legend_ego"), edge="#000000", width=3.0))
    if marked:
        handles.append(_dot("none", text("legend_highlight"), edge="#000000", style="--"))
    clusters = _by_size(analysis.clusters)
    for i in range(min(len(clusters), len(PALETTE))):
        handles.append(_dot(PALETTE[i], text("legend_cluster", number=i + 1)))
    if len(clusters) > len(PALETTE):
        handles.append(_dot(_OTHER_CLUSTER, text("legend_cluster", number=f"{len(PALETTE) + 1}+")))
    handles.append(_dot(_NO_CLUSTER, text("legend_no_cluster")))
    for role in _ROLES:
        handles.append(_note(f"{text(_BADGES[role])} = {text(_BADGE_LEGEND[role])}"))
    return handles


def _legend(fig: Figure, height: float, handles: list[Line2D]) -> None:
    fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=3,
        fontsize=14,
        frameon=False,
        handlelength=2.6,
        columnspacing=2.0,
        borderaxespad=0.4,
    )
    fig.add_artist(Line2D([0.03, 0.97], [height, height], color="#DDDDDD", linewidth=1.0))


def _note(label: str) -> Line2D:
    return Line2D([], [], linestyle="none", marker="none", label=label)


def _dot(
    face: str, label: str, *, edge: str = "#333333", width: float = 0.8, style: str = "-"
) -> Line2D:
    return Line2D(
        [],
        [],
        linestyle="none",
        marker="o",
        markersize=11,
        markerfacecolor=face,
        markeredgecolor=edge,
        markeredgewidth=width,
        label=label,
    )


def _png(fig: Figure, dpi: int) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(
        buffer,
        format="png",
        dpi=dpi,
        metadata={"Software": None},
        pil_kwargs={"compress_level": 3},
    )
    return buffer.getvalue()


def _layout(
    G: nx.Graph, order: Sequence[Hashable], seed: int, ego: Hashable | None = None
) -> dict[Hashable, tuple[float, float]]:
    """Positions for every actor.

    Without a participant: lay out each component, then pack them in rows, largest first.
    With one: lay out the map *without* them (their ties to everyone would squash every
    distance to two steps and hide the groups), then put the participant in the middle — at
    the centre of a ring of the remaining pieces, or, when the others form one piece, at the
    centre of their contacts.
    """
    rank = {v: i for i, v in enumerate(order)}
    if ego is not None and len(G) > 1:
        rest = G.subgraph(v for v in G if v != ego)
        boxes = _boxes(rest, rank, seed)
        pos: dict[Hashable, tuple[float, float]] = {}
        if len(boxes) == 1:
            part, coords, _ = boxes[0]
            for v, point in zip(part, coords, strict=True):
                pos[v] = (float(point[0]), float(point[1]))
            contacts = [pos[w] for w in G[ego]] or list(pos.values())
            centre = np.mean(np.array(contacts), axis=0)
            nearest = min(math.dist(centre, p) for p in pos.values())
            if nearest < 0.4:
                centre = centre + np.array([0.45, 0.45])
            pos[ego] = (float(centre[0]), float(centre[1]))
            return pos
        gap = 0.8
        circumference = sum(2 * r + gap for _, _, r in boxes)
        ring = max(circumference / (2 * math.pi), max(r for _, _, r in boxes) + 2.0, 2.0)
        angle = math.pi / 2
        for part, coords, radius in boxes:
            half = (radius + gap / 2) / ring
            angle -= half
            centre = np.array([math.cos(angle), math.sin(angle)]) * ring
            for v, point in zip(part, coords, strict=True):
                pos[v] = (float(point[0] + centre[0]), float(point[1] + centre[1]))
            angle -= half
        pos[ego] = (0.0, 0.0)
        return pos
    boxes = _boxes(G, rank, seed)
    total = sum((2 * r + 1.0) ** 2 for _, _, r in boxes)
    row_width = max(math.sqrt(total) * 1.25, 2 * boxes[0][2] + 1.0)
    pos = {}
    x = y = 0.0
    row_height = 0.0
    for part, coords, radius in boxes:
        side = 2 * radius + 1.0
        if x > 0 and x + side > row_width:
            x = 0.0
            y -= row_height
            row_height = 0.0
        centre = np.array([x + side / 2, y - side / 2])
        for v, point in zip(part, coords, strict=True):
            pos[v] = (float(point[0] + centre[0]), float(point[1] + centre[1]))
        x += side
        row_height = max(row_height, side)
    return pos


def _boxes(
    G: nx.Graph, rank: dict[Hashable, int], seed: int
) -> list[tuple[list[Hashable], np.ndarray, float]]:
    """Each component laid out, scaled to radius sqrt(size), largest first."""
    parts = sorted(
        (sorted(c, key=rank.__getitem__) for c in nx.connected_components(G)),
        key=lambda c: (-len(c), rank[c[0]]),
    )
    boxes: list[tuple[list[Hashable], np.ndarray, float]] = []
    for part in parts:
        coords = _component_layout(G, part, seed)
        radius = math.sqrt(len(part)) if len(part) > 1 else 0.6
        boxes.append((part, coords * radius, radius))
    return boxes


def _component_layout(G: nx.Graph, part: Sequence[Hashable], seed: int) -> np.ndarray:
    """Positions in [-1, 1] for one component (rows in ``part`` order)."""
    n = len(part)
    if n == 1:
        return np.zeros((1, 2))
    if n == 2:
        return np.array([[-0.5, 0.0], [0.5, 0.0]])
    H = nx.Graph()
    H.add_nodes_from(range(n))
    local = {v: i for i, v in enumerate(part)}
    H.add_edges_from(
        sorted((min(local[u], local[v]), max(local[u], local[v])) for u, v in G.edges(part))
    )
    if n <= _STRESS_LIMIT:
        coords = _stress(distance_matrix(H, list(range(n))), seed)
    elif n < _SPRING_LIMIT:
        raw = nx.spring_layout(H, seed=seed, iterations=50, method="force")
        coords = np.array([raw[i] for i in range(n)], dtype=np.float64)
    else:
        core = core_numbers(H)
        shells: dict[int, list[int]] = {}
        for i in range(n):
            shells.setdefault(core[i], []).append(i)
        raw = nx.shell_layout(H, nlist=[shells[k] for k in sorted(shells, reverse=True)])
        coords = np.array([raw[i] for i in range(n)], dtype=np.float64)
    coords -= coords.mean(axis=0)
    scale = float(np.abs(coords).max()) or 1.0
    return coords / scale


def _stress(dist: np.ndarray, seed: int, iterations: int = 50) -> np.ndarray:
    """Stress majorization (Gansner, Koren & North 2004) from classical MDS, weights 1/d².

    Keeps graph distances as drawing distances, so clusters spread evenly instead of
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


def _arc(start: np.ndarray, end: np.ndarray, bend: float = 0.18) -> np.ndarray:
    """A gently curved line (quadratic Bézier), so a suggested tie never hides an existing one."""
    middle = (start + end) / 2
    direction = end - start
    control = middle + np.array([-direction[1], direction[0]]) * bend
    t = np.linspace(0.0, 1.0, 24)[:, None]
    return np.asarray((1 - t) ** 2 * start + 2 * (1 - t) * t * control + t**2 * end)


def _arrowhead(start: np.ndarray, end: np.ndarray, size: float) -> np.ndarray:
    direction = end - start
    length = float(np.hypot(*direction)) or 1.0
    unit = direction / length
    normal = np.array([-unit[1], unit[0]])
    tip = start + direction * 0.55 + unit * size * 0.5
    base = tip - unit * size
    return np.array([tip, base + normal * size * 0.5, base - normal * size * 0.5])


def _by_size(clusters: Sequence[Sequence[str]]) -> list[Sequence[str]]:
    """Clusters largest first (stable, so ties keep the analysis' name order)."""
    return sorted(clusters, key=lambda c: -len(c))


def _cluster_colour(index: int | None) -> str:
    if index is None:
        return _NO_CLUSTER
    return PALETTE[index] if index < len(PALETTE) else _OTHER_CLUSTER


def _node_size(n: int) -> float:
    if n <= 20:
        return 700.0
    if n <= 60:
        return 320.0
    if n <= _LABEL_ALL:
        return 120.0
    return 30.0


def _font_size(n: int) -> float:
    """Label size in points: the picture is 1280 px wide and shown about 400 pt wide."""
    if n <= 15:
        return 18.0
    if n <= _LABEL_FULL:
        return 15.0
    if n <= 80:
        return 12.0
    if n <= _LABEL_ALL:
        return 10.0
    return 8.0


def _scale(n: int) -> float:
    return 1.0 if n <= 60 else 0.75 if n <= _LABEL_ALL else 0.45


def _shorten(name: str, width: int) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


@cache
def _glyphs() -> frozenset[int]:
    path = findfont(FontProperties(family=_FONT))
    return frozenset(get_font(path).get_charmap())


def _printable(label: str) -> str:
    """Replace characters the font lacks (emoji, some scripts) with ``?``."""
    glyphs = _glyphs()
    return "".join(ch if ord(ch) in glyphs else "?" for ch in label)


_FONT = "DejaVu Sans"
_FONT_SCALE = 100.0
_GLYPH_CACHE: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, float]] = {}


def _glyph(ch: str, weight: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Outline and advance of one character at size 100 (points), cached.

    Fonts come from matplotlib's per-thread font cache, so this is safe in worker threads;
    the outlines themselves are immutable and shared.
    """
    key = (ch, weight)
    hit = _GLYPH_CACHE.get(key)
    if hit is None:
        font = get_font(findfont(FontProperties(family=_FONT, weight=weight)))
        font.set_size(_FONT_SCALE, 72)
        glyph = font.load_char(ord(ch), flags=LoadFlags.NO_HINTING)
        verts, codes = font.get_path()
        hit = (
            np.asarray(verts, dtype=np.float64).reshape(-1, 2),
            np.asarray(codes, dtype=np.uint8),
            glyph.linearHoriAdvance / 65536,
        )
        _GLYPH_CACHE[key] = hit
    return hit


def _text_path(label: str, size: float, weight: str, baseline: float) -> Path:
    """``label`` as one path in points, centred on x = 0 with its baseline at ``baseline``."""
    verts: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    x = 0.0
    for ch in _printable(label):
        outline, kinds, advance = _glyph(ch, weight)
        if len(outline):
            verts.append(outline + np.array([x, 0.0]))
            codes.append(kinds)
        x += advance
    if not verts:
        return Path(np.zeros((1, 2)), [Path.MOVETO])
    scale = size / _FONT_SCALE
    points = np.concatenate(verts) * scale
    points[:, 0] -= x * scale / 2
    points[:, 1] += baseline
    return Path(points, np.concatenate(codes))
