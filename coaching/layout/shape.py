"""One actor's footprint on the picture: its disc, role badges to the right and name below."""

from __future__ import annotations

from dataclasses import dataclass

from coaching.layout.scene import FONT_PX, LABEL_EMS, LINE_HEIGHT, SHAPES, Badge, Node
from coaching.layout.text import _block, text_width, wrap


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
