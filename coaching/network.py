"""A participant's map as plain data, the edits a conversation can make to it, and quick syntax.

The engine sees a map as a :class:`MapView` (loaded by storage), changes it only through
:class:`Op` values (which storage applies to the database), and keeps, for each change, the
ops that undo it. :meth:`MapView.apply` is the pure twin of storage's application: the engine
uses it to validate a change and to show the map as it will be once committed.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import networkx as nx

from coaching.analysis import Tie, build_graph, name_key
from coaching.model import KLTB_STEPS
from coaching.names import NAME_MAX, clean_name
from coaching.validate import normalise

ACTOR_NAME_MAX = NAME_MAX
ACTOR_KINDS = ("person", "group", "organisation")
RESOURCES = ("information", "expertise", "funds", "influence", "access", "other")
IBARRA = ("personal", "operational", "strategic")
FLOWS = ("communication", "information", "problem_solving", "knowledge", "access")
STRENGTH_WORDS = {"kuat": "strong", "strong": "strong", "lemah": "weak", "weak": "weak"}
HISTORY_MAX = 30  # undo steps kept per map (and as many redo steps)
ACTOR_FIELDS = frozenset({"kind", "role", "inside", "resources", "needs", "ibarra", "kltb_step"})


@dataclass(frozen=True)
class Actor:
    name: str
    kind: str | None = None
    role: str | None = None
    inside: bool | None = None
    resources: tuple[str, ...] = ()
    needs: str | None = None
    ibarra: str | None = None
    kltb_step: str | None = None
    is_ego: bool = False

    @property
    def key(self) -> str:
        return name_key(self.name)

    def attributes(self) -> dict[str, Any]:
        return {f: _jsonable(getattr(self, f)) for f in sorted(ACTOR_FIELDS)}


@dataclass(frozen=True)
class TieView:
    """A tie between two actors (by key). ``direction`` "out" means from ``a`` to ``b``."""

    a: str
    b: str
    strength: str | None = None
    direction: str = "both"
    flows: tuple[str, ...] = ()

    def joins(self, x: str, y: str) -> bool:
        return {self.a, self.b} == {x, y}


@dataclass(frozen=True)
class KltbView:
    """One Know-Like-Trust-Buy step with one stakeholder: reached (with notes) or planned."""

    actor: str  # actor key
    step: str
    note: str | None = None
    next_action: str | None = None
    due_at: datetime | None = None
    done_at: datetime | None = None


@dataclass(frozen=True)
class PlannedTie:
    """A tie the participant plans to weave ("merajut jejaring"), maybe with a due date."""

    id: int | None
    a: str  # display names
    b: str
    reason: str | None = None
    due_at: datetime | None = None
    done_at: datetime | None = None
    status: str = "planned"  # planned | done | dropped (coaching/flows/plans.py)
    note: str | None = None  # how it went, in the participant's words
    dropped_at: datetime | None = None
    followup_at: datetime | None = None  # when a nudge asked how it went
    followup_answer: str | None = None  # done | later | dropped

    @property
    def is_open(self) -> bool:
        return self.status == "planned" and self.done_at is None


@dataclass(frozen=True)
class MapCounts:
    """A map's size, defined once: the map page, ``/analisis``, the picture and its caption,
    the coach's views and the exports all count with this.

    ``actors`` and ``ties`` count everyone on the map, the participant included (they are a
    node of their personal map like any other). ``without_ego`` gives the same counts with the
    participant and their ties left out; it says so by ``ego`` (False: nobody was left out).
    """

    actors: int
    ties: int
    ego: bool = False  # the participant is on this map
    actors_without_ego: int = 0
    ties_without_ego: int = 0

    @classmethod
    def of(
        cls, actors: Iterable[str], ties: Iterable[tuple[str, str]], ego: str | None = None
    ) -> MapCounts:
        """Counts from actor keys, tie pairs (by key, either order) and the ego's key."""
        keys = set(actors)
        pairs = {frozenset(pair) for pair in ties if pair[0] != pair[1]}
        keys.update(key for pair in pairs for key in pair)
        has_ego = ego is not None and ego in keys
        return cls(
            actors=len(keys),
            ties=len(pairs),
            ego=has_ego,
            actors_without_ego=len(keys) - (1 if has_ego else 0),
            ties_without_ego=sum(1 for pair in pairs if ego not in pair),
        )

    @classmethod
    def of_graph(cls, graph: nx.Graph) -> MapCounts:
        """Counts of a map built by :func:`coaching.analysis.build_graph` (its ``ego`` key)."""
        return cls.of(graph.nodes, graph.edges, graph.graph.get("ego"))

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# --- edit operations --------------------------------------------------------------------------


@dataclass(frozen=True)
class AddActor:
    name: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    is_ego: bool = False


@dataclass(frozen=True)
class UpdateActor:
    key: str
    attributes: Mapping[str, Any]


@dataclass(frozen=True)
class RenameActor:
    key: str
    name: str


@dataclass(frozen=True)
class DeleteActor:
    key: str


@dataclass(frozen=True)
class AddTie:
    a: str  # actor names or keys; matched by key
    b: str
    strength: str | None = None
    direction: str = "both"
    flows: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeleteTie:
    a: str
    b: str


@dataclass(frozen=True)
class UpdateTie:
    """The tie between ``a`` and ``b`` now has these attributes; "out" runs from ``a`` to ``b``."""

    a: str
    b: str
    strength: str | None = None
    direction: str = "both"
    flows: tuple[str, ...] = ()


Op = AddActor | UpdateActor | RenameActor | DeleteActor | AddTie | DeleteTie | UpdateTie
_OPS: dict[str, type[Op]] = {
    "add_actor": AddActor,
    "update_actor": UpdateActor,
    "rename_actor": RenameActor,
    "delete_actor": DeleteActor,
    "add_tie": AddTie,
    "delete_tie": DeleteTie,
    "update_tie": UpdateTie,
}
_NAMES = {cls: name for name, cls in _OPS.items()}


class EditError(ValueError):
    """A change the map cannot take; ``key`` is the message that explains it."""

    def __init__(self, key: str, **context: Any) -> None:
        super().__init__(key)
        self.key = key
        self.context = context


def op_to_json(op: Op) -> dict[str, Any]:
    body = {k: _jsonable(v) for k, v in dataclasses.asdict(op).items()}
    return {"op": _NAMES[type(op)], **body}


def op_from_json(data: Mapping[str, Any]) -> Op:
    values = dict(data)
    cls = _OPS[str(values.pop("op"))]
    if cls in (AddTie, UpdateTie) and "flows" in values:
        values["flows"] = tuple(values["flows"])
    return cls(**values)


HistoryStep = tuple[Mapping[str, Any], ...]  # one change's ops as JSON (an undo or a redo step)


def next_history(
    undo: Sequence[HistoryStep], redo: Sequence[HistoryStep], how: str, step: HistoryStep
) -> tuple[tuple[HistoryStep, ...], tuple[HistoryStep, ...]]:
    """The map's history after a change: one definition for the engine and for storage.

    ``how`` is "do" (a new change; ``step`` undoes it; the redo steps are gone), "undo" (the
    last undo step was applied; ``step`` re-does it) or "redo" (the last redo step was
    applied; ``step`` undoes it again). At most :data:`HISTORY_MAX` steps are kept each way.
    """
    undo, redo = tuple(undo), tuple(redo)
    if how == "undo":
        return undo[:-1], (*redo, step)[-HISTORY_MAX:]
    if how == "redo":
        return (*undo, step)[-HISTORY_MAX:], redo[:-1]
    if not step:  # a change without ops (the purpose, the title) leaves the history alone
        return undo, redo
    return (*undo, step)[-HISTORY_MAX:], ()


def steps_of(data: Any) -> tuple[HistoryStep, ...]:
    """Stored steps (a list of lists of op dicts) as the view's tuples."""
    return tuple(tuple(dict(op) for op in step) for step in data or ())


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


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def example_view(key: str) -> MapView | None:
    """A bundled example as a read-only map (the module's kite and the Karawang case)."""
    from coaching.examples import EXAMPLES, load_example

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


# --- names and quick syntax -------------------------------------------------------------------


def check_actor_name(text: str) -> tuple[str | None, str | None]:
    """A stakeholder's name: a person, group or organisation ("Dinas PU & PR", "KUD 'Sri'").

    The one validation every name goes through (:func:`coaching.names.clean_name`); the
    problem is a ``names.*`` message key.
    """
    checked = clean_name(text, limit=ACTOR_NAME_MAX)
    return checked.value, checked.problem


_TIE_LINE = re.compile(
    r"^(?P<a>.+?)\s*(?P<arrow><->|->|→|↔)\s*(?P<b>.+?)(?:\s+(?P<s>kuat|lemah|strong|weak))?$"
    r"|^(?P<a2>.+?)\s+(?:-|–|—)\s+(?P<b2>.+?)(?:\s+(?P<s2>kuat|lemah|strong|weak))?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TieLine:
    a: str
    b: str
    strength: str | None
    direction: str


def parse_tie_line(line: str) -> TieLine | None:
    """``Budi - Sari kuat`` (two-way), ``Budi -> Sari`` (one-way); None if it is no tie line."""
    match = _TIE_LINE.match(normalise(line))
    if match is None:
        return None
    if match.group("a") is not None:
        a, b, word, arrow = match.group("a"), match.group("b"), match.group("s"), match["arrow"]
        direction = "out" if arrow in ("->", "→") else "both"
    else:
        a, b, word, direction = match.group("a2"), match.group("b2"), match.group("s2"), "both"
    strength = STRENGTH_WORDS.get(word.lower()) if word else None
    return TieLine(a.strip(), b.strip(), strength, direction)


def tie_lines(text: str) -> list[TieLine] | None:
    """Every non-empty line as a tie line, or None when any line is not one."""
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = [parse_tie_line(line) for line in lines]
    if not parsed or any(p is None for p in parsed):
        return None
    return [p for p in parsed if p is not None]


def ops_for_tie_lines(
    view: MapView, lines: Sequence[TieLine], meant: Mapping[str, str] | None = None
) -> list[Op]:
    """New actors first, then the ties: only the ties the lines name.

    ``meant`` maps a cleaned typed name to the actor it was resolved to (the participant,
    an actor already on the map); an empty answer, or no answer, means a new actor.

    A name first met in a line is not tied to the participant: that tie would change every
    measure of the map, and the participant did not say it (the reply offers it in one tap).
    """
    meant = meant or {}
    ops: list[Op] = []
    known = {a.key for a in view.actors}

    def actor(typed: str) -> str:
        cleaned, problem = check_actor_name(typed)
        if cleaned is None:
            raise EditError(problem or "names.chars", name=typed[:80])
        name = meant.get(cleaned) or cleaned
        if name_key(name) not in known:
            known.add(name_key(name))
            ops.append(AddActor(name))
        return name

    for line in lines:
        a, b = actor(line.a), actor(line.b)
        ops.append(AddTie(a, b, line.strength, line.direction))
    return ops


# --- merging duplicates -------------------------------------------------------------------------


def merge_ops(view: MapView, drop: str, keep: str) -> list[Op]:
    """The ops that merge actor ``drop`` into ``keep``: ties and attributes combined.

    ``keep``'s name stays (the participant always stays, whichever side they are on); its
    empty attributes take ``drop``'s, resources are joined. Each tie of ``drop`` moves to
    ``keep``; where ``keep`` already has that tie, the two are combined (strong if either is,
    what flows in either, two-way if their directions differ). A tie between the two goes.
    :meth:`MapView.apply` gives the undo, as for every change.
    """
    a, b = view.find(drop), view.find(keep)
    if a is None or b is None:
        raise EditError("network.err_unknown_actor", name=drop if a is None else keep)
    if a.key == b.key:
        raise EditError("network.err_merge_self", name=a.name)
    if a.is_ego:
        a, b = b, a
    names = {actor.key: actor.name for actor in view.actors}
    ops: list[Op] = []
    for tie in view.ties:
        if a.key not in (tie.a, tie.b) or b.key in (tie.a, tie.b):
            continue
        other = tie.b if tie.a == a.key else tie.a
        ops.append(DeleteTie(a.name, names[other]))
        # "out" runs from tie.a: keep that orientation with keep in drop's place.
        source, target = (b.name, names[other]) if tie.a == a.key else (names[other], b.name)
        existing = view.tie(b.key, other)
        if existing is None:
            ops.append(AddTie(source, target, tie.strength, tie.direction, tie.flows))
            continue
        strength = (
            "strong"
            if "strong" in (tie.strength, existing.strength)
            else (existing.strength or tie.strength)
        )
        flows = tuple(f for f in FLOWS if f in (*existing.flows, *tie.flows))
        same_way = existing.direction == tie.direction and (
            tie.direction == "both" or names[existing.a] == source
        )
        if same_way:
            e_source, e_target = names[existing.a], names[existing.b]
            ops.append(UpdateTie(e_source, e_target, strength, existing.direction, flows))
        else:
            ops.append(UpdateTie(b.name, names[other], strength, "both", flows))
    filled = {
        f: getattr(a, f)
        for f in ("kind", "role", "inside", "needs", "ibarra", "kltb_step")
        if getattr(b, f) is None and getattr(a, f) is not None
    }
    resources = tuple(r for r in RESOURCES if r in (*b.resources, *a.resources))
    if resources != b.resources:
        filled["resources"] = list(resources)
    if filled:
        ops.append(UpdateActor(b.name, filled))
    ops.append(DeleteActor(a.name))
    return ops
