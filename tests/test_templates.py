"""Every message key the code uses exists in every locale, and the locales define the same keys."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from coaching import text
from coaching.curriculum import EXERCISES, MODULES
from tests.support import telegram_html_errors

REPO = Path(__file__).resolve().parent.parent
CODE_DIRS = ("coaching", "bot", "storage", "cli")
# Calls whose first argument is a message key, and keyword arguments that carry one.
KEY_CALLS = {"Reply", "note", "render", "has_text"}
KEY_POSITION = {"Option": 1}
KEY_KEYWORDS = {"toast"}


def _literal_keys() -> set[str]:
    keys: set[str] = set()
    for folder in CODE_DIRS:
        for path in (REPO / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                    position = KEY_POSITION.get(name, 0 if name in KEY_CALLS else None)
                    if name == "render":
                        position = 1
                    if position is not None and len(node.args) > position:
                        arg = node.args[position]
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            keys.add(arg.value)
                    for keyword in node.keywords:
                        if keyword.arg in KEY_KEYWORDS and isinstance(keyword.value, ast.Constant):
                            keys.add(str(keyword.value.value))
    return {k for k in keys if "." in k and " " not in k}


def _dynamic_keys() -> set[str]:
    keys = {e.text_key for e in EXERCISES.values()}
    keys |= {f"onboarding.btn_tz_{z.lower()}" for z in ("WIB", "WITA", "WIT")}
    keys |= {f"onboarding.btn_reminder_{c}" for c in ("daily", "weekly", "off")}
    keys |= {f"common.btn_lang_{loc}" for loc in text.LOCALES}
    from bot.app import COMMANDS

    keys |= {f"commands.{c}" for c in COMMANDS}
    return keys


def test_the_scan_finds_keys() -> None:
    keys = _literal_keys()
    assert {"onboarding.consent", "menu.main", "common.stale_button", "exercises.ask"} <= keys


@pytest.mark.parametrize("locale", text.LOCALES)
def test_every_key_used_in_code_exists(locale: str) -> None:
    missing = sorted(k for k in _literal_keys() | _dynamic_keys() if not text.has_text(locale, k))
    assert missing == [], f"missing in templates/{locale}/: {missing}"


def test_locales_define_the_same_keys() -> None:
    ids, ens = text.defined_keys("id"), text.defined_keys("en")
    assert ids == ens, {"only id": sorted(ids - ens), "only en": sorted(ens - ids)}


@pytest.mark.parametrize("locale", text.LOCALES)
def test_curriculum_texts_render_as_valid_telegram_html(locale: str) -> None:
    for module in MODULES:
        assert text.render(locale, "curriculum.title", chapter=module.key)
        for exercise in module.exercises:
            html = text.render(locale, exercise.text_key)
            assert telegram_html_errors(html) == [], (exercise.key, html)


def test_indonesian_uses_the_modules_vocabulary() -> None:
    consent = text.render("id", "onboarding.consent", version="v")
    help_text = text.render("id", "common.help", onboarded=True, state="menu.main")
    assert "Jejaring Kerja" in help_text and "widyaiswara" in consent
    assert "KNOW, LIKE, TRUST &amp; BUY" in text.render("id", "curriculum.bab2_latihan2")


def test_missing_key_raises() -> None:
    with pytest.raises(text.MissingText):
        text.render("id", "common.no_such_message")
