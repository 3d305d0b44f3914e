"""Both sides of a widyaiswara's reply to an answer.

The participant's side: the reply arrives under the answer's title with a button
(``fb:<answer id>``, stable: it works days later) to write back; the answer back is stored
beside the reply (``storage/answer_notes.py`` checks the answer is the participant's).

The coach's side, besides ``/balas N text``: each answer shown to a coach carries its own
button (``kb:<answer id>``, stable); a tap asks for the reply, and the coach's next message is
that reply (sent after the commit, where storage checks the answer still exists and is in a
cohort the coach coaches). "Cancel" (the button, or typing it) sends nothing. Either way the
coach returns to the state they were in (a coach may be a participant mid-exercise).
"""

from __future__ import annotations

from coaching.cohort import REPLY_PREFIX as COACH_PREFIX
from coaching.cohort import plain_key
from coaching.flows.common import go, note, stay
from coaching.flows.states import MenuStep
from coaching.flows.states import RepliesStep as Step
from coaching.flows.steps import Back, StepFlow, Steps
from coaching.model import (
    Event,
    EventKind,
    Option,
    Outcome,
    Reply,
    ReplyToAnswer,
    Snapshot,
    WriteBack,
)
from coaching.needs import Focus, Needs
from coaching.validate import check_answer, is_number, normalise

PREFIX = "fb"  # the participant's "write back" under a coach's reply
CANCEL = "cancel"
CANCEL_WORDS = frozenset({"batal", "cancel", "/batal", "/cancel"})

STEPS = Steps(Step)


@STEPS.prompt(Step.WRITE)
def ask_write(snap: Snapshot) -> tuple[Reply, ...]:
    if not isinstance(snap.data.get("answer"), int):
        return ()
    return (Reply("replies.write", {}, ((Option("back", "common.btn_menu"),),)),)


@STEPS.handler(Step.WRITE)
def on_write(snap: Snapshot, event: Event) -> Outcome:
    """Stores the participant's answer back to the coach's reply, then the menu."""
    answer = snap.data.get("answer")
    if event.choice == "back" or not isinstance(answer, int):
        return go(MenuStep.MAIN)
    if event.kind is not EventKind.TEXT:
        return stay(snap, note("common.bad_answer_media"), reprompt=False)
    checked = check_answer(event.text)
    if checked.value is None:
        return stay(snap, note(checked.problem or "common.bad_answer_short"), reprompt=False)
    effect = WriteBack(answer, checked.value)
    return go(MenuStep.MAIN, note("replies.written"), effects=(effect,))


@STEPS.prompt(Step.COACH)
def ask_coach(snap: Snapshot) -> tuple[Reply, ...]:
    answer = snap.data.get("answer")
    if not isinstance(answer, int):
        return ()
    key = snap.data.get("key")
    context = {"answer": answer, "key": key if isinstance(key, str) else ""}
    return (Reply("replies.coach_write", context, ((Option(CANCEL, "replies.btn_cancel"),),)),)


@STEPS.handler(Step.COACH)
def on_coach(snap: Snapshot, event: Event) -> Outcome:
    """The coach's reply (sent after the commit), or cancel; then back where they were."""
    answer = snap.data.get("answer")
    cancelled = event.choice == CANCEL or (
        event.kind is EventKind.TEXT and normalise(event.text).casefold() in CANCEL_WORDS
    )
    if cancelled or not isinstance(answer, int):
        return _back(snap, note("replies.coach_cancelled"))
    if event.kind is not EventKind.TEXT:
        return stay(snap, note("common.bad_answer_media"), reprompt=False)
    checked = check_answer(event.text)
    if checked.value is None:
        return stay(snap, note(checked.problem or "common.bad_answer_short"), reprompt=False)
    return _back(snap, effects=(ReplyToAnswer(answer, checked.value),))


def _back(snap: Snapshot, *replies: Reply, effects: tuple[ReplyToAnswer, ...] = ()) -> Outcome:
    """Where the coach was; a coach who is no (onboarded) participant is not asked anything."""
    back = Back.of(snap.data) or Back(MenuStep.MAIN)
    outcome = back.go(*replies, effects=effects)
    if snap.profile.consent_at is None or back.state.startswith("onboarding."):
        return Outcome(back.state, dict(back.data), effects, replies, reprompt=False)
    return outcome


def from_coach(answer_id: int, key: str, reply: str) -> Reply:
    """A coach's reply as the participant receives it, with the stable button to write back."""
    write = Option(f"{PREFIX}:{answer_id}", "replies.btn_write_back")
    return Reply("replies.from_coach", {"key": key, "reply": reply}, ((write,),), stable=True)


class Replies(StepFlow):
    key = "replies"
    table = STEPS
    button_prefixes = (PREFIX, COACH_PREFIX)
    # A coach need not be a participant: their reply button works without onboarding.
    open_before_onboarding = True
    # ... and its step is kept for them (the engine sends others without consent to onboarding).
    steps_before_onboarding = (Step.COACH,)

    def needs(self, event: Event) -> Needs | None:
        """A coach's reply button: whether the sender coaches (storage loads it)."""
        if event.kind is EventKind.CHOICE and event.choice.startswith(f"{COACH_PREFIX}:"):
            return Needs(coach=Focus())
        return None

    def on_button(self, snap: Snapshot, event: Event) -> Outcome:
        """``fb:<answer>`` under a coach's reply: write back; ``kb:<answer>`` under an answer
        shown to a coach: reply to it."""
        prefix, _, rest = event.choice.partition(":")
        number, _, key = rest.partition(":")
        if not is_number(number) or len(number) > 12:
            return stay(snap, reprompt=False)
        if prefix == COACH_PREFIX:
            return _coach_reply(snap, int(number), key if plain_key(key) else "")
        if snap.profile.consent_at is None:
            return stay(snap, reprompt=False)
        return go(Step.WRITE, data={"answer": int(number)})


def _coach_reply(snap: Snapshot, answer: int, key: str) -> Outcome:
    if snap.coach is None:
        return Outcome(
            snap.state, snap.data, replies=(note("coach.denied"),), changed=False, reprompt=False
        )
    back = Back.of(snap.data) if snap.state == Step.COACH else Back.here(snap)
    data = (back or Back(MenuStep.MAIN)).into({"answer": answer, "key": key})
    return go(Step.COACH, data=data)


FLOW = Replies()
