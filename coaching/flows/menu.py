"""The main menu: each module with a progress bar, and "what next"."""

from __future__ import annotations

from coaching.curriculum import (
    MODULES_BY_KEY,
    next_exercise,
    overall_progress,
    progress_rows,
)
from coaching.flows import bab2, bab4, bab5, plans
from coaching.flows.base import ModuleFlow
from coaching.flows.common import go, note, open_map, stay
from coaching.flows.states import ExercisesStep, KltbStep, PlansStep
from coaching.flows.states import MenuStep as Step
from coaching.flows.steps import StepFlow, Steps
from coaching.model import Event, Option, Outcome, Reply, Snapshot

# The flows that guide a curriculum module (``opens``): the menu opens the module there rather
# than in the exercise list. A test checks this names every flow with ``opens``.
GUIDES: dict[str, ModuleFlow] = {
    module: flow for flow in (bab2.FLOW, bab4.FLOW, bab5.FLOW) for module in flow.opens
}

STEPS = Steps(Step)


@STEPS.prompt(Step.MAIN)
def ask_main(snap: Snapshot) -> tuple[Reply, ...]:
    modules = [{"key": k, "done": d, "total": t} for k, d, t in progress_rows(snap.completed)]
    done, total = overall_progress(snap.completed)
    upcoming = next_exercise(snap.completed)
    rows: tuple[tuple[Option, ...], ...] = tuple(  # the network work opens from "net"
        (Option(f"m:{m['key']}", "menu.btn_module", dict(m)),)
        for m in modules
        if m["key"] in MODULES_BY_KEY
    )
    rows = ((Option("net", "menu.btn_network"), Option("kltb", "menu.btn_kltb")), *rows)
    if plans.has_plans(snap):
        rows = (*rows, (Option("plans", "plans.btn_open"),))
    if upcoming is not None:
        rows = ((Option("next", "menu.btn_next"),), *rows)
    context = {
        "name": snap.profile.name or "",
        "modules": modules,
        "done": done,
        "total": total,
        "next": upcoming.key if upcoming else None,
    }
    return (Reply("menu.main", context, rows),)


@STEPS.handler(Step.MAIN)
def on_main(snap: Snapshot, event: Event) -> Outcome:
    """Opens the chosen module, the network map, or the next unfinished exercise."""
    if event.choice == "net":
        return open_map(snap)
    if event.choice == "kltb":
        return go(KltbStep.PICK)
    if event.choice == "plans":
        return go(PlansStep.LIST)
    if event.choice == "next" and (upcoming := next_exercise(snap.completed)):
        module = upcoming.key.split(".", 1)[0]
        return go(ExercisesStep.ANSWER, data={"module": module, "exercise": upcoming.key})
    module_key = event.choice.removeprefix("m:")
    if event.choice.startswith("m:") and module_key in MODULES_BY_KEY:
        guide = GUIDES.get(module_key)
        if guide is not None:
            return guide.enter(snap, module_key)
        return go(ExercisesStep.LIST, data={"module": module_key})
    return stay(snap, note("common.use_buttons"))


class Menu(StepFlow):
    key = "menu"
    table = STEPS
    commands = ("menu",)

    def on_command(self, snap: Snapshot, event: Event) -> Outcome:
        """Shows the menu from anywhere, leaving any unfinished step."""
        return go(Step.MAIN)


FLOW = Menu()
