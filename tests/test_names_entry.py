"""The one name validation at every entry point, on SQLite and PostgreSQL.

Issue 18 items 2 and 5: CSV rows are validated (all offending rows reported, nothing stored
partially, 81–100 characters reported per row, UTF-16 read, a NUL a row error); random Unicode
at every entry point never raises and never stores anything unbounded. Issue 19 item 2: cohort
names with &, quotes and apostrophes are ordinary, and are escaped wherever they are shown.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import re
import unicodedata
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from sqlalchemy import select

from app.conversations import handle_event
from coaching.analysis.csvio import (
    ROWS_SHOWN,
    CsvBadNameError,
    CsvError,
    CsvNameTooLongError,
    CsvNulError,
    CsvRowsError,
    FormulaCellError,
    parse_csv,
)
from coaching.analysis_text import error_text
from coaching.model import Document, Event, EventKind
from coaching.names import KEY_MAX, NAME_MAX
from coaching.text import LOCALES
from storage import cohorts
from storage.db import Database
from storage.models import Actor, Cohort, DeadLetter, NetworkMap, Participant
from tests.support import NOW, telegram_html_errors, transaction
from tests.test_coach import Person, buttons, texts
from tests.test_terminal import run_cli

COHORT = "PKA Angkatan XII Kemenkeu & BPK \"Jakarta\" 'Timur'"


def csv_event(data: bytes, name: str = "peta.csv") -> Any:
    return Event(EventKind.DOCUMENT, document=Document(name, "text/csv", len(data), data))


def rows_error(data: bytes) -> CsvError:
    with pytest.raises(CsvError) as caught:
        parse_csv(data)
    return caught.value


# --------------------------------------------------------------------------- CSV, pure


def test_csv_names_are_cleaned_as_every_name_is() -> None:
    data = "source,target\n\u202eBu\u200bdi\u202c,Ani\nBudi,Dewi\n".encode()
    edges = parse_csv(data)
    # The zero-width look-alike is Budi: one actor, not two (issue 18 item 5).
    assert edges.actors == ("Budi", "Ani", "Dewi")


@pytest.mark.parametrize(
    ("cell", "error", "problem"),
    [
        ("\u0300\u0300", CsvBadNameError, "no_letters"),  # combining marks only (item 2)
        ("<b>x</b>", CsvBadNameError, "chars"),
        ("/start", CsvBadNameError, "command"),
        ("\x0b=1+1", FormulaCellError, None),  # the vertical-tab trick
        ("\t@SUM(1)", FormulaCellError, None),
        ("x" * 81, CsvNameTooLongError, None),  # 81-100 used to fail the whole import
        ("x" * 100, CsvNameTooLongError, None),
        ("B\x00", CsvNulError, None),
    ],
)
def test_a_bad_name_is_reported_for_its_row(
    cell: str, error: type[CsvError], problem: str | None
) -> None:
    found = rows_error(f"source,target\nA,B\nC,{cell}\n".encode())
    assert type(found) is error and found.context["row"] == 3
    if problem:
        assert found.context["problem"] == problem
    for locale in LOCALES:
        message = error_text(found, locale=locale)
        assert "3" in message and telegram_html_errors(message) == [], message


def test_an_import_reports_every_offending_row_up_to_twenty() -> None:
    good = "".join(f"A{i},B{i}\n" for i in range(50))
    bad = "".join(f"C{i},{'x' * 90}\n" for i in range(22))
    data = ("source,target\n" + good + "D,\u0300\nE,E\n" + bad + "F,<i>\n").encode()
    found = rows_error(data)
    assert isinstance(found, CsvRowsError)
    assert found.context["count"] == 25 == len(found.errors)
    assert len(found.context["problems"]) == ROWS_SHOWN
    assert [e.context["row"] for e in found.errors[:3]] == [52, 53, 54]
    for locale in LOCALES:
        message = error_text(found, locale=locale)
        assert telegram_html_errors(message) == [], message
        assert "25" in message and "52" in message and "71" in message
        assert "73" not in message  # the 21st is counted, not listed
        lines = [line for line in message.splitlines() if line.startswith("•")]
        assert len(lines) == ROWS_SHOWN


def test_a_nul_after_eight_kib_is_a_row_error_not_a_database_error() -> None:
    rows = "".join(f"Aktor {i},Aktor {i + 1}\n" for i in range(500))
    data = ("source,target\n" + rows).encode() + b"Budi\x00,Ani\n"
    assert len(data) > 8192
    found = rows_error(data)
    assert isinstance(found, CsvNulError) and found.context["row"] == 502


def test_a_binary_file_is_still_not_a_text_file() -> None:
    found = rows_error(bytes(range(256)) * 8)
    assert found.key == "csv.binary_file"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_is_read_as_text(encoding: str) -> None:
    data = "source;target;strength\nPak Budi;Bu Ani;kuat\nBu Ani;Dinas PU & PR;\n"
    edges = parse_csv(data.encode(encoding))
    assert edges.actors == ("Pak Budi", "Bu Ani", "Dinas PU & PR")
    assert edges.ties[0].strength == "strong"


# --------------------------------------------------------------------------- CSV, stored


class Chat(Person):
    """A participant who also sends documents."""

    async def send(self, event: Event) -> Any:
        self.update += 1
        return await handle_event(self.db, self.who, event, update_id=self.update, now=NOW)


async def network_home(person: Person) -> None:
    await person.say("/peta")


async def stored(db: Database, *columns: Any) -> list[Any]:
    with transaction(db) as session:
        return list((session.execute(select(*columns))).all())


async def test_a_bad_import_stores_nothing_and_names_its_rows(db: Database) -> None:
    sari = Chat(db, 2101)
    await sari.onboard("Sari Dewi")
    await network_home(sari)
    before = await stored(db, Actor.name)
    rows = "".join(f"Aktor {i},Aktor {i + 1}\n" for i in range(500))
    data = "source,target\n" + rows + "Budi\x00,Ani\nC,\u0300\u0300\n" + "D," + "y" * 85 + "\n"
    said = await sari.answer(sari.send(csv_event(data.encode())))
    text = texts(said)
    assert "502" in text and "503" in text and "504" in text, text
    assert await stored(db, Actor.name) == before
    assert len(await stored(db, NetworkMap.id)) <= 1


async def test_a_utf16_import_is_stored(db: Database) -> None:
    sari = Chat(db, 2102)
    await sari.onboard("Sari Dewi")
    await network_home(sari)
    data = "source,target\nBu\u200bdi,Ani\nBudi,Dewi\n".encode("utf-16")
    said = await sari.answer(sari.send(csv_event(data, "kasus.csv")))
    assert "yes" in buttons(said), texts(said)
    await sari.press("yes")
    with transaction(db) as session:
        case = (session.execute(select(NetworkMap).where(NetworkMap.kind == "case"))).scalar_one()
        names = set((session.execute(select(Actor.name).where(Actor.map_id == case.id))).scalars())
    assert case.title == "kasus" and names == {"Budi", "Ani", "Dewi"}


# --------------------------------------------------------------------------- cohort names


async def test_cohort_names_with_ampersand_and_quotes_are_stored_as_typed(db: Database) -> None:
    created = await cohorts.create_cohort(db, f"  {COHORT}  ", now=NOW)
    assert created.name == COHORT
    with transaction(db) as session:
        assert (session.get(Cohort, created.id)).name == COHORT  # type: ignore[union-attr]
    for bad in ("PKA\x00 12", "PKA\u202e12", "PKA\x1b[31m", "x" * 121, "   ", "=1+1", "<b>A</b>"):
        with pytest.raises(cohorts.CohortNameError):
            await cohorts.create_cohort(db, bad, now=NOW)


async def test_a_cohort_name_is_escaped_in_telegram_html(db: Database) -> None:
    created = await cohorts.create_cohort(db, COHORT, now=NOW)
    coach = Person(db, 5101)
    said = await coach.answer(coach.say(f"/start coach_{created.coach_token}"))
    said += await coach.answer(coach.say("/kohort"))
    sari = Person(db, 2103)
    said += await sari.answer(sari.say(f"/start join_{created.join_code}"))
    for payload in said:
        assert telegram_html_errors(payload["text"]) == [], payload["text"]
    shown = texts(said)
    assert "Kemenkeu &amp; BPK &#34;Jakarta&#34; &#39;Timur&#39;" in shown, shown
    assert COHORT not in shown  # never raw


def test_jejaring_cohort_create_accepts_ampersand_and_quotes(tmp_path: Path) -> None:
    env = {"TELEGRAM_BOT_USERNAME": "jejaring_bot"}
    result = run_cli(["cohort", "create", COHORT], "", tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert f"created: {COHORT}" in result.stdout
    assert COHORT in run_cli(["cohort", "list"], "", tmp_path, **env).stdout
    refused = run_cli(["cohort", "create", "PKA\x07 12"], "", tmp_path, **env)
    assert refused.returncode == 2 and "control characters" in refused.stderr
    exported = run_cli(["export", "--cohort", "1", "--format", "json"], "", tmp_path, **env)
    assert exported.returncode == 0, exported.stderr
    files = [Path(line) for line in exported.stdout.split()]
    assert files and all(re.fullmatch(r"[a-z0-9-]+\.[a-z]+", f.name) for f in files)


async def test_a_cohort_name_is_escaped_on_the_dashboard_and_in_exports(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_web import site_for

    site = await site_for(db, monkeypatch)
    with transaction(db) as session:
        cohort = session.get(Cohort, site.world.a.id)
        assert cohort is not None
        cohort.name = COHORT
    async with site.signed_in(site.world.coach_a) as client:
        for page in ("/", f"/cohorts/{site.world.a.id}", f"/participants/{site.world.sari_id}"):
            html = (await client.get(page)).text
            if page != f"/participants/{site.world.sari_id}":
                assert "Kemenkeu &amp; BPK &#34;Jakarta&#34; &#39;Timur&#39;" in html, page
            assert COHORT not in html, page
        for file in ("data.json", "network.graphml", "network.gexf", "participants.csv"):
            response = await client.get(f"/cohorts/{site.world.a.id}/export/{file}")
            if response.status_code == 404:
                continue
            assert response.status_code == 200, file
            disposition = response.headers["content-disposition"]
            filename = disposition.split('filename="', 1)[1].rstrip('"')
            assert re.fullmatch(r"[a-z0-9.-]+", filename), disposition  # ids, never the name
            if file == "network.graphml":
                nx.read_graphml(io.BytesIO(response.content))
        data = await client.get(f"/participants/{site.world.sari_id}/export/data.json")
        assert json.loads(data.content)["participant"]["cohort"] == COHORT


# --------------------------------------------------------------------------- random Unicode

_ALPHABET = (
    "aBcß ﬁ\u0300\u0301\x00\x0b\t\n\u202e\u2066\u200b\u200d\ufeff&'\"<>/=+-@:().,"
    "İΐéñ\u3164\u115f\U0001f600\ud800\udfff\u0627\u05d0中"
)
NASTY = [
    "ß" * 80,
    "ß" * 79 + "a",
    "ﬁ" * 80,
    "\u0300\u0300",
    "\x00Budi",
    "Bu\ud800di",
    "\u202eBudi\u202c",
    "Bu\u200bdi",
    "\x0b=1+1",
    "a" * 81,
    "x" * 100,
    "ΐ" * 80,
    "İ" * 80,
    "&'\"",
]


def _random_names(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 120))) for _ in range(count)
    ]


SAMPLES = NASTY + _random_names(18, 8)


def _surrogate_free(text: str) -> str:
    """What Telegram can deliver: its JSON is UTF-8, which cannot carry a lone surrogate."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _bounded(value: str | None, limit: int) -> None:
    if value is None:
        return
    assert len(value) <= limit, (limit, value)
    assert not any(unicodedata.category(ch)[0] == "C" for ch in value), ascii(value)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _workbook(name: str) -> bytes | None:
    """A one-row workbook (None: openpyxl itself cannot write a cell with these characters)."""
    import openpyxl
    from openpyxl.utils.exceptions import IllegalCharacterError

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    try:
        sheet.append(["source", "target"])
        sheet.append([name, "Rina"])
    except IllegalCharacterError:
        return None
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_random_unicode_at_every_entry_point_is_bounded(db: Database) -> None:
    sari = Chat(db, 2200)
    await sari.onboard("Sari Dewi")
    await network_home(sari)
    for i, raw in enumerate(SAMPLES):
        text = _surrogate_free(raw)
        # A participant's name and unit.
        newcomer = Person(db, 2300 + i)
        await newcomer.say("/start")
        await newcomer.press("agree")
        await newcomer.press("lang:id")
        await newcomer.say(text)
        await newcomer.say(text)
        # Actors: /tambah, /hubung, a quick line, a CSV import.
        await sari.say("/peta")
        await sari.say(f"/tambah {text}")
        await sari.say("/peta")
        await sari.say(f"/hubung {text} - Budi kuat")
        await sari.say("/peta")
        await sari.say(f"{text} - Ani")
        await sari.say("/peta")
        row = f"{text},Rina\n".encode("utf-8", "surrogatepass")
        await sari.send(csv_event(b"source,target\n" + row))
        await sari.say("/peta")
        book = _workbook(text)
        if book is not None:  # an XLSX file goes through the same rows
            await sari.send(
                Event(EventKind.DOCUMENT, document=Document("peta.xlsx", XLSX, len(book), book))
            )
            await sari.say("/peta")
        # Typed into the guided ➕ (the module's questions), then straight back to the map.
        await sari.press("add")
        await sari.say(text)
        await sari.say("/peta")
        # A case map's title.
        await sari.press("maps")
        await sari.press("new")
        await sari.say(text)
        await sari.press("skip")
        await sari.say("/peta")
        # A cohort's name (lone surrogates included: an operator's shell can pass anything).
        with contextlib.suppress(cohorts.CohortNameError):
            await cohorts.create_cohort(db, raw, now=NOW)
    with transaction(db) as session:
        for name, unit in session.execute(select(Participant.name, Participant.unit)):
            _bounded(name, NAME_MAX)
            _bounded(unit, 120)
        for name, key in session.execute(select(Actor.name, Actor.name_key)):
            _bounded(name, NAME_MAX)
            _bounded(key, KEY_MAX)
        for (title,) in session.execute(select(NetworkMap.title)):
            _bounded(title, 120)
        for (name,) in session.execute(select(Cohort.name)):
            _bounded(name, 120)
        actors = (session.execute(select(Actor.name))).scalars().all()
        # Refused or stored, never a value the database would not take: nothing set aside.
        letters = session.execute(select(DeadLetter.error_class, DeadLetter.error)).all()
    assert letters == []
    assert "Budi" in actors  # the entry points did work
