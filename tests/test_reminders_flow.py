"""The pure side of reminders: ``/pengingat`` settings and a nudge's buttons in the engine."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from coaching import engine, text
from coaching.model import (
    DueTie,
    Event,
    EventKind,
    KltbNext,
    SnoozeReminder,
    StopReminders,
    UpdateProfile,
    Waiting,
)
from coaching.nudges import compose
from tests.support import NOW, Conversation, said, telegram_html_errors


def onboarded(language: str = "id") -> Conversation:
    convo = Conversation()
    convo.onboard(language=language)
    return convo


def effects(convo: Conversation) -> tuple[object, ...]:
    assert convo.outcome is not None
    return tuple(convo.outcome.effects)


# --- /pengingat ----------------------------------------------------------------------------------


def test_pengingat_shows_the_settings_and_next_nudge() -> None:
    convo = onboarded()
    shown = convo.send("/pengingat")
    assert convo.snap.state == "reminders.main"
    assert "setiap hari" in shown[-1].plain and "08:00 WIB" in shown[-1].plain
    assert "21:00–07:00" in shown[-1].plain
    assert "Senin, 30 Nov, pukul 08:00 WIB" in shown[-1].plain  # NOW is Sunday 16:00 WIB
    assert convo.buttons == ["f:daily", "f:weekly", "f:off", "time", "tz", "quiet", "done"]


def test_frequency_time_zone_and_quiet_hours_are_stored() -> None:
    convo = onboarded()
    convo.send("/pengingat")
    convo.press("f:weekly")
    assert effects(convo) == (UpdateProfile({"reminder": "weekly"}),)
    assert "seminggu sekali" in convo.last[-1].plain
    convo.press("time")
    assert convo.snap.state == "reminders.time"
    convo.press("0700")
    assert effects(convo) == (UpdateProfile({"reminder_time": "07:00"}),)
    convo.press("time")
    convo.send("7.45")  # typed, the Indonesian way: echoed for one tap
    assert convo.snap.profile.reminder_time == "07:00" and convo.buttons[0] == "0745"
    convo.press("0745")
    assert convo.snap.profile.reminder_time == "07:45" and convo.snap.state == "reminders.main"
    convo.press("tz")
    convo.send("Europe/Amsterdam")
    assert convo.snap.profile.timezone == "Europe/Amsterdam"
    convo.press("tz")
    convo.press("WIT")
    assert convo.snap.profile.timezone == "Asia/Jayapura"
    convo.press("quiet")
    convo.press("q2206")
    assert (convo.snap.profile.quiet_start, convo.snap.profile.quiet_end) == ("22:00", "06:00")
    convo.press("quiet")
    convo.send("23.30 sampai 05.15")
    assert (convo.snap.profile.quiet_start, convo.snap.profile.quiet_end) == ("23:30", "05:15")
    convo.press("f:off")
    assert convo.snap.profile.reminder == "off"
    assert "tidak aktif" in convo.last[-1].plain and "berikutnya" not in convo.last[-1].plain


@pytest.mark.parametrize(
    ("step", "typed", "key"),
    [
        ("time", "jam tujuh", "reminders.bad_time"),
        ("time", "25:00", "reminders.bad_time"),
        ("tz", "Mars/Olympus", "onboarding.bad_timezone"),
        ("quiet", "malam", "reminders.bad_quiet"),
        ("quiet", "21:00", "reminders.bad_quiet"),
        ("quiet", "18:00-12:00", "reminders.quiet_too_long"),
        ("quiet", "07:00-07:00", "reminders.quiet_too_long"),
    ],
)
def test_bad_input_gets_a_clear_re_ask(step: str, typed: str, key: str) -> None:
    convo = onboarded()
    convo.send("/pengingat")
    convo.press(step)
    state, profile = convo.snap.state, convo.snap.profile
    shown = convo.send(typed)
    assert shown[0].key == key and convo.snap.state == state
    assert convo.snap.profile == profile
    assert len(shown) == 2 and shown[1].buttons  # the question again, with its buttons


def test_a_time_inside_quiet_hours_is_accepted_with_a_note() -> None:
    convo = onboarded()
    convo.send("/pengingat")
    convo.press("time")
    convo.send("22:00")
    shown = convo.press("2200")
    assert [s.key for s in shown][:2] == ["reminders.saved", "reminders.time_in_quiet"]
    assert "Senin, 30 Nov, pukul 07:00 WIB" in shown[-1].plain


def test_done_returns_to_the_step_it_came_from() -> None:
    convo = onboarded()
    convo.press("m:bab4")
    convo.press("exercises")  # Bab IV's exercise list (Bab III is a guided lesson now)
    assert convo.snap.state == "exercises.list"
    convo.send("/pengingat")
    convo.press("time")
    convo.send("/pengingat")  # again from inside: still returns to the exercise list
    convo.press("done")
    assert convo.snap.state == "exercises.list" and convo.snap.data == {"module": "bab4"}


def test_pengingat_needs_onboarding_first() -> None:
    convo = Conversation()
    convo.send("/start")
    shown = convo.send("/pengingat")
    assert shown[0].key == "common.finish_onboarding_first"
    assert convo.snap.state == "onboarding.consent"


# --- a nudge's buttons (seq 0, from any state) -------------------------------------------------


WAITING = Waiting(
    completed=frozenset(),
    kltb=(KltbNext(77, "Pak Budi", "like", "Ngopi setelah rapat"),),
    ties=(DueTie(88, "Saya", "Kepala Bappeda", "akses data", NOW - timedelta(days=1)),),
)


def with_nudge(convo: Conversation, status: str = "sent", reminder_id: int = 5) -> None:
    convo.snap = dataclasses.replace(convo.snap, reminders={reminder_id: status}, waiting=WAITING)


def tap(convo: Conversation, value: str) -> list[object]:
    return list(convo.send(Event(EventKind.CHOICE, choice=value, seq=0)))


def test_do_it_now_opens_the_exercise_from_anywhere() -> None:
    convo = onboarded()
    convo.press("m:bab4")
    with_nudge(convo)
    tap(convo, "rem:5:x:bab2.latihan1")
    assert convo.snap.state == "exercises.answer"
    assert convo.snap.data == {"module": "bab2", "exercise": "bab2.latihan1"}
    assert convo.last[-1].key == "exercises.ask"
    with_nudge(convo)
    tap(convo, "rem:5:x:bab2.latihan1")  # the same press again
    assert convo.outcome is not None and convo.outcome.toast == "reminders.already_open"
    assert not convo.outcome.changed and convo.last == []


def test_do_it_now_opens_the_stakeholders_next_kltb_step() -> None:
    convo = onboarded()
    with_nudge(convo)
    tap(convo, "rem:5:k:77")
    assert convo.snap.state == "kltb.note"
    assert convo.snap.data == {"target": "Pak Budi", "step": "like"}
    with_nudge(convo)
    tap(convo, "rem:5:k:77")
    assert convo.outcome is not None and convo.outcome.toast == "reminders.already_open"
    with_nudge(convo)
    tap(convo, "rem:5:k:99")  # no longer waiting (done since)
    assert convo.outcome is not None and convo.outcome.toast == "reminders.gone"


def test_do_it_now_opens_a_planned_tie_with_the_modules_advice() -> None:
    convo = onboarded()
    with_nudge(convo)
    tap(convo, "rem:5:t:88")
    assert convo.snap.state == "reminders.guide"
    assert "Kepala Bappeda" in convo.last[-1].plain and "akses data" in convo.last[-1].plain
    assert "kesamaan, pertukaran, timbal balik" in convo.last[-1].plain
    with_nudge(convo)
    tap(convo, "rem:5:t:88")
    assert convo.outcome is not None and convo.outcome.toast == "reminders.already_open"
    convo.press("menu")
    assert convo.snap.state == "menu.main"
    with_nudge(convo)
    tap(convo, "rem:5:t:1")
    assert convo.outcome is not None and convo.outcome.toast == "reminders.gone"


def test_snooze_asks_storage_to_move_the_nudge_and_says_when() -> None:
    convo = onboarded()
    convo.press("m:bab2")
    state, seq = convo.snap.state, convo.snap.seq
    with_nudge(convo)
    shown = tap(convo, "rem:5:s:1h")
    assert effects(convo) == (SnoozeReminder(5, NOW + timedelta(hours=1)),)
    assert "pukul 17:00 WIB" in convo.last[-1].plain  # NOW is 16:00 WIB
    assert convo.snap.state == state and convo.snap.seq == seq  # the step's buttons stay valid
    assert len(shown) == 1
    with_nudge(convo)
    tap(convo, "rem:5:s:tmr")
    (effect,) = effects(convo)
    assert isinstance(effect, SnoozeReminder) and effect.until == NOW + timedelta(hours=16)
    with_nudge(convo, status="snoozed")
    tap(convo, "rem:5:s:wk")  # a second snooze of the same nudge
    assert convo.outcome is not None and convo.outcome.toast == "reminders.already_snoozed"
    assert effects(convo) == ()


def test_stop_turns_reminders_off_once() -> None:
    convo = onboarded()
    with_nudge(convo)
    tap(convo, "rem:5:stop")
    assert effects(convo) == (StopReminders(5),)
    assert convo.last[-1].key == "reminders.stopped"
    convo.snap = dataclasses.replace(
        convo.snap, profile=dataclasses.replace(convo.snap.profile, reminder="off")
    )
    with_nudge(convo)
    tap(convo, "rem:5:stop")
    assert convo.outcome is not None and convo.outcome.toast == "reminders.already_off"
    with_nudge(convo)
    tap(convo, "rem:5:s:1h")  # snoozing an old nudge after stopping would promise nothing
    assert convo.outcome is not None and convo.outcome.toast == "reminders.already_off"
    assert effects(convo) == ()


@pytest.mark.parametrize(
    "value",
    [
        "rem:6:x:bab2.latihan1",  # someone else's (or an unknown) reminder
        "rem:6:stop",
        "rem:6:s:1h",
        "rem:5:x:bab9.latihan1",  # no such exercise
        "rem:5:s:forever",
        "rem:5:k:abc",
        "rem:5:launch",
        "rem:x:stop",
        "rem:5",
        "rem:5:stop:now",
    ],
)
def test_forged_or_garbled_values_change_nothing(value: str) -> None:
    convo = onboarded()
    with_nudge(convo)
    before = convo.snap
    tap(convo, value)
    assert convo.outcome is not None and convo.outcome.toast == "common.stale_button"
    assert effects(convo) == () and convo.snap.state == before.state and convo.last == []


def test_a_nudge_button_before_consent_is_stale() -> None:
    convo = Conversation()
    convo.send("/start")
    with_nudge(convo)
    tap(convo, "rem:5:stop")
    assert convo.outcome is not None and convo.outcome.toast == "common.stale_button"


# --- every reminder text is valid Telegram HTML in both languages ------------------------------


@pytest.mark.parametrize("locale", text.LOCALES)
def test_reminder_texts_render_in_both_languages(locale: str) -> None:
    reply = compose(5, WAITING, name="<b>Sari</b> & co", zone="Asia/Jakarta")
    assert reply is not None
    nudge = said(locale, reply)
    assert telegram_html_errors(nudge.html) == [], nudge.html
    assert "&lt;b&gt;Sari" in nudge.html  # user text stays text
    assert all(label.strip() for _, label in nudge.buttons)
    coach = compose(5, WAITING, name=None, zone=None, coach=True)
    assert coach is not None and telegram_html_errors(said(locale, coach).html) == []
    convo = onboarded(language=locale)
    with_nudge(convo)
    for value in ("rem:5:t:88", "rem:5:s:wk"):
        tap(convo, value)
        assert all(telegram_html_errors(s.html) == [] for s in convo.last), value
    convo.send("/pengingat")
    for step, typed in (("time", "x"), ("tz", "x"), ("quiet", "x"), ("quiet", "08:00-07:00")):
        convo.press(step)
        convo.send(typed)
        assert all(telegram_html_errors(s.html) == [] for s in convo.last), step
        convo.press("back")
    for key in ("already_snoozed", "already_off", "already_open", "gone"):
        toast = text.render(locale, f"reminders.{key}")
        assert "<" not in toast and len(toast) <= 200
    assert text.render(locale, "commands.pengingat")


def test_english_nudge_says_the_same() -> None:
    reply = compose(5, WAITING, name="Sari", zone="Asia/Jakarta")
    assert reply is not None
    english = said("en", reply)
    assert "Exercise 1" in english.plain and "LIKE" in english.plain
    assert "Kepala Bappeda" in english.plain and "Snooze" in english.plain
    assert [label for _, label in english.buttons][-1] == "🔕 Stop reminders"
    assert engine.HOME == "menu.main"


@pytest.mark.parametrize(
    ("language", "typed", "read"),
    [
        ("id", "jam 7 malam", "19:00"),
        ("id", "19.30", "19:30"),
        ("id", "pukul 6 pagi", "06:00"),
        ("en", "7pm", "19:00"),
        ("en", "6:15", "06:15"),
    ],
)
def test_a_typed_time_is_echoed_and_kept_with_one_tap(language: str, typed: str, read: str) -> None:
    convo = onboarded(language)
    convo.send("/pengingat")
    convo.press("time")
    shown = convo.send(typed)
    assert effects(convo) == () and convo.snap.state == "reminders.time"
    assert shown[-1].key == "reminders.time_read" and read in shown[-1].plain
    assert convo.buttons == [read.replace(":", ""), "back"]
    assert read in shown[-1].buttons[0][1]  # the button says the time it keeps
    convo.press(read.replace(":", ""))
    assert effects(convo) == (UpdateProfile({"reminder_time": read}),)
    assert convo.snap.state == "reminders.main"
