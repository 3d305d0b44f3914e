"""Property tests on random maps: the builder refuses exactly what it should, and the analysis
never raises on a valid map, is deterministic and agrees with its own measures."""

from __future__ import annotations

import json
import math
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coaching.analysis import (
    STAGES,
    Analysis,
    DuplicateTieError,
    SelfTieError,
    Tie,
    analyse,
    build_graph,
    name_key,
)
from coaching.analysis.roles import hub_threshold

NAMES = ["Ani", "ani", "Áni", "Budi", "BUDI", "Citra", "Dedi", "Eka", "Fajar", "Gita", "Hadi"]
PLAIN = [f"Aktor {i}" for i in range(14)]

ties = st.builds(
    Tie,
    st.sampled_from(NAMES),
    st.sampled_from(NAMES),
    st.sampled_from([None, "strong", "weak"]),
    st.sampled_from(["both", "out"]),
)

PROFILE = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROFILE
@given(st.lists(ties, max_size=25), st.lists(st.sampled_from(NAMES), max_size=4))
def test_builder_refuses_exactly_self_and_duplicate_ties(
    given_ties: list[Tie], actors: list[str]
) -> None:
    seen: set[frozenset[str]] = set()
    expected: type[Exception] | None = None
    for tie in given_ties:
        a, b = name_key(tie.source), name_key(tie.target)
        if a == b:
            expected = SelfTieError
            break
        if frozenset((a, b)) in seen:
            expected = DuplicateTieError
            break
        seen.add(frozenset((a, b)))
    if expected is not None:
        with pytest.raises(expected):
            build_graph(given_ties, actors=actors)
        return
    G = build_graph(given_ties, actors=actors)
    assert G.number_of_edges() == len(given_ties)
    _check(G, analyse(G))


graphs = st.integers(min_value=0, max_value=14).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.tuples(st.integers(0, max(n - 1, 0)), st.integers(0, max(n - 1, 0))),
            max_size=40,
        ),
    )
)


def _plain_graph(spec: tuple[int, list[tuple[int, int]]]) -> nx.Graph:
    n, pairs = spec
    G = nx.Graph()
    for i in range(n):
        G.add_node(f"aktor {i}", name=PLAIN[i])
    for a, b in pairs:
        if a != b and n:
            G.add_edge(f"aktor {a}", f"aktor {b}")
    return G


@PROFILE
@given(graphs, st.data())
def test_analysis_of_any_map_is_consistent(spec: Any, data: st.DataObject) -> None:
    G = _plain_graph(spec)
    ego = None
    if len(G) and data.draw(st.booleans()):
        ego = PLAIN[data.draw(st.integers(0, len(G) - 1))]
    result = analyse(G, ego=ego)
    _check(G, result)
    again = analyse(G, ego=ego)
    assert json.dumps(again.to_json_dict()) == json.dumps(result.to_json_dict())
    if ego is not None:
        assert result.without_ego is not None
        assert result.without_ego.actors == len(G) - 1


@PROFILE
@given(graphs, st.randoms(use_true_random=False))
def test_input_order_never_changes_the_result(spec: Any, rng: Any) -> None:
    G = _plain_graph(spec)
    nodes = list(G.nodes(data=True))
    edges = list(G.edges())
    rng.shuffle(nodes)
    rng.shuffle(edges)
    H = nx.Graph()
    H.add_nodes_from(nodes)
    H.add_edges_from((v, u) if rng.random() < 0.5 else (u, v) for u, v in edges)
    assert json.dumps(analyse(H).to_json_dict()) == json.dumps(analyse(G).to_json_dict())


def _check(G: nx.Graph, result: Analysis) -> None:
    """Everything the result says agrees with networkx and with the role rules."""
    names = {v: G.nodes[v].get("name", str(v)) for v in G}
    by_name = {name: v for v, name in names.items()}
    assert result.actors == len(G)
    assert result.ties == G.number_of_edges()
    assert 0.0 <= result.density <= 1.0
    assert result.components == nx.number_connected_components(G)
    c = result.centrality
    core = nx.core_number(G)
    betweenness = nx.betweenness_centrality(G)
    closeness = nx.closeness_centrality(G)
    for v, name in names.items():
        assert c.degree[name] == G.degree(v)
        assert c.core_number[name] == core[v]
        assert math.isclose(c.betweenness[name], betweenness[v], abs_tol=1e-9)
        assert math.isclose(c.closeness[name], closeness[v], abs_tol=1e-9)
    roles = result.roles
    threshold = hub_threshold(c.degree)
    assert set(roles.hubs) == {n for n, d in c.degree.items() if d >= threshold}
    assert all(c.degree[n] >= 3 for n in roles.hubs)
    top_b = max(c.betweenness.values(), default=0.0)
    assert all(c.betweenness[n] == pytest.approx(top_b) and top_b > 0 for n in roles.brokers)
    assert bool(roles.brokers) == (top_b > 1e-9)
    top_c = max(c.closeness.values(), default=0.0)
    assert all(c.closeness[n] == pytest.approx(top_c) and top_c > 0 for n in roles.closest)
    assert set(roles.peripheral) == {n for n, k in c.core_number.items() if k == 1} - {
        *roles.hubs,
        *roles.brokers,
    }
    top_k = max(c.core_number.values(), default=0)
    for n in roles.boundary_spanners:
        inside = [c.core_number[names[w]] == top_k for w in G[by_name[n]]]
        assert any(inside) and not all(inside)
    members = [n for cluster in result.clusters for n in cluster]
    assert len(members) == len(set(members))
    for cluster in result.clusters:
        assert len(cluster) >= 2
        assert len({c.core_number[n] for n in cluster}) == 1
        assert nx.is_connected(G.subgraph(by_name[n] for n in cluster))
        assert list(cluster) == sorted(cluster, key=lambda n: (name_key(n), n))
    assert result.stage.key in (*STAGES, "undetermined")
    assert (result.stage.nearest is not None) == (result.stage.key == "undetermined" and len(G) > 0)
    assert set(result.cut_points) == {names[v] for v in nx.articulation_points(G)}
    assert {frozenset(b) for b in result.bridges} == {
        frozenset((names[u], names[v])) for u, v in nx.bridges(G)
    }
    pairs = set()
    for s in result.suggestions:
        u, v = by_name[s.a], by_name[s.b]
        assert u != v and not G.has_edge(u, v)
        pairs.add(frozenset((u, v)))
    assert len(pairs) == len(result.suggestions) <= 3
    data = result.to_json_dict()
    text = json.dumps(data)
    assert "NaN" not in text and "Infinity" not in text
    for value in data["centrality"]["betweenness"].values():
        assert value == round(value, 4)
