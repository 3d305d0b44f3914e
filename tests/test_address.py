"""Onboarding asks how to address the participant (Bapak, Ibu, or by name); the bot uses it."""

from __future__ import annotations

import pytest

from coaching import feedback
from coaching.address import salutation, short_name
from tests.support import Conversation, said


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


def onboarded(
    name: str = "Dr. Sari Dewi, M.Si.", language: str = "id", chosen: str = "ibu"
) -> Conversation:
    convo = to_unit(name, language)
    convo.press(f"addr:{chosen}")
    convo.send("Bappeda Kabupaten Karawang")
    convo.press("WIB")
    convo.press("daily")
    assert convo.snap.state == "menu.main"
    return convo


def _feedback(convo: Conversation, key: str, answer: str) -> str:
    reply = feedback.reply(convo.snap, key, feedback.assess(key, answer), answer)
    return said(convo.snap.locale, reply).plain


DRAFT_KEY = "bab2.latihan1"  # its follow-up question addresses the participant ({sapaan})


def test_feedback_addresses_the_participant_as_chosen() -> None:
    ibu = onboarded(chosen="ibu")
    text = _feedback(ibu, DRAFT_KEY, "Saya punya teman seangkatan di Bappeda.")
    assert "Ibu" in text and "Anda" not in text, text
    bapak = onboarded("Ir. Bambang Sutrisno MM", chosen="bapak")
    assert "Bapak" in _feedback(bapak, DRAFT_KEY, "Saya punya teman seangkatan di Bappeda.")
    by_name = onboarded("Sari Dewi", chosen="name")
    assert "Anda" in _feedback(by_name, DRAFT_KEY, "Saya punya teman seangkatan di Bappeda.")


def test_feedback_in_english_says_you_whatever_the_form() -> None:
    convo = onboarded("Budi Santoso", "en", chosen="bapak")
    text = _feedback(convo, DRAFT_KEY, "I have a classmate at the planning agency.")
    assert "you" in text and "Bapak" not in text


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_form_can_be_changed_later_with_sapaan(language: str) -> None:
    convo = onboarded("Dr. Sari Dewi, M.Si.", language, chosen="ibu")
    convo.press("kltb")  # somewhere in the bot
    where = convo.snap.state
    asked = convo.send("/sapaan")
    assert convo.snap.state == "settings.address"
    assert "Ibu Sari Dewi" in asked[-1].plain
    assert "✅ Ibu Sari Dewi" in [label for _, label in asked[-1].buttons]
    said = convo.press("addr:name")
    assert convo.snap.answers["profile.address"] == "name"
    assert convo.snap.state == where  # back where it was asked
    assert "Sari Dewi" in said[0].plain
    convo.send("/sapaan")
    convo.press("back")  # changes nothing
    assert convo.snap.answers["profile.address"] == "name" and convo.snap.state == where
    convo.send("/sapaan")
    convo.press("addr:bapak")
    welcome = convo.send("/start")
    assert ("Selamat datang kembali" if language == "id" else "Welcome back") in welcome[0].plain
    assert "Bapak Sari Dewi" in welcome[0].plain and "Dr." not in welcome[0].plain
    menu = convo.last[-1].plain
    assert menu.startswith("Menu utama — Bapak Sari Dewi" if language == "id" else "Main menu")


@pytest.mark.parametrize("forged", ["addr:tuan", "addr:", "lang:id"])
def test_a_forged_form_in_settings_changes_nothing(forged: str) -> None:
    convo = onboarded(chosen="ibu")
    convo.send("/sapaan")
    convo.press(forged)
    assert convo.snap.answers["profile.address"] == "ibu"
    assert convo.snap.state == "settings.address"


def test_sapaan_waits_for_onboarding() -> None:
    convo = to_unit("Sari Dewi")
    convo.send("/sapaan")
    assert convo.snap.state == "onboarding.unit"
