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

from coaching.layout.plan import plan
from coaching.layout.scene import (
    ALWAYS_NAMED,
    CLUSTER_GAP,
    EDGE,
    FONT_PX,
    GAP,
    INK,
    LABEL_EMS,
    LABEL_LIMIT,
    LINE_HEIGHT,
    LINE_STYLES,
    MARGIN,
    MAX_HEIGHT_RATIO,
    NO_CLUSTER,
    OTHER_CLUSTER,
    PALETTE,
    PHONE_CSS_PX,
    ROLES,
    SHAPES,
    SUGGESTED,
    TELEGRAM_TEXT_CSS_PX,
    TITLE_PX,
    WIDTH_PX,
    Badge,
    Box,
    LegendItem,
    Line,
    LineStyle,
    Node,
    Scene,
    TextBlock,
    shape_points,
)
from coaching.layout.text import clean_label, text_width, wrap

__all__ = [
    "ALWAYS_NAMED",
    "CLUSTER_GAP",
    "EDGE",
    "FONT_PX",
    "GAP",
    "INK",
    "LABEL_EMS",
    "LABEL_LIMIT",
    "LINE_HEIGHT",
    "LINE_STYLES",
    "MARGIN",
    "MAX_HEIGHT_RATIO",
    "NO_CLUSTER",
    "OTHER_CLUSTER",
    "PALETTE",
    "PHONE_CSS_PX",
    "ROLES",
    "SHAPES",
    "SUGGESTED",
    "TELEGRAM_TEXT_CSS_PX",
    "TITLE_PX",
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
