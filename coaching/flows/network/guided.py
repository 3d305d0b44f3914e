"""Guided entry: each actor's attributes (mapping step 2b/2c, Ibarra & Hunter), the
participant's own tie to them (Cross), and who among the others they work with (step 3).
The name generators themselves (step 2a/2b) are :mod:`.naming`'s."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from coaching.flows import picker
from coaching.flows.common import go, note, stay
from coaching.flows.network.shared import (
    HOME,
    MAP_TITLE_MAX,
    ON_MAP,
    QUESTIONS,
    Step,
    back_from,
    change,
    continue_at,
)
from coaching.flows.steps import Back, carry_back
from coaching.model import Event, EventKind, Option, Outcome, Reply, Snapshot
from coaching.network import (
    ACTOR_KINDS,
    FLOWS,
    IBARRA,
    RESOURCES,
    AddActor,
    AddTie,
    MapView,
    Op,
    UpdateActor,
)
from coaching.validate import check_answer, normalise

# --- the actor's attributes (step 2b/2c, Ibarra & Hunter) ----------------------------------------


def actor_name(snap: Snapshot) -> str:
    return str(dict(snap.data.get("actor") or {}).get("name", ""))


_name = actor_name
SAVE_NOW = Option("save", "network.btn_save_now")


def save_row(snap: Snapshot) -> tuple[tuple[Option, ...], ...]:
    """ "✓ save now" under each optional question of guided entry (not when editing a card)."""
    return () if snap.data.get("edit") else ((SAVE_NOW,),)


def saved_now(snap: Snapshot, view: MapView, event: Event) -> Outcome | None:
    """ "✓ save now": the actor stored with what was given so far, the rest left empty."""
    if event.choice != "save" or snap.data.get("edit"):
        return None
    return save_new_actor(snap, view, dict(snap.data.get("actor") or {}))


def save_new_actor(snap: Snapshot, view: MapView, actor: Mapping[str, Any]) -> Outcome:
    """The new actor stored; a personal map then asks about your tie (never assumed), a case
    map who else they work with."""
    attributes = {k: v for k, v in actor.items() if k != "name"}
    name = str(actor.get("name", ""))
    outcome = change(
        snap, view, [AddActor(name, attributes)], note("network.actor_saved", name=name)
    )
    data = carry_back(
        snap.data, {"actor": {"name": name}, "q": snap.data.get("q", "2a"), "target": name}
    )
    if view.ego is not None:
        return continue_at(outcome, Step.EGO_TIE, data)
    return peers_or_next(outcome, snap, view, name, data)


def peers_or_next(
    outcome: Outcome, snap: Snapshot, view: MapView, target: str, data: Mapping[str, Any]
) -> Outcome:
    """Guided entry goes on to who else works with ``target`` — or, with nobody else on the
    map to tie them to, straight to the next name."""
    if peer_names(view, target):
        return continue_at(outcome, Step.PEERS, data)
    return continue_at(outcome, Step.NAME, carry_back(snap.data, {"q": next_question(snap.data)}))


def next_attribute(snap: Snapshot, view: MapView, step: Step, **values: Any) -> Outcome:
    """The next question of guided entry; when editing an actor, the value is saved instead."""
    if snap.data.get("edit"):
        return save_attribute(snap, view, values)
    actor = {**dict(snap.data.get("actor") or {}), **values}
    return go(step, data={**snap.data, "actor": actor})


def save_attribute(snap: Snapshot, view: MapView, values: Mapping[str, Any]) -> Outcome:
    """An attribute changed from the actor's card (nothing given: left as it was)."""
    target = str(snap.data.get("edit", ""))
    if view.find(target) is None:
        return go(HOME, note("network.actor_gone", name=target))
    if not values:
        return go(Step.EDIT, data={"target": target})
    saved = note("network.actor_updated", name=target)
    return continue_at(
        change(snap, view, [UpdateActor(target, dict(values))], saved),
        Step.EDIT,
        {"target": target},
    )


@ON_MAP.prompt(Step.KIND)
def ask_kind(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    rows = tuple((Option(k, f"network.btn_kind_{k}"),) for k in ACTOR_KINDS)
    return (Reply("network.ask_kind", {"name": _name(snap)}, rows),)


@ON_MAP.handler(Step.KIND)
def on_kind(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Stores the kind (person, group, organisation) and asks for the role."""
    if event.choice not in ACTOR_KINDS:
        return stay(snap, note("common.use_buttons"))
    return next_attribute(snap, view, Step.ROLE, kind=event.choice)


@ON_MAP.prompt(Step.ROLE)
def ask_role(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    return (
        Reply(
            "network.ask_role",
            {"name": _name(snap)},
            ((Option("skip", "network.btn_skip"),), *save_row(snap)),
        ),
    )


@ON_MAP.handler(Step.ROLE)
def on_role(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Stores the agency/role and asks whether they are inside the organisation."""
    if (saved := saved_now(snap, view, event)) is not None:
        return saved
    if event.choice == "skip":
        return next_attribute(snap, view, Step.INSIDE)
    checked = check_answer(event.text) if event.kind is EventKind.TEXT else None
    if checked is None or checked.value is None or len(checked.value) > MAP_TITLE_MAX:
        return stay(snap, note("network.bad_role"), reprompt=False)
    return next_attribute(snap, view, Step.INSIDE, role=normalise(checked.value))


@ON_MAP.prompt(Step.INSIDE)
def ask_inside(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    return (
        Reply(
            "network.ask_inside",
            {"name": _name(snap)},
            (
                (Option("in", "network.btn_inside"), Option("out", "network.btn_outside")),
                (Option("skip", "network.btn_skip"),),
                *save_row(snap),
            ),
        ),
    )


@ON_MAP.handler(Step.INSIDE)
def on_inside(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Stores inside/outside and asks which resources they hold."""
    if (saved := saved_now(snap, view, event)) is not None:
        return saved
    if event.choice not in ("in", "out", "skip"):
        return stay(snap, note("common.use_buttons"))
    if event.choice == "skip" and snap.data.get("edit"):
        return save_attribute(snap, view, {})
    inside = {"in": True, "out": False}.get(event.choice)
    return next_attribute(snap, view, Step.RESOURCES, inside=inside)


@ON_MAP.prompt(Step.RESOURCES)
def ask_resources(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    chosen = set(dict(snap.data.get("actor") or {}).get("resources") or ())
    rows = tuple(
        (Option(f"res:{r}", "network.btn_resource", {"resource": r, "on": r in chosen}),)
        for r in RESOURCES
    )
    return (
        Reply(
            "network.ask_resources",
            {"name": _name(snap)},
            (*rows, (Option("done", "network.btn_done"),), *save_row(snap)),
            edit=bool(chosen),
        ),
    )


@ON_MAP.handler(Step.RESOURCES)
def on_resources(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Toggles resources (step 2b); "done" asks what they need."""
    actor = dict(snap.data.get("actor") or {})
    if (saved := saved_now(snap, view, event)) is not None:
        return saved
    if event.choice == "done":
        if snap.data.get("edit"):
            return save_attribute(snap, view, {"resources": list(actor.get("resources") or [])})
        return go(Step.NEEDS, data={**snap.data, "actor": actor})
    resource = event.choice.removeprefix("res:")
    if not event.choice.startswith("res:") or resource not in RESOURCES:
        return stay(snap, note("common.use_buttons"))
    chosen = list(actor.get("resources") or [])
    chosen = [r for r in chosen if r != resource] if resource in chosen else [*chosen, resource]
    actor["resources"] = [r for r in RESOURCES if r in chosen]
    return go(Step.RESOURCES, data={**snap.data, "actor": actor})


@ON_MAP.prompt(Step.NEEDS)
def ask_needs(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    return (
        Reply(
            "network.ask_needs",
            {"name": _name(snap)},
            ((Option("skip", "network.btn_skip"),), *save_row(snap)),
        ),
    )


@ON_MAP.handler(Step.NEEDS)
def on_needs(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Stores what they need (step 2c) and asks the Ibarra & Hunter type."""
    if (saved := saved_now(snap, view, event)) is not None:
        return saved
    if event.choice == "skip":
        return next_attribute(snap, view, Step.IBARRA)
    checked = check_answer(event.text) if event.kind is EventKind.TEXT else None
    if checked is None or checked.value is None or len(checked.value) > 500:
        return stay(snap, note("network.bad_needs"), reprompt=False)
    return next_attribute(snap, view, Step.IBARRA, needs=checked.value)


@ON_MAP.prompt(Step.IBARRA)
def ask_ibarra(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    rows = tuple((Option(t, f"network.btn_ibarra_{t}"),) for t in IBARRA)
    return (
        Reply(
            "network.ask_ibarra",
            {"name": _name(snap)},
            (*rows, (Option("skip", "network.btn_skip"),), *save_row(snap)),
        ),
    )


@ON_MAP.handler(Step.IBARRA)
def on_ibarra(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Stores the type and saves the actor; a personal map then asks about your tie."""
    if (saved := saved_now(snap, view, event)) is not None:
        return saved
    if event.choice not in (*IBARRA, "skip"):
        return stay(snap, note("common.use_buttons"))
    if snap.data.get("edit"):
        return save_attribute(
            snap, view, {} if event.choice == "skip" else {"ibarra": event.choice}
        )
    actor = dict(snap.data.get("actor") or {})
    if event.choice != "skip":
        actor["ibarra"] = event.choice
    # The participant's own tie is asked next (strong, weak or none): not assumed here.
    return save_new_actor(snap, view, actor)


# --- the participant's own tie (Cross: what flows in it) -----------------------------------------


@ON_MAP.prompt(Step.EGO_TIE)
def ask_ego_tie(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    return (
        Reply(
            "network.ask_ego_tie",
            {"name": _name(snap)},
            (
                (Option("strong", "network.btn_strong"), Option("weak", "network.btn_weak")),
                (Option("none", "network.btn_no_direct_tie"),),
            ),
        ),
    )


@ON_MAP.handler(Step.EGO_TIE)
def on_ego_tie(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Stores how strong your tie is; asks its direction."""
    if event.choice == "none":
        target = str(snap.data.get("target", ""))
        return peers_or_next(go(Step.PEERS, data=dict(snap.data)), snap, view, target, snap.data)
    if event.choice not in ("strong", "weak"):
        return stay(snap, note("common.use_buttons"))
    return go(Step.EGO_DIRECTION, data={**snap.data, "strength": event.choice})


@ON_MAP.prompt(Step.EGO_DIRECTION)
def ask_ego_direction(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    name = _name(snap)
    return (
        Reply(
            "network.ask_ego_direction",
            {"name": name},
            (
                (Option("both", "network.btn_two_way"),),
                (Option("out", "network.btn_me_to", {"name": name}),),
                (Option("in", "network.btn_to_me", {"name": name}),),
                (Option("save", "network.btn_save_two_way"),),
            ),
        ),
    )


@ON_MAP.handler(Step.EGO_DIRECTION)
def on_ego_direction(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Stores the tie's direction; asks what flows through it (Cross). "✓ save now": two-way,
    nothing said of what flows."""
    if event.choice == "save" and view.ego is not None:
        return save_ego_tie(snap, view, "both", [])
    if event.choice not in ("both", "out", "in") or view.ego is None:
        return stay(snap, note("common.use_buttons"))
    return go(Step.EGO_FLOWS, data={**snap.data, "direction": event.choice, "flows": []})


@ON_MAP.prompt(Step.EGO_FLOWS)
def ask_ego_flows(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    chosen = set(snap.data.get("flows") or ())
    rows = tuple(
        (Option(f"flow:{f}", "network.btn_flow", {"flow": f, "on": f in chosen}),) for f in FLOWS
    )
    return (
        Reply(
            "network.ask_flows",
            {"name": _name(snap)},
            (*rows, (Option("done", "network.btn_done"),)),
            edit=bool(chosen),
        ),
    )


@ON_MAP.handler(Step.EGO_FLOWS)
def on_ego_flows(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Toggles what flows in your tie; "done" saves it and asks who else they work with."""
    chosen = list(snap.data.get("flows") or [])
    flow = event.choice.removeprefix("flow:")
    if event.choice.startswith("flow:") and flow in FLOWS:
        chosen = [f for f in chosen if f != flow] if flow in chosen else [*chosen, flow]
        return go(Step.EGO_FLOWS, data={**snap.data, "flows": [f for f in FLOWS if f in chosen]})
    if event.choice != "done" or view.ego is None:
        return stay(snap, note("common.use_buttons"))
    return save_ego_tie(snap, view, str(snap.data.get("direction", "both")), chosen)


def save_ego_tie(snap: Snapshot, view: MapView, way: str, flows: Sequence[str]) -> Outcome:
    """Your tie to the new actor stored; then who else works with them."""
    if view.ego is None:
        return stay(snap, note("common.use_buttons"))
    name, strength = str(snap.data.get("target", "")), snap.data.get("strength")
    ego = view.ego.name
    a, b = (name, ego) if way == "in" else (ego, name)
    direction = "both" if way == "both" else "out"
    tie = AddTie(a, b, str(strength), direction, tuple(flows))
    data = {k: v for k, v in snap.data.items() if k not in ("flows", "direction")}
    return peers_or_next(change(snap, view, [tie]), snap, view, name, data)


# --- who works with whom (step 3) -------------------------------------------------------------


def peer_names(view: MapView, target: str) -> list[str]:
    """Who the target could be tied to: everyone else not yet tied to them, by name."""
    tied = view.neighbours(target)
    target_actor = view.find(target)
    key = target_actor.key if target_actor else ""
    return [a.name for a in view.others() if a.key != key and a.key not in tied]


def start_peers(view: MapView, target: str | None, *, back: Back | None = None) -> Outcome:
    """Tie entry for one actor; without one, the first actor with the fewest ties."""
    if target is None:
        others = view.others()
        if len(others) < 2:
            return go(HOME, note("network.need_two"))
        target = min(others, key=lambda a: (len(view.neighbours(a.name)), a.key)).name
    if not peer_names(view, target):
        return (back or Back(HOME)).go(note("network.all_tied", name=target))
    data = {"target": target, "q": "2a"}
    return go(Step.PEERS, data=back.into(data) if back else data)


@ON_MAP.prompt(Step.PEERS)
def ask_peers(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    data = snap.data
    target = str(data.get("target", ""))
    names = peer_names(view, target)
    selected = frozenset(int(i) for i in data.get("picked") or [])
    rows = picker.pick_rows(names, int(data.get("page", 0)), selected=selected)
    done = "network.btn_done" if names else "network.btn_continue"
    rows += ((Option("done", done, {"count": len(selected)}),),)
    return (
        Reply(
            "network.ask_peers",
            {"name": target, "count": len(names)},
            rows,
            edit="picked" in data or "page" in data,
        ),
    )


@ON_MAP.handler(Step.PEERS)
def on_peers(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Toggles who works with the actor (step 3); "done" asks which ties are strong."""
    names = peer_names(view, str(snap.data.get("target", "")))
    selected = set(snap.data.get("picked") or [])
    page = int(snap.data.get("page", 0))
    if (turned := picker.turn(event.choice, page, len(names))) is not None:
        return go(Step.PEERS, data={**snap.data, "page": turned})
    if (toggle := picker.toggled(event.choice, len(names))) is not None:
        index, on = toggle
        selected = selected | {index} if on else selected - {index}
        return go(Step.PEERS, data={**snap.data, "picked": sorted(selected)})
    if event.choice == "done":
        if not selected:
            return after_ties(snap, view, [])
        return go(Step.STRONG, data={**snap.data, "page": 0, "strong": []})
    return stay(snap, note("common.use_buttons"))


@ON_MAP.prompt(Step.STRONG)
def ask_strong(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    data = snap.data
    target = str(data.get("target", ""))
    names = peer_names(view, target)
    picked = [names[i] for i in data.get("picked") or [] if i < len(names)]
    strong = frozenset(int(i) for i in data.get("strong") or [])
    rows = picker.pick_rows(picked, 0, selected=strong)
    rows += ((Option("done", "network.btn_done", {"count": len(picked)}),),)
    return (Reply("network.ask_strong", {"name": target}, rows, edit=bool(data.get("strong"))),)


@ON_MAP.handler(Step.STRONG)
def on_strong(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Toggles which new ties are strong; "done" saves the ties."""
    target = str(snap.data.get("target", ""))
    names = peer_names(view, target)
    picked = [names[i] for i in snap.data.get("picked") or [] if i < len(names)]
    strong = set(snap.data.get("strong") or [])
    if (toggle := picker.toggled(event.choice, len(picked))) is not None:
        index, on = toggle
        strong = strong | {index} if on else strong - {index}
        return go(Step.STRONG, data={**snap.data, "strong": sorted(strong)})
    if event.choice != "done":
        return stay(snap, note("common.use_buttons"))
    ops: list[Op] = [
        AddTie(target, name, "strong" if i in strong else "weak") for i, name in enumerate(picked)
    ]
    return after_ties(snap, view, ops)


def after_ties(snap: Snapshot, view: MapView, ops: Sequence[Op]) -> Outcome:
    """Saves the new ties, then back to naming stakeholders (guided) or home."""
    guided = snap.data.get("actor") is not None
    replies = (
        (note("network.ties_saved", count=len(ops), name=snap.data.get("target", "")),)
        if ops
        else ()
    )
    back = back_from(snap.data)
    state = Step.NAME if guided else back.state
    data = carry_back(snap.data, {"q": next_question(snap.data)}) if guided else dict(back.data)
    if not ops:
        return go(state, *replies, data=data)
    outcome = change(snap, view, ops, *replies)
    return continue_at(outcome, state, data)


def next_question(data: Mapping[str, Any]) -> str:
    current = str(data.get("q", "2a"))
    return (
        QUESTIONS[(QUESTIONS.index(current) + 1) % len(QUESTIONS)] if current in QUESTIONS else "2a"
    )
