"""A participant's journey on one A4 page (``/ekspor``): their map's picture, its analysis,
their KNOW-LIKE-TRUST-BUY steps, planned ties and answers — a file a phone opens as it is.

Made with fpdf2 from the export's plain data (``storage/exports.participant_data``); the map
is drawn as ``/peta`` draws it (``coaching.mapimage``), so this runs where pictures are drawn
(the renderer process), never on the bot's event loop. Text is set in DejaVu Sans (the font
the map's layout measures names in, shipped with matplotlib); characters it has no glyph for
(emoji) are left out rather than shown as boxes. Lists longer than the page holds end with
"… and N more (see the JSON file)".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib
from fontTools.ttLib import TTFont
from fpdf import FPDF

from coaching import address, text
from coaching.analysis import GraphError, Tie, analyse, build_graph
from coaching.mapimage import render_map_png
from coaching.tables import Labels

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
REGULAR, BOLD = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
PAGE_BOTTOM = 285.0  # mm: what goes below is left for "… and N more"
ANSWER_CHARS = 220
MAP_HEIGHT = 95.0  # mm


@cache
def _glyphs() -> frozenset[int]:
    font = TTFont(str(REGULAR), lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def printable(value: Any) -> str:
    """``value`` as the font can set it: characters without a glyph are left out."""
    glyphs = _glyphs()
    cleaned = "".join(ch for ch in str(value) if ord(ch) in glyphs or ch in "\n\t")
    return " ".join(cleaned.split())


def _plain(locale: str, key: str, /, *, you: str | None = None, **context: Any) -> str:
    return printable(text.html_to_plain(text.render(locale, key, you=you, **context)))


def chosen_form(data: Mapping[str, Any]) -> str | None:
    """The form of address the participant chose, from their export's answers (the row
    ``profile.address``): the page says "Bapak" or "Ibu" where it says "you" as the chat
    does. None (so "Anda") when not chosen or left out of the data (a coach's copy)."""
    stored = (
        a.get("text") for a in data.get("answers") or () if a.get("exercise") == address.ANSWER_KEY
    )
    return address.form_of(next(stored, None))


def best_map(maps: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The map the page shows: the personal map if it has ties, else the most recently
    updated map with ties, else None."""
    drawn = [m for m in maps if len(m.get("actors") or []) >= 2 and m.get("ties")]
    personal = [m for m in drawn if m.get("kind") == "personal"]
    if personal:
        return personal[0]
    return max(drawn, key=lambda m: str(m.get("updated_at") or ""), default=None)


def map_heading(shown: Mapping[str, Any], locale: str, *, you: str | None = None) -> str:
    """The shown map's title and size, counted as everywhere else (the export's ``counts``,
    :meth:`coaching.network.MapView.counts`: with the participant, and stated as such
    without)."""
    labels = Labels(locale)
    title = labels.value("kind", "personal") if shown.get("kind") == "personal" else ""
    title = title or str(shown.get("title") or "")
    counts = shown.get("counts")
    if not isinstance(counts, Mapping):  # an export written before counts were: the lists
        counts = {"actors": len(shown.get("actors") or []), "ties": len(shown.get("ties") or [])}
    size = {"ego": False, "actors_without_ego": 0, "ties_without_ego": 0, **counts}
    return _plain(labels.locale, "exports.journey_map", you=you, title=title, size=size)


def journey_pdf(data: Mapping[str, Any], locale: str) -> bytes:
    """The one-page PDF of ``data`` (one participant's export) in ``locale``."""
    labels = Labels(locale)
    locale = labels.locale
    info = data.get("participant") or {}
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(12, 10, 12)
    pdf.add_font("DejaVu", "", str(REGULAR))
    pdf.add_font("DejaVu", "B", str(BOLD))
    pdf.add_page()
    pdf.set_title(_plain(locale, "exports.journey_title", name=info.get("name") or ""))
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def heading(words: str, size: float = 12) -> None:
        pdf.set_font("DejaVu", "B", size)
        pdf.multi_cell(width, size * 0.5, printable(words), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)

    def line(words: str, size: float = 9) -> bool:
        """One paragraph; False when the page is full (nothing written)."""
        if pdf.get_y() > PAGE_BOTTOM - 8:
            return False
        pdf.set_font("DejaVu", "", size)
        pdf.multi_cell(width, size * 0.45, printable(words), new_x="LMARGIN", new_y="NEXT")
        return True

    def items(rows: Sequence[str]) -> None:
        if not rows:
            line(_plain(locale, "exports.journey_none"))
        for index, row in enumerate(rows):
            room = pdf.get_y() <= PAGE_BOTTOM - 14 or index == len(rows) - 1
            if not room or not line("• " + row):
                line(_plain(locale, "exports.journey_more", n=len(rows) - index))
                return

    heading(_plain(locale, "exports.journey_title", name=info.get("name") or ""), 15)
    date = str(data.get("exported_at") or "")[:10]
    line(_plain(locale, "exports.journey_intro", cohort=info.get("cohort") or "", date=date))
    pdf.ln(2)

    shown = best_map(data.get("maps") or [])
    if shown is None:
        line(_plain(locale, "exports.journey_no_map"))
    else:
        heading(map_heading(shown, locale, you=chosen_form(data)), 11)
        ego = next((a["name"] for a in shown.get("actors") or [] if a.get("is_ego")), None)
        edges = [
            Tie(t["source"], t["target"], t.get("strength"), t.get("direction") or "both")
            for t in shown.get("ties") or []
        ]
        try:
            graph = build_graph(
                edges, actors=[a["name"] for a in shown.get("actors") or []], ego=ego
            )
            result = analyse(graph)
        except GraphError:  # a map stored before today's name rules: its words still go
            result = None
        if result is not None:
            png = render_map_png(graph, result, locale=locale, ego=ego)
            top = pdf.get_y()
            pdf.image(png, x=pdf.l_margin, y=top, h=MAP_HEIGHT, keep_aspect_ratio=True)
            pdf.set_y(top + MAP_HEIGHT + 2)
            heading(_plain(locale, "exports.journey_analysis"), 11)
            stage = labels.value("stage", result.stage.key)
            line(_plain(locale, "exports.journey_stage", stage=stage))
            roles = result.roles
            line(
                _plain(
                    locale,
                    "exports.journey_roles",
                    hubs=", ".join(roles.hubs[:6]),
                    brokers=", ".join(roles.brokers[:6]),
                )
            )
    pdf.ln(1)

    heading(_plain(locale, "exports.journey_kltb"), 11)
    steps: list[str] = []
    for m in data.get("maps") or []:
        for actor in m.get("actors") or []:
            if actor.get("kltb_step") or actor.get("kltb"):
                reached = labels.value("kltb_step", actor.get("kltb_step")) or "—"
                plans = [
                    f"{k.get('next_action')} ({str(k.get('due_at') or '')[:10]})".replace(" ()", "")
                    for k in actor.get("kltb") or []
                    if k.get("next_action")
                ]
                steps.append(f"{actor['name']}: {reached}" + (f" → {plans[-1]}" if plans else ""))
    items(steps[:12] if len(steps) <= 12 else steps)

    heading(_plain(locale, "exports.journey_plans"), 11)
    planned = [
        f"{p['source']} — {p['target']}: {labels.value('status', p.get('status'))}"
        + (f" {str(p.get('due_at'))[:10]}" if p.get("due_at") else "")
        for m in data.get("maps") or []
        for p in m.get("planned_ties") or []
    ]
    items(planned)

    heading(_plain(locale, "exports.journey_answers"), 11)
    answers = []
    for a in data.get("answers") or []:
        key = str(a.get("exercise") or "")
        if key.endswith(".resume") or key.startswith("profile."):  # bookmarks, the form
            continue
        title, _ = labels.exercise(key)
        words = " ".join(str(a.get("text") or "").split())
        if len(words) > ANSWER_CHARS:
            words = words[: ANSWER_CHARS - 1] + "…"
        answers.append(f"{title}: {words}")
    items(answers)
    return bytes(pdf.output())
