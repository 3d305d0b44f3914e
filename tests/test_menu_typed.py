"""Network lines typed at the main menu: understood as the map's home understands them
(coaching/flows/menu.py), not refused with "choose a button"."""

from __future__ import annotations

from sqlalchemy import select

from coaching.model import CreateMap
from storage.models import Actor, Tie
from tests.support import Conversation, transaction
from tests.test_handlers import Harness, bot  # noqa: F401  (the fixture)
from tests.test_network import effects, names, network_convo, tie, with_map

LINE = "Pak Budi; Bappeda; kuat; informasi, dana"


def at_menu(convo: Conversation) -> Conversation:
    convo.send("/menu")
    assert convo.snap.state == "menu.main"
    return convo


def test_a_stakeholder_line_at_the_menu_is_added_to_the_current_map() -> None:
    convo = at_menu(network_convo())
    said = convo.send(LINE)
    assert said[0].key == "network.line_saved" and "Pak Budi" in said[0].plain
    assert convo.snap.state == "network.home"
    assert names(convo) == ["Pak Budi", "Sari Dewi"]
    assert tie(convo, "Sari Dewi", "Pak Budi") == ("strong", "both")
    budi = convo.snap.network.find("Pak Budi") if convo.snap.network else None
    assert budi is not None and budi.resources == ("information", "funds")


def test_tie_lines_at_the_menu_are_stored_as_on_the_maps_home() -> None:
    convo = at_menu(network_convo())
    said = convo.send("Budi - Sari kuat\nBudi -> Rina")
    assert said[0].key == "network.quick_saved"
    assert names(convo) == ["Budi", "Rina", "Sari", "Sari Dewi"]
    assert tie(convo, "Budi", "Rina") == (None, "out")


def test_a_near_miss_typed_at_the_menu_stores_nothing() -> None:
    convo = network_convo()
    convo.send("/tambah Pak Budi Santoso")
    at_menu(convo)
    said = convo.send("Budi Santosa; Bappeda; kuat")
    assert said[0].key == "network.line_near" and effects(convo) == []


def test_without_a_map_making_one_is_offered_then_the_line_is_recorded() -> None:
    convo = Conversation()
    convo.onboard()
    said = convo.send(LINE)
    assert convo.snap.state == "menu.new_map" and effects(convo) == []
    assert said[-1].key == "menu.new_map" and "Pak Budi; Bappeda" in said[-1].plain
    assert convo.buttons == ["create", "menu"]
    said = convo.press("create")
    created = [e for e in effects(convo) if isinstance(e, CreateMap)]
    assert len(created) == 1 and created[0].kind == "personal"
    assert [s.key for s in said][:2] == ["network.personal_created", "network.line_saved"]
    with_map(convo)
    assert names(convo) == ["Pak Budi", "Sari Dewi"]
    assert tie(convo, "Sari Dewi", "Pak Budi") == ("strong", "both")


def test_without_a_map_declining_goes_back_to_the_menu_with_nothing_made() -> None:
    convo = Conversation()
    convo.onboard()
    convo.send("Budi - Sari kuat")
    convo.press("menu")
    assert convo.snap.state == "menu.main" and convo.snap.network is None
    assert effects(convo) == []


def test_other_text_at_the_menu_is_still_answered_with_what_to_type() -> None:
    convo = at_menu(network_convo())
    said = convo.send("halo semua")
    assert said[0].key == "common.not_found" and effects(convo) == []
    assert convo.snap.state == "menu.main"


async def test_a_stakeholder_line_typed_at_the_menu_through_the_bot(
    bot: Harness,  # noqa: F811
) -> None:
    sari = bot.sari
    await bot.feed(sari.text("/start"))
    await bot.feed(sari.press("j1:1:agree"))
    await bot.feed(sari.press("j1:2:lang:id"))
    await bot.feed(sari.text("Sari Dewi"))
    await bot.feed(sari.text("Bappeda Karawang"))
    await bot.feed(sari.press("j1:5:WIB"))
    await bot.feed(sari.press("j1:6:off"))
    sent = await bot.feed(sari.text(LINE))
    create = next(b for m in sent for b in bot.buttons(m) if b.endswith(":create"))
    sent = await bot.feed(sari.press(create))
    assert any("Pak Budi" in m["text"] and "ditambahkan" in m["text"] for m in sent)
    with transaction(bot.db) as session:
        actors = set(session.scalars(select(Actor.name)))
        ties = session.execute(select(Tie.strength)).all()
    assert actors == {"Pak Budi", "Sari Dewi"} and [t.strength for t in ties] == ["strong"]
