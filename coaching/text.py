"""All user-facing text, rendered from ``templates/<locale>/<group>.j2``.

A message key is ``"<group>.<name>"``: the file ``templates/<locale>/<group>.j2`` defines
``{% macro name(...) %}``. Output is Telegram HTML; autoescaping makes every value passed in
(user text included) inert, so templates never need to remember ``|e``.
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

LOCALES: tuple[str, ...] = ("id", "en")
DEFAULT_LOCALE = "id"
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"


def many(number: int, noun: str) -> str:
    """``number`` with an English ``noun`` in the singular or the plural: "1 tie", "3 ties".

    >>> many(1, "tie"), many(0, "actor"), many(8, "actor")
    ('1 tie', '0 actors', '8 actors')
    """
    return f"{number} {noun if number == 1 else noun + 's'}"


class MissingText(LookupError):
    """A message key has no template in the requested locale."""


# How an Indonesian text says "you" to the participant: ``{{ Anda }}`` in templates/id, from
# the form of address they chose (coaching/address.py). "Bapak" and "Ibu" are capitalised
# mid-sentence as "Anda" is; by name, or not chosen yet, it stays "Anda".
YOU_WORDS: dict[str | None, str] = {"bapak": "Bapak", "ibu": "Ibu"}
YOU_DEFAULT = "Anda"


def you_word(form: str | None) -> str:
    """The word ``{{ Anda }}`` renders as for a participant who chose ``form``.

    >>> you_word("ibu"), you_word("name"), you_word(None)
    ('Ibu', 'Anda', 'Anda')
    """
    return YOU_WORDS.get(form, YOU_DEFAULT)


@cache
def _environment(you: str = YOU_DEFAULT) -> jinja2.Environment:
    """One environment per word for "you": a global reaches every template, the ones a
    template imports included, and each environment caches its own compiled templates."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["bar"] = progress_bar
    env.filters["many"] = many
    env.globals["Anda"] = you
    return env


@cache
def _module(locale: str, group: str, you: str = YOU_DEFAULT) -> Any:
    try:
        return _environment(you).get_template(f"{locale}/{group}.j2").module
    except jinja2.TemplateNotFound as exc:
        raise MissingText(f"{locale}/{group}.j2") from exc


def normalise_locale(locale: str | None) -> str:
    return locale if locale in LOCALES else DEFAULT_LOCALE


def has_text(locale: str, key: str) -> bool:
    group, _, name = key.partition(".")
    try:
        return callable(getattr(_module(locale, group), name, None))
    except MissingText:
        return False


def render(locale: str, key: str, /, *, you: str | None = None, **context: Any) -> str:
    """Render message ``key`` in ``locale`` as Telegram HTML, trimmed of outer blank lines.

    ``you``: the participant's chosen form of address (``address.form``), which ``{{ Anda }}``
    says; None (unknown, or a text for a coach) keeps "Anda".
    """
    group, _, name = key.partition(".")
    macro = getattr(_module(normalise_locale(locale), group, you_word(you)), name, None)
    if not callable(macro):
        raise MissingText(f"{locale}:{key}")
    return _tidy(str(macro(**context)))


def template_value(locale: str, group: str, name: str, *, you: str | None = None) -> Any:
    """A table a template file defines at its top (``{% set NAME = {...} %}``): labels that
    exports look up per cell, too many to render a macro for each."""
    found = getattr(_module(normalise_locale(locale), group, you_word(you)), name, None)
    if found is None or callable(found):
        raise MissingText(f"{locale}:{group}.{name}")
    return found


def defined_keys(locale: str) -> set[str]:
    """Every message key the locale defines (for the parity tests)."""
    keys: set[str] = set()
    for path in sorted((TEMPLATE_DIR / locale).glob("*.j2")):
        module = _module(locale, path.stem)
        keys.update(
            f"{path.stem}.{name}"
            for name in dir(module)
            if not name.startswith("_") and callable(getattr(module, name))
        )
    return keys


def progress_bar(done: int, total: int, width: int = 10) -> str:
    """``▓▓▓░░░░░░░ 3/10`` — a bar that reads on a phone in any font."""
    if total <= 0:
        return "░" * width + " 0/0"
    filled = round(width * min(done, total) / total)
    return "▓" * filled + "░" * (width - filled) + f" {min(done, total)}/{total}"


_BLANK_RUNS = re.compile(r"\n{3,}")
_TAG = re.compile(r"<[^>]+>")


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines))


def html_to_plain(text: str) -> str:
    """Telegram HTML to terminal text: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", text))


TELEGRAM_TEXT_MAX = 4096
CAPTION_MAX = 1024


def visible_length(html_text: str) -> int:
    """Length as Telegram counts it: visible text after entity parsing, in UTF-16 units."""
    return len(html_to_plain(html_text).encode("utf-16-le")) // 2


def split_message(html_text: str, limit: int = TELEGRAM_TEXT_MAX) -> list[str]:
    """Split at paragraph, then line boundaries so no part exceeds ``limit`` visible characters.

    Our templates never open a tag across a line break, so whole lines are always valid HTML.
    A single line longer than the limit (only possible with user text) is cut as plain text.
    """
    if visible_length(html_text) <= limit:
        return [html_text]
    parts: list[str] = []
    current = ""
    for line in html_text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if visible_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        if visible_length(line) <= limit:
            current = line
            continue
        plain = html_to_plain(line)
        chunks = [plain[i : i + limit // 2] for i in range(0, len(plain), limit // 2)]
        parts.extend(html.escape(chunk, quote=False) for chunk in chunks[:-1])
        current = html.escape(chunks[-1], quote=False)
    if current:
        parts.append(current)
    return parts


BUTTON_LABEL_MAX = 60


def first_line(
    locale: str, key: str, /, limit: int = 80, *, you: str | None = None, **context: object
) -> str:
    """A message's first line of text, plain, cut to ``limit`` characters (a summary's)."""
    plain = html_to_plain(render(locale, key, you=you, **context))
    line = next((part.strip() for part in plain.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def button_label(locale: str, key: str, /, *, you: str | None = None, **context: object) -> str:
    """A button's text: plain, one line, short enough to read on a phone (:func:`shorten`)."""
    return shorten(" ".join(html_to_plain(render(locale, key, you=you, **context)).split()))


# What a cut label does not end with before its "…": a separator or punctuation left dangling.
_DANGLING = " ·•-–—,;:/|(["


def shorten(label: str, limit: int = BUTTON_LABEL_MAX) -> str:
    """``label`` within ``limit`` characters: cut at a word's end with an ellipsis, not in the
    middle of a word ("↩️ Balas #12 · Latihan II.1 Refleksi…"). A single word longer than
    half the room is cut inside it (else almost nothing would be left).

    >>> shorten("Balas #3 · Refleksi tentang jejaring kerja", 30)
    'Balas #3 · Refleksi tentang…'
    >>> shorten("Balas #3 · Refleksi", 30)
    'Balas #3 · Refleksi'
    """
    if len(label) <= limit:
        return label
    cut = label[: limit - 1]
    if not label[limit - 1].isspace():  # the cut falls inside a word: back to its start
        start = cut.rfind(" ")
        if start >= limit // 2:
            cut = cut[:start]
    return cut.rstrip(_DANGLING) + "…"
