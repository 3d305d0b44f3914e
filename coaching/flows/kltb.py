"""Know → Like → Trust → Buy (Barrat 2015) with each stakeholder of the personal map.

The module is explicit: the steps are taken in order and never skipped ("haruslah dilakukan
secara beruntun, tidak boleh meloncat"). Each reached step keeps the participant's notes or
evidence and its date; the next step can be planned as a concrete action with a due date,
which reminders then nudge about.

A relation that began before the bot did (a long-standing strong tie) need not start again at
KNOW: the participant says which step it has reached and gives the evidence, and every step
up to it is recorded with that evidence — the order is kept, nothing is skipped unexplained.
A planned tie's other end, or an actor of a case map, becomes a target with one tap
(``coaching/flows/kltb_targets.py``).
"""

from __future__ import annotations

from coaching.flows import kltb_targets, picker, typedday
from coaching.flows.common import go, note, open_map, personal_map, stay
from coaching.flows.states import KltbStep as Step
from coaching.flows.states import MenuStep
from coaching.flows.steps import StepFlow, Steps
from coaching.model import (
    KLTB_STEPS,
    Event,
    EventKind,
    Option,
    Outcome,
    PlanKltb,
    RecordKltb,
    Reply,
    Snapshot,
)
from coaching.network import MapView
from coaching.validate import check_answer

DUE_DAYS = {"due3": 3, "due7": 7, "due14": 14}


def next_step(view: MapView, name: str) -> str | None:
    reached = view.kltb_reached(name)
    index = KLTB_STEPS.index(reached) + 1 if reached else 0
    return KLTB_STEPS[index] if index < len(KLTB_STEPS) else None


STEPS = Steps(Step)


def _view(snap: Snapshot) -> MapView:
    """The personal map with stakeholders on it (the flow's guards see to it)."""
    view = personal_map(snap)
    if view is None or not view.others():
        raise LookupError("the KLTB flow's guards let no step work without stakeholders")
    return view


def _target(snap: Snapshot) -> str:
    return str(snap.data.get("target", ""))


@STEPS.prompt(Step.PICK)
def ask_pick(snap: Snapshot) -> tuple[Reply, ...]:
    view = _view(snap)
    others = view.others()
    page = int(snap.data.get("page", 0))
    labels = [_label(view, a.name) for a in others]
    near = str(snap.data.get("near", ""))
    other = ((Option("other", "kltb.btn_add_other", {"name": near}),),) if near else ()
    picks = (
        *other,
        *picker.pick_rows(labels, page),
        *_cases_row(snap),
        (Option("menu", "common.btn_menu"),),
    )
    pipeline = [{"name": a.name, "reached": view.kltb_reached(a.name)} for a in others[:30]]
    return (
        Reply(
            "kltb.pick",
            {"pipeline": pipeline, "count": len(others)},
            picks,
            edit="page" in snap.data,
        ),
    )


@STEPS.handler(Step.PICK)
def on_pick(snap: Snapshot, event: Event) -> Outcome:
    """Opens one stakeholder's pipeline."""
    others = _view(snap).others()
    page = int(snap.data.get("page", 0))
    if (turned := picker.turn(event.choice, page, len(others))) is not None:
        return go(Step.PICK, data={"page": turned})
    if (index := picker.index_of(event.choice, "pick", len(others))) is not None:
        return go(Step.ACTOR, data={"target": others[index].name})
    near = str(snap.data.get("near", ""))
    if event.choice == "other" and near:
        return kltb_targets.add_other(snap, near)
    return stay(snap, note("common.use_buttons"))


CASE_ACTORS_MAX = 200  # names listed from the case maps (8 a page)


def case_actors(snap: Snapshot) -> list[str]:
    """Actors of the participant's case maps who are not on the personal map yet, each once
    (the first spelling met), in the maps' order."""
    personal = personal_map(snap)
    seen: set[str] = set()
    found: list[str] = []
    for view in snap.maps:
        if view.kind != "case":
            continue
        for actor in view.actors:
            key = actor.key
            if actor.is_ego or key in seen or (personal and personal.find(actor.name)):
                continue
            seen.add(key)
            found.append(actor.name)
            if len(found) >= CASE_ACTORS_MAX:
                return found
    return found


def _cases_row(snap: Snapshot) -> tuple[tuple[Option, ...], ...]:
    count = len(case_actors(snap))
    return ((Option("cases", "kltb.btn_from_cases", {"count": count}),),) if count else ()


@STEPS.prompt(Step.CASES)
def ask_cases(snap: Snapshot) -> tuple[Reply, ...]:
    names = case_actors(snap)
    if not names:
        return ()
    page = int(snap.data.get("page", 0))
    rows = (*picker.pick_rows(names, page), (Option("back", "common.btn_back"),))
    return (Reply("kltb.cases", {"count": len(names)}, rows, edit="page" in snap.data),)


@STEPS.handler(Step.CASES)
def on_cases(snap: Snapshot, event: Event) -> Outcome:
    """One tap: a case map's actor becomes a KLTB target (added to the personal map)."""
    names = case_actors(snap)
    page = int(snap.data.get("page", 0))
    if event.choice == "back":
        return go(Step.PICK)
    if (turned := picker.turn(event.choice, page, len(names))) is not None:
        return go(Step.CASES, data={"page": turned})
    if (index := picker.index_of(event.choice, "pick", len(names))) is not None:
        return kltb_targets.open_target(snap, names[index])
    return stay(snap, note("common.use_buttons"))


@STEPS.prompt(Step.ACTOR)
def ask_actor(snap: Snapshot) -> tuple[Reply, ...]:
    view, name = _view(snap), _target(snap)
    actor = view.find(name)
    if actor is None:
        return ()
    entries = view.kltb_of(name)
    upcoming = next_step(view, name)
    plan = entries.get(upcoming) if upcoming else None
    steps = []
    for s in KLTB_STEPS:
        entry = entries.get(s)
        reached = entry.done_at if entry else None
        steps.append(
            {
                "step": s,
                "done": reached is not None,
                "date": reached.date().isoformat() if reached else None,
                "note": entry.note if entry else None,
            }
        )
    context = {
        "name": actor.name,
        "steps": steps,
        "next": upcoming,
        "plan": plan.next_action if plan else None,
        "due": plan.due_at.date().isoformat() if plan and plan.due_at else None,
    }
    row = tuple(
        Option(f"step:{s}", "kltb.btn_step", {"step": s, "done": steps[i]["done"]})
        for i, s in enumerate(KLTB_STEPS)
    )
    rows: tuple[tuple[Option, ...], ...] = (row[:2], row[2:])
    claim = str(snap.data.get("claim", ""))
    done = KLTB_STEPS.index(upcoming) if upcoming else len(KLTB_STEPS)
    if claim in KLTB_STEPS[done + 1 :]:  # a later step refused: reached already?
        claimed = Option(f"reached:{claim}", "kltb.btn_reached", {"step": claim})
        rows = ((claimed,), *rows)
    if upcoming is not None:
        rows += ((Option("plan", "kltb.btn_plan", {"step": upcoming}),),)
    rows += ((Option("back", "common.btn_back"),),)
    return (Reply("kltb.actor", context, rows),)


@STEPS.handler(Step.ACTOR)
def on_actor(snap: Snapshot, event: Event) -> Outcome:
    """A step, strictly in order (a reached step can be revisited to edit its notes)."""
    view, name = _view(snap), _target(snap)
    if event.choice == "back":
        return go(Step.PICK)
    if event.choice == "plan" and (upcoming := next_step(view, name)):
        return go(Step.PLAN, data={"target": name, "step": upcoming})
    upcoming = next_step(view, name)
    reached = view.kltb_reached(name)
    done = KLTB_STEPS.index(reached) if reached else -1
    claimed = event.choice.removeprefix("reached:")
    if event.choice.startswith("reached:") and claimed in KLTB_STEPS[done + 1 :]:
        return go(Step.NOTE, data={"target": name, "step": claimed, "reached": True})
    chosen = event.choice.removeprefix("step:")
    if not event.choice.startswith("step:") or chosen not in KLTB_STEPS:
        return stay(snap, note("common.use_buttons"))
    if chosen != upcoming and KLTB_STEPS.index(chosen) > done:
        refused = note("kltb.no_skip", step=chosen, needed=upcoming or "buy")
        return go(Step.ACTOR, refused, data={"target": name, "claim": chosen})
    return go(Step.NOTE, data={"target": name, "step": chosen})


@STEPS.prompt(Step.NOTE)
def ask_note(snap: Snapshot) -> tuple[Reply, ...]:
    view, name = _view(snap), _target(snap)
    actor = view.find(name)
    if actor is None:
        return ()
    chosen = str(snap.data.get("step", ""))
    if snap.data.get("reached") and chosen in KLTB_STEPS:
        first = next_step(view, name) or chosen
        passed = KLTB_STEPS[KLTB_STEPS.index(first) : KLTB_STEPS.index(chosen)]
        return (
            Reply(
                "kltb.ask_evidence",
                {"name": actor.name, "step": chosen, "passed": list(passed)},
                ((Option("back", "common.btn_back"),),),
            ),
        )
    previous = view.kltb_of(name).get(chosen)
    return (
        Reply(
            "kltb.ask_note",
            {
                "name": actor.name,
                "step": chosen,
                "previous": previous.note if previous else None,
            },
            ((Option("back", "common.btn_back"),),),
        ),
    )


@STEPS.handler(Step.NOTE)
def on_note(snap: Snapshot, event: Event) -> Outcome:
    """Stores the notes/evidence for the step, dated; suggests the next concrete action."""
    view, name = _view(snap), _target(snap)
    chosen = str(snap.data.get("step", ""))
    if event.choice == "back":
        return go(Step.ACTOR, data={"target": name})
    if event.kind is not EventKind.TEXT:
        return stay(snap, note("kltb.bad_note"), reprompt=False)
    checked = check_answer(event.text)
    if checked.value is None:
        return stay(snap, note(checked.problem or "kltb.bad_note"), reprompt=False)
    assert view.id is not None
    if snap.data.get("reached") and chosen in KLTB_STEPS:
        first = next_step(view, name) or chosen
        if KLTB_STEPS.index(first) > KLTB_STEPS.index(chosen):
            return go(Step.ACTOR, data={"target": name})  # reached meanwhile: nothing to add
        steps = KLTB_STEPS[KLTB_STEPS.index(first) : KLTB_STEPS.index(chosen) + 1]
        effects = tuple(RecordKltb(view.id, name, s, checked.value) for s in steps)
        said = note("kltb.saved_reached", name=name, step=chosen, passed=list(steps[:-1]))
        return go(Step.ACTOR, said, data={"target": name}, effects=effects)
    effect = RecordKltb(view.id, name, chosen, checked.value)
    return go(
        Step.ACTOR,
        note("kltb.saved", name=name, step=chosen),
        data={"target": name},
        effects=(effect,),
    )


@STEPS.prompt(Step.PLAN)
def ask_plan(snap: Snapshot) -> tuple[Reply, ...]:
    actor = _view(snap).find(_target(snap))
    if actor is None:
        return ()
    return (
        Reply(
            "kltb.ask_plan",
            {"name": actor.name, "step": str(snap.data.get("step", ""))},
            ((Option("back", "common.btn_back"),),),
        ),
    )


@STEPS.handler(Step.PLAN)
def on_plan(snap: Snapshot, event: Event) -> Outcome:
    """Takes the concrete action for the next step; asks when."""
    if event.choice == "back":
        return go(Step.ACTOR, data={"target": _target(snap)})
    if event.kind is not EventKind.TEXT:
        return stay(snap, note("kltb.bad_plan"), reprompt=False)
    checked = check_answer(event.text)
    if checked.value is None or len(checked.value) > 500:
        return stay(snap, note("kltb.bad_plan"), reprompt=False)
    return go(Step.DUE, data={**snap.data, "action": checked.value})


@STEPS.prompt(Step.DUE)
def ask_due(snap: Snapshot) -> tuple[Reply, ...]:
    actor = _view(snap).find(_target(snap))
    if actor is None:
        return ()
    return (
        Reply(
            "kltb.ask_due",
            {"name": actor.name, "step": str(snap.data.get("step", ""))},
            typedday.due_rows(snap, DUE_DAYS, "kltb"),
        ),
    )


@STEPS.handler(Step.DUE)
def on_due(snap: Snapshot, event: Event) -> Outcome:
    """Stores the planned action with its due date (reminders nudge about it)."""
    view, name = _view(snap), _target(snap)
    due = typedday.due_of(snap, event, DUE_DAYS)
    if isinstance(due, Outcome):
        return due
    assert view.id is not None
    chosen, action = str(snap.data.get("step", "")), str(snap.data.get("action", ""))
    effect = PlanKltb(view.id, name, chosen, action, due.at)
    return go(
        Step.ACTOR,
        note("kltb.planned", name=name, step=chosen),
        data={"target": name},
        effects=(effect,),
    )


class Kltb(StepFlow):
    key = "kltb"
    maps = True
    table = STEPS
    button_prefixes = (kltb_targets.PREFIX,)

    def on_button(self, snap: Snapshot, event: Event) -> Outcome:
        """``kt:…`` under an analysis: the suggested actor becomes a KLTB target."""
        return kltb_targets.suggested(snap, event)

    def guard_prompt(self, snap: Snapshot) -> tuple[Reply, ...] | None:
        view = personal_map(snap)
        if snap.state == Step.CASES:
            return None
        if view is None or not view.others():
            cases = _cases_row(snap) if view is not None and view.id is not None else ()
            return (
                Reply(
                    "kltb.no_stakeholders",
                    {},
                    (
                        (Option("net", "kltb.btn_to_map"),),
                        *cases,
                        (Option("menu", "common.btn_menu"),),
                    ),
                ),
            )
        return None

    def guard(self, snap: Snapshot, event: Event) -> Outcome | None:
        """The menu, the map, no stakeholders, media; a stakeholder gone: the list again."""
        view = personal_map(snap)
        if event.choice == "menu":
            return go(MenuStep.MAIN)
        if event.choice == "net":
            return open_map(snap)
        if event.kind in (EventKind.UNSUPPORTED, EventKind.DOCUMENT):
            return stay(snap, note("kltb.bad_media"))
        if snap.state == Step.CASES:
            return None
        if event.choice == "cases" and view is not None and view.id is not None:
            return go(Step.CASES) if case_actors(snap) else stay(snap, reprompt=True)
        if view is None or not view.others():
            return stay(snap, note("common.use_buttons"))
        if Step(snap.state) is not Step.PICK and view.find(_target(snap)) is None:
            return go(Step.PICK)
        return None


def _label(view: MapView, name: str) -> str:
    reached = view.kltb_reached(name)
    done = KLTB_STEPS.index(reached) + 1 if reached else 0
    return f"{name} · {'●' * done}{'○' * (len(KLTB_STEPS) - done)}"


FLOW = Kltb()
