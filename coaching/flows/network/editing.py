"""Editing an actor after the fact: pick one, then rename, connect or delete them."""

from __future__ import annotations

from typing import Any

from coaching.flows import picker
from coaching.flows.common import go, note, stay
from coaching.flows.network.guided import start_peers
from coaching.flows.network.shared import HOME, Step, Steps, change
from coaching.model import Event, EventKind, Option, Outcome, Reply, Snapshot
from coaching.network import Actor, DeleteActor, MapView, RenameActor, check_actor_name


def ask_edit_pick(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    names = [a.name for a in view.others()]
    page = int(snap.data.get("page", 0))
    picks: tuple[tuple[Option, ...], ...] = (
        *picker.pick_rows(names, page),
        (Option("back", "common.btn_back"),),
    )
    return (Reply("network.ask_edit_pick", {"count": len(names)}, picks, edit="page" in snap.data),)


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


def ask_edit(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    target = view.find(str(snap.data.get("target", "")))
    if target is None:
        return ()
    return (
        Reply(
            "network.edit_actor",
            actor_context(view, target),
            (
                (
                    Option("rename", "network.btn_rename"),
                    Option("connect", "network.btn_connect"),
                ),
                (Option("delete", "network.btn_delete"),),
                (Option("back", "common.btn_back"),),
            ),
        ),
    )


def on_edit(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    target = str(snap.data.get("target", ""))
    if event.choice == "rename":
        return go(Step.RENAME, data={"target": target})
    if event.choice == "delete":
        return go(Step.DELETE, data={"target": target})
    if event.choice == "connect":
        return start_peers(view, target)
    if event.choice == "back":
        return go(Step.EDIT_PICK)
    return stay(snap, note("common.use_buttons"))


def ask_rename(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    return (
        Reply(
            "network.ask_rename",
            {"name": snap.data.get("target", "")},
            ((Option("back", "common.btn_back"),),),
        ),
    )


def on_rename(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Renames the actor (ties follow)."""
    target = str(snap.data.get("target", ""))
    if event.choice == "back":
        return go(Step.EDIT, data={"target": target})
    name, problem = (
        check_actor_name(event.text)
        if event.kind is EventKind.TEXT
        else (None, "network.bad_name_empty")
    )
    if name is None:
        return stay(snap, note(problem or "network.bad_name_chars"), reprompt=False)
    return change(
        snap,
        view,
        [RenameActor(target, name)],
        note("network.renamed", old=target, new=name),
        state=HOME,
    )


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


def on_delete(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Deletes the actor and their ties, after a confirmation (undo restores both)."""
    target = str(snap.data.get("target", ""))
    if event.choice == "no":
        return go(Step.EDIT, data={"target": target})
    if event.choice != "yes":
        return stay(snap, note("common.use_buttons"))
    return change(
        snap, view, [DeleteActor(target)], note("network.deleted", name=target), state=HOME
    )


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


STEPS: Steps = {
    Step.EDIT_PICK: (ask_edit_pick, on_edit_pick),
    Step.EDIT: (ask_edit, on_edit),
    Step.RENAME: (ask_rename, on_rename),
    Step.DELETE: (ask_delete, on_delete),
}
