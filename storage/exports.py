"""A participant's data (or a cohort's) as plain, JSON-safe dicts for exports.

The formats (JSON, CSV, GraphML, GEXF) are written by the pure ``coaching/exports.py`` from
these dicts. Coach exports go through :func:`cohort_export` / :func:`coach_participant_export`,
which check the coach owns the cohort first.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coaching.exports import FORMAT
from storage import cohorts
from storage.db import Database
from storage.models import (
    Actor,
    AnalysisSnapshot,
    Answer,
    Cohort,
    KltbEntry,
    NetworkMap,
    Participant,
    PlannedTie,
    Progress,
    Tie,
)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


async def participant_data(
    session: AsyncSession, participant_id: int, now: datetime, *, bookmarks: bool = True
) -> dict[str, Any]:
    """Everything stored about one participant, as they would want to take it with them.

    ``bookmarks=False`` leaves out the lessons' resume points (``<module>.resume``): they are
    the conversation's state, not reflections, and mean nothing to a coach.
    """
    p = await session.get(Participant, participant_id)
    if p is None:
        raise LookupError(f"no participant {participant_id}")
    cohort = await session.get(Cohort, p.cohort_id) if p.cohort_id is not None else None
    answers = (
        (
            await session.execute(
                select(Answer).where(Answer.participant_id == p.id).order_by(Answer.id)
            )
        )
        .scalars()
        .all()
    )
    progress = (
        await session.execute(
            select(Progress.item_key, Progress.completed_at)
            .where(Progress.participant_id == p.id)
            .order_by(Progress.completed_at, Progress.item_key)
        )
    ).all()
    return {
        "format": FORMAT,
        "exported_at": now.isoformat(),
        "participant": {
            "id": p.id,
            "name": p.name,
            "unit": p.unit,
            "language": p.language,
            "timezone": p.timezone,
            "reminder": p.reminder,
            "reminder_time": p.reminder_time,
            "quiet_hours": [p.quiet_start, p.quiet_end],
            "consent_at": _iso(p.consent_at),
            "consent_version": p.consent_version,
            "cohort": cohort.name if cohort else None,
            "created_at": _iso(p.created_at),
            "last_active_at": _iso(p.last_active_at),
        },
        "answers": [
            {
                "exercise": a.exercise_key,
                "text": a.text,
                "data": dict(a.data or {}),
                "created_at": _iso(a.created_at),
                "updated_at": _iso(a.updated_at),
            }
            for a in answers
            if bookmarks or not a.exercise_key.endswith(".resume")
        ],
        "progress": [{"item": key, "completed_at": _iso(at)} for key, at in progress],
        "maps": await _maps(session, p.id),
    }


async def _maps(session: AsyncSession, participant_id: int) -> list[dict[str, Any]]:
    maps = (
        (
            await session.execute(
                select(NetworkMap)
                .where(NetworkMap.participant_id == participant_id)
                .order_by(NetworkMap.id)
            )
        )
        .scalars()
        .all()
    )
    if not maps:
        return []
    ids = [m.id for m in maps]
    actors = (
        (await session.execute(select(Actor).where(Actor.map_id.in_(ids)).order_by(Actor.id)))
        .scalars()
        .all()
    )
    names = {a.id: a.name for a in actors}
    ties = (
        (await session.execute(select(Tie).where(Tie.map_id.in_(ids)).order_by(Tie.id)))
        .scalars()
        .all()
    )
    kltb: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for entry in (
        (
            await session.execute(
                select(KltbEntry)
                .where(KltbEntry.actor_id.in_(list(names)))
                .order_by(KltbEntry.actor_id, KltbEntry.id)
            )
        )
        .scalars()
        .all()
    ):
        kltb[entry.actor_id].append(
            {
                "step": entry.step,
                "note": entry.note,
                "next_action": entry.next_action,
                "due_at": _iso(entry.due_at),
                "done_at": _iso(entry.done_at),
            }
        )
    planned = (
        (
            await session.execute(
                select(PlannedTie).where(PlannedTie.map_id.in_(ids)).order_by(PlannedTie.id)
            )
        )
        .scalars()
        .all()
    )
    analyses = (
        await session.execute(
            select(AnalysisSnapshot.map_id, AnalysisSnapshot.stage, AnalysisSnapshot.created_at)
            .where(AnalysisSnapshot.map_id.in_(ids))
            .order_by(AnalysisSnapshot.created_at, AnalysisSnapshot.id)
        )
    ).all()
    result = []
    for m in maps:
        result.append(
            {
                "id": m.id,
                "kind": m.kind,
                "title": m.title,
                "purpose": m.purpose,
                "stage": m.stage,
                "created_at": _iso(m.created_at),
                "updated_at": _iso(m.updated_at),
                "actors": [
                    {
                        "name": a.name,
                        "is_ego": a.is_ego,
                        "kind": a.kind,
                        "role": a.role,
                        "inside": a.inside,
                        "resources": list(a.resources or []),
                        "needs": a.needs,
                        "ibarra": a.ibarra,
                        "kltb_step": a.kltb_step,
                        "kltb": kltb.get(a.id, []),
                    }
                    for a in actors
                    if a.map_id == m.id
                ],
                "ties": [
                    {
                        "source": names[t.source_id],
                        "target": names[t.target_id],
                        "strength": t.strength,
                        "direction": t.direction,
                        "flows": list(t.flows or []),
                    }
                    for t in ties
                    if t.map_id == m.id
                ],
                "planned_ties": [
                    {
                        "source": t.source_name,
                        "target": t.target_name,
                        "reason": t.reason,
                        "due_at": _iso(t.due_at),
                        "done_at": _iso(t.done_at),
                    }
                    for t in planned
                    if t.map_id == m.id
                ],
                "analyses": [
                    {"stage": stage, "at": _iso(at)}
                    for map_id, stage, at in analyses
                    if map_id == m.id
                ],
            }
        )
    return result


async def coach_participant_export(
    db: Database, coach_id: int, participant_id: int, now: datetime
) -> list[dict[str, Any]]:
    """One participant's data for a coach of their cohort (``cohorts.Forbidden`` otherwise)."""
    async with db.transaction() as session:
        await cohorts.participant_cohort(session, coach_id, participant_id)
        return [await participant_data(session, participant_id, now, bookmarks=False)]


async def cohort_export(
    db: Database, coach_id: int | None, cohort_id: int, now: datetime
) -> tuple[str, list[dict[str, Any]]]:
    """(cohort name, each consenting participant's data); ``coach_id`` None: an operator."""
    async with db.transaction() as session:
        cohort = await session.get(Cohort, cohort_id)
        if cohort is None:
            raise cohorts.Forbidden(f"cohort {cohort_id}")
        if coach_id is not None and not await cohorts.owns_cohort(session, coach_id, cohort_id):
            raise cohorts.Forbidden(f"cohort {cohort_id}")
        ids = (
            await session.execute(
                select(Participant.id)
                .where(Participant.cohort_id == cohort_id, Participant.consent_at.is_not(None))
                .order_by(Participant.id)
            )
        ).scalars()
        return cohort.name, [
            await participant_data(session, pid, now, bookmarks=False) for pid in list(ids)
        ]


async def operator_participant_export(
    db: Database, participant_id: int, now: datetime
) -> list[dict[str, Any]]:
    async with db.transaction() as session:
        return [await participant_data(session, participant_id, now)]
