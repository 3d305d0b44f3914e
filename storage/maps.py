"""Maps as the engine reads them: a participant's maps, actors, ties, plans and KLTB steps
loaded into plain ``MapView``s (edits are ``storage/networks.py``)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, Text, bindparam, select
from sqlalchemy import cast as sa_cast
from sqlalchemy.orm import Session

from coaching.network import Actor, KltbView, MapView, PlannedTie, TieView, example_view, steps_of
from storage.models import Actor as ActorRow
from storage.models import AnalysisSnapshot, KltbEntry, NetworkMap, Participant
from storage.models import PlannedTie as PlannedTieRow
from storage.models import Tie as TieRow

EXAMPLE_PREFIX = "example:"
ACTORS = cast(Table, ActorRow.__table__)
TIES = cast(Table, TieRow.__table__)


def _raw(column: Any) -> Any:
    """A JSON column as its stored text: most lists are empty, and decoding 10,000 "[]" costs
    a second on the writer's thread (:func:`_list` decodes only the others)."""
    return sa_cast(column, Text).label(column.name)


def _list(raw: str | None) -> tuple[str, ...]:
    if raw is None or raw in ("[]", "null"):
        return ()
    return tuple(json.loads(raw))


_ACTOR_COLUMNS = [
    _raw(c) if c.name == "resources" else c for c in ACTORS.c if c.name != "created_at"
]


_MAPS = (
    select(NetworkMap)
    .where(NetworkMap.participant_id == bindparam("participant"))
    .order_by(NetworkMap.id)
)  # built once: every update runs it


def load_maps(
    session: Session, participant_id: int, *, only: int | None = None
) -> tuple[MapView, ...]:
    """Every map the participant owns, oldest first, with actors and ties (``only``: that one
    of theirs, if it is theirs)."""
    maps = (session.execute(_MAPS, {"participant": participant_id})).scalars().all()
    if only is not None:
        maps = [m for m in maps if m.id == only]
    if not maps:
        return ()
    ids = [m.id for m in maps]
    # Plain rows, not ORM entities: an imported map has thousands of actors and ties, loaded
    # for every update of its owner (entities cost five times as much, on the writer's thread).
    actor_rows = (
        session.execute(
            select(*_ACTOR_COLUMNS).where(ACTORS.c.map_id.in_(ids)).order_by(ACTORS.c.id)
        )
    ).all()
    tie_rows = (
        session.execute(
            select(
                TIES.c.map_id,
                TIES.c.source_id,
                TIES.c.target_id,
                TIES.c.strength,
                TIES.c.direction,
                _raw(TIES.c.flows),
            )
            .where(TIES.c.map_id.in_(ids))
            .order_by(TIES.c.id)
        )
    ).all()
    keys = {row.id: row.name_key for row in actor_rows}
    kltb_rows = (
        (
            session.execute(
                select(KltbEntry).where(KltbEntry.actor_id.in_(list(keys))).order_by(KltbEntry.id)
            )
        )
        .scalars()
        .all()
        if keys
        else []
    )
    planned_rows = (
        (
            session.execute(
                select(PlannedTieRow)
                .where(PlannedTieRow.map_id.in_(ids))
                .order_by(PlannedTieRow.id)
            )
        )
        .scalars()
        .all()
    )
    stage_rows = (
        session.execute(
            select(AnalysisSnapshot.map_id, AnalysisSnapshot.created_at, AnalysisSnapshot.stage)
            .where(AnalysisSnapshot.map_id.in_(ids))
            .order_by(AnalysisSnapshot.created_at, AnalysisSnapshot.id)
        )
    ).all()
    owner = {row.id: row.map_id for row in actor_rows}
    actors_of: dict[int, list[Actor]] = defaultdict(list)
    for row in actor_rows:
        actors_of[row.map_id].append(_actor(row))
    ties_of: dict[int, list[TieView]] = defaultdict(list)
    for t in tie_rows:
        ties_of[t.map_id].append(
            TieView(keys[t.source_id], keys[t.target_id], t.strength, t.direction, _list(t.flows))
        )
    views = []
    for network_map in maps:
        actors = tuple(actors_of[network_map.id])
        ties = ties_of[network_map.id]
        views.append(
            MapView(
                id=network_map.id,
                kind=network_map.kind,
                title=network_map.title,
                purpose=network_map.purpose,
                actors=actors,
                ties=tuple(sorted(ties, key=lambda t: (t.a, t.b))),
                undo=steps_of((network_map.history or {}).get("undo")),
                redo=steps_of((network_map.history or {}).get("redo")),
                kltb=tuple(
                    KltbView(keys[k.actor_id], k.step, k.note, k.next_action, k.due_at, k.done_at)
                    for k in kltb_rows
                    if owner.get(k.actor_id) == network_map.id
                ),
                planned=tuple(_planned(p) for p in planned_rows if p.map_id == network_map.id),
                stages=tuple(
                    (at, stage)
                    for map_id, at, stage in stage_rows
                    if map_id == network_map.id and stage
                ),
            )
        )
    return tuple(views)


def _planned(p: PlannedTieRow) -> PlannedTie:
    return PlannedTie(
        p.id,
        p.source_name,
        p.target_name,
        p.reason,
        p.due_at,
        p.done_at,
        status=p.status,
        note=p.note,
        dropped_at=p.dropped_at,
        followup_at=p.followup_at,
        followup_answer=p.followup_answer,
    )


def planned_ties(session: Session, participant_id: int) -> tuple[PlannedTie, ...]:
    """The participant's planned ties on every map (without loading the maps themselves)."""
    rows = session.execute(
        select(PlannedTieRow)
        .join(NetworkMap, NetworkMap.id == PlannedTieRow.map_id)
        .where(NetworkMap.participant_id == participant_id)
        .order_by(NetworkMap.id, PlannedTieRow.id)
    )
    return tuple(_planned(p) for p in rows.scalars().all())


def active_view(participant: Participant, maps: Sequence[MapView]) -> MapView | None:
    ref = participant.active_map or ""
    if ref.startswith(EXAMPLE_PREFIX):
        return example_view(ref.removeprefix(EXAMPLE_PREFIX))
    chosen = next((m for m in maps if str(m.id) == ref), None)
    if chosen is None:  # default: the personal map
        chosen = next((m for m in maps if m.kind == "personal"), None)
    return chosen


def last_analysis(session: Session, map_id: int | None) -> Mapping[str, Any] | None:
    if map_id is None:
        return None
    row = (
        session.execute(
            select(AnalysisSnapshot.result)
            .where(AnalysisSnapshot.map_id == map_id)
            .order_by(AnalysisSnapshot.created_at.desc(), AnalysisSnapshot.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return row


def _actor(row: Any) -> Actor:
    """An actor from its row (an entity or a plain row: the same attribute names)."""
    return Actor(
        name=row.name,
        kind=row.kind,
        role=row.role,
        inside=row.inside,
        resources=_list(row.resources)
        if isinstance(row.resources, str)
        else tuple(row.resources or ()),
        needs=row.needs,
        ibarra=row.ibarra,
        kltb_step=row.kltb_step,
        is_ego=row.is_ego,
    )
