"""A map as the engine sees it (:class:`MapView`) and the pure twin of storage's application of an
edit."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import networkx as nx

from coaching.analysis import Tie, build_graph, name_key
from coaching.examples import EXAMPLES, load_example
from coaching.model import KLTB_STEPS
from coaching.network.data import (
    ACTOR_FIELDS,
    FLOWS,
    Actor,
    KltbView,
    MapCounts,
    PlannedTie,
    TieView,
    _jsonable,
)
from coaching.network.ops import (
    AddActor,
    AddTie,
    DeleteActor,
    DeleteTie,
    EditError,
    HistoryStep,
    Op,
    RenameActor,
    UpdateActor,
    UpdateTie,
)


@dataclass(frozen=True)
class MapView:
    """One map: a personal network (with the participant as ego), a case map, or an example."""

    id: int | None
    kind: str  # personal | case | example
    title: str
    purpose: str | None = None
    actors: tuple[Actor, ...] = ()
    ties: tuple[TieView, ...] = ()
    undo: tuple[HistoryStep, ...] = ()  # the map's history: what undoes each change, latest last
    redo: tuple[HistoryStep, ...] = ()  # what re-does each undone change, latest last
    example: str | None = None
    kltb: tuple[KltbView, ...] = ()
    planned: tuple[PlannedTie, ...] = ()
    stages: tuple[
        tuple[datetime, str], ...
    ] = ()  # (analysed at, Krebs & Holley stage), oldest first

    def kltb_of(self, name: str) -> dict[str, KltbView]:
        """The stakeholder's KLTB steps by step name."""
        key = name_key(name)
        return {k.step: k for k in self.kltb if k.actor == key}

    def kltb_reached(self, name: str) -> str | None:
        """The furthest step reached with the stakeholder (the pipeline is walked in order)."""
        steps = self.kltb_of(name)
        reached = [s for s in KLTB_STEPS if s in steps and steps[s].done_at is not None]
        return reached[-1] if reached else None

    @property
    def read_only(self) -> bool:
        return self.kind == "example"

    @property
    def ego(self) -> Actor | None:
        return next((a for a in self.actors if a.is_ego), None)

    def find(self, name: str) -> Actor | None:
        key = name_key(name)
        return next((a for a in self.actors if a.key == key), None)

    def near(self, name: str) -> Actor | None:
        """The existing actor a typed name probably meant ("pak budy" → "Pak Budi").

        A typo changes letters inside a word; "Pemangku A" and "Pemangku B" differ by a
        whole short word and are two actors, not a near miss.
        """
        key = name_key(name)
        matches = [a for a in self.others() if a.key != key and _typo_of(key, a.key)]
        return matches[0] if matches else None

    def counts(self) -> MapCounts:
        """How many actors and ties, with and without the participant (one definition)."""
        ego = self.ego
        return MapCounts.of(
            (a.key for a in self.actors), ((t.a, t.b) for t in self.ties), ego.key if ego else None
        )

    def others(self) -> tuple[Actor, ...]:
        """Actors other than the participant, in a stable, readable order."""
        return tuple(sorted((a for a in self.actors if not a.is_ego), key=lambda a: a.key))

    def tie(self, x: str, y: str) -> TieView | None:
        kx, ky = name_key(x), name_key(y)
        return next((t for t in self.ties if t.joins(kx, ky)), None)

    def neighbours(self, name: str) -> set[str]:
        key = name_key(name)
        return {t.b if t.a == key else t.a for t in self.ties if key in (t.a, t.b)}

    def picture(self, locale: str) -> dict[str, Any]:
        """The attachment that draws this map (rendered off the event loop when sent)."""
        names = {a.key: a.name for a in self.actors}
        return {
            "type": "map",
            "actors": [a.name for a in self.actors],
            "ties": [[names[t.a], names[t.b], t.strength, t.direction] for t in self.ties],
            "ego": self.ego.name if self.ego else None,
            "locale": locale,
        }

    def graph(self) -> nx.Graph:
        names = {a.key: a.name for a in self.actors}
        ties = [
            Tie(names[t.a], names[t.b], t.strength, t.direction)  # type: ignore[arg-type]
            for t in self.ties
        ]
        ego = self.ego.name if self.ego else None
        # steps 2b/2c ride along for the analysis's step 4b (who holds what the purpose needs)
        extra = {
            a.name: {"resources": a.resources, "needs": a.needs}
            for a in self.actors
            if a.resources or a.needs
        }
        return build_graph(ties, actors=[a.name for a in self.actors], ego=ego, attributes=extra)

    def apply(self, ops: Iterable[Op]) -> tuple[MapView, tuple[Op, ...]]:
        """The map after ``ops``, and the ops that undo them (in the order to apply them).

        Raises :class:`EditError` for anything the map cannot take: the conversation then
        explains it and nothing is stored.
        """
        actors = {a.key: a for a in self.actors}
        ties = {frozenset((t.a, t.b)): t for t in self.ties}
        undo: list[Op] = []
        for op in ops:
            undo[:0] = _apply_one(op, actors, ties)
        view = dataclasses.replace(
            self,
            actors=tuple(actors.values()),
            ties=tuple(sorted(ties.values(), key=lambda t: (t.a, t.b))),
        )
        return view, tuple(undo)


def _apply_one(op: Op, actors: dict[str, Actor], ties: dict[frozenset[str], TieView]) -> list[Op]:
    if isinstance(op, AddActor):
        key = name_key(op.name)
        if key in actors:
            raise EditError("network.err_actor_exists", name=actors[key].name)
        actors[key] = Actor(op.name, is_ego=op.is_ego, **_actor_fields(op.attributes))
        return [DeleteActor(key)]
    if isinstance(op, UpdateActor):
        actor = _actor(actors, op.key)
        before = {k: _jsonable(getattr(actor, k)) for k in op.attributes}
        actors[actor.key] = dataclasses.replace(actor, **_actor_fields(op.attributes))
        return [UpdateActor(actor.key, before)]
    if isinstance(op, RenameActor):
        actor = _actor(actors, op.key)
        new_key = name_key(op.name)
        if new_key != actor.key and new_key in actors:
            raise EditError("network.err_actor_exists", name=actors[new_key].name)
        del actors[actor.key]
        actors[new_key] = dataclasses.replace(actor, name=op.name)
        for pair, tie in list(ties.items()):
            if actor.key in pair:
                del ties[pair]
                moved = dataclasses.replace(
                    tie,
                    a=new_key if tie.a == actor.key else tie.a,
                    b=new_key if tie.b == actor.key else tie.b,
                )
                ties[frozenset((moved.a, moved.b))] = moved
        return [RenameActor(new_key, actor.name)]
    if isinstance(op, DeleteActor):
        actor = _actor(actors, op.key)
        if actor.is_ego:
            raise EditError("network.err_delete_ego")
        restore: list[Op] = [AddActor(actor.name, actor.attributes(), actor.is_ego)]
        for pair, tie in sorted(ties.items(), key=lambda item: (item[1].a, item[1].b)):
            if actor.key in pair:
                del ties[pair]
                restore.append(_add_tie_of(tie, actors))
        del actors[actor.key]
        return restore
    if isinstance(op, AddTie):
        a, b = _actor(actors, op.a), _actor(actors, op.b)
        if a.key == b.key:
            raise EditError("network.err_self_tie", name=a.name)
        pair = frozenset((a.key, b.key))
        if pair in ties:
            raise EditError("network.err_tie_exists", a=a.name, b=b.name)
        if op.strength not in (None, "strong", "weak") or op.direction not in ("both", "out"):
            raise EditError("network.err_bad_tie")
        ties[pair] = TieView(a.key, b.key, op.strength, op.direction, tuple(op.flows))
        return [DeleteTie(a.key, b.key)]
    a, b = _actor(actors, op.a), _actor(actors, op.b)
    pair = frozenset((a.key, b.key))
    if pair not in ties:
        raise EditError("network.err_no_tie", a=a.name, b=b.name)
    if isinstance(op, UpdateTie):
        if op.strength not in (None, "strong", "weak") or op.direction not in ("both", "out"):
            raise EditError("network.err_bad_tie")
        if set(op.flows) - set(FLOWS):
            raise EditError("network.err_bad_tie")
        was = _add_tie_of(ties[pair], actors)
        ties[pair] = TieView(a.key, b.key, op.strength, op.direction, tuple(op.flows))
        return [UpdateTie(was.a, was.b, was.strength, was.direction, was.flows)]
    removed = ties.pop(pair)
    return [_add_tie_of(removed, actors)]


def _typo_of(typed: str, known: str) -> bool:
    words, known_words = typed.split(), known.split()
    if len(words) != len(known_words):  # a missing or extra space: "pakbudi"
        return (
            difflib.SequenceMatcher(None, typed.replace(" ", ""), known.replace(" ", "")).ratio()
            >= 0.9
        )
    differing = [(a, b) for a, b in zip(words, known_words, strict=True) if a != b]
    if len(differing) != 1:
        return False
    a, b = differing[0]
    return min(len(a), len(b)) >= 4 and difflib.SequenceMatcher(None, a, b).ratio() >= 0.75


def _add_tie_of(tie: TieView, actors: Mapping[str, Actor]) -> AddTie:
    return AddTie(actors[tie.a].name, actors[tie.b].name, tie.strength, tie.direction, tie.flows)


def _actor(actors: Mapping[str, Actor], name: str) -> Actor:
    actor = actors.get(name_key(name))
    if actor is None:
        raise EditError("network.err_unknown_actor", name=name)
    return actor


def _actor_fields(attributes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(attributes) - ACTOR_FIELDS
    if unknown:
        raise EditError("network.err_bad_tie")
    fields = dict(attributes)
    if "resources" in fields:
        fields["resources"] = tuple(fields["resources"] or ())
    return fields


def example_view(key: str) -> MapView | None:
    """A bundled example as a read-only map (the module's kite and the Karawang case)."""
    if key not in EXAMPLES:
        return None
    graph = load_example(key)
    actors = tuple(
        Actor(graph.nodes[n]["name"], role=graph.nodes[n].get("role")) for n in sorted(graph.nodes)
    )
    ties = []
    for u, v, data in sorted(graph.edges(data=True)):
        a, b = (u, v) if data.get("origin") in (None, u) else (v, u)
        ties.append(
            TieView(
                name_key(graph.nodes[a]["name"]),
                name_key(graph.nodes[b]["name"]),
                data.get("strength"),
                data.get("direction") or "both",
            )
        )
    return MapView(None, "example", key, actors=actors, ties=tuple(ties), example=key)
