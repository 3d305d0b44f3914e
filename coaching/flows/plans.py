"""Planned ties ("Rencana"): each new tie the participant planned, done, moved or dropped.

Bab IV step 4 plans new ties to weave ("merajut jejaring"), each with an optional date, and
reminders nudge about the most overdue one. Here the participant closes the loop, from the
list (``/rencana``, the menu, the map home), from a nudge's guide, or from the follow-up a
nudge asks a week after the date:

- **done**, with a short note on how it went (stored and dated). If both people are actors on
  the plan's map and not yet tied there, the tie is added to the map (one undoable change):
  the tie the participant wove now exists. A tie already on the map is left as it is;
- **moved** to a new date, typed (``20/12``, ``20 Des``, ``minggu depan``, ``7 hari``…) or
  one of the quick buttons; the follow-up is asked again a week after the new date;
- **dropped**, after a confirmation.

Only a planned tie can be changed: storage re-checks the status, so a second press (or a
stale message) changes nothing twice. Done and dropped ties are no longer nudged.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from coaching import schedule, unloaded
from coaching.flows import kltb_targets, picker, typedday
from coaching.flows.common import go, note, open_map, stay
from coaching.flows.states import MenuStep
from coaching.flows.states import PlansStep as Step
from coaching.flows.steps import StepFlow, Steps
from coaching.model import (
    ChangeMap,
    Effect,
    Event,
    EventKind,
    Option,
    Outcome,
    Reply,
    ResolvePlan,
    Snapshot,
)
from coaching.network import AddTie, EditError, MapView, PlannedTie
from coaching.validate import check_answer, is_number

ACTIONS = {"done": "plans.note", "move": "plans.date", "drop": "plans.drop"}
QUICK_DAYS = {"d7": 7, "d14": 14, "d30": 30}
LIST_MAX = 8  # open plans with a button each; the rest are counted
CLOSED_SHOWN = 5  # recently done or dropped, listed without buttons
NOTE_MAX = 500
AHEAD_MAX = typedday.AHEAD_MAX
HOME = MenuStep.MAIN


def all_plans(snap: Snapshot) -> list[tuple[MapView, PlannedTie]]:
    """Every planned tie on the participant's own maps, the earliest date first."""
    found = [(view, plan) for view in snap.maps for plan in view.planned if plan.id is not None]
    far = datetime.max.replace(tzinfo=snap.now.tzinfo)
    return sorted(found, key=lambda vp: (vp[1].due_at or far, vp[1].id or 0))


def find(snap: Snapshot, plan_id: int) -> tuple[MapView, PlannedTie] | None:
    return next(((v, p) for v, p in all_plans(snap) if p.id == plan_id), None)


def has_plans(snap: Snapshot) -> bool:
    """Whether any map has a planned tie (the menu offers the plans then); without the maps
    loaded, as storage counted it (``Snapshot.has_plans``)."""
    if unloaded.pending(snap):
        return snap.has_plans
    return any(view.planned for view in snap.maps)


def begin(snap: Snapshot, plan_id: int, action: str, *, followup: bool = False) -> Outcome:
    """Opens done (its note), move (its date) or drop (its confirmation) for one open plan.

    The reminders flow calls this for its guide's and follow-up's buttons, the list for its own.
    """
    found = find(snap, plan_id)
    if found is None or action not in ACTIONS:
        return _toast(snap, "common.stale_button")
    if not found[1].is_open:
        return _toast(snap, f"plans.already_{found[1].status}")
    state = ACTIONS[action]
    data: dict[str, Any] = {"plan": plan_id}
    if followup:
        data["followup"] = True
    if snap.state == state and snap.data.get("plan") == plan_id:
        return _toast(snap, "reminders.already_open")
    return go(state, data=data)


STEPS = Steps(Step)


def _found(snap: Snapshot) -> tuple[MapView, PlannedTie]:
    """The plan a step is about (the flow's guards see that it is still there)."""
    found = find(snap, _plan_id(snap))
    if found is None:
        raise LookupError("the plans flow's guards let no step work on a plan that is gone")
    return found


def _plan_id(snap: Snapshot) -> int:
    return int(snap.data.get("plan") or 0)


# --- the list -----------------------------------------------------------------------------------


@STEPS.prompt(Step.LIST)
def ask_list(snap: Snapshot) -> tuple[Reply, ...]:
    return (_list(snap),)


def _list(snap: Snapshot) -> Reply:
    plans = all_plans(snap)
    opened = [(v, p) for v, p in plans if p.is_open]
    closed = sorted(
        (p for _, p in plans if not p.is_open),
        key=lambda p: p.done_at or p.dropped_at or snap.now,
        reverse=True,
    )[:CLOSED_SHOWN]
    rows: list[tuple[Option, ...]] = [
        (Option(f"p:{i}", "plans.btn_plan", _plan_context(snap, v, p)),)
        for i, (v, p) in enumerate(opened[:LIST_MAX])
    ]
    rows.append((Option("net", "plans.btn_map"), Option("menu", "common.btn_menu")))
    context = {
        "open": [_plan_context(snap, v, p) for v, p in opened[:LIST_MAX]],
        "more": max(0, len(opened) - LIST_MAX),
        "closed": [_plan_context(snap, None, p) for p in closed],
    }
    return Reply("plans.list", context, tuple(rows))


@STEPS.handler(Step.LIST)
def on_list(snap: Snapshot, event: Event) -> Outcome:
    if event.choice == "menu":
        return go(HOME)
    if event.choice == "net":
        return open_map(snap)
    opened = [p for _, p in all_plans(snap) if p.is_open][:LIST_MAX]
    index = picker.index_of(event.choice, "p", len(opened))
    if index is None:
        return stay(snap, note("common.use_buttons"))
    return go(Step.ITEM, data={"plan": opened[index].id})


# --- one plan -----------------------------------------------------------------------------------

BACK_ROW = (Option("back", "common.btn_back"),)


@STEPS.prompt(Step.ITEM)
def ask_item(snap: Snapshot) -> tuple[Reply, ...]:
    found = find(snap, _plan_id(snap))
    if found is None:
        return (_list(snap),)
    view, plan = found
    rows: list[tuple[Option, ...]] = [
        (Option(f"kltb:{i}", "plans.btn_kltb", {"name": name}),)
        for i, name in _kltb_ends(view, plan)
    ]
    if plan.is_open:
        rows += [
            (Option("done", "plans.btn_done"), Option("move", "plans.btn_move")),
            (Option("drop", "plans.btn_drop"),),
        ]
    rows.append(BACK_ROW)
    return (Reply("plans.item", _plan_context(snap, view, plan), tuple(rows)),)


@STEPS.handler(Step.ITEM)
def on_item(snap: Snapshot, event: Event) -> Outcome:
    if event.choice == "back":
        return go(Step.LIST)
    if event.choice in ACTIONS:
        return begin(snap, _plan_id(snap), event.choice)
    found = find(snap, _plan_id(snap))
    ends = dict(_kltb_ends(*found)) if found else {}
    if (end := event.choice.removeprefix("kltb:")).isdigit() and int(end) in ends:
        return kltb_targets.open_target(snap, ends[int(end)])
    return stay(snap, note("common.use_buttons"))


# --- done, moved, dropped -----------------------------------------------------------------------


@STEPS.prompt(Step.NOTE)
def ask_note(snap: Snapshot) -> tuple[Reply, ...]:
    view, plan = _found(snap)
    rows = ((Option("nonote", "plans.btn_no_note"),), BACK_ROW)
    return (Reply("plans.ask_note", _plan_context(snap, view, plan), rows),)


@STEPS.handler(Step.NOTE)
def on_note(snap: Snapshot, event: Event) -> Outcome:
    """Marks the tie done with the participant's note, and weaves it into the map."""
    view, plan = _found(snap)
    if event.choice == "nonote":
        text: str | None = None
    elif event.kind is EventKind.TEXT:
        checked = check_answer(event.text)
        if checked.value is None or len(checked.value) > NOTE_MAX:
            return stay(snap, note(checked.problem or "plans.bad_note"), reprompt=False)
        text = checked.value
    else:
        return stay(snap, note("common.use_buttons"))
    followup = bool(snap.data.get("followup"))
    effects: list[Effect] = [ResolvePlan(plan.id or 0, "done", note=text, followup=followup)]
    woven = _weave(view, plan)
    if woven is not None:
        effects.append(woven)
    on_map = "added" if woven is not None else ("tied" if _tied(view, plan) else None)
    reply = note("plans.marked_done", on_map=on_map, **_names(plan))
    return go(Step.LIST, reply, effects=tuple(effects))


@STEPS.prompt(Step.DATE)
def ask_date(snap: Snapshot) -> tuple[Reply, ...]:
    view, plan = _found(snap)
    quick = tuple(Option(k, f"plans.btn_{k}") for k in QUICK_DAYS)
    rows = (*typedday.confirm_rows(snap), quick, BACK_ROW)
    return (Reply("plans.ask_date", _plan_context(snap, view, plan), rows),)


@STEPS.handler(Step.DATE)
def on_date(snap: Snapshot, event: Event) -> Outcome:
    """A new date: a quick button, or typed; never in the past, at most two years ahead."""
    _, plan = _found(snap)
    today = typedday.local_today(snap)
    typed = typedday.read(snap, event)
    if isinstance(typed, Outcome):  # typed: the day it was taken for, to confirm
        return typed
    if event.choice in QUICK_DAYS:
        day = today + timedelta(days=QUICK_DAYS[event.choice])
    elif typed is not None:
        day = typed
    else:
        return stay(snap, note("common.use_buttons"))
    due = due_at(snap, day)
    followup = bool(snap.data.get("followup"))
    effect = ResolvePlan(plan.id or 0, "move", due_at=due, followup=followup)
    when = schedule.local_parts(due, snap.profile.timezone)
    return go(Step.LIST, note("plans.moved", due=when, **_names(plan)), effects=(effect,))


@STEPS.prompt(Step.DROP)
def ask_drop(snap: Snapshot) -> tuple[Reply, ...]:
    view, plan = _found(snap)
    yes_no = (Option("yes", "plans.btn_drop_yes"), Option("no", "plans.btn_drop_no"))
    return (Reply("plans.ask_drop", _plan_context(snap, view, plan), (yes_no,)),)


@STEPS.handler(Step.DROP)
def on_drop(snap: Snapshot, event: Event) -> Outcome:
    _, plan = _found(snap)
    if event.choice == "yes":
        effect = ResolvePlan(plan.id or 0, "drop", followup=bool(snap.data.get("followup")))
        return go(Step.LIST, note("plans.dropped", **_names(plan)), effects=(effect,))
    return stay(snap, note("common.use_buttons"))


DECIDING = frozenset({Step.NOTE, Step.DATE, Step.DROP})  # done, moved or dropped: an open plan


class Plans(StepFlow):
    key = "plans"
    maps = True
    table = STEPS
    commands = ("rencana",)

    def on_command(self, snap: Snapshot, event: Event) -> Outcome:
        return go(Step.LIST)

    def guard_prompt(self, snap: Snapshot) -> tuple[Reply, ...] | None:
        step = Step(snap.state)
        if step in DECIDING:
            found = find(snap, _plan_id(snap))
            if found is None or not found[1].is_open:
                return ()  # gone, or closed meanwhile (another device, a repeated press): home
        return None

    def guard(self, snap: Snapshot, event: Event) -> Outcome | None:
        """Media; a plan that is gone: the list; back from deciding: the plan; closed: the list."""
        step = Step(snap.state)
        if event.kind in (EventKind.UNSUPPORTED, EventKind.DOCUMENT):
            return stay(snap, note("common.bad_media", media=event.media or "document"))
        if step is Step.LIST:
            return None
        found = find(snap, _plan_id(snap))
        if found is None:
            return go(Step.LIST)
        if step in DECIDING:
            if event.choice in ("back", "no"):
                return go(Step.ITEM, data={"plan": _plan_id(snap)})
            if not found[1].is_open:  # closed meanwhile (a second device): nothing to decide
                return go(Step.LIST)
        return None


def due_at(snap: Snapshot, day: date) -> datetime:
    """A planned day as an instant: the participant's reminder time that day, in their zone."""
    at = schedule.reminder_clock(snap.profile.reminder_time)
    return schedule.wall_clock(day, at, schedule.zone_of(snap.profile.timezone))


def _weave(view: MapView, plan: PlannedTie) -> ChangeMap | None:
    """The done tie added to its map, when both are actors there and not yet tied."""
    if view.id is None or view.read_only or _tied(view, plan):
        return None
    a, b = view.find(plan.a), view.find(plan.b)
    if a is None or b is None or a.key == b.key:
        return None
    try:
        _, undo = view.apply((AddTie(a.name, b.name),))
    except EditError:
        return None
    return ChangeMap(view.id, (AddTie(a.name, b.name),), undo)


def _kltb_ends(view: MapView, plan: PlannedTie) -> list[tuple[int, str]]:
    """The planned tie's ends that can become KLTB targets: anyone but the participant."""
    ego = view.ego
    return [
        (i, name)
        for i, name in enumerate((plan.a, plan.b))
        if ego is None or (found := view.find(name)) is None or found.key != ego.key
    ]


def _tied(view: MapView, plan: PlannedTie) -> bool:
    a, b = view.find(plan.a), view.find(plan.b)
    return a is not None and b is not None and any(t.joins(a.key, b.key) for t in view.ties)


def _names(plan: PlannedTie) -> dict[str, Any]:
    return {"a": plan.a, "b": plan.b}


def _plan_context(snap: Snapshot, view: MapView | None, plan: PlannedTie) -> dict[str, Any]:
    zone = snap.profile.timezone

    def when(moment: datetime | None) -> dict[str, Any] | None:
        return schedule.local_parts(moment, zone) if moment else None

    return {
        **_names(plan),
        "reason": plan.reason or None,
        "status": plan.status if plan.status != "planned" or plan.done_at is None else "done",
        "due": when(plan.due_at),
        "overdue": bool(plan.is_open and plan.due_at and plan.due_at <= snap.now),
        "note": plan.note,
        "closed": when(plan.done_at or plan.dropped_at),
        "map": (view.title if view.kind == "case" else None) if view else None,
    }


def _toast(snap: Snapshot, key: str) -> Outcome:
    return Outcome(snap.state, snap.data, toast=key, changed=False, reprompt=False)


def parse_action(value: str) -> tuple[int, str] | None:
    """``<plan id>:<d|m|x>`` (a follow-up button's tail) → (plan id, done|move|drop)."""
    plan, _, code = value.partition(":")
    action = {"d": "done", "m": "move", "x": "drop"}.get(code)
    if not is_number(plan) or action is None:
        return None
    return int(plan), action


FLOW = Plans()
