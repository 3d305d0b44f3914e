"""Latihan and Evaluasi: answered in any order, editable, stored with their date."""

from __future__ import annotations

from enum import StrEnum

from coaching import feedback
from coaching.curriculum import EXERCISES, MODULES_BY_KEY, module_progress
from coaching.flows.common import go, note, stay
from coaching.model import Event, EventKind, Option, Outcome, Reply, Snapshot
from coaching.validate import check_answer


class Step(StrEnum):
    LIST = "exercises.list"
    ANSWER = "exercises.answer"


class Exercises:
    key = "exercises"
    steps = Step

    def prompt(self, snap: Snapshot) -> tuple[Reply, ...]:
        module = MODULES_BY_KEY.get(str(snap.data.get("module")), None)
        if module is None:
            return ()
        if Step(snap.state) is Step.LIST:
            done, total = module_progress(module, snap.completed)
            items = [
                {"key": e.key, "kind": e.kind, "number": e.number, "done": e.key in snap.completed}
                for e in module.exercises
            ]
            rows = tuple(
                (Option(f"x:{item['key']}", "exercises.btn_item", item),) for item in items
            )
            rows += ((Option("back", "common.btn_menu"),),)
            context = {"module": module.key, "items": items, "done": done, "total": total}
            return (Reply("exercises.list", context, rows),)
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

    def handle(self, snap: Snapshot, event: Event) -> Outcome:
        module = str(snap.data.get("module"))
        if module not in MODULES_BY_KEY:
            return go("menu.main")
        if Step(snap.state) is Step.LIST:
            return self._choose(snap, event, module)
        return self._answer(snap, event, module)

    def _choose(self, snap: Snapshot, event: Event, module: str) -> Outcome:
        """Opens the chosen exercise, or goes back to the menu."""
        if event.choice == "back":
            return go("menu.main")
        key = event.choice.removeprefix("x:")
        if event.choice.startswith("x:") and key in MODULES_BY_KEY[module].item_keys:
            return go(Step.ANSWER, data={"module": module, "exercise": key})
        return stay(snap, note("common.use_buttons"))

    def _answer(self, snap: Snapshot, event: Event, module: str) -> Outcome:
        """Stores the answer (replacing an earlier one), gives feedback on it and returns to the
        module; an empty or evasive one is kept as a draft and the question stays open."""
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


FLOW = Exercises()
