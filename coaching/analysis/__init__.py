"""Network analysis of a map: pure, deterministic, fast (``ANALYSIS.md``).

>>> from coaching.analysis import Tie, analyse, build_graph
>>> G = build_graph([Tie("Bu Ani", "Pak Budi"), Tie("Pak Budi", "Dinas")])
>>> analyse(G).roles.brokers
('Pak Budi',)

The entry point is :func:`analyse`; the rules live in :mod:`.measures`, :mod:`.roles`,
:mod:`.stages` and :mod:`.suggestions`, the result in :mod:`.result`, CSV input in
:mod:`.csvio`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import networkx as nx

from coaching.analysis import _fast
from coaching.analysis import roles as _roles
from coaching.analysis._fast import Indexed, indexed
from coaching.analysis.graph import (
    Direction,
    DuplicateTieError,
    EmptyNameError,
    GraphError,
    InvalidTieError,
    NameTooLongError,
    SelfTieError,
    Strength,
    Tie,
    UnknownActorError,
    build_graph,
    display_name,
    ego_node,
    name_key,
    simple_graph,
)
from coaching.analysis.measures import (
    DENSE_LIMIT,
    EXACT_LIMIT,
    SAMPLE_SIZE,
    _centralities,
    tie_counts,
)
from coaching.analysis.resources import RESOURCE_KINDS, resource_report
from coaching.analysis.result import (
    Analysis,
    Centrality,
    CoreFit,
    Gatekeeper,
    Need,
    Resources,
    Roles,
    Stage,
    Suggestion,
    WithoutEgo,
)
from coaching.analysis.stages import STAGES, StageReport, stage_of
from coaching.analysis.suggestions import KINDS, REASONS, suggest_indexed

__all__ = [
    "KINDS",
    "REASONS",
    "RESOURCE_KINDS",
    "STAGES",
    "Analysis",
    "Centrality",
    "CoreFit",
    "Direction",
    "DuplicateTieError",
    "EmptyNameError",
    "Gatekeeper",
    "GraphError",
    "InvalidTieError",
    "NameTooLongError",
    "Need",
    "Resources",
    "Roles",
    "SelfTieError",
    "Stage",
    "Strength",
    "Suggestion",
    "Tie",
    "UnknownActorError",
    "WithoutEgo",
    "analyse",
    "build_graph",
    "name_key",
]


def analyse(
    graph: nx.Graph,
    ego: str | None = None,
    *,
    seed: int = 0,
    max_suggestions: int = 3,
    exact_limit: int = EXACT_LIMIT,
    sample_size: int = SAMPLE_SIZE,
) -> Analysis:
    """Analyse a map: size, ties, density, clusters, centralities, roles, stage, suggestions.

    Parameters
    ----------
    graph : networkx.Graph
        The map, normally from :func:`build_graph` (any graph works: directed and multi-graphs
        are reduced to one undirected tie per pair, self-loops are ignored).
    ego : str, optional
        The participant's name; defaults to the graph's ``ego`` attribute. With an ego, the
        stage, clusters and roles are also given for the map without them.
    seed : int
        Seed for the sampled centralities of maps above ``exact_limit`` actors.
    max_suggestions : int
        Most suggested ties.

    Returns
    -------
    Analysis
        Frozen result; ``to_json_dict()`` gives the ``jejaring analyze --json`` object.

    Raises
    ------
    UnknownActorError
        If ``ego`` is given and names no actor.
    """
    G = graph if _is_simple(graph) else simple_graph(graph)
    me = ego_node(G, ego)
    idx = indexed(G)
    names = {node: display_name(G, node) for node in idx.nodes}
    counts = tie_counts(G)
    whole = _Part(idx, names, exact_limit, sample_size, seed)

    without: WithoutEgo | None = None
    alone: Indexed | None = None
    me_at: int | None = None
    if me is not None:
        me_at = idx.nodes.index(me)
        keep = [i for i in range(idx.n) if i != me_at]
        alone = Indexed(tuple(idx.nodes[i] for i in keep), _fast.restrict(idx.adj, keep))
        rest = _Part(alone, names, exact_limit, sample_size, seed)
        without = WithoutEgo(
            ego=names[me],
            actors=alone.n,
            ties=alone.m,
            components=rest.components,
            clusters=rest.clusters,
            roles=rest.roles,
            stage=rest.stage,
            cut_points=rest.cut_points,
            pieces=rest.pieces,
        )
    keepers = _roles.gatekeeper_indices(idx.adj, me_at)
    picked = suggest_indexed(
        idx,
        me_at,
        alone,
        limit=max_suggestions,
        efficiency_limit=DENSE_LIMIT,
        distances=whole.distances,
        distances_without_ego=None if me is None else rest.distances,
        blocks=whole.blocks,
        blocks_without_ego=None if me is None else rest.blocks,
        gatekeepers=keepers,
    )
    suggestions = tuple(
        Suggestion(
            a=names[s.a],
            b=names[s.b],
            kind=s.kind,
            reason=s.reason,
            via=None if s.via is None else names[s.via],
            components_joined=s.components_joined,
            cut_points_removed=tuple(names[v] for v in s.cut_points_removed),
            efficiency_gain=s.efficiency_gain,
        )
        for s in picked
    )
    central = whole.central
    shown = [names[v] for v in idx.nodes]
    return Analysis(
        actors=idx.n,
        ties=counts.ties,
        strong_ties=counts.strong,
        weak_ties=counts.weak,
        density=0.0 if idx.n < 2 else counts.ties / (idx.n * (idx.n - 1) / 2),
        components=whole.components,
        clusters=whole.clusters,
        centrality=Centrality(
            degree={names[v]: central.degree[v] for v in idx.nodes},
            betweenness={names[v]: central.betweenness[v] for v in idx.nodes},
            closeness={names[v]: central.closeness[v] for v in idx.nodes},
            core_number=dict(zip(shown, whole.core, strict=True)),
        ),
        roles=whole.roles,
        stage=whole.stage,
        without_ego=without,
        suggestions=suggestions,
        ego=None if me is None else names[me],
        one_way_ties=counts.one_way,
        cut_points=whole.cut_points,
        bridges=tuple((shown[a], shown[b]) for a, b in whole.bridges),
        tie_list=tuple((shown[a], shown[b]) for a in range(idx.n) for b in idx.adj[a] if a < b),
        approximate=central.approximate,
        sampled_sources=central.sampled_sources,
        gatekeepers=tuple(
            Gatekeeper(shown[g], tuple(shown[d] for d in keepers[g])) for g in sorted(keepers)
        ),
        resources=_resources(graph, idx, names),
        pieces=whole.pieces,
    )


def _resources(graph: nx.Graph, idx: Indexed, names: Mapping[Hashable, str]) -> Resources:
    """Step 4b from the nodes' ``resources`` and ``needs`` attributes."""
    report = resource_report(idx.nodes, graph.nodes)
    return Resources(
        holders=tuple((k, tuple(names[v] for v in vs)) for k, vs in report.holders),
        unheld=report.unheld,
        needs=tuple(
            Need(names[n.actor], n.need, n.kinds, tuple(names[v] for v in n.met_by))
            for n in report.needs
        ),
    )


class _Part:
    """Measures, roles, clusters and stage of one indexed graph (the map, or the map without
    the participant), with display names."""

    def __init__(
        self,
        idx: Indexed,
        names: Mapping[Hashable, str],
        exact_limit: int,
        sample_size: int,
        seed: int,
    ) -> None:
        shown = [names[v] for v in idx.nodes]
        self.core = _fast.core_numbers(idx.adj)
        self.blocks = block_list = _fast.biconnected(idx.adj)
        self.central, self.distances = _centralities(
            idx, exact_limit, sample_size, seed, want_distances=True
        )
        parts = _fast.components(idx.adj)
        self.components = len(parts)
        self.pieces = tuple(tuple(shown[v] for v in p) for p in parts)
        self.clusters = tuple(
            tuple(shown[v] for v in c) for c in _fast.shell_clusters(idx.adj, self.core)
        )
        self.cut_points = tuple(shown[v] for v in _fast.cut_points_of(block_list, idx.n))
        self.bridges = _fast.bridges_of(block_list)
        degree = idx.degree()
        hubs = _roles.hub_indices(degree)
        brokers = _roles.top_indices([self.central.betweenness[v] for v in idx.nodes])
        self.roles = Roles(
            hubs=tuple(shown[i] for i in hubs),
            brokers=tuple(shown[i] for i in brokers),
            closest=tuple(
                shown[i] for i in _roles.top_indices([self.central.closeness[v] for v in idx.nodes])
            ),
            boundary_spanners=tuple(shown[i] for i in _roles.spanner_indices(idx.adj, self.core)),
            peripheral=tuple(
                shown[i] for i in _roles.peripheral_indices(self.core, exclude={*hubs, *brokers})
            ),
        )
        self.stage = _stage(stage_of(idx, self.core), names)


def _is_simple(G: nx.Graph) -> bool:
    """Already an undirected simple graph (as :func:`build_graph` makes): use it as is."""
    return not G.is_directed() and not G.is_multigraph() and not any(u in G[u] for u in G)


def _stage(report: StageReport, names: Mapping[Hashable, str]) -> Stage:
    return Stage(
        key=report.key,
        flags=report.flags,
        nearest=report.nearest,
        satellites=tuple(tuple(names[v] for v in s) for s in report.satellites),
        components=report.components,
        largest_share=report.largest_share,
        centralisation=report.centralisation,
        degree_ratio=report.degree_ratio,
        highest_degree=report.highest_degree,
        hubs=tuple(names[v] for v in report.hubs),
        core=CoreFit(
            members=tuple(names[v] for v in report.core.core),
            fit=report.core.fit,
            density=report.core.density,
        ),
    )
