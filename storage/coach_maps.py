"""A coach's look at maps: which maps a participant has, the before/after of two of their
analyses, and a cohort's maps for its network. Callers have checked the coach owns the
cohort or participant (``storage.coach_views``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching.cohort import MapSummary, StageMark
from coaching.compare import Comparison, compare
from storage.models import Actor, AnalysisSnapshot, NetworkMap, Participant, Tie


def cohort_maps(session: Session, cohort_id: int) -> list[dict[str, Any]]:
    """Each consenting participant's maps in the export's shape, as far as the cohort's
    network needs them (actors with resources and needs, ties, purposes). The caller has
    checked the coach owns the cohort (``roster``)."""
    people = (
        session.execute(
            select(Participant.id, Participant.name)
            .where(Participant.cohort_id == cohort_id, Participant.consent_at.is_not(None))
            .order_by(Participant.id)
        )
    ).all()
    ids = [pid for pid, _ in people]
    maps = (
        session.execute(
            select(NetworkMap.id, NetworkMap.participant_id, NetworkMap.kind, NetworkMap.purpose)
            .where(NetworkMap.participant_id.in_(ids))
            .order_by(NetworkMap.id)
        )
    ).all()
    map_ids = [m.id for m in maps]
    actors: dict[int, list[dict[str, Any]]] = defaultdict(list)
    names: dict[int, str] = {}
    for aid, map_id, name, ego, resources, needs in session.execute(
        select(
            Actor.id, Actor.map_id, Actor.name, Actor.is_ego, Actor.resources, Actor.needs
        ).where(Actor.map_id.in_(map_ids))
    ):
        names[aid] = name
        actors[map_id].append(
            {"name": name, "is_ego": ego, "resources": list(resources or []), "needs": needs}
        )
    ties: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for map_id, source, target, strength in session.execute(
        select(Tie.map_id, Tie.source_id, Tie.target_id, Tie.strength).where(
            Tie.map_id.in_(map_ids)
        )
    ):
        ties[map_id].append(
            {"source": names[source], "target": names[target], "strength": strength}
        )
    by_person: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for m in maps:
        by_person[m.participant_id].append(
            {"kind": m.kind, "purpose": m.purpose, "actors": actors[m.id], "ties": ties[m.id]}
        )
    return [
        {"participant": {"id": pid, "name": name}, "maps": by_person[pid]} for pid, name in people
    ]


def map_summaries(session: Session, participant_id: int) -> tuple[MapSummary, ...]:
    """Every map of the participant's, most recently changed first, with its actor count."""
    counts = dict(
        (
            session.execute(
                select(Actor.map_id, func.count())
                .join(NetworkMap, NetworkMap.id == Actor.map_id)
                .where(NetworkMap.participant_id == participant_id)
                .group_by(Actor.map_id)
            )
        ).all()
    )
    rows = (
        session.execute(
            select(NetworkMap.id, NetworkMap.kind, NetworkMap.title, NetworkMap.updated_at)
            .where(NetworkMap.participant_id == participant_id)
            .order_by(NetworkMap.updated_at.desc(), NetworkMap.id.desc())
        )
    ).all()
    return tuple(
        MapSummary(i, kind, title, int(counts.get(i, 0)), updated)
        for i, kind, title, updated in rows
    )


def comparison(
    session: Session,
    stages: Sequence[StageMark],
    map_id: int | None,
    before: int | None,
    after: int | None,
) -> tuple[Comparison | None, tuple[StageMark, StageMark] | None]:
    """Before/after of the shown map: the chosen analyses, else its first and last."""
    mine = [s for s in stages if s.map_id == map_id and map_id is not None]
    if len(mine) < 2:
        return None, None
    by_id = {s.id: s for s in mine}
    first = by_id.get(before) if before is not None else None
    last = by_id.get(after) if after is not None else None
    first, last = first or mine[0], last or mine[-1]
    if first.id == last.id:
        return None, None
    if first.at > last.at:
        first, last = last, first
    results: dict[int | None, dict[str, Any]] = dict(
        (
            session.execute(
                select(AnalysisSnapshot.id, AnalysisSnapshot.result).where(
                    AnalysisSnapshot.id.in_([first.id, last.id])
                )
            )
        ).all()
    )
    return compare(results.get(first.id) or {}, results.get(last.id) or {}), (first, last)
