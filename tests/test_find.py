"""Issue 14, item 4: find by typing wherever a list is offered; a typed number chooses only
where the number is shown on the button."""

from __future__ import annotations

from pathlib import Path

from coaching import text
from tests.support import Conversation
from tests.test_handlers import Harness, bot  # noqa: F401  (the fixture)
from tests.test_network import network_convo
from tests.test_terminal import ONBOARDING, run_cli

ACTORS = [f"Aktor {chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(28)] + [
    "Pak Budi Santoso",
    "Bu Ani Lestari",
    "Budiman",
]


def with_31_actors() -> Conversation:
    convo = network_convo()
    convo.send("\n".join(f"{name} - Pak Budi Santoso" for name in ACTORS if "Budi S" not in name))
    assert convo.snap.network is not None and len(convo.snap.network.others()) == 31
    convo.send("/menu")
    convo.press("kltb")
    return convo


def test_typing_part_of_a_name_in_a_paged_list_opens_that_person() -> None:
    convo = with_31_actors()
    labels = [label for s in convo.last for _, label in s.buttons]
    assert "Pak Budi Santoso" not in " ".join(labels)  # not on the first page
    assert labels[0].startswith("1. ")  # the number is shown: typing it chooses
    convo.send("santoso")
    assert convo.snap.state == "kltb.actor" and convo.snap.data["target"] == "Pak Budi Santoso"


def test_several_matches_are_offered_as_buttons() -> None:
    convo = with_31_actors()
    shown = convo.send("budi")
    assert shown[0].key == "common.found" and "2 cocok" in shown[0].plain
    found = sorted(label.split(". ", 1)[1] for _, label in shown[0].buttons)
    assert found == ["Budiman · ○○○○", "Pak Budi Santoso · ○○○○"]
    value = next(v for v, label in shown[0].buttons if "Santoso" in label)
    convo.press(value)  # off the first page, yet valid
    assert convo.snap.data["target"] == "Pak Budi Santoso"


def test_a_typed_number_chooses_the_numbered_item_on_any_page() -> None:
    convo = with_31_actors()
    convo.send("30")
    assert convo.snap.state == "kltb.actor"
    assert convo.snap.data["target"] == convo.snap.network.others()[29].name  # type: ignore[union-attr]


def test_nothing_found_is_answered_with_what_to_type() -> None:
    convo = with_31_actors()
    shown = convo.send("zzzz")
    assert convo.snap.state == "kltb.pick"
    assert shown[0].key == "common.not_found" and "“zzzz”" in shown[0].plain
    assert "nomornya (1–31)" in shown[0].plain  # this list shows its numbers


def test_three_typed_in_the_menu_opens_nothing_and_says_what_to_do() -> None:
    convo = Conversation()
    convo.onboard()
    shown = convo.send("3")
    assert convo.snap.state == "menu.main"
    assert shown[0].key == "common.not_found" and "“3”" in shown[0].plain
    assert "nomornya" not in shown[0].plain  # the menu shows no numbers
    assert "nomornya" not in text.render("id", "common.use_buttons")
    assert "number" not in text.render("en", "common.use_buttons")


async def test_over_telegram_a_number_in_the_menu_is_no_button(bot: Harness) -> None:  # noqa: F811
    await bot.feed(bot.sari.text("/start"))
    await bot.feed(bot.sari.press("j1:1:agree"))
    await bot.feed(bot.sari.press("j1:2:lang:id"))
    for line in ("Sari Dewi", "Bappeda", "WIB", "Seminggu sekali"):
        await bot.feed(bot.sari.text(line))
    sent = await bot.feed(bot.sari.text("3"))
    assert (await bot.participant()).state == "menu.main"
    assert "tombol" in sent[0]["text"] and "nomornya" not in sent[0]["text"]


def test_in_the_terminal_a_number_taps_the_button_it_is_shown_beside(tmp_path: Path) -> None:
    result = run_cli(["chat", "--user", "sari"], ONBOARDING + "2\n", tmp_path)
    assert result.returncode == 0, result.stderr
    after = result.stdout.rsplit("›", 1)[-1]
    assert "[2] 🕸️" in result.stdout or "Jejaring personal" in after
    assert "Jejaring personal" in after  # the menu's second button: the network map


def test_typed_words_choose_in_the_menu_lesson_pages_and_the_maps_list() -> None:
    convo = Conversation()
    convo.onboard()
    convo.send("pemetaan")  # "Bab IV Pemetaan · 0/6"
    assert convo.snap.state.startswith("bab4.")
    convo.send("/menu")
    convo.send("berjejaring")
    assert convo.snap.state == "bab2.home"
    convo.send("latihan 2")  # a lesson page: "⬜️ Latihan 2"
    assert convo.snap.state == "exercises.answer"
    assert convo.snap.data["exercise"] == "bab2.latihan2"
    convo.send("/peta")
    convo.press("maps")
    shown = convo.send("karawang")  # two examples: both offered
    assert shown[0].key == "common.found" and len(shown[0].buttons) == 2
    convo.send("karawang sesudah")
    assert convo.snap.state == "network.home"
    assert convo.snap.network is not None and convo.snap.network.kind == "example"


def test_typed_words_choose_in_the_plans_list() -> None:
    from tests.test_plans import with_plans

    convo = with_plans()
    convo.send("/rencana")
    assert convo.snap.state == "plans.list"
    convo.send("camat")
    assert convo.snap.state == "plans.item" and convo.snap.data == {"plan": 89}


def test_a_name_that_matches_nothing_says_what_was_typed_and_what_to_type() -> None:
    from tests.test_plans import with_plans

    convo = with_plans()
    convo.send("/rencana")
    shown = convo.send("Pak Lurah")
    assert convo.snap.state == "plans.list"
    assert shown[0].key == "common.not_found"
    assert "“Pak Lurah”" in shown[0].plain and "Pak Budi" in shown[0].plain
    assert "belum mengerti" not in shown[0].plain
    convo = with_31_actors()
    shown = convo.send("Pak Lurah")  # a numbered list: its numbers are named too
    assert shown[0].key == "common.not_found" and "(1–31)" in shown[0].plain
    shown = convo.send("<b>x</b>" * 30)  # escaped and bounded
    assert "<b>x</b>" not in shown[0].html and len(shown[0].plain) < 400
