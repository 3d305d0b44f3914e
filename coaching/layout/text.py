"""Text on the picture: names cleaned for a label, measured in the picture's font, wrapped."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from coaching._font_widths import BOLD, REGULAR
from coaching.layout.scene import LINE_HEIGHT, Box, TextBlock
from coaching.text import html_to_plain, render


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

    def __call__(self, key: str, **context: Any) -> str:
        return html_to_plain(render(self.locale, f"mapimage.{key}", **context)).strip()
