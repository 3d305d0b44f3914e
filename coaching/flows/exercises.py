"""Latihan and Evaluasi: answered in any order, editable, stored with their date."""

from __future__ import annotations

from coaching import feedback
from coaching.curriculum import EXERCISES, MODULES_BY_KEY, module_progress
from coaching.flows.common import go, note, stay
from coaching.flows.states import ExercisesStep as Step
from coaching.flows.states import MenuStep
from coaching.flows.steps import StepFlow, Steps
from coaching.model import Event, EventKind, Option, Outcome, Reply, Snapshot
from coaching.validate import check_answer

STEPS = Steps(Step)


def _module(snap: Snapshot) -> str:
    return str(snap.data.get("module"))


@STEPS.prompt(Step.LIST)
def ask_list(snap: Snapshot) -> tuple[Reply, ...]:
    module = MODULES_BY_KEY[_module(snap)]
    done, total = module_progress(module, snap.completed)
    items = [
        {"key": e.key, "kind": e.kind, "number": e.number, "done": e.key in snap.completed}
        for e in module.exercises
    ]
    rows = tuple((Option(f"x:{item['key']}", "exercises.btn_item", item),) for item in items)
    rows += ((Option("back", "common.btn_menu"),),)
    context = {"module": module.key, "items": items, "done": done, "total": total}
    return (Reply("exercises.list", context, rows),)


@STEPS.handler(Step.LIST)
def on_list(snap: Snapshot, event: Event) -> Outcome:
    """Opens the chosen exercise, or goes back to the menu."""
    module = _module(snap)
    if event.choice == "back":
        return go(MenuStep.MAIN)
    key = event.choice.removeprefix("x:")
    if event.choice.startswith("x:") and key in MODULES_BY_KEY[module].item_keys:
        return go(Step.ANSWER, data={"module": module, "exercise": key})
    return stay(snap, note("common.use_buttons"))


@STEPS.prompt(Step.ANSWER)
def ask_answer(snap: Snapshot) -> tuple[Reply, ...]:
    module = MODULES_BY_KEY[_module(snap)]
    exercise = EXERCISES.get(str(snap.data.get("exercise")))
    if exercise is None or exercise.key not in module.item_keys:
        return ()
    context = {
        "exercise": exercise.key,
        "kind": exercise.kind,
        "number": exercise.number,
        "module": module.key,
        "previous": snap.answers.get(exercise.key),
    }
    return (Reply("exercises.ask", context, ((Option("back", "common.btn_back"),),)),)


@STEPS.handler(Step.ANSWER)
def on_answer(snap: Snapshot, event: Event) -> Outcome:
    """Stores the answer (replacing an earlier one), gives feedback on it and returns to the
    module; an empty or evasive one is kept as a draft and the question stays open."""
    module = _module(snap)
    exercise = str(snap.data.get("exercise"))
    if exercise not in EXERCISES:
        return go(Step.LIST, data={"module": module})
    if event.choice == "back":
        return go(Step.LIST, data={"module": module})
    if event.kind is not EventKind.TEXT:
        return stay(snap, note("common.bad_answer_media"), reprompt=False)
    checked = check_answer(event.text)
    if checked.value is None:
        return stay(snap, note(checked.problem or "common.bad_answer_short"), reprompt=False)
    answered = feedback.on_answer(snap, exercise, checked.value)
    effects = (answered.save,) if answered.save else ()
    if answered.draft:  # kept as a draft: the question stays open for a fuller answer
        return Outcome(
            snap.state, snap.data, effects, (answered.reply,), changed=False, reprompt=False
        )
    return go(Step.LIST, answered.reply, data={"module": module}, effects=effects)


class Exercises(StepFlow):
    key = "exercises"
    table = STEPS

    def reads_maps(self, snap: Snapshot, event: Event) -> bool:
        """An answer to an item about the participant's own map gets feedback from the map
        (``feedback.map_facts``): the answer step reads the maps for those items only."""
        rubric = feedback.rubric_for(str(snap.data.get("exercise")))
        return snap.state == Step.ANSWER and rubric is not None and rubric.map is not None

    def guard_prompt(self, snap: Snapshot) -> tuple[Reply, ...] | None:
        """No module (or one no release knows any more): nothing to ask; home instead."""
        return None if _module(snap) in MODULES_BY_KEY else ()

    def guard(self, snap: Snapshot, event: Event) -> Outcome | None:
        return None if _module(snap) in MODULES_BY_KEY else go(MenuStep.MAIN)


FLOW = Exercises()
