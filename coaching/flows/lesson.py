"""What every guided lesson (a module taught step by step) shares: its page, bookmarks, input.

A lesson's page (``<flow>.home``) is where the main menu opens a module (the flow ``opens``
it: see ``flows.base.ModuleFlow``). The page starts the lesson, or resumes it where the
participant left, and lists the module's Latihan and Evaluasi to answer any of them directly.

Leaving a lesson (``/menu``, ``/batal``) resets the conversation state, so every step of a
lesson is also *bookmarked*: an answer row ``<module>.resume`` holding the step and its data
as JSON. It is not an exercise, so it counts for no progress; the lesson's page reads it back.
After a restart nothing is needed: the stored state itself is the step.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from coaching import feedback
from coaching.curriculum import EXERCISES, MODULES_BY_KEY
from coaching.flows.common import go, note, stay
from coaching.flows.states import ExercisesStep, MenuStep
from coaching.flows.steps import StepFlow
from coaching.model import Effect, Event, EventKind, Option, Outcome, Reply, SaveAnswer, Snapshot
from coaching.validate import check_answer

EXCERPT = 400  # characters of an earlier answer shown back: enough to recognise it
RESUME = "resume"
# State data that only shapes how a prompt is sent (edit the pressed message in place): it
# must not survive into a bookmark, or resuming would try to edit the lesson's page.
TRANSIENT = frozenset({"edit"})


@dataclass(frozen=True)
class Lesson:
    """A guided lesson: its module, its steps, and its first and last pages as those steps
    (never a state name built from the module's)."""

    module: str
    steps: type[StrEnum]
    home: StrEnum
    done: StrEnum


def resume_key(module: str) -> str:
    return f"{module}.{RESUME}"


def bookmark(module: str, state: str, data: Mapping[str, Any]) -> SaveAnswer:
    kept = {k: v for k, v in data.items() if k not in TRANSIENT}
    text = json.dumps({"state": str(state), "data": kept}, sort_keys=True, ensure_ascii=False)
    return SaveAnswer(resume_key(module), text)


def saved_point(
    snap: Snapshot, module: str, steps: type[StrEnum]
) -> tuple[str, dict[str, Any]] | None:
    """The bookmarked step of this lesson, if it is still a step the lesson knows."""
    raw = snap.answers.get(resume_key(module))
    if not raw:
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    state, data = parsed.get("state"), parsed.get("data")
    if state not in {step.value for step in steps} or not isinstance(data, dict):
        return None
    return str(state), data


def status(snap: Snapshot, lesson: Lesson) -> str:
    """Where the participant is with a lesson: ``"new"``, ``"started"`` or ``"finished"``.

    Read from the bookmark alone (what "what next" needs); resuming validates the step.
    """
    raw = snap.answers.get(resume_key(lesson.module))
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    state = parsed.get("state") if isinstance(parsed, dict) else None
    if not isinstance(state, str) or state in ("", lesson.home):
        return "new"
    return "finished" if state == lesson.done else "started"


def advance(
    module: str,
    state: str,
    *replies: Reply,
    data: Mapping[str, Any] | None = None,
    effects: tuple[Effect, ...] = (),
) -> Outcome:
    """Go to a step of the lesson, bookmarking it."""
    data = dict(data or {})
    return go(state, *replies, data=data, effects=(*effects, bookmark(module, state, data)))


def exercise_rows(
    snap: Snapshot, module: str, kinds: tuple[str, ...] = ("latihan", "evaluasi")
) -> tuple[tuple[Option, ...], ...]:
    """One button per exercise of the module (✅ when answered), as the exercise list has."""
    return tuple(
        (
            Option(
                f"x:{e.key}",
                "exercises.btn_item",
                {"key": e.key, "kind": e.kind, "number": e.number, "done": e.key in snap.completed},
            ),
        )
        for e in MODULES_BY_KEY[module].exercises
        if e.kind in kinds
    )


def done_rows(snap: Snapshot, module: str) -> tuple[tuple[Option, ...], ...]:
    """A lesson's last screen: any Latihan skipped on the way (offered again), the Evaluasi,
    and the menu."""
    skipped = tuple(
        row
        for row in exercise_rows(snap, module, ("latihan",))
        if row[0].value.removeprefix("x:") not in snap.completed
    )
    return (
        *skipped,
        *exercise_rows(snap, module, ("evaluasi",)),
        (Option("menu", "common.btn_menu"),),
    )


def open_exercise(choice: str, module: str) -> Outcome | None:
    """An exercise button: answer it in the exercise flow (which returns to the module's list)."""
    key = choice.removeprefix("x:")
    if choice.startswith("x:") and key in MODULES_BY_KEY[module].item_keys:
        return go(ExercisesStep.ANSWER, data={"module": module, "exercise": key})
    return None


def progress(snap: Snapshot, module: str) -> tuple[int, int]:
    keys = MODULES_BY_KEY[module].item_keys
    return sum(1 for key in keys if key in snap.completed), len(keys)


def refuse_media(snap: Snapshot, event: Event) -> Outcome | None:
    """Stickers, photos, voice, files where buttons or text are expected: say so, re-ask."""
    if event.kind in (EventKind.UNSUPPORTED, EventKind.DOCUMENT):
        media = event.media or ("document" if event.kind is EventKind.DOCUMENT else "")
        return stay(snap, note("common.bad_media", media=media))
    return None


def typed_answer(snap: Snapshot, event: Event, need_text: str) -> str | Outcome:
    """A typed reflection, checked; else the outcome that explains what to send instead.

    ``need_text`` is the lesson's message for media where a text answer is expected.
    """
    if event.kind is not EventKind.TEXT:
        return stay(snap, note(need_text))
    checked = check_answer(event.text)
    if checked.value is None:
        return stay(snap, note(checked.problem or "common.bad_answer_short"))
    return checked.value


def answered(
    snap: Snapshot, key: str, answer: str, move: Callable[[Reply, tuple[Effect, ...]], Outcome]
) -> Outcome:
    """A reflection typed in a lesson: feedback on it (coaching/feedback.py), then ``move`` on
    with the feedback and what to store; an empty or evasive one is kept as a draft and the
    lesson stays on its question (its buttons, skip included, stay valid)."""
    result = feedback.on_answer(snap, key, answer)
    effects: tuple[Effect, ...] = (result.save,) if result.save else ()
    if result.draft:
        return Outcome(
            snap.state, snap.data, effects, (result.reply,), changed=False, reprompt=False
        )
    return move(result.reply, effects)


def kept_in_full(snap: Snapshot, key: str) -> bool:
    """An answer stored and not a draft: a Latihan or Evaluasi counted as done, a reflection
    that is not empty or evasive (coaching/feedback.py). A draft is kept but never shown as
    saved."""
    answer = snap.answers.get(key)
    if not answer:
        return False
    if key in EXERCISES:
        return key in snap.completed
    return not feedback.is_draft(key, answer)


def excerpt(answer: str | None, limit: int = EXCERPT) -> str | None:
    """An earlier answer, shortened to show back under a question (the message stays short)."""
    if not answer:
        return None
    return answer if len(answer) <= limit else answer[: limit - 1].rstrip() + "…"


def index(data: Mapping[str, Any], name: str, size: int) -> int:
    """A position kept in state data, clamped into range (the data is JSON: trust nothing)."""
    value = data.get(name, 0)
    if not isinstance(value, int) or isinstance(value, bool):
        return 0
    return min(max(value, 0), size - 1)


def on_home(snap: Snapshot, event: Event, lesson: Lesson, first: Callable[[], Outcome]) -> Outcome:
    """A lesson's page: start it, resume it at its bookmark, or open one of its exercises."""
    if event.choice == "go":
        saved = saved_point(snap, lesson.module, lesson.steps)
        if saved is not None and saved[0] != lesson.home:
            return go(saved[0], data=saved[1])
        return first()
    if event.choice == "restart":
        return first()
    opened = open_exercise(event.choice, lesson.module)
    if opened is not None:
        return opened
    return refuse_media(snap, event) or stay(snap, note("common.use_buttons"))


@dataclass(frozen=True)
class LessonPath:
    """A lesson's pages in order: each a step and the data that tells repeated steps apart."""

    module: str
    pages: Sequence[tuple[StrEnum, Mapping[str, Any]]]
    home: str

    def position(self, snap: Snapshot) -> int:
        """Where the current step is on the path (data that matches nothing: the step's first)."""
        matches = [n for n, (step, _) in enumerate(self.pages) if step == snap.state]
        for number in matches:
            if all(snap.data.get(k, 0) == v for k, v in self.pages[number][1].items()):
                return number
        return matches[0] if matches else 0

    def to(self, number: int, *replies: Reply, effects: tuple[Effect, ...] = ()) -> Outcome:
        step, where = self.pages[number]
        return advance(self.module, step, *replies, data=dict(where), effects=effects)

    def move(
        self, snap: Snapshot, delta: int, *replies: Reply, effects: tuple[Effect, ...] = ()
    ) -> Outcome:
        """One page along the path; back from the first page is the lesson's page."""
        number = self.position(snap) + delta
        if number < 0:
            return go(self.home)
        return self.to(min(number, len(self.pages) - 1), *replies, effects=effects)


def nav(next_label: str = "lesson.btn_next") -> tuple[tuple[Option, ...], ...]:
    """Back and on, for a page that only reads."""
    return ((Option("back", "lesson.btn_back"), Option("next", next_label)),)


def answer_nav() -> tuple[tuple[Option, ...], ...]:
    """Back and skip, for a page that asks for a reflection."""
    return ((Option("back", "lesson.btn_back"), Option("skip", "lesson.btn_skip")),)


def home_reply(snap: Snapshot, lesson: Lesson) -> Reply:
    """A lesson's page: start, resume or review it, and its exercises."""
    module = lesson.module
    saved = saved_point(snap, module, lesson.steps)
    at = saved[0] if saved and saved[0] != lesson.home else None
    finished = at == lesson.done
    done, total = progress(snap, module)
    start: tuple[tuple[Option, ...], ...]
    if at is None:
        start = ((Option("go", "lesson.btn_start"),),)
    elif finished:
        start = ((Option("go", "lesson.btn_summary"),), (Option("restart", "lesson.btn_again"),))
    else:
        start = ((Option("go", "lesson.btn_resume"),), (Option("restart", "lesson.btn_restart"),))
    rows = (*start, *exercise_rows(snap, module), (Option("menu", "common.btn_menu"),))
    context = {"at": at, "finished": finished, "done": done, "total": total}
    return Reply(str(lesson.home), context, rows)  # the page's text is keyed as its step


def on_done_page(snap: Snapshot, event: Event, module: str) -> Outcome:
    """A lesson's last page: a skipped Latihan or an Evaluasi, answered in the exercise flow."""
    refused = refuse_media(snap, event)
    if refused is not None:
        return refused
    return open_exercise(event.choice, module) or stay(snap, note("common.use_buttons"))


class LessonFlow(StepFlow):
    """A guided lesson (Bab II, III, V): the menu opens it on its first page, and the menu
    button leaves any of its pages."""

    home: ClassVar[StrEnum]

    def enter(self, snap: Snapshot, module: str) -> Outcome:
        """The menu opens the module on the lesson's page (start or resume, exercises)."""
        return go(self.home)

    def guard(self, snap: Snapshot, event: Event) -> Outcome | None:
        return go(MenuStep.MAIN) if event.choice == "menu" else None
