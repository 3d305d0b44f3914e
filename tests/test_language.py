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


def templates(locale: str) -> list[Path]:
    """The bot's templates, and the dashboard's and Mini App's texts (web/templates/text)."""
    return [*sorted((text.TEMPLATE_DIR / locale).glob("*.j2")), WEB_TEXTS / f"{locale}.j2"]


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
    for path in templates(locale):
        if path.name in quotes:
            continue
        body = visible(path.read_text(encoding="utf-8"))
        for name, concept in glossary()["concept"].items():
            for term in concept[f"avoid_{locale}"]:
                found += [(path.name, name, term, h) for h in hits(term, body)]
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
    for path in templates("id"):
        body = visible(path.read_text(encoding="utf-8"))
        for wrong, right in glossary()["eyd"].items():
            found += [(path.name, wrong, right, h) for h in hits(wrong, body)]
        found += [(path.name, "antar …", "antar…", m.group(0)) for m in _ANTAR.finditer(body)]
    assert found == [], found


def test_the_register_is_formal() -> None:
    found = []
    for path in templates("id"):
        body = visible(path.read_text(encoding="utf-8"))
        for casual in glossary()["register"]["avoid"]:
            word = casual.removeprefix(", ")
            lead = r",\s*" if casual.startswith(", ") else r"(?<![\w-])"
            pattern = re.compile(lead + re.escape(word) + r"(?![\w-])", re.I)
            found += [(path.name, casual, m.group(0)) for m in pattern.finditer(body)]
    assert found == [], found


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
    for path in templates("en"):
        body = visible(path.read_text(encoding="utf-8"))
        if path.name != "csv.j2":
            found += [(path.name, w, h) for w in ("kuat", "lemah") for h in hits(w, body)]
        found += [(path.name, p, h) for p in LITERAL_EN for h in hits(p, body)]
    assert found == [], found
