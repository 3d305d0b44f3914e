"""Suggested ties (merajut jejaring): deterministic and sensible on small known maps."""

from __future__ import annotations

import networkx as nx

from coaching.analysis import Tie, analyse, build_graph
from coaching.analysis.suggestions import suggest_ties

from .helpers import kite


def test_kite_bridges_the_structural_hole_between_its_clusters() -> None:
    (only,) = analyse(kite()).suggestions
    assert (only.a, only.b, only.kind, only.reason) == (
        "D",
        "J",
        "structural_hole",
        "removes_cut_points",
    )
    assert only.cut_points_removed == ("H", "I")
    assert only.via is None


def test_fragments_are_joined_first() -> None:
    G = nx.Graph([(1, 2), (2, 3), (1, 3), (4, 5)])
    first = suggest_ties(G)[0]
    assert first.kind == "connect_fragment"
    assert first.components_joined == 1
    assert first.reason == "joins_components"


def test_fragments_are_joined_through_the_participant() -> None:
    G = build_graph([Tie("Saya", "A"), Tie("A", "B"), Tie("C", "D")], ego="Saya")
    first = analyse(G).suggestions[0]
    assert (first.a, first.kind) == ("Saya", "connect_fragment")
    assert first.b in {"C", "D"}


def test_warm_introductions_between_the_participants_groups() -> None:
    ties = []
    for group in "ABC":
        ties += [Tie("Saya", f"{group}{i}") for i in (1, 2, 3)]
        ties += [Tie(f"{group}1", f"{group}2"), Tie(f"{group}2", f"{group}3")]
        ties.append(Tie(f"{group}1", f"{group}3"))
    result = analyse(build_graph(ties, ego="Saya"))
    first = result.suggestions[0]
    assert first.kind == "structural_hole"
    assert first.via == "Saya"
    assert first.a[0] != first.b[0]
    assert first.reason == "joins_components"  # judged on the map without the participant
    assert result.without_ego is not None and result.without_ego.stage.key == "scattered_fragments"


def test_someone_hanging_on_one_tie_meets_a_contact_of_their_contact_directly() -> None:
    # c is d's only tie (a gatekeeper): the new tie goes around c, not through him
    G = nx.Graph([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])
    first = suggest_ties(G)[0]
    assert first.kind == "triadic_closure"
    assert (first.a, first.via) == ("d", None)
    assert first.b in {"a", "b"}
    assert first.cut_points_removed == ("c",)


def test_the_participant_may_introduce_their_own_contacts() -> None:
    # the weaver introduces people so that the map stops depending on them (Krebs & Holley)
    G = build_graph([Tie("Saya", "A"), Tie("Saya", "B"), Tie("A", "B"), Tie("Saya", "C")])
    result = analyse(G, ego="Saya")
    assert result.gatekeepers == ()
    first = result.suggestions[0]
    assert (first.a, first.kind, first.via) == ("C", "triadic_closure", "Saya")


def test_the_participant_reaches_a_cluster_they_do_not_reach() -> None:
    ties = [Tie("Saya", "A"), Tie("A", "B"), Tie("B", "C"), Tie("C", "A")]
    ties += [Tie("C", "X"), Tie("X", "Y"), Tie("Y", "Z"), Tie("Z", "X")]
    result = analyse(build_graph(ties, ego="Saya"), max_suggestions=5)
    kinds = {s.kind for s in result.suggestions}
    assert "reach_cluster" in kinds or any("Saya" in (s.a, s.b) for s in result.suggestions)


def test_suggestions_are_new_distinct_ties_and_deterministic() -> None:
    G = nx.connected_watts_strogatz_graph(40, 4, 0.1, seed=3)
    first = suggest_ties(G, limit=5)
    assert first == suggest_ties(G, limit=5)
    pairs = {frozenset((s.a, s.b)) for s in first}
    assert len(pairs) == len(first)
    assert all(s.a != s.b and not G.has_edge(s.a, s.b) for s in first)


def test_a_complete_graph_needs_nothing() -> None:
    assert suggest_ties(nx.complete_graph(5)) == []
    assert suggest_ties(nx.Graph()) == []


def test_blocks_stay_right_as_ties_are_added() -> None:
    import random

    from coaching.analysis import _fast
    from coaching.analysis._fast import indexed
    from coaching.analysis.suggestions import _View

    for seed in range(60):
        rng = random.Random(seed)
        G = nx.gnp_random_graph(rng.randint(2, 25), rng.random() * 0.2, seed=seed)
        view = _View(indexed(G).adj, 0, None)
        for _ in range(6):
            view.refresh()
            a, b = rng.sample(range(view.n), 2)
            if b in view.adj[a]:
                continue
            expected_removed = (
                set(view.tree.removed(a, b)) if view.comp[a] == view.comp[b] else set()
            )
            cuts_before = set(view.tree.cuts)
            view.add_tie(a, b)
            fresh = sorted(map(sorted, _fast.biconnected(view.lists)))
            assert sorted(map(sorted, view.blocks)) == fresh
            cuts_after = set(_fast.cut_points_of(fresh, view.n))
            assert cuts_before - cuts_after == expected_removed
