"""What every part of the network flow shares: its steps, and how a change to the map is made."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from coaching.flows.common import go, note
from coaching.flows.states import NetworkStep
from coaching.model import ChangeMap, Event, Outcome, Reply, Snapshot
from coaching.network import EditError, MapView, Op

MAP_TITLE_MAX = 120
KNOW_MAX = 6  # "I know X directly" buttons offered at once
QUESTIONS = ("2a", "2b")  # the module's name generators: who helps; who holds resources


Step = NetworkStep
HOME = Step.HOME

Prompt = Callable[[Snapshot, MapView], tuple[Reply, ...]]
Handler = Callable[[Snapshot, MapView, Event], Outcome]
Steps = Mapping[Step, tuple[Prompt, Handler]]  # each step's prompt beside its handler


def change(
    snap: Snapshot, view: MapView, ops: Sequence[Op], *replies: Reply, state: str | None = None
) -> Outcome:
    """Validates ``ops`` on the map and stores them with their undo, or explains the refusal."""
    if view.read_only or view.id is None:
        return go(HOME, note("network.read_only"))
    try:
        _, undo = view.apply(ops)
    except EditError as error:
        return go(HOME, note(error.key, **error.context))
    effect = ChangeMap(view.id, tuple(ops), undo)
    return go(
        state or snap.state, *replies, data=snap.data if state is None else {}, effects=(effect,)
    )


def continue_at(outcome: Outcome, state: str, data: Mapping[str, Any]) -> Outcome:
    """Keep the outcome's effects and replies but continue at ``state``.

    A refused change (which went home with its explanation) is left as it is.
    """
    if not outcome.effects and outcome.state == HOME:
        return outcome
    return Outcome(state, dict(data), outcome.effects, outcome.replies)


def editable(view: MapView) -> Outcome | None:
    """None when the map can be changed; else the answer that says it cannot."""
    return go(HOME, note("network.read_only")) if view.read_only else None


def keep_back(data: Mapping[str, Any]) -> dict[str, Any]:
    """A guided walk started elsewhere (Bab IV mapping) returns there when it ends."""
    back = data.get("back")
    return {"back": back, "back_data": data.get("back_data") or {}} if back else {}


def back_state(data: Mapping[str, Any]) -> str:
    return str(data.get("back") or HOME)


def back_data(data: Mapping[str, Any]) -> dict[str, Any]:
    return dict(data.get("back_data") or {}) if data.get("back") else {}


def briefly(outcome: Outcome) -> Outcome:
    """A quick change (a typed line, ``/tambah``, ``/hubung``) answered briefly: the map's home
    in one line with its one-tap ties and undo, the whole page on request — once stored."""
    if not outcome.effects or outcome.state != HOME:
        return outcome
    return dataclasses.replace(outcome, data={**outcome.data, "brief": True})


def offer_direct_ties(outcome: Outcome, view: MapView, names: Sequence[str]) -> Outcome:
    """Names just added without a tie to the participant: home offers "I know X directly".

    Nothing is assumed (a tie to the participant changes every measure of the map); one tap
    each says it. Only on a personal map, and only when the change was stored.
    """
    ego = view.ego
    if ego is None or not outcome.effects or outcome.state != HOME:
        return outcome
    offers = [name for name in dict.fromkeys(names) if view.find(name) != ego][:KNOW_MAX]
    if not offers:
        return outcome
    return dataclasses.replace(outcome, data={**outcome.data, "know": offers})


def direct_tie_offers(snap: Snapshot, view: MapView) -> list[str]:
    """The offered names still without a tie to the participant (a tap or an edit may have
    tied or removed them since)."""
    ego = view.ego
    if ego is None or view.read_only:
        return []
    return [
        str(name)
        for name in snap.data.get("know") or ()
        if (actor := view.find(str(name))) is not None
        and actor.key != ego.key
        and view.tie(ego.key, actor.key) is None
    ]
