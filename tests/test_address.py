"""Onboarding asks how to address the participant (Bapak, Ibu, or by name); the bot uses it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from coaching import feedback, payloads, text
from coaching.address import salutation, short_name
from coaching.journey_pdf import chosen_form, map_heading
from coaching.model import Waiting
from coaching.nudges import compose
from storage import participants
from storage.db import Database
from storage.exports import participant_data
from storage.models import OutboxMessage, Participant
from tests.support import NOW, Conversation, Said, said, transaction
from tests.test_language import glossary, visible
from tests.test_reminders_storage import (
    MONDAY_8_WIB,
    Clock,
    current_seq,
    dispatcher,
    nudges,
)
from tests.test_reminders_storage import event as reminder_event


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


# --- {{ Anda }}: the texts say Bapak, Ibu or Anda as the participant chose ------------------------


def _everything(said_now: list[Said]) -> str:
    return "\n".join(
        [s.plain for s in said_now] + [label for s in said_now for _, label in s.buttons]
    )


@pytest.mark.parametrize(("chosen", "word"), [("ibu", "Ibu"), ("bapak", "Bapak"), ("name", "Anda")])
def test_a_lesson_the_menu_and_help_say_what_the_participant_chose(chosen: str, word: str) -> None:
    convo = onboarded(chosen=chosen)
    lesson = _everything(convo.press("m:bab2"))  # Bab II's lesson screen
    assert convo.snap.state.startswith("bab2."), convo.snap.state
    assert f"refleksi {word} (Latihan II.1 dan II.2)" in lesson, lesson
    convo.send("/menu")
    typed = _everything(convo.send("Pak Budi; Bappeda; kuat"))  # at the menu, before any map
    assert convo.snap.state == "menu.new_map"
    assert f"{word} belum memiliki peta jejaring" in typed
    assert f"peta jejaring personal</b> {word}" in convo.last[0].html
    helped = _everything(convo.send("/bantuan"))
    assert f"menu utama dan kemajuan {word}" in helped
    convo.send("/menu")
    made = _everything(convo.press("net"))
    assert f"{word} sendiri ada di tengahnya" in made
    if word != "Anda":
        assert "Anda" not in lesson + typed + helped + made


def test_a_draft_answers_feedback_says_ibu_in_the_conversation() -> None:
    convo = onboarded(chosen="ibu")
    convo.press("x:bab2.latihan1")
    answered = _everything(convo.send("Saya punya teman seangkatan di Bappeda."))
    assert "Ibu" in answered and "Anda" not in answered, answered


def test_english_says_you_whatever_the_form() -> None:
    convo = onboarded("Budi Santoso", "en", chosen="bapak")
    convo.press("m:bab2")
    assert "your reflection" in convo.last[0].plain.lower() or "you" in convo.last[0].plain
    assert "Bapak" not in convo.last[0].plain and "Anda" not in convo.last[0].plain


def test_a_nudge_says_ibu_and_keeps_a_name_inert() -> None:
    reply = compose(5, Waiting(), name="<b>Sari</b> & co", zone=None)
    assert reply is not None
    ibu = payloads.nudge("id", reply, 5, you="ibu")["text"]
    assert "menunggu Ibu" in ibu and "Anda" not in ibu
    assert "&lt;b&gt;Sari&lt;/b&gt; &amp; co" in ibu and "<b>Sari</b>" not in ibu
    assert "menunggu Anda" in payloads.nudge("id", reply, 5, you="name")["text"]
    assert "menunggu Anda" in payloads.nudge("id", reply, 5)["text"]  # not chosen yet
    coach = compose(5, Waiting(), name=None, zone=None, coach=True, message="<i>Ayo</i>")
    assert coach is not None
    said_by_coach = payloads.nudge("id", coach, 5, you="bapak")["text"]
    assert "coach Bapak" in said_by_coach and "&lt;i&gt;Ayo&lt;/i&gt;" in said_by_coach


def test_a_name_with_markup_stays_text_beside_ibu() -> None:
    html = text.render("id", "onboarding.ask_unit", you="ibu", name="<b>Ibu Sari</b>")
    assert "mana Ibu bertugas" in html and "&lt;b&gt;Ibu Sari&lt;/b&gt;" in html
    assert "<b>Ibu Sari</b>" not in html


def test_the_journey_pdfs_map_heading_says_ibu() -> None:
    shown = {
        "kind": "personal",
        "title": "",
        "counts": {
            "actors": 3,
            "ties": 2,
            "ego": True,
            "actors_without_ego": 2,
            "ties_without_ego": 1,
        },
    }
    data = {"answers": [{"exercise": "profile.address", "text": "ibu"}], "maps": [shown]}
    assert chosen_form(data) == "ibu"
    assert chosen_form({"answers": [{"exercise": "profile.address", "text": "tuan"}]}) is None
    assert chosen_form({}) is None  # a coach's copy leaves profile.* out: Anda
    heading = map_heading(shown, "id", you=chosen_form(data))
    assert heading.endswith("(termasuk Ibu; tanpa Ibu: 2 aktor, 1 hubungan)"), heading
    assert "termasuk Anda" in map_heading(shown, "id")
    assert "you included" in map_heading(shown, "en", you="ibu")


async def test_the_app_renders_the_chosen_form_in_chat_and_in_a_nudge(db: Database) -> None:
    """Through storage: the conversation's outbox, a routine nudge and the export's PDF data."""
    steps: list[tuple[str, bool]] = [
        ("/start", False),
        ("agree", True),
        ("lang:id", True),
        ("Dr. Sari Dewi, M.Si.", False),
        ("addr:ibu", True),
        ("Bappeda Kabupaten Karawang", False),
        ("WIB", True),
        ("daily", True),
    ]
    for number, (step, pressed) in enumerate(steps, start=1):
        seq = await current_seq(db) if pressed else None
        await reminder_event(db, step, number, seq=seq)
    helped = await reminder_event(db, "/bantuan", 20)
    with transaction(db) as session:
        shown = [session.get(OutboxMessage, i) for i in helped.outbox_ids]
        body = "\n".join(m.payload["text"] for m in shown if m is not None)
        assert "menu utama dan kemajuan Ibu" in body and "Anda" not in body
    dispatch, _ = dispatcher(db, Clock(MONDAY_8_WIB))
    assert await dispatch.drain() == 1
    (message,) = await nudges(db)
    assert "menunggu Ibu" in message.payload["text"], message.payload["text"]
    assert "Anda" not in message.payload["text"]
    with transaction(db) as session:
        pid = session.execute(select(Participant.id)).scalar_one()
        assert participants.address_form(session, pid) == "ibu"
        assert chosen_form(participant_data(session, pid, NOW)) == "ibu"


# --- the templates: no bare "Anda" outside the glossary's keep_bare ------------------------------

_MACRO = re.compile(r"{%-?\s*macro\s+(\w+)")
_ANDA = re.compile(r"(?<![\w-])anda(?![\w-])", re.I)


def _bare_anda(path: Path) -> list[str]:
    """``file.j2:macro`` of each visible "Anda" in a template (``file.j2:-`` before its first
    macro), read as tests/test_language.py reads visible text: tags and comments left out."""
    source = path.read_text(encoding="utf-8")
    starts = [(m.start(), m.group(1)) for m in _MACRO.finditer(source)]
    chunks = [(0, "-"), *starts]
    found = []
    for (start, name), (end, _) in zip(chunks, [*chunks[1:], (len(source), "")], strict=True):
        found += [f"{path.name}:{name}" for _ in _ANDA.finditer(visible(source[start:end]))]
    return found


def test_every_anda_in_the_indonesian_templates_is_the_participants_address() -> None:
    keep = set(glossary()["address"]["keep_bare"])
    bare = [
        where
        for path in sorted((text.TEMPLATE_DIR / "id").glob("*.j2"))
        for where in _bare_anda(path)
        if where not in keep and where.split(":", 1)[0] not in keep
    ]
    assert bare == [], bare


def test_keep_bare_names_only_places_that_say_anda() -> None:
    """An entry of keep_bare that no longer holds a bare "Anda" is stale: drop it."""
    found = {
        where
        for path in sorted((text.TEMPLATE_DIR / "id").glob("*.j2"))
        for where in _bare_anda(path)
    }
    files = {where.split(":", 1)[0] for where in found}
    for entry in glossary()["address"]["keep_bare"]:
        assert entry in found or (":" not in entry and entry in files), entry


def test_the_check_sees_a_bare_anda_and_not_a_tag(tmp_path: Path) -> None:
    sample = tmp_path / "sample.j2"
    sample.write_text(
        '{# Anda in a comment #}{% set T = {"k": "Kasus " ~ Anda} %}\n'
        "{% macro a() %}Jejaring {{ Anda }}.{% endmacro %}\n"
        '{% macro b() %}Jejaring anda{{ " tanpa Anda" if x }}.{% endmacro %}\n',
        encoding="utf-8",
    )
    assert _bare_anda(sample) == ["sample.j2:b", "sample.j2:b"]


def test_english_templates_say_you() -> None:
    for path in sorted((text.TEMPLATE_DIR / "en").glob("*.j2")):
        assert "{{ Anda }}" not in path.read_text(encoding="utf-8"), path.name
