"""Guided entry in a few taps (issue 14): after a stakeholder's name, one message shows what
will be stored — a person, the rest to fill in later from their card — with "✓ save now" and
"details…" (the full questions of :mod:`.guided`, each with its own "✓ save now").

On a personal map the participant's own tie is never assumed (it changes every measure of the
map): the save buttons say it, one tap each — strong, weak, or no direct tie.
"""

from __future__ import annotations

from coaching.flows.common import go, note, stay
from coaching.flows.network.guided import actor_name, peers_or_next
from coaching.flows.network.shared import ON_MAP, Step, change
from coaching.flows.steps import carry_back
from coaching.model import Event, Option, Outcome, Reply, Snapshot
from coaching.network import AddActor, AddTie, MapView, Op

DEFAULT_KIND = "person"
_PERSONAL = ("strong", "weak", "none")


@ON_MAP.prompt(Step.DEFAULTS)
def ask_defaults(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    personal = view.ego is not None
    detail = Option("detail", "network.btn_detail")
    if personal:
        rows: tuple[tuple[Option, ...], ...] = (
            (Option("strong", "network.btn_save_strong"), Option("weak", "network.btn_save_weak")),
            (Option("none", "network.btn_save_no_tie"),),
            (detail,),
        )
    else:
        rows = ((Option("save", "network.btn_save_now"), detail),)
    context = {"name": actor_name(snap), "personal": personal}
    return (Reply("network.ask_defaults", context, rows),)


@ON_MAP.handler(Step.DEFAULTS)
def on_defaults(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """One tap stores the actor as a person (and, on a personal map, your tie as tapped);
    "details…" asks the full questions instead."""
    if event.choice == "detail":
        return go(Step.KIND, data=dict(snap.data))
    ego = view.ego
    if event.choice not in (_PERSONAL if ego is not None else ("save",)):
        return stay(snap, note("network.defaults_use_buttons"), reprompt=False)
    name = actor_name(snap)
    ops: list[Op] = [AddActor(name, {"kind": DEFAULT_KIND})]
    if ego is not None and event.choice != "none":
        ops.append(AddTie(ego.name, name, event.choice, "both"))
    outcome = change(snap, view, ops, note("network.actor_saved", name=name))
    data = carry_back(
        snap.data, {"actor": {"name": name}, "q": snap.data.get("q", "2a"), "target": name}
    )
    return peers_or_next(outcome, snap, view, name, data)
