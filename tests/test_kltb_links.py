"""The map linked to KLTB (issue 13 item 4): an actor suggested by /analisis becomes a KLTB
target with one tap, and the actors of case maps can be picked from the KLTB list."""

from __future__ import annotations

import dataclasses

import pytest

from coaching.model import ChangeMap, Event, EventKind
from coaching.network import Actor, MapView
from tests.support import Conversation
from tests.test_kltb import kltb_convo
from tests.test_network import network_convo, with_map


def analysed(language: str = "id") -> Conversation:
    convo = network_convo() if language == "id" else _english()
    for line in ("Budi - Ani kuat", "Ani - Cici kuat", "Dedi - Eka kuat", "Sari Dewi - Budi kuat"):
        convo.send(line if language == "id" else line.replace("kuat", "strong"))
    with_map(convo)
    convo.send("/analisis")
    return convo


def _english() -> Conversation:
    from coaching.model import CreateMap

    convo = Conversation()
    convo.onboard(name="Sari Dewi", language="en")
    convo.press("net")
    assert convo.outcome is not None
    assert any(isinstance(e, CreateMap) for e in convo.outcome.effects)
    with_map(convo)
    return convo


def suggested(convo: Conversation) -> list[tuple[str, str]]:
    return [b for s in convo.last if s.key == "kltb.suggested" for b in s.buttons]


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_suggested_actor_becomes_a_kltb_target_with_one_tap(language: str) -> None:
    convo = analysed(language)
    buttons = suggested(convo)
    assert [label for _, label in buttons] == ["🤝 KLTB: Dedi", "🤝 KLTB: Eka"]
    assert all(value.startswith("kt:1:") for value, _ in buttons)
    convo.send("/menu")  # later, from anywhere: the button is stable
    said = convo.send(Event(EventKind.CHOICE, choice=buttons[0][0], seq=0))
    assert convo.snap.state == "kltb.actor" and convo.snap.data == {"target": "Dedi"}
    assert "Dedi" in said[-1].plain and "KNOW" in said[-1].plain


def test_a_suggestion_not_on_the_personal_map_is_added_to_it() -> None:
    convo = network_convo()
    personal = convo.snap.network
    assert personal is not None and personal.id == 1
    case = MapView(
        7,
        "case",
        "Stunting",
        actors=(Actor("Pak Camat"), Actor("Bu Bidan"), Actor("Kader"), Actor("Pak Kades")),
    )
    convo.snap = dataclasses.replace(convo.snap, maps=(personal, case), network=case)
    convo.send("Pak Camat - Bu Bidan kuat")
    convo.send("Kader - Pak Kades kuat")
    convo.send("/analisis")
    buttons = suggested(convo)
    assert buttons
    value, label = buttons[0]
    name = label.removeprefix("🤝 KLTB: ")
    convo.send(Event(EventKind.CHOICE, choice=value, seq=0))
    assert convo.snap.state == "kltb.actor" and convo.snap.data == {"target": name}
    assert convo.outcome is not None
    added = [e for e in convo.outcome.effects if isinstance(e, ChangeMap)]
    assert added and added[0].map_id == 1  # onto the personal map, the case map stays open
    assert convo.snap.network is not None and convo.snap.network.id == 7


@pytest.mark.parametrize(
    "forged", ["kt:1:0:b:0000", "kt:2:0:b:6ee2", "kt:1:9:a:6ee2", "kt:1:x:a:1", "kt:1:0:z:6ee2"]
)
def test_a_forged_or_stale_suggestion_button_opens_nothing(forged: str) -> None:
    convo = analysed()
    before = convo.snap
    convo.send(Event(EventKind.CHOICE, choice=forged, seq=0))
    assert convo.outcome is not None and convo.outcome.toast == "common.stale_button"
    assert convo.snap.state == before.state and convo.snap.maps == before.maps


def test_a_newer_analysis_makes_an_old_suggestion_button_stale() -> None:
    convo = analysed()
    old = suggested(convo)[0][0]
    convo.send("Sari Dewi - Dedi kuat")  # the suggestion taken: the next analysis differs
    convo.send("/analisis")
    convo.send(Event(EventKind.CHOICE, choice=old, seq=0))
    assert convo.outcome is not None and convo.outcome.toast == "common.stale_button"


# --- case maps' actors in the KLTB list -------------------------------------------------------


def with_case(convo: Conversation) -> None:
    personal = next(m for m in convo.snap.maps if m.kind == "personal")
    case = MapView(
        7, "case", "Stunting", actors=(Actor("Pak Camat"), Actor("Bu Bidan"), Actor("Budi"))
    )
    convo.snap = dataclasses.replace(convo.snap, maps=(personal, case))


@pytest.mark.parametrize("language", ["id", "en"])
def test_case_map_actors_are_picked_from_the_kltb_list(language: str) -> None:
    convo = kltb_convo()
    if language == "en":
        convo.send("/bahasa")
        convo.press("lang:en")
        convo.send("/menu")
        convo.press("kltb")
    with_case(convo)
    convo.send("/menu")
    said = convo.press("kltb")
    assert "cases" in [v for s in said for v, _ in s.buttons]
    listed = convo.press("cases")
    assert convo.snap.state == "kltb.cases"
    names = [label.partition(". ")[2] for s in listed for v, label in s.buttons if v[:5] == "pick:"]
    assert names == ["Pak Camat", "Bu Bidan"]  # Budi is on the personal map already
    convo.press("pick:1")
    assert convo.snap.state == "kltb.actor" and convo.snap.data == {"target": "Bu Bidan"}
    assert convo.outcome is not None
    assert any(isinstance(e, ChangeMap) for e in convo.outcome.effects)
    personal = next(m for m in convo.snap.maps if m.kind == "personal")
    assert personal.find("Bu Bidan") is not None


def test_the_case_list_goes_back_and_refuses_what_it_did_not_offer() -> None:
    convo = kltb_convo()
    with_case(convo)
    convo.send("/menu")
    convo.press("kltb")
    convo.press("cases")
    convo.send("ketikan bebas")
    assert convo.snap.state == "kltb.cases"
    convo.press("back")
    assert convo.snap.state == "kltb.pick"


def test_without_case_maps_no_case_button() -> None:
    convo = kltb_convo()
    assert "cases" not in convo.buttons


# --- a near miss: "add as a different person" --------------------------------------------------


def near_miss(language: str = "id") -> Conversation:
    """A case map's "Budi Santosa" while the personal map has "Budi Santoso": the near miss."""
    convo = network_convo()
    convo.send("/tambah Budi Santoso")
    with_map(convo)
    if language == "en":
        convo.send("/bahasa")
        convo.press("lang:en")
    personal = next(m for m in convo.snap.maps if m.kind == "personal")
    case = MapView(7, "case", "Stunting", actors=(Actor("Budi Santosa"), Actor("PKK")))
    convo.snap = dataclasses.replace(convo.snap, maps=(personal, case))
    convo.send("/menu")
    convo.press("kltb")
    convo.press("cases")
    convo.press("pick:0")  # Budi Santosa
    assert convo.snap.state == "kltb.pick"
    return convo


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_near_miss_offers_to_add_the_name_as_a_different_person(language: str) -> None:
    convo = near_miss(language)
    told = next(s for s in convo.last if s.key == "kltb.target_near")
    assert "Budi Santosa" in told.plain and "Budi Santoso" in told.plain
    assert "/tambah" not in told.plain
    button = next(label for s in convo.last for v, label in s.buttons if v == "other")
    assert "Budi Santosa" in button
    assert ("orang lain" if language == "id" else "different person") in button
    assert convo.outcome is not None
    assert not any(isinstance(e, ChangeMap) for e in convo.outcome.effects)
    said = convo.press("other")
    assert convo.snap.state == "kltb.actor" and convo.snap.data == {"target": "Budi Santosa"}
    assert said[0].key == "kltb.target_added"
    assert convo.outcome is not None
    assert any(isinstance(e, ChangeMap) for e in convo.outcome.effects)
    personal = next(m for m in convo.snap.maps if m.kind == "personal")
    assert personal.find("Budi Santosa") is not None and personal.find("Budi Santoso") is not None
    said = convo.press("step:know")  # the KLTB entry goes on with the new stakeholder
    assert convo.snap.state == "kltb.note"


def test_add_as_a_different_person_is_offered_only_after_a_near_miss() -> None:
    convo = near_miss()
    convo.send("/menu")
    convo.press("kltb")
    assert "other" not in convo.buttons
    said = convo.press("other")  # forged or stale: nothing is added
    assert convo.outcome is not None and convo.outcome.changed is False
    assert not any(isinstance(e, ChangeMap) for e in convo.outcome.effects)
    assert convo.snap.state == "kltb.pick" and not any(s.key == "kltb.target_added" for s in said)
