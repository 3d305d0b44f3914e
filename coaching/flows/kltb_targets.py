"""A stakeholder made a KLTB target with one tap: a suggested tie's other end under an analysis
(``kt:…`` buttons), a planned tie's other end, an actor of a case map.

KLTB is walked with the personal map's stakeholders, so the name goes through the map's
resolver (the participant, or an actor spelt otherwise, is who is meant) and someone not on it
yet is added first; the map the participant had open stays open.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

from coaching.flows.common import go, note, personal_map
from coaching.flows.network.naming import resolve_on
from coaching.flows.states import KltbStep as Step
from coaching.model import ChangeMap, Effect, Event, Option, Outcome, Reply, SelectMap, Snapshot
from coaching.network import AddActor, EditError, MapView
from coaching.validate import is_number

# --- a suggested tie from /analisis, made a KLTB target with one tap ---------------------------

PREFIX = "kt"  # kt:<map id>:<suggestion>:<end a|b>:<check>, stable (seq 0)
SUGGESTED_MAX = 6  # buttons under an analysis


def _check(name: str) -> str:
    """A short check of the name a button stands for: a newer analysis with other
    suggestions makes an old button stale instead of opening someone else."""
    return f"{zlib.crc32(name.encode('utf-8')) & 0xFFFF:04x}"


def suggested_targets(view: MapView, result: Mapping[str, Any]) -> Reply | None:
    """Under an analysis: each suggested tie's other end (not the participant) as a one-tap
    KLTB target; None when there is none."""
    if view.id is None:
        return None
    ego = result.get("ego")
    options: list[Option] = []
    for i, suggestion in enumerate(result.get("suggestions") or ()):
        for end in ("a", "b"):
            name = suggestion.get(end) if isinstance(suggestion, Mapping) else None
            if not isinstance(name, str) or not name or name == ego:
                continue
            if any(o.context["name"] == name for o in options):
                continue
            value = f"{PREFIX}:{view.id}:{i}:{end}:{_check(name)}"
            options.append(Option(value, "kltb.btn_suggested", {"name": name}))
    options = options[:SUGGESTED_MAX]
    if not options:
        return None
    rows = tuple((o,) for o in options)
    return Reply("kltb.suggested", {"count": len(options)}, rows, stable=True)


def suggested(snap: Snapshot, event: Event) -> Outcome:
    parts = event.choice.split(":")
    stale = Outcome(
        snap.state, snap.data, toast="common.stale_button", changed=False, reprompt=False
    )
    if len(parts) != 5 or not all(is_number(p) and len(p) <= 12 for p in parts[1:3]):
        return stale
    map_id, index, end, check = int(parts[1]), int(parts[2]), parts[3], parts[4]
    result = snap.last_analysis
    if snap.network is None or snap.network.id != map_id or result is None or end not in "ab":
        return stale
    suggestions = result.get("suggestions") or ()
    if index >= len(suggestions) or not isinstance(suggestions[index], Mapping):
        return stale
    name = suggestions[index].get(end)
    if not isinstance(name, str) or not name or _check(name) != check:
        return stale
    return open_target(snap, name)


def open_target(snap: Snapshot, name: str) -> Outcome:
    """A stakeholder made a KLTB target with one tap (a planned tie's other end, an actor of a
    case map). KLTB is walked with the personal map's stakeholders: the name goes through the
    map's resolver (the participant, or an actor spelt otherwise, is who is meant), and someone
    not on it yet is added to it first; the map the participant had open stays open."""
    personal = personal_map(snap)
    if personal is None or personal.id is None:
        return go(Step.PICK)  # no personal map yet: the pick page says where to start
    found = personal.find(name)
    if found is None:  # the same actor spelt otherwise ("dr nia" for "dr. Nia"): one node
        try:
            resolution = resolve_on(snap, personal, name)
        except ValueError:  # a name stored before today's name rules: matched exactly only
            resolution = None
        if resolution is not None and resolution.kind == "ego":
            return go(Step.PICK)  # the participant: not a stakeholder of their own map
        if resolution is not None and resolution.kind == "same" and resolution.name:
            found = personal.find(resolution.name)
        elif resolution is not None and resolution.kind in ("near", "ambiguous"):
            # Probably someone already on the map: nothing is added; the list shows them,
            # and a button adds the name as someone else (add_other).
            near = note("kltb.target_near", typed=name, names=list(resolution.candidates))
            return go(Step.PICK, near, data={"near": name})
    if found is not None and not found.is_ego:
        return go(Step.ACTOR, data={"target": found.name})
    if found is not None:
        return go(Step.PICK)
    return _added(snap, personal, name)


def add_other(snap: Snapshot, name: str) -> Outcome:
    """The "add as a different person" button after a near miss: the name as given becomes a
    new stakeholder of the personal map (the participant said it is nobody already there), and
    their KLTB is opened; a name now on the map exactly is that stakeholder."""
    personal = personal_map(snap)
    if personal is None or personal.id is None:
        return go(Step.PICK)
    found = personal.find(name)
    if found is not None:
        return go(Step.PICK) if found.is_ego else go(Step.ACTOR, data={"target": found.name})
    return _added(snap, personal, name)


def _added(snap: Snapshot, personal: MapView, name: str) -> Outcome:
    """``name`` added to the personal map as a new stakeholder, their KLTB opened; the map
    the participant had open stays open."""
    if personal.id is None:
        return go(Step.PICK)
    ops = (AddActor(name),)
    try:
        _, undo = personal.apply(ops)
    except EditError:
        return go(Step.PICK)
    change: tuple[Effect, ...] = (ChangeMap(personal.id, ops, undo),)
    active = snap.network
    if active is None or active.id != personal.id:
        again: tuple[Effect, ...] = ()
        if active is not None and active.example:
            again = (SelectMap(f"example:{active.example}"),)
        elif active is not None and active.id is not None:
            again = (SelectMap(str(active.id)),)
        change = (SelectMap(str(personal.id)), *change, *again)
    added = note("kltb.target_added", name=name)
    return go(Step.ACTOR, added, data={"target": name}, effects=change)
