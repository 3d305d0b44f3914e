"""The templates speak as a PKA participant writes: one term per concept (templates/glossary.toml),
EYD spelling, a formal register; and the glossary itself stays true to the templates."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from coaching import text

GLOSSARY = text.TEMPLATE_DIR / "glossary.toml"
_COMMENT = re.compile(r"{#.*?#}", re.S)
_BLOCK = re.compile(r"{%.*?%}|{{.*?}}", re.S)
_STRING = re.compile(r"\"([^\"\\]*)\"|'([^'\\]*)'")
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:%\-]*$")
# "antar" is a bound prefix in EYD (antarpihak, antarkluster): never a word of its own.
_ANTAR = re.compile(r"(?<![\w-])antar\s+(?!jemput)\w", re.I)


@cache
def glossary() -> dict[str, Any]:
    return tomllib.loads(GLOSSARY.read_text(encoding="utf-8"))


def visible(source: str) -> str:
    """What a template can show: its text, and the strings inside its tags that read as words
    (not identifiers such as ``"stakeholders"`` or ``"no_stakeholders"``)."""

    def strings(block: re.Match[str]) -> str:
        found = (a or b for a, b in _STRING.findall(block.group(0)))
        return " " + " \n ".join(s for s in found if not _IDENTIFIER.match(s)) + " "

    return _BLOCK.sub(strings, _COMMENT.sub("", source))


WEB_TEXTS = Path(__file__).resolve().parent.parent / "web" / "templates" / "text"


RUBRICS = Path(__file__).resolve().parent.parent / "coaching" / "rubrics.toml"


def templates(locale: str) -> list[Path]:
    """The bot's templates, and the dashboard's and Mini App's texts (web/templates/text)."""
    return [*sorted((text.TEMPLATE_DIR / locale).glob("*.j2")), WEB_TEXTS / f"{locale}.j2"]


def rubric_text(locale: str) -> str:
    """What the feedback shows of the rubrics (coaching/rubrics.toml): each key point's label
    and follow-up question, and the notes on mixed-up concepts; not the terms it matches."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                shown = name.startswith(("label_", "ask_", "note_")) and name.endswith(locale)
                if isinstance(value, str) and shown:
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tomllib.loads(RUBRICS.read_text(encoding="utf-8")))
    return "\n".join(found)


def shown(locale: str) -> list[tuple[str, str]]:
    """Every text the checks read: each template's visible text, and the rubrics'."""
    return [
        *((p.name, visible(p.read_text(encoding="utf-8"))) for p in templates(locale)),
        (RUBRICS.name, rubric_text(locale)),
    ]


def test_the_checks_read_the_rubrics_too() -> None:
    for locale in ("id", "en"):
        body = rubric_text(locale)
        assert "Krebs" in body and "terms_" not in body
    assert "{sapaan}" in rubric_text("id") and "{sapaan}" not in rubric_text("en")


def test_the_checks_read_the_dashboard_and_mini_app_texts_too() -> None:
    for locale in ("id", "en"):
        shown = [p for p in templates(locale) if p.parent == WEB_TEXTS]
        assert [p.name for p in shown] == [f"{locale}.j2"] and shown[0].is_file()
        assert "mini_title" in shown[0].read_text(encoding="utf-8")  # the Mini App's strings


def hits(term: str, body: str) -> list[str]:
    pattern = re.compile(r"(?<![\w-])" + re.escape(term) + r"(?![\w-])", re.I)
    return [body[max(0, m.start() - 40) : m.end() + 40] for m in pattern.finditer(body)]


@pytest.mark.parametrize("locale", ["id", "en"])
def test_one_term_per_concept(locale: str) -> None:
    quotes = set(glossary()["quotes"])
    found = []
    for name_, body in shown(locale):
        if name_ in quotes:
            continue
        for name, concept in glossary()["concept"].items():
            for term in concept[f"avoid_{locale}"]:
                found += [(name_, name, term, h) for h in hits(term, body)]
    assert found == [], found


@pytest.mark.parametrize("locale", ["id", "en"])
def test_each_concepts_term_is_the_one_the_templates_use(locale: str) -> None:
    everything = " ".join(visible(p.read_text(encoding="utf-8")) for p in templates(locale))
    for name, concept in glossary()["concept"].items():
        assert hits(concept[locale], everything) or concept[locale].lower() in everything.lower(), (
            name
        )


def test_indonesian_is_spelled_as_eyd_spells_it() -> None:
    found = []
    for name, body in shown("id"):
        for wrong, right in glossary()["eyd"].items():
            found += [(name, wrong, right, h) for h in hits(wrong, body)]
        found += [(name, "antar …", "antar…", m.group(0)) for m in _ANTAR.finditer(body)]
    assert found == [], found


def test_the_register_is_formal() -> None:
    found = []
    for name, body in shown("id"):
        for casual in glossary()["register"]["avoid"]:
            found += [(name, casual, m.group(0)) for m in casual_form(casual).finditer(body)]
        for tag in glossary()["register"]["tags"]:
            found += [(name, tag, m.group(0)) for m in sentence_tag(tag).finditer(body)]
    assert found == [], found


def casual_form(casual: str) -> re.Pattern[str]:
    word = casual.removeprefix(", ")
    lead = r",\s*" if casual.startswith(", ") else r"(?<![\w-])"
    return re.compile(lead + re.escape(word).replace(r"\ ", r"\s+") + r"(?![\w-])", re.I)


def sentence_tag(tag: str) -> re.Pattern[str]:
    """A spoken tag closing a sentence: "… kelas berikut ya." (not "Ya, hapus")."""
    return re.compile(r"(?<=\w)\s+" + re.escape(tag) + r"\s*[.!?]", re.I)


def test_the_register_check_finds_the_casual_forms_fixed_in_issue_13() -> None:
    casual = (
        "Pelan-pelan, ya. Kita selesaikan pendaftaran dulu, ya. Tidak usah. Kalau sempat, "
        "nggak apa-apa aja. Saya tunggu kabarnya di kelas berikut ya. Peta ini belum punya aktor."
    )
    caught = {c for c in glossary()["register"]["avoid"] if casual_form(c).search(casual)}
    caught |= {t for t in glossary()["register"]["tags"] if sentence_tag(t).search(casual)}
    assert {", ya", "dulu, ya", "pelan-pelan", "tidak usah", "kalau", "nggak", "aja"} <= caught
    assert {"punya", "dulu", "ya"} <= caught
    formal = "Ya, hapus semuanya. Jika sempat, tambahkan aktor terlebih dahulu. Memiliki data."
    assert not [c for c in glossary()["register"]["avoid"] if casual_form(c).search(formal)]
    assert not [t for t in glossary()["register"]["tags"] if sentence_tag(t).search(formal)]


def test_the_checks_see_what_a_template_shows_and_only_that() -> None:
    source = (
        '{# pemangku kepentingan #}{% set T = {"stakeholders": "Pilih aktor"} %}'
        '{% macro no_stakeholders() %}Bekerjasama {{ "antar pihak" if x else "" }}{% endmacro %}'
    )
    shown = visible(source)
    assert "pemangku" not in shown and "stakeholders" not in shown
    assert "Pilih aktor" in shown and "Bekerjasama" in shown and "antar pihak" in shown
    assert hits("bekerjasama", shown) and _ANTAR.search(shown)
    assert not hits("aktor", "antaraktor") and not hits("ya", "daya")


# Literal renderings of the Indonesian found when the English was read through (issue 13).
LITERAL_EN = (
    "is walked",
    "are walked",
    "this message of yours",
    "Continue with the next one",
    # issue 13 item 8: the lessons, the CSV errors and the Krebs & Holley patterns
    "I am waiting for a text answer",
    "column titles",
    "is not known",
    "restructuring patterns",
    "the network's stage",
)


def test_english_examples_use_english_words_and_read_naturally() -> None:
    """An English user types strong/weak (the parser takes both languages): the English
    examples teach the English words; the CSV help may name the Indonesian ones beside them."""
    found = []
    for name, body in shown("en"):
        if name != "csv.j2":
            found += [(name, w, h) for w in ("kuat", "lemah") for h in hits(w, body)]
        found += [(name, p, h) for p in LITERAL_EN for h in hits(p, body)]
    assert found == [], found
