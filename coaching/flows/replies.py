"""The participant's side of a widyaiswara's reply: it arrives under the answer's title with a
button (``fb:<answer id>``, stable: it works days later) to write back; the answer back is
stored beside the reply (``storage/answer_notes.py`` checks the answer is the participant's).
"""

from __future__ import annotations

from coaching.flows.common import go, note, stay
from coaching.flows.states import MenuStep
from coaching.flows.states import RepliesStep as Step
from coaching.flows.steps import StepFlow, Steps
from coaching.model import Event, EventKind, Option, Outcome, Reply, Snapshot, WriteBack
from coaching.validate import check_answer, is_number

PREFIX = "fb"

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


def from_coach(answer_id: int, key: str, reply: str) -> Reply:
    """A coach's reply as the participant receives it, with the stable button to write back."""
    write = Option(f"{PREFIX}:{answer_id}", "replies.btn_write_back")
    return Reply("replies.from_coach", {"key": key, "reply": reply}, ((write,),), stable=True)


class Replies(StepFlow):
    key = "replies"
    table = STEPS
    button_prefixes = (PREFIX,)

    def on_button(self, snap: Snapshot, event: Event) -> Outcome:
        """``fb:<answer>`` under a coach's reply: write back."""
        number = event.choice.removeprefix(f"{PREFIX}:")
        if not is_number(number) or len(number) > 12 or snap.profile.consent_at is None:
            return stay(snap, reprompt=False)
        return go(Step.WRITE, data={"answer": int(number)})


FLOW = Replies()
