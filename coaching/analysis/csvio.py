"""Edge-list CSV input: strict, all-or-nothing, with errors a user can act on.

The format (``PRODUCT.md``): a header row with the columns ``source`` and ``target`` and,
optionally, ``strength`` (``strong``/``weak`` or ``kuat``/``lemah``) and ``direction``
(``both``/``out``) in any order; UTF-8 with or without a byte-order mark, or UTF-16 (as Excel's
"Unicode text" saves it); comma or semicolon separated. At most 5,000 data rows and 1 MiB.
Blank lines (and rows of only empty cells, as spreadsheets export them) are skipped.

Every problem raises a :class:`CsvError` subclass whose ``key`` names the message template in
``templates/<locale>/csv.j2`` and whose ``context`` gives the row (as a spreadsheet numbers it:
the header is row 1) and the values involved. Nothing is returned unless the whole file is
good. Problems of the file as a whole (its encoding, its header) stop the reading at once;
problems of single rows are gathered over the whole file: one is raised as itself, several as
one :class:`CsvRowsError` naming each offending row (the first :data:`ROWS_SHOWN`), so the
participant can fix them all in one go.

Actor names go through the one validation every name goes through
(:func:`coaching.names.clean_name`): control, bidi and zero-width characters are removed (so
"Bu\u200bdi" is Budi), and a name with no letter or digit, over :data:`NAME_MAX` characters
or of characters no name needs is refused for its row. A NUL byte in a row is refused for that
row: it means a damaged file, and no database would store it.

Cells starting with ``=``, ``+``, ``-`` or ``@`` (after any white space, tabs and vertical tabs
included) are refused: a spreadsheet would run them as formulas when the map is exported and
opened again (CSV injection, OWASP). Actor names are text, so there is no number such a rule
could wrongly refuse; the message tells the user to drop the leading sign.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from coaching.analysis.csverrors import (
    ROWS_SHOWN,
    BadDirectionError,
    BadStrengthError,
    BinaryFileError,
    CsvBadNameError,
    CsvDuplicateTieError,
    CsvEmptyNameError,
    CsvError,
    CsvNameTooLongError,
    CsvNulError,
    CsvRowsError,
    CsvSelfTieError,
    EmptyFileError,
    EncodingError,
    FieldCountError,
    FormulaCellError,
    HeaderError,
    MalformedError,
    MissingColumnError,
    NoTiesError,
    TooLargeError,
    TooManyRowsError,
    UnknownColumnError,
)
from coaching.analysis.graph import (
    Direction,
    Strength,
    Tie,
    build_graph,
    name_key,
)
from coaching.names import NAME_MAX, clean_name, normalise

__all__ = [
    "COLUMNS",
    "MAX_BYTES",
    "MAX_ROWS",
    "NAME_MAX",
    "ROWS_SHOWN",
    "BadDirectionError",
    "BadStrengthError",
    "BinaryFileError",
    "CsvBadNameError",
    "CsvDuplicateTieError",
    "CsvEmptyNameError",
    "CsvError",
    "CsvNameTooLongError",
    "CsvNulError",
    "CsvRowsError",
    "CsvSelfTieError",
    "EdgeList",
    "EmptyFileError",
    "EncodingError",
    "FieldCountError",
    "FormulaCellError",
    "HeaderError",
    "MalformedError",
    "MissingColumnError",
    "NoTiesError",
    "TooLargeError",
    "TooManyRowsError",
    "UnknownColumnError",
    "graph_from_csv",
    "load_csv",
    "parse_csv",
]

MAX_ROWS = 5000
MAX_BYTES = 1024 * 1024
COLUMNS: tuple[str, ...] = ("source", "target", "strength", "direction")
# A header may name the columns in Indonesian or English (and a few everyday spellings).
ALIASES: dict[str, str] = {
    "source": "source", "dari": "source", "from": "source", "sumber": "source", "asal": "source",
    "target": "target", "ke": "target", "to": "target", "tujuan": "target",
    "strength": "strength", "kekuatan": "strength", "kuat lemah": "strength",
    "direction": "direction", "arah": "direction",
}  # fmt: skip

_STRENGTH: dict[str, Strength | None] = {
    "": None,
    "strong": "strong",
    "kuat": "strong",
    "weak": "weak",
    "lemah": "weak",
}
_DIRECTION: dict[str, Direction] = {
    "": "both", "both": "both", "out": "out", "dua arah": "both", "two-way": "both",
    "satu arah": "out", "one-way": "out", "keluar": "out",
}  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "＝", "＋", "－", "＠")
_UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0", "xls"),
    (b"%PDF", "pdf"),
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
)


@dataclass(frozen=True)
class EdgeList:
    """A parsed edge list: ties in file order and the actors in order of first mention."""

    ties: tuple[Tie, ...]
    actors: tuple[str, ...]
    delimiter: str
    # Rows repeating a pair already given (either way round): merged into the first, each
    # as (row, first row, a, b) — the preview says so.
    repeated: tuple[tuple[int, int, str, str], ...] = ()


def parse_csv(data: bytes) -> EdgeList:
    """Parse an edge-list CSV (see the module docstring).

    Raises
    ------
    CsvError
        A subclass naming the problem; nothing is returned unless the whole file is good.

    Examples
    --------
    >>> parse_csv(b"source;target;strength\\nBu Ani;Pak Budi;kuat\\n").ties
    (Tie(source='Bu Ani', target='Pak Budi', strength='strong', direction='both'),)
    """
    if data.startswith(b"PK\x03\x04"):  # an Excel workbook (XLSX): its first sheet
        return _parse_rows(_xlsx_rows(data), "xlsx")
    text = _decode(data)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        return _parse_rows(((reader.line_num, cells) for cells in reader), delimiter)
    except csv.Error as exc:
        raise MalformedError(f"broken CSV: {exc}", row=reader.line_num) from exc


def _parse_rows(numbered: Iterator[tuple[int, list[str]]], delimiter: str) -> EdgeList:
    """The edge list of a table's rows, each with its row number (the header first)."""
    header = next((cells for _, cells in numbered), None)
    if header is None or not any(cell.strip() for cell in header):
        raise EmptyFileError("the file has no header row")
    columns = _columns(header)
    ties: list[Tie] = []
    actors: dict[str, str] = {}
    first_row: dict[frozenset[str], int] = {}
    repeated: list[tuple[int, int, str, str]] = []
    problems: list[CsvError] = []
    rows = 0
    for row, cells in numbered:
        if not any(cell.strip() for cell in cells):
            continue
        rows += 1
        if rows > MAX_ROWS:
            raise TooManyRowsError(f"more than {MAX_ROWS} rows", limit=MAX_ROWS, row=row)
        tie, wrong = _tie(cells, columns, row)
        problems += wrong
        if tie is None:
            continue
        a, b = name_key(tie.source), name_key(tie.target)
        if a == b:
            problems.append(
                CsvSelfTieError(
                    f"row {row} ties {tie.source!r} to itself", row=row, name=tie.source
                )
            )
            continue
        pair = frozenset((a, b))
        if pair in first_row:  # merged into the first: the preview says so
            repeated.append((row, first_row[pair], actors[a], actors[b]))
            continue
        first_row[pair] = row
        actors.setdefault(a, tie.source)
        actors.setdefault(b, tie.target)
        ties.append(tie)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise CsvRowsError(problems)
    if not ties:
        raise NoTiesError("the file has a header but no ties")
    return EdgeList(tuple(ties), tuple(actors.values()), delimiter, tuple(repeated))


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """The first sheet's rows as text cells, numbered as Excel numbers them (openpyxl)."""
    if len(data) > MAX_BYTES:
        raise TooLargeError(f"the file is over {MAX_BYTES} bytes", size=len(data), limit=MAX_BYTES)
    # Imported here, only for a workbook: openpyxl brings in PIL, which the bot's process must
    # not load (pictures are drawn in the renderer process, tests/test_rendering.py).
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise BinaryFileError("not a readable Excel workbook", kind="xlsx") from exc
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise EmptyFileError("the workbook has no sheet")
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS + 1 + 1000:  # blank rows are skipped; a bound all the same
                raise TooManyRowsError(f"more than {MAX_ROWS} rows", limit=MAX_ROWS, row=number)
            yield number, ["" if value is None else str(value) for value in values]
    finally:
        book.close()


def graph_from_csv(data: bytes, *, ego: str | None = None) -> nx.Graph:
    """Parse ``data`` and build the map (:func:`graph.build_graph`)."""
    edges = parse_csv(data)
    return build_graph(edges.ties, actors=edges.actors, ego=ego)


def load_csv(path: str | Path, *, ego: str | None = None) -> nx.Graph:
    """Read an edge-list CSV file and build the map. Refuses files over :data:`MAX_BYTES`."""
    file = Path(path)
    with file.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    return graph_from_csv(data, ego=ego)


# ---------------------------------------------------------------------------- helpers


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise TooLargeError(f"the file is over {MAX_BYTES} bytes", size=len(data), limit=MAX_BYTES)
    if not data.strip():
        raise EmptyFileError("the file is empty")
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise BinaryFileError(f"this is a {kind} file, not CSV text", kind=kind)
    wide = _wide_encoding(data)
    if wide is not None:
        try:
            return data.decode(wide).lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            raise EncodingError(f"the file is not {wide}", row=1) from exc
    # A text file may hold a stray NUL (reported for its row); a binary file holds many.
    nuls = data[:8192].count(b"\x00")
    if nuls >= 8 and nuls * 20 > min(len(data), 8192):
        raise BinaryFileError("this is not a text file", kind="other")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if b"\x00" in data[:8192]:  # neither UTF-8 nor free of NULs: not text at all
            raise BinaryFileError("this is not a text file", kind="other") from exc
        line = data.count(b"\n", 0, exc.start) + 1
        raise EncodingError("the file is not UTF-8", row=line) from exc


def _wide_encoding(data: bytes) -> str | None:
    """UTF-32 or UTF-16 by their byte-order mark, or UTF-16 without one: text in a Latin script
    saved as UTF-16 has a NUL in every other byte (Excel's "Unicode text")."""
    if data.startswith(_UTF32_BOMS):
        return "utf-32"
    if data.startswith(_UTF16_BOMS):
        return "utf-16"
    sample = data[:8192]
    half = len(sample) // 2
    if half >= 4:
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd * 10 >= half * 9 and even == 0:
            return "utf-16-le"
        if even * 10 >= half * 9 and odd == 0:
            return "utf-16-be"
    return None


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    if first.count(";") > first.count(","):
        return ";"
    return ","


def _columns(header: list[str]) -> dict[str, int]:
    names = [ALIASES.get(cell.strip().casefold(), cell.strip().casefold()) for cell in header]
    while names and names[-1] == "":
        names.pop()
    known = [n for n in names if n in COLUMNS]
    if "source" not in known and "target" not in known:
        raise HeaderError(
            "the first row must be a header naming source and target",
            found=[cell.strip() for cell in header][:6],
        )
    columns: dict[str, int] = {}
    for i, name in enumerate(names):
        if name not in COLUMNS:
            raise UnknownColumnError(f"unknown column {name!r}", column=header[i].strip())
        if name in columns:
            raise HeaderError(f"column {name!r} appears twice", found=[name])
        columns[name] = i
    for required in ("source", "target"):
        if required not in columns:
            raise MissingColumnError(f"the header has no {required} column", column=required)
    return columns


def _tie(cells: list[str], columns: dict[str, int], row: int) -> tuple[Tie | None, list[CsvError]]:
    """The row's tie, or None and every problem of the row."""
    width = len(columns)
    if len(cells) > width and any(cell.strip() for cell in cells[width:]):
        too_wide = FieldCountError(
            f"row {row} has {len(cells)} cells, the header {width}",
            row=row,
            expected=width,
            found=len(cells),
        )
        return None, [too_wide]
    if any("\x00" in cell for cell in cells):
        return None, [CsvNulError(f"row {row} holds a NUL byte", row=row)]
    values: dict[str, str] = {}
    problems: list[CsvError] = []
    for name, i in columns.items():
        raw = cells[i] if i < len(cells) else ""
        shown = normalise(raw)
        if shown.startswith(_FORMULA_START):
            problems.append(
                FormulaCellError(
                    f"row {row}: {name} starts with a formula character",
                    row=row,
                    column=name,
                    value=shown[:40],
                )
            )
            continue
        values[name] = shown
        if name in ("source", "target"):
            checked = clean_name(raw, limit=NAME_MAX)
            if checked.value is not None:
                values[name] = checked.value
            else:
                problems.append(_name_error(checked.problem or "names.chars", row, name, shown))
    if problems:
        return None, problems
    strength = values.get("strength", "").casefold()
    if strength not in _STRENGTH:
        error: CsvError = BadStrengthError(
            f"row {row}: strength {strength!r}", row=row, value=values["strength"][:40]
        )
        return None, [error]
    direction = values.get("direction", "").casefold()
    if direction not in _DIRECTION:
        error = BadDirectionError(
            f"row {row}: direction {direction!r}", row=row, value=values["direction"][:40]
        )
        return None, [error]
    tie = Tie(values["source"], values["target"], _STRENGTH[strength], _DIRECTION[direction])
    return tie, []


def _name_error(problem: str, row: int, column: str, shown: str) -> CsvError:
    if problem == "names.empty":
        return CsvEmptyNameError(f"row {row}: {column} is empty", row=row, column=column)
    if problem == "names.long":
        return CsvNameTooLongError(
            f"row {row}: {column} is longer than {NAME_MAX} characters",
            row=row,
            column=column,
            limit=NAME_MAX,
        )
    return CsvBadNameError(
        f"row {row}: {column} is not a name ({problem})",
        row=row,
        column=column,
        value=shown[:40],
        problem=problem.partition(".")[2],
    )
