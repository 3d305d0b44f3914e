"""Bab V as a guided lesson: leading a network, and leveraging it through its stages.

In the module's order: command & control versus connect & collaborate (network leadership),
with a reflection; a self-assessment on the six characteristics of a network leader (LLC,
2012) and Anklam's eight success criteria, one item per screen on a 1–5 scale, shown as a
chart with the weakest items turned into suggestions from the module; then the participant's
case walks Anklam's development model — Tahap I Purpose, II Design, III Grow, IV Perform — and
at each transition answers the module's questions on purpose, structure, style and value;
Latihan V at the end.

Stored: ``bab5.leadership`` (reflection), ``bab5.selfcheck`` (a summary as text, the scores as
data), ``bab5.case``, ``bab5.stage<1-4>.<purpose|structure|style|value>``, ``bab5.latihan1``
(the exercise: it counts for progress), and the bookmark ``bab5.resume``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coaching import text
from coaching.flows import lesson
from coaching.flows.common import go, note, stay
from coaching.flows.states import Bab5Step as Step
from coaching.leadership import (
    ASPECTS,
    ITEMS,
    ITEMS_BY_KEY,
    SCALE,
    STAGES,
    averages,
    valid_scores,
    weakest,
)
from coaching.model import Effect, Event, EventKind, Option, Outcome, Reply, SaveAnswer, Snapshot
from coaching.network import MapView
from coaching.validate import is_number, normalise

MODULE = "bab5"
CASE_MAX = 200  # a case is named in one sentence; it heads every stage question
SELFCHECK = "bab5.selfcheck"
LATIHAN = "bab5.latihan1"


# The lesson's path for "next" and "back". The scored items and their results sit between
# the self-assessment's introduction and the case; each stage is followed by its transition
# questions, one aspect per screen.
PATH: tuple[tuple[Step, Mapping[str, int]], ...] = (
    (Step.LEADERSHIP, {}),
    (Step.REFLECT, {}),
    (Step.SELFCHECK, {}),
    (Step.CASE, {}),
    (Step.MODEL, {}),
    *(
        position
        for stage in range(len(STAGES))
        for position in (
            (Step.STAGE, {"stage": stage}),
            *((Step.TRANSITION, {"stage": stage, "aspect": a}) for a in range(len(ASPECTS))),
        )
    ),
    (Step.LATIHAN, {}),
    (Step.DONE, {}),
)


def stage_key(stage: int, aspect: int) -> str:
    """``bab5.stage1.purpose``: stages counted I–IV as the module does."""
    return f"{MODULE}.stage{stage + 1}.{ASPECTS[aspect]}"


class Bab5:
    key = "bab5"
    steps = Step
    opens: tuple[str, ...] = (MODULE,)

    def enter(self, snap: Snapshot, module: str) -> Outcome:
        """The menu opens the module on the lesson's page (start or resume, exercises)."""
        return go(Step.HOME)

    # --- prompts ------------------------------------------------------------------------------

    def prompt(self, snap: Snapshot) -> tuple[Reply, ...]:
        step = Step(snap.state)
        data = snap.data
        if step is Step.HOME:
            return (_home(snap),)
        if step is Step.LEADERSHIP:
            return (Reply("bab5.leadership", {}, _nav()),)
        if step is Step.REFLECT:
            previous = lesson.excerpt(snap.answers.get(f"{MODULE}.leadership"))
            return (Reply("bab5.reflect", {"previous": previous}, _answer_nav()),)
        if step is Step.SELFCHECK:
            return (Reply("bab5.selfcheck", {"items": len(ITEMS)}, _nav("bab5.btn_begin")),)
        if step is Step.SCORE:
            return (_score(data),)
        if step is Step.RESULTS:
            return (_results(data),)
        if step is Step.CASE:
            return (_case(snap),)
        case = snap.answers.get(f"{MODULE}.case") or ""
        if step is Step.MODEL:
            return (Reply("bab5.model", {"case": case}, _nav()),)
        if step is Step.STAGE:
            stage = lesson.index(data, "stage", len(STAGES))
            context = {"stage": stage + 1, "case": case, "purpose": _case_purpose(snap, case)}
            return (Reply("bab5.stage", context, _nav()),)
        if step is Step.TRANSITION:
            stage = lesson.index(data, "stage", len(STAGES))
            aspect = lesson.index(data, "aspect", len(ASPECTS))
            context = {
                "stage": stage + 1,
                "aspect": ASPECTS[aspect],
                "number": aspect + 1,
                "case": case,
                "previous": lesson.excerpt(snap.answers.get(stage_key(stage, aspect))),
            }
            return (Reply("bab5.transition", context, _answer_nav()),)
        if step is Step.LATIHAN:
            context = {"case": case, "previous": lesson.excerpt(snap.answers.get(LATIHAN))}
            return (Reply("bab5.latihan", context, _answer_nav()),)
        done, total = lesson.progress(snap, MODULE)
        stages = sum(
            1
            for s in range(len(STAGES))
            for a in range(len(ASPECTS))
            if snap.answers.get(stage_key(s, a))
        )
        context = {
            "case": case,
            "stages": stages,
            "questions": len(STAGES) * len(ASPECTS),
            "assessed": bool(snap.answers.get(SELFCHECK)),
            "latihan": bool(snap.answers.get(LATIHAN)),
            "done": done,
            "total": total,
        }
        return (Reply("bab5.done", context, lesson.done_rows(snap, MODULE)),)

    # --- events -------------------------------------------------------------------------------

    def handle(self, snap: Snapshot, event: Event) -> Outcome:
        step = Step(snap.state)
        if event.choice == "menu":
            return go("menu.main")
        if step is Step.HOME:
            return self._on_home(snap, event)
        if step is Step.CASE:
            return self._on_case(snap, event)
        if step in (Step.REFLECT, Step.TRANSITION, Step.LATIHAN):
            return self._on_answer(snap, step, event)
        refused = lesson.refuse_media(snap, event)
        if refused is not None:
            return refused
        if step is Step.SCORE:
            return self._on_score(snap, event)
        if step is Step.RESULTS:
            return self._on_results(snap, event)
        if step is Step.DONE:
            return lesson.open_exercise(event.choice, MODULE) or stay(
                snap, note("common.use_buttons")
            )
        if step is Step.SELFCHECK and event.choice == "next":
            return lesson.advance(MODULE, Step.SCORE, data={"i": 0, "scores": {}})
        if event.choice == "next":
            return _move(snap, +1)
        if event.choice == "back":
            return _move(snap, -1)
        return stay(snap, note("common.use_buttons"))

    def _on_home(self, snap: Snapshot, event: Event) -> Outcome:
        """Starts the lesson, resumes it at its bookmark, or opens one of the exercises."""
        return lesson.on_home(snap, event, MODULE, Step, lambda: _to(0))

    def _on_score(self, snap: Snapshot, event: Event) -> Outcome:
        """Stores one item's score and shows the next item in the same message."""
        i = lesson.index(snap.data, "i", len(ITEMS))
        scores = valid_scores(snap.data.get("scores"))
        if event.choice == "prev":
            if i == 0:
                return lesson.advance(MODULE, Step.SELFCHECK)
            data = {"i": i - 1, "scores": scores, "edit": True}
            return lesson.advance(MODULE, Step.SCORE, data=data)
        value = event.choice.removeprefix("s:")
        if not event.choice.startswith("s:") or not is_number(value) or int(value) not in SCALE:
            return stay(snap, note("bab5.use_scale"))
        scores[ITEMS[i].key] = int(value)
        if i + 1 < len(ITEMS):
            data = {"i": i + 1, "scores": scores, "edit": True}
            return lesson.advance(MODULE, Step.SCORE, data=data)
        return _assessed(snap, scores)

    def _on_results(self, snap: Snapshot, event: Event) -> Outcome:
        """On to the case; or the chart again; or score the items again."""
        scores = valid_scores(snap.data.get("scores"))
        if event.choice == "next":
            return lesson.advance(MODULE, Step.CASE)
        if event.choice == "chart" and len(scores) == len(ITEMS):
            return stay(snap, _chart(snap, scores))
        if event.choice == "redo":
            return lesson.advance(MODULE, Step.SCORE, data={"i": 0, "scores": scores})
        return stay(snap, note("common.use_buttons"))

    def _on_case(self, snap: Snapshot, event: Event) -> Outcome:
        """The participant's case: one of their case maps, the one they had, or typed anew."""
        current = snap.answers.get(f"{MODULE}.case")
        if event.choice == "keep" and current:
            return lesson.advance(MODULE, Step.MODEL)
        if event.choice.startswith("map:"):
            chosen = next((m for m in _case_maps(snap) if f"map:{m.id}" == event.choice), None)
            if chosen is None:
                return stay(snap, note("common.use_buttons"))
            case = normalise(chosen.title)[:CASE_MAX]
        elif event.choice:
            return stay(snap, note("common.use_buttons"))
        elif event.kind is not EventKind.TEXT:
            return stay(snap, note("bab5.need_text"))
        else:
            case = normalise(event.text)
            if len(case) < 3:
                return stay(snap, note("common.bad_answer_short"))
            if len(case) > CASE_MAX:
                return stay(snap, note("bab5.bad_case_long", limit=CASE_MAX))
        saved = note("bab5.case_saved", case=case)
        effects = (SaveAnswer(f"{MODULE}.case", case),)
        return lesson.advance(MODULE, Step.MODEL, saved, effects=effects)

    def _on_answer(self, snap: Snapshot, step: Step, event: Event) -> Outcome:
        """Stores a reflection, a transition answer or Latihan V, and goes on; or skips."""
        if event.choice == "skip":
            return _move(snap, +1)
        if event.choice == "back":
            return _move(snap, -1)
        if event.choice:
            return stay(snap, note("common.use_buttons"))
        answer = lesson.typed_answer(snap, event, "bab5.need_text")
        if isinstance(answer, Outcome):
            return answer
        if step is Step.REFLECT:
            key = f"{MODULE}.leadership"
        elif step is Step.LATIHAN:
            key = LATIHAN
        else:
            stage = lesson.index(snap.data, "stage", len(STAGES))
            key = stage_key(stage, lesson.index(snap.data, "aspect", len(ASPECTS)))
        return _move(snap, +1, note("bab5.saved", what=key), effects=(SaveAnswer(key, answer),))


FLOW = Bab5()


# --- building blocks ---------------------------------------------------------------------------


def _home(snap: Snapshot) -> Reply:
    return lesson.home_reply(snap, MODULE, Step)


def _score(data: Mapping[str, Any]) -> Reply:
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


def _results(data: Mapping[str, Any]) -> Reply:
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


def _assessed(snap: Snapshot, scores: dict[str, int]) -> Outcome:
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
        _chart(snap, scores),
        data={"scores": scores},
        effects=effects,
    )


def _chart(snap: Snapshot, scores: Mapping[str, int]) -> Reply:
    attachment = {
        "type": "scores",
        "locale": snap.locale,
        "scores": dict(scores),
        "weak": list(weakest(scores)),
    }
    caption = {"name": snap.profile.name or ""}
    return Reply("bab5.chart_caption", caption, attachment=attachment)


def _case(snap: Snapshot) -> Reply:
    current = snap.answers.get(f"{MODULE}.case")
    rows: list[tuple[Option, ...]] = []
    if current:
        rows.append((Option("keep", "bab5.btn_keep", {"case": lesson.excerpt(current, 48)}),))
    rows.extend(
        (Option(f"map:{m.id}", "bab5.btn_case_map", {"title": m.title}),) for m in _case_maps(snap)
    )
    context = {"current": current, "maps": len(_case_maps(snap))}
    return Reply("bab5.case", context, tuple(rows))


def _case_maps(snap: Snapshot) -> list[MapView]:
    return [m for m in snap.maps if m.kind == "case" and m.id is not None][:8]


def _case_purpose(snap: Snapshot, case: str) -> str | None:
    """The purpose written on the case map the case was chosen from (mapping step 1)."""
    found = next((m for m in _case_maps(snap) if normalise(m.title)[:CASE_MAX] == case), None)
    return found.purpose if found else None


_nav = lesson.nav
_answer_nav = lesson.answer_nav


_ROUTE = lesson.LessonPath(MODULE, PATH, Step.HOME)
_position = _ROUTE.position
_to = _ROUTE.to
_move = _ROUTE.move
