"""The greedy, deterministic pick: the best candidate, added to a working copy of the map, the
candidates again, repeat."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass

import networkx as nx

from coaching.analysis._fast import Indexed, indexed
from coaching.analysis.measures import DENSE_LIMIT, FloatArray
from coaching.analysis.roles import gatekeeper_indices
from coaching.analysis.suggestions.candidates import _best, _candidates, _introducer, _reason
from coaching.analysis.suggestions.view import _View

KINDS: tuple[str, ...] = (
    "connect_fragment",
    "structural_hole",
    "triadic_closure",
    "reach_cluster",
)

REASONS: tuple[str, ...] = (
    "joins_components",
    "removes_cut_points",
    "shortens_paths",
    "adds_tie",
)
"""Why a suggestion ranked where it did: the first of its effects that is non-zero."""


@dataclass(frozen=True)
class Suggestion:
    """One suggested tie between actors ``a`` and ``b`` (nodes of the map).

    ``via`` is who makes the introduction (the participant, or the contact in common), when
    anyone does. ``cut_points_removed`` lists the actors that would stop being cut points.
    """

    a: Hashable
    b: Hashable
    kind: str
    reason: str
    via: Hashable | None
    components_joined: int
    cut_points_removed: tuple[Hashable, ...]
    efficiency_gain: float


def suggest_ties(
    G: nx.Graph,
    ego: Hashable | None = None,
    *,
    limit: int = 3,
    efficiency_limit: int = DENSE_LIMIT,
) -> list[Suggestion]:
    """Suggest up to ``limit`` new ties, best first (see the module docstring).

    Parameters
    ----------
    G : networkx.Graph
        The undirected simple map.
    ego : node, optional
        The participant.
    limit : int
        Most suggestions returned.
    efficiency_limit : int
        Largest map on which efficiency gains are computed.

    Examples
    --------
    >>> G = nx.krackhardt_kite_graph()
    >>> [(s.a, s.b, s.kind, s.reason) for s in suggest_ties(G)]
    [(3, 9, 'structural_hole', 'removes_cut_points')]
    """
    idx = indexed(G)
    alone = None
    if ego is not None:
        H = G.copy()
        H.remove_node(ego)
        alone = indexed(H)
    me = None if ego is None else idx.nodes.index(ego)
    return suggest_indexed(
        idx,
        me,
        alone,
        limit=limit,
        efficiency_limit=efficiency_limit,
        gatekeepers=gatekeeper_indices(idx.adj, me),
    )


def suggest_indexed(
    idx: Indexed,
    ego: int | None,
    alone: Indexed | None,
    *,
    limit: int,
    efficiency_limit: int,
    distances: FloatArray | None = None,
    distances_without_ego: FloatArray | None = None,
    blocks: Sequence[Sequence[int]] | None = None,
    blocks_without_ego: Sequence[Sequence[int]] | None = None,
    gatekeepers: Collection[int] = (),
) -> list[Suggestion]:
    """:func:`suggest_ties` on an indexed map; ``alone`` is the map without ``ego``, indexed.

    Distances and blocks already computed for the analysis may be passed to save work.
    ``gatekeepers`` (indices) never introduce anyone: a suggestion that would go through one
    goes through another contact the two have in common, or is a direct tie. Nor is a new tie
    ever suggested to one: it would strengthen the middleman's role, which the module says to
    remove or redirect (every group holding a gatekeeper holds someone else to tie to: his
    dependents).
    """
    whole = _View(idx.adj, efficiency_limit, distances, blocks)
    whole.avoid = set(gatekeepers)
    to_alone: list[int] = list(range(idx.n))
    if ego is None or alone is None:
        rest = whole
    else:
        rest = _View(alone.adj, efficiency_limit, distances_without_ego, blocks_without_ego)
        position = {v: i for i, v in enumerate(alone.nodes)}
        to_alone = [position.get(v, -1) for v in idx.nodes]
        rest.avoid = {to_alone[g] for g in gatekeepers if to_alone[g] >= 0}
    picked: list[Suggestion] = []
    while len(picked) < limit:
        whole.refresh()
        if rest is not whole:
            rest.refresh()
        best = _best(_candidates(whole, rest, to_alone, ego), whole, rest, to_alone, ego)
        if best is None:
            break
        a, b, kind, via, joined, removed, gain = best
        via = _introducer(whole, a, b, via, ego, {*gatekeepers, *removed})
        picked.append(
            Suggestion(
                a=idx.nodes[a],
                b=idx.nodes[b],
                kind=kind,
                reason=_reason(joined, removed, gain),
                via=None if via is None else idx.nodes[via],
                components_joined=joined,
                cut_points_removed=tuple(idx.nodes[v] for v in removed),
                efficiency_gain=gain,
            )
        )
        whole.add_tie(a, b)
        if rest is not whole and ego not in (a, b):
            rest.add_tie(to_alone[a], to_alone[b])
    return picked
