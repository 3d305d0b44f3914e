"""Krebs & Holley stages: the labelled examples, the participant's view, flags, nearest."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import networkx as nx
import pytest

from coaching.analysis import Tie, analyse, build_graph
from coaching.analysis.csvio import load_csv
from coaching.analysis.stages import classify_stage, core_periphery

from .helpers import STAGES_DIR, stages_dir

LABELLED = sorted(STAGES_DIR.glob("*.csv")) if STAGES_DIR.is_dir() else []


def test_the_labelled_examples_are_there() -> None:
    folder = stages_dir()
    assert {p.name.split("-")[0] for p in folder.glob("*.csv")} >= {
        "scattered_fragments",
        "hub_and_spoke",
        "multi_hub",
        "core_periphery",
    }


@pytest.mark.parametrize("path", LABELLED, ids=[p.name for p in LABELLED])
def test_each_example_gets_its_label(path: Path) -> None:
    assert analyse(load_csv(path)).stage.key == path.name.split("-")[0]


def star(spokes: int, *, ego: bool) -> nx.Graph:
    return build_graph(
        [Tie("Saya", f"Kontak {i}") for i in range(spokes)], ego="Saya" if ego else None
    )


def test_star_with_and_without_the_participant() -> None:
    result = analyse(star(6, ego=True))
    assert result.stage.key == "hub_and_spoke"
    assert result.without_ego is not None
    assert result.without_ego.stage.key == "scattered_fragments"
    assert result.without_ego.components == 6
    assert len(result.without_ego.stage.satellites) == 5


def test_star_without_an_ego_has_no_second_view() -> None:
    result = analyse(star(6, ego=False))
    assert result.stage.key == "hub_and_spoke"
    assert result.without_ego is None


def test_stage_by_ego_name_on_a_plain_graph() -> None:
    result = analyse(star(6, ego=False), ego="saya")
    assert result.ego == "Saya"
    assert result.without_ego is not None
    assert result.without_ego.stage.key == "scattered_fragments"


def test_empty_and_single_actor() -> None:
    empty = classify_stage(nx.Graph())
    assert (empty.key, empty.nearest) == ("undetermined", None)
    one = classify_stage(nx.empty_graph(1))
    assert one.key == "undetermined" and one.nearest == "scattered_fragments"


def test_scattered_fragments_and_satellites() -> None:
    G = nx.Graph([(1, 2), (3, 4), (5, 6)])
    report = classify_stage(G)
    assert report.key == "scattered_fragments"
    assert report.satellites == ((3, 4), (5, 6))


def test_borderline_flag_near_a_threshold() -> None:
    # largest fragment 5 of 11 actors: 45% — under 50%, but within 10% of it
    G = nx.Graph()
    nx.add_path(G, range(5))
    nx.add_path(G, range(5, 9))
    G.add_edge(9, 10)
    report = classify_stage(G)
    assert report.key == "scattered_fragments"
    assert "borderline_largest_share" in report.flags


def test_nearest_stage_for_an_undetermined_map() -> None:
    report = classify_stage(nx.path_graph(6))
    assert report.key == "undetermined"
    assert report.nearest in {"scattered_fragments", "hub_and_spoke", "core_periphery", "multi_hub"}


def test_multi_hub() -> None:
    G = nx.Graph()
    for hub in "ABC":
        for i in range(5):
            G.add_edge(hub, f"{hub}{i}")
    G.add_edges_from([("A", "B"), ("B", "C")])
    assert classify_stage(G).key == "multi_hub"


def _fit(G: nx.Graph, core: set[object]) -> float:
    xs, ys = [], []
    for u, v in itertools.combinations(G, 2):
        if (u in core) != (v in core):
            continue
        xs.append(1.0 if G.has_edge(u, v) else 0.0)
        ys.append(1.0 if u in core else 0.0)
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    return sxy / (sx * sy)


def test_core_search_finds_the_kites_best_core_and_reports_its_fit() -> None:
    G = nx.krackhardt_kite_graph()
    found = core_periphery(G)
    best = max(
        (
            _fit(G, set(c))
            for r in range(2, 9)
            for c in itertools.combinations(G, r)
            if nx.density(G.subgraph(c)) > 0 and len(G) - r >= 2
        ),
    )
    assert found.fit == pytest.approx(best)
    assert found.fit == pytest.approx(_fit(G, set(found.core)))
    assert found.density == pytest.approx(0.8)


@pytest.mark.parametrize("seed", range(8))
def test_core_search_reports_the_true_fit_of_its_core(seed: int) -> None:
    G = nx.gnp_random_graph(14, 0.3, seed=seed)
    found = core_periphery(G)
    if found.core:
        assert found.fit == pytest.approx(_fit(G, set(found.core)))
        sub = G.subgraph(found.core)
        k = len(found.core)
        assert found.density == pytest.approx(sub.number_of_edges() / (k * (k - 1) / 2))
