"""The errors of an edge-list CSV (coaching/analysis/csvio.py): each names its message template
in ``templates/<locale>/csv.j2`` by ``key`` and gives the row and values in ``context``."""

from __future__ import annotations

from coaching.analysis.graph import GraphError

ROWS_SHOWN = 20
"""At most this many offending rows are listed in one message (with how many there are)."""


class CsvError(GraphError):
    """A CSV file that cannot be read as an edge list. ``key``/``context`` feed the template."""

    key = "csv.error"


class EmptyFileError(CsvError):
    """The file is empty."""

    key = "csv.empty_file"


class TooLargeError(CsvError):
    """The file is over :data:`MAX_BYTES`."""

    key = "csv.too_large"


class TooManyRowsError(CsvError):
    """More than :data:`MAX_ROWS` data rows."""

    key = "csv.too_many_rows"


class BinaryFileError(CsvError):
    """Not a text file (``context["kind"]``: ``xlsx``, ``xls``, ``pdf``, ``image`` or ``other``)."""

    key = "csv.binary_file"


class EncodingError(CsvError):
    """Not valid UTF-8."""

    key = "csv.wrong_encoding"


class MalformedError(CsvError):
    """The CSV itself is broken (for example an unclosed quote)."""

    key = "csv.malformed"


class HeaderError(CsvError):
    """The first row is not a header with ``source`` and ``target``."""

    key = "csv.wrong_header"


class MissingColumnError(CsvError):
    """The header lacks ``source`` or ``target``."""

    key = "csv.missing_column"


class UnknownColumnError(CsvError):
    """The header has a column this format does not know."""

    key = "csv.unknown_column"


class FieldCountError(CsvError):
    """A row has more cells than the header."""

    key = "csv.wrong_field_count"


class FormulaCellError(CsvError):
    """A cell that a spreadsheet would run as a formula."""

    key = "csv.formula_cell"


class CsvEmptyNameError(CsvError):
    """An empty ``source`` or ``target``."""

    key = "csv.empty_name"


class CsvNameTooLongError(CsvError):
    """A name longer than :data:`NAME_MAX` characters (after cleaning)."""

    key = "csv.name_too_long"


class CsvBadNameError(CsvError):
    """A name :func:`coaching.names.clean_name` refuses (``context["problem"]``: its key)."""

    key = "csv.bad_name"


class CsvNulError(CsvError):
    """A row holding a NUL byte (a damaged file)."""

    key = "csv.nul_byte"


class CsvRowsError(CsvError):
    """Several rows with problems: ``context["problems"]`` lists (key name, context) of the
    first :data:`ROWS_SHOWN`, ``context["count"]`` says how many there are, ``errors`` holds
    them all."""

    key = "csv.rows"

    def __init__(self, errors: list[CsvError]) -> None:
        shown = [(e.key.partition(".")[2], dict(e.context)) for e in errors[:ROWS_SHOWN]]
        super().__init__(f"{len(errors)} rows have problems", problems=shown, count=len(errors))
        self.errors = tuple(errors)


class BadStrengthError(CsvError):
    """A ``strength`` other than strong/weak/kuat/lemah/empty."""

    key = "csv.bad_strength"


class BadDirectionError(CsvError):
    """A ``direction`` other than both/out/empty."""

    key = "csv.bad_direction"


class CsvSelfTieError(CsvError):
    """A row tying an actor to itself."""

    key = "csv.self_tie"


class CsvDuplicateTieError(CsvError):
    """A second row for the same pair of actors (in either direction)."""

    key = "csv.duplicate_tie"


class NoTiesError(CsvError):
    """A header but no data rows."""

    key = "csv.no_ties"
