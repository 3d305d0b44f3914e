"""Settings reachable from anywhere (``/bahasa``); each returns to where the participant was."""

from __future__ import annotations

from enum import StrEnum

from coaching.flows.common import go, language_options, note, stay
from coaching.model import Event, Outcome, Reply, Snapshot, UpdateProfile
from coaching.text import LOCALES


class Step(StrEnum):
    LANGUAGE = "settings.language"


class Settings:
    key = "settings"
    steps = Step
    commands = ("bahasa",)

    def prompt(self, snap: Snapshot) -> tuple[Reply, ...]:
        return (Reply("settings.ask_language", {"current": snap.locale}, language_options()),)

    def on_command(self, snap: Snapshot, event: Event) -> Outcome:
        """Opens the language choice, remembering the step to return to."""
        return go(Step.LANGUAGE, data={"return_to": snap.state, "return_data": dict(snap.data)})

    def handle(self, snap: Snapshot, event: Event) -> Outcome:
        """Stores the language and goes back to the step the participant left."""
        language = event.choice.removeprefix("lang:") or event.text.strip().lower()
        if language not in LOCALES:
            return stay(snap, note("common.use_buttons"))
        back = str(snap.data.get("return_to") or "menu.main")
        back_data = snap.data.get("return_data") or {}
        return go(
            back,
            note("settings.language_set", language=language),
            data=back_data,
            effects=(UpdateProfile({"language": language}),),
        )


FLOW = Settings()
