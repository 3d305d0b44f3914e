"""Issue 14, item 1: buttons that keep working.

Navigation buttons (the menu, the map's page, the lists) carry what they mean and work from any
older message; only the answer buttons of a finished step go stale, with a pop-up saying what to
do now; a multi-select's toggles never go stale while it is open; a finished step's message is
edited to a one-line summary; double taps and redelivered updates change nothing twice.
"""

from __future__ import annotations

import json

import pytest

from coaching.model import Event, EventKind, Outcome
from tests.support import Conversation
from tests.test_handlers import Harness, bot  # noqa: F401  (the fixture)
from tests.test_network import names, network_convo, tie


def sent_value(convo: Conversation, value: str) -> str:
    """The value a button of the last messages went out with (``g:…`` for navigation)."""
    for said in convo.last:
        for (shown, _), out in zip(said.buttons, said.sent, strict=True):
            if shown == value:
                return out
    raise AssertionError(f"{value} not offered: {convo.buttons}")


def tap(convo: Conversation, value: str, seq: int) -> Outcome:
    convo.send(Event(EventKind.CHOICE, choice=value, seq=seq))
    assert convo.outcome is not None
    return convo.outcome


def test_menu_buttons_of_an_older_message_still_open_their_place() -> None:
    convo = Conversation()
    convo.onboard()
    menu_seq = convo.snap.seq
    to_map, to_bab4 = sent_value(convo, "net"), sent_value(convo, "m:bab4")
    assert to_map.startswith("g:") and to_bab4.startswith("g:")
    convo.press("m:bab3")  # on, into the Bab III lesson
    assert convo.snap.state.startswith("bab3.")
    outcome = tap(convo, to_map, menu_seq)  # the old menu's 🕸️
    assert outcome.toast is None and convo.snap.state == "network.home"
    tap(convo, to_bab4, menu_seq)
    assert convo.snap.state.startswith("bab4.")


def test_the_map_page_of_an_older_message_still_works_but_undo_does_not_repeat() -> None:
    convo = network_convo()
    convo.send("Pak Budi - Bu Ani kuat")
    assert "picture" not in convo.buttons  # a quick line is answered briefly
    convo.press("page")  # the page on request
    home_seq = convo.snap.seq
    picture, analyse = sent_value(convo, "picture"), sent_value(convo, "analyse")
    undo = sent_value(convo, "undo")
    assert not undo.startswith("g:")  # each tap changes the map: tied to its step
    convo.press("add")
    assert convo.snap.state != "network.home"
    outcome = tap(convo, picture, home_seq)
    assert any(r.attachment for r in outcome.replies) and convo.snap.state == "network.home"
    tap(convo, analyse, home_seq)
    assert convo.snap.state == "network.home"
    convo.press("undo")
    assert names(convo) == ["Sari Dewi"]
    outcome = tap(convo, undo, home_seq)  # the old undo again: nothing more undone
    assert outcome.toast == "common.stale_button" and outcome.effects == ()


def test_a_list_button_opens_what_it_showed_or_says_the_list_changed() -> None:
    convo = network_convo()
    convo.send("Pak Budi - Bu Ani kuat")
    convo.send("/menu")
    convo.press("kltb")
    list_seq = convo.snap.seq
    first = sent_value(convo, "pick:0")
    assert first.startswith("g:") and first.split(":")[1]  # a fingerprint of what it showed
    convo.send("/menu")
    tap(convo, first, list_seq)
    assert convo.snap.state == "kltb.actor"
    shown = convo.snap.data["target"]
    convo.send("/menu")
    tap(convo, first, list_seq)  # again, later: the same person
    assert convo.snap.data["target"] == shown
    forged = first.replace(first.split(":")[1], "0000")
    outcome = tap(convo, forged, list_seq)
    assert outcome.toast == "common.stale_button"


def test_an_answer_button_of_a_finished_step_is_stale_and_says_what_to_do() -> None:
    convo = Conversation()
    convo.onboard()
    asked = convo.snap.seq
    convo.press("WIB")
    outcome = tap(convo, "WITA", asked)
    assert outcome.toast == "common.stale_button" and outcome.effects == ()
    assert convo.snap.profile.timezone == "Asia/Jakarta"
    from coaching import text

    assert "/menu" in text.render("id", "common.stale_button")


def test_toggles_stay_valid_while_their_step_is_open_and_a_double_tap_is_harmless() -> None:
    convo = network_convo()
    convo.send("Pak Budi - Bu Ani kuat")
    convo.send("Pak Camat - Bu Ani")
    convo.send("Bu Dewi - Pak Budi")
    convo.press("connect")
    assert convo.snap.state == "network.peers"
    seq = convo.snap.seq
    toggles = [v for v in convo.buttons if v.startswith("toggle:")]
    assert len(toggles) >= 2 and all(v.endswith(":1") for v in toggles)
    tap(convo, toggles[0], seq)
    tap(convo, toggles[1], seq)  # tapped before the message showed the first tap
    tap(convo, toggles[1], seq)  # and twice
    assert convo.snap.data["picked"] == [0, 1]
    convo.press("done")
    convo.press("done")
    target = [a.name for a in convo.snap.network.actors] if convo.snap.network else []
    assert convo.snap.state == "network.home" and target


def test_a_finished_steps_message_becomes_a_one_line_summary() -> None:
    convo = Conversation()
    convo.send("/start")
    convo.press("agree")
    convo.press("lang:en")
    (summary,) = convo.summaries
    assert summary.buttons == [] and "→" in summary.plain and "English" in summary.plain
    assert "\n" not in summary.plain.strip()
    assert convo.outcome is not None and convo.outcome.replies[0].edit


async def test_over_telegram_the_answered_message_is_edited_without_buttons(
    bot: Harness,  # noqa: F811
) -> None:
    await bot.feed(bot.sari.text("/start"))
    sent = await bot.feed(bot.sari.press("j1:1:agree"))
    edits = [p for m, p in bot.request.calls if m == "editMessageText"]
    assert len(edits) == 1 and int(edits[0]["message_id"]) == 999
    assert "Setuju" in edits[0]["text"] and not edits[0].get("reply_markup")
    assert "Pilih bahasa" in sent[-1]["text"]
    # A double tap (a new update id) and a redelivered update change nothing twice.
    again = await bot.feed(bot.sari.press("j1:1:agree"))
    assert again == [] and (await bot.participant()).seq == 2


async def test_over_telegram_an_old_menu_opens_the_map(bot: Harness) -> None:  # noqa: F811
    await bot.feed(bot.sari.text("/start"))
    await bot.feed(bot.sari.press("j1:1:agree"))
    await bot.feed(bot.sari.press("j1:2:lang:id"))
    await bot.feed(bot.sari.text("Sari Dewi"))
    await bot.feed(bot.sari.text("Bappeda"))
    await bot.feed(bot.sari.text("WIB"))
    sent = await bot.feed(bot.sari.text("Seminggu sekali"))
    menu = [m for m in sent if "Menu utama" in m["text"]]
    buttons = bot.buttons(menu[-1]) if menu else []
    to_map = next(b for b in buttons if b.endswith(":net"))
    assert ":g::menu.main:net" in to_map
    await bot.feed(bot.sari.text("/pengingat"))  # somewhere else
    update = bot.sari.press(to_map, update_id=7001)
    opened = await bot.feed(update)
    assert any("Jejaring personal" in m.get("text", "") for m in opened)
    assert (await bot.participant()).state == "network.home"
    assert await bot.feed(bot.sari.press(to_map, update_id=7001)) == []  # redelivered


def test_names_and_ties_untouched_by_stale_taps() -> None:
    convo = network_convo()
    convo.send("Pak Budi - Bu Ani kuat")
    assert tie(convo, "Pak Budi", "Bu Ani") == ("strong", "both")
    outcome = tap(convo, "g::nowhere.at_all:x", convo.snap.seq)
    assert outcome.toast == "common.stale_button"
    assert json.dumps(names(convo))


def test_an_answered_step_applies_its_effects_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from coaching import engine

    convo = Conversation()
    convo.onboard()
    convo.send("/pengingat")
    real, applied = engine.apply, []

    def counted(snap: object, outcome: object) -> object:
        applied.append(outcome)
        return real(snap, outcome)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "apply", counted)
    event = Event(EventKind.CHOICE, choice="f:weekly", seq=convo.snap.seq)
    outcome = engine.handle(convo.snap, event)  # answered, and the same step asked again
    assert len(applied) == 1  # the effects applied once, for the prompt and for the caller
    assert outcome.after is not None and outcome.after.profile.reminder == "weekly"
    assert outcome.replies[0].edit  # summarised
