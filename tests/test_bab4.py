"""Bab IV: the module's four mapping steps, planned ties, and Krebs & Holley reorganising."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from coaching.flows.bab4 import stage_reply
from coaching.model import CreateMap, PlanTie, SaveAnalysis, SaveAnswer
from coaching.network import MapView, example_view
from coaching.text import html_to_plain, render
from tests.support import NOW, Conversation, telegram_html_errors


def stored(convo: Conversation) -> None:
    """What storage does on commit: new maps get ids."""
    maps = []
    for index, view in enumerate(convo.snap.maps, start=1):
        maps.append(view if view.id is not None else dataclasses.replace(view, id=100 + index))
    network = convo.snap.network
    if network is not None and network.id is None:
        network = next(m for m in maps if m.title == network.title)
    convo.snap = dataclasses.replace(convo.snap, maps=tuple(maps), network=network)


def effects(convo: Conversation) -> list[object]:
    return list(convo.outcome.effects) if convo.outcome else []


def test_the_four_steps_from_case_to_plan() -> None:
    convo = Conversation()
    convo.onboard()
    convo.press("m:bab4")
    assert convo.snap.state == "bab4.intro"
    assert "Tentukan masalah" in convo.last[-1].plain
    convo.press("new")
    convo.send("Posisi tawar kelompok tani")
    convo.send("Petani menjual gabah langsung ke KUD dengan harga yang adil")
    saved = {e.exercise: e.text for e in effects(convo) if isinstance(e, SaveAnswer)}
    assert saved == {
        "bab4.latihan1": "Posisi tawar kelompok tani",
        "bab4.latihan2": "Petani menjual gabah langsung ke KUD dengan harga yang adil",
    }
    assert any(isinstance(e, CreateMap) and e.kind == "case" for e in effects(convo))
    stored(convo)
    assert convo.snap.state == "network.name" and "Langkah 2a" in convo.last[-1].plain
    for name in ("Kelompok Tani", "KUD", "Tengkulak"):  # step 2 through the guided questions
        convo.send(name)
        for value in ("detail", "organisation", "skip", "out", "done", "skip", "operational"):
            convo.press(value)
        if name == "Kelompok Tani":  # nobody else yet: the next name at once
            assert convo.snap.state == "network.name"
            continue
        assert convo.snap.state == "network.peers"  # case map: straight to ties
        toggles = [v for v in convo.buttons if v.startswith("toggle:")]
        if toggles:
            convo.press(toggles[0])
        convo.press("done")
        if convo.snap.state == "network.strong":
            convo.press("done")
        stored(convo)
    convo.press("done")  # enough names
    assert convo.snap.state == "bab4.ties"
    convo.press("next")
    assert convo.snap.state == "bab4.analysis"
    kinds = {type(e) for e in effects(convo)}
    assert SaveAnalysis in kinds and SaveAnswer in kinds
    structure = next(e for e in effects(convo) if isinstance(e, SaveAnswer))
    assert structure.exercise == "bab4.latihan3" and "3 aktor" in structure.text
    suggestions = [v for v in convo.buttons if v.startswith("sug:")]
    convo.press("own")
    said = convo.send("Saya - BRI")  # the participant is not on a case map
    assert said[0].key == "network.no_ego_here" and convo.snap.state == "bab4.own"
    said = convo.send("Kelompok Tanni - BRI")  # a near miss is asked back, nothing planned
    assert said[0].key == "bab4.own_which" and "Kelompok Tani" in said[0].plain
    assert not any(isinstance(e, PlanTie) for e in effects(convo))
    convo.send("kud - BRI")  # the map's spelling is kept
    convo.press("due14")
    plan = next(e for e in effects(convo) if isinstance(e, PlanTie))
    assert (plan.a, plan.b, plan.due_at) == ("KUD", "BRI", NOW + timedelta(days=14))
    assert "KUD — BRI" in convo.last[-1].plain
    if suggestions:
        convo.press(suggestions[0])
        convo.press("nodue")
        assert any(isinstance(e, PlanTie) for e in effects(convo))
    convo.press("stage")
    assert convo.snap.state == "bab4.stage" and "Krebs" in convo.last[-1].plain
    convo.press("back")
    convo.press("reflect")
    convo.send("Pertama, libatkan KUD dan BRI; kedua, tengkulak dialihkan menjadi mitra KUD.")
    assert any(isinstance(e, SaveAnswer) and e.exercise == "bab4.latihan4" for e in effects(convo))
    assert convo.snap.state == "exercises.list"
    assert {
        "bab4.latihan1",
        "bab4.latihan2",
        "bab4.latihan3",
        "bab4.latihan4",
    } <= convo.snap.completed
    for said in convo.last:
        assert telegram_html_errors(said.html) == []


def test_stage_advice_follows_the_map_and_names_the_weaver() -> None:
    convo = Conversation()
    convo.onboard()
    convo.press("net")
    stored(convo)
    convo.send("\n".join(f"Sari Dewi - Aktor {c}" for c in "ABCDE"))  # a star around the ego
    convo.press("stage")
    said = convo.last[-1]
    assert convo.snap.state == "bab4.stage"
    assert "Tanpa Anda" in said.plain
    assert "perajut jejaring" in said.plain  # what to do when the network hangs on you
    assert telegram_html_errors(said.html) == []
    convo.press("back")
    assert convo.snap.state == "network.home"


def test_bad_input_in_the_mapping_steps_is_re_asked() -> None:
    convo = Conversation()
    convo.onboard()
    convo.press("m:bab4")
    convo.press("new")
    said = convo.send("x")
    assert convo.snap.state == "bab4.case" and said[0].key == "bab4.bad_case"
    convo.send("Kasus pasar desa")
    said = convo.send("ok")
    assert convo.snap.state == "bab4.purpose" and said[0].key == "bab4.bad_purpose"


def test_stage_history_is_shown() -> None:
    convo = Conversation()
    convo.onboard()
    convo.press("net")
    stored(convo)
    convo.send("Budi - Ani\nAni - Dewi\nDewi - Budi")
    view = convo.snap.network
    assert isinstance(view, MapView)
    history = ((NOW - timedelta(days=7), "scattered_fragments"), (NOW, "hub_and_spoke"))
    convo.snap = dataclasses.replace(convo.snap, network=dataclasses.replace(view, stages=history))
    convo.press("stage")
    assert "Riwayat pola struktur" in convo.last[-1].plain


def test_a_stage_near_its_threshold_is_said_to_be_borderline() -> None:
    def shown(key: str, locale: str) -> str:
        view = example_view(key)
        assert view is not None
        reply = stage_reply(view, {})
        return html_to_plain(render(locale, reply.key, **reply.context))

    # Karawang before: the middleman's degree ratio is within 10 % of the hub-and-spoke threshold
    assert "di ambang batas" in shown("karawang_before", "id")
    assert "borderline" in shown("karawang_before", "en")
    assert "di ambang batas" not in shown("kite", "id")


@pytest.mark.parametrize(
    ("language", "header", "strong", "weak", "foreign"),
    [
        ("id", "aktor", "(kuat)", "(lemah)", "(strong)"),
        ("en", "actors", "(strong)", "(weak)", "(kuat)"),
    ],
)
def test_latihan_iv_3_is_saved_in_the_participants_language(
    language: str, header: str, strong: str, weak: str, foreign: str
) -> None:
    convo = Conversation()
    convo.onboard(language=language)
    convo.press("m:bab4")
    convo.press("new")
    convo.send("Posisi tawar kelompok tani")
    convo.send("Petani menjual gabah langsung ke KUD")
    stored(convo)
    convo.press("done")
    assert convo.snap.state == "bab4.ties"
    view = convo.snap.network
    assert view is not None
    # English participants type strong/weak as Indonesians type kuat/lemah.
    word = {"id": ("kuat", "lemah"), "en": ("strong", "weak")}[language]
    convo.snap = dataclasses.replace(convo.snap, state="network.home", data={})
    convo.send(f"KUD - BRI {word[0]}\nKUD -> Dinas {word[1]}")
    stored(convo)
    convo.snap = dataclasses.replace(convo.snap, state="bab4.ties", data={})
    convo.press("next")
    structure = next(e for e in effects(convo) if isinstance(e, SaveAnswer))
    assert structure.exercise == "bab4.latihan3"
    assert f"3 {header}" in structure.text
    assert f"BRI {strong}" in structure.text or f"KUD {strong}" in structure.text
    assert weak in structure.text and foreign not in structure.text
