"""The module's worked example (Krackhardt's kite) must come out exactly (ANALYSIS.md)."""

from __future__ import annotations

import itertools
import json
import random

import networkx as nx
import pytest

from coaching.analysis import analyse
from coaching.analysis.csvio import load_csv
from coaching.analysis.measures import bridges, centralities, cut_points, density

from .helpers import KITE_CSV, KITE_EDGES, kite

LETTERS = "ABCDEFGHIJ"

# Written from ANALYSIS.md's table and rules; suggestion and extra fields are ours.
KITE_JSON = {
    "actors": 10,
    "ties": 18,
    "strong_ties": 0,
    "weak_ties": 0,
    "density": 0.4,
    "components": 1,
    "clusters": [["A", "B", "C", "D", "E", "F", "G"], ["I", "J"]],
    "centrality": {
        "degree": {"A": 4, "B": 4, "C": 3, "D": 6, "E": 3, "F": 5, "G": 5, "H": 3, "I": 2, "J": 1},
        "betweenness": {
            "A": 0.0231,
            "B": 0.0231,
            "C": 0.0,
            "D": 0.1019,
            "E": 0.0,
            "F": 0.2315,
            "G": 0.2315,
            "H": 0.3889,
            "I": 0.2222,
            "J": 0.0,
        },
        "closeness": {
            "A": 0.5294,
            "B": 0.5294,
            "C": 0.5,
            "D": 0.6,
            "E": 0.5,
            "F": 0.6429,
            "G": 0.6429,
            "H": 0.6,
            "I": 0.4286,
            "J": 0.3103,
        },
        "core_number": {
            "A": 3,
            "B": 3,
            "C": 3,
            "D": 3,
            "E": 3,
            "F": 3,
            "G": 3,
            "H": 2,
            "I": 1,
            "J": 1,
        },
    },
    "roles": {
        "hubs": ["D"],
        "brokers": ["H"],
        "closest": ["F", "G"],
        "boundary_spanners": ["F", "G", "H"],
        "peripheral": ["I", "J"],
    },
    "stage": {
        "key": "core_periphery",
        "flags": [],
        "nearest": None,
        "satellites": [],
        "signature": {
            "components": 1,
            "largest_share": 1.0,
            "centralisation": 0.3333,
            "degree_ratio": 0.8333,
            "highest_degree": 6,
            "hubs": ["D"],
            "core": ["A", "B", "D", "F", "G"],
            "core_density": 0.8,
            "core_fit": 0.6,
        },
    },
    "without_ego": None,
    "suggestions": [
        {
            "a": "D",
            "b": "J",
            "kind": "structural_hole",
            "reason": "removes_cut_points",
            "via": None,
            "components_joined": 0,
            "cut_points_removed": ["H", "I"],
            "efficiency_gain": 0.05,
        }
    ],
    "ego": None,
    "one_way_ties": 0,
    "cut_points": ["H", "I"],
    "bridges": [["H", "I"], ["I", "J"]],
    "tie_list": [e.split("-") for e in KITE_EDGES],
    "approximate": False,
    "sampled_sources": 0,
    # J's one tie is I: a cut point between J and everyone else
    "gatekeepers": [{"name": "I", "dependents": ["J"]}],
    "resources": {"holders": {}, "unheld": [], "needs": [], "unmet": []},
}
CONTRACT_KEYS = [
    "actors",
    "ties",
    "strong_ties",
    "weak_ties",
    "density",
    "components",
    "clusters",
    "centrality",
    "roles",
    "stage",
    "without_ego",
    "suggestions",
]


def test_the_table_of_analysis_md() -> None:
    G = nx.relabel_nodes(nx.krackhardt_kite_graph(), dict(enumerate(LETTERS)))
    c = centralities(G)
    table = {
        "A": (4, 0.0231, 0.5294, 3),
        "B": (4, 0.0231, 0.5294, 3),
        "C": (3, 0.0, 0.5, 3),
        "E": (3, 0.0, 0.5, 3),
        "D": (6, 0.1019, 0.6, 3),
        "F": (5, 0.2315, 0.6429, 3),
        "G": (5, 0.2315, 0.6429, 3),
        "H": (3, 0.3889, 0.6, 2),
        "I": (2, 0.2222, 0.4286, 1),
        "J": (1, 0.0, 0.3103, 1),
    }
    core = nx.core_number(G)
    for node, (deg, between, close, k) in table.items():
        assert c.degree[node] == deg
        assert round(c.betweenness[node], 4) == between
        assert round(c.closeness[node], 4) == close
        assert core[node] == k
    assert density(G) == pytest.approx(0.4)
    assert cut_points(G) == ["H", "I"]
    assert bridges(G) == [("H", "I"), ("I", "J")]


def test_centralities_equal_networkx() -> None:
    G = nx.krackhardt_kite_graph()
    c = centralities(G)
    for node, value in nx.betweenness_centrality(G).items():
        assert c.betweenness[node] == pytest.approx(value, abs=1e-12)
    for node, value in nx.closeness_centrality(G).items():
        assert c.closeness[node] == pytest.approx(value, abs=1e-12)


def test_the_modules_claims() -> None:
    result = analyse(kite())
    assert result.roles.hubs == ("D",)
    assert result.roles.brokers == ("H",)
    assert result.roles.closest == ("F", "G")
    assert result.roles.boundary_spanners == ("F", "G", "H")
    assert result.roles.peripheral == ("I", "J")
    assert result.clusters == (("A", "B", "C", "D", "E", "F", "G"), ("I", "J"))
    assert result.stage.key == "core_periphery"
    assert result.stage.flags == ()


def test_the_exact_json() -> None:
    data = analyse(kite()).to_json_dict()
    assert data == KITE_JSON
    assert list(data)[: len(CONTRACT_KEYS)] == CONTRACT_KEYS
    assert list(data["centrality"])[:3] == ["degree", "betweenness", "closeness"]
    assert list(data["stage"])[:3] == ["key", "flags", "nearest"]
    assert list(data["suggestions"][0])[:4] == ["a", "b", "kind", "reason"]


def test_the_bundled_csv_is_the_kite() -> None:
    assert analyse(load_csv(KITE_CSV)).to_json_dict() == KITE_JSON


def _dump(graph: nx.Graph) -> str:
    return json.dumps(analyse(graph).to_json_dict(), ensure_ascii=False, sort_keys=False)


def test_byte_identical_across_runs() -> None:
    assert len({_dump(kite()) for _ in range(5)}) == 1


def test_byte_identical_across_input_orders() -> None:
    reference = _dump(kite())
    rng = random.Random(7)
    for _ in range(25):
        edges = list(KITE_EDGES)
        rng.shuffle(edges)
        flipped = ["-".join(reversed(e.split("-"))) if rng.random() < 0.5 else e for e in edges]
        assert _dump(kite(flipped)) == reference


def test_node_insertion_order_does_not_matter() -> None:
    reference = _dump(kite())
    for letters in itertools.islice(itertools.permutations(LETTERS), 0, 2000, 397):
        G = nx.Graph()
        for v in letters:
            G.add_node(v, name=v)
        G.add_edges_from(e.split("-") for e in KITE_EDGES)
        assert _dump(G) == reference


def test_networkx_kite_with_integer_nodes() -> None:
    result = analyse(nx.krackhardt_kite_graph())
    assert result.roles.hubs == ("3",)
    assert result.roles.brokers == ("7",)
