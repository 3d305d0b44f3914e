"""Paged button lists: pick one actor, or toggle several ("who among these works with Budi?").

Values carry the item's position, not its name, so they stay short and ASCII whatever the
names are; the list is stable within a step (any change to the map invalidates the step's
buttons through ``seq``).
"""

from __future__ import annotations

from collections.abc import Sequence

from coaching.model import Option
from coaching.validate import is_number

PAGE = 8


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE))


def pick_rows(
    names: Sequence[str], page: int, *, selected: frozenset[int] | None = None
) -> tuple[tuple[Option, ...], ...]:
    """One row per name on this page (toggles when ``selected`` is given), then paging."""
    page = min(max(page, 0), page_count(len(names)) - 1)
    start = page * PAGE
    rows: list[tuple[Option, ...]] = []
    for index in range(start, min(start + PAGE, len(names))):
        # Numbered: typing the number chooses it (coaching/engine.py), whatever the page.
        if selected is None:
            label = {"name": names[index], "number": index + 1}
            rows.append((Option(f"pick:{index}", "network.btn_pick", label),))
        else:
            on = index in selected
            label = {"name": names[index], "on": on, "number": index + 1}
            # The value says which way the tap turns the item: a double tap sets it twice.
            value = f"toggle:{index}:{0 if on else 1}"
            rows.append((Option(value, "network.btn_toggle", label),))
    paging: list[Option] = []
    if page > 0:
        paging.append(Option("page:prev", "network.btn_prev", {"page": page}))
    if start + PAGE < len(names):
        paging.append(
            Option(
                "page:next", "network.btn_next", {"page": page + 2, "pages": page_count(len(names))}
            )
        )
    if paging:
        rows.append(tuple(paging))
    return tuple(rows)


def index_of(value: str, prefix: str, size: int) -> int | None:
    head, _, number = value.partition(":")
    if head != prefix or not is_number(number) or int(number) >= size:
        return None
    return int(number)


def toggled(value: str, size: int) -> tuple[int, bool] | None:
    """A toggle's item and whether it turns it on (``toggle:3:1``), else None."""
    head, _, rest = value.partition(":")
    number, _, on = rest.partition(":")
    if head != "toggle" or not is_number(number) or int(number) >= size or on not in ("0", "1"):
        return None
    return int(number), on == "1"


def turn(value: str, page: int, total: int) -> int | None:
    """The new page for a paging button, else None."""
    if value == "page:prev":
        return max(0, page - 1)
    if value == "page:next":
        return min(page_count(total) - 1, page + 1)
    return None
