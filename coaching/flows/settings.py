"""Settings reachable from anywhere (``/bahasa``); each returns to where the participant was."""

from __future__ import annotations

from coaching.flows.common import go, language_options, note, stay
from coaching.flows.states import MenuStep
from coaching.flows.states import SettingsStep as Step
from coaching.flows.steps import Back, StepFlow, Steps
from coaching.model import Event, Outcome, Reply, Snapshot, UpdateProfile
from coaching.text import LOCALES

STEPS = Steps(Step)


@STEPS.prompt(Step.LANGUAGE)
def ask_language(snap: Snapshot) -> tuple[Reply, ...]:
    return (Reply("settings.ask_language", {"current": snap.locale}, language_options()),)


@STEPS.handler(Step.LANGUAGE)
def on_language(snap: Snapshot, event: Event) -> Outcome:
    """Stores the language and goes back to the step the participant left."""
    language = event.choice.removeprefix("lang:") or event.text.strip().lower()
    if language not in LOCALES:
        return stay(snap, note("common.use_buttons"))
    back = Back.of(snap.data) or Back(MenuStep.MAIN)
    return back.go(
        note("settings.language_set", language=language),
        effects=(UpdateProfile({"language": language}),),
    )


class Settings(StepFlow):
    key = "settings"
    table = STEPS
    commands = ("bahasa",)

    def on_command(self, snap: Snapshot, event: Event) -> Outcome:
        """Opens the language choice, remembering the step to return to."""
        return go(Step.LANGUAGE, data=Back.here(snap).into())


FLOW = Settings()
