"""One way to write a flow: step tables, a typed way back that reads what older releases
stored, typed jumps between flows, and no import cycles hidden in function bodies."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from coaching.flows import FLOWS, menu
from coaching.flows.states import MenuStep, NetworkStep, OnboardingStep
from coaching.flows.steps import Back, StepFlow, Steps, carry_back, without_back
from coaching.model import Event, Outcome, Reply, Snapshot
from tests.support import Conversation
from tests.test_bab4 import stored

COACHING = Path(__file__).resolve().parents[1] / "coaching"


def test_back_reads_every_stored_shape() -> None:
    new = {"q": "2a", "back": {"state": "bab4.ties", "data": {"x": 1}}}
    assert Back.of(new) == Back("bab4.ties", {"x": 1})
    # Before 2026-12: the network walk's two keys, and the settings' two keys.
    assert Back.of({"q": "2a", "back": "bab4.ties", "back_data": {"x": 1}}) == Back(
        "bab4.ties", {"x": 1}
    )
    assert Back.of({"back": "network.home"}) == Back("network.home", {})
    assert Back.of({"return_to": "network.name", "return_data": {"q": "2b"}}) == Back(
        "network.name", {"q": "2b"}
    )
    for nothing in ({}, {"back": None}, {"back": ""}, {"back": {"state": 3}}, {"back": 7}):
        assert Back.of(nothing) is None


def test_back_round_trips_through_state_data_as_a_stack() -> None:
    inner = Back("bab4.ties").into({"q": "2a"})
    outer = Back("network.name", inner).into()
    assert Back.of(outer) == Back("network.name", inner)
    assert Back.of(Back.of(outer).data) == Back("bab4.ties", {})  # type: ignore[union-attr]
    assert without_back({"q": "2a", "back": "x", "back_data": {}, "return_to": "y"}) == {"q": "2a"}
    assert carry_back({"back": "bab4.ties", "back_data": {}}, {"q": "2b"}) == {
        "q": "2b",
        "back": {"state": "bab4.ties", "data": {}},
    }
    assert carry_back({"q": "2a"}, {"q": "2b", "back": {"state": "x", "data": {}}}) == {"q": "2b"}


def test_a_language_choice_stored_before_the_change_still_returns_where_it_was() -> None:
    convo = Conversation()
    convo.onboard()
    convo.press("net")
    old = {"return_to": "network.name", "return_data": {"q": "2b"}}
    convo.snap = dataclasses.replace(convo.snap, state="settings.language", data=old)
    convo.press("lang:en")
    assert convo.snap.state == "network.name" and convo.snap.data == {"q": "2b"}
    assert convo.last[0].key == "settings.language_set"


def _mapping_step2() -> Conversation:
    """Bab IV step 2: naming stakeholders in the network flow, which returns to step 3."""
    convo = Conversation()
    convo.onboard()
    convo.press("m:bab4")
    convo.press("new")
    convo.send("Posisi tawar kelompok tani")
    convo.send("Petani menjual gabah langsung ke KUD dengan harga yang adil")
    stored(convo)
    assert convo.snap.state == "network.name"
    assert convo.snap.data == {"q": "2a", "back": {"state": "bab4.ties", "data": {}}}
    return convo


def test_a_mapping_walk_stored_before_the_change_still_returns_to_bab4() -> None:
    convo = _mapping_step2()
    # As the release before stored it: the way back as two loose keys.
    old = {"q": "2a", "back": "bab4.ties", "back_data": {}}
    convo.snap = dataclasses.replace(convo.snap, data=old)
    convo.send("Kepala Desa")
    assert convo.snap.state == "network.defaults"
    assert Back.of(convo.snap.data) == Back("bab4.ties")  # carried along the walk, new shape
    assert convo.snap.data["back"] == {"state": "bab4.ties", "data": {}}
    convo.snap = dataclasses.replace(convo.snap, state="network.name", data=old)
    convo.press("done")
    assert convo.snap.state == "bab4.ties" and convo.last[-1].key == "bab4.ties"


def test_the_stage_page_stored_before_the_change_still_goes_back() -> None:
    convo = _mapping_step2()
    convo.snap = dataclasses.replace(convo.snap, state="bab4.stage", data={"back": "network.home"})
    convo.send("/bantuan")
    assert "back" in convo.buttons
    convo.press("back")
    assert convo.snap.state == "network.home"


def test_bahasa_returns_to_the_step_and_its_data_and_nests() -> None:
    convo = Conversation()
    convo.onboard()
    convo.press("net")
    convo.press("add")
    before = (convo.snap.state, convo.snap.data)
    convo.send("/bahasa")
    convo.send("/bahasa")  # twice: the second returns to the first
    convo.press("lang:en")
    assert convo.snap.state == "settings.language"
    convo.press("lang:id")
    assert (convo.snap.state, convo.snap.data) == before


def test_a_step_table_refuses_a_flow_with_a_step_missing() -> None:
    table = Steps(OnboardingStep)

    @table.prompt(*OnboardingStep)
    def ask(snap: Snapshot) -> tuple[Reply, ...]:
        return ()

    class Half(StepFlow):
        key = "onboarding"

    Half.table = table
    with pytest.raises(TypeError, match=r"onboarding\.consent \(handler\)"):
        Half()

    @table.handler(*OnboardingStep)
    def take(snap: Snapshot, event: Event) -> Outcome:
        raise AssertionError

    Half()
    with pytest.raises(ValueError, match="two handlers"):
        table.handler(OnboardingStep.NAME)(take)


def test_the_menu_opens_every_guided_module_where_its_flow_guides_it() -> None:
    opened = {m: f for f in FLOWS for m in getattr(f, "opens", ())}
    assert opened == menu.GUIDES


def test_every_flow_with_steps_is_written_one_way() -> None:
    stepped = [flow for flow in FLOWS if len(flow.steps)]
    assert stepped and all(isinstance(flow, StepFlow) for flow in stepped)


def test_jumps_name_states_by_their_enum() -> None:
    assert MenuStep.MAIN == "menu.main" and NetworkStep.HOME == "network.home"
    every = {step.value for flow in FLOWS for step in flow.steps}
    assert {s.value for s in MenuStep} <= every


def _deferred_imports(path: Path) -> list[str]:
    """Imports inside a function or class (the usual way round an import cycle)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    found.append(f"{path.relative_to(COACHING.parent)}:{inner.lineno}")
    return found


def test_flows_import_nothing_inside_functions() -> None:
    flows = sorted((COACHING / "flows").rglob("*.py"))
    assert [hit for path in flows for hit in _deferred_imports(path)] == []
