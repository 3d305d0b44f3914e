"""A participant's own data: ``/ekspor`` sends it to them, ``/hapus_data`` deletes it all.

Deleting asks once more (a fresh button: an old message's button is stale) and then removes
the participant row, from which everything of theirs cascades (``storage/privacy.py``). Both
commands work before onboarding is finished: whoever consented has data to take or delete.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from coaching.flows.common import go, note, stay
from coaching.model import (
    Event,
    ForgetParticipant,
    Option,
    Outcome,
    Reply,
    Snapshot,
)

JSON_NAME = "jejaring-data-saya.json"
GRAPHML_NAME = "jejaring-peta-saya.graphml"


class Step(StrEnum):
    CONFIRM = "privacy.confirm"


class Privacy:
    key = "privacy"
    steps = Step
    commands = ("ekspor", "hapus_data")
    # Someone halfway through onboarding has already consented and typed things: theirs too.
    open_before_onboarding = True

    def prompt(self, snap: Snapshot) -> tuple[Reply, ...]:
        context = {
            "answers": len(snap.answers),
            "maps": len(snap.maps),
            "actors": sum(len(m.others()) for m in snap.maps),
        }
        buttons = ((Option("delete", "privacy.btn_delete"), Option("keep", "privacy.btn_keep")),)
        return (Reply("privacy.confirm", context, buttons),)

    def on_command(self, snap: Snapshot, event: Event) -> Outcome:
        """``/ekspor`` sends JSON and GraphML files; ``/hapus_data`` asks to confirm."""
        if event.command == "ekspor":
            return _export(snap)
        if snap.profile.consent_at is None:
            # Nothing but the place in this chat is stored: forget that without asking.
            return Outcome(
                snap.state,
                {},
                effects=(ForgetParticipant(),),
                replies=(note("privacy.forgotten_nothing"),),
                reprompt=False,
            )
        return go(Step.CONFIRM, data={"return_to": snap.state, "return_data": dict(snap.data)})

    def handle(self, snap: Snapshot, event: Event) -> Outcome:
        """Deletes everything after "yes", or goes back to where the participant was."""
        if event.choice == "delete":
            return Outcome(
                "onboarding.consent",
                {},
                effects=(ForgetParticipant(),),
                replies=(note("privacy.deleted"),),
                reprompt=False,
            )
        if event.choice == "keep":
            back = str(snap.data.get("return_to") or "menu.main")
            return go(back, note("privacy.kept"), data=snap.data.get("return_data") or {})
        return stay(snap, note("common.use_buttons"))


FLOW = Privacy()


def _export(snap: Snapshot) -> Outcome:
    data = snap.export
    if snap.profile.consent_at is None or data is None:
        return stay(snap, note("privacy.nothing_stored"), reprompt=False)
    counts: dict[str, Any] = {
        "answers": len(data.get("answers") or []),
        "maps": len(data.get("maps") or []),
    }
    json_file = {"type": "document", "format": "json", "filename": JSON_NAME, "data": data}
    graphml = {"type": "document", "format": "graphml", "filename": GRAPHML_NAME, "data": data}
    return stay(
        snap,
        Reply("privacy.export_json", counts, attachment=json_file),
        Reply("privacy.export_graphml", counts, attachment=graphml),
        reprompt=False,
    )
