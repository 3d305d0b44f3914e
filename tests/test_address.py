"""Onboarding asks how to address the participant (Bapak, Ibu, or by name); the bot uses it."""

from __future__ import annotations

import pytest

from coaching.address import salutation, short_name
from tests.support import Conversation


def to_unit(name: str, language: str = "id") -> Conversation:
    convo = Conversation()
    convo.send("/start")
    convo.press("agree")
    convo.press(f"lang:{language}")
    convo.send(name)
    assert convo.snap.state == "onboarding.unit"
    return convo


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("Dr. Sari Dewi, M.Si.", "Sari Dewi"),
        ("Ir. H. Bambang Sutrisno MM", "Bambang Sutrisno"),
        ("Hj. Siti Aminah, S.Sos., M.AP", "Siti Aminah"),
        ("drg. Made Wirawan", "Made Wirawan"),
        ("Pak Budi", "Budi"),
        ("Dewi", "Dewi"),
        ("Dr.", "Dr."),
    ],
)
def test_titles_and_degrees_stay_out_of_a_greeting(name: str, short: str) -> None:
    assert short_name(name) == short


def test_the_participant_chooses_ibu_and_is_greeted_so() -> None:
    convo = to_unit("Dr. Sari Dewi, M.Si.")
    asked, unit = convo.last
    assert asked.plain.startswith("Senang berkenalan, Sari Dewi!")  # not "Dr. …, M.Si.!"
    assert [label for _, label in asked.buttons] == [
        "Bapak Sari Dewi",
        "Ibu Sari Dewi",
        "Sari Dewi",
    ]
    assert "unit kerja" in unit.plain
    convo.press("addr:ibu")
    assert convo.snap.answers["profile.address"] == "ibu" and convo.snap.state == "onboarding.unit"
    assert convo.outcome is not None and convo.outcome.replies[-1].edit  # the same message
    assert "✅ Ibu Sari Dewi" in [label for _, label in convo.last[-1].buttons]
    assert "profile.address" not in convo.snap.completed  # no exercise, no progress
    convo.send("Bappeda Kabupaten Karawang")
    convo.press("WIB")
    said = convo.press("daily")
    assert "Pendaftaran selesai, Ibu Sari Dewi!" in said[0].plain
    assert said[-1].plain.startswith("Menu utama — Ibu Sari Dewi")


def test_a_participant_who_does_not_choose_is_greeted_by_name_without_titles() -> None:
    convo = to_unit("Dr. Sari Dewi, M.Si.")
    convo.send("Bappeda Kabupaten Karawang")  # typed straight away: the unit
    convo.press("WIB")
    said = convo.press("daily")
    assert "Pendaftaran selesai, Sari Dewi!" in said[0].plain
    assert "Dr." not in said[-1].plain and "M.Si." not in said[-1].plain


def test_english_and_by_name() -> None:
    convo = to_unit("Budi Santoso", "en")
    assert convo.last[0].plain.startswith("Nice to meet you, Budi Santoso!")
    convo.press("addr:name")
    assert salutation(convo.snap) == "Budi Santoso"
    convo.press("addr:bapak")  # changed the mind: the last choice counts
    assert salutation(convo.snap) == "Bapak Budi Santoso"


@pytest.mark.parametrize("forged", ["addr:tuan", "addr:", "x:bab2.latihan1"])
def test_a_forged_choice_changes_nothing(forged: str) -> None:
    convo = to_unit("Sari Dewi")
    before = convo.snap
    convo.press(forged)
    assert convo.snap.answers == before.answers and convo.snap.state == "onboarding.unit"
