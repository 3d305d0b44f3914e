"""The whole domain as tables, modelled now so later capabilities add behaviour, not rewrites.

Every participant-owned row cascades from ``participants`` so that deleting a participant
(``/hapus_data``) removes everything of theirs in one statement.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from coaching.model import DEFAULT_QUIET_END, DEFAULT_QUIET_START, DEFAULT_REMINDER_TIME

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Stamp(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        datetime: Stamp(),
    }


def _owner(table: str) -> Mapped[int]:
    return mapped_column(ForeignKey(f"{table}.id", ondelete="CASCADE"), index=True)


class Cohort(Base):
    __tablename__ = "cohorts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    join_code: Mapped[str] = mapped_column(String(32), unique=True)
    join_expires_at: Mapped[datetime | None]  # None: the join link works until changed
    # Participants who deleted their data (/hapus_data): a bare count, nothing about them.
    left_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime]


class Coach(Base):
    __tablename__ = "coaches"
    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime]


class CoachCohort(Base):
    __tablename__ = "coach_cohorts"
    coach_id: Mapped[int] = mapped_column(
        ForeignKey("coaches.id", ondelete="CASCADE"), primary_key=True
    )
    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )


class CoachInvite(Base):
    """A single-use, expiring token that makes whoever opens it a coach of one cohort."""

    __tablename__ = "coach_invites"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    cohort_id: Mapped[int] = _owner("cohorts")
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(BigInteger)


class CoachLogin(Base):
    """A dashboard login link minted by ``/dasbor``: single-use, short-lived, one coach's."""

    __tablename__ = "coach_logins"
    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = _owner("coaches")
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class CoachSession(Base):
    """A dashboard session opened by a login link; the cookie holds the token, we its hash."""

    __tablename__ = "coach_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = _owner("coaches")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime]


class Participant(Base):
    __tablename__ = "participants"
    id: Mapped[int] = mapped_column(primary_key=True)
    # "tg:<telegram user id>" or "term:<name>": one person per transport identity.
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohorts.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(80))
    unit: Mapped[str | None] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(8), default="id")
    timezone: Mapped[str | None] = mapped_column(String(64))
    reminder: Mapped[str | None] = mapped_column(String(16))
    reminder_time: Mapped[str] = mapped_column(String(5), default=DEFAULT_REMINDER_TIME)
    quiet_start: Mapped[str] = mapped_column(String(5), default=DEFAULT_QUIET_START)
    quiet_end: Mapped[str] = mapped_column(String(5), default=DEFAULT_QUIET_END)
    consent_at: Mapped[datetime | None]
    consent_version: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(64), default="onboarding.consent")
    state_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    ignored_nudges: Mapped[int] = mapped_column(Integer, default=0)
    # The map the conversation works on: a map id, or "example:<key>" for a bundled example.
    active_map: Mapped[str | None] = mapped_column(String(32))
    last_active_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    answers: Mapped[list[Answer]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class NetworkMap(Base):
    """A personal network (the participant is the ego) or a case map (mapping step 1)."""

    __tablename__ = "maps"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = _owner("participants")
    kind: Mapped[str] = mapped_column(String(16))  # personal | case
    title: Mapped[str] = mapped_column(String(120))
    purpose: Mapped[str | None] = mapped_column(Text)
    anklam: Mapped[dict[str, Any]] = mapped_column(default=dict)  # purpose/structure/style/value
    stage: Mapped[str | None] = mapped_column(String(32))  # Bab V development stage
    # The map's history: {"undo": [[op, ...], ...], "redo": [...]}, latest last (coaching.network)
    history: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(String(120))  # e.g. the imported file's name
    # Bumped by every change to the map (storage/networks.py): the dashboard caches a map's
    # analysis per (id, version).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Actor(Base):
    __tablename__ = "actors"
    __table_args__ = (UniqueConstraint("map_id", "name_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = _owner("maps")
    name: Mapped[str] = mapped_column(String(80))
    name_key: Mapped[str] = mapped_column(String(80))  # case/space/diacritic-folded
    is_ego: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str | None] = mapped_column(String(16))  # person | group | organisation
    role: Mapped[str | None] = mapped_column(String(120))  # agency/role
    inside: Mapped[bool | None] = mapped_column(Boolean)
    resources: Mapped[list[str]] = mapped_column(default=list)
    needs: Mapped[str | None] = mapped_column(Text)
    ibarra: Mapped[str | None] = mapped_column(String(16))  # personal|operational|strategic
    kltb_step: Mapped[str | None] = mapped_column(String(8))  # know|like|trust|buy
    created_at: Mapped[datetime]


class Tie(Base):
    __tablename__ = "ties"
    __table_args__ = (UniqueConstraint("map_id", "source_id", "target_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = _owner("maps")
    source_id: Mapped[int] = _owner("actors")
    target_id: Mapped[int] = _owner("actors")
    strength: Mapped[str | None] = mapped_column(String(8))  # strong | weak
    direction: Mapped[str] = mapped_column(String(8), default="both")  # both | out
    flows: Mapped[list[str]] = mapped_column(default=list)  # Cross (2002) kinds
    created_at: Mapped[datetime]


class KltbEntry(Base):
    """A Know-Like-Trust-Buy step with one stakeholder: planned (due) and/or reached (notes)."""

    __tablename__ = "kltb_entries"
    __table_args__ = (UniqueConstraint("actor_id", "step"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = _owner("actors")
    step: Mapped[str] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)
    next_action: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    planned_at: Mapped[datetime | None]  # when the next action was planned
    done_at: Mapped[datetime | None]  # None: planned, not yet reached
    # When a nudge asked how the planned step went, a week after its date (once per date).
    followup_at: Mapped[datetime | None]


class PlannedTie(Base):
    """A new tie the participant plans to weave ("merajut jejaring"), maybe with a due date."""

    __tablename__ = "planned_ties"
    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = _owner("maps")
    source_name: Mapped[str] = mapped_column(String(80))
    target_name: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    # planned | done | dropped: only a planned one is nudged (coaching/flows/plans.py)
    status: Mapped[str] = mapped_column(String(8), default="planned", server_default="planned")
    note: Mapped[str | None] = mapped_column(Text)  # the participant's note on how it went
    done_at: Mapped[datetime | None]
    dropped_at: Mapped[datetime | None]
    # The follow-up a week after the due date: when the nudge asked, and the answer given
    # (done | later | dropped). Asked again a week after a new date (followup_at < due_at).
    followup_at: Mapped[datetime | None]
    followup_answer: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime]


class Answer(Base):
    """A reflection or evaluation answer, keyed by the exercise's stable key."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("participant_id", "exercise_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = _owner("participants")
    exercise_key: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)  # scales, structured answers
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    reviewed_at: Mapped[datetime | None]  # a coach marked it reviewed (or replied to it)


class AnswerNote(Base):
    """One message of an answer's exchange: the widyaiswara's reply or the participant's."""

    __tablename__ = "answer_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = _owner("answers")
    author: Mapped[str] = mapped_column(String(16))  # coach | participant
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("coaches.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Progress(Base):
    """One completed curriculum item (exercise, mapping step, ...) per row."""

    __tablename__ = "progress"
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    item_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    completed_at: Mapped[datetime]


class AnalysisSnapshot(Base):
    __tablename__ = "analysis_snapshots"
    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = _owner("maps")
    stage: Mapped[str | None] = mapped_column(String(32))
    result: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(index=True)


class Reminder(Base):
    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_status_due_at", "status", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = _owner("participants")
    kind: Mapped[str] = mapped_column(String(16))  # routine | snooze | coach (storage/reminders)
    ref: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)  # a coach's nudge in their own words
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class ProcessedUpdate(Base):
    """Telegram update ids already handled: a redelivered update is dropped."""

    __tablename__ = "processed_updates"
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    processed_at: Mapped[datetime] = mapped_column(index=True)


_UNSENT = sql_text("sent_at IS NULL AND failed_at IS NULL")


class OutboxMessage(Base):
    """A reply committed with the update that caused it, sent afterwards until delivered."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "sent_at", "failed_at", "next_attempt_at"),
        # A chat's waiting messages: what every queueing and every claim asks for (nothing
        # asks for a chat's sent ones). With an index of every message's chat instead,
        # PostgreSQL's planner, before its statistics were in (a new database, a backlog),
        # took ix_outbox_pending and read every unsent message of every chat: 1.8 ms an INSERT
        # with 4,500 waiting (ARCHITECTURE.md, "Measured speedups", change 9).
        Index(
            "ix_outbox_chat_waiting",
            "channel",
            "chat_id",
            "id",
            postgresql_where=_UNSENT,
            sqlite_where=_UNSENT,
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))  # telegram | terminal
    chat_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class DeadLetter(Base):
    """Something that failed deterministically and was set aside so the bot could move on: an
    update that cannot be stored (``kind="update"``) or a message that cannot be sent
    (``"message"``: Telegram refused it, or building it raised). ``jejaring dead-letters``
    lists them and retries them once the cause is fixed (storage/deadletters.py)."""

    __tablename__ = "dead_letters"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Everything of a participant goes with them (/hapus_data), their dead letters too.
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # update | message
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    update_id: Mapped[int | None] = mapped_column(BigInteger)
    outbox_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The update as Telegram sent it and the event it became (a document with its bytes), or
    # the outbox payload: enough to try it again without Telegram.
    payload: Mapped[dict[str, Any]]
    error_class: Mapped[str] = mapped_column(String(200))
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    failed_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)


class OutboxAbout(Base):
    """Which participants an outbox message speaks of, besides its own chat's: a coach's
    roster, a participant's detail (reflections, map, KLTB), a nudge's confirmation.

    ``/hapus_data`` deletes those messages with the participant, and a move to another cohort
    deletes the old coach's; the coach flow's replies name them (``storage/privacy.py``).
    """

    __tablename__ = "outbox_about"
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    outbox_id: Mapped[int] = mapped_column(
        ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CohortMove(Base):
    """A participant who left one cohort for another through a join link, and when.

    Only ids: deleting the participant deletes the record of their moves too.
    """

    __tablename__ = "cohort_moves"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = _owner("participants")
    from_cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohorts.id", ondelete="SET NULL")
    )
    to_cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="SET NULL"))
    moved_at: Mapped[datetime]
