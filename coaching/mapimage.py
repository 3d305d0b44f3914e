"""The network map as a picture (PNG) a participant reads on a phone.

Where things go is decided by :mod:`coaching.layout` (shared with the dashboard's SVG); this
module only paints that scene with matplotlib's object API (a :class:`~matplotlib.figure.Figure`
on an Agg canvas, no ``pyplot`` state), so it is safe in a worker thread. One data unit is one
pixel of the picture, y pointing down as in the scene. Names are drawn as glyph outlines in a
few path collections (much faster than one text artist per actor), in DejaVu Sans — the font
whose advance widths the layout measured, so every name stays inside the box the layout
reserved for it (a glyph the font lacks is drawn as ``?`` and a line that would still come
out wider is squeezed to its box).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from functools import cache

import networkx as nx
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import EllipseCollection, LineCollection, PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.ft2font import LoadFlags
from matplotlib.path import Path
from matplotlib.transforms import Affine2D
from PIL import Image

from coaching.analysis import Analysis
from coaching.layout import (
    EDGE,
    FONT_PX,
    INK,
    LINE_STYLES,
    PALETTE,
    SHAPES,
    WIDTH_PX,
    Badge,
    LegendItem,
    Scene,
    TextBlock,
    plan,
    shape_points,
    text_width,
)

__all__ = ["MAX_PNG_BYTES", "PALETTE", "WIDTH_PX", "figure", "render_map_png"]

MAX_PNG_BYTES = 1_000_000
PIXEL_BUDGET = 1_600_000
"""Pixels of the largest picture drawn at full size (1080 × 1480); larger ones are scaled down."""
MIN_SCALE = 0.5
_DPI = 100
_PT = 72 / _DPI  # points per picture pixel at the drawing's dpi


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
    """Draw the map as a PNG ``WIDTH_PX`` wide and under 1 MB (see :func:`coaching.layout.plan`
    for the parameters). The same inputs always give the same bytes."""
    scene = plan(
        graph,
        analysis,
        locale=locale,
        ego=ego,
        highlight=highlight,
        suggestions=suggestions,
        seed=seed,
    )
    fig = figure(scene)
    # Fewer pixels for a big map: the text keeps its share of the width (so it reads as large
    # on the phone), and encoding stays within the time budget.
    scale = min(1.0, math.sqrt(PIXEL_BUDGET / (scene.width * scene.height)))
    data = b""
    for shrink in (1.0, 0.8, 0.64):  # and fewer still if a PNG would exceed Telegram's size
        data = _png(fig, _DPI * max(scale, MIN_SCALE) * shrink)
        if len(data) <= MAX_PNG_BYTES:
            break
    return data


def figure(scene: Scene) -> Figure:
    """The scene painted on a figure whose axes' data units are the scene's pixels."""
    fig = Figure(figsize=(scene.width / _DPI, scene.height / _DPI), dpi=_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    ax.set_xlim(0.0, scene.width)
    ax.set_ylim(scene.height, 0.0)
    texts: list[TextBlock] = []
    if scene.title is not None:
        texts.append(scene.title)
    ax.add_collection(
        autolim=False,
        collection=LineCollection(
            [[(0.0 + 30, scene.map_bottom), (scene.width - 30, scene.map_bottom)]],
            colors="#DDDDDD",
            linewidths=2 * _PT,
            zorder=0,
        ),
    )
    _lines(ax, scene)
    _nodes(ax, scene)
    texts += [node.label for node in scene.nodes if node.label is not None]
    _legend(ax, scene.legend)
    texts += [item.text for item in scene.legend]
    _texts(ax, fig, texts)
    return fig


# ------------------------------------------------------------------------------ painting


def _dashes(kind: str) -> tuple[float, tuple[float, ...] | None]:
    style = LINE_STYLES[kind]
    width = style.width * _PT
    if not style.dash:
        return width, None
    return width, tuple(d * _PT / width for d in style.dash)  # matplotlib scales dashes by width


def _line_collection(
    segments: Sequence[Sequence[tuple[float, float]]], kind: str
) -> LineCollection:
    style = LINE_STYLES[kind]
    width, dash = _dashes(kind)
    return LineCollection(
        segments,
        linewidths=width,
        colors=style.colour,
        linestyles=(0, dash) if dash else "solid",
        capstyle="butt",
        alpha=0.8 if kind != "suggested" else 1.0,
        zorder=1.5 if kind == "suggested" else 1,
    )


def _lines(ax: Axes, scene: Scene) -> None:
    for kind in LINE_STYLES:
        segments = [line.points for line in scene.lines if line.kind == kind]
        if segments:
            ax.add_collection(autolim=False, collection=_line_collection(segments, kind))
    arrows = [line.arrow for line in scene.lines if line.arrow]
    if arrows:
        ax.add_collection(
            autolim=False,
            collection=PolyCollection(arrows, facecolors=EDGE, edgecolors="none", zorder=2),
        )


def _discs(
    ax: Axes,
    xy: np.ndarray,
    radii: Sequence[float],
    *,
    faces: Sequence[str] | str,
    edges: str,
    width: float,
    z: float,
    dashed: bool = False,
) -> None:
    diameters = [2 * r for r in radii]
    ax.add_collection(
        autolim=False,
        collection=EllipseCollection(
            diameters,
            diameters,
            np.zeros(len(diameters)),
            units="xy",
            offsets=xy,
            offset_transform=ax.transData,
            facecolors=faces,
            edgecolors=edges,
            linewidths=width * _PT,
            linestyles=(0, (3, 2)) if dashed else "solid",
            zorder=z,
        ),
    )


def _nodes(ax: Axes, scene: Scene) -> None:
    if not scene.nodes:
        return
    xy = np.array([(n.x, n.y) for n in scene.nodes])
    ordinary = [i for i, n in enumerate(scene.nodes) if not n.ego]
    if ordinary:
        _discs(
            ax,
            xy[ordinary],
            [scene.nodes[i].r for i in ordinary],
            faces=[scene.nodes[i].fill for i in ordinary],
            edges="#333333",
            width=FONT_PX * 0.05,
            z=3,
        )
    for node in scene.nodes:
        if node.ego:
            _discs(
                ax,
                xy[[scene.nodes.index(node)]],
                [node.r],
                faces=[node.fill],
                edges="#000000",
                width=FONT_PX * 0.16,
                z=4,
            )
    marked = [i for i, n in enumerate(scene.nodes) if n.highlighted]
    if marked:
        rings = [scene.nodes[i].r + FONT_PX * 0.2 for i in marked]
        _discs(
            ax,
            xy[marked],
            rings,
            faces="none",
            edges="#000000",
            width=FONT_PX * 0.06,
            z=2.5,
            dashed=True,
        )
    _badges(ax, [b for n in scene.nodes for b in n.badges])


def _badges(ax: Axes, badges: Sequence[Badge]) -> None:
    if badges:
        shapes = [shape_points(b.shape, b.x, b.y, b.size) for b in badges]
        ax.add_collection(
            autolim=False,
            collection=PolyCollection(
                shapes,
                facecolors=INK,
                edgecolors="#FFFFFF",
                linewidths=FONT_PX * 0.04 * _PT,
                zorder=4.2,
            ),
        )


def _legend(ax: Axes, items: Sequence[LegendItem]) -> None:
    half = FONT_PX * 0.7
    for kind in LINE_STYLES:
        segments = [
            [(i.x - half, i.y), (i.x + half, i.y)]
            for i in items
            if i.kind == "line" and (i.key == kind or (i.key == "one_way" and kind == "unknown"))
        ]
        if segments:
            ax.add_collection(autolim=False, collection=_line_collection(segments, kind))
    arrows = [
        [
            (i.x + FONT_PX * 0.35, i.y),
            (i.x - FONT_PX * 0.1, i.y - FONT_PX * 0.22),
            (i.x - FONT_PX * 0.1, i.y + FONT_PX * 0.22),
        ]
        for i in items
        if i.kind == "line" and i.key == "one_way"
    ]
    if arrows:
        ax.add_collection(
            autolim=False,
            collection=PolyCollection(arrows, facecolors=EDGE, edgecolors="none", zorder=2),
        )
    for item in items:
        if item.kind == "clusters":
            colours = item.key.split(",")
            xs = [
                item.x + (k - (len(colours) - 1) / 2) * FONT_PX * 0.95 for k in range(len(colours))
            ]
            xy = np.array([[x, item.y] for x in xs])
            _discs(
                ax,
                xy,
                [FONT_PX * 0.4] * len(colours),
                faces=colours,
                edges="#333333",
                width=FONT_PX * 0.05,
                z=3,
            )
    dots = [i for i in items if i.kind == "node"]
    for item in dots:
        xy = np.array([[item.x, item.y]])
        if item.highlight:
            _discs(
                ax,
                xy,
                [FONT_PX * 0.4],
                faces="none",
                edges="#000000",
                width=FONT_PX * 0.06,
                z=3,
                dashed=True,
            )
        else:
            _discs(
                ax,
                xy,
                [FONT_PX * 0.4],
                faces=[item.key],
                edges="#000000" if item.ego else "#333333",
                width=FONT_PX * (0.14 if item.ego else 0.05),
                z=3,
            )
    _badges(
        ax,
        [Badge(i.key, SHAPES[i.key], i.x, i.y, FONT_PX * 0.3) for i in items if i.kind == "badge"],
    )


def _texts(ax: Axes, fig: Figure, blocks: Sequence[TextBlock]) -> None:
    layers: dict[bool, tuple[list[Path], list[tuple[float, float]]]] = {
        False: ([], []),
        True: ([], []),
    }
    for block in blocks:
        for i, line in enumerate(block.lines):
            paths, offsets = layers[block.bold]
            width = text_width(line, block.size, bold=block.bold)
            path = _text_path(line, block.size, block.bold, width, block.anchor)
            paths.append(path)
            offsets.append((block.x, block.baseline + i * block.line_px))
    points_to_pixels = Affine2D().scale(1 / 72) + fig.dpi_scale_trans
    for bold, (paths, offsets) in layers.items():
        if not paths:
            continue
        # a white halo first keeps names readable over lines
        for face, edge, width, z in (
            ("#FFFFFF", "#FFFFFF", FONT_PX * 0.12, 4.5),
            (INK, "none", 0.0, 5),
        ):
            ax.add_collection(
                autolim=False,
                collection=PathCollection(
                    paths,
                    offsets=offsets,
                    offset_transform=ax.transData,
                    transform=points_to_pixels,
                    facecolors=face,
                    edgecolors=edge,
                    linewidths=width * _PT,
                    zorder=z + (0.1 if bold else 0.0),
                ),
            )


def _png(fig: Figure, dpi: float) -> bytes:
    """The figure as an RGB PNG (no alpha channel: a quarter fewer bytes to compress)."""
    fig.set_dpi(dpi)
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.draw()  # type: ignore[no-untyped-call]
    rgba = canvas.buffer_rgba()  # type: ignore[no-untyped-call]
    rgb = np.asarray(rgba)[..., :3]
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


# ------------------------------------------------------------------------------ glyphs

_FONT = "DejaVu Sans"
_FONT_SCALE = 100.0
_GLYPH_CACHE: dict[tuple[str, bool], tuple[np.ndarray, np.ndarray, float]] = {}


@cache
def _glyphs(bold: bool) -> frozenset[int]:
    path = findfont(FontProperties(family=_FONT, weight="bold" if bold else "normal"))
    return frozenset(get_font(path).get_charmap())


def _printable(label: str, bold: bool) -> str:
    """Replace characters the font lacks (emoji, some scripts) with ``?``."""
    glyphs = _glyphs(bold)
    return "".join(ch if ord(ch) in glyphs else "?" for ch in label)


def _glyph(ch: str, bold: bool) -> tuple[np.ndarray, np.ndarray, float]:
    """Outline and advance of one character at size 100, cached.

    Fonts come from matplotlib's per-thread font cache, so this is safe in worker threads;
    the outlines themselves are immutable and shared.
    """
    key = (ch, bold)
    hit = _GLYPH_CACHE.get(key)
    if hit is None:
        font = get_font(findfont(FontProperties(family=_FONT, weight="bold" if bold else "normal")))
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


def _text_path(label: str, size_px: float, bold: bool, room: float, anchor: str) -> Path:
    """``label`` as one path in points, its baseline at y = 0, centred on x = 0 (or starting at
    it), never wider than ``room`` px (the width the layout reserved)."""
    verts: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    x = 0.0
    for ch in _printable(label, bold):
        outline, kinds, advance = _glyph(ch, bold)
        if len(outline) and len(outline) == len(kinds):
            verts.append(outline + np.array([x, 0.0]))
            codes.append(kinds)
        x += advance
    if not verts:
        return Path(np.zeros((1, 2)), [Path.MOVETO])
    scale = size_px / _FONT_SCALE
    points = np.concatenate(verts) * scale
    advance = x * scale
    squeeze = min(1.0, room / advance) if advance > 0 else 1.0
    points[:, 0] *= squeeze
    if anchor == "middle":
        points[:, 0] -= advance * squeeze / 2
    return Path(points * _PT, np.concatenate(codes))
