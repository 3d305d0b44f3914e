"""The pure conversation engine: onboarding, menu, exercises, commands, bad input."""

from __future__ import annotations

import pytest

from coaching import engine
from coaching.curriculum import EXERCISES, MODULES
from coaching.model import Document, Event, EventKind, JoinCohort, RecordConsent, SaveAnswer
from tests.support import Conversation, telegram_html_errors

ONBOARDING_STEPS = [
    "onboarding.consent",
    "onboarding.language",
    "onboarding.name",
    "onboarding.unit",
    "onboarding.timezone",
    "onboarding.reminder",
]

BAD_INPUTS: list[Event | str] = [
    Event(EventKind.UNSUPPORTED, media="sticker"),
    Event(EventKind.UNSUPPORTED, media="photo"),
    "   ",
    "x" * 10_000,
    "<b>Sari</b>",
    "</code>",
    "😀🎉",
    "/menu",
    "/analisis",
    Event(EventKind.DOCUMENT, document=Document("peta.csv", "text/csv", 120)),
]


def reach(step: str, language: str = "id") -> Conversation:
    """A participant stopped at ``step`` of onboarding."""
    convo = Conversation()
    convo.send("/start")
    moves = [
        lambda: convo.press("agree"),
        lambda: convo.press(f"lang:{language}"),
        lambda: convo.send("Sari Dewi"),
        lambda: convo.send("Bappeda Kabupaten Karawang"),
        lambda: convo.press("WIB"),
    ]
    for move in moves[: ONBOARDING_STEPS.index(step)]:
        move()
    assert convo.snap.state == step
    return convo


def test_start_opens_indonesian_consent_with_buttons() -> None:
    convo = Conversation()
    said = convo.send("/start")
    assert convo.snap.state == "onboarding.consent"
    assert [s.key for s in said] == ["onboarding.welcome", "onboarding.consent"]
    assert "Persetujuan" in said[1].plain and "UU No. 27 Tahun 2022" in said[1].plain
    assert convo.buttons == ["agree", "decline", "lang:en"]


def test_full_onboarding_stores_everything_and_lands_on_menu() -> None:
    convo = Conversation()
    convo.onboard(name="Budi Santoso")
    profile = convo.snap.profile
    assert (profile.name, profile.unit, profile.timezone, profile.reminder) == (
        "Budi Santoso",
        "Bappeda Kabupaten Karawang",
        "Asia/Jakarta",
        "daily",
    )
    assert profile.consent_at is not None
    menu = convo.last[-1]
    assert menu.key == "menu.main"
    assert "░░░░░░░░░░ 0/25" in menu.plain
    assert convo.buttons[0] == "next"
    assert {f"m:{m.key}" for m in MODULES} <= set(convo.buttons)


def test_consent_is_recorded_with_its_version_and_join_code_kept() -> None:
    convo = Conversation()
    convo.send("/start join_ABC123")
    convo.press("agree")
    assert convo.outcome is not None
    kinds = {type(e) for e in convo.outcome.effects}
    assert kinds == {RecordConsent, JoinCohort}
    assert JoinCohort("ABC123") in convo.outcome.effects


def test_declining_consent_stores_nothing_and_offers_to_agree_later() -> None:
    convo = reach("onboarding.consent")
    said = convo.press("decline")
    assert convo.outcome is not None and convo.outcome.effects == ()
    assert convo.snap.profile.consent_at is None
    assert said[0].key == "onboarding.declined" and convo.buttons == ["agree"]
    convo.press("agree")
    assert convo.snap.state == "onboarding.language"


def test_consent_can_switch_to_english_before_agreeing() -> None:
    convo = reach("onboarding.consent")
    said = convo.press("lang:en")
    assert convo.snap.locale == "en" and convo.snap.state == "onboarding.consent"
    assert "Consent to store your data" in said[-1].plain


@pytest.mark.parametrize("step", ONBOARDING_STEPS)
@pytest.mark.parametrize("language", ["id", "en"])
def test_bad_input_at_every_onboarding_step_is_re_asked(step: str, language: str) -> None:
    for bad in BAD_INPUTS:
        convo = reach(step, language=language if step != "onboarding.consent" else "id")
        before = convo.snap
        said = convo.send(bad)
        assert convo.snap.state == step, bad
        assert convo.snap.profile == before.profile, bad
        assert said, f"no answer to {bad!r} at {step}"
        for message in said:
            assert telegram_html_errors(message.html) == [], (bad, message.html)
        # The re-ask speaks the participant's language.
        if convo.snap.locale == "en":
            assert not any("Silakan" in s.plain or "Ketik" in s.plain for s in said), said
        # The conversation continues: the right answer still works afterwards.
        assert not convo.outcome or convo.outcome.toast is None


def test_markup_in_a_name_is_refused_not_interpreted() -> None:
    convo = reach("onboarding.name")
    said = convo.send("<b>Sari</b>")
    assert said[0].key == "onboarding.bad_name_chars"
    assert convo.snap.profile.name is None


def test_markup_in_an_answer_is_stored_as_text_and_escaped_when_echoed() -> None:
    convo = Conversation()
    convo.onboard()
    convo.press("m:bab2")
    convo.press("x:bab2.latihan1")
    convo.send("Saya belajar bahwa <b>kesamaan</b> & </code> penting")
    assert (
        convo.snap.answers["bab2.latihan1"]
        == "Saya belajar bahwa <b>kesamaan</b> & </code> penting"
    )
    convo.press("x:bab2.latihan1")
    html = convo.last[-1].html
    assert "&lt;b&gt;kesamaan&lt;/b&gt; &amp; &lt;/code&gt;" in html
    assert telegram_html_errors(html) == []


def test_typed_button_label_chooses_like_a_button_and_a_number_only_where_shown() -> None:
    convo = reach("onboarding.timezone")
    convo.send("2")  # no button shows a number here: not a choice
    assert convo.snap.profile.timezone is None and convo.snap.state == "onboarding.timezone"
    convo.send("WITA")
    assert convo.snap.profile.timezone == "Asia/Makassar"
    convo = reach("onboarding.timezone")
    convo.send("wit")
    assert convo.snap.profile.timezone == "Asia/Jayapura"
    convo = reach("onboarding.timezone")
    convo.send("Asia/Tokyo")
    assert convo.snap.profile.timezone == "Asia/Tokyo"


def test_a_button_pressed_twice_has_one_effect() -> None:
    convo = reach("onboarding.consent")
    seq = convo.snap.seq
    convo.press("agree", seq=seq)
    after_first = convo.snap
    said = convo.press("agree", seq=seq)
    assert said == [] and convo.outcome is not None
    assert convo.outcome.toast == "common.stale_button"
    assert convo.outcome.effects == () and convo.snap == after_first


def test_forged_or_foreign_button_is_treated_as_stale() -> None:
    convo = Conversation()
    convo.onboard()
    before = convo.snap
    convo.send(Event(EventKind.CHOICE, choice="", seq=-1))
    assert convo.snap == before


def test_exercise_answer_is_saved_counted_and_editable() -> None:
    convo = Conversation()
    convo.onboard()
    convo.press("m:bab2")  # "what next" opens the lesson first; the exercise directly
    convo.press("x:bab2.latihan1")
    assert convo.snap.state == "exercises.answer"
    assert convo.snap.data["exercise"] == "bab2.latihan1"
    convo.send("Kesamaan latar belakang membuat kami cepat akrab.")
    assert convo.outcome is not None
    assert SaveAnswer("bab2.latihan1", "Kesamaan latar belakang membuat kami cepat akrab.") in (
        convo.outcome.effects
    )
    assert convo.snap.state == "exercises.list"
    assert "▓▓░░░░░░░░ 1/5" in convo.last[-1].plain
    convo.press("x:bab2.latihan1")
    assert "Kesamaan latar belakang" in convo.last[-1].plain  # previous answer shown
    better = "Jawaban yang diperbaiki: kesamaan nilai memudahkan kami bekerja sama."
    convo.send(better)
    assert convo.snap.answers["bab2.latihan1"] == better
    assert len(convo.snap.completed) == 1


def test_every_exercise_can_be_answered_in_any_order() -> None:
    convo = Conversation()
    convo.onboard()
    for key in reversed(sorted(EXERCISES)):
        module = key.split(".")[0]
        convo.send("/menu")
        convo.press(f"m:{module}")
        if convo.snap.state != "exercises.list":  # a guided module: its exercises are a tap away
            convo.press("exercises")
        convo.press(f"x:{key}")
        convo.send(f"Untuk {key}: hubungan antarpihak, tujuan bersama dan sumber daya jejaring.")
    assert convo.snap.completed == frozenset(EXERCISES)
    convo.send("/menu")
    assert "▓▓▓▓▓▓▓░░░ 18/25" in convo.last[-1].plain
    assert "next" not in convo.buttons


@pytest.mark.parametrize("bad", ["", "ok", "y" * 3501])
def test_bad_exercise_answers_are_re_asked(bad: str) -> None:
    convo = Conversation()
    convo.onboard()
    convo.press("m:bab2")  # "what next" opens the lesson first; the exercise directly
    convo.press("x:bab2.latihan1")
    said = convo.send(bad or Event(EventKind.UNSUPPORTED, media="sticker"))
    assert convo.snap.state == "exercises.answer" and convo.snap.completed == frozenset()
    assert said and said[0].key.startswith("common.bad_")


def test_commands_help_cancel_language_and_unknown() -> None:
    convo = Conversation()
    convo.onboard()
    convo.press("m:bab2")  # "what next" opens the lesson first; the exercise directly
    convo.press("x:bab2.latihan1")
    said = convo.send("/bantuan")
    assert said[0].key == "common.help" and convo.snap.state == "exercises.answer"
    assert said[-1].key == "exercises.ask"  # and the question again
    convo.send("/bahasa")
    assert convo.snap.state == "settings.language"
    said = convo.press("lang:en")
    assert convo.snap.locale == "en" and convo.snap.state == "exercises.answer"
    assert said[-1].key == "exercises.ask" and "Exercise 1" in said[-1].plain
    said = convo.send("/tidakada")
    assert said[0].key == "common.unknown_command" and convo.snap.state == "exercises.answer"
    said = convo.send("/batal")
    assert said[0].key == "common.cancelled" and convo.snap.state == "menu.main"


def test_commands_out_of_place_during_onboarding_keep_the_step() -> None:
    convo = reach("onboarding.name")
    said = convo.send("/menu")
    assert convo.snap.state == "onboarding.name"
    assert [s.key for s in said] == ["common.finish_onboarding_first", "onboarding.ask_name"]
    convo.send("/bahasa")
    convo.press("lang:en")
    assert convo.snap.state == "onboarding.name" and convo.snap.locale == "en"


def test_start_again_resumes_onboarding_without_asking_twice() -> None:
    convo = reach("onboarding.unit")
    said = convo.send("/start")
    assert convo.snap.state == "onboarding.unit"
    assert said[-1].key == "onboarding.ask_unit"
    assert convo.snap.profile.name == "Sari Dewi"


def test_start_when_onboarded_welcomes_back_to_menu() -> None:
    convo = Conversation()
    convo.onboard()
    said = convo.send("/start")
    assert [s.key for s in said] == ["common.welcome_back", "menu.main"]


def test_unknown_stored_state_falls_back_to_menu() -> None:
    convo = Conversation()
    convo.onboard()
    import dataclasses

    convo.snap = dataclasses.replace(convo.snap, state="retired.step", data={"x": 1})
    said = convo.send("hello")
    assert convo.snap.state == "menu.main"
    assert said[-1].key == "menu.main"


def test_prompt_repeats_the_current_question() -> None:
    convo = reach("onboarding.timezone")
    replies = engine.prompt(convo.snap)
    assert [r.key for r in replies] == ["onboarding.ask_timezone"]


def test_engine_is_deterministic() -> None:
    a, b = Conversation(), Conversation()
    a.onboard()
    b.onboard()
    assert a.snap == b.snap and [s.html for s in a.last] == [s.html for s in b.last]


def test_stable_buttons_reach_their_flow_from_any_state() -> None:
    """A flow can own buttons outside any step (a reminder's "do it now"), sent with seq 0."""
    import dataclasses
    from enum import StrEnum

    from coaching.flows import FLOWS
    from coaching.flows.base import Registry
    from coaching.flows.common import go
    from coaching.model import Outcome, Snapshot

    class Step(StrEnum):
        HERE = "probe.here"

    @dataclasses.dataclass
    class Probe:
        key: str = "probe"
        button_prefixes: tuple[str, ...] = ("probe",)
        steps: type[StrEnum] = Step

        def prompt(self, snap: Snapshot) -> tuple[()]:
            return ()

        def handle(self, snap: Snapshot, event: Event) -> Outcome:
            return go("menu.main")

        def on_button(self, snap: Snapshot, event: Event) -> Outcome:
            return go("exercises.answer", data={"module": "bab3", "exercise": "bab3.latihan1"})

    registry = Registry.of((*FLOWS, Probe()))
    convo = Conversation()
    convo.send("/start")
    press = Event(EventKind.CHOICE, choice="probe:x", seq=0)
    assert engine.handle(convo.snap, press, registry).toast == "common.stale_button"  # no consent
    convo.onboard()
    convo.press("m:bab2")
    outcome = engine.handle(convo.snap, press, registry)
    assert outcome.state == "exercises.answer" and outcome.replies[-1].key == "exercises.ask"
    # The same value with a step's seq is an ordinary (here: not offered) button.
    stale = Event(EventKind.CHOICE, choice="probe:x", seq=convo.snap.seq)
    assert engine.handle(convo.snap, stale, registry).toast == "common.stale_button"
