"""A participant's own data: ``/ekspor`` sends it to them, ``/hapus_data`` deletes it all, and
a join link does not hand it to another cohort's coaches without asking.

Deleting asks once more (a fresh button: an old message's button is stale) and then removes
the participant row, from which everything of theirs cascades (``storage/privacy.py``). Both
commands work before onboarding is finished: whoever consented has data to take or delete.

``/start join_<code>`` from someone who has already consented asks first (:func:`ask_join`),
saying what the new cohort's coaches will see and that the old cohort's stop seeing it; "no"
changes nothing. Before consent the consent text says it, and joining happens on "agree".
"""

from __future__ import annotations

from typing import Any

from coaching.flows.common import go, note, stay
from coaching.flows.states import MenuStep, OnboardingStep
from coaching.flows.states import PrivacyStep as Step
from coaching.flows.steps import Back, StepFlow, Steps
from coaching.model import (
    Event,
    EventKind,
    ForgetParticipant,
    JoinCohort,
    Option,
    Outcome,
    Reply,
    Snapshot,
)
from coaching.needs import Focus, Needs

JSON_NAME = "jejaring-data-saya.json"
GRAPHML_NAME = "jejaring-peta-saya.graphml"
PDF_NAME = "jejaring-perjalanan-saya.pdf"


HOME = MenuStep.MAIN


STEPS = Steps(Step)


@STEPS.prompt(Step.CONFIRM)
def ask_confirm(snap: Snapshot) -> tuple[Reply, ...]:
    coached = snap.coach
    context = {
        "answers": len(snap.answers),
        "maps": len(snap.maps),
        "actors": sum(len(m.others()) for m in snap.maps),
        # A coach's role is the cohort organisation's: it stays, and they are told how it goes.
        "coach_id": coached.user_id if coached is not None else None,
        "cohorts": [c.name for c in coached.cohorts] if coached is not None else [],
    }
    buttons = ((Option("delete", "privacy.btn_delete"), Option("keep", "privacy.btn_keep")),)
    return (Reply("privacy.confirm", context, buttons),)


@STEPS.handler(Step.CONFIRM)
def on_confirm(snap: Snapshot, event: Event) -> Outcome:
    """Deletes everything after "yes", or goes back to where the participant was."""
    if event.choice == "delete":
        return Outcome(
            OnboardingStep.CONSENT,
            {},
            effects=(ForgetParticipant(),),
            replies=(note("privacy.deleted"),),
            reprompt=False,
        )
    if event.choice == "keep":
        return (Back.of(snap.data) or Back(HOME)).go(note("privacy.kept"))
    return stay(snap, note("common.use_buttons"))


@STEPS.prompt(Step.JOIN)
def ask_join_confirm(snap: Snapshot) -> tuple[Reply, ...]:
    context = {"cohort": snap.data.get("cohort"), "current": snap.data.get("current")}
    buttons = ((Option("join", "privacy.btn_join"), Option("stay", "privacy.btn_stay")),)
    return (Reply("privacy.join_confirm", context, buttons),)


@STEPS.handler(Step.JOIN)
def on_join(snap: Snapshot, event: Event) -> Outcome:
    back = Back.of(snap.data) or Back(HOME)
    cohort, current = snap.data.get("cohort"), snap.data.get("current")
    if event.choice == "join" and snap.data.get("join"):
        effect = JoinCohort(str(snap.data["join"]))
        return back.go(note("privacy.joined", cohort=cohort, current=current), effects=(effect,))
    if event.choice == "stay":
        return back.go(note("privacy.join_declined", cohort=cohort, current=current))
    return stay(snap, note("common.use_buttons"))


class Privacy(StepFlow):
    key = "privacy"
    maps = True
    table = STEPS
    commands = ("ekspor", "hapus_data")
    # Someone halfway through onboarding has already consented and typed things: theirs too.
    open_before_onboarding = True

    def needs(self, event: Event) -> Needs | None:
        """``/ekspor`` sends the participant's whole record: it is loaded for it."""
        if event.kind is EventKind.COMMAND and event.command == "ekspor":
            return Needs(export=True)
        if event.kind is EventKind.COMMAND and event.command == "hapus_data":
            return Needs(coach=Focus())  # a coach is told their coach account stays
        return None

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
        return go(Step.CONFIRM, data=Back.here(snap).into())


FLOW = Privacy()


def ask_join(snap: Snapshot, code: str, cohort: str | None, current: str | None) -> Outcome:
    """A consented participant opened a join link: ask before their data goes to new coaches.

    ``cohort`` is the link's cohort and ``current`` the one they are in now (storage's
    verdict; None: none, or not looked up). They come back where they were either way.
    """
    onboarding = snap.state.startswith("onboarding.")
    back = snap.state if onboarding else HOME
    keep = {k: v for k, v in snap.data.items() if k != "join"} if onboarding else {}
    data = {"join": code, "cohort": cohort, "current": current}
    return go(Step.JOIN, data=Back(back, keep).into(data))


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
    # One page a phone opens as it is: the map's picture, analysis, KLTB, plans, answers.
    journey = {
        "type": "document",
        "format": "pdf",
        "filename": PDF_NAME,
        "data": data,
        "locale": snap.locale,
    }
    return stay(
        snap,
        Reply("privacy.export_pdf", counts, attachment=journey),
        Reply("privacy.export_json", counts, attachment=json_file),
        Reply("privacy.export_graphml", counts, attachment=graphml),
        reprompt=False,
    )
