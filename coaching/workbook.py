"""The coach's XLSX workbook: every labelled table of ``coaching.tables`` on a sheet of its own.

Made with openpyxl (which brings Pillow in): run where pictures are drawn — the dashboard's
worker process — never in the bot's or the dashboard's own process. Header rows bold and
frozen, columns sized to their content, long answers wrapped.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from coaching.tables import TABLES, Labels, safe, table


def xlsx_bytes(
    people: Sequence[Mapping[str, Any]], locale: str, kinds: Sequence[str] = tuple(TABLES)
) -> bytes:
    """A workbook with one sheet per table, in the coach's language."""
    labels = Labels(locale)
    book = Workbook()
    first = True
    for kind in kinds:
        sheet = book.active if first else book.create_sheet()
        first = False
        assert sheet is not None
        sheet.title = labels.sheet(kind)[:31]
        rows = table(kind, people, labels)
        widths = [len(str(h)) for h in rows[0]]
        for row in rows:
            sheet.append([safe(value) for value in row])
            for i, value in enumerate(row):
                widths[i] = max(widths[i], min(len(str(value)), 60))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for i, width in enumerate(widths):
            letter = sheet.cell(row=1, column=i + 1).column_letter
            sheet.column_dimensions[letter].width = max(8, width + 2)
        for row_cells in sheet.iter_rows(min_row=2):
            for cell in row_cells:
                if isinstance(cell.value, str) and len(cell.value) > 60:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
