"""Editing an actor after the fact: pick one, then change any detail (kind, role, inside or
outside, resources, needs, Ibarra & Hunter type), rename, connect, change or delete one of their
ties, merge a duplicate into another actor, or delete them."""

from __future__ import annotations

from typing import Any

from coaching.flows import picker
from coaching.flows.common import go, note, stay
from coaching.flows.network.guided import start_peers
from coaching.flows.network.shared import HOME, ON_MAP, Step, change, continue_at
from coaching.model import Event, EventKind, Option, Outcome, Reply, Snapshot
from coaching.names import resolve
from coaching.network import (
    FLOWS,
    Actor,
    DeleteActor,
    DeleteTie,
    EditError,
    MapView,
    RenameActor,
    UpdateTie,
    check_actor_name,
    merge_ops,
)


@ON_MAP.prompt(Step.EDIT_PICK)
def ask_edit_pick(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    names = [a.name for a in view.others()]
    page = int(snap.data.get("page", 0))
    picks: tuple[tuple[Option, ...], ...] = (
        *picker.pick_rows(names, page),
        (Option("back", "common.btn_back"),),
    )
    return (Reply("network.ask_edit_pick", {"count": len(names)}, picks, edit="page" in snap.data),)


@ON_MAP.handler(Step.EDIT_PICK)
def on_edit_pick(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Chooses the actor to rename, connect or delete."""
    names = [a.name for a in view.others()]
    page = int(snap.data.get("page", 0))
    if event.choice == "back":
        return go(HOME)
    if (turned := picker.turn(event.choice, page, len(names))) is not None:
        return go(Step.EDIT_PICK, data={"page": turned})
    if (index := picker.index_of(event.choice, "pick", len(names))) is not None:
        return go(Step.EDIT, data={"target": names[index]})
    return stay(snap, note("common.use_buttons"))


ATTRIBUTES = {  # the actor card's buttons: each opens guided entry's question, in edit mode
    "kind": Step.KIND,
    "role": Step.ROLE,
    "inside": Step.INSIDE,
    "resources": Step.RESOURCES,
    "needs": Step.NEEDS,
    "ibarra": Step.IBARRA,
}


def gone(snap: Snapshot, view: MapView, key: str = "target") -> Outcome | None:
    """The actor being edited is no longer on the map (another message deleted or renamed
    them): say so and go home, changing nothing."""
    target = str(snap.data.get(key, ""))
    if view.find(target) is not None:
        return None
    return go(HOME, note("network.actor_gone", name=target))


@ON_MAP.prompt(Step.EDIT)
def ask_edit(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    target = view.find(str(snap.data.get("target", "")))
    if target is None:
        return ()
    attributes = tuple(Option(a, f"network.btn_edit_{a}") for a in ATTRIBUTES)
    rows: tuple[tuple[Option, ...], ...] = (
        attributes[:3],
        attributes[3:],
        (Option("rename", "network.btn_rename"), Option("connect", "network.btn_connect")),
    )
    if view.neighbours(target.name):
        rows += ((Option("ties", "network.btn_edit_ties"),),)
    rows += (
        (Option("merge", "network.btn_merge"), Option("delete", "network.btn_delete")),
        (Option("back", "common.btn_back"),),
    )
    return (Reply("network.edit_actor", actor_context(view, target), rows),)


@ON_MAP.handler(Step.EDIT)
def on_edit(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    target = str(snap.data.get("target", ""))
    if event.choice == "back":
        return go(Step.EDIT_PICK)
    if (missing := gone(snap, view)) is not None:
        return missing
    actor = view.find(target)
    if event.choice in ATTRIBUTES and actor is not None:
        current = {"name": actor.name, "resources": list(actor.resources)}
        return go(ATTRIBUTES[event.choice], data={"edit": actor.name, "actor": current})
    if event.choice == "ties":
        return go(Step.TIE_PICK, data={"target": target})
    if event.choice == "merge":
        return go(Step.MERGE, data={"target": target})
    if event.choice == "rename":
        return go(Step.RENAME, data={"target": target})
    if event.choice == "delete":
        return go(Step.DELETE, data={"target": target})
    if event.choice == "connect":
        return start_peers(view, target)
    return stay(snap, note("common.use_buttons"))


@ON_MAP.prompt(Step.RENAME)
def ask_rename(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    return (
        Reply(
            "network.ask_rename",
            {"name": snap.data.get("target", "")},
            ((Option("back", "common.btn_back"),),),
        ),
    )


@ON_MAP.handler(Step.RENAME)
def on_rename(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Renames the actor (ties follow)."""
    target = str(snap.data.get("target", ""))
    if event.choice == "back":
        return go(Step.EDIT, data={"target": target})
    if (missing := gone(snap, view)) is not None:
        return missing
    name, problem = (
        check_actor_name(event.text) if event.kind is EventKind.TEXT else (None, "names.empty")
    )
    if name is None:
        return stay(snap, note(problem or "names.chars"), reprompt=False)
    current = view.find(target)
    taken = view.find(name)
    if taken is None and current is not None:  # the resolver, as for every name typed
        ego = view.ego
        others = [a.name for a in view.others() if a.key != current.key]
        found = resolve(name, others, ego=None if ego is None else ego.name)
        if found.kind == "ego" and ego is None:  # "Saya" on a case map: nobody to merge into
            return stay(snap, note("network.no_ego_here"), reprompt=False)
        if found.kind in ("ego", "same") and found.name:
            taken = view.find(found.name)
    if taken is not None and current is not None and taken.key != current.key:
        # The new name is another actor's, or the participant's ("Saya", "dr nia" for
        # "dr. Nia"): they are probably one person; offer the merge.
        return go(Step.MERGE, data={"target": target, "into": taken.name})
    return change(
        snap,
        view,
        [RenameActor(target, name)],
        note("network.renamed", old=target, new=name),
        state=HOME,
    )


@ON_MAP.prompt(Step.DELETE)
def ask_delete(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    target = view.find(str(snap.data.get("target", "")))
    ties = len(view.neighbours(target.name)) if target else 0
    return (
        Reply(
            "network.ask_delete",
            {"name": snap.data.get("target", ""), "ties": ties},
            ((Option("yes", "network.btn_delete_yes"), Option("no", "common.btn_back")),),
        ),
    )


@ON_MAP.handler(Step.DELETE)
def on_delete(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Deletes the actor and their ties, after a confirmation (undo restores both)."""
    target = str(snap.data.get("target", ""))
    if event.choice == "no":
        return go(Step.EDIT, data={"target": target})
    if event.choice != "yes":
        return stay(snap, note("common.use_buttons"))
    if (missing := gone(snap, view)) is not None:
        return missing
    return change(
        snap, view, [DeleteActor(target)], note("network.deleted", name=target), state=HOME
    )


# --- a tie of the actor: strength, direction, what flows in it, or delete it ---------------


def _tied(view: MapView, target: str) -> list[str]:
    names = {a.key: a.name for a in view.actors}
    return sorted(names[key] for key in view.neighbours(target) if key in names)


@ON_MAP.prompt(Step.TIE_PICK)
def ask_tie_pick(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    target = str(snap.data.get("target", ""))
    names = _tied(view, target)
    if view.find(target) is None or not names:
        return ()
    rows = (
        *picker.pick_rows(names, int(snap.data.get("page", 0))),
        (Option("back", "common.btn_back"),),
    )
    return (Reply("network.ask_tie_pick", {"name": target}, rows, edit="page" in snap.data),)


@ON_MAP.handler(Step.TIE_PICK)
def on_tie_pick(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Chooses which of the actor's ties to change."""
    target = str(snap.data.get("target", ""))
    if event.choice == "back":
        return go(Step.EDIT, data={"target": target})
    if (missing := gone(snap, view)) is not None:
        return missing
    names = _tied(view, target)
    page = int(snap.data.get("page", 0))
    if (turned := picker.turn(event.choice, page, len(names))) is not None:
        return go(Step.TIE_PICK, data={"target": target, "page": turned})
    if (index := picker.index_of(event.choice, "pick", len(names))) is not None:
        return go(Step.TIE, data={"target": target, "other": names[index]})
    return stay(snap, note("common.use_buttons"))


@ON_MAP.prompt(Step.TIE)
def ask_tie(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    target, other = str(snap.data.get("target", "")), str(snap.data.get("other", ""))
    tie = view.tie(target, other)
    a, b = view.find(target), view.find(other)
    if tie is None or a is None or b is None:
        return ()
    source, sink = (a, b) if tie.a == a.key else (b, a)
    way = "both" if tie.direction == "both" else ("ab" if source.key == a.key else "ba")
    flows = tuple(
        (Option(f"flow:{f}", "network.btn_flow", {"flow": f, "on": f in tie.flows}),) for f in FLOWS
    )
    rows: tuple[tuple[Option, ...], ...] = (
        (
            Option("s:strong", "network.btn_set_strong", {"on": tie.strength == "strong"}),
            Option("s:weak", "network.btn_set_weak", {"on": tie.strength == "weak"}),
        ),
        (Option("d:both", "network.btn_set_two_way", {"on": way == "both"}),),
        (Option("d:ab", "network.btn_set_one_way", {"a": a.name, "b": b.name, "on": way == "ab"}),),
        (Option("d:ba", "network.btn_set_one_way", {"a": b.name, "b": a.name, "on": way == "ba"}),),
        *flows,
        (Option("untie", "network.btn_delete_tie"),),
        (Option("back", "common.btn_back"),),
    )
    context = {
        "a": source.name,
        "b": sink.name,
        "strength": tie.strength,
        "direction": tie.direction,
        "flows": list(tie.flows),
    }
    return (Reply("network.edit_tie", context, rows, edit=bool(snap.data.get("edited"))),)


@ON_MAP.handler(Step.TIE)
def on_tie(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Each press changes the tie at once (undo goes back step by step)."""
    target, other = str(snap.data.get("target", "")), str(snap.data.get("other", ""))
    here = {"target": target, "other": other}
    if event.choice == "back":
        return go(Step.TIE_PICK, data={"target": target})
    if (missing := gone(snap, view) or gone(snap, view, "other")) is not None:
        return missing
    tie = view.tie(target, other)
    if tie is None:
        return go(Step.EDIT, note("network.tie_gone", a=target, b=other), data={"target": target})
    if event.choice == "untie":
        deleted = note("network.tie_deleted", a=target, b=other)
        return continue_at(
            change(snap, view, [DeleteTie(target, other)], deleted), Step.EDIT, {"target": target}
        )
    names = {a.key: a.name for a in view.actors}
    source, sink = names[tie.a], names[tie.b]
    strength, direction, flows = tie.strength, tie.direction, list(tie.flows)
    choice = event.choice
    if choice.startswith("s:") and choice[2:] in ("strong", "weak"):
        strength = choice[2:]
    elif choice == "d:both":
        direction = "both"
    elif choice in ("d:ab", "d:ba"):
        direction = "out"
        source, sink = (target, other) if choice == "d:ab" else (other, target)
    elif choice.startswith("flow:") and choice[5:] in FLOWS:
        flow = choice[5:]
        flows = [f for f in flows if f != flow] if flow in flows else [*flows, flow]
        flows = [f for f in FLOWS if f in flows]
    else:
        return stay(snap, note("common.use_buttons"))
    update = UpdateTie(source, sink, strength, direction, tuple(flows))
    if view.apply([update])[0].tie(target, other) == tie:  # pressed what it already is
        return go(Step.TIE, data={**here, "edited": True})
    return continue_at(change(snap, view, [update]), Step.TIE, {**here, "edited": True})


def actor_context(view: MapView, actor: Actor) -> dict[str, Any]:
    names = {a.key: a.name for a in view.actors}
    return {
        "name": actor.name,
        "kind": actor.kind,
        "role": actor.role,
        "inside": actor.inside,
        "resources": list(actor.resources),
        "needs": actor.needs,
        "ibarra": actor.ibarra,
        "ties": sorted(names[key] for key in view.neighbours(actor.name) if key in names),
    }


# --- merging a duplicate into another actor -----------------------------------------------------


def _merge_candidates(view: MapView, target: str) -> list[str]:
    """Everyone the actor could be merged into: first whom the resolver takes their name for
    (the participant, or the actors it would ask "did you mean…?" about), then the others."""
    actor = view.find(target)
    names = [a.name for a in view.actors if actor is None or a.key != actor.key]
    ego = view.ego
    try:
        found = resolve(
            target,
            [n for n in names if ego is None or n != ego.name],
            ego=None if ego is None or actor is ego else ego.name,
        )
    except ValueError:  # a name stored before today's name rules: no likely match to offer
        return names
    likely = [found.name] if found.kind in ("ego", "same") and found.name else []
    likely += [n for n in found.candidates if n not in likely]
    likely = [n for n in likely if n in names]
    return [*likely, *(n for n in names if n not in likely)]


@ON_MAP.prompt(Step.MERGE)
def ask_merge(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    target = str(snap.data.get("target", ""))
    if view.find(target) is None:
        return ()
    into = snap.data.get("into")
    if into:
        return (
            Reply(
                "network.ask_merge_confirm",
                {"name": target, "into": str(into)},
                ((Option("yes", "network.btn_merge_yes"), Option("back", "common.btn_back")),),
            ),
        )
    names = _merge_candidates(view, target)
    rows = (
        *picker.pick_rows(names, int(snap.data.get("page", 0))),
        (Option("back", "common.btn_back"),),
    )
    return (Reply("network.ask_merge", {"name": target}, rows, edit="page" in snap.data),)


@ON_MAP.handler(Step.MERGE)
def on_merge(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Merges the actor into another (ties and attributes combined; undo separates them)."""
    target = str(snap.data.get("target", ""))
    if event.choice == "back":
        return go(Step.EDIT, data={"target": target})
    if (missing := gone(snap, view)) is not None:
        return missing
    into = snap.data.get("into")
    if into:
        if event.choice != "yes":
            return stay(snap, note("common.use_buttons"))
        try:
            ops = merge_ops(view, target, str(into))
        except EditError as error:
            return go(HOME, note(error.key, **error.context))
        dropped = next(op.key for op in ops if isinstance(op, DeleteActor))
        # The participant always stays: merging them "into" someone keeps them instead.
        first = view.find(dropped) == view.find(target)
        pair = (target, str(into)) if first else (str(into), target)
        merged = note("network.merged", name=pair[0], into=pair[1])
        return change(snap, view, ops, merged, state=HOME)
    names = _merge_candidates(view, target)
    page = int(snap.data.get("page", 0))
    if (turned := picker.turn(event.choice, page, len(names))) is not None:
        return go(Step.MERGE, data={"target": target, "page": turned})
    if (index := picker.index_of(event.choice, "pick", len(names))) is not None:
        return go(Step.MERGE, data={"target": target, "into": names[index]})
    return stay(snap, note("common.use_buttons"))
