"""Bab V's pages (coaching/flows/bab5.py): the lesson's path through the case's stages, the
answers' keys, and the replies of the self-assessment and of the case."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coaching import analysed, text
from coaching.flows import lesson
from coaching.flows.states import Bab5Step as Step
from coaching.leadership import (
    ASPECTS,
    ITEMS,
    ITEMS_BY_KEY,
    SCALE,
    STAGE_OF_PATTERN,
    TRANSITIONS,
    averages,
    valid_scores,
    weakest,
)
from coaching.model import Effect, Option, Outcome, Reply, SaveAnswer, Snapshot
from coaching.network import MapView
from coaching.validate import normalise

MODULE = "bab5"
CASE_MAX = 200  # a case is named in one sentence; it heads every stage question
SELFCHECK = "bab5.selfcheck"
LATIHAN = "bab5.latihan1"


NOW_KEY = f"{MODULE}.now"


def path(stage: int | None) -> tuple[tuple[Step, Mapping[str, int]], ...]:
    """The lesson's path for "next" and "back", once the case's stage is known.

    The scored items and their results sit between the self-assessment's introduction and
    the case; after the model, the participant says where the case stands; then that stage,
    and the transition to the next stage, one adjustment (aspect) per screen.
    """
    pages: list[tuple[Step, Mapping[str, int]]] = [
        (Step.LEADERSHIP, {}),
        (Step.REFLECT, {}),
        (Step.SELFCHECK, {}),
        (Step.CASE, {}),
        (Step.MODEL, {}),
        (Step.NOW, {}),
    ]
    if stage is not None:
        pages.append((Step.STAGE, {"stage": stage}))
        pages += [
            (Step.TRANSITION, {"stage": stage, "aspect": ASPECTS.index(aspect)})
            for aspect, _ in TRANSITIONS[stage]
        ]
    pages += [(Step.LATIHAN, {}), (Step.DONE, {})]
    return tuple(pages)


PATH = path(0)  # the path of a case at Tahap I (every step appears in it)


def chosen_stage(snap: Snapshot) -> int | None:
    """The stage the participant said the case stands at (0 = Tahap I), if they said."""
    raw = snap.answers.get(NOW_KEY) or ""
    return int(raw) - 1 if raw in ("1", "2", "3", "4") else None


def transition(stage: int) -> dict[str, tuple[str, ...]]:
    """The aspects adjusted in the move from ``stage`` to the next, with their questions."""
    return dict(TRANSITIONS[stage])


def stage_key(stage: int, aspect: int) -> str:
    """``bab5.stage1.purpose``: stages counted I–IV as the module does."""
    return f"{MODULE}.stage{stage + 1}.{ASPECTS[aspect]}"


def situation_key(stage: int) -> str:
    """``bab5.stage2.situation``: the answer to the stage's own question."""
    return f"{MODULE}.stage{stage + 1}.situation"


def score_page(data: Mapping[str, Any]) -> Reply:
    i = lesson.index(data, "i", len(ITEMS))
    item = ITEMS[i]
    current = valid_scores(data.get("scores")).get(item.key)
    rows = (
        tuple(Option(f"s:{v}", "bab5.btn_score", {"value": v, "on": v == current}) for v in SCALE),
        (Option("prev", "bab5.btn_prev"),),
    )
    context = {
        "item": item.key,
        "group": item.group,
        "number": item.number,
        "position": i + 1,
        "total": len(ITEMS),
        "current": current,
    }
    return Reply("bab5.score", context, rows, edit=bool(data.get("edit")))


def results_page(data: Mapping[str, Any]) -> Reply:
    scores = valid_scores(data.get("scores"))
    complete = len(scores) == len(ITEMS)
    weak = [
        {"item": key, "score": scores[key], "group": ITEMS_BY_KEY[key].group}
        for key in weakest(scores)
    ]
    rows: list[tuple[Option, ...]] = [(Option("next", "lesson.btn_next"),)]
    if complete:
        rows.append((Option("chart", "bab5.btn_chart"),))
    rows.append((Option("redo", "bab5.btn_redo"),))
    context = {"complete": complete, "weak": weak, "averages": averages(scores)}
    return Reply("bab5.results", context, tuple(rows))


def assessed(snap: Snapshot, scores: dict[str, int]) -> Outcome:
    """All 14 items scored: store them (text for the coach, data for tools), show the chart."""
    weak = weakest(scores)
    summary = text.html_to_plain(
        text.render(snap.locale, "bab5.selfcheck_summary", scores=scores, weak=list(weak))
    )
    data = {"scale": [SCALE[0], SCALE[-1]], "scores": dict(scores), "weakest": list(weak)}
    effects: tuple[Effect, ...] = (SaveAnswer(SELFCHECK, summary, data=data),)
    return lesson.advance(
        MODULE,
        Step.RESULTS,
        chart(snap, scores),
        data={"scores": scores},
        effects=effects,
    )


def chart(snap: Snapshot, scores: Mapping[str, int]) -> Reply:
    attachment = {
        "type": "scores",
        "locale": snap.locale,
        "scores": dict(scores),
        "weak": list(weakest(scores)),
    }
    caption = {"name": snap.profile.name or ""}
    return Reply("bab5.chart_caption", caption, attachment=attachment)


def case_page(snap: Snapshot) -> Reply:
    current = snap.answers.get(f"{MODULE}.case")
    rows: list[tuple[Option, ...]] = []
    if current:
        rows.append((Option("keep", "bab5.btn_keep", {"case": lesson.excerpt(current, 48)}),))
    rows.extend(
        (Option(f"map:{m.id}", "bab5.btn_case_map", {"title": m.title}),) for m in case_maps(snap)
    )
    context = {"current": current, "maps": len(case_maps(snap))}
    return Reply("bab5.case", context, tuple(rows))


def case_maps(snap: Snapshot) -> list[MapView]:
    return [m for m in snap.maps if m.kind == "case" and m.id is not None][:8]


def case_purpose(snap: Snapshot, case: str) -> str | None:
    """The purpose written on the case map the case was chosen from (mapping step 1)."""
    found = next((m for m in case_maps(snap) if normalise(m.title)[:CASE_MAX] == case), None)
    return found.purpose if found else None


def now_page(snap: Snapshot, case: str) -> Reply:
    """Where the case stands now: Tahap I–IV, with a hint from its map's structure."""
    current = chosen_stage(snap)
    rows = (
        tuple(
            Option(f"now:{n}", "bab5.btn_now", {"stage": n, "on": current == n - 1}) for n in (1, 2)
        ),
        tuple(
            Option(f"now:{n}", "bab5.btn_now", {"stage": n, "on": current == n - 1}) for n in (3, 4)
        ),
        (Option("back", "lesson.btn_back"),),
    )
    pattern = case_pattern(snap, case)
    context = {
        "case": case,
        "current": None if current is None else current + 1,
        "pattern": pattern,
        "hint": STAGE_OF_PATTERN.get(pattern or ""),
    }
    return Reply("bab5.now", context, rows)


def case_map(snap: Snapshot, case: str) -> MapView | None:
    """The case map the case was chosen from, if it has enough to analyse (3 actors, a tie)."""
    found = next((m for m in case_maps(snap) if normalise(m.title)[:CASE_MAX] == case), None)
    return found if found is not None and len(found.actors) >= 3 and found.ties else None


def case_pattern(snap: Snapshot, case: str) -> str | None:
    """Krebs & Holley's pattern of the case map the case was chosen from, when it has one
    (its analysis computed once per event: ``Bab5.analyses``)."""
    found = case_map(snap, case)
    result = analysed.of(snap, found) if found is not None else None
    if result is None:
        return None
    stage = result.stage
    key = stage.key if stage.key != "undetermined" else stage.nearest
    return key if key in STAGE_OF_PATTERN else None
