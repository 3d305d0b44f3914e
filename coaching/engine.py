"""The conversation engine: ``handle(snapshot, event) -> Outcome``, pure and deterministic.

Order of concerns for each event:
1. a button from an earlier step is answered with a toast and changes nothing;
2. commands every state understands (``/start``, ``/bantuan``, ``/batal``) and commands owned
   by flows (``/menu``, ``/bahasa``...);
3. before consent, everything is routed to onboarding;
4. typed ``2`` or a button's label counts as choosing that button (the terminal relies on it);
5. the state's flow takes the event; the engine then re-asks the new state's question.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from coaching import analysed, navigation, progress, text, typed
from coaching.address import form, salutation
from coaching.effects import apply
from coaching.flows import REGISTRY
from coaching.flows import coach as coach_flow
from coaching.flows import onboarding as onboarding_flow
from coaching.flows import privacy as privacy_flow
from coaching.flows.base import Flow, Registry
from coaching.flows.common import go, note, stay
from coaching.flows.network import maps as network_maps
from coaching.flows.states import MenuStep
from coaching.model import (
    ChangeMap,
    CompleteItem,
    CreateMap,
    Event,
    EventKind,
    Option,
    Outcome,
    PlanTie,
    RecordKltb,
    Reply,
    SaveAnalysis,
    Snapshot,
)
from coaching.needs import Needs

__all__ = [
    "analyses",
    "apply",
    "handle",
    "needs",
    "onboarded",
    "prepare",
    "prompt",
    "reads_maps",
]

HOME = MenuStep.MAIN
NETWORK_EFFECTS = (ChangeMap, CreateMap, SaveAnalysis, PlanTie, RecordKltb)  # may earn progress
START_PAYLOAD_MAX = 64
# An answered step's message edited to a one-line summary (_summarised). The outbox sends such
# an edit after the chat's other messages and only with a message to spare in the chat's pace
# (storage/outbox.py, lazy messages), so it never holds the next message back.
SUMMARISE = True


def handle(snap: Snapshot, event: Event, registry: Registry = REGISTRY) -> Outcome:
    """Decide what one event does to one participant's conversation.

    The outcome carries the snapshot as it will be once committed (``Outcome.after``): the
    effects are applied once, here, for the prompts and for the caller.
    """
    snap = _valid_state(snap, registry)
    stable = registry.button_flow(event.choice) if event.kind is EventKind.CHOICE else None
    if stable is not None and event.seq == 0:
        if not onboarded(snap) and not _open_before_onboarding(stable):
            return _unchanged(snap, _stale(snap))
        return _finish(snap, stable.on_button(snap, event), registry)
    if event.kind is EventKind.CHOICE and event.choice.startswith(navigation.PREFIX):
        return _navigate(snap, event, registry)
    if event.kind is EventKind.CHOICE and event.seq and event.seq != snap.seq:
        if not _open_toggle(snap, event, registry):
            return _unchanged(snap, _stale(snap))
        event = dataclasses.replace(event, seq=snap.seq)  # its step is still open
    answered: tuple[Event, Flow] | None = None
    if event.kind is EventKind.COMMAND:
        outcome = _command(snap, event, registry)
    else:
        flow = _flow(snap, registry)
        found = typed.find(snap, event, flow)
        if isinstance(found, Outcome):  # typed part of a name: the list narrowed to the matches
            return found
        event = found
        if event.kind is EventKind.CHOICE and not _offered(snap, event.choice, flow):
            whole = _whole_page(snap, event, flow)
            if whole is not None:  # a button of this place's whole page (shown briefly now)
                return _finish(whole, flow.handle(whole, event), registry)
            # Buttons are only ever ours: a value we did not offer is forged or outdated.
            return _unchanged(snap, _stale(snap))
        outcome = flow.handle(snap, event)
        if typed.refused(snap, event, outcome):  # read as a button's words, or said what fits
            again = typed.by_words(snap, event, flow)
            if isinstance(again, Outcome):
                return _unchanged(snap, again)
            if again is None:
                return _finish(snap, typed.not_found(snap, event, flow, outcome), registry)
            event, outcome = again, flow.handle(snap, again)
        if SUMMARISE and event.seq and navigation.summarised(snap.state):
            answered = (event, flow)  # an answer button: its message becomes a summary
    return _finish(snap, outcome, registry, answered)


def _unchanged(snap: Snapshot, outcome: Outcome) -> Outcome:
    return dataclasses.replace(outcome, after=apply(snap, outcome))


def needs(event: Event, registry: Registry = REGISTRY) -> Needs:
    """What ``event`` needs loaded beyond the snapshot, as the flows declare it."""
    return Needs.merge(flow.needs(event) for flow in registry.needers)


def reads_maps(snap: Snapshot, event: Event, registry: Registry = REGISTRY) -> bool:
    """Whether ``event`` is taken by a flow whose steps read the participant's maps (``maps``
    on the flow, or its ``reads_maps(snap, event)`` for the step and event): the current step's, the
    one whose command or stable button it is, or the one a navigation button opens. The
    application loads the maps only then; a step that reads them undeclared is decided again
    with them (``coaching/unloaded.py``)."""
    current = _valid_state(snap, registry)
    flows: list[object] = [registry.for_state(current.state)]
    if _declares_maps(flows[0], current, event):
        return True
    if event.kind is EventKind.COMMAND and event.command:
        flows.append(registry.commands.get(event.command))
    elif event.kind is EventKind.CHOICE and event.choice:
        flows.append(registry.button_flow(event.choice))
        nav = (
            navigation.decode(event.choice) if event.choice.startswith(navigation.PREFIX) else None
        )
        if nav is not None:
            flows.append(registry.for_state(nav.state))
        if nav is not None and _declares_maps(
            flows[-1],
            dataclasses.replace(current, state=nav.state, data=navigation.place_data(nav)),
            Event(EventKind.CHOICE, choice=nav.value, seq=current.seq),
        ):
            return True
    return any(getattr(flow, "maps", False) for flow in flows)


def _declares_maps(flow: object, snap: Snapshot, event: Event) -> bool:
    """Whether ``flow``'s step at ``snap`` reads the maps for ``event``, by its own
    ``reads_maps(snap, event)``: a flow without maps whose step opens one (the menu's map
    button, a stakeholder line typed at the menu) says so, and is decided once."""
    declared = getattr(flow, "reads_maps", None)
    return bool(callable(declared) and declared(snap, event))


def analyses(snap: Snapshot, registry: Registry = REGISTRY) -> tuple[analysed.Wanted, ...]:
    """The analyses the participant's current step shows, as its flow declares them: the
    application computes them once per event into ``Snapshot.analyses``."""
    flow = registry.for_state(_valid_state(snap, registry).state)
    declared = getattr(flow, "analyses", None)
    return tuple(declared(snap)) if declared is not None else ()


def prompt(snap: Snapshot, registry: Registry = REGISTRY) -> tuple[Reply, ...]:
    """The current step's question: what a restart or ``/bantuan`` shows again."""
    after, asked = _prompt(_valid_state(snap, registry), registry)
    return navigation.navigable(after.state, asked)


def _navigate(snap: Snapshot, event: Event, registry: Registry) -> Outcome:
    """A navigation button, from this message or an older one: open its place and do what the
    button says there — if the place still offers that very button (coaching/navigation.py)."""
    nav = navigation.decode(event.choice)
    flow = registry.for_state(nav.state) if nav is not None else None
    if nav is None or flow is None or not onboarded(snap):
        return _stale(snap)
    fresh = dataclasses.replace(snap, state=nav.state, data=navigation.place_data(nav))
    # Here, as it is now (a list's page, the one-tap ties) or as the button's message showed it.
    places = (snap, fresh) if snap.state == nav.state else (fresh,)
    place = next(
        (p for p in places if any(navigation.matches(nav, o) for o in _options(p, flow))), None
    )
    if place is None:
        return _stale(snap)
    outcome = flow.handle(place, Event(EventKind.CHOICE, choice=nav.value, seq=place.seq))
    if outcome.state != snap.state or outcome.data != snap.data:
        outcome = dataclasses.replace(outcome, changed=True)
    return _finish(place, outcome, registry)


def _whole_page(snap: Snapshot, event: Event, flow: Flow) -> Snapshot | None:
    """A place shown briefly (the map after a quick line) still takes its whole page's
    buttons: the snapshot as the whole page has it, if that page offers the button."""
    if snap.state not in navigation.PLACES:
        return None
    nav = navigation.Nav(snap.state, event.choice, "")
    whole = dataclasses.replace(snap, data=navigation.place_data(nav))
    return whole if whole.data != snap.data and _offered(whole, event.choice, flow) else None


def _options(snap: Snapshot, flow: Flow) -> list[Option]:
    return [o for reply in flow.prompt(snap) for o in reply.flat_options()]


def _open_toggle(snap: Snapshot, event: Event, registry: Registry) -> bool:
    """A multi-select toggle tapped before the message showed the previous tap: still valid
    while its step is open (it says which way it turns the item, so a double tap is harmless)."""
    if not event.choice.startswith("toggle:"):
        return False
    flow = registry.for_state(snap.state)
    return flow is not None and _offered(snap, event.choice, flow)


def _summarised(
    snap: Snapshot, answered: tuple[Event, Flow], outcome: Outcome, asked_next: tuple[Reply, ...]
) -> Outcome:
    """A step answered with one of its buttons: the message that asked is edited to a one-line
    summary without buttons ("Kekuatan hubungan? → 💪 Kuat"), unless the answer itself edits
    that message (a toggle, a page; ``asked_next``: the same step's prompt once the effects
    are applied, as ``_finish`` worked it out) or changed nothing."""
    event, flow = answered
    if not outcome.changed or any(r.edit for r in outcome.replies):
        return outcome
    if any(r.edit for r in asked_next):
        return outcome
    for asked in flow.prompt(snap):
        option = next((o for o in asked.flat_options() if o.value == event.choice), None)
        if option is not None:
            you = form(snap)
            question = text.first_line(snap.locale, asked.key, you=you, **asked.context)
            answer = text.button_label(snap.locale, option.label, you=you, **option.context)
            summary = Reply("common.answered", {"question": question, "answer": answer}, edit=True)
            return dataclasses.replace(outcome, replies=(summary, *outcome.replies))
    return outcome


def _stale(snap: Snapshot) -> Outcome:
    return Outcome(
        snap.state, snap.data, toast="common.stale_button", changed=False, reprompt=False
    )


def prepare(event: Event) -> Event:
    """What can be worked out from the event alone, before any snapshot: a CSV document's
    import plan (seconds for 5,000 rows). Storage calls it outside the database's thread, so
    one participant's big file does not hold up everyone else's transactions; ``handle``
    works it out itself when it was not."""
    if event.kind is EventKind.DOCUMENT:
        return network_maps.prepare(event)
    return event


def onboarded(snap: Snapshot) -> bool:
    return snap.profile.consent_at is not None and not snap.state.startswith("onboarding.")


def _command(snap: Snapshot, event: Event, registry: Registry) -> Outcome:
    if event.command == "start":
        return _start(snap, event)
    if event.command == "bantuan" or event.command == "help":
        # Per role: a coach gets the coach's commands too (alone if they are no participant).
        coach = (note("coach.help"),) if snap.coach is not None else ()
        helped = note("common.help", onboarded=onboarded(snap), state=snap.state, coach=bool(coach))
        return stay(snap, helped, *coach)
    flow = registry.commands.get(event.command)
    if event.command == "menu" and snap.coach is not None:
        # A coach's home; a coach who is also a participant gets their own menu beside it.
        coach_home = coach_flow.home(snap, participant=onboarded(snap))
        if not onboarded(snap):
            return stay(snap, coach_home, reprompt=False)
        shown = go(HOME)
        return dataclasses.replace(shown, replies=(coach_home, *shown.replies))
    if not onboarded(snap):
        if flow is not None and (flow.key == "settings" or _open_before_onboarding(flow)):
            return flow.on_command(snap, event)
        return stay(snap, note("common.finish_onboarding_first"))
    if event.command == "batal":
        return go(HOME, note("common.cancelled"))
    if flow is not None:
        return flow.on_command(snap, event)
    return stay(snap, note("common.unknown_command", command=event.command[:32]))


def _start(snap: Snapshot, event: Event) -> Outcome:
    """``/start [join_<code> | coach_<token>]``: begins onboarding, or welcomes back to the menu.

    Storage has looked the code up (``snap.link``): the answer says whether it works. A coach
    invite is redeemed at once and leaves the conversation where it was; a cohort is joined
    after consent (at once for someone already onboarded).
    """
    payload = event.text.strip()[:START_PAYLOAD_MAX]
    kind, link_replies, link_effects, join = coach_flow.deep_link(snap, payload)
    if kind == "coach":  # a coach invite: a coach need not be a participant
        return Outcome(
            snap.state,
            snap.data,
            effects=link_effects,
            replies=link_replies,
            changed=False,
            reprompt=False,
        )
    link = snap.link if snap.link is not None and snap.link.kind == "join" else None
    if join and snap.profile.consent_at is not None and not (link and link.member):
        # Their data would go to another cohort's coaches: they are asked first.
        cohort, current = (link.cohort, link.current) if link else (None, None)
        return privacy_flow.ask_join(snap, join, cohort, current)
    if join and link and link.member:
        link_replies = (note("privacy.join_already", cohort=link.cohort),)
    if not payload and snap.coach is not None:
        # A coach's /start opens the coach home, never the participant consent: they start
        # as a participant only if they choose to (``ko:me``).
        coach_home = coach_flow.home(snap, participant=onboarded(snap))
        if not onboarded(snap):
            return stay(snap, coach_home, reprompt=False)
        welcome = note("common.welcome_back", name=salutation(snap))
        return go(HOME, coach_home, welcome)
    if onboarded(snap):
        welcome = note("common.welcome_back", name=salutation(snap))
        return go(HOME, welcome, *link_replies)
    data: dict[str, Any] = dict(snap.data)
    if join:
        data["join"] = join
    state = snap.state if snap.state.startswith("onboarding.") else onboarding_flow.FIRST
    replies = (*link_replies, note("onboarding.welcome"))
    return Outcome(state, data, replies=replies, changed=True)


def _open_before_onboarding(flow: object) -> bool:
    """Coach screens and a participant's own data (export, delete) need no finished onboarding."""
    return bool(getattr(flow, "open_before_onboarding", False))


def _flow(snap: Snapshot, registry: Registry) -> Flow:
    flow = registry.for_state(snap.state)
    if flow is None:  # unreachable after _valid_state; keeps mypy and readers sure
        raise LookupError(snap.state)
    return flow


def _valid_state(snap: Snapshot, registry: Registry) -> Snapshot:
    """Route a participant without consent to onboarding, and an unknown state home.

    Unknown states happen when a release retires a step; the participant lands on the menu
    rather than in an error.
    """
    if (
        snap.profile.consent_at is None
        and not snap.state.startswith("onboarding.")
        and not _kept_before_onboarding(snap.state, registry)
    ):
        return dataclasses.replace(snap, state=onboarding_flow.FIRST, data=dict(snap.data))
    if registry.for_state(snap.state) is None or not _known_step(snap.state, registry):
        return dataclasses.replace(snap, state=HOME, data={})
    return snap


def _kept_before_onboarding(state: str, registry: Registry) -> bool:
    """A step a flow keeps for someone who is no participant (a coach writing a reply)."""
    flow = registry.for_state(state)
    return state in getattr(flow, "steps_before_onboarding", ())


def _known_step(state: str, registry: Registry) -> bool:
    flow = registry.for_state(state)
    return flow is not None and state in {step.value for step in flow.steps}


def _offered(snap: Snapshot, value: str, flow: Flow) -> bool:
    if any(value == o.value for reply in flow.prompt(snap) for o in reply.flat_options()):
        return True
    return value.startswith(typed.ITEMS) and any(o.value == value for o in typed.items(snap, flow))


def _finish(
    snap: Snapshot,
    outcome: Outcome,
    registry: Registry,
    answered: tuple[Event, Flow] | None = None,
) -> Outcome:
    """The outcome with its effects applied to the snapshot (once) and the next question."""
    outcome, after = _earn(snap, outcome, apply(snap, outcome))
    asked: tuple[Reply, ...] = ()
    if outcome.reprompt:
        after, asked = _prompt(_valid_state(after, registry), registry)
    if answered is not None:
        same = asked if after.state == snap.state else ()
        outcome = _summarised(snap, answered, outcome, same)
    if not outcome.reprompt:
        return dataclasses.replace(outcome, after=after)
    replies = outcome.replies + navigation.navigable(after.state, asked)
    return dataclasses.replace(
        outcome, state=after.state, data=after.data, replies=replies, after=after
    )


def _earn(snap: Snapshot, outcome: Outcome, after: Snapshot) -> tuple[Outcome, Snapshot]:
    """Network work the outcome did counts in the progress (coaching/progress.py)."""
    if not any(isinstance(e, NETWORK_EFFECTS) for e in outcome.effects):
        return outcome, after
    items = progress.earned(snap, outcome.effects, after)
    if not items:
        return outcome, after
    done = tuple(CompleteItem(item) for item in items)
    earned = dataclasses.replace(after, completed=after.completed | frozenset(items))
    return dataclasses.replace(outcome, effects=(*outcome.effects, *done)), earned


def _prompt(snap: Snapshot, registry: Registry) -> tuple[Snapshot, tuple[Reply, ...]]:
    """The state's question; a step whose data no longer makes sense falls back home."""
    asked = _flow(snap, registry).prompt(snap)
    if asked or snap.state == HOME:
        return snap, asked
    home = dataclasses.replace(snap, state=HOME, data={})
    return home, _flow(home, registry).prompt(home)
