"""The main menu: each module with a progress bar, and "what next"."""

from __future__ import annotations

from dataclasses import dataclass, replace

from coaching.address import salutation
from coaching.curriculum import (
    MODULES,
    MODULES_BY_KEY,
    overall_progress,
    progress_rows,
)
from coaching.flows import bab2, bab3, bab4, bab5, lesson, plans
from coaching.flows.base import ModuleFlow
from coaching.flows.common import go, note, open_map, stay
from coaching.flows.network import home as network_home
from coaching.flows.network.naming import add_named
from coaching.flows.network.quick import quick_ties
from coaching.flows.states import ExercisesStep, KltbStep, PlansStep
from coaching.flows.states import MenuStep as Step
from coaching.flows.steps import StepFlow, Steps
from coaching.model import Event, EventKind, Option, Outcome, Reply, Snapshot
from coaching.network import MapView, parse_actor_line, tie_lines

# The flows that guide a curriculum module (``opens``): the menu opens the module there rather
# than in the exercise list. A test checks this names every flow with ``opens``.
GUIDES: dict[str, ModuleFlow] = {
    module: flow for flow in (bab2.FLOW, bab3.FLOW, bab4.FLOW, bab5.FLOW) for module in flow.opens
}
# Lessons taught before their module's exercises, bookmarked as they go (flows/lesson.py).
LESSONS: dict[str, lesson.Lesson] = {
    guide.module: guide for guide in (bab2.LESSON, bab3.LESSON, bab5.LESSON)
}
# Bab IV's lesson is the guided mapping of a case: its Latihan are that case's four steps.
MAPPING = "bab4"
# The menu's buttons into flows that read the maps (the map's home, KLTB's actors, the plans'
# ties); tests/test_hot_path.py checks that none of them is decided twice.
MAP_BUTTONS = frozenset({"net", "kltb", "plans"})
TYPED_MAX = 2000  # a typed line kept while "create a map first?" is asked (several tie lines)
TYPED_SHOWN = 120  # ...and as the question quotes it


@dataclass(frozen=True)
class Upcoming:
    """What "what next" opens: a lesson (started anew or resumed) or one exercise."""

    module: str
    exercise: str | None = None  # None: the module's lesson
    resume: bool = False


def upcoming(snap: Snapshot) -> Upcoming | None:
    """The next thing to do, in the module's order.

    A lesson left half-way is resumed first. Then, module by module, the first with anything
    unanswered: its lesson if it was never taken, else its first unanswered exercise — so a
    Latihan skipped in the lesson comes back before the module's Evaluasi.
    """
    unfinished = {m.key: [key for key in m.item_keys if key not in snap.completed] for m in MODULES}
    for module in LESSONS:
        if unfinished[module] and lesson.status(snap, LESSONS[module]) == "started":
            return Upcoming(module, resume=True)
    for m in MODULES:
        waiting = unfinished[m.key]
        if not waiting:
            continue
        if m.key in LESSONS and lesson.status(snap, LESSONS[m.key]) == "new":
            return Upcoming(m.key)
        if m.key == MAPPING and any(".latihan" in key for key in waiting):
            return Upcoming(m.key)
        return Upcoming(m.key, waiting[0])
    return None


def open_upcoming(snap: Snapshot, coming: Upcoming) -> Outcome:
    """Opens the exercise; or the lesson, started or resumed as its own "start" button does."""
    if coming.exercise is not None:
        data = {"module": coming.module, "exercise": coming.exercise}
        return go(ExercisesStep.ANSWER, data=data)
    guide = GUIDES[coming.module]
    if coming.module not in LESSONS:
        return guide.enter(snap, coming.module)
    home = replace(snap, state=LESSONS[coming.module].home, data={})
    return guide.handle(home, Event(EventKind.CHOICE, choice="go", seq=snap.seq))


STEPS = Steps(Step)


@STEPS.prompt(Step.MAIN)
def ask_main(snap: Snapshot) -> tuple[Reply, ...]:
    modules = [{"key": k, "done": d, "total": t} for k, d, t in progress_rows(snap.completed)]
    done, total = overall_progress(snap.completed)
    coming = upcoming(snap)
    rows: tuple[tuple[Option, ...], ...] = tuple(  # the network work opens from "net"
        (Option(f"m:{m['key']}", "menu.btn_module", dict(m)),)
        for m in modules
        if m["key"] in MODULES_BY_KEY
    )
    rows = ((Option("net", "menu.btn_network"), Option("kltb", "menu.btn_kltb")), *rows)
    if plans.has_plans(snap):
        rows = (*rows, (Option("plans", "plans.btn_open"),))
    if coming is not None:
        rows = ((Option("next", "menu.btn_next"),), *rows)
    rows = (*rows, (Option("miniapp", "network.btn_miniapp", web_app="/app"),))  # last: see cli
    context = {
        "name": salutation(snap),
        "modules": modules,
        "done": done,
        "total": total,
        "next": coming.exercise if coming else None,
        "lesson": coming.module if coming and coming.exercise is None else None,
        "resume": bool(coming and coming.resume),
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
    if event.choice == "next" and (coming := upcoming(snap)):
        return open_upcoming(snap, coming)
    module_key = event.choice.removeprefix("m:")
    if event.choice.startswith("m:") and module_key in MODULES_BY_KEY:
        guide = GUIDES.get(module_key)
        if guide is not None:
            return guide.enter(snap, module_key)
        return go(ExercisesStep.LIST, data={"module": module_key})
    if event.kind is EventKind.TEXT and typed_network(event.text):
        return network_line(snap, event.text)
    return stay(snap, note("common.use_buttons"))


def typed_network(typed: str) -> bool:
    """A stakeholder line (``Pak Budi; Bappeda; kuat; dana``) or tie lines (``Budi - Sari
    kuat``): what the map's home takes typed, understood at the menu too."""
    return parse_actor_line(typed) is not None or tie_lines(typed) is not None


def network_line(snap: Snapshot, typed: str) -> Outcome:
    """A network line typed at the menu, done on the current map as the map's home does it
    (the same checks, questions and confirmation); with no map yet, making one is offered."""
    if snap.network is None:
        return go(Step.NEW_MAP, data={"line": typed.strip()[:TYPED_MAX]})
    return _on_map(snap, snap.network, typed)


def _on_map(snap: Snapshot, view: MapView, typed: str) -> Outcome:
    if parse_actor_line(typed) is not None:
        return add_named(snap, view, typed)
    return quick_ties(snap, view, typed)


@STEPS.prompt(Step.NEW_MAP)
def ask_new_map(snap: Snapshot) -> tuple[Reply, ...]:
    line = str(snap.data.get("line", ""))
    if not line:
        return ()
    rows = ((Option("create", "menu.btn_create_map"),), (Option("menu", "common.btn_menu"),))
    return (Reply("menu.new_map", {"line": line[:TYPED_SHOWN]}, rows),)


@STEPS.handler(Step.NEW_MAP)
def on_new_map(snap: Snapshot, event: Event) -> Outcome:
    """The personal map made, and the line typed at the menu applied with its creation."""
    line = str(snap.data.get("line", ""))
    if event.choice == "create" and line:
        return network_home.first_visit(snap, lambda fresh, view: _on_map(fresh, view, line))
    if event.choice == "menu":
        return go(Step.MAIN)
    if event.kind is EventKind.TEXT and typed_network(event.text):
        return network_line(snap, event.text)  # another line: asked about instead
    return stay(snap, note("common.use_buttons"))


class Menu(StepFlow):
    key = "menu"
    table = STEPS
    commands = ("menu",)

    def on_command(self, snap: Snapshot, event: Event) -> Outcome:
        """Shows the menu from anywhere, leaving any unfinished step."""
        return go(Step.MAIN)

    def reads_maps(self, snap: Snapshot, event: Event) -> bool:
        """The menu shows no map, but some of its buttons open one: the map's home, KLTB,
        the plans, a module whose guide reads the maps, "what next" into one, a network line
        typed here. Declared, so the event is decided once with the maps loaded."""
        if event.kind is EventKind.TEXT:
            return snap.state in (Step.MAIN, Step.NEW_MAP) and typed_network(event.text)
        if snap.state == Step.NEW_MAP:
            return event.choice == "create"
        if snap.state != Step.MAIN:
            return False
        if event.choice in MAP_BUTTONS:
            return True
        if event.choice == "next":
            coming = upcoming(snap)
            return coming is not None and _guide_reads_maps(coming.module)
        return event.choice.startswith("m:") and _guide_reads_maps(event.choice[2:])


def _guide_reads_maps(module: str) -> bool:
    guide = GUIDES.get(module)
    return bool(guide is not None and getattr(guide, "maps", False))


FLOW = Menu()
