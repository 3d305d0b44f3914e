"""The map's home: what the map holds, the ways to build it, its analysis and its picture."""

from __future__ import annotations

from markupsafe import Markup

from coaching.analysis import GraphError, analyse
from coaching.analysis_text import analysis_reply, diff_reply, diff_text, error_text
from coaching.flows import plans
from coaching.flows.common import go, new_personal_map, note, stay
from coaching.flows.network.guided import start_peers
from coaching.flows.network.quick import quick_ties
from coaching.flows.network.shared import HOME, Step, Steps, editable
from coaching.model import (
    ChangeMap,
    Event,
    EventKind,
    Option,
    Outcome,
    Reply,
    SaveAnalysis,
    Snapshot,
)
from coaching.network import EditError, MapView, op_from_json, tie_lines


def ask_home(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
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
        if view.undo:
            rows += ((Option("undo", "network.btn_undo"),),)
        if plans.has_plans(snap):
            rows += ((Option("plans", "plans.btn_open"),),)
        rows += ((Option("menu", "common.btn_menu"),),)
    return (Reply("network.home", context, rows),)


def on_home(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Routes the home buttons; typed tie lines are added at once."""
    choice = event.choice
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
    if choice == "maps":
        return go(Step.MAPS)
    if choice == "stage":
        return go("bab4.stage", data={"back": HOME})
    if choice == "plans":
        return go(plans.Step.LIST)
    if event.kind is EventKind.TEXT:
        if view.read_only:
            return stay(snap, note("network.read_only"))
        if tie_lines(event.text) is not None:
            return quick_ties(snap, view, event.text)
        return stay(snap, note("network.home_text_help"))
    return stay(snap, note("common.use_buttons"))


def first_visit(snap: Snapshot, command: str | None = None) -> Outcome:
    """The first visit: the participant's personal map is created with them in it."""
    replies = (note("network.personal_created"),)
    outcome = go(HOME, *replies, effects=(new_personal_map(snap),))
    if command in ("tambah", "hubung"):
        outcome = go(HOME, *replies, note("network.try_again"), effects=outcome.effects)
    return outcome


def undo(snap: Snapshot, view: MapView) -> Outcome:
    """Reverses the last change to this map (once)."""
    if view.read_only or view.id is None or not view.undo:
        return go(HOME, note("network.nothing_to_undo"))
    ops = tuple(op_from_json(op) for op in view.undo)
    try:
        view.apply(ops)
    except EditError:
        return go(HOME, note("network.nothing_to_undo"))
    return go(HOME, note("network.undone"), effects=(ChangeMap(view.id, ops, ()),))


def analysis(snap: Snapshot, view: MapView) -> Outcome:
    """The module's five map questions answered from the data; stored as a dated snapshot."""
    if len(view.actors) < 2:
        return go(HOME, note("network.too_small"))
    try:
        result = analyse(view.graph())
    except GraphError as error:
        return go(
            HOME, Reply("network.html", {"html": Markup(error_text(error, locale=snap.locale))})
        )
    replies: list[Reply] = []
    if snap.last_analysis is not None:
        diff = diff_text(snap.last_analysis, result)
        if diff.changed:
            replies.append(
                Reply("network.html", {"html": Markup(diff_reply(diff, locale=snap.locale))})
            )
    replies.append(
        Reply("network.html", {"html": Markup(analysis_reply(result, locale=snap.locale))})
    )
    effects: tuple[SaveAnalysis, ...] = ()
    if view.id is not None:
        effects = (SaveAnalysis(view.id, result.to_json_dict(), result.stage.key),)
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


STEPS: Steps = {Step.HOME: (ask_home, on_home)}
