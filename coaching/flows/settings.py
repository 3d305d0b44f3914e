"""Settings reachable from anywhere (``/bahasa``, ``/sapaan``); each returns to where the
participant was."""

from __future__ import annotations

from coaching.address import ANSWER_KEY, FORMS, form, salutation
from coaching.flows.common import go, language_options, note, stay
from coaching.flows.states import MenuStep
from coaching.flows.states import SettingsStep as Step
from coaching.flows.steps import Back, StepFlow, Steps
from coaching.model import Event, Option, Outcome, Reply, SaveAnswer, Snapshot, UpdateProfile
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


@STEPS.prompt(Step.ADDRESS)
def ask_address(snap: Snapshot) -> tuple[Reply, ...]:
    """Bapak, Ibu, or the name alone: each button shows the greeting it gives."""
    chosen = form(snap)
    row = tuple(
        Option(
            f"addr:{f}", "onboarding.btn_address", {"text": salutation(snap, f), "on": chosen == f}
        )
        for f in FORMS
    )
    context = {"current": salutation(snap) if chosen else None}
    return (Reply("settings.ask_address", context, (row, (Option("back", "common.btn_back"),))),)


@STEPS.handler(Step.ADDRESS)
def on_address(snap: Snapshot, event: Event) -> Outcome:
    """Stores the form of address chosen and goes back to the step the participant left."""
    back = Back.of(snap.data) or Back(MenuStep.MAIN)
    if event.choice == "back":
        return back.go()
    chosen = event.choice.removeprefix("addr:")
    if not event.choice.startswith("addr:") or chosen not in FORMS:
        return stay(snap, note("common.use_buttons"))
    return back.go(
        note("settings.address_set", name=salutation(snap, chosen)),
        effects=(SaveAnswer(ANSWER_KEY, chosen),),
    )


class Settings(StepFlow):
    key = "settings"
    table = STEPS
    commands = ("bahasa", "sapaan")

    def on_command(self, snap: Snapshot, event: Event) -> Outcome:
        """Opens the language choice (or, once onboarded, the form of address), remembering
        the step to return to."""
        if event.command == "sapaan":
            if snap.profile.consent_at is None or snap.state.startswith("onboarding."):
                return stay(snap, note("common.finish_onboarding_first"))
            return go(Step.ADDRESS, data=Back.here(snap).into())
        return go(Step.LANGUAGE, data=Back.here(snap).into())


FLOW = Settings()
