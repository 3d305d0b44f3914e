"""The Mini App's map: the picture's scene as JSON, and a tap or a drag as the chat's map edit.

Pure. :func:`scene` draws a :class:`~coaching.network.MapView` with :func:`coaching.layout.plan`
(the layout of the bot's picture and the dashboard's SVG) and adds what the app colours,
filters and edits by: each actor's attributes, roles, cluster and KLTB step, each tie's
strength and direction, the suggested ties and the analysis text. :func:`comparison` sets two
stored analyses of the map (or one and the map now) side by side with :mod:`coaching.compare`.

:func:`plan_change` turns one request of the app into what the chat would store for the same
change: a :class:`~coaching.model.ChangeMap` of :mod:`coaching.network` ops with their undo
(validated by :meth:`MapView.apply`), or undo/redo through the map's history, or a question
("did you mean…?", :func:`coaching.names.resolve`), or a refusal with the chat's message key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coaching.analysis import Analysis, GraphError, analyse
from coaching.analysis_text import analysis_reply
from coaching.compare import compare
from coaching.layout import LINE_STYLES, SHAPES, plan, shape_points
from coaching.model import KLTB_STEPS, ChangeMap
from coaching.names import clean_name, name_key, resolve
from coaching.network import (
    ACTOR_KINDS,
    FLOWS,
    IBARRA,
    RESOURCES,
    Actor,
    AddActor,
    AddTie,
    DeleteActor,
    DeleteTie,
    EditError,
    MapView,
    Op,
    RenameActor,
    TieView,
    UpdateActor,
    UpdateTie,
    op_from_json,
)
from coaching.text import html_to_plain, render

ROLE_NAMES = ("hubs", "brokers", "closest", "boundary_spanners", "peripheral")
NEEDS_MAX = 500
ROLE_MAX = 120


def scene(view: MapView, *, locale: str) -> dict[str, Any]:
    """Everything the app draws of ``view``: positions (the picture's), attributes, analysis."""
    graph = view.graph()  # built once: the analysis and the layout read the same graph
    try:
        result: Analysis | None = analyse(graph)
    except GraphError:
        result = None
    actors = {a.name: a for a in view.actors}
    # each tie by its two keys (a lookup per line, not a walk through every tie)
    ties = {frozenset((t.a, t.b)): t for t in view.ties}
    nodes: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    width = height = 360.0
    top, font = 0.0, 14.0
    keys: dict[str, str] = {}
    if result is not None:
        laid = plan(graph, result, locale=locale, ego=view.ego.name if view.ego else None)
        width, height, top, font = laid.width, laid.height, laid.map_top, laid.font_px
        cluster_of = {n: i for i, members in enumerate(result.clusters) for n in members}
        for node in laid.nodes:
            actor = actors.get(node.name)
            key = actor.key if actor else name_key(node.name)
            keys[node.id] = key
            nodes.append(
                {
                    "key": key,
                    "name": node.name,
                    "x": _r(node.x),
                    "y": _r(node.y),
                    "r": _r(node.r),
                    "fill": node.fill,
                    "ego": node.ego,
                    "roles": list(node.roles),
                    "cluster": cluster_of.get(node.name),
                    "label": _label(node.label),
                    "badges": [
                        {"role": b.role, "points": _points(shape_points(b.shape, b.x, b.y, b.size))}
                        for b in node.badges
                    ],
                    **_attributes(view, actor),
                }
            )
        for line in laid.lines:
            style = LINE_STYLES[line.kind]
            a, b = keys[line.a], keys[line.b]
            tie = ties.get(frozenset((a, b))) if line.kind != "suggested" else None
            lines.append(
                {
                    "a": tie.a if tie else a,
                    "b": tie.b if tie else b,
                    "kind": line.kind,
                    "points": _points(line.points),
                    "width": _r(style.width),
                    "dash": " ".join(f"{d:g}" for d in style.dash),
                    "arrow": _points(line.arrow) if line.arrow else "",
                    "strength": tie.strength if tie else None,
                    "direction": tie.direction if tie else None,
                    "flows": list(tie.flows) if tie else [],
                }
            )
    else:  # nobody, or only the participant: on a circle, as the picture would
        for i, actor in enumerate(view.actors):
            angle = 2 * math.pi * i / max(1, len(view.actors))
            out = 100.0 if i else 0.0
            x, y = width / 2 + out * math.cos(angle), 180 + out * math.sin(angle)
            nodes.append(
                {
                    "key": actor.key,
                    "name": actor.name,
                    "x": _r(x),
                    "y": _r(y),
                    "r": 14.0,
                    "fill": "#888888",
                    "ego": actor.is_ego,
                    "roles": [],
                    "cluster": None,
                    "label": {
                        "x": _r(x),
                        "y": _r(y + 30),
                        "size": 13.0,
                        "line_px": 15.0,
                        "anchor": "middle",
                        "lines": [actor.name],
                    },
                    "badges": [],
                    **_attributes(view, actor),
                }
            )
    return {
        "map": {
            "id": view.id,
            "title": view.title,
            "kind": view.kind,
            "read_only": view.read_only,
            "can_undo": bool(view.undo),
            "can_redo": bool(view.redo),
            "counts": view.counts().as_dict(),
        },
        "view_box": [0, _r(top), _r(width), _r(height - top)],
        "font_px": font,
        "nodes": nodes,
        "lines": lines,
        "clusters": len(result.clusters) if result else 0,
        "suggested": [[s.a, s.b] for s in result.suggestions] if result else [],
        "analysis": analysis_reply(result, locale=locale)
        if result is not None and len(view.actors) >= 2
        else None,
        "shapes": {role: SHAPES[role] for role in ROLE_NAMES if role in SHAPES},
        "choices": {
            "kind": list(ACTOR_KINDS),
            "ibarra": list(IBARRA),
            "resources": list(RESOURCES),
            "kltb_step": list(KLTB_STEPS),
            "flows": list(FLOWS),
        },
    }


def warm() -> None:
    """Draw a small map in each language (run once in a fresh worker process): the imports,
    the text templates and the layout's first-call costs are paid before a participant waits."""
    actors = (Actor("Warm", is_ego=True), Actor("Budi"), Actor("Ani"), Actor("Dewi"))
    ties = (TieView("warm", "budi", "strong"), TieView("budi", "ani"), TieView("ani", "dewi"))
    for locale in ("id", "en"):
        scene(MapView(None, "personal", "warm", actors=actors, ties=ties), locale=locale)


def comparison(
    before: Mapping[str, Any], after: Mapping[str, Any] | None, view: MapView, *, locale: str
) -> dict[str, Any]:
    """Two stored analyses of ``view`` (``after`` None: the map as it is now), compared as the
    coach's views compare them (:func:`coaching.compare.compare`): ties and actors that
    appeared or went, the stage's move, the counts and roles side by side. Adds the stage
    names in ``locale`` and, by the keys the scene uses, the actors and ties that appeared and
    are on the map now (the app marks them)."""
    if after is None:
        try:
            after = analyse(view.graph()).to_json_dict()  # as /analisis would store it now
        except GraphError:
            after = {}
    change = compare(before, after)
    out = change.context()
    stages = {change.stage_before, change.stage_after} - {None}
    out["stage_names"] = {
        key: html_to_plain(render(locale, "analysis.stage_name", key=key)) for key in stages
    }
    keys = {a.name: a.key for a in view.actors}
    out["marked_actors"] = sorted(keys[n] for n in change.actors_appeared if n in keys)
    out["marked_ties"] = [
        [keys[a], keys[b]] for a, b in change.ties_appeared if a in keys and b in keys
    ]
    return out


def _attributes(view: MapView, actor: Any) -> dict[str, Any]:
    if actor is None:
        return {"attributes": {}, "kltb": None}
    return {"attributes": actor.attributes(), "kltb": view.kltb_reached(actor.name)}


def _label(block: Any) -> dict[str, Any] | None:
    if block is None:
        return None
    return {
        "x": _r(block.x),
        "y": _r(block.baseline),
        "size": block.size,
        "line_px": _r(block.line_px),
        "anchor": block.anchor,
        "lines": list(block.lines),
    }


def _points(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{_r(x):g},{_r(y):g}" for x, y in points)


def _r(value: float) -> float:
    return round(float(value), 1)


# --- edits ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    """Nothing stored; ``key`` is the chat's message explaining why (``network.*``, ``names.*``)."""

    key: str
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Asked:
    """A typed name that may be an actor already on the map: ask before storing anything."""

    kind: str  # near | ambiguous | same | ego
    typed: str
    candidates: tuple[str, ...]


Planned = ChangeMap | Refused | Asked


def plan_change(
    view: MapView, request: Mapping[str, Any], *, own_names: Sequence[str] = ()
) -> Planned:
    """What the chat would store for this request of the app (``request["op"]``):

    - ``add_actor`` {name, new?}: the chat's resolver first — the participant, an actor already
      on the map or a near miss is asked about (:class:`Asked`) unless ``new`` is true (the
      participant answered "no, a new actor"); an exact match is never added twice;
    - ``update_actor`` {key, attributes}, ``rename_actor`` {key, name}, ``delete_actor`` {key};
    - ``add_tie`` / ``update_tie`` {a, b, strength, direction, flows}, ``delete_tie`` {a, b}:
      "out" runs from ``a`` to ``b``;
    - ``undo`` / ``redo``: the map's history, as ``/urungkan`` and the map's ↪️.
    """
    if view.read_only or view.id is None:
        return Refused("network.read_only")
    kind = str(request.get("op", ""))
    try:
        if kind in ("undo", "redo"):
            return _travel(view, kind)
        ops = _ops(view, kind, request, own_names)
        if isinstance(ops, Refused | Asked):
            return ops
        _, undo = view.apply(ops)
    except EditError as error:
        return Refused(error.key, dict(error.context))
    except (KeyError, TypeError, ValueError):
        return Refused("network.err_bad_tie")
    return ChangeMap(view.id, tuple(ops), undo)


def _travel(view: MapView, how: str) -> Planned:
    steps = view.undo if how == "undo" else view.redo
    if not steps:
        return Refused("network.nothing_to_undo" if how == "undo" else "network.nothing_to_redo")
    ops = tuple(op_from_json(op) for op in steps[-1])
    _, inverse = view.apply(ops)
    assert view.id is not None
    return ChangeMap(view.id, ops, inverse, history=how)


def _ops(
    view: MapView, kind: str, request: Mapping[str, Any], own_names: Sequence[str]
) -> list[Op] | Refused | Asked:
    if kind == "add_actor":
        checked = clean_name(str(request.get("name", "")))
        if checked.value is None:
            return Refused(checked.problem or "names.empty")
        name = checked.value
        ego = view.ego
        found = resolve(
            name,
            [a.name for a in view.others()],
            ego=ego.name if ego else None,
            ego_names=[n for n in own_names if n],
        )
        if found.kind in ("same", "ego"):
            return Asked(found.kind, name, tuple(n for n in (found.name,) if n))
        if found.kind in ("near", "ambiguous") and not request.get("new"):
            return Asked(found.kind, name, found.candidates)
        if view.find(name) is not None:
            return Refused("network.err_actor_exists", {"name": name})
        return [AddActor(name, _checked_attributes(request.get("attributes") or {}))]
    if kind == "update_actor":
        return [UpdateActor(_key(view, request["key"]), _checked_attributes(request["attributes"]))]
    if kind == "rename_actor":
        checked = clean_name(str(request.get("name", "")))
        if checked.value is None:
            return Refused(checked.problem or "names.empty")
        return [RenameActor(_key(view, request["key"]), checked.value)]
    if kind == "delete_actor":
        return [DeleteActor(_key(view, request["key"]))]
    a, b = _name(view, request["a"]), _name(view, request["b"])
    if kind == "delete_tie":
        return [DeleteTie(a, b)]
    strength = request.get("strength")
    direction = str(request.get("direction") or "both")
    flows = tuple(str(f) for f in request.get("flows") or ())
    if kind == "add_tie":
        return [AddTie(a, b, strength, direction, flows)]
    if kind == "update_tie":
        return [UpdateTie(a, b, strength, direction, flows)]
    return Refused("network.err_bad_tie")


def _key(view: MapView, given: Any) -> str:
    return _actor(view, given).key


def _actor(view: MapView, given: Any) -> Actor:
    actor = view.find(str(given))
    if actor is None:
        raise EditError("network.err_unknown_actor", name=str(given)[:80])
    return actor


def _name(view: MapView, given: Any) -> str:
    return _actor(view, given).name


_CHOICES: dict[str, tuple[Any, ...]] = {
    "kind": ACTOR_KINDS,
    "ibarra": IBARRA,
    "inside": (True, False),
}
"""What the card edits, as the chat's card does. The KLTB step is shown, not set here: it is
reached in the chat's Know-Like-Trust-Buy pipeline, in order, with notes (never skipped)."""


def _checked_attributes(given: Mapping[str, Any]) -> dict[str, Any]:
    """The card's fields, each checked against the values the chat offers."""
    out: dict[str, Any] = {}
    for name, value in dict(given).items():
        allowed = _CHOICES.get(name)
        if allowed is not None and value in (None, *allowed):
            out[name] = value
        elif name == "resources" and isinstance(value, list) and set(value) <= set(RESOURCES):
            out[name] = [r for r in RESOURCES if r in value]
        elif name in ("role", "needs") and (value is None or isinstance(value, str)):
            text = " ".join(str(value or "").split())
            if len(text) > (ROLE_MAX if name == "role" else NEEDS_MAX):
                raise EditError("names.long")
            out[name] = text or None
        else:
            raise EditError("network.err_bad_tie")
    return out
