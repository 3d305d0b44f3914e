"""Reminders: ``/pengingat`` settings, and the buttons every nudge carries.

``/pengingat`` opens the current settings — how often (daily, weekly on Monday, off), at what
local time, in which time zone, and the quiet hours — and returns to where the participant was.

A nudge's buttons are *stable*: sent with seq 0 and valid from any state, so the flow validates
them itself. A value is ``rem:<reminder id>:<action>[:<argument>]``; a reminder id that is not
among the participant's own nudges (storage loads them into the snapshot) is forged or too old
and changes nothing. Repeating a press (Telegram re-sends an unanswered one) changes nothing
twice: a snoozed nudge, reminders already off, or the step already open only get a pop-up.

A planned tie's guide, and the follow-up a nudge asks a week after a tie's date
(``rem:<id>:f:<tie>:d|m|x``), hand over to the plans flow: done with a note, a new date, dropped.
"""

from __future__ import annotations

import dataclasses
from datetime import time
from typing import Any

from coaching import schedule
from coaching.curriculum import EXERCISES
from coaching.flows import plans
from coaching.flows.common import go, note, stay, zone_found
from coaching.flows.states import ExercisesStep, KltbStep, MenuStep
from coaching.flows.states import RemindersStep as Step
from coaching.flows.steps import Back, StepFlow, Steps, carry_back
from coaching.model import (
    Event,
    EventKind,
    Option,
    Outcome,
    Reply,
    Snapshot,
    SnoozeReminder,
    StopReminders,
    UpdateProfile,
    Waiting,
)
from coaching.needs import Needs
from coaching.nudges import PREFIX
from coaching.places import find_zone
from coaching.validate import ZONES, is_number, normalise

TIMES = ("06:00", "07:00", "08:00", "12:00", "16:00", "19:00")
QUIETS = (("21:00", "07:00"), ("22:00", "06:00"), ("20:00", "05:00"))
HOME = MenuStep.MAIN
KLTB_STEP = KltbStep.NOTE  # the KLTB flow's step that records a step reached with a stakeholder


def preference(snap: Snapshot) -> schedule.Preference:
    profile = snap.profile
    return schedule.Preference(
        frequency=profile.reminder,
        time=profile.reminder_time,
        zone=profile.timezone,
        quiet_start=profile.quiet_start,
        quiet_end=profile.quiet_end,
    )


STEPS = Steps(Step)
BACK_ROW = (Option("back", "common.btn_back"),)


def _keep(snap: Snapshot) -> dict[str, Any]:
    """Within the settings, the way back out of them is kept."""
    return carry_back(snap.data)


@STEPS.prompt(Step.MAIN)
def ask_main(snap: Snapshot) -> tuple[Reply, ...]:
    options = (
        tuple(Option(f"f:{f}", f"reminders.btn_{f}") for f in schedule.FREQUENCIES),
        (
            Option("time", "reminders.btn_set_time"),
            Option("tz", "reminders.btn_set_zone"),
            Option("quiet", "reminders.btn_set_quiet"),
        ),
        (Option("done", "reminders.btn_done"),),
    )
    return (Reply("reminders.main", _settings(snap), options),)


@STEPS.handler(Step.MAIN)
def on_main(snap: Snapshot, event: Event) -> Outcome:
    """Stores daily/weekly/off, opens a sub-setting, or returns where the participant was."""
    choice = event.choice
    if choice.startswith("f:") and choice[2:] in schedule.FREQUENCIES:
        return go(
            Step.MAIN,
            note("reminders.saved"),
            data=_keep(snap),
            effects=(UpdateProfile({"reminder": choice[2:]}),),
        )
    sub = {"time": Step.TIME, "tz": Step.TIMEZONE, "quiet": Step.QUIET}.get(choice)
    if sub is not None:
        return go(sub, data=_keep(snap))
    if choice == "done":
        back = Back.of(snap.data) or Back(HOME)
        if back.state.startswith("reminders."):
            back = Back(HOME, back.data)
        return back.go(note("reminders.done"))
    return stay(snap, note("common.use_buttons"))


@STEPS.prompt(Step.TIME)
def ask_time(snap: Snapshot) -> tuple[Reply, ...]:
    rows = (
        tuple(Option(t.replace(":", ""), "reminders.btn_time", {"time": t}) for t in TIMES[:3]),
        tuple(Option(t.replace(":", ""), "reminders.btn_time", {"time": t}) for t in TIMES[3:]),
        BACK_ROW,
    )
    return (Reply("reminders.ask_time", _settings(snap), rows),)


@STEPS.handler(Step.TIME)
def on_time(snap: Snapshot, event: Event) -> Outcome:
    """Stores the local time of routine nudges (a button, or typed HH:MM)."""
    if event.choice == "back":
        return go(Step.MAIN, data=_keep(snap))
    typed = event.choice or event.text
    if event.choice and len(event.choice) == 4 and is_number(event.choice):
        typed = f"{event.choice[:2]}:{event.choice[2:]}"
    at = schedule.parse_hhmm(typed)
    if at is None:
        return stay(snap, note("reminders.bad_time"))
    value = schedule.hhmm(at)
    replies = [note("reminders.saved")]
    pref = dataclasses.replace(preference(snap), time=value)
    probe = schedule.wall_clock(snap.now.astimezone(pref.tz).date(), at, pref.tz)
    if schedule.in_quiet(probe, pref):
        replies.append(
            note(
                "reminders.time_in_quiet",
                time=value,
                start=pref.quiet_start,
                end=pref.quiet_end,
            )
        )
    return go(
        Step.MAIN,
        *replies,
        data=_keep(snap),
        effects=(UpdateProfile({"reminder_time": value}),),
    )


@STEPS.prompt(Step.TIMEZONE)
def ask_timezone(snap: Snapshot) -> tuple[Reply, ...]:
    zones = tuple(Option(label, f"onboarding.btn_tz_{label.lower()}") for label in ZONES)
    return (Reply("reminders.ask_timezone", _settings(snap), (zones, BACK_ROW)),)


@STEPS.handler(Step.TIMEZONE)
def on_timezone(snap: Snapshot, event: Event) -> Outcome:
    """Stores the time zone: WIB/WITA/WIT, or a typed IANA name."""
    if event.choice == "back":
        return go(Step.MAIN, data=_keep(snap))
    place = find_zone(normalise(event.choice or event.text))
    if place is None:
        return stay(snap, note("onboarding.bad_timezone"))
    return go(
        Step.MAIN,
        *zone_found(place),
        note("reminders.saved"),
        data=_keep(snap),
        effects=(UpdateProfile({"timezone": place.zone}),),
    )


@STEPS.prompt(Step.QUIET)
def ask_quiet(snap: Snapshot) -> tuple[Reply, ...]:
    quiet = tuple(
        (Option(f"q{s[:2]}{e[:2]}", "reminders.btn_quiet", {"start": s, "end": e}),)
        for s, e in QUIETS
    )
    return (Reply("reminders.ask_quiet", _settings(snap), (*quiet, BACK_ROW)),)


@STEPS.handler(Step.QUIET)
def on_quiet(snap: Snapshot, event: Event) -> Outcome:
    """Stores quiet hours: a button, or typed ``HH:MM-HH:MM``."""
    if event.choice == "back":
        return go(Step.MAIN, data=_keep(snap))
    if event.choice.startswith("q") and len(event.choice) == 5 and is_number(event.choice[1:]):
        typed = f"{event.choice[1:3]}:00-{event.choice[3:5]}:00"
    else:
        typed = event.text
    span = _parse_span(typed)
    if span is None:
        return stay(snap, note("reminders.bad_quiet"))
    start, end = span
    if schedule.quiet_too_long(start, end):
        return stay(snap, note("reminders.quiet_too_long"))
    fields = {"quiet_start": schedule.hhmm(start), "quiet_end": schedule.hhmm(end)}
    return go(
        Step.MAIN,
        note("reminders.saved"),
        data=_keep(snap),
        effects=(UpdateProfile(fields),),
    )


@STEPS.prompt(Step.GUIDE)
def ask_guide(snap: Snapshot) -> tuple[Reply, ...]:
    guide = snap.data.get("guide")
    if guide != "tie":
        return ()
    context = {k: v for k, v in snap.data.items() if k not in ("guide", "ref", "plan")}
    guide_rows: tuple[tuple[Option, ...], ...] = ((Option("menu", "common.btn_menu"),),)
    found = plans.find(snap, int(snap.data.get("plan") or 0))
    if found is not None and found[1].is_open:  # done, moved or dropped from here
        guide_rows = (
            (Option("done", "plans.btn_done"), Option("move", "plans.btn_move")),
            (Option("drop", "plans.btn_drop"), Option("menu", "common.btn_menu")),
        )
    return (Reply(f"reminders.{guide}_guide", context, guide_rows),)


@STEPS.handler(Step.GUIDE)
def on_guide(snap: Snapshot, event: Event) -> Outcome:
    if event.choice == "menu":
        return go(HOME)
    if event.choice in plans.ACTIONS:
        return plans.begin(snap, int(snap.data.get("plan") or 0), event.choice)
    return stay(snap, note("common.use_buttons"))


def _settings(snap: Snapshot) -> dict[str, Any]:
    pref = preference(snap)
    upcoming = schedule.next_due(pref, snap.now)
    return {
        "frequency": pref.frequency or "off",
        "time": pref.time,
        "zone": schedule.local_parts(snap.now, pref.zone)["zone"],
        "quiet_start": pref.quiet_start,
        "quiet_end": pref.quiet_end,
        "next": schedule.local_parts(upcoming, pref.zone) if upcoming else None,
    }


class Reminders(StepFlow):
    key = "reminders"
    table = STEPS
    commands = ("pengingat",)
    button_prefixes = (PREFIX,)

    def needs(self, event: Event) -> Needs | None:
        """A nudge's button: the participant's recent nudges and what is waiting for them."""
        nudge = f"{PREFIX}:"
        if event.kind is EventKind.CHOICE and event.seq == 0 and event.choice.startswith(nudge):
            return Needs(nudges=True)
        return None

    def guard(self, snap: Snapshot, event: Event) -> Outcome | None:
        if event.kind in (EventKind.UNSUPPORTED, EventKind.DOCUMENT):
            return stay(snap, note("common.bad_media", media=event.media or "document"))
        return None

    def on_command(self, snap: Snapshot, event: Event) -> Outcome:
        """Opens the reminder settings, remembering the step to return to."""
        if snap.state.startswith(f"{self.key}."):
            return go(Step.MAIN, data=_keep(snap))
        return go(Step.MAIN, data=Back.here(snap).into())

    # --- a nudge's buttons ---------------------------------------------------------------------

    def on_button(self, snap: Snapshot, event: Event) -> Outcome:
        """Do it now, snooze or stop — only for one of the participant's own nudges."""
        parts = event.choice.split(":")
        if len(parts) < 3 or parts[0] != PREFIX or not is_number(parts[1]):
            return _stale(snap)
        reminder_id, action, argument = int(parts[1]), parts[2], ":".join(parts[3:])
        status = snap.reminders.get(reminder_id)
        if status is None:
            return _stale(snap)
        if action == "x":
            return self._open_exercise(snap, argument)
        if action in ("k", "t"):
            return self._open_guide(snap, action, argument)
        if action == "g":
            return self._kltb_follow_up(snap, argument)
        if action == "f" and (asked := plans.parse_action(argument)) is not None:
            # The follow-up a week after the date: done / not yet (a new date) / dropped.
            return plans.begin(snap, *asked, followup=True)
        if action == "s" and argument in schedule.SNOOZES:
            if status == "snoozed":
                return _toast(snap, "reminders.already_snoozed")
            if snap.profile.reminder == "off":  # stopped since: a snooze would never come
                return _toast(snap, "reminders.already_off")
            until = schedule.snooze_until(preference(snap), snap.now, argument)
            when = schedule.local_parts(until, snap.profile.timezone)
            return Outcome(
                snap.state,
                snap.data,
                effects=(SnoozeReminder(reminder_id, until),),
                replies=(note("reminders.snoozed", **when),),
                changed=False,
                reprompt=False,
            )
        if action == "stop" and not argument:
            if snap.profile.reminder == "off":
                return _toast(snap, "reminders.already_off")
            return Outcome(
                snap.state,
                snap.data,
                effects=(StopReminders(reminder_id),),
                replies=(note("reminders.stopped"),),
                changed=False,
                reprompt=False,
            )
        return _stale(snap)

    def _open_exercise(self, snap: Snapshot, key: str) -> Outcome:
        """Opens the exercise the nudge named, as the menu's "what next" does."""
        if key not in EXERCISES:
            return _stale(snap)
        if snap.state == ExercisesStep.ANSWER and snap.data.get("exercise") == key:
            return _toast(snap, "reminders.already_open")
        return go(ExercisesStep.ANSWER, data={"module": key.split(".", 1)[0], "exercise": key})

    def _kltb_follow_up(self, snap: Snapshot, argument: str) -> Outcome:
        """The follow-up a week after a planned KLTB step's date: reached (its evidence is
        asked and recorded, as in the KLTB flow) or not yet (a new date for the same action)."""
        actor, _, answer = argument.partition(":")
        if not is_number(actor) or answer not in ("d", "m"):
            return _stale(snap)
        waiting = snap.waiting or Waiting()
        step = next((s for s in waiting.kltb if s.actor_id == int(actor)), None)
        if step is None:
            return _toast(snap, "reminders.gone")  # reached or moved meanwhile
        data: dict[str, Any] = {"target": step.name, "step": step.step}
        if answer == "m":
            data["action"] = step.plan or ""
        state = KltbStep.NOTE if answer == "d" else KltbStep.DUE
        if snap.state == state and {k: snap.data.get(k) for k in data} == data:
            return _toast(snap, "reminders.already_open")
        return go(state, data=data)

    def _open_guide(self, snap: Snapshot, action: str, argument: str) -> Outcome:
        """Opens the stakeholder's next KLTB step (in the KLTB flow) or the planned tie."""
        if not is_number(argument):
            return _stale(snap)
        waiting = snap.waiting or Waiting()
        if action == "k":
            step = next((s for s in waiting.kltb if s.actor_id == int(argument)), None)
            if step is None:
                return _toast(snap, "reminders.gone")
            data = {"target": step.name, "step": step.step}
            if snap.state == KLTB_STEP and {k: snap.data.get(k) for k in data} == data:
                return _toast(snap, "reminders.already_open")
            return go(KLTB_STEP, data=data)
        ref = f"t:{argument}"
        if snap.state == Step.GUIDE and snap.data.get("ref") == ref:
            return _toast(snap, "reminders.already_open")
        tie = next((t for t in waiting.ties if t.tie_id == int(argument)), None)
        if tie is None:
            return _toast(snap, "reminders.gone")
        return go(
            Step.GUIDE,
            data={
                "guide": "tie",
                "ref": ref,
                "plan": tie.tie_id,
                "source": tie.source,
                "target": tie.target,
                "reason": tie.reason,
                "due": schedule.local_parts(tie.due_at, snap.profile.timezone),
            },
        )


def _parse_span(text: str) -> tuple[time, time] | None:
    """``21:00-07:00`` (also with ``.``, an en dash, "sampai"/"to") → two times."""
    cleaned = text.strip().lower().replace("–", "-").replace("—", "-")
    for word in (" sampai ", " s.d. ", " s/d ", " to ", " until "):
        cleaned = cleaned.replace(word, "-")
    start_text, sep, end_text = cleaned.partition("-")
    if not sep:
        return None
    start, end = schedule.parse_hhmm(start_text), schedule.parse_hhmm(end_text)
    if start is None or end is None:
        return None
    return start, end


def _stale(snap: Snapshot) -> Outcome:
    return _toast(snap, "common.stale_button")


def _toast(snap: Snapshot, key: str) -> Outcome:
    return Outcome(snap.state, snap.data, toast=key, changed=False, reprompt=False)


FLOW = Reminders()
