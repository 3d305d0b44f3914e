"""Bab V as a guided lesson: leading a network, and leveraging it through its stages.

In the module's order: command & control versus connect & collaborate (network leadership),
with a reflection; a self-assessment on the six characteristics of a network leader (LLC,
2012) and Anklam's eight success criteria, one item per screen on a 1–5 scale, shown as a
chart with the weakest items turned into suggestions from the module; then the participant's
case is placed in Anklam's development model — Tahap I Purpose, II Design, III Grow, IV Perform
— at the stage it stands at now (a hint from Krebs & Holley's pattern of its case map, the
module's other stage model, named as such), the participant answers that stage's question and
only the transition questions that lead to the next stage (each of the module's fifteen
questions belongs to one transition: ``coaching.leadership.TRANSITIONS``); Latihan V at the end.

Stored: ``bab5.leadership`` (reflection), ``bab5.selfcheck`` (a summary as text, the scores as
data), ``bab5.case``, ``bab5.now`` (the stage, 1–4), ``bab5.stage<1-4>.situation`` (the stage's
question), ``bab5.stage<1-4>.<purpose|structure|style|value>``, ``bab5.latihan1``
(the exercise: it counts for progress), and the bookmark ``bab5.resume``.
"""

from __future__ import annotations

from coaching import analysed
from coaching.flows import lesson
from coaching.flows.bab5_pages import (
    CASE_MAX,
    LATIHAN,
    MODULE,
    NOW_KEY,
    PATH,
    SELFCHECK,
    assessed,
    case_map,
    case_maps,
    case_page,
    case_purpose,
    chart,
    chosen_stage,
    now_page,
    path,
    results_page,
    score_page,
    situation_key,
    stage_key,
    transition,
)
from coaching.flows.common import note, stay
from coaching.flows.states import Bab5Step as Step
from coaching.flows.steps import Steps
from coaching.leadership import (
    ASPECTS,
    ITEMS,
    SCALE,
    STAGES,
    TRANSITIONS,
    valid_scores,
)
from coaching.model import Effect, Event, EventKind, Outcome, Reply, SaveAnswer, Snapshot
from coaching.validate import is_number, normalise

LESSON = lesson.Lesson(MODULE, Step, Step.HOME, Step.DONE)
STEPS = Steps(Step)


@STEPS.prompt(Step.HOME)
def ask_home(snap: Snapshot) -> tuple[Reply, ...]:
    return (lesson.home_reply(snap, LESSON),)


@STEPS.handler(Step.HOME)
def on_home(snap: Snapshot, event: Event) -> Outcome:
    """Starts the lesson, resumes it at its bookmark, or opens one of the exercises."""
    return lesson.on_home(snap, event, LESSON, lambda: _to(0))


@STEPS.prompt(Step.LEADERSHIP)
def ask_leadership(snap: Snapshot) -> tuple[Reply, ...]:
    return (Reply("bab5.leadership", {}, _nav()),)


@STEPS.handler(Step.LEADERSHIP, Step.MODEL)
def on_page(snap: Snapshot, event: Event) -> Outcome:
    """On along the lesson's path, or back."""
    refused = lesson.refuse_media(snap, event)
    if refused is not None:
        return refused
    if event.choice == "next":
        return _move(snap, +1)
    if event.choice == "back":
        return _move(snap, -1)
    return stay(snap, note("common.use_buttons"))


@STEPS.prompt(Step.REFLECT)
def ask_reflect(snap: Snapshot) -> tuple[Reply, ...]:
    previous = lesson.excerpt(snap.answers.get(f"{MODULE}.leadership"))
    return (Reply("bab5.reflect", {"previous": previous}, _answer_nav()),)


# --- the self-check -----------------------------------------------------------------------------


@STEPS.prompt(Step.SELFCHECK)
def ask_selfcheck(snap: Snapshot) -> tuple[Reply, ...]:
    return (Reply("bab5.selfcheck", {"items": len(ITEMS)}, _nav("bab5.btn_begin")),)


@STEPS.handler(Step.SELFCHECK)
def on_selfcheck(snap: Snapshot, event: Event) -> Outcome:
    """Begins scoring the items, or back."""
    if event.choice == "next":
        return lesson.advance(MODULE, Step.SCORE, data={"i": 0, "scores": {}})
    return on_page(snap, event)


@STEPS.prompt(Step.SCORE)
def ask_score(snap: Snapshot) -> tuple[Reply, ...]:
    return (score_page(snap.data),)


@STEPS.handler(Step.SCORE)
def on_score(snap: Snapshot, event: Event) -> Outcome:
    """Stores one item's score and shows the next item in the same message."""
    refused = lesson.refuse_media(snap, event)
    if refused is not None:
        return refused
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
    return assessed(snap, scores)


@STEPS.prompt(Step.RESULTS)
def ask_results(snap: Snapshot) -> tuple[Reply, ...]:
    return (results_page(snap.data),)


@STEPS.handler(Step.RESULTS)
def on_results(snap: Snapshot, event: Event) -> Outcome:
    """On to the case; or the chart again; or score the items again."""
    refused = lesson.refuse_media(snap, event)
    if refused is not None:
        return refused
    scores = valid_scores(snap.data.get("scores"))
    if event.choice == "next":
        return lesson.advance(MODULE, Step.CASE)
    if event.choice == "chart" and len(scores) == len(ITEMS):
        return stay(snap, chart(snap, scores))
    if event.choice == "redo":
        return lesson.advance(MODULE, Step.SCORE, data={"i": 0, "scores": scores})
    return stay(snap, note("common.use_buttons"))


# --- the participant's case through the model's stages ------------------------------------------


@STEPS.prompt(Step.CASE)
def ask_case(snap: Snapshot) -> tuple[Reply, ...]:
    return (case_page(snap),)


@STEPS.handler(Step.CASE)
def on_case(snap: Snapshot, event: Event) -> Outcome:
    """The participant's case: one of their case maps, the one they had, or typed anew."""
    current = snap.answers.get(f"{MODULE}.case")
    if event.choice == "keep" and current:
        return lesson.advance(MODULE, Step.MODEL)
    if event.choice.startswith("map:"):
        chosen = next((m for m in case_maps(snap) if f"map:{m.id}" == event.choice), None)
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


@STEPS.prompt(Step.MODEL)
def ask_model(snap: Snapshot) -> tuple[Reply, ...]:
    return (Reply("bab5.model", {"case": _case_text(snap)}, _nav()),)


@STEPS.prompt(Step.NOW)
def ask_now(snap: Snapshot) -> tuple[Reply, ...]:
    return (now_page(snap, _case_text(snap)),)


@STEPS.handler(Step.NOW)
def on_now(snap: Snapshot, event: Event) -> Outcome:
    """Stores the stage the case stands at now and opens that stage."""
    if event.choice == "back":
        return _move(snap, -1)
    if event.choice == "next" and chosen_stage(snap) is not None:
        return _move(snap, +1)
    value = event.choice.removeprefix("now:")
    if not event.choice.startswith("now:") or value not in ("1", "2", "3", "4"):
        return refuse_or_buttons(snap, event)
    stage = int(value) - 1
    return lesson.advance(
        MODULE,
        Step.STAGE,
        note("bab5.now_saved", stage=stage + 1),
        data={"stage": stage},
        effects=(SaveAnswer(NOW_KEY, value),),
    )


@STEPS.prompt(Step.STAGE)
def ask_stage(snap: Snapshot) -> tuple[Reply, ...]:
    stage = lesson.index(snap.data, "stage", len(STAGES))
    case = _case_text(snap)
    context = {
        "stage": stage + 1,
        "case": case,
        "purpose": case_purpose(snap, case),
        "aspects": [aspect for aspect, _ in TRANSITIONS[stage]],
        "previous": lesson.excerpt(snap.answers.get(situation_key(stage))),
    }
    return (Reply("bab5.stage", context, _answer_nav()),)


@STEPS.prompt(Step.TRANSITION)
def ask_transition(snap: Snapshot) -> tuple[Reply, ...]:
    stage = lesson.index(snap.data, "stage", len(STAGES))
    aspect = lesson.index(snap.data, "aspect", len(ASPECTS))
    asked = transition(stage)
    name = ASPECTS[aspect] if ASPECTS[aspect] in asked else next(iter(asked))
    order = list(asked)
    context = {
        "stage": stage + 1,
        "aspect": name,
        "questions": list(asked[name]),
        "number": order.index(name) + 1,
        "total": len(order),
        "case": _case_text(snap),
        "previous": lesson.excerpt(snap.answers.get(stage_key(stage, ASPECTS.index(name)))),
    }
    return (Reply("bab5.transition", context, _answer_nav()),)


@STEPS.prompt(Step.LATIHAN)
def ask_latihan(snap: Snapshot) -> tuple[Reply, ...]:
    context = {"case": _case_text(snap), "previous": lesson.excerpt(snap.answers.get(LATIHAN))}
    return (Reply("bab5.latihan", context, _answer_nav()),)


@STEPS.handler(Step.REFLECT, Step.STAGE, Step.TRANSITION, Step.LATIHAN)
def on_answer(snap: Snapshot, event: Event) -> Outcome:
    """Stores a reflection, a transition answer or Latihan V, and goes on; or skips."""
    step = Step(snap.state)
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
    elif step is Step.STAGE:
        key = situation_key(lesson.index(snap.data, "stage", len(STAGES)))
    else:
        stage = lesson.index(snap.data, "stage", len(STAGES))
        key = stage_key(stage, lesson.index(snap.data, "aspect", len(ASPECTS)))
    return lesson.answered(
        snap, key, answer, lambda said, effects: _move(snap, +1, said, effects=effects)
    )


@STEPS.prompt(Step.DONE)
def ask_done(snap: Snapshot) -> tuple[Reply, ...]:
    done, total = lesson.progress(snap, MODULE)
    now = chosen_stage(snap)
    asked = transition(now) if now is not None else {}
    answered = sum(
        1
        for aspect in asked
        if lesson.kept_in_full(snap, stage_key(now or 0, ASPECTS.index(aspect)))
    )
    context = {
        "case": _case_text(snap),
        "now": None if now is None else now + 1,
        "stages": answered,
        "questions": len(asked),
        "assessed": bool(snap.answers.get(SELFCHECK)),
        "latihan": lesson.kept_in_full(snap, LATIHAN),
        "done": done,
        "total": total,
    }
    return (Reply("bab5.done", context, lesson.done_rows(snap, MODULE)),)


@STEPS.handler(Step.DONE)
def on_done(snap: Snapshot, event: Event) -> Outcome:
    return lesson.on_done_page(snap, event, MODULE)


def _case_text(snap: Snapshot) -> str:
    return snap.answers.get(f"{MODULE}.case") or ""


class Bab5(lesson.LessonFlow):
    key = "bab5"
    maps = True
    table = STEPS
    home = Step.HOME
    opens: tuple[str, ...] = (MODULE,)

    def analyses(self, snap: Snapshot) -> tuple[analysed.Wanted, ...]:
        """The case map's analysis, on the page that hints at the case's stage from it."""
        found = case_map(snap, _case_text(snap)) if snap.state == Step.NOW else None
        return () if found is None else (analysed.wanted(found),)


def refuse_or_buttons(snap: Snapshot, event: Event) -> Outcome:
    return lesson.refuse_media(snap, event) or stay(snap, note("common.use_buttons"))


_nav = lesson.nav
_answer_nav = lesson.answer_nav


def _route(snap: Snapshot) -> lesson.LessonPath:
    return lesson.LessonPath(MODULE, path(chosen_stage(snap)), Step.HOME)


def _to(number: int) -> Outcome:
    return lesson.LessonPath(MODULE, PATH, Step.HOME).to(number)


def _move(snap: Snapshot, delta: int, *replies: Reply, effects: tuple[Effect, ...] = ()) -> Outcome:
    return _route(snap).move(snap, delta, *replies, effects=effects)


FLOW = Bab5()
