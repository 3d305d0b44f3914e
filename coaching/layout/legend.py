"""The legend under the map, in the participant's language."""

from __future__ import annotations

from collections.abc import Sequence

from coaching.analysis import Analysis
from coaching.layout.scene import (
    _ROLE_TEXT,
    FONT_PX,
    LINE_HEIGHT,
    MARGIN,
    NO_CLUSTER,
    OTHER_CLUSTER,
    PALETTE,
    ROLES,
    WIDTH_PX,
    LegendItem,
    Line,
    Node,
)
from coaching.layout.text import _block, _Text, clean_label, text_width, wrap


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
