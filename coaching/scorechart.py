"""The Bab V self-assessment as a picture (PNG): one bar per item, readable on a phone.

Drawn with matplotlib's object API (a :class:`~matplotlib.figure.Figure` on an Agg canvas, no
``pyplot`` state), so it is safe in a worker thread (``asyncio.to_thread``), as the map picture
is. Each item's name stands on its own line above its bar (long names need the full width of
a phone screen, not a cramped axis); the six characteristics (LLC, 2012) and the eight success
criteria (Anklam, 2007) are two groups in the module's order; the weakest items are drawn in
vermillion, the others in blue (Okabe–Ito, safe for colour-blind readers). Every word on it
comes from ``templates/<locale>/bab5.j2``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from coaching.leadership import ITEMS, SCALE, valid_scores
from coaching.text import html_to_plain, normalise_locale, render

WIDTH_IN = 10.8  # 1080 px at 100 dpi: Telegram shows it at full width without rescaling much
DPI = 100
_BLUE = "#0072B2"
_RED = "#D55E00"
_TRACK = "#E8E8E8"
_INK = "#222222"
_MUTED = "#555555"
# Vertical layout, in rows of the drawing (one row ≈ 80 px).
_TITLE_ROWS = 1.3
_GROUP_ROWS = 0.9
_ITEM_ROWS = 1.0
_FOOT_ROWS = 1.4
_ROW_IN = 0.8


def render_scores_png(scores: Mapping[str, int], *, locale: str, weak: Iterable[str] = ()) -> bytes:
    """Draw the self-assessment: a bar per item on the 1–5 scale, weakest items highlighted.

    Parameters
    ----------
    scores : mapping of str to int
        Item key (``coaching.leadership.ITEMS``) to score; unknown keys and values off the
        scale are ignored, and an unscored item is drawn as an empty track.
    locale : str
        Language of every label (``"id"`` or ``"en"``).
    weak : iterable of str
        Items to highlight (``coaching.leadership.weakest``).

    Returns
    -------
    bytes
        The PNG file, 1080 px wide. The same inputs always give the same bytes.
    """
    locale = normalise_locale(locale)
    scores = valid_scores(scores)
    weak_keys = frozenset(weak)
    groups = [g for g in ("llc", "anklam") if any(i.group == g for i in ITEMS)]
    rows = _TITLE_ROWS + len(groups) * _GROUP_ROWS + len(ITEMS) * _ITEM_ROWS + _FOOT_ROWS
    fig = Figure(figsize=(WIDTH_IN, rows * _ROW_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.patch.set_facecolor("white")
    ax = fig.add_axes((0.05, 0.0, 0.9, 1.0))
    top = float(SCALE[-1])
    ax.set_xlim(0.0, top + 0.45)  # room after a full bar for its number
    ax.set_ylim(rows, 0.0)  # rows counted downwards, as the picture is read
    ax.set_axis_off()

    def say(key: str, **context: Any) -> str:
        return html_to_plain(render(locale, f"bab5.{key}", **context)).strip()

    y = 0.75
    ax.text(0.0, y, say("chart_title"), fontsize=21, fontweight="bold", color=_INK, va="center")
    y = _TITLE_ROWS
    for group in groups:
        y += _GROUP_ROWS * 0.55
        label = say("chart_group", group=group)
        ax.text(0.0, y, label, fontsize=16, fontweight="bold", color=_MUTED, va="center")
        y += _GROUP_ROWS * 0.45
        for item in (i for i in ITEMS if i.group == group):
            score = scores.get(item.key)
            colour = _RED if item.key in weak_keys else _BLUE
            ax.text(
                0.0,
                y + 0.28,
                say("chart_label", item=item.key),
                fontsize=16,
                color=_INK,
                va="center",
            )
            bar_y = y + 0.52
            ax.add_patch(Rectangle((0.0, bar_y), top, 0.34, facecolor=_TRACK, edgecolor="none"))
            if score is not None:
                # white notches at 1..4 let the eye count the scale without grid lines
                notches = [float(v) for v in SCALE[:-1]]
                ax.add_patch(
                    Rectangle((0.0, bar_y), float(score), 0.34, facecolor=colour, edgecolor="none")
                )
                ax.vlines(notches, bar_y, bar_y + 0.34, colors="white", linewidth=2)
                ax.text(
                    score + 0.08,
                    bar_y + 0.17,
                    str(score),
                    fontsize=16,
                    fontweight="bold",
                    color=colour,
                    va="center",
                )
            y += _ITEM_ROWS
    y += _FOOT_ROWS * 0.35
    ax.text(0.0, y, say("chart_scale"), fontsize=14, color=_MUTED, va="center")
    y += _FOOT_ROWS * 0.4
    ax.add_patch(Rectangle((0.0, y - 0.15), 0.14, 0.3, facecolor=_RED, edgecolor="none"))
    ax.text(0.22, y, say("chart_weak"), fontsize=14, color=_MUTED, va="center")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
