"""The whole scene of one map: :func:`plan` composes the title, nodes with their names and badges,
lines and legend."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence

import networkx as nx

from coaching.analysis import Analysis
from coaching.analysis.graph import display_name, name_order, simple_graph
from coaching.layout.legend import _legend
from coaching.layout.lines import _lines
from coaching.layout.placement import _place, _priority
from coaching.layout.positions import _by_size, _ideal
from coaching.layout.scene import (
    ALWAYS_NAMED,
    FONT_PX,
    GAP,
    LABEL_EMS,
    LABEL_LIMIT,
    LINE_HEIGHT,
    MARGIN,
    MAX_HEIGHT_RATIO,
    NO_CLUSTER,
    OTHER_CLUSTER,
    PALETTE,
    ROLES,
    TITLE_PX,
    WIDTH_PX,
    Scene,
    TextBlock,
)
from coaching.layout.shape import _Shape
from coaching.layout.text import _block, _Text, clean_label, text_width, wrap
from coaching.network import MapCounts


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
