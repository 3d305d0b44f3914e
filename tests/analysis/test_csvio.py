"""Edge-list CSV: good files in every allowed shape, each bad case with its own error."""

from __future__ import annotations

from pathlib import Path

import pytest

from coaching.analysis import Tie, analyse
from coaching.analysis.csvio import (
    MAX_BYTES,
    MAX_ROWS,
    BadDirectionError,
    BadStrengthError,
    BinaryFileError,
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
    graph_from_csv,
    load_csv,
    parse_csv,
)
from coaching.analysis_text import error_text
from coaching.text import LOCALES


def test_plain_comma_file() -> None:
    edges = parse_csv(b"source,target\nBu Ani,Pak Budi\nPak Budi,Dinas\n")
    assert edges.ties == (Tie("Bu Ani", "Pak Budi"), Tie("Pak Budi", "Dinas"))
    assert edges.actors == ("Bu Ani", "Pak Budi", "Dinas")
    assert edges.delimiter == ","


def test_bom_semicolon_crlf_and_indonesian_strengths() -> None:
    data = "\ufeffSource;Target;Strength;Direction\r\nBu Ani;Pák Budi;kuat;out\r\nX;Y;LEMAH;\r\n"
    edges = parse_csv(data.encode("utf-8"))
    assert edges.delimiter == ";"
    assert edges.ties == (
        Tie("Bu Ani", "Pák Budi", "strong", "out"),
        Tie("X", "Y", "weak", "both"),
    )


def test_columns_in_any_order_quotes_and_blank_rows() -> None:
    data = b'direction,strength,target,source\nboth,strong,"Dinas, Bidang A",Bu Ani\n\n,,,\n'
    edges = parse_csv(data)
    assert edges.ties == (Tie("Bu Ani", "Dinas, Bidang A", "strong", "both"),)


def test_no_strength_column_counts_as_neither() -> None:
    result = analyse(graph_from_csv(b"source,target\nA,B\n"))
    assert (result.strong_ties, result.weak_ties) == (0, 0)


def test_graph_and_ego_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "peta.csv"
    path.write_bytes(b"source,target,strength\nSaya,A,strong\nSaya,B,weak\nA,B,\n")
    G = load_csv(path, ego="saya")
    result = analyse(G)
    assert result.ego == "Saya"
    assert (result.strong_ties, result.weak_ties) == (1, 1)


BAD: list[tuple[bytes, type[CsvError], dict[str, object]]] = [
    (b"", EmptyFileError, {}),
    (b"\n\n", EmptyFileError, {}),
    (b"x" * (MAX_BYTES + 1), TooLargeError, {"limit": MAX_BYTES}),
    (b"PK\x03\x04rest-of-a-zip", BinaryFileError, {"kind": "xlsx"}),
    (b"%PDF-1.7", BinaryFileError, {"kind": "pdf"}),
    (b"source,target\nA\x00,B\n", CsvNulError, {"row": 2}),  # a row error, not "binary"
    (b"\x00\x01\x02\x03" * 40, BinaryFileError, {"kind": "other"}),
    (b"source,target\n\xe9t\xe9,B\n", EncodingError, {"row": 2}),
    (b"A,B\nC,D\n", HeaderError, {"found": ["A", "B"]}),
    (b"source,source,target\nA,B,C\n", HeaderError, {"found": ["source"]}),
    (b"source,strength\nA,kuat\n", MissingColumnError, {"column": "target"}),
    (b"source,target,weight\nA,B,1\n", UnknownColumnError, {"column": "weight"}),
    (b"source,target\nA,B,C\n", FieldCountError, {"row": 2, "expected": 2, "found": 3}),
    (b'source,target\n"A,B\n', MalformedError, {"row": 2}),
    (b"source,target\n=HYPERLINK(1),B\n", FormulaCellError, {"row": 2, "column": "source"}),
    (b"source,target\nA,+62 811\n", FormulaCellError, {"row": 2, "column": "target"}),
    (b"source,target\nA,-B\n", FormulaCellError, {"row": 2, "column": "target"}),
    (b"source,target\n@SUM,B\n", FormulaCellError, {"row": 2, "column": "source"}),
    (b"source,target\nA,\n", CsvEmptyNameError, {"row": 2, "column": "target"}),
    (b"source,target\n" + b"x" * 101 + b",B\n", CsvNameTooLongError, {"row": 2}),
    (b"source,target,strength\nA,B,sedang\n", BadStrengthError, {"row": 2, "value": "sedang"}),
    (b"source,target,direction\nA,B,in\n", BadDirectionError, {"row": 2, "value": "in"}),
    (b"source,target\nPak Budi,pak  budi\n", CsvSelfTieError, {"row": 2, "name": "Pak Budi"}),
    (b"source,target\n", NoTiesError, {}),
]


@pytest.mark.parametrize(("data", "error", "context"), BAD, ids=[e.__name__ for _, e, _ in BAD])
def test_each_bad_file_has_its_error(
    data: bytes, error: type[CsvError], context: dict[str, object]
) -> None:
    with pytest.raises(error) as caught:
        parse_csv(data)
    assert caught.value.key.startswith("csv.")
    for key, value in context.items():
        assert caught.value.context[key] == value
    for locale in LOCALES:
        message = error_text(caught.value, locale=locale)
        assert message and "{{" not in message


def test_too_many_rows() -> None:
    rows = "".join(f"A{i},B{i}\n" for i in range(MAX_ROWS + 1))
    with pytest.raises(TooManyRowsError) as caught:
        parse_csv(("source,target\n" + rows).encode())
    assert caught.value.context["limit"] == MAX_ROWS
    rows = "".join(f"A{i},B{i}\n" for i in range(MAX_ROWS))
    assert len(parse_csv(("source,target\n" + rows).encode()).ties) == MAX_ROWS


def test_all_or_nothing() -> None:
    good = "".join(f"A{i},B{i}\n" for i in range(100))
    with pytest.raises(CsvSelfTieError):
        parse_csv(("source,target\n" + good + "Z,z\n").encode())


def test_the_formula_message_explains_the_risk() -> None:
    with pytest.raises(FormulaCellError) as caught:
        parse_csv(b"source,target\n=1+1,B\n")
    assert "rumus" in error_text(caught.value, locale="id")
    assert "formula" in error_text(caught.value, locale="en")


def test_excel_message_says_how_to_save_as_csv() -> None:
    with pytest.raises(BinaryFileError) as caught:
        parse_csv(b"PK\x03\x04")
    assert "CSV UTF-8" in error_text(caught.value, locale="id")


def test_indonesian_headers_and_values_are_read() -> None:
    edges = parse_csv(b"dari;ke;kekuatan;arah\nBu Ani;Pak Budi;kuat;satu arah\nBu Ani;KUD;;\n")
    assert [(t.source, t.target, t.strength, t.direction) for t in edges.ties] == [
        ("Bu Ani", "Pak Budi", "strong", "out"),
        ("Bu Ani", "KUD", None, "both"),
    ]


def test_a_repeated_pair_is_merged_with_a_note_not_refused() -> None:
    edges = parse_csv(b"source,target\nA,B\nX,Y\nb,a\nA,B\n")
    assert len(edges.ties) == 2
    assert edges.repeated == ((4, 2, "B", "A"), (5, 2, "A", "B"))  # as each row writes it


def test_every_bad_row_is_listed_not_only_the_first() -> None:
    rows = "".join(f"=X{i},B\n" for i in range(25))
    with pytest.raises(CsvRowsError) as caught:
        parse_csv(f"source,target\n{rows}".encode())
    assert caught.value.context["count"] == 25
    assert len(caught.value.context["problems"]) == 20  # the first 20 named, with their rows
    assert caught.value.context["problems"][19][1]["row"] == 21


def test_an_excel_workbook_is_read_with_openpyxl() -> None:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (
        ("dari", "ke", "kekuatan"),
        ("Bu Ani", "Pak Budi", "lemah"),
        (None, None, None),
        ("Pak Budi", "KUD", "kuat"),
        ("KUD", "Pak Budi", None),
    ):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    edges = parse_csv(buffer.getvalue())
    assert [(t.source, t.target, t.strength) for t in edges.ties] == [
        ("Bu Ani", "Pak Budi", "weak"),
        ("Pak Budi", "KUD", "strong"),
    ]
    assert edges.repeated == ((5, 4, "KUD", "Pak Budi"),)
