"""Merging a duplicate actor into another: one change, undoable."""

from __future__ import annotations

from coaching.network.data import FLOWS, RESOURCES
from coaching.network.ops import (
    AddTie,
    DeleteActor,
    DeleteTie,
    EditError,
    Op,
    UpdateActor,
    UpdateTie,
)
from coaching.network.view import MapView


def merge_ops(view: MapView, drop: str, keep: str) -> list[Op]:
    """The ops that merge actor ``drop`` into ``keep``: ties and attributes combined.

    ``keep``'s name stays (the participant always stays, whichever side they are on); its
    empty attributes take ``drop``'s, resources are joined. Each tie of ``drop`` moves to
    ``keep``; where ``keep`` already has that tie, the two are combined (strong if either is,
    what flows in either, two-way if their directions differ). A tie between the two goes.
    :meth:`MapView.apply` gives the undo, as for every change.
    """
    a, b = view.find(drop), view.find(keep)
    if a is None or b is None:
        raise EditError("network.err_unknown_actor", name=drop if a is None else keep)
    if a.key == b.key:
        raise EditError("network.err_merge_self", name=a.name)
    if a.is_ego:
        a, b = b, a
    names = {actor.key: actor.name for actor in view.actors}
    ops: list[Op] = []
    for tie in view.ties:
        if a.key not in (tie.a, tie.b) or b.key in (tie.a, tie.b):
            continue
        other = tie.b if tie.a == a.key else tie.a
        ops.append(DeleteTie(a.name, names[other]))
        # "out" runs from tie.a: keep that orientation with keep in drop's place.
        source, target = (b.name, names[other]) if tie.a == a.key else (names[other], b.name)
        existing = view.tie(b.key, other)
        if existing is None:
            ops.append(AddTie(source, target, tie.strength, tie.direction, tie.flows))
            continue
        strength = (
            "strong"
            if "strong" in (tie.strength, existing.strength)
            else (existing.strength or tie.strength)
        )
        flows = tuple(f for f in FLOWS if f in (*existing.flows, *tie.flows))
        same_way = existing.direction == tie.direction and (
            tie.direction == "both" or names[existing.a] == source
        )
        if same_way:
            e_source, e_target = names[existing.a], names[existing.b]
            ops.append(UpdateTie(e_source, e_target, strength, existing.direction, flows))
        else:
            ops.append(UpdateTie(b.name, names[other], strength, "both", flows))
    filled = {
        f: getattr(a, f)
        for f in ("kind", "role", "inside", "needs", "ibarra", "kltb_step")
        if getattr(b, f) is None and getattr(a, f) is not None
    }
    resources = tuple(r for r in RESOURCES if r in (*b.resources, *a.resources))
    if resources != b.resources:
        filled["resources"] = list(resources)
    if filled:
        ops.append(UpdateActor(b.name, filled))
    ops.append(DeleteActor(a.name))
    return ops
