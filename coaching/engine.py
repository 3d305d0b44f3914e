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
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from coaching import navigation, progress, text, typed
from coaching.address import salutation
from coaching.curriculum import EXERCISES
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
    PlanKltb,
    PlanTie,
    RecordConsent,
    RecordKltb,
    Reply,
    ResolvePlan,
    SaveAnalysis,
    SaveAnswer,
    SelectMap,
    Snapshot,
    UpdateProfile,
)
from coaching.needs import Needs
from coaching.network import (
    AddActor,
    KltbView,
    MapView,
    PlannedTie,
    example_view,
    next_history,
    op_to_json,
)

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


def prompt(snap: Snapshot, registry: Registry = REGISTRY) -> tuple[Reply, ...]:
    """The current step's question: what a restart or ``/bantuan`` shows again."""
    after, asked = _prompt(_valid_state(snap, registry), registry)
    return navigation.navigable(after.state, asked)


def apply(snap: Snapshot, outcome: Outcome) -> Snapshot:
    """The snapshot as storage will have it once the outcome's effects are committed."""
    profile, answers, completed = snap.profile, dict(snap.answers), set(snap.completed)
    for effect in outcome.effects:
        if isinstance(effect, UpdateProfile):
            profile = dataclasses.replace(profile, **dict(effect.fields))
        elif isinstance(effect, RecordConsent):
            profile = dataclasses.replace(profile, consent_at=snap.now)
        elif isinstance(effect, SaveAnswer):
            answers[effect.exercise] = effect.text
            if effect.exercise in EXERCISES and not effect.draft:
                completed.add(effect.exercise)
            elif effect.draft:  # a draft counts for nothing, whatever was counted before
                completed.discard(effect.exercise)
        elif isinstance(effect, CompleteItem):
            completed.add(effect.item)
    network, maps, last_analysis = _apply_network(snap, outcome)
    return dataclasses.replace(
        snap,
        network=network,
        maps=maps,
        last_analysis=last_analysis,
        profile=profile,
        state=outcome.state,
        data=outcome.data,
        seq=snap.seq + 1 if outcome.changed else snap.seq,
        answers=answers,
        completed=frozenset(completed),
    )


def _apply_network(
    snap: Snapshot, outcome: Outcome
) -> tuple[MapView | None, tuple[MapView, ...], Mapping[str, Any] | None]:
    network, maps, last = snap.network, list(snap.maps), snap.last_analysis
    for effect in outcome.effects:
        if isinstance(effect, CreateMap):
            ego = (AddActor(effect.ego, is_ego=True),) if effect.ego else ()
            start = MapView(None, effect.kind, effect.title, effect.purpose)
            network = start.apply(ego + effect.ops)[0]
            if effect.undo:
                network = dataclasses.replace(
                    network, undo=(tuple(op_to_json(op) for op in effect.undo),)
                )
            maps.append(network)
            last = None
        elif isinstance(effect, SelectMap):
            ref = effect.ref
            if ref.startswith("example:"):
                network = example_view(ref.removeprefix("example:"))
            else:
                network = next((m for m in maps if str(m.id) == ref), network)
            last = None
        elif isinstance(effect, ChangeMap):
            target = next((m for m in maps if m.id == effect.map_id), None)
            if target is None and network is not None and network.id == effect.map_id:
                target = network
            if target is not None:
                changed = target.apply(effect.ops)[0]
                step = tuple(op_to_json(op) for op in effect.undo)
                undo, redo = next_history(changed.undo, changed.redo, effect.history, step)
                changed = dataclasses.replace(changed, undo=undo, redo=redo, **dict(effect.fields))
                maps = [changed if m.id == changed.id else m for m in maps]
                if network is not None and network.id == changed.id:
                    network = changed
        elif isinstance(effect, SaveAnalysis):
            last = effect.result
            if network is not None and effect.stage:
                network = dataclasses.replace(
                    network, stages=(*network.stages, (snap.now, effect.stage))
                )
        elif isinstance(effect, RecordKltb | PlanKltb | PlanTie) and network is not None:
            network = _apply_plan(network, effect, snap.now)
        elif isinstance(effect, ResolvePlan):
            maps = [_resolve_plan(m, effect, snap.now) for m in maps]
            if network is not None:
                network = _resolve_plan(network, effect, snap.now)
        if network is not None and network.id is not None:
            maps = [network if m.id == network.id else m for m in maps]
    return network, tuple(maps), last


def _apply_plan(view: MapView, effect: RecordKltb | PlanKltb | PlanTie, now: Any) -> MapView:
    if isinstance(effect, PlanTie):
        planned = PlannedTie(None, effect.a, effect.b, effect.reason, effect.due_at)
        return dataclasses.replace(view, planned=(*view.planned, planned))
    actor = view.find(effect.actor)
    if actor is None:
        return view
    current = view.kltb_of(actor.name).get(effect.step) or KltbView(actor.key, effect.step)
    if isinstance(effect, RecordKltb):
        entry = dataclasses.replace(current, note=effect.note, done_at=current.done_at or now)
        actors = tuple(
            dataclasses.replace(a, kltb_step=effect.step) if a.key == actor.key else a
            for a in view.actors
        )
    else:
        entry = dataclasses.replace(current, next_action=effect.action, due_at=effect.due_at)
        actors = view.actors
    others = tuple(k for k in view.kltb if (k.actor, k.step) != (actor.key, effect.step))
    return dataclasses.replace(view, actors=actors, kltb=(*others, entry))


def _resolve_plan(view: MapView, effect: ResolvePlan, now: datetime) -> MapView:
    """As ``storage/plans.resolve``: only a tie still planned changes."""
    answer = {"done": "done", "move": "later", "drop": "dropped"}[effect.action]
    changes: dict[str, Any] = {"followup_answer": answer} if effect.followup else {}
    if effect.action == "done":
        changes.update(status="done", done_at=now, note=effect.note)
    elif effect.action == "drop":
        changes.update(status="dropped", dropped_at=now)
    else:
        changes.update(due_at=effect.due_at)
    planned = tuple(
        dataclasses.replace(p, **changes) if p.id == effect.plan_id and p.is_open else p
        for p in view.planned
    )
    return dataclasses.replace(view, planned=planned)


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
            question = text.first_line(snap.locale, asked.key, **asked.context)
            answer = text.button_label(snap.locale, option.label, **option.context)
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
