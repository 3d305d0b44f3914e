"""Plain data that crosses the engine boundary: what comes in, what goes out.

The engine is a pure function ``(Snapshot, Event) -> Outcome``. Transports (Telegram, the
terminal) build events and render replies; storage loads snapshots and applies effects. Nothing
here knows about either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coaching.analysed import Wanted
    from coaching.analysis import Analysis
    from coaching.cohort import CoachView, DeepLink
    from coaching.network import MapView, Op

# The facts several rooms share, each defined here once.
KLTB_STEPS = ("know", "like", "trust", "buy")  # Barrat (2015): strictly in this order
# A new participant's reminder settings (local HH:MM): what ``Profile`` starts with, what the
# ``participants`` table defaults to and what a new row is created with.
DEFAULT_REMINDER_TIME = "08:00"
DEFAULT_QUIET_START = "21:00"  # quiet hours: no nudge between start and end
DEFAULT_QUIET_END = "07:00"


class EventKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    COMMAND = "command"
    DOCUMENT = "document"
    UNSUPPORTED = "unsupported"  # stickers, photos, voice...: answered with a re-ask


@dataclass(frozen=True)
class Document:
    file_name: str
    mime_type: str
    size: int
    content: bytes = b""
    download_failed: bool = False  # Telegram's file could not be fetched (not its content)
    # What the engine would work out from the content alone (a CSV's import plan), worked out
    # beforehand off the database's thread (``engine.prepare``); None: work it out when needed.
    plan: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Event:
    """One thing the participant did."""

    kind: EventKind
    text: str = ""
    command: str = ""  # lower-case, without the slash; ``text`` holds its arguments
    choice: str = ""  # option value for CHOICE
    seq: int = 0  # conversation step the button belonged to; 0 = typed, not a button
    document: Document | None = None
    media: str = ""  # what UNSUPPORTED was ("sticker", "photo", ...)

    @staticmethod
    def of_text(text: str) -> Event:
        """Parse typed text: ``/cmd@bot args`` becomes a command, anything else text."""
        stripped = text.strip()
        if stripped.startswith("/") and len(stripped) > 1:
            head, _, args = stripped[1:].partition(" ")
            name = head.split("@", 1)[0].lower()
            if name and all(c.isascii() and (c.isalnum() or c == "_") for c in name):
                return Event(EventKind.COMMAND, text=args.strip(), command=name)
        return Event(EventKind.TEXT, text=text)


@dataclass(frozen=True)
class Option:
    """A button: ``value`` travels back as the choice, ``label`` is a message key."""

    value: str
    label: str
    context: Mapping[str, Any] = field(default_factory=dict)
    # A button that opens the Mini App at this path (Telegram's web_app button) instead of
    # sending ``value`` back; transports that cannot open it leave it out.
    web_app: str | None = None


@dataclass(frozen=True)
class Reply:
    """A message to send: a template key with its context and button rows."""

    key: str
    context: Mapping[str, Any] = field(default_factory=dict)
    options: tuple[tuple[Option, ...], ...] = ()
    # Replace the message whose button was pressed (multi-select toggles, pages) instead of
    # sending a new one; transports without that ability send it anew.
    edit: bool = False
    # Something to show besides text, e.g. {"type": "map", ...}: rendered off the event loop
    # by the transport when it is sent; ``key`` then gives the caption.
    attachment: Mapping[str, Any] | None = None
    # Buttons that stay valid outside any step (a flow's ``button_prefixes``): sent with seq 0,
    # so a coach can still tap a participant in an older list.
    stable: bool = False

    def flat_options(self) -> tuple[Option, ...]:
        return tuple(option for row in self.options for option in row)


# --- effects: what storage must persist, decided by the engine --------------------------------


@dataclass(frozen=True)
class UpdateProfile:
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class RecordConsent:
    version: str


@dataclass(frozen=True)
class SaveAnswer:
    exercise: str
    text: str
    # A structured answer (e.g. a self-assessment's scores) besides its readable text; None
    # leaves what is stored as it was (editing the text keeps the scores).
    data: Mapping[str, Any] | None = None
    # An empty or evasive answer (coaching/feedback.py): kept, but it counts for no progress.
    draft: bool = False


@dataclass(frozen=True)
class AnswerNote:
    """One message of an answer's exchange: the widyaiswara's reply or the participant's."""

    author: str  # coach | participant
    text: str
    at: datetime


@dataclass(frozen=True)
class ReplyToAnswer:
    """A coach's reply to an answer (``text``), or its review mark (``text`` None); run after
    the commit: storage checks the answer still exists and is in a cohort the coach coaches."""

    answer_id: int
    text: str | None = None


@dataclass(frozen=True)
class WriteBack:
    """The participant's answer back to a coach's reply; storage checks the answer is theirs."""

    answer_id: int
    text: str


@dataclass(frozen=True)
class JoinCohort:
    code: str


@dataclass(frozen=True)
class BecomeCoach:
    """Redeem a coach invite; storage re-checks it (single use, not expired) under its lock."""

    token: str


@dataclass(frozen=True)
class NudgeParticipants:
    """A coach's nudge, run after the commit; storage checks the coach owns the cohort.

    ``participant_ids`` None: everyone in the cohort who needs attention.
    """

    cohort_id: int
    participant_ids: tuple[int, ...] | None = None
    # The coach's own words ("{nama}" becomes each participant's name); None: the template.
    message: str | None = None


@dataclass(frozen=True)
class ForgetParticipant:
    """``/hapus_data`` confirmed: delete the participant and everything that is theirs."""


@dataclass(frozen=True)
class CreateMap:
    """A new map, made active. A personal map gets the participant as its ego."""

    kind: str  # personal | case
    title: str
    purpose: str | None = None
    ops: tuple[Op, ...] = ()  # ops that fill it (an import)
    source: str | None = None
    ego: str | None = None  # the participant's name on a personal map
    undo: tuple[Op, ...] = ()  # what undoes ``ops`` when they are a command's (the first one)


@dataclass(frozen=True)
class SelectMap:
    ref: str  # a map id, or "example:<key>"


@dataclass(frozen=True)
class ChangeMap:
    """Edits to the active map, and the ops that undo them (kept in the map's history).

    ``history`` says what the change is to the history: a new change ("do"), the last one
    undone ("undo": ``undo`` then holds what re-does it) or re-done ("redo").
    """

    map_id: int
    ops: tuple[Op, ...]
    undo: tuple[Op, ...]
    fields: Mapping[str, Any] = field(default_factory=dict)  # title, purpose
    history: str = "do"  # do | undo | redo


@dataclass(frozen=True)
class SaveAnalysis:
    """A dated analysis snapshot of a stored map (the next analysis says what changed)."""

    map_id: int
    result: Mapping[str, Any]
    stage: str | None


@dataclass(frozen=True)
class SnoozeReminder:
    """Bring a nudge back later; storage checks that the reminder is the participant's own."""

    reminder_id: int
    until: datetime


@dataclass(frozen=True)
class StopReminders:
    """Routine nudges off (from a nudge's button); storage checks the reminder's owner."""

    reminder_id: int


@dataclass(frozen=True)
class RecordKltb:
    """A Know-Like-Trust-Buy step reached with a stakeholder, with the participant's notes."""

    map_id: int
    actor: str  # actor name or key
    step: str
    note: str


@dataclass(frozen=True)
class PlanKltb:
    """The next KLTB step with a stakeholder, planned as a concrete action, maybe with a date."""

    map_id: int
    actor: str
    step: str
    action: str
    due_at: datetime | None = None


@dataclass(frozen=True)
class PlanTie:
    """A new tie to weave, chosen from the suggestions or the participant's own."""

    map_id: int
    a: str
    b: str
    reason: str | None = None
    due_at: datetime | None = None


@dataclass(frozen=True)
class CompleteItem:
    """A piece of network work done (``coaching.curriculum.PRACTICE``): it counts in the
    progress as an answered exercise does."""

    item: str


@dataclass(frozen=True)
class ResolvePlan:
    """A planned tie marked done (with a note), moved to a new date, or dropped.

    Storage applies it only to a tie of the participant's own that is still planned, so a
    repeated press changes nothing twice. ``followup`` records it as the answer to the nudge
    that asked how it went.
    """

    plan_id: int
    action: str  # done | move | drop
    note: str | None = None
    due_at: datetime | None = None  # move: the new date
    followup: bool = False


Effect = (
    UpdateProfile
    | CompleteItem
    | RecordConsent
    | SaveAnswer
    | JoinCohort
    | CreateMap
    | SelectMap
    | ChangeMap
    | SaveAnalysis
    | RecordKltb
    | PlanKltb
    | PlanTie
    | ResolvePlan
    | SnoozeReminder
    | StopReminders
    | BecomeCoach
    | NudgeParticipants
    | ReplyToAnswer
    | WriteBack
    | ForgetParticipant
)


@dataclass(frozen=True)
class KltbNext:
    """A stakeholder whose Know-Like-Trust-Buy pipeline has a next step waiting."""

    actor_id: int
    name: str
    step: str  # the step to take next: know | like | trust | buy
    plan: str | None = None  # the participant's own note on what to do next
    due_at: datetime | None = None
    # A week past its date, not reached, and not asked since the date: the nudge asks how it
    # went (once per date; a new date asks again a week after it).
    follow_up: bool = False
    followup_at: datetime | None = None


@dataclass(frozen=True)
class DueTie:
    """A planned new tie ("merajut jejaring") whose date has come."""

    tie_id: int
    source: str
    target: str
    reason: str | None
    due_at: datetime
    # Overdue by a week and not yet asked since its date: the nudge asks how it went.
    follow_up: bool = False
    followup_at: datetime | None = None


@dataclass(frozen=True)
class Waiting:
    """What a nudge can name, most urgent first in each kind."""

    completed: frozenset[str] = frozenset()
    kltb: tuple[KltbNext, ...] = ()
    ties: tuple[DueTie, ...] = ()


@dataclass(frozen=True)
class Profile:
    name: str | None = None
    unit: str | None = None
    language: str = "id"
    timezone: str | None = None
    reminder: str | None = None
    consent_at: datetime | None = None
    reminder_time: str = DEFAULT_REMINDER_TIME  # local HH:MM
    quiet_start: str = DEFAULT_QUIET_START  # quiet hours, local: no nudge between start and end
    quiet_end: str = DEFAULT_QUIET_END


@dataclass(frozen=True)
class Snapshot:
    """Everything the engine may read about one participant, loaded in one transaction."""

    profile: Profile
    state: str
    data: Mapping[str, Any]
    seq: int
    now: datetime
    answers: Mapping[str, str] = field(default_factory=dict)
    completed: frozenset[str] = frozenset()
    network: MapView | None = None  # the active map
    maps: tuple[MapView, ...] = ()  # each of the participant's own maps
    last_analysis: Mapping[str, Any] | None = None  # the active map's latest snapshot
    # Whether any of the maps has a planned tie: what the menu shows without the maps
    # themselves, which are loaded only for steps that read them (coaching/unloaded.py).
    has_plans: bool = False
    # Loaded only for a reminder's buttons: this participant's recent nudges (id → status)
    # and what is waiting for them.
    reminders: Mapping[int, str] = field(default_factory=dict)
    waiting: Waiting | None = None
    # Loaded by storage/cohorts.py for someone who coaches: their cohorts, and the cohort or
    # participant a coach command or button asks for (only if it is theirs).
    coach: CoachView | None = None
    link: DeepLink | None = None  # storage's verdict on a ``/start`` deep link's code
    export: Mapping[str, Any] | None = None  # the participant's own data, for ``/ekspor``
    # The analyses the current step shows, computed once for the event by the application
    # (coaching/analysed.py): the pure flows read them instead of analysing again.
    analyses: Mapping[Wanted, Analysis | None] = field(default_factory=dict)

    @property
    def locale(self) -> str:
        return self.profile.language


@dataclass(frozen=True)
class Outcome:
    """The engine's verdict: next state, what to store, what to say.

    ``toast`` answers a button press without a chat message (e.g. a stale button): it changes
    nothing, so a double tap has one effect.
    """

    state: str
    data: Mapping[str, Any] = field(default_factory=dict)
    effects: tuple[Effect, ...] = ()
    replies: tuple[Reply, ...] = ()
    toast: str | None = None
    changed: bool = True
    reprompt: bool = True  # follow the replies with the (new) state's prompt
    # The snapshot once the effects are committed, as ``engine.handle`` computed it while
    # deciding (``engine.apply``): the effects are applied once per event, there.
    after: Snapshot | None = field(default=None, compare=False, repr=False)
