"""An outcome's effects applied to the snapshot: the pure twin of what storage persists.

``apply(snap, outcome)`` is the snapshot as storage will have it once the outcome's effects are
committed. The engine calls it once per event (``Outcome.after``), so prompts and the caller see
the state as it will be; ``storage.effects.store_effects`` persists the same effects, each kind
through its own function in ``storage.effects.STORED``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from coaching.curriculum import EXERCISES
from coaching.model import (
    BecomeCoach,
    ChangeMap,
    CompleteItem,
    CreateMap,
    ForgetParticipant,
    JoinCohort,
    NudgeParticipants,
    Outcome,
    PlanKltb,
    PlanTie,
    Profile,
    RecordConsent,
    RecordKltb,
    ReplyToAnswer,
    ResolvePlan,
    SaveAnalysis,
    SaveAnswer,
    SelectMap,
    Snapshot,
    SnoozeReminder,
    StopReminders,
    UpdateProfile,
    WriteBack,
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


@dataclass
class _Applied:
    """The parts of a snapshot effects change, while they are applied one after the other."""

    now: datetime
    profile: Profile
    answers: dict[str, str]
    completed: set[str]
    network: MapView | None
    # As loaded (perhaps not: coaching/unloaded.py) until an effect changes the maps: only the
    # effects on maps read them.
    maps: Sequence[MapView]
    last: Mapping[str, Any] | None


def apply(snap: Snapshot, outcome: Outcome) -> Snapshot:
    """The snapshot as storage will have it once the outcome's effects are committed."""
    done = _Applied(
        snap.now,
        snap.profile,
        dict(snap.answers),
        set(snap.completed),
        snap.network,
        snap.maps,
        snap.last_analysis,
    )
    for effect in outcome.effects:
        network = done.network
        applied = APPLIED.get(type(effect))
        if applied is not None:
            applied(done, effect)
        elif not isinstance(effect, UNSEEN):
            raise TypeError(f"an effect kind coaching/effects.py does not know: {effect!r}")
        changed = done.network  # the active map, changed: the list shows it as it is now
        if changed is not network and changed is not None and changed.id is not None:
            done.maps = [changed if m.id == changed.id else m for m in done.maps]
    return dataclasses.replace(
        snap,
        network=done.network,
        maps=done.maps if done.maps is snap.maps else tuple(done.maps),
        last_analysis=done.last,
        profile=done.profile,
        state=outcome.state,
        data=outcome.data,
        seq=snap.seq + 1 if outcome.changed else snap.seq,
        answers=done.answers,
        completed=frozenset(done.completed),
    )


def _profile(done: _Applied, effect: UpdateProfile) -> None:
    done.profile = dataclasses.replace(done.profile, **dict(effect.fields))


def _consent(done: _Applied, effect: RecordConsent) -> None:
    done.profile = dataclasses.replace(done.profile, consent_at=done.now)


def _answer(done: _Applied, effect: SaveAnswer) -> None:
    done.answers[effect.exercise] = effect.text
    if effect.exercise in EXERCISES and not effect.draft:
        done.completed.add(effect.exercise)
    elif effect.draft:  # a draft counts for nothing, whatever was counted before
        done.completed.discard(effect.exercise)


def _complete(done: _Applied, effect: CompleteItem) -> None:
    done.completed.add(effect.item)


def _create_map(done: _Applied, effect: CreateMap) -> None:
    ego = (AddActor(effect.ego, is_ego=True),) if effect.ego else ()
    start = MapView(None, effect.kind, effect.title, effect.purpose)
    network = start.apply(ego + effect.ops)[0]
    if effect.undo:
        network = dataclasses.replace(network, undo=(tuple(op_to_json(op) for op in effect.undo),))
    done.maps = [*done.maps, network]
    done.network, done.last = network, None


def _select_map(done: _Applied, effect: SelectMap) -> None:
    ref = effect.ref
    if ref.startswith("example:"):
        done.network = example_view(ref.removeprefix("example:"))
    else:
        done.network = next((m for m in done.maps if str(m.id) == ref), done.network)
    done.last = None


def _change_map(done: _Applied, effect: ChangeMap) -> None:
    network = done.network
    target = next((m for m in done.maps if m.id == effect.map_id), None)
    if target is None and network is not None and network.id == effect.map_id:
        target = network
    if target is None:
        return
    changed = target.apply(effect.ops)[0]
    step = tuple(op_to_json(op) for op in effect.undo)
    undo, redo = next_history(changed.undo, changed.redo, effect.history, step)
    changed = dataclasses.replace(changed, undo=undo, redo=redo, **dict(effect.fields))
    done.maps = [changed if m.id == changed.id else m for m in done.maps]
    if network is not None and network.id == changed.id:
        done.network = changed


def _save_analysis(done: _Applied, effect: SaveAnalysis) -> None:
    done.last = effect.result
    network = done.network
    if network is not None and effect.stage:
        stages = (*network.stages, (done.now, effect.stage))
        done.network = dataclasses.replace(network, stages=stages)


def _plan(done: _Applied, effect: RecordKltb | PlanKltb | PlanTie) -> None:
    if done.network is not None:
        done.network = _apply_plan(done.network, effect, done.now)


def _resolve(done: _Applied, effect: ResolvePlan) -> None:
    done.maps = [_resolve_plan(m, effect, done.now) for m in done.maps]
    if done.network is not None:
        done.network = _resolve_plan(done.network, effect, done.now)


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


# What each effect kind does to the snapshot: adding an effect kind is a line here (or in
# UNSEEN) and one in storage/effects.py's STORED (tests/test_effects.py checks both).
APPLIED: Mapping[type, Callable[[_Applied, Any], None]] = {
    UpdateProfile: _profile,
    RecordConsent: _consent,
    SaveAnswer: _answer,
    CompleteItem: _complete,
    CreateMap: _create_map,
    SelectMap: _select_map,
    ChangeMap: _change_map,
    SaveAnalysis: _save_analysis,
    RecordKltb: _plan,
    PlanKltb: _plan,
    PlanTie: _plan,
    ResolvePlan: _resolve,
}
# Effects the snapshot does not show (cohorts, coaches, reminders, a note to a coach's reply).
UNSEEN = (
    JoinCohort,
    BecomeCoach,
    SnoozeReminder,
    StopReminders,
    WriteBack,
    NudgeParticipants,
    ReplyToAnswer,
    ForgetParticipant,
)
# Run by the application after the commit, in transactions of their own (app/conversations).
AFTER_COMMIT = (NudgeParticipants, ReplyToAnswer)
