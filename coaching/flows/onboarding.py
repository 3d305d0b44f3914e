"""Onboarding: consent first, then language, name, unit (with how to address the participant:
Bapak, Ibu or by name), time zone and reminders.

Nothing about the participant is stored before they agree (UU 27/2022 on personal data); the
consent text says what is stored and why, and its version is recorded with the time.
"""

from __future__ import annotations

from coaching.address import ANSWER_KEY, FORMS, form, salutation, short_name
from coaching.flows.common import go, language_options, note, stay, zone_found
from coaching.flows.states import MenuStep
from coaching.flows.states import OnboardingStep as Step
from coaching.flows.steps import StepFlow, Steps
from coaching.model import (
    Event,
    EventKind,
    JoinCohort,
    Option,
    Outcome,
    RecordConsent,
    Reply,
    SaveAnswer,
    Snapshot,
    UpdateProfile,
)
from coaching.places import find_zone
from coaching.text import LOCALES
from coaching.validate import ZONES, check_name, check_unit, normalise

CONSENT_VERSION = "2026-11-v1"
REMINDER_CHOICES = ("daily", "weekly", "off")


FIRST = Step.CONSENT
AFTER = MenuStep.MAIN


STEPS = Steps(Step)


@STEPS.prompt(Step.CONSENT)
def ask_consent(snap: Snapshot) -> tuple[Reply, ...]:
    other = "en" if snap.locale == "id" else "id"
    return (
        Reply(
            "onboarding.consent",
            {"version": CONSENT_VERSION},
            (
                (
                    Option("agree", "onboarding.btn_agree"),
                    Option("decline", "onboarding.btn_decline"),
                ),
                (Option(f"lang:{other}", f"common.btn_lang_{other}"),),
            ),
        ),
    )


@STEPS.handler(Step.CONSENT)
def on_consent(snap: Snapshot, event: Event) -> Outcome:
    """Stores consent (time and text version), or explains that nothing is kept."""
    language = event.choice.removeprefix("lang:")
    if event.choice.startswith("lang:") and language in LOCALES:
        return go(Step.CONSENT, data=snap.data, effects=(UpdateProfile({"language": language}),))
    if event.choice == "agree":
        effects: tuple[RecordConsent | JoinCohort, ...] = (RecordConsent(CONSENT_VERSION),)
        if code := snap.data.get("join"):
            effects += (JoinCohort(str(code)),)
        return go(Step.LANGUAGE, note("onboarding.consent_thanks"), effects=effects)
    if event.choice == "decline":
        return stay(
            snap,
            Reply("onboarding.declined", {}, ((Option("agree", "onboarding.btn_agree_now"),),)),
            reprompt=False,
        )
    return stay(snap, note("common.use_buttons"))


@STEPS.prompt(Step.LANGUAGE)
def ask_language(snap: Snapshot) -> tuple[Reply, ...]:
    return (Reply("onboarding.ask_language", {}, language_options()),)


@STEPS.handler(Step.LANGUAGE)
def on_language(snap: Snapshot, event: Event) -> Outcome:
    """Stores the language and asks for the name."""
    language = event.choice.removeprefix("lang:")
    if language not in LOCALES:
        return stay(snap, note("common.use_buttons"))
    return go(Step.NAME, effects=(UpdateProfile({"language": language}),))


@STEPS.prompt(Step.NAME)
def ask_name(snap: Snapshot) -> tuple[Reply, ...]:
    return (Reply("onboarding.ask_name"),)


@STEPS.handler(Step.NAME)
def on_name(snap: Snapshot, event: Event) -> Outcome:
    """Stores the name and asks for the unit/agency."""
    if event.kind is not EventKind.TEXT:
        return stay(snap, note("onboarding.bad_name_empty"), reprompt=False)
    checked = check_name(event.text)
    if checked.value is None:
        return stay(snap, note(checked.problem or "onboarding.bad_name_chars"), reprompt=False)
    return go(Step.UNIT, effects=(UpdateProfile({"name": checked.value}),))


@STEPS.prompt(Step.UNIT)
def ask_unit(snap: Snapshot) -> tuple[Reply, ...]:
    """How to address the participant (buttons), and the unit (typed)."""
    address = _address(snap)
    if snap.data.get("edit"):  # a form of address chosen: that message, edited in place
        return (address,)
    return (address, Reply("onboarding.ask_unit", {"name": salutation(snap)}))


@STEPS.handler(Step.UNIT)
def on_unit(snap: Snapshot, event: Event) -> Outcome:
    """Stores how to address the participant (a button), or the unit/agency (typed) and asks
    for the time zone."""
    chosen = event.choice.removeprefix("addr:")
    if event.choice.startswith("addr:") and chosen in FORMS:
        return go(Step.UNIT, data={"edit": True}, effects=(SaveAnswer(ANSWER_KEY, chosen),))
    if event.choice:
        return stay(snap, note("common.use_buttons"), reprompt=False)
    if event.kind is not EventKind.TEXT:
        return stay(snap, note("onboarding.bad_unit_empty"), reprompt=False)
    checked = check_unit(event.text)
    if checked.value is None:
        return stay(snap, note(checked.problem or "onboarding.bad_unit_chars"), reprompt=False)
    return go(Step.TIMEZONE, effects=(UpdateProfile({"unit": checked.value}),))


@STEPS.prompt(Step.TIMEZONE)
def ask_timezone(snap: Snapshot) -> tuple[Reply, ...]:
    row = tuple(Option(label, f"onboarding.btn_tz_{label.lower()}") for label in ZONES)
    return (Reply("onboarding.ask_timezone", {}, (row,)),)


@STEPS.handler(Step.TIMEZONE)
def on_timezone(snap: Snapshot, event: Event) -> Outcome:
    """Stores the time zone (WIB/WITA/WIT or an IANA name) and asks about reminders."""
    place = find_zone(normalise(event.choice or event.text))
    if place is None:
        return stay(snap, note("onboarding.bad_timezone"))
    return go(Step.REMINDER, *zone_found(place), effects=(UpdateProfile({"timezone": place.zone}),))


@STEPS.prompt(Step.REMINDER)
def ask_reminder(snap: Snapshot) -> tuple[Reply, ...]:
    return (
        Reply(
            "onboarding.ask_reminder",
            {},
            tuple((Option(c, f"onboarding.btn_reminder_{c}"),) for c in REMINDER_CHOICES),
        ),
    )


@STEPS.handler(Step.REMINDER)
def on_reminder(snap: Snapshot, event: Event) -> Outcome:
    """Stores the reminder preference and opens the main menu."""
    if event.choice not in REMINDER_CHOICES:
        return stay(snap, note("common.use_buttons"))
    return go(
        AFTER,
        note("onboarding.done", name=salutation(snap)),
        effects=(UpdateProfile({"reminder": event.choice}),),
    )


def _address(snap: Snapshot) -> Reply:
    """Bapak, Ibu, or the name alone: each button shows the greeting it gives."""
    chosen = form(snap)
    row = tuple(
        Option(
            f"addr:{f}", "onboarding.btn_address", {"text": salutation(snap, f), "on": chosen == f}
        )
        for f in FORMS
    )
    name = short_name(snap.profile.name) if snap.profile.name else ""
    context = {"chosen": salutation(snap) if chosen else None, "name": name}
    return Reply("onboarding.ask_address", context, (row,), edit=bool(snap.data.get("edit")))


class Onboarding(StepFlow):
    key = "onboarding"
    table = STEPS

    def guard(self, snap: Snapshot, event: Event) -> Outcome | None:
        """Stickers, photos and files are refused at every step."""
        if event.kind is EventKind.UNSUPPORTED or event.kind is EventKind.DOCUMENT:
            return stay(snap, note("common.bad_media", media=event.media or "document"))
        return None


FLOW = Onboarding()
