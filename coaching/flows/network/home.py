"""The map's home: what the map holds, the ways to build it, its analysis and its picture."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from markupsafe import Markup

from coaching.address import form
from coaching.analysis import GraphError, analyse
from coaching.analysis_text import analysis_reply, diff_reply, diff_text, error_text
from coaching.flows import kltb_targets, plans
from coaching.flows.common import go, new_personal_map, note, stay
from coaching.flows.network.guided import start_peers
from coaching.flows.network.naming import add_named
from coaching.flows.network.quick import quick_ties
from coaching.flows.network.shared import (
    HOME,
    ON_MAP,
    Step,
    change,
    continue_at,
    direct_tie_offers,
    editable,
)
from coaching.flows.states import Bab4Step, PlansStep
from coaching.flows.steps import Back
from coaching.model import (
    ChangeMap,
    Effect,
    Event,
    EventKind,
    Option,
    Outcome,
    Reply,
    SaveAnalysis,
    Snapshot,
)
from coaching.network import (
    AddActor,
    AddTie,
    EditError,
    HistoryStep,
    MapView,
    Op,
    op_from_json,
    parse_actor_line,
    tie_lines,
)


@ON_MAP.prompt(Step.HOME)
def ask_home(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    if snap.data.get("brief") and not view.read_only:
        return brief_home(snap, view)
    context = {
        "title": view.title,
        "kind": view.kind,
        "purpose": view.purpose,
        "size": view.counts().as_dict(),
        "example": view.example,
        "can_undo": bool(view.undo),
    }
    if view.read_only:
        rows: tuple[tuple[Option, ...], ...] = (
            (Option("analyse", "network.btn_analyse"), Option("picture", "network.btn_picture")),
            (Option("maps", "network.btn_maps"),),
            (Option("menu", "common.btn_menu"),),
        )
    else:
        rows = (
            (Option("add", "network.btn_add"), Option("connect", "network.btn_connect")),
            (Option("analyse", "network.btn_analyse"), Option("picture", "network.btn_picture")),
            (Option("edit", "network.btn_edit"), Option("maps", "network.btn_maps")),
            (Option("stage", "network.btn_stage"),),
        )
        history = (
            *((Option("undo", "network.btn_undo"),) if view.undo else ()),
            *((Option("redo", "network.btn_redo"),) if view.redo else ()),
        )
        if history:
            rows += (history,)
        if plans.has_plans(snap):
            rows += ((Option("plans", "plans.btn_open"),),)
        rows += ((Option("menu", "common.btn_menu"),),)
        rows += ((Option("miniapp", "network.btn_miniapp", web_app="/app"),),)  # last: see cli
        know = tuple(
            (Option(f"know:{i}", "network.btn_know", {"name": name}),)
            for i, name in enumerate(direct_tie_offers(snap, view))
        )
        rows = know + rows
    return (Reply("network.home", context, rows),)


def brief_home(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    """After a quick line: the map's size in a line, the one-tap ties, undo and the page on
    request — not the whole page again (more lines can be typed straight away)."""
    rows: tuple[tuple[Option, ...], ...] = tuple(
        (Option(f"know:{i}", "network.btn_know", {"name": name}),)
        for i, name in enumerate(direct_tie_offers(snap, view))
    )
    tail = (*((Option("undo", "network.btn_undo"),) if view.undo else ()),)
    rows += ((*tail, Option("page", "network.btn_page")),)
    return (Reply("network.home_brief", {"size": view.counts().as_dict()}, rows),)


@ON_MAP.handler(Step.HOME)
def on_home(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Routes the home buttons; typed tie lines are added at once."""
    choice = event.choice
    if choice == "page":
        return go(HOME)
    if choice == "add":
        return editable(view) or go(Step.NAME, data={"q": "2a"})
    if choice == "connect":
        return editable(view) or start_peers(view, None)
    if choice == "analyse":
        return analysis(snap, view)
    if choice == "picture":
        return go(HOME, picture(view, snap.locale))
    if choice == "edit":
        return editable(view) or (
            go(Step.EDIT_PICK, data={}) if view.others() else stay(snap, note("network.empty"))
        )
    if choice == "undo":
        return undo(snap, view)
    if choice == "redo":
        return redo(snap, view)
    if choice == "maps":
        return go(Step.MAPS)
    if choice == "stage":
        return go(Bab4Step.STAGE, data=Back(HOME).into())
    if choice.startswith("know:"):
        return know_directly(snap, view, choice.removeprefix("know:"))
    if choice == "plans":
        return go(PlansStep.LIST)
    if event.kind is EventKind.TEXT:
        if view.read_only:
            return stay(snap, note("network.read_only"))
        if tie_lines(event.text) is not None:
            return quick_ties(snap, view, event.text)
        if parse_actor_line(event.text) is not None:  # "Pak Budi; Bappeda; kuat; dana"
            return add_named(snap, view, event.text)
        return stay(snap, note("network.home_text_help"))
    return stay(snap, note("common.use_buttons"))


def know_directly(snap: Snapshot, view: MapView, index: str) -> Outcome:
    """One tap on "I know X directly": the participant's tie to X, as they said it."""
    offers = direct_tie_offers(snap, view)
    if view.ego is None or not index.isdigit() or int(index) >= len(offers):
        return stay(snap, note("common.use_buttons"))
    name = offers[int(index)]
    saved = change(snap, view, [AddTie(view.ego.name, name)], note("network.know_saved", name=name))
    left = {"know": [n for n in offers if n != name]}
    return continue_at(saved, HOME, {**left, "brief": True} if snap.data.get("brief") else left)


PENDING = 0  # the id of a personal map being created, until storage gives it its own


def first_visit(
    snap: Snapshot, then: Callable[[Snapshot, MapView], Outcome] | None = None
) -> Outcome:
    """The first visit: the participant's personal map is created with them in it.

    ``then`` (the command that made the visit: ``/tambah Budi``, ``/hubung A - B``) runs on
    the new map in the same step: its changes are folded into the map's creation, so the first
    command does what it says.
    """
    created = new_personal_map(snap)
    replies = (note("network.personal_created"),)
    if then is None:
        return go(HOME, *replies, effects=(created,))
    ego = AddActor(created.ego or "", is_ego=True)
    fresh = MapView(PENDING, created.kind, created.title, created.purpose).apply([ego])[0]
    outcome = then(dataclasses.replace(snap, network=fresh, maps=(*snap.maps, fresh)), fresh)
    ops: list[Op] = []
    undo: list[Op] = []
    others: list[Effect] = []
    for effect in outcome.effects:
        if isinstance(effect, ChangeMap) and effect.map_id == PENDING:
            ops += effect.ops
            undo[:0] = effect.undo
        else:
            others.append(effect)
    creation = dataclasses.replace(created, ops=tuple(ops), undo=tuple(undo))
    return dataclasses.replace(
        outcome, effects=(creation, *others), replies=replies + outcome.replies
    )


def undo(snap: Snapshot, view: MapView) -> Outcome:
    """Reverses the latest change still in the map's history (step by step, back to the
    oldest kept); what re-does it goes to the redo side."""
    if view.read_only or view.id is None or not view.undo:
        return go(HOME, note("network.nothing_to_undo"))
    return _travel(view, view.undo[-1], "undo", note("network.undone", left=len(view.undo) - 1))


def redo(snap: Snapshot, view: MapView) -> Outcome:
    """Re-does the change undone last (until a new change is made)."""
    if view.read_only or view.id is None or not view.redo:
        return go(HOME, note("network.nothing_to_redo"))
    return _travel(view, view.redo[-1], "redo", note("network.redone"))


def _travel(view: MapView, step: HistoryStep, how: str, said: Reply) -> Outcome:
    ops = tuple(op_from_json(op) for op in step)
    try:
        _, inverse = view.apply(ops)
    except EditError:
        return go(HOME, note("network.nothing_to_undo"))
    return go(HOME, said, effects=(ChangeMap(view.id or 0, ops, inverse, history=how),))


def analysis(snap: Snapshot, view: MapView) -> Outcome:
    """The module's five map questions answered from the data; stored as a dated snapshot."""
    if len(view.actors) < 2:
        return go(HOME, note("network.too_small"))
    try:
        result = analyse(view.graph())
    except GraphError as error:
        return go(
            HOME,
            Reply(
                "network.html",
                {"html": Markup(error_text(error, locale=snap.locale, you=form(snap)))},
            ),
        )
    replies: list[Reply] = []
    if snap.last_analysis is not None:
        diff = diff_text(snap.last_analysis, result)
        if diff.changed:
            replies.append(
                Reply(
                    "network.html",
                    {"html": Markup(diff_reply(diff, locale=snap.locale, you=form(snap)))},
                )
            )
    replies.append(
        Reply(
            "network.html",
            {"html": Markup(analysis_reply(result, locale=snap.locale, you=form(snap)))},
        )
    )
    effects: tuple[SaveAnalysis, ...] = ()
    if view.id is not None:
        saved = result.to_json_dict()
        effects = (SaveAnalysis(view.id, saved, result.stage.key),)
        # One tap: a suggested actor into KLTB.
        targets = kltb_targets.suggested_targets(view, saved)
        replies += [targets] if targets is not None else []
    return go(HOME, *replies, effects=effects)


def picture(view: MapView, locale: str) -> Reply:
    attachment = view.picture(locale)
    caption = {
        "title": view.title,
        "kind": view.kind,
        "example": view.example,
        "size": view.counts().as_dict(),
    }
    return Reply("network.picture_caption", caption, attachment=attachment)
