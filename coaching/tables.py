"""Exports people can open: labelled tables, as CSV Excel reads right (and as the XLSX
workbook of ``coaching.workbook``).

Pure, from the same plain data as every export (``storage/exports.py``: one dict per
participant). Each table is a list of rows whose headers and values are in the coach's
language (``templates/<locale>/exports.j2``): ``orang`` instead of ``person``, ``strategis``
instead of ``strategic``, an exercise's title ("Bab II Berjejaring · Latihan 1") and question
instead of ``bab2.latihan1``.

- :func:`xlsx_bytes` — one workbook (participants, answers, maps, actors, ties, KLTB, plans),
  made with openpyxl; header row bold and frozen, columns sized to their content.
- :func:`labelled_csv` — one table as CSV: ``;`` between cells for Indonesian (Excel with
  Indonesian regional settings expects it, as the decimal separator is ``,``), ``,`` for
  English; UTF-8 with a BOM.

Cells a spreadsheet would run as a formula get a leading ``'`` (as ``coaching.exports`` does),
and characters a workbook cannot hold are dropped, so a participant's text stays data.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from coaching import text
from coaching.curriculum import EXERCISES, MODULES, PRACTICE_KEY, overall_progress, progress_rows
from coaching.exports import ACTOR_FIELDS, TIE_FIELDS

TABLES: dict[str, tuple[str, ...]] = {
    "participants": ("participant", "unit", "cohort", "last_active", "progress"),
    "answers": (
        "participant",
        "exercise",
        "question",
        "text",
        "updated_at",
        "reviewed_at",
        "exchange",
    ),
    "maps": ("participant", "map", "kind", "actors", "ties", "stage", "updated_at"),
    "actors": ("participant", "map", *ACTOR_FIELDS),
    "ties": ("participant", "map", *TIE_FIELDS),
    "kltb": ("participant", "map", "actor", "step", "note", "next_action", "due_at", "done_at"),
    "plans": ("participant", "map", "source", "target", "status", "due_at", "closed_at", "note"),
}
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
# What a workbook's XML cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE: C0 controls but tab,
# newline and carriage return); CSV drops them too, so both say the same.
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_CHAPTERS = (*(m.key for m in MODULES), PRACTICE_KEY)


def delimiter(locale: str) -> str:
    """``;`` for Indonesian (Excel's list separator there), ``,`` otherwise."""
    return ";" if locale == "id" else ","


class Labels:
    """The export texts of one locale: column headers, sheet names, value labels."""

    def __init__(self, locale: str) -> None:
        self.locale = text.normalise_locale(locale)
        self._columns: Mapping[str, str] = text.template_value(self.locale, "exports", "COLUMNS")
        self._values: Mapping[str, Mapping[str, str]] = text.template_value(
            self.locale, "exports", "VALUES"
        )
        self._sheets: Mapping[str, str] = text.template_value(self.locale, "exports", "SHEETS")

    def column(self, key: str) -> str:
        if key in _CHAPTERS:
            return _plain(self.locale, "curriculum.short", chapter=key)
        return str(self._columns.get(key, key))

    def sheet(self, key: str) -> str:
        return str(self._sheets.get(key, key))

    def value(self, field: str, code: Any) -> str:
        """A stored code as the coach reads it; lists (resources, flows) joined with ", "."""
        if code is None or code == "":
            return ""
        if isinstance(code, list | tuple):
            return ", ".join(self.value(field, c) for c in code)
        labels = self._values.get(field) or {}
        return str(labels.get(str(code), code))

    def exercise(self, key: str) -> tuple[str, str]:
        """(title, question) of an answer's key; a lesson's reflection keeps its key."""
        return _exercise(self.locale, key)


@cache
def _exercise(locale: str, key: str) -> tuple[str, str]:
    exercise = EXERCISES.get(key)
    if exercise is None:
        return _plain(locale, "exports.other_answer", key=key), ""
    title = _plain(locale, "curriculum.exercise_label", key=key)
    return title, _plain(locale, exercise.text_key)


def _plain(locale: str, key: str, /, **context: Any) -> str:
    return text.html_to_plain(text.render(locale, key, **context))


def _day(moment: Any) -> str:
    """An ISO timestamp as its date (``2026-12-03``); anything else as it is."""
    return str(moment)[:10] if moment else ""


def _who(person: Mapping[str, Any]) -> str:
    info = person["participant"]
    return str(info.get("name") or f"P{info['id']}")


def table(kind: str, people: Sequence[Mapping[str, Any]], labels: Labels) -> list[list[Any]]:
    """One labelled table: the header row, then a row per item (values in the locale)."""
    if kind not in TABLES:
        raise ValueError(f"unknown table {kind!r}")
    columns: tuple[str, ...] = TABLES[kind]
    if kind == "participants":
        columns = (*columns, *_CHAPTERS)
    rows: list[list[Any]] = [[labels.column(c) for c in columns]]
    rows += [list(r) for r in _rows(kind, people, labels)]
    return rows


def _rows(
    kind: str, people: Sequence[Mapping[str, Any]], labels: Labels
) -> Iterable[Sequence[Any]]:
    v = labels.value
    for person in people:
        who = _who(person)
        info = person["participant"]
        maps = person.get("maps") or []
        if kind == "participants":
            done = frozenset(p["item"] for p in person.get("progress") or [])
            total_done, total = overall_progress(done)
            chapters = [f"{d}/{t}" for _, d, t in progress_rows(done)]
            yield (
                who,
                info.get("unit") or "",
                info.get("cohort") or "",
                _day(info.get("last_active_at")),
                f"{total_done}/{total}",
                *chapters,
            )
        elif kind == "answers":
            for a in person.get("answers") or []:
                if str(a["exercise"]).endswith(".resume"):
                    continue
                title, question = labels.exercise(str(a["exercise"]))
                exchange = " | ".join(
                    f"{n.get('author')} {_day(n.get('at'))}: {n.get('text')}"
                    for n in a.get("exchange") or []
                )
                yield (
                    who,
                    title,
                    question,
                    a["text"],
                    _day(a.get("updated_at")),
                    _day(a.get("reviewed_at")),
                    exchange,
                )
        for m in maps:
            title = _map_title(m, labels)
            if kind == "maps":
                counts = m.get("counts") or {}
                yield (
                    who,
                    title,
                    v("kind", m.get("kind")),
                    counts.get("actors", len(m.get("actors") or [])),
                    counts.get("ties", len(m.get("ties") or [])),
                    v("stage", m.get("stage")),
                    _day(m.get("updated_at")),
                )
            elif kind == "actors":
                for a in m.get("actors") or []:
                    inside = a.get("inside")
                    yield (
                        who,
                        title,
                        a["name"],
                        v("is_ego", str(bool(a.get("is_ego")))),
                        v("kind", a.get("kind")),
                        a.get("role") or "",
                        v("inside", None if inside is None else str(bool(inside))),
                        v("resources", a.get("resources") or []),
                        a.get("needs") or "",
                        v("ibarra", a.get("ibarra")),
                        v("kltb_step", a.get("kltb_step")),
                    )
            elif kind == "ties":
                for t in m.get("ties") or []:
                    yield (
                        who,
                        title,
                        t["source"],
                        t["target"],
                        v("strength", t.get("strength")),
                        v("direction", t.get("direction")),
                        v("flows", t.get("flows") or []),
                    )
            elif kind == "kltb":
                for a in m.get("actors") or []:
                    for k in a.get("kltb") or []:
                        yield (
                            who,
                            title,
                            a["name"],
                            v("step", k.get("step")),
                            k.get("note") or "",
                            k.get("next_action") or "",
                            _day(k.get("due_at")),
                            _day(k.get("done_at")),
                        )
            elif kind == "plans":
                for p in m.get("planned_ties") or []:
                    status = "done" if p.get("done_at") else p.get("status")
                    yield (
                        who,
                        title,
                        p["source"],
                        p["target"],
                        v("status", status),
                        _day(p.get("due_at")),
                        _day(p.get("done_at") or p.get("dropped_at")),
                        p.get("note") or "",
                    )


def _map_title(network_map: Mapping[str, Any], labels: Labels) -> str:
    if network_map.get("kind") == "personal":
        return labels.value("kind", "personal")
    return str(network_map.get("title") or "")


def safe(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    cell = _ILLEGAL.sub("", str(value))
    return "'" + cell if cell.startswith(_FORMULA) else cell


def labelled_csv(kind: str, people: Sequence[Mapping[str, Any]], locale: str) -> bytes:
    """One table as CSV in the coach's language: ``;`` for Indonesian, UTF-8 with a BOM."""
    labels = Labels(locale)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter(labels.locale), lineterminator="\r\n")
    for row in table(kind, people, labels):
        writer.writerow([safe(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8", "replace")
