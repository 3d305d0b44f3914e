"""The widyaiswara closes the loop: replies to a participant's answer, answers back, reviewed.

An answer's exchange is a list of notes (``answer_notes``), each by the coach or by the
participant, oldest first; the answer itself carries when a coach marked it reviewed. A coach
reaches only answers of participants in a cohort they coach (the same check as every coach
view); a reply to an answer that is gone (deleted with ``/hapus_data``, or a cohort move) is
refused with a message saying so. The participant receives a coach's reply in the bot under
the answer's title, with a button to write back (queued by ``app/coach.py``; its text is
``coaching.flows.replies.from_coach``). What the participant writes back is stored here and
returned (:class:`WrittenBack`); the application tells the cohort's coaches
(``app/coach.tell_coaches``, at the chats :func:`coach_chats` finds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.model import AnswerNote as NoteView
from storage.models import Answer, AnswerNote, Coach, CoachCohort, Participant


class NoteOutcome(StrEnum):
    SENT = "sent"
    REVIEWED = "reviewed"
    GONE = "gone"  # the answer no longer exists
    DENIED = "denied"  # not an answer of the coach's cohorts


@dataclass(frozen=True)
class Result:
    verdict: NoteOutcome
    name: str | None = None  # the participant's
    key: str | None = None  # the answer's exercise key
    participant_id: int | None = None
    answer_id: int | None = None
    # Where the reply goes (None: nowhere, the participant blocked the bot or has no chat).
    chat_id: int | None = None
    locale: str = "id"


@dataclass(frozen=True)
class WrittenBack:
    """A participant's answer back to a coach's reply, stored: what their coaches are told."""

    answer_id: int
    key: str  # the answer's exercise key
    participant_id: int
    name: str  # the participant's
    note: str
    cohort_id: int | None


@dataclass(frozen=True)
class CoachChat:
    """Where one of a cohort's coaches is reached: their own chat with the bot."""

    participant_id: int  # the coach's own participant row (whose outbox it is)
    chat_id: int
    locale: str


def reply_as_coach(
    session: Session,
    coach_id: int,
    answer_id: int,
    reply: str | None,
    now: datetime,
    *,
    review: bool = False,
) -> Result:
    """Store a coach's reply to an answer, or mark it reviewed; the result says where to send
    the reply (``app/coach.reply_as_coach`` queues it in the same transaction)."""
    answer = session.get(Answer, answer_id)
    if answer is None:
        return Result(NoteOutcome.GONE)
    participant = session.get(Participant, answer.participant_id)
    if (
        participant is None
        or participant.cohort_id is None
        or participant.consent_at is None
        or session.get(CoachCohort, (coach_id, participant.cohort_id)) is None
    ):
        return Result(NoteOutcome.DENIED)
    if review:
        answer.reviewed_at = now
    reachable = participant.chat_id is not None and participant.active
    if reply:
        session.add(
            AnswerNote(
                answer_id=answer.id, author="coach", coach_id=coach_id, text=reply, created_at=now
            )
        )
        answer.reviewed_at = answer.reviewed_at or now
    verdict = NoteOutcome.SENT if reply else NoteOutcome.REVIEWED
    return Result(
        verdict,
        participant.name,
        answer.exercise_key,
        participant.id,
        answer.id,
        participant.chat_id if reachable else None,
        participant.language,
    )


def coach_of(session: Session, telegram_user_id: int) -> int | None:
    """The coach a Telegram user is, if any."""
    found = session.execute(select(Coach.id).where(Coach.telegram_user_id == telegram_user_id))
    return found.scalar_one_or_none()


def write_back(
    session: Session, participant_id: int, answer_id: int, note: str, now: datetime
) -> WrittenBack | None:
    """The participant's answer to a coach's reply; only on an answer of their own (None:
    nothing stored)."""
    answer = session.get(Answer, answer_id)
    if answer is None or answer.participant_id != participant_id:
        return None
    session.add(AnswerNote(answer_id=answer.id, author="participant", text=note, created_at=now))
    answer.reviewed_at = None  # something new for the coach to read
    participant = session.get(Participant, participant_id)
    return WrittenBack(
        answer.id,
        answer.exercise_key,
        participant_id,
        (participant.name if participant else None) or "",
        note,
        participant.cohort_id if participant else None,
    )


def coach_chats(session: Session, cohort_id: int) -> list[CoachChat]:
    """The chats of a cohort's coaches that can be written to (they have talked to the bot and
    not blocked it)."""
    users = session.execute(
        select(Coach.telegram_user_id)
        .join(CoachCohort, CoachCohort.coach_id == Coach.id)
        .where(CoachCohort.cohort_id == cohort_id)
    ).scalars()
    chats = session.execute(
        select(Participant).where(
            Participant.external_id.in_([f"tg:{user}" for user in users]),
            Participant.chat_id.is_not(None),
            Participant.active,
        )
    ).scalars()
    return [
        CoachChat(coach.id, coach.chat_id, coach.language)
        for coach in chats
        if coach.chat_id is not None
    ]


def notes_of(session: Session, answer_ids: Sequence[int]) -> dict[int, tuple[NoteView, ...]]:
    """Each answer's exchange, oldest first."""
    if not answer_ids:
        return {}
    rows = (
        (
            session.execute(
                select(AnswerNote)
                .where(AnswerNote.answer_id.in_(list(answer_ids)))
                .order_by(AnswerNote.created_at, AnswerNote.id)
            )
        )
        .scalars()
        .all()
    )
    found: dict[int, list[NoteView]] = {}
    for row in rows:
        found.setdefault(row.answer_id, []).append(NoteView(row.author, row.text, row.created_at))
    return {key: tuple(value) for key, value in found.items()}
