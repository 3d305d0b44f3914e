"""A step's analysis is computed once per event by the application and passed in
(``Snapshot.analyses``, declared by the flow's ``analyses``): the pure flows cache nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from coaching import analysed, engine
from coaching.model import Event, EventKind, Snapshot
from coaching.network import example_view
from tests.support import Conversation


@pytest.fixture
def analyses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the maps analysed (each call of the analysis, by the number of actors)."""
    counted: list[int] = []
    real = analysed.analyse

    def counting(graph: Any, *args: Any, **kwargs: Any) -> Any:
        counted.append(graph.number_of_nodes())
        return real(graph, *args, **kwargs)

    monkeypatch.setattr(analysed, "analyse", counting)
    yield counted


def _on(state: str) -> Snapshot:
    convo = Conversation()
    convo.onboard()
    kite = example_view("kite")
    assert kite is not None
    own = dataclasses.replace(kite, id=7, kind="case", title="Kasus")
    return dataclasses.replace(convo.snap, state=state, data={}, network=own, maps=(own,))


def _as_the_application_runs_it(snap: Snapshot, event: Event) -> Snapshot:
    wanted = engine.analyses(snap)
    snap = dataclasses.replace(snap, analyses={w: analysed.compute(w) for w in wanted})
    outcome = engine.handle(snap, event)
    assert outcome.after is not None
    return outcome.after


def test_bab4s_analysis_step_analyses_the_map_once_per_event(analyses: list[int]) -> None:
    snap = _on("bab4.analysis")
    assert len(engine.analyses(snap)) == 1
    after = _as_the_application_runs_it(snap, Event(EventKind.CHOICE, choice="stage", seq=snap.seq))
    assert after.state == "bab4.stage"
    assert len(analyses) == 1  # the buttons checked, the step answered, the stage page asked


def test_without_the_applications_analysis_the_flow_computes_it_each_time(
    analyses: list[int],
) -> None:
    snap = _on("bab4.analysis")
    engine.prompt(snap)
    engine.prompt(snap)
    assert len(analyses) == 2  # nothing cached behind the flow's back


def test_bab3s_measure_pages_declare_the_participants_own_map(analyses: list[int]) -> None:
    snap = _on("bab3.degree")
    wanted = engine.analyses(snap)
    assert [w.suggestions for w in wanted] == [False]
    _as_the_application_runs_it(snap, Event(EventKind.CHOICE, choice="next", seq=snap.seq))
    assert len(analyses) == 1


def test_a_step_that_shows_no_analysis_declares_none() -> None:
    assert engine.analyses(_on("bab4.own")) == ()
    assert engine.analyses(_on("menu.main")) == ()


def test_bab5s_stage_page_declares_the_case_map(analyses: list[int]) -> None:
    snap = _on("bab5.now")
    snap = dataclasses.replace(snap, answers={**snap.answers, "bab5.case": "Kasus"})
    assert len(engine.analyses(snap)) == 1
    _as_the_application_runs_it(snap, Event(EventKind.CHOICE, choice="now:2", seq=snap.seq))
    assert len(analyses) == 1
    assert engine.analyses(dataclasses.replace(snap, state="bab5.case")) == ()
