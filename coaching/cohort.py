"""Cohorts as coaches see them: plain data loaded by ``storage/cohorts.py``, and deep links.

Nothing here touches the database. Storage loads a coach's view only with what the coach owns
(every loader checks the coach–cohort link), so a flow that renders these objects cannot show
anything of another cohort.

"Needs attention" is deliberately simple so a coach can predict it (``schedule.is_behind``,
the same rule ``/ingatkan`` uses): silent for 7 days or more (or never active since joining),
or an exercise overdue — fewer exercises done than the cohort's median participant. The module
has no fixed dates, so the cohort's own pace is the schedule.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from coaching import schedule
from coaching.model import AnswerNote, Option, Reply
from coaching.names import clean_name

if TYPE_CHECKING:
    from coaching.cohortnet import CohortNetwork
    from coaching.compare import Comparison
    from coaching.network import MapView, PlannedTie

JOIN_PREFIX = "join_"
COACH_PREFIX = "coach_"
COHORT_NAME_MAX = 120
# Telegram's deep-link rule: at most 64 characters of A-Za-z0-9_- after ``?start=``.
PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
JOIN_CODE = re.compile(r"^[A-Za-z0-9]{6,32}$")
COACH_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,58}$")


@dataclass(frozen=True)
class DeepLink:
    """Storage's verdict on a ``/start`` payload, for the engine to answer with.

    ``status``: ``ok``, ``unknown`` (no such code, or malformed), ``expired`` or ``used``
    (a coach invite someone already redeemed).
    """

    kind: str  # join | coach
    status: str
    cohort: str | None = None
    # For a join link: the cohort the participant is in now (its name), and whether it is the
    # link's own cohort. A consented participant is asked before joining another one.
    current: str | None = None
    member: bool = False


def parse_start(payload: str) -> tuple[str | None, str]:
    """``join_<code>`` / ``coach_<token>`` → (kind, code); anything else → (None, "").

    A malformed code keeps its kind (storage then calls it unknown), so a garbled link is
    explained rather than ignored.
    """
    payload = payload.strip()[:64]
    if payload.startswith(JOIN_PREFIX):
        return ("join", payload.removeprefix(JOIN_PREFIX))
    if payload.startswith(COACH_PREFIX):
        return ("coach", payload.removeprefix(COACH_PREFIX))
    return (None, "")


def check_cohort_name(name: str) -> tuple[str | None, str | None]:
    """A cohort's name as typed (white space folded), or why not.

    "PKA Angkatan XII Kemenkeu & BPK", quotes and apostrophes are ordinary names: they are
    stored as typed and escaped wherever they are shown (Telegram HTML, the dashboard, exports;
    file names are made of ids, never of names). Control characters are refused rather than
    removed (an operator typed them by mistake); otherwise the one validation of every name
    (:func:`coaching.names.clean_name`) applies. Problems: ``empty``, ``too_long``, ``control``,
    or the ``names.*`` key.
    """
    tidy = " ".join(name.split())
    if any(unicodedata.category(ch)[0] == "C" for ch in tidy):
        return None, "control"
    checked = clean_name(tidy, limit=COHORT_NAME_MAX)
    if checked.value is None:
        problem = checked.problem or "names.chars"
        return None, {"names.empty": "empty", "names.long": "too_long"}.get(problem, problem)
    return checked.value, None


@dataclass(frozen=True)
class CohortSummary:
    id: int
    name: str
    members: int = 0
    flagged: int = 0
    left: int = 0  # participants who deleted their data


@dataclass(frozen=True)
class Member:
    """One participant's line in a cohort's table."""

    id: int
    name: str
    unit: str | None
    done: int
    total: int
    last_active_at: datetime | None
    idle: bool = False  # silent ≥ 7 days, or never active
    behind: bool = False  # fewer exercises than the cohort's median participant
    # Whether a coach's nudge can reach them: ``ok``, ``off`` (reminders off), ``inactive``.
    nudge: str = "ok"
    # (chapter key, done, total) per chapter, then the network work (``progress_rows``)
    chapters: tuple[tuple[str, int, int], ...] = ()

    @property
    def flagged(self) -> bool:
        return self.idle or self.behind

    def context(self, now: datetime) -> dict[str, Any]:
        """What the bot's roster and the dashboard's table show of this line."""
        return {
            "id": self.id,
            "name": self.name,
            "unit": self.unit,
            "done": self.done,
            "total": self.total,
            "days": days_since(self.last_active_at, now),
            "idle": self.idle,
            "behind": self.behind,
            "nudge": self.nudge,
        }


def member_flags(
    *, done: int, pace: int, last_active: datetime | None, now: datetime
) -> tuple[bool, bool]:
    """(idle, behind): the two halves of ``schedule.is_behind``, shown to the coach apart."""
    idle = last_active is None or now - last_active >= timedelta(days=schedule.IDLE_DAYS)
    return idle, done < pace


@dataclass(frozen=True)
class Roster:
    cohort: CohortSummary
    members: tuple[Member, ...]
    pace: int  # exercises done by the cohort's median participant


@dataclass(frozen=True)
class Reflection:
    exercise: str  # curriculum key, e.g. "bab2.latihan1"
    text: str
    updated_at: datetime
    data: dict[str, Any] | None = None
    id: int | None = None  # the answer's id: a coach replies to it (/balas ID)
    reviewed_at: datetime | None = None
    notes: tuple[AnswerNote, ...] = ()  # the exchange with the widyaiswara, oldest first


@dataclass(frozen=True)
class KltbLine:
    """One stakeholder's Know-Like-Trust-Buy pipeline: the step reached and notes per step."""

    actor: str
    step: str | None
    notes: tuple[tuple[str, str | None, str | None], ...] = ()  # (step, note, next action)
    due: datetime | None = None  # when the latest planned next action is due


@dataclass(frozen=True)
class StageMark:
    """A dated analysis: the map's stage then (Krebs & Holley)."""

    map_title: str
    stage: str | None
    at: datetime
    map_id: int | None = None
    id: int | None = None  # the analysis snapshot's id (a before/after view picks two)


@dataclass(frozen=True)
class MapSummary:
    """One of a participant's maps, for a coach to pick."""

    id: int
    kind: str  # personal | case
    title: str
    actors: int
    updated_at: datetime

    def context(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "actors": self.actors,
            "date": self.updated_at.date().isoformat(),
        }


@dataclass(frozen=True)
class Detail:
    member: Member
    cohort: CohortSummary
    modules: tuple[tuple[str, int, int], ...]  # (module key, done, total)
    reflections: tuple[Reflection, ...]
    kltb: tuple[KltbLine, ...]
    network: MapView | None  # the map they worked on last
    stages: tuple[StageMark, ...]
    joined_at: datetime | None = None
    plans: tuple[PlannedTie, ...] = ()  # planned ties on every map: planned, done, dropped
    # The map they worked on last, by id and ``maps.version`` (what caches of it are keyed by):
    # set even when ``network`` was not loaded (the dashboard draws it from a cache).
    network_id: int | None = None
    network_version: int = 0
    # Every map of theirs (most recently changed first); the shown one is ``network_id``.
    maps: tuple[MapSummary, ...] = ()
    # Before/after of the shown map: two of its analyses (the first and the last unless the
    # coach chose), compared by ``coaching.compare``.
    comparison: Comparison | None = None
    compared: tuple[StageMark, StageMark] | None = None
    next_step: str | None = None  # their next unfinished exercise (a nudge's draft names it)


@dataclass(frozen=True)
class CoachView:
    """What a coach may see, loaded for their command or button only."""

    user_id: int  # Telegram user id
    cohorts: tuple[CohortSummary, ...]
    roster: Roster | None = None
    detail: Detail | None = None
    # The command or button asked for a cohort or participant that is not theirs (or gone).
    denied: bool = False
    network: CohortNetwork | None = None  # the roster's cohort as a network (ko:w)
    login_url: str | None = None  # minted for /dasbor
    login_minutes: int = 15
    dashboard: bool = True  # False: no secret to sign login links with


def days_since(moment: datetime | None, now: datetime) -> int | None:
    """Whole days since ``moment`` (None: never)."""
    if moment is None:
        return None
    return max(0, (now - moment).days)


PLAN_NOTE_PREVIEW = 200


def plan_line(plan: PlannedTie) -> dict[str, Any]:
    """A planned tie as both coach views show it: planned (its date), done or dropped (when)."""
    status = "done" if plan.done_at is not None else plan.status
    closed = plan.done_at or plan.dropped_at
    note = " ".join((plan.note or "").split())
    if len(note) > PLAN_NOTE_PREVIEW:
        note = note[: PLAN_NOTE_PREVIEW - 1] + "…"
    return {
        "a": plan.a,
        "b": plan.b,
        "status": status,
        "due": plan.due_at.date().isoformat() if plan.due_at else None,
        "closed": closed.date().isoformat() if closed else None,
        "note": note or None,
        "followup": plan.followup_answer,
    }


# --- a coach's one-tap reply to an answer (coaching/flows/replies.py takes the tap) ------------

REPLY_PREFIX = "kb"  # a coach's "reply" under a participant's answer: kb:<answer id>[:<key>]
REPLY_KEY_MAX = 36  # an answer's key carried in its reply button (j1:0:kb:<id>:<key> ≤ 64 bytes)


def reply_button(answer_id: int, exercise: str) -> Option:
    """A coach's one-tap reply to one answer (shown in the coach's views and notices)."""
    key = exercise if plain_key(exercise) else ""
    value = f"{REPLY_PREFIX}:{answer_id}:{key}" if key else f"{REPLY_PREFIX}:{answer_id}"
    return Option(value, "replies.btn_reply", {"answer": answer_id, "key": exercise})


def written_back(answer_id: int, exercise: str, name: str, note: str) -> Reply:
    """A participant's write-back as their cohort's coaches receive it, with the button to
    reply again."""
    context = {"name": name, "key": exercise, "answer": answer_id, "reply": note}
    return Reply("replies.to_coach", context, ((reply_button(answer_id, exercise),),), stable=True)


def plain_key(key: str) -> bool:
    return 0 < len(key) <= REPLY_KEY_MAX and all(
        c.isascii() and (c.isalnum() or c in "._") for c in key
    )
