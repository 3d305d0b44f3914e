"""Naming an actor: every name typed in the network flow goes through ``names.resolve``.

The participant is recognised ("Saya", "aku", "me", their own name…) and never becomes an
actor of their own map; a name that is probably someone already on the map asks "did you
mean…?", and one that fits several asks which, before anything is stored. A quick line with
several such names asks about each in turn, then applies the line once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from coaching.flows.common import go, note, stay
from coaching.flows.network.guided import peer_names
from coaching.flows.network.shared import (
    HOME,
    ON_MAP,
    Step,
    back_from,
    briefly,
    change,
    offer_direct_ties,
)
from coaching.flows.steps import carry_back
from coaching.model import Event, EventKind, Option, Outcome, Reply, Snapshot
from coaching.names import Resolution, resolve
from coaching.network import (
    AddActor,
    EditError,
    MapView,
    TieLine,
    check_actor_name,
    ops_for_tie_lines,
)


def resolve_on(snap: Snapshot, view: MapView, name: str) -> Resolution:
    """What a cleaned name refers to on this map (the participant, an actor, or nobody yet)."""
    ego = view.ego
    others = [a.name for a in view.actors if not a.is_ego]
    own = [snap.profile.name] if snap.profile.name and ego is not None else []
    return resolve(name, others, ego=ego.name if ego else None, ego_names=own)


def _ask(resolution: Resolution) -> dict[str, Any]:
    return {
        "typed": resolution.typed,
        "kind": resolution.kind,
        "candidates": list(resolution.candidates),
    }


# --- the name generators (step 2a/2b) and /tambah ------------------------------------------------


@ON_MAP.prompt(Step.NAME)
def ask_name(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    question = str(snap.data.get("q", "2a"))
    return (
        Reply(
            "network.ask_name",
            {"q": question, "purpose": view.purpose},
            ((Option("done", "network.btn_done_adding"),),),
        ),
    )


@ON_MAP.handler(Step.NAME)
def on_name(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Takes a stakeholder's name (a near miss asks "did you mean…?")."""
    if event.choice == "done":
        return back_from(snap.data).go()
    if event.kind is not EventKind.TEXT:
        return stay(snap, note("names.empty"), reprompt=False)
    return add_named(snap, view, event.text, guided=not snap.data.get("quick"))


def add_named(snap: Snapshot, view: MapView, text: str, *, guided: bool = False) -> Outcome:
    """A typed name: refused, the participant, already there, a question, or a new actor."""
    if view.read_only:
        return go(HOME, note("network.read_only"))
    name, problem = check_actor_name(text)
    if name is None and not guided and snap.state != Step.NAME:
        # "/tambah Bu Ani 👩‍💼" refused: the next message is the name to add ("Bu Ani").
        refused = (note(problem or "names.chars", name=text[:80]),)
        data = {"q": "2a", "quick": True}
        return Outcome(Step.NAME, data, replies=refused, reprompt=False)
    if name is None:
        return stay(snap, note(problem or "names.chars"), reprompt=False)
    found = resolve_on(snap, view, name)
    if found.kind == "ego":
        return stay(snap, _is_you(view), reprompt=False)
    if found.kind == "same" and found.name is not None:
        return stay(snap, note("network.already_there", name=found.name), reprompt=False)
    if found.kind in ("near", "ambiguous"):
        asked = {
            "asks": [_ask(found)],
            "answers": {},
            "then": "add",
            "guided": guided,
            "q": snap.data.get("q", "2a"),
        }
        data = carry_back(snap.data, asked)
        return go(Step.CONFIRM, data=data)
    return new_actor(snap, view, name, guided=guided)


def _is_you(view: MapView) -> Reply:
    ego = view.ego
    if ego is None:
        return note("network.no_ego_here")
    return note("network.is_you", name=ego.name)


def new_actor(snap: Snapshot, view: MapView, name: str, *, guided: bool) -> Outcome:
    if guided:
        data = carry_back(snap.data, {"actor": {"name": name}, "q": snap.data.get("q", "2a")})
        return go(Step.DEFAULTS, data=data)
    outcome = change(
        snap, view, [AddActor(name)], note("network.actor_quick_added", name=name), state=HOME
    )
    return briefly(offer_direct_ties(outcome, view, [name]))


# --- "did you mean…?" / "which one?" -----------------------------------------------------------


@ON_MAP.prompt(Step.CONFIRM)
def ask_confirm(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    asks = list(snap.data.get("asks") or ())
    if not asks:
        return ()
    ask = dict(asks[0])
    candidates = [str(c) for c in ask.get("candidates") or ()]
    typed = str(ask.get("typed", ""))
    rows = tuple(
        (Option(f"same:{i}", "network.btn_same", {"name": name}),)
        for i, name in enumerate(candidates)
    )
    rows += ((Option("new", "network.btn_new_actor", {"name": typed}),),)
    key = "network.confirm_which" if ask.get("kind") == "ambiguous" else "network.confirm_near"
    context = {"typed": typed, "near": candidates[0] if candidates else "", "names": candidates}
    return (Reply(key, context, rows),)


@ON_MAP.handler(Step.CONFIRM)
def on_confirm(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """One answer: the existing actor meant, or a new one; then the next question, or the
    line (or the name) applied once with every answer."""
    asks = [dict(a) for a in snap.data.get("asks") or ()]
    if not asks:
        return go(HOME)
    ask = asks[0]
    candidates = [str(c) for c in ask.get("candidates") or ()]
    choice = event.choice
    if choice == "new":
        meant = ""
    elif choice.startswith("same:") and choice[5:].isdigit() and int(choice[5:]) < len(candidates):
        meant = candidates[int(choice[5:])]
    else:
        return stay(snap, note("common.use_buttons"))
    answers = {**dict(snap.data.get("answers") or {}), str(ask["typed"]): meant}
    if len(asks) > 1:
        return go(Step.CONFIRM, data={**snap.data, "asks": asks[1:], "answers": answers})
    if snap.data.get("then") == "lines":
        lines = [TieLine(*line) for line in snap.data.get("lines") or ()]
        return apply_lines(snap, view, lines, answers)
    typed = str(ask["typed"])
    guided = bool(snap.data.get("guided"))
    if meant:
        if view.find(meant) is None:
            return go(HOME, note("network.actor_gone", name=meant))
        if not guided:
            return go(HOME, note("network.already_there", name=meant))
        # Still naming stakeholders: who works with them, then the next name.
        q = snap.data.get("q", "2a")
        if not peer_names(view, meant):
            return go(
                Step.NAME,
                note("network.already_there", name=meant),
                data=carry_back(snap.data, {"q": q}),
            )
        data = carry_back(snap.data, {"actor": {"name": meant}, "q": q, "target": meant})
        return go(Step.PEERS, data=data)
    return new_actor(snap, view, typed, guided=guided)


# --- quick lines ---------------------------------------------------------------------------------


def resolve_lines(snap: Snapshot, view: MapView, lines: Sequence[TieLine]) -> Outcome:
    """Every name of the lines resolved: applied at once, or the questions asked first."""
    answers: dict[str, str] = {}
    asks: list[dict[str, Any]] = []
    for line in lines:
        for typed in (line.a, line.b):
            name, problem = check_actor_name(typed)
            if name is None:
                return go(HOME, note(problem or "names.chars", name=typed[:80]))
            if name in answers or any(a["typed"] == name for a in asks):
                continue
            found = resolve_on(snap, view, name)
            if found.kind == "ego":
                if view.ego is None:
                    return go(HOME, _is_you(view))
                answers[name] = view.ego.name
            elif found.kind == "same" and found.name is not None:
                answers[name] = found.name
            elif found.kind in ("near", "ambiguous"):
                asks.append(_ask(found))
    if asks:
        data = {
            "asks": asks,
            "answers": answers,
            "then": "lines",
            "lines": [[line.a, line.b, line.strength, line.direction] for line in lines],
        }
        return go(Step.CONFIRM, data=data)
    return apply_lines(snap, view, lines, answers)


def apply_lines(
    snap: Snapshot, view: MapView, lines: Sequence[TieLine], answers: Mapping[str, str]
) -> Outcome:
    """The lines with each name as answered (an existing actor, or a new one), stored once."""
    try:
        ops = ops_for_tie_lines(view, lines, answers)
    except EditError as error:
        return go(HOME, note(error.key, **error.context))
    added = [op.name for op in ops if isinstance(op, AddActor)]
    saved = note("network.quick_saved", ties=len(lines), added=added, personal=view.ego is not None)
    return briefly(offer_direct_ties(change(snap, view, ops, saved, state=HOME), view, added))
