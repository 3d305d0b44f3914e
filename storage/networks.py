"""Maps, actors and ties in the database: the engine's map effects stored (reading them back
into ``MapView``s is ``storage/maps.py``)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from coaching.analysis import name_key
from coaching.model import (
    ChangeMap,
    CreateMap,
    PlanKltb,
    PlanTie,
    RecordKltb,
    SaveAnalysis,
    SelectMap,
)
from coaching.network import (
    AddActor,
    AddTie,
    DeleteActor,
    Op,
    RenameActor,
    UpdateActor,
    UpdateTie,
    next_history,
    op_to_json,
    steps_of,
)
from storage import maps
from storage.models import Actor as ActorRow
from storage.models import AnalysisSnapshot, KltbEntry, NetworkMap, Participant
from storage.models import PlannedTie as PlannedTieRow
from storage.models import Tie as TieRow

_ACTORS, _TIES = maps.ACTORS, maps.TIES


def apply_network_effect(
    session: Session,
    participant: Participant,
    effect: CreateMap | SelectMap | ChangeMap | SaveAnalysis | RecordKltb | PlanKltb | PlanTie,
    now: datetime,
) -> None:
    """One map effect stored (through ``STORED``, as ``storage/effects.py`` stores them all)."""
    STORED[type(effect)](session, participant, effect, now)


def create_map(
    session: Session, participant: Participant, effect: CreateMap, now: datetime
) -> None:
    network_map = NetworkMap(
        participant_id=participant.id,
        kind=effect.kind,
        title=effect.title,
        purpose=effect.purpose,
        anklam={},
        source=effect.source,
        created_at=now,
        updated_at=now,
    )
    session.add(network_map)
    session.flush()
    ops: list[Op] = []
    if effect.ego:
        ops.append(AddActor(effect.ego, is_ego=True))
    ops.extend(effect.ops)
    _apply_ops(session, network_map.id, ops, now)
    if effect.undo:
        network_map.history = {"undo": [[op_to_json(op) for op in effect.undo]], "redo": []}
    participant.active_map = str(network_map.id)


def select_map(
    session: Session, participant: Participant, effect: SelectMap, now: datetime
) -> None:
    participant.active_map = effect.ref


def change_map(
    session: Session, participant: Participant, effect: ChangeMap, now: datetime
) -> None:
    network_map = _owned_map(session, participant, effect.map_id)
    _apply_ops(session, network_map.id, effect.ops, now)
    stored = network_map.history or {}
    step = tuple(op_to_json(op) for op in effect.undo)
    undo, redo = next_history(
        steps_of(stored.get("undo")), steps_of(stored.get("redo")), effect.history, step
    )
    # A new value (not the same dict changed in place): SQLAlchemy sees the change.
    network_map.history = {
        "undo": [list(s) for s in undo],
        "redo": [list(s) for s in redo],
    }
    for field_name, value in effect.fields.items():
        if field_name in ("title", "purpose"):
            setattr(network_map, field_name, value)
    network_map.updated_at = now
    _bump(session, network_map.id)


def record_kltb(
    session: Session, participant: Participant, effect: RecordKltb | PlanKltb, now: datetime
) -> None:
    network_map = _owned_map(session, participant, effect.map_id)
    _kltb(session, network_map.id, effect, now)
    _bump(session, network_map.id)


def plan_tie(session: Session, participant: Participant, effect: PlanTie, now: datetime) -> None:
    network_map = _owned_map(session, participant, effect.map_id)
    session.add(
        PlannedTieRow(
            map_id=network_map.id,
            source_name=effect.a,
            target_name=effect.b,
            reason=effect.reason,
            due_at=effect.due_at,
            created_at=now,
        )
    )


def save_analysis(
    session: Session, participant: Participant, effect: SaveAnalysis, now: datetime
) -> None:
    network_map = _owned_map(session, participant, effect.map_id)
    session.add(
        AnalysisSnapshot(
            map_id=network_map.id,
            stage=effect.stage,
            result=dict(effect.result),
            created_at=now,
        )
    )


# Each map effect kind and what stores it (part of storage/effects.py's STORED).
STORED: Mapping[type, Callable[[Session, Participant, Any, datetime], None]] = {
    CreateMap: create_map,
    SelectMap: select_map,
    ChangeMap: change_map,
    SaveAnalysis: save_analysis,
    RecordKltb: record_kltb,
    PlanKltb: record_kltb,
    PlanTie: plan_tie,
}


def _bump(session: Session, map_id: int) -> None:
    """A new version of the map: caches of its analysis (the dashboard's) no longer hold."""
    session.execute(
        update(NetworkMap).where(NetworkMap.id == map_id).values(version=NetworkMap.version + 1)
    )


def rename_ego(session: Session, participant: Participant, name: str) -> None:
    """Keep the participant's node named as they are (they may change their name)."""
    map_ids = select(NetworkMap.id).where(NetworkMap.participant_id == participant.id)
    session.execute(
        update(ActorRow)
        .where(ActorRow.map_id.in_(map_ids), ActorRow.is_ego.is_(True))
        .values(name=name, name_key=name_key(name))
    )
    session.execute(
        update(NetworkMap)
        .where(NetworkMap.participant_id == participant.id)
        .values(version=NetworkMap.version + 1)
    )


def _kltb(session: Session, map_id: int, effect: RecordKltb | PlanKltb, now: datetime) -> None:
    """One row per (stakeholder, step): planning fills the plan, reaching fills the notes."""
    actor_id = _actor_id(session, map_id, effect.actor)
    entry = (
        session.execute(
            select(KltbEntry).where(KltbEntry.actor_id == actor_id, KltbEntry.step == effect.step)
        )
    ).scalar_one_or_none()
    if entry is None:
        entry = KltbEntry(actor_id=actor_id, step=effect.step)
        session.add(entry)
    if isinstance(effect, RecordKltb):
        entry.note, entry.done_at = effect.note, entry.done_at or now
        session.execute(
            update(ActorRow).where(ActorRow.id == actor_id).values(kltb_step=effect.step)
        )
    else:
        entry.next_action, entry.due_at, entry.planned_at = effect.action, effect.due_at, now


def _owned_map(session: Session, participant: Participant, map_id: int) -> NetworkMap:
    network_map = session.get(NetworkMap, map_id)
    if network_map is None or network_map.participant_id != participant.id:
        raise PermissionError(f"map {map_id} is not this participant's")
    return network_map


# Rows per INSERT of an import's actors or ties: a CSV of 5,000 rows is a few statements, not
# 10,000 round trips with a lookup each (that held SQLite's one writer for tens of seconds).
BULK_CHUNK = 1_000


def _apply_ops(session: Session, map_id: int, ops: Sequence[Op], now: datetime) -> None:
    """Apply ops in order; runs of added actors or ties (an import) go in bulk."""
    ids: dict[str, int] | None = None  # name key → actor id, loaded when a run of ties needs it
    for kind, run in itertools.groupby(ops, key=type):
        group = list(run)
        if kind is AddActor and len(group) > 1:
            _add_actors(session, map_id, cast(list[AddActor], group), now)
            ids = None
        elif kind is AddTie and len(group) > 1:
            ids = ids if ids is not None else _actor_ids(session, map_id)
            _add_ties(session, map_id, cast(list[AddTie], group), ids, now)
        else:
            _apply_each(session, map_id, group, now)
            ids = None


def _add_actors(session: Session, map_id: int, ops: list[AddActor], now: datetime) -> None:
    rows = [
        {
            "map_id": map_id,
            "name": op.name,
            "name_key": name_key(op.name),
            "is_ego": op.is_ego,
            "kind": op.attributes.get("kind"),
            "role": op.attributes.get("role"),
            "inside": op.attributes.get("inside"),
            "resources": list(op.attributes.get("resources") or []),
            "needs": op.attributes.get("needs"),
            "ibarra": op.attributes.get("ibarra"),
            "kltb_step": op.attributes.get("kltb_step"),
            "created_at": now,
        }
        for op in ops
    ]
    for start in range(0, len(rows), BULK_CHUNK):
        session.execute(insert(_ACTORS), rows[start : start + BULK_CHUNK])


def _actor_ids(session: Session, map_id: int) -> dict[str, int]:
    found = session.execute(
        select(_ACTORS.c.name_key, _ACTORS.c.id).where(_ACTORS.c.map_id == map_id)
    )
    return {key: actor_id for key, actor_id in found.all()}


def _add_ties(
    session: Session, map_id: int, ops: list[AddTie], ids: dict[str, int], now: datetime
) -> None:
    rows = [
        {
            "map_id": map_id,
            "source_id": ids[name_key(op.a)],
            "target_id": ids[name_key(op.b)],
            "strength": op.strength,
            "direction": op.direction,
            "flows": list(op.flows),
            "created_at": now,
        }
        for op in ops
    ]
    for start in range(0, len(rows), BULK_CHUNK):
        session.execute(insert(_TIES), rows[start : start + BULK_CHUNK])


def _apply_each(session: Session, map_id: int, ops: Sequence[Op], now: datetime) -> None:
    for op in ops:
        if isinstance(op, AddActor):
            attributes = dict(op.attributes)
            session.add(
                ActorRow(
                    map_id=map_id,
                    name=op.name,
                    name_key=name_key(op.name),
                    is_ego=op.is_ego,
                    kind=attributes.get("kind"),
                    role=attributes.get("role"),
                    inside=attributes.get("inside"),
                    resources=list(attributes.get("resources") or []),
                    needs=attributes.get("needs"),
                    ibarra=attributes.get("ibarra"),
                    kltb_step=attributes.get("kltb_step"),
                    created_at=now,
                )
            )
            session.flush()
        elif isinstance(op, UpdateActor):
            values = {k: (list(v) if isinstance(v, tuple) else v) for k, v in op.attributes.items()}
            session.execute(
                update(ActorRow)
                .where(ActorRow.map_id == map_id, ActorRow.name_key == name_key(op.key))
                .values(**values)
            )
        elif isinstance(op, RenameActor):
            session.execute(
                update(ActorRow)
                .where(ActorRow.map_id == map_id, ActorRow.name_key == name_key(op.key))
                .values(name=op.name, name_key=name_key(op.name))
            )
        elif isinstance(op, DeleteActor):
            actor_id = _actor_id(session, map_id, op.key)
            session.execute(
                delete(TieRow).where(
                    or_(TieRow.source_id == actor_id, TieRow.target_id == actor_id)
                )
            )
            session.execute(delete(ActorRow).where(ActorRow.id == actor_id))
        elif isinstance(op, AddTie):
            source = _actor_id(session, map_id, op.a)
            target = _actor_id(session, map_id, op.b)
            session.add(
                TieRow(
                    map_id=map_id,
                    source_id=source,
                    target_id=target,
                    strength=op.strength,
                    direction=op.direction,
                    flows=list(op.flows),
                    created_at=now,
                )
            )
            session.flush()
        elif isinstance(op, UpdateTie):
            a = _actor_id(session, map_id, op.a)
            b = _actor_id(session, map_id, op.b)
            session.execute(
                update(TieRow)
                .where(
                    TieRow.map_id == map_id,
                    or_(
                        (TieRow.source_id == a) & (TieRow.target_id == b),
                        (TieRow.source_id == b) & (TieRow.target_id == a),
                    ),
                )
                .values(
                    source_id=a,
                    target_id=b,
                    strength=op.strength,
                    direction=op.direction,
                    flows=list(op.flows),
                )
            )
        else:
            a = _actor_id(session, map_id, op.a)
            b = _actor_id(session, map_id, op.b)
            session.execute(
                delete(TieRow).where(
                    TieRow.map_id == map_id,
                    or_(
                        (TieRow.source_id == a) & (TieRow.target_id == b),
                        (TieRow.source_id == b) & (TieRow.target_id == a),
                    ),
                )
            )


def _actor_id(session: Session, map_id: int, name: str) -> int:
    found = session.execute(
        select(ActorRow.id).where(ActorRow.map_id == map_id, ActorRow.name_key == name_key(name))
    )
    return int(found.scalar_one())
