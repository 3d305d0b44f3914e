"""Planned ties in the database: done (with a note), moved to a new date, or dropped.

A ``ResolvePlan`` changes a tie only if it is on one of the participant's own maps and still
planned: a forged id finds nothing, and a repeated press (or a second device) changes nothing
twice. Done and dropped ties are no longer nudged (``storage/reminders.load_waiting``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.model import ResolvePlan
from storage.models import NetworkMap, Participant, PlannedTie

PLANNED, DONE, DROPPED = "planned", "done", "dropped"
# What a follow-up's answer is recorded as: the action taken from it.
FOLLOWUP_ANSWER = {"done": "done", "move": "later", "drop": "dropped"}


def resolve(session: Session, participant: Participant, effect: ResolvePlan, now: datetime) -> bool:
    """Apply the participant's decision on one planned tie; False if there was none to apply."""
    query = (
        select(PlannedTie)
        .join(NetworkMap, NetworkMap.id == PlannedTie.map_id)
        .where(PlannedTie.id == effect.plan_id, NetworkMap.participant_id == participant.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=PlannedTie)
    plan = (session.execute(query)).scalar_one_or_none()
    if plan is None or plan.status != PLANNED or plan.done_at is not None:
        return False
    if effect.action == "done":
        plan.status, plan.done_at, plan.note = DONE, now, effect.note
    elif effect.action == "drop":
        plan.status, plan.dropped_at = DROPPED, now
    elif effect.action == "move" and effect.due_at is not None:
        plan.due_at = effect.due_at  # the follow-up is asked again a week after it
    else:
        return False
    if effect.followup:
        plan.followup_answer = FOLLOWUP_ANSWER[effect.action]
    return True
