"""Bab IV: mapping a network in the module's four steps, then reorganising it (Krebs & Holley).

1. the problem and the purpose of the network (Latihan IV steps 1–2);
2. the stakeholders, through the network flow's name-generator questions (2a/2b/2c);
3. the ties between them and you (the network flow's tie entry), which maps the existing
   structure (Latihan IV step 3);
4. the analysis — the five map questions — and the new ties to weave, chosen from the
   suggestions or the participant's own, each with an optional due date; then the map's stage
   with stage-specific actions, and the participant's plan (Latihan IV step 4).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from coaching import analysed, feedback, text
from coaching.address import form
from coaching.analysis import Analysis
from coaching.analysis_text import advice_stage, analysis_reply
from coaching.flows import picker, typedday
from coaching.flows.common import go, new_personal_map, note, personal_map, stay
from coaching.flows.network.naming import resolve_on
from coaching.flows.states import Bab4Step as Step
from coaching.flows.states import ExercisesStep, MenuStep, NetworkStep
from coaching.flows.steps import Back, StepFlow, Steps
from coaching.model import (
    ChangeMap,
    CreateMap,
    Event,
    EventKind,
    Option,
    Outcome,
    PlanTie,
    Reply,
    SaveAnalysis,
    SaveAnswer,
    SelectMap,
    Snapshot,
)
from coaching.names import clean_name, name_key
from coaching.network import Actor, MapView, check_actor_name, parse_tie_line
from coaching.validate import check_answer

DUE_DAYS = {"due7": 7, "due14": 14, "due30": 30}
TITLE_MAX = 120
CONNECT_CHOICES = 6


STEPS = Steps(Step)
ON_MAP = frozenset(
    {Step.TIES, Step.ANALYSIS, Step.OWN, Step.DUE, Step.STAGE, Step.REFLECT}
)  # the steps that work on the open map
ANALYSED = frozenset({Step.TIES, Step.ANALYSIS, Step.STAGE})  # the steps that analyse it


def _map(snap: Snapshot) -> MapView:
    """The open map (the flow's guards ask nothing, or go to the intro, when there is none)."""
    view = snap.network
    if view is None or view.read_only:
        raise LookupError("Bab IV's guards let no step work without a map to work on")
    return view


# --- step 1: the case and its purpose ----------------------------------------------------------


@STEPS.prompt(Step.INTRO)
def ask_intro(snap: Snapshot) -> tuple[Reply, ...]:
    rows: list[tuple[Option, ...]] = [(Option("new", "bab4.btn_new_case"),)]
    rows += [
        (Option(f"map:{m.id}", "bab4.btn_continue_map", {"title": m.title}),)
        for m in snap.maps
        if m.kind == "case"
    ][:4]
    rows += [
        (Option("personal", "bab4.btn_personal"),),
        (Option("exercises", "bab4.btn_exercises"),),
        (Option("menu", "common.btn_menu"),),
    ]
    return (Reply("bab4.intro", {}, tuple(rows)),)


@STEPS.handler(Step.INTRO)
def on_intro(snap: Snapshot, event: Event) -> Outcome:
    """Starts a new case (step 1), continues one, or maps the personal network."""
    choice = event.choice
    if choice == "new":
        return go(Step.CASE)
    if choice == "exercises":
        return go(ExercisesStep.LIST, data={"module": "bab4"})
    if choice == "personal":
        personal = personal_map(snap)
        if personal is None or personal.id is None:
            return go(Step.PURPOSE, data={"personal": True, "title": ""})
        return go(Step.PURPOSE, data={"personal": True, "title": "", "map": personal.id})
    if choice.startswith("map:") and any(str(m.id) == choice[4:] for m in snap.maps):
        return go(Step.TIES, effects=(SelectMap(choice[4:]),))
    return stay(snap, note("common.use_buttons"))


@STEPS.prompt(Step.CASE)
def ask_case(snap: Snapshot) -> tuple[Reply, ...]:
    return (Reply("bab4.ask_case", {}, ((Option("back", "common.btn_back"),),)),)


@STEPS.handler(Step.CASE)
def on_case(snap: Snapshot, event: Event) -> Outcome:
    """Step 1: the case — the problem calling for a reorganised network."""
    if event.choice == "back":
        return go(Step.INTRO)
    text = event.text if event.kind is EventKind.TEXT else ""
    title = clean_name(text, limit=TITLE_MAX).value  # the one validation of every name
    if title is None or len(title) < 3:
        return stay(snap, note("bab4.bad_case"), reprompt=False)
    return go(Step.PURPOSE, data={"title": title})


@STEPS.prompt(Step.PURPOSE)
def ask_purpose(snap: Snapshot) -> tuple[Reply, ...]:
    return (
        Reply(
            "bab4.ask_purpose",
            {"title": snap.data.get("title", "")},
            ((Option("back", "common.btn_back"),),),
        ),
    )


@STEPS.handler(Step.PURPOSE)
def on_purpose(snap: Snapshot, event: Event) -> Outcome:
    """Step 1: the purpose; the map is made (or the personal one chosen), then step 2."""
    if event.choice == "back":
        return go(Step.INTRO)
    checked = check_answer(event.text) if event.kind is EventKind.TEXT else None
    if checked is None or checked.value is None or len(checked.value) > 1000:
        return stay(snap, note("bab4.bad_purpose"), reprompt=False)
    purpose = checked.value
    to_step2 = Back(Step.TIES).into({"q": "2a"})  # step 2 in the network flow, then step 3 here
    if snap.data.get("personal"):
        map_id = snap.data.get("map")
        effects: tuple[Any, ...] = (SaveAnswer("bab4.latihan2", purpose),)
        if map_id is None:
            effects = (new_personal_map(snap, purpose), *effects)
        else:
            effects = (
                SelectMap(str(map_id)),
                ChangeMap(int(map_id), (), (), {"purpose": purpose}),
                *effects,
            )
        return go(NetworkStep.NAME, note("bab4.step2"), data=to_step2, effects=effects)
    title = str(snap.data.get("title", ""))
    effects = (
        CreateMap("case", title, purpose),
        SaveAnswer("bab4.latihan1", title),
        SaveAnswer("bab4.latihan2", purpose),
    )
    return go(NetworkStep.NAME, note("bab4.step2"), data=to_step2, effects=effects)


# --- step 3: the ties ---------------------------------------------------------------------------


@STEPS.prompt(Step.TIES)
def ask_ties(snap: Snapshot) -> tuple[Reply, ...]:
    view = _map(snap)
    loose = _loosest(view)
    rows = [
        (
            Option(
                f"pick:{i}",
                "bab4.btn_connect",
                {"name": a.name, "ties": len(view.neighbours(a.name))},
            ),
        )
        for i, a in enumerate(loose)
    ]
    rows += [
        (Option("add", "bab4.btn_add_more"),),
        (Option("next", "bab4.btn_to_step4"),),
    ]
    context = {
        "actors": view.counts().actors,
        "ties": view.counts().ties,
        "title": view.title,
        "kind": view.kind,
    }
    return (Reply("bab4.ties", context, tuple(rows)),)


@STEPS.handler(Step.TIES)
def on_ties(snap: Snapshot, event: Event) -> Outcome:
    """Step 3: ties for the loosest actors; then the existing structure is recorded."""
    view = _map(snap)
    loose = _loosest(view)
    back = Back(Step.TIES)  # the network flow's steps return here
    if (index := picker.index_of(event.choice, "pick", len(loose))) is not None:
        return go(NetworkStep.PEERS, data=back.into({"target": loose[index].name, "q": "2a"}))
    if event.choice == "add":
        return go(NetworkStep.NAME, data=back.into({"q": "2a"}))
    if event.choice != "next":
        return stay(snap, note("common.use_buttons"))
    if len(view.actors) < 2:
        return stay(snap, note("bab4.need_actors"))
    summary = _structure(view, snap.locale)
    replies: list[Reply] = [note("bab4.step3_saved")]
    effects: list[Any] = [SaveAnswer("bab4.latihan3", summary)]
    result = _analysis(snap, view)
    if result is not None:
        html = Markup(analysis_reply(result, locale=snap.locale, you=form(snap)))
        replies.append(Reply("network.html", {"html": html}))
        effects.append(SaveAnalysis(view.id or 0, result.to_json_dict(), result.stage.key))
    return go(Step.ANALYSIS, *replies, effects=tuple(effects))


# --- step 4: new ties to weave, the stage, the reflection ----------------------------------------


@STEPS.prompt(Step.ANALYSIS)
def ask_analysis(snap: Snapshot) -> tuple[Reply, ...]:
    view = _map(snap)
    result = _analysis(snap, view)
    suggestions = list(result.suggestions) if result else []
    rows = [
        (Option(f"sug:{i}", "bab4.btn_plan_suggestion", {"a": s.a, "b": s.b}),)
        for i, s in enumerate(suggestions)
        if not _planned(view, s.a, s.b)
    ]
    rows += [
        (Option("own", "bab4.btn_own_tie"),),
        (Option("stage", "bab4.btn_stage"),),
        (Option("reflect", "bab4.btn_reflect"),),
    ]
    planned = [
        {"a": p.a, "b": p.b, "due": p.due_at.date().isoformat() if p.due_at else None}
        for p in view.planned
        if p.is_open
    ]
    context = {"planned": planned, "suggestions": len(suggestions)}
    return (Reply("bab4.analysis", context, tuple(rows)),)


@STEPS.handler(Step.ANALYSIS)
def on_analysis(snap: Snapshot, event: Event) -> Outcome:
    """Step 4: plan new ties ("merajut jejaring"), see the stage, then reflect."""
    result = _analysis(snap, _map(snap))
    suggestions = list(result.suggestions) if result else []
    if (index := picker.index_of(event.choice, "sug", len(suggestions))) is not None:
        chosen = suggestions[index]
        return go(Step.DUE, data={"a": chosen.a, "b": chosen.b, "reason": chosen.kind})
    if event.choice == "own":
        return go(Step.OWN)
    if event.choice == "stage":
        return go(Step.STAGE, data=Back(Step.ANALYSIS).into())
    if event.choice == "reflect":
        return go(Step.REFLECT)
    return stay(snap, note("common.use_buttons"))


@STEPS.prompt(Step.OWN)
def ask_own(snap: Snapshot) -> tuple[Reply, ...]:
    return (Reply("bab4.ask_own", {}, ((Option("back", "common.btn_back"),),)),)


@STEPS.handler(Step.OWN)
def on_own(snap: Snapshot, event: Event) -> Outcome:
    """A tie of the participant's own choosing, typed as ``A - B``."""
    view = _map(snap)
    if event.choice == "back":
        return go(Step.ANALYSIS)
    line = parse_tie_line(event.text) if event.kind is EventKind.TEXT else None
    if line is None:
        return stay(snap, note("bab4.bad_own"), reprompt=False)
    a, b = _planned_name(snap, view, line.a), _planned_name(snap, view, line.b)
    for named in (a, b):
        if isinstance(named, Reply):
            return stay(snap, named, reprompt=False)
    if name_key(str(a)) == name_key(str(b)):
        return stay(snap, note("bab4.bad_own"), reprompt=False)
    return go(Step.DUE, data={"a": a, "b": b, "reason": "own"})


@STEPS.prompt(Step.DUE)
def ask_due(snap: Snapshot) -> tuple[Reply, ...]:
    return (
        Reply(
            "bab4.ask_due",
            {"a": snap.data.get("a", ""), "b": snap.data.get("b", "")},
            typedday.due_rows(snap, DUE_DAYS, "bab4"),
        ),
    )


@STEPS.handler(Step.DUE)
def on_due(snap: Snapshot, event: Event) -> Outcome:
    """Stores the planned tie with its due date (reminders nudge about it)."""
    view = _map(snap)
    due = typedday.due_of(snap, event, DUE_DAYS)
    if isinstance(due, Outcome):
        return due
    a, b = str(snap.data.get("a", "")), str(snap.data.get("b", ""))
    if _planned(view, a, b):
        return go(Step.ANALYSIS, note("bab4.already_planned", a=a, b=b))
    effect = PlanTie(view.id or 0, a, b, str(snap.data.get("reason") or ""), due.at)
    return go(Step.ANALYSIS, note("bab4.planned", a=a, b=b), effects=(effect,))


@STEPS.prompt(Step.STAGE)
def ask_stage(snap: Snapshot) -> tuple[Reply, ...]:
    return (stage_reply(_map(snap), snap.data, snap),)


@STEPS.handler(Step.STAGE)
def on_stage(snap: Snapshot, event: Event) -> Outcome:
    """The stage page, opened from step 4 or from the map's home, returns there."""
    if event.choice == "back":
        return (Back.of(snap.data) or Back(NetworkStep.HOME)).go()
    return stay(snap, note("common.use_buttons"))


@STEPS.prompt(Step.REFLECT)
def ask_reflect(snap: Snapshot) -> tuple[Reply, ...]:
    return (
        Reply(
            "bab4.ask_reflect",
            {"previous": snap.answers.get("bab4.latihan4")},
            ((Option("back", "common.btn_back"),),),
        ),
    )


@STEPS.handler(Step.REFLECT)
def on_reflect(snap: Snapshot, event: Event) -> Outcome:
    """Latihan IV step 4: the stages of reorganising, in the participant's words."""
    if event.choice == "back":
        return go(Step.ANALYSIS)
    checked = check_answer(event.text) if event.kind is EventKind.TEXT else None
    if checked is None or checked.value is None:
        problem = checked.problem if checked else "common.bad_answer_short"
        return stay(snap, note(problem or "common.bad_answer_short"), reprompt=False)
    answered = feedback.on_answer(snap, "bab4.latihan4", checked.value)
    effects: tuple[Any, ...] = (answered.save,) if answered.save else ()
    if answered.draft:  # kept as a draft: the question stays open for a fuller answer
        return Outcome(
            snap.state, snap.data, effects, (answered.reply,), changed=False, reprompt=False
        )
    return go(
        ExercisesStep.LIST,
        note("bab4.done"),
        answered.reply,
        data={"module": "bab4"},
        effects=effects,
    )


def _no_map(snap: Snapshot) -> bool:
    view = snap.network
    return Step(snap.state) in ON_MAP and (view is None or view.read_only or view.id is None)


class Mapping4(StepFlow):
    key = "bab4"
    maps = True
    table = STEPS
    opens: tuple[str, ...] = ("bab4",)

    def enter(self, snap: Snapshot, module: str) -> Outcome:
        """The module's four mapping steps; the exercises stay one tap away."""
        return go(Step.INTRO)

    def guard_prompt(self, snap: Snapshot) -> tuple[Reply, ...] | None:
        view = snap.network
        if Step(snap.state) in ON_MAP and (view is None or view.read_only):
            return ()  # nothing to ask about: home instead
        return None

    def analyses(self, snap: Snapshot) -> tuple[analysed.Wanted, ...]:
        """The open map's analysis, for the steps that show it or act on its suggestions."""
        view = snap.network
        if snap.state not in ANALYSED or view is None or len(view.actors) < 2:
            return ()
        return (analysed.wanted(view),)

    def guard(self, snap: Snapshot, event: Event) -> Outcome | None:
        if event.kind in (EventKind.UNSUPPORTED, EventKind.DOCUMENT):
            return stay(snap, note("bab4.bad_media"))
        if event.choice == "menu":
            return go(MenuStep.MAIN)
        if _no_map(snap):
            return go(Step.INTRO)
        return None


FLOW = Mapping4()


def stage_reply(view: MapView, data: Mapping[str, Any], snap: Snapshot | None = None) -> Reply:
    """The map's Krebs & Holley stage, with and without the participant, and its history
    (the analysis as ``snap`` carries it, when given)."""
    if len(view.actors) < 2:
        result = None
    elif snap is not None:
        result = analysed.of(snap, view)
    else:
        result = analysed.compute(analysed.wanted(view))
    history = [{"date": at.date().isoformat(), "stage": stage} for at, stage in view.stages[-6:]]
    context: dict[str, Any] = {
        "stage": None,
        "without": None,
        "history": history,
        "borderline": False,
        "nearest": None,
        "personal": False,
        "advice": None,
    }
    if result is not None:
        context["stage"] = result.stage.key
        # a measure within 10 % of its threshold (flags "borderline_<measure>")
        context["borderline"] = any(f.startswith("borderline") for f in result.stage.flags)
        context["nearest"] = result.stage.nearest
        # the same advice as /analisis: the stage's own, or the nearest one's
        context["advice"] = advice_stage(result.stage.key, result.stage.nearest)[0]
        if result.without_ego is not None:
            context["personal"] = True
            context["without"] = result.without_ego.stage.key
    options = ((Option("back", "common.btn_back"),),) if Back.of(data) else ()
    return Reply("bab4.stage", context, options)


def _loosest(view: MapView) -> list[Actor]:
    """The actors with the fewest ties (among everyone but the participant)."""
    others = list(view.others())
    others.sort(key=lambda a: (len(view.neighbours(a.name)), a.key))
    return others[:CONNECT_CHOICES]


def _planned(view: MapView, a: str, b: str) -> bool:
    pair = {a.casefold(), b.casefold()}
    return any({p.a.casefold(), p.b.casefold()} == pair for p in view.planned if p.is_open)


def _planned_name(snap: Snapshot, view: MapView, typed: str) -> str | Reply:
    """A name of a planned tie, resolved like every name of the map: the participant, an
    actor already there (their spelling), or someone new; a doubtful one is asked back."""
    name, problem = check_actor_name(typed)
    if name is None:
        return note(problem or "names.chars", name=typed[:80])
    found = resolve_on(snap, view, name)
    if found.kind == "ego":
        return found.name or note("network.no_ego_here")
    if found.kind == "same" and found.name:
        return found.name
    if found.kind in ("near", "ambiguous"):
        return note("bab4.own_which", typed=name, names=list(found.candidates))
    return name


def _structure(view: MapView, locale: str) -> str:
    """Latihan IV step 3 as text, in the participant's language: a line per tie."""
    names = {a.key: a.name for a in view.actors}
    size = view.counts()
    ties = [
        {"a": names[t.a], "b": names[t.b], "one_way": t.direction == "out", "strength": t.strength}
        for t in view.ties[:200]
    ]
    html = text.render(locale, "bab4.structure", actors=size.actors, count=size.ties, ties=ties)
    return text.html_to_plain(html)[:3500]


def _analysis(snap: Snapshot, view: MapView) -> Analysis | None:
    """The open map's analysis (computed once per event: ``Mapping4.analyses``)."""
    return analysed.of(snap, view) if len(view.actors) >= 2 else None
