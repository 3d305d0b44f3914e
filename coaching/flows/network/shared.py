"""What every part of the network flow shares: its steps, and how a change to the map is made."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from coaching.flows.common import go, note
from coaching.flows.states import NetworkStep
from coaching.flows.steps import Back, Steps
from coaching.model import ChangeMap, Event, Outcome, Reply, Snapshot
from coaching.network import EditError, MapView, Op

MAP_TITLE_MAX = 120
KNOW_MAX = 6  # "I know X directly" buttons offered at once
QUESTIONS = ("2a", "2b")  # the module's name generators: who helps; who holds resources


Step = NetworkStep
HOME = Step.HOME

MapPrompt = Callable[[Snapshot, MapView], tuple[Reply, ...]]
MapHandler = Callable[[Snapshot, MapView, Event], Outcome]
STEPS = Steps(Step)


def the_map(snap: Snapshot) -> MapView:
    """The map a step works on (the flow's guard has gone home when there is none)."""
    if snap.network is None:
        raise LookupError("the network flow's guard lets no event through without a map")
    return snap.network


class OnMap:
    """Registers a network step's prompt and handler in ``STEPS``: they are given the map too.

    ``@ON_MAP.prompt(Step.NAME)`` over ``ask_name(snap, view)``, ``@ON_MAP.handler(Step.NAME)``
    over ``on_name(snap, view, event)``: the same table and dispatch as every flow's.
    """

    def prompt(self, *steps: Step) -> Callable[[MapPrompt], MapPrompt]:
        def register(ask: MapPrompt) -> MapPrompt:
            STEPS.prompt(*steps)(lambda snap: ask(snap, the_map(snap)))
            return ask

        return register

    def handler(self, *steps: Step) -> Callable[[MapHandler], MapHandler]:
        def register(take: MapHandler) -> MapHandler:
            STEPS.handler(*steps)(lambda snap, event: take(snap, the_map(snap), event))
            return take

        return register


ON_MAP = OnMap()


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


def back_from(data: Mapping[str, Any]) -> Back:
    """Where a walk ends: where it was started from (Bab IV's mapping), else the map's home."""
    return Back.of(data) or Back(HOME)


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
