"""An outcome's effects applied to the snapshot: the pure twin of what storage persists.

``apply(snap, outcome)`` is the snapshot as storage will have it once the outcome's effects are
committed. The engine calls it once per event (``Outcome.after``), so prompts and the caller see
the state as it will be; ``storage.participants.store_effects`` persists the same effects.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from coaching.curriculum import EXERCISES
from coaching.model import (
    ChangeMap,
    CompleteItem,
    CreateMap,
    Outcome,
    PlanKltb,
    PlanTie,
    RecordConsent,
    RecordKltb,
    ResolvePlan,
    SaveAnalysis,
    SaveAnswer,
    SelectMap,
    Snapshot,
    UpdateProfile,
)
from coaching.network import (
    AddActor,
    KltbView,
    MapView,
    PlannedTie,
    example_view,
    next_history,
    op_to_json,
)


def apply(snap: Snapshot, outcome: Outcome) -> Snapshot:
    """The snapshot as storage will have it once the outcome's effects are committed."""
    profile, answers, completed = snap.profile, dict(snap.answers), set(snap.completed)
    for effect in outcome.effects:
        if isinstance(effect, UpdateProfile):
            profile = dataclasses.replace(profile, **dict(effect.fields))
        elif isinstance(effect, RecordConsent):
            profile = dataclasses.replace(profile, consent_at=snap.now)
        elif isinstance(effect, SaveAnswer):
            answers[effect.exercise] = effect.text
            if effect.exercise in EXERCISES and not effect.draft:
                completed.add(effect.exercise)
            elif effect.draft:  # a draft counts for nothing, whatever was counted before
                completed.discard(effect.exercise)
        elif isinstance(effect, CompleteItem):
            completed.add(effect.item)
    network, maps, last_analysis = _apply_network(snap, outcome)
    return dataclasses.replace(
        snap,
        network=network,
        maps=maps,
        last_analysis=last_analysis,
        profile=profile,
        state=outcome.state,
        data=outcome.data,
        seq=snap.seq + 1 if outcome.changed else snap.seq,
        answers=answers,
        completed=frozenset(completed),
    )


def _apply_network(
    snap: Snapshot, outcome: Outcome
) -> tuple[MapView | None, tuple[MapView, ...], Mapping[str, Any] | None]:
    network, maps, last = snap.network, list(snap.maps), snap.last_analysis
    for effect in outcome.effects:
        if isinstance(effect, CreateMap):
            ego = (AddActor(effect.ego, is_ego=True),) if effect.ego else ()
            start = MapView(None, effect.kind, effect.title, effect.purpose)
            network = start.apply(ego + effect.ops)[0]
            if effect.undo:
                network = dataclasses.replace(
                    network, undo=(tuple(op_to_json(op) for op in effect.undo),)
                )
            maps.append(network)
            last = None
        elif isinstance(effect, SelectMap):
            ref = effect.ref
            if ref.startswith("example:"):
                network = example_view(ref.removeprefix("example:"))
            else:
                network = next((m for m in maps if str(m.id) == ref), network)
            last = None
        elif isinstance(effect, ChangeMap):
            target = next((m for m in maps if m.id == effect.map_id), None)
            if target is None and network is not None and network.id == effect.map_id:
                target = network
            if target is not None:
                changed = target.apply(effect.ops)[0]
                step = tuple(op_to_json(op) for op in effect.undo)
                undo, redo = next_history(changed.undo, changed.redo, effect.history, step)
                changed = dataclasses.replace(changed, undo=undo, redo=redo, **dict(effect.fields))
                maps = [changed if m.id == changed.id else m for m in maps]
                if network is not None and network.id == changed.id:
                    network = changed
        elif isinstance(effect, SaveAnalysis):
            last = effect.result
            if network is not None and effect.stage:
                network = dataclasses.replace(
                    network, stages=(*network.stages, (snap.now, effect.stage))
                )
        elif isinstance(effect, RecordKltb | PlanKltb | PlanTie) and network is not None:
            network = _apply_plan(network, effect, snap.now)
        elif isinstance(effect, ResolvePlan):
            maps = [_resolve_plan(m, effect, snap.now) for m in maps]
            if network is not None:
                network = _resolve_plan(network, effect, snap.now)
        if network is not None and network.id is not None:
            maps = [network if m.id == network.id else m for m in maps]
    return network, tuple(maps), last


def _apply_plan(view: MapView, effect: RecordKltb | PlanKltb | PlanTie, now: Any) -> MapView:
    if isinstance(effect, PlanTie):
        planned = PlannedTie(None, effect.a, effect.b, effect.reason, effect.due_at)
        return dataclasses.replace(view, planned=(*view.planned, planned))
    actor = view.find(effect.actor)
    if actor is None:
        return view
    current = view.kltb_of(actor.name).get(effect.step) or KltbView(actor.key, effect.step)
    if isinstance(effect, RecordKltb):
        entry = dataclasses.replace(current, note=effect.note, done_at=current.done_at or now)
        actors = tuple(
            dataclasses.replace(a, kltb_step=effect.step) if a.key == actor.key else a
            for a in view.actors
        )
    else:
        entry = dataclasses.replace(current, next_action=effect.action, due_at=effect.due_at)
        actors = view.actors
    others = tuple(k for k in view.kltb if (k.actor, k.step) != (actor.key, effect.step))
    return dataclasses.replace(view, actors=actors, kltb=(*others, entry))


def _resolve_plan(view: MapView, effect: ResolvePlan, now: datetime) -> MapView:
    """As ``storage/plans.resolve``: only a tie still planned changes."""
    answer = {"done": "done", "move": "later", "drop": "dropped"}[effect.action]
    changes: dict[str, Any] = {"followup_answer": answer} if effect.followup else {}
    if effect.action == "done":
        changes.update(status="done", done_at=now, note=effect.note)
    elif effect.action == "drop":
        changes.update(status="dropped", dropped_at=now)
    else:
        changes.update(due_at=effect.due_at)
    planned = tuple(
        dataclasses.replace(p, **changes) if p.id == effect.plan_id and p.is_open else p
        for p in view.planned
    )
    return dataclasses.replace(view, planned=planned)
