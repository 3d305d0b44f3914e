"""A participant's data (or a cohort's) as plain, JSON-safe dicts for exports.

The formats (JSON, CSV, GraphML, GEXF) are written by the pure ``coaching/exports.py`` from
these dicts. Coach exports go through :func:`cohort_export` / :func:`coach_participant_export`,
which check the coach owns the cohort first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.exports import FORMAT
from coaching.network import MapView
from storage import answer_notes, cohorts, networks
from storage.db import Database
from storage.models import (
    Answer,
    Cohort,
    NetworkMap,
    Participant,
    Progress,
)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def participant_data(
    session: Session, participant_id: int, now: datetime, *, bookmarks: bool = True
) -> dict[str, Any]:
    """Everything stored about one participant, as they would want to take it with them.

    ``bookmarks=False`` leaves out the lessons' resume points (``<module>.resume``): they are
    the conversation's state, not reflections, and mean nothing to a coach.
    """
    p = session.get(Participant, participant_id)
    if p is None:
        raise LookupError(f"no participant {participant_id}")
    cohort = session.get(Cohort, p.cohort_id) if p.cohort_id is not None else None
    answers = (
        (session.execute(select(Answer).where(Answer.participant_id == p.id).order_by(Answer.id)))
        .scalars()
        .all()
    )
    notes = answer_notes.notes_of(session, [a.id for a in answers])
    progress = (
        session.execute(
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
                "reviewed_at": _iso(a.reviewed_at),
                "exchange": [
                    {"author": n.author, "text": n.text, "at": _iso(n.at)}
                    for n in notes.get(a.id, ())
                ],
            }
            for a in answers
            if bookmarks
            or not (a.exercise_key.endswith(".resume") or a.exercise_key.startswith("profile."))
        ],
        "progress": [{"item": key, "completed_at": _iso(at)} for key, at in progress],
        "maps": _maps(session, p.id),
    }


def _maps(session: Session, participant_id: int) -> list[dict[str, Any]]:
    """The participant's maps as the conversation knows them, plus when each was made."""
    views = networks.load_maps(session, participant_id)
    rows = (
        session.execute(
            select(
                NetworkMap.id, NetworkMap.stage, NetworkMap.created_at, NetworkMap.updated_at
            ).where(NetworkMap.participant_id == participant_id)
        )
    ).all()
    meta = {map_id: (stage, created, updated) for map_id, stage, created, updated in rows}
    return [_map_dict(view, *meta[view.id]) for view in views if view.id in meta]


def _map_dict(
    view: MapView, stage: str | None, created: datetime, updated: datetime
) -> dict[str, Any]:
    names = {a.key: a.name for a in view.actors}
    return {
        "id": view.id,
        "kind": view.kind,
        "title": view.title,
        "purpose": view.purpose,
        "stage": stage,
        "created_at": _iso(created),
        "updated_at": _iso(updated),
        "counts": view.counts().as_dict(),
        "actors": [
            {
                "name": a.name,
                "is_ego": a.is_ego,
                "kind": a.kind,
                "role": a.role,
                "inside": a.inside,
                "resources": list(a.resources),
                "needs": a.needs,
                "ibarra": a.ibarra,
                "kltb_step": a.kltb_step,
                "kltb": [
                    {
                        "step": k.step,
                        "note": k.note,
                        "next_action": k.next_action,
                        "due_at": _iso(k.due_at),
                        "done_at": _iso(k.done_at),
                    }
                    for k in view.kltb
                    if k.actor == a.key
                ],
            }
            for a in view.actors
        ],
        "ties": [
            {
                "source": names[t.a],
                "target": names[t.b],
                "strength": t.strength,
                "direction": t.direction,
                "flows": list(t.flows),
            }
            for t in view.ties
        ],
        "planned_ties": [
            {
                "source": p.a,
                "target": p.b,
                "reason": p.reason,
                "due_at": _iso(p.due_at),
                "status": p.status,
                "note": p.note,
                "done_at": _iso(p.done_at),
                "dropped_at": _iso(p.dropped_at),
                "followup_at": _iso(p.followup_at),
                "followup_answer": p.followup_answer,
            }
            for p in view.planned
        ],
        "analyses": [{"stage": stage, "at": _iso(at)} for at, stage in view.stages],
    }


async def coach_participant_export(
    db: Database, coach_id: int, participant_id: int, now: datetime
) -> list[dict[str, Any]]:
    """One participant's data for a coach of their cohort (``cohorts.Forbidden`` otherwise)."""

    def job(session: Session) -> list[dict[str, Any]]:
        cohorts.participant_cohort(session, coach_id, participant_id)
        return [participant_data(session, participant_id, now, bookmarks=False)]

    return await db.run(job)


async def cohort_export(
    db: Database, coach_id: int | None, cohort_id: int, now: datetime
) -> tuple[str, list[dict[str, Any]]]:
    """(cohort name, each consenting participant's data); ``coach_id`` None: an operator."""

    def job(session: Session) -> tuple[str, list[dict[str, Any]]]:
        cohort = session.get(Cohort, cohort_id)
        if cohort is None:
            raise cohorts.Forbidden(f"cohort {cohort_id}")
        if coach_id is not None and not cohorts.owns_cohort(session, coach_id, cohort_id):
            raise cohorts.Forbidden(f"cohort {cohort_id}")
        ids = (
            session.execute(
                select(Participant.id)
                .where(Participant.cohort_id == cohort_id, Participant.consent_at.is_not(None))
                .order_by(Participant.id)
            )
        ).scalars()
        return cohort.name, [
            participant_data(session, pid, now, bookmarks=False) for pid in list(ids)
        ]

    return await db.run(job)


async def operator_participant_export(
    db: Database, participant_id: int, now: datetime
) -> list[dict[str, Any]]:
    def job(session: Session) -> list[dict[str, Any]]:
        return [participant_data(session, participant_id, now)]

    return await db.run(job)
