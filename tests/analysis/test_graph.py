"""Building a map from plain data: matching names, display names, refused ties."""

from __future__ import annotations

import networkx as nx
import pytest

from coaching.analysis import (
    DuplicateTieError,
    EmptyNameError,
    InvalidTieError,
    NameTooLongError,
    SelfTieError,
    Tie,
    UnknownActorError,
    analyse,
    build_graph,
    name_key,
)
from coaching.analysis.graph import find_actor, simple_graph


def test_name_key_ignores_case_space_and_diacritics() -> None:
    assert name_key("pak budi") == name_key("Pak  Budi") == name_key("Pák Budi ") == "pak budi"
    assert name_key("Dinas Pertanian") != name_key("Dinas Perikanan")


def test_first_spelling_is_displayed() -> None:
    G = build_graph([Tie("Pák Budi", "Bu Ani"), Tie("pak  budi", "Dinas"), Tie("PAK BUDI", "X")])
    assert sorted(G.nodes[v]["name"] for v in G) == ["Bu Ani", "Dinas", "Pák Budi", "X"]
    assert G.degree(name_key("pak budi")) == 3


def test_actors_without_ties_and_the_ego() -> None:
    G = build_graph([Tie("A", "B")], actors=["C"], ego="Saya")
    assert G.graph["ego"] == "saya"
    assert set(G) == {"a", "b", "c", "saya"}
    result = analyse(G)
    assert result.ego == "Saya"
    assert result.without_ego is not None and result.without_ego.components == 2


def test_self_tie_is_refused_with_the_name() -> None:
    with pytest.raises(SelfTieError) as caught:
        build_graph([Tie("Pak Budi", "pak  BUDI")])
    assert caught.value.key == "analysis.error_self_tie"
    assert caught.value.context == {"name": "Pak Budi"}


@pytest.mark.parametrize("second", [Tie("A", "B"), Tie("b", "a"), Tie("B", "A", "strong", "out")])
def test_duplicate_tie_is_refused_with_both_names(second: Tie) -> None:
    with pytest.raises(DuplicateTieError) as caught:
        build_graph([Tie("A", "B"), second])
    assert caught.value.key == "analysis.error_duplicate_tie"
    assert {caught.value.context["a"], caught.value.context["b"]} == {"A", "B"}


def test_bad_names_and_values() -> None:
    with pytest.raises(EmptyNameError):
        build_graph([Tie("  ", "B")])
    with pytest.raises(NameTooLongError):
        build_graph([Tie("x" * 101, "B")])
    with pytest.raises(InvalidTieError):
        build_graph([Tie("A", "B", "medium")])  # type: ignore[arg-type]
    with pytest.raises(InvalidTieError):
        build_graph([Tie("A", "B", None, "in")])  # type: ignore[arg-type]


def test_errors_are_networkx_exceptions() -> None:
    with pytest.raises(nx.NetworkXException):
        build_graph([Tie("A", "a")])


def test_one_way_ties_keep_their_origin() -> None:
    G = build_graph([Tie("A", "B", "weak", "out")])
    assert G.edges["a", "b"] == {"strength": "weak", "direction": "out", "origin": "a"}
    assert analyse(G).one_way_ties == 1


def test_unknown_ego_is_refused() -> None:
    with pytest.raises(UnknownActorError) as caught:
        analyse(build_graph([Tie("A", "B")]), ego="Z")
    assert caught.value.context == {"name": "Z"}


def test_find_actor_by_any_spelling() -> None:
    G = build_graph([Tie("Pák Budi", "Bu Ani")])
    assert find_actor(G, "PAK budi") == "pak budi"
    assert find_actor(G, "nobody") is None


def test_directed_and_multi_graphs_become_one_tie_per_pair() -> None:
    D = nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c"), ("c", "c")])
    H = simple_graph(D)
    assert H.edges["a", "b"]["direction"] == "both"
    assert H.edges["b", "c"] == {"strength": None, "direction": "out", "origin": "b"}
    assert not any(u == v for u, v in H.edges())
    result = analyse(D)
    assert result.ties == 2 and result.one_way_ties == 1
    M = nx.MultiGraph([("a", "b"), ("a", "b")])
    assert analyse(M).ties == 1
