"""Building the network graph from plain data.

Actors are matched by a *name key* that ignores case, spacing and diacritics ("pak budi",
"Pak  Budi" and "Pák Budi" are one actor); the first spelling seen is the one displayed. Ties
carry a strength (``"strong"``, ``"weak"`` or ``None`` when unknown) and a direction (``"both"``
or ``"out"``, one-way from ``source`` to ``target``). The result is an undirected simple
:class:`networkx.Graph`: structural measures use one tie per pair (see ``ANALYSIS.md``), and the
direction of a one-way tie is kept as the edge attribute ``origin``.

Node attributes: ``name`` (display name), and whatever ``attributes`` gives (``resources``,
``needs``). Edge attributes: ``strength``, ``direction``,
``origin`` (the node a one-way tie starts from, else ``None``). Graph attribute: ``ego`` (the
participant's node, or ``None``).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx

from coaching.names import name_key  # the one identity key of an actor name (re-exported)

__all__ = [
    "MAX_NAME_LENGTH",
    "Direction",
    "DuplicateTieError",
    "EmptyNameError",
    "GraphError",
    "InvalidTieError",
    "NameTooLongError",
    "SelfTieError",
    "Strength",
    "Tie",
    "UnknownActorError",
    "build_graph",
    "display_name",
    "ego_node",
    "find_actor",
    "name_key",
    "name_order",
    "simple_graph",
    "sort_key",
]

Strength = Literal["strong", "weak"]
Direction = Literal["both", "out"]

MAX_NAME_LENGTH = 100
"""Longest actor name accepted (characters, after trimming)."""


class GraphError(nx.NetworkXException):  # type: ignore[misc]
    """A map cannot be built as given.

    ``key`` names the message template (``coaching.text.render(locale, key, **context)``) and
    ``context`` holds the values it needs, so callers can tell the user exactly what to fix.
    """

    key = "analysis.error_graph"

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.context: dict[str, Any] = context


class EmptyNameError(GraphError):
    """An actor's name is empty (or only spaces)."""

    key = "analysis.error_empty_name"


class NameTooLongError(GraphError):
    """An actor's name is longer than :data:`MAX_NAME_LENGTH`."""

    key = "analysis.error_name_too_long"


class SelfTieError(GraphError):
    """A tie from an actor to the same actor (self-ties are refused)."""

    key = "analysis.error_self_tie"


class DuplicateTieError(GraphError):
    """A second tie between the same two actors (one tie per pair)."""

    key = "analysis.error_duplicate_tie"


class InvalidTieError(GraphError):
    """A tie with a strength or direction outside the allowed values."""

    key = "analysis.error_invalid_tie"


class UnknownActorError(GraphError):
    """A name (for example the ego) that matches no actor of the map."""

    key = "analysis.error_unknown_actor"


@dataclass(frozen=True)
class Tie:
    """One tie as the participant gave it."""

    source: str
    target: str
    strength: Strength | None = None
    direction: Direction = "both"


def build_graph(
    ties: Iterable[Tie],
    *,
    actors: Iterable[str] = (),
    ego: str | None = None,
    attributes: Mapping[str, Mapping[str, Any]] | None = None,
) -> nx.Graph:
    """Build the map from actor names and ties.

    Parameters
    ----------
    ties : iterable of Tie
        The ties. Each pair of actors may be tied once (in either direction).
    actors : iterable of str, optional
        Actors to include even without ties, in the order their spelling should win.
    ego : str, optional
        The participant's own name for a personal map; added as an actor if missing (a
        spelling already in ``actors`` or ``ties`` wins).
    attributes : mapping, optional
        Extra node attributes by actor name (``resources`` and ``needs`` for mapping step
        4b, see :mod:`.resources`); ``name`` is never overwritten.

    Returns
    -------
    networkx.Graph
        Nodes keyed by :func:`name_key`, with the attributes described in the module docstring.

    Raises
    ------
    EmptyNameError, NameTooLongError, SelfTieError, DuplicateTieError, InvalidTieError
        With ``context`` naming the offending actors.

    Examples
    --------
    >>> G = build_graph([Tie("Pak Budi", "Bu Ani"), Tie("pak  budi", "Dinas")])
    >>> sorted(G.nodes[n]["name"] for n in G)
    ['Bu Ani', 'Dinas', 'Pak Budi']
    """
    G = nx.Graph()
    G.graph["ego"] = None
    for name in actors:
        _add_actor(G, name)
    for tie in ties:
        if tie.strength not in (None, "strong", "weak"):
            raise InvalidTieError(
                f"strength must be strong, weak or empty, not {tie.strength!r}",
                field="strength",
                value=str(tie.strength),
            )
        if tie.direction not in ("both", "out"):
            raise InvalidTieError(
                f"direction must be both or out, not {tie.direction!r}",
                field="direction",
                value=str(tie.direction),
            )
        u = _add_actor(G, tie.source)
        v = _add_actor(G, tie.target)
        if u == v:
            raise SelfTieError(f"a tie from {tie.source!r} to itself", name=G.nodes[u]["name"])
        if G.has_edge(u, v):
            raise DuplicateTieError(
                f"the tie {G.nodes[u]['name']!r} – {G.nodes[v]['name']!r} is given twice",
                a=G.nodes[u]["name"],
                b=G.nodes[v]["name"],
            )
        G.add_edge(
            u,
            v,
            strength=tie.strength,
            direction=tie.direction,
            origin=u if tie.direction == "out" else None,
        )
    if ego is not None:
        G.graph["ego"] = _add_actor(G, ego)
    for name, extra in (attributes or {}).items():
        G.nodes[_add_actor(G, name)].update((k, v) for k, v in extra.items() if k != "name")
    return G


def display_name(G: nx.Graph, node: Hashable) -> str:
    """The name shown for ``node``: its ``name`` attribute, else ``str(node)``."""
    name = G.nodes[node].get("name")
    return name if isinstance(name, str) else str(node)


def sort_key(name: str) -> tuple[str, str]:
    """Order names the way people read a list: by matching key, then spelling."""
    return (name_key(name), name)


def name_order(G: nx.Graph) -> list[Hashable]:
    """The nodes of ``G`` sorted by display name (deterministic whatever the input order)."""
    keyed = []
    for node, name in G.nodes(data="name"):
        shown = name if isinstance(name, str) else str(node)
        keyed.append((name_key(shown), shown, str(node), node))
    keyed.sort(key=lambda t: t[:3])
    return [t[3] for t in keyed]


def find_actor(G: nx.Graph, name: str) -> Hashable | None:
    """The node whose name matches ``name`` (by :func:`name_key`), or ``None``."""
    key = name_key(name)
    if key in G and name_key(display_name(G, key)) == key:
        return key
    for node in name_order(G):
        if name_key(display_name(G, node)) == key:
            return node
    return None


def ego_node(G: nx.Graph, ego: str | None = None) -> Hashable | None:
    """Resolve the participant: ``ego`` by name when given, else the graph's ``ego``.

    Raises
    ------
    UnknownActorError
        If ``ego`` is given and matches no actor.
    """
    if ego is not None:
        node = find_actor(G, ego)
        if node is None:
            raise UnknownActorError(f"no actor named {ego!r} in the map", name=ego)
        return node
    node = G.graph.get("ego")
    return node if node is not None and node in G else None


def simple_graph(G: nx.Graph) -> nx.Graph:
    """The undirected simple graph the measures use, keeping display names and tie data.

    A directed graph becomes one tie per pair (``direction="both"`` when both arcs exist, else
    ``"out"`` with its ``origin``); parallel ties collapse; self-loops are dropped. A graph made
    by :func:`build_graph` is returned as a shallow copy.
    """
    H = nx.Graph()
    H.graph.update(G.graph)
    for node in G:
        H.add_node(node, name=display_name(G, node))
    directed = G.is_directed()
    for u, v, data in G.edges(data=True):
        if u == v:
            continue
        strength = data.get("strength")
        if strength not in ("strong", "weak"):
            strength = None
        if H.has_edge(u, v):
            if directed and H.edges[u, v]["origin"] == v:
                H.edges[u, v].update(direction="both", origin=None)
            if H.edges[u, v]["strength"] is None:
                H.edges[u, v]["strength"] = strength
            continue
        if directed:
            direction, origin = "out", u
        else:
            direction = "out" if data.get("direction") == "out" else "both"
            origin = data.get("origin", u) if direction == "out" else None
            if origin not in (u, v):
                origin = u
        H.add_edge(u, v, strength=strength, direction=direction, origin=origin)
    return H


# ---------------------------------------------------------------------------- helpers


def _add_actor(G: nx.Graph, name: str) -> str:
    if not isinstance(name, str):
        raise EmptyNameError("actor names must be text", name=str(name))
    shown = " ".join(name.split())
    key = name_key(shown)
    if not key:
        raise EmptyNameError("an actor's name is empty", name=name)
    if len(shown) > MAX_NAME_LENGTH:
        raise NameTooLongError(
            f"the name {shown[:20]!r}… is longer than {MAX_NAME_LENGTH} characters",
            name=shown[:MAX_NAME_LENGTH],
            limit=MAX_NAME_LENGTH,
        )
    if key not in G:
        G.add_node(key, name=shown)
    return key
