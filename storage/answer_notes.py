"""The widyaiswara closes the loop: replies to a participant's answer, answers back, reviewed.

An answer's exchange is a list of notes (``answer_notes``), each by the coach or by the
participant, oldest first; the answer itself carries when a coach marked it reviewed. A coach
reaches only answers of participants in a cohort they coach (the same check as every coach
view); a reply to an answer that is gone (deleted with ``/hapus_data``, or a cohort move) is
refused with a message saying so. The participant receives a coach's reply in the bot under
the answer's title, with a button to write back (queued by ``app/coach.py``; its text is
``coaching.flows.replies.from_coach``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching import payloads
from coaching.cohort import written_back
from coaching.model import AnswerNote as NoteView
from storage.models import Answer, AnswerNote, Coach, CoachCohort, Participant
from storage.outbox import enqueue
from storage.privacy import mark_about


class Verdict(StrEnum):
    SENT = "sent"
    REVIEWED = "reviewed"
    GONE = "gone"  # the answer no longer exists
    DENIED = "denied"  # not an answer of the coach's cohorts


@dataclass(frozen=True)
class Result:
    verdict: Verdict
    name: str | None = None  # the participant's
    key: str | None = None  # the answer's exercise key
    participant_id: int | None = None
    answer_id: int | None = None
    # Where the reply goes (None: nowhere, the participant blocked the bot or has no chat).
    chat_id: int | None = None
    locale: str = "id"


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
        return Result(Verdict.GONE)
    participant = session.get(Participant, answer.participant_id)
    if (
        participant is None
        or participant.cohort_id is None
        or participant.consent_at is None
        or session.get(CoachCohort, (coach_id, participant.cohort_id)) is None
    ):
        return Result(Verdict.DENIED)
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
    verdict = Verdict.SENT if reply else Verdict.REVIEWED
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
) -> bool:
    """The participant's answer to a coach's reply; only on an answer of their own."""
    answer = session.get(Answer, answer_id)
    if answer is None or answer.participant_id != participant_id:
        return False
    session.add(AnswerNote(answer_id=answer.id, author="participant", text=note, created_at=now))
    answer.reviewed_at = None  # something new for the coach to read
    _tell_coaches(session, answer, note, now)
    return True


def _tell_coaches(session: Session, answer: Answer, note: str, now: datetime) -> None:
    """The coaches of the participant's cohort hear of the answer back at once, in their own
    language, with a button to reply again; each copy names the participant (it goes with them
    on ``/hapus_data``)."""
    participant = session.get(Participant, answer.participant_id)
    if participant is None or participant.cohort_id is None:
        return
    users = session.execute(
        select(Coach.telegram_user_id)
        .join(CoachCohort, CoachCohort.coach_id == Coach.id)
        .where(CoachCohort.cohort_id == participant.cohort_id)
    ).scalars()
    chats = session.execute(
        select(Participant).where(
            Participant.external_id.in_([f"tg:{user}" for user in users]),
            Participant.chat_id.is_not(None),
            Participant.active,
        )
    ).scalars()
    for coach in chats:
        if coach.chat_id is None or coach.id == participant.id:
            continue
        said = written_back(answer.id, answer.exercise_key, participant.name or "", note)
        queued = payloads.payloads(coach.language, [said])
        ids, _ = enqueue(session, coach.id, "telegram", coach.chat_id, queued, now)
        mark_about(session, ids, (participant.id,))


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
