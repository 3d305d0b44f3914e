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

from collections.abc import Hashable, Mapping, Sequence

import networkx as nx

from coaching.analysis import roles as _roles
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
    name_order,
    simple_graph,
    sort_key,
)
from coaching.analysis.measures import (
    EXACT_LIMIT,
    SAMPLE_SIZE,
    FloatArray,
    _centralities,
    blocks,
    bridges,
    clusters,
    components,
    core_numbers,
    cut_points,
    density,
    tie_counts,
)
from coaching.analysis.result import (
    Analysis,
    Centrality,
    CoreFit,
    Roles,
    Stage,
    Suggestion,
    WithoutEgo,
)
from coaching.analysis.stages import STAGES, StageReport, classify_stage
from coaching.analysis.suggestions import KINDS, REASONS, _suggest

__all__ = [
    "KINDS",
    "REASONS",
    "STAGES",
    "Analysis",
    "Centrality",
    "CoreFit",
    "Direction",
    "DuplicateTieError",
    "EmptyNameError",
    "GraphError",
    "InvalidTieError",
    "NameTooLongError",
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
    max_suggestions: int = 5,
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
    G = simple_graph(graph)
    me = ego_node(G, ego)
    names = {node: display_name(G, node) for node in G}
    counts = tie_counts(G)
    block_list = blocks(G)
    core = core_numbers(G)
    central, dist = _centralities(G, exact_limit, sample_size, seed, want_distances=True)
    view = _view(G, names, core, central.degree, central.betweenness, central.closeness, block_list)

    without: WithoutEgo | None = None
    dist_alone: FloatArray | None = None
    if me is not None:
        H = G.copy()
        H.remove_node(me)
        core_h = core_numbers(H)
        central_h, dist_alone = _centralities(
            H, exact_limit, sample_size, seed, want_distances=True
        )
        view_h = _view(
            H, names, core_h, central_h.degree, central_h.betweenness, central_h.closeness
        )
        without = WithoutEgo(
            ego=names[me],
            actors=H.number_of_nodes(),
            ties=H.number_of_edges(),
            components=len(components(H)),
            clusters=view_h.clusters,
            roles=view_h.roles,
            stage=view_h.stage,
            cut_points=view_h.cut_points,
        )

    picked = _suggest(
        G,
        me,
        limit=max_suggestions,
        efficiency_limit=len(G) if dist is not None else 0,
        distances=dist,
        distances_without_ego=dist_alone,
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
    order = {node: i for i, node in enumerate(name_order(G))}
    pairs = sorted(
        (tuple(sorted((u, v), key=order.__getitem__)) for u, v in G.edges()),
        key=lambda p: (order[p[0]], order[p[1]]),
    )
    return Analysis(
        actors=G.number_of_nodes(),
        ties=counts.ties,
        strong_ties=counts.strong,
        weak_ties=counts.weak,
        density=density(G),
        components=len(components(G)),
        clusters=view.clusters,
        centrality=Centrality(
            degree={names[v]: central.degree[v] for v in order},
            betweenness={names[v]: central.betweenness[v] for v in order},
            closeness={names[v]: central.closeness[v] for v in order},
            core_number={names[v]: core[v] for v in order},
        ),
        roles=view.roles,
        stage=view.stage,
        without_ego=without,
        suggestions=suggestions,
        ego=None if me is None else names[me],
        one_way_ties=counts.one_way,
        cut_points=view.cut_points,
        bridges=tuple((names[u], names[v]) for u, v in bridges(G, block_list=block_list)),
        tie_list=tuple((names[u], names[v]) for u, v in pairs),
        approximate=central.approximate,
        sampled_sources=central.sampled_sources,
    )


class _View:
    """Names-level roles, clusters, stage and cut points of one graph."""

    def __init__(
        self,
        clusters: tuple[tuple[str, ...], ...],
        roles: Roles,
        stage: Stage,
        cut_points: tuple[str, ...],
    ) -> None:
        self.clusters = clusters
        self.roles = roles
        self.stage = stage
        self.cut_points = cut_points


def _view(
    G: nx.Graph,
    names: Mapping[Hashable, str],
    core: dict[Hashable, int],
    degree: dict[Hashable, int],
    betweenness: dict[Hashable, float],
    closeness: dict[Hashable, float],
    block_list: Sequence[set[Hashable]] | None = None,
) -> _View:
    def named(nodes: Sequence[Hashable]) -> tuple[str, ...]:
        return tuple(names[v] for v in nodes)

    roles = Roles(
        hubs=named(_roles.hubs(G, degree=degree)),
        brokers=named(_roles.brokers(G, betweenness)),
        closest=named(_roles.closest(G, closeness)),
        boundary_spanners=named(_roles.boundary_spanners(G, core_number=core)),
        peripheral=named(_roles.peripheral(G, core_number=core)),
    )
    return _View(
        clusters=tuple(named(c) for c in clusters(G, core_number=core)),
        roles=roles,
        stage=_stage(classify_stage(G, core_number=core), names),
        cut_points=named(cut_points(G, block_list=block_list)),
    )


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


# keep the re-exported helpers visible to type checkers and readers
_ = (sort_key, Direction, Strength)
