"""Benchmark of the network analysis and the map picture against ANALYSIS.md's budgets.

Usage: ``python bench/analysis.py [--json] [--runs N]``

Maps are random with a realistic sparse structure and fixed seeds: up to 150 actors a
personal map (the participant tied to most stakeholders, stakeholders in groups of 4–20 with
a few ties across), above that a coach's cohort view (personal maps of 60 merged, with a few
ties between them). Each figure is the median of several runs after one warm-up run.

Budgets: analysis of 150 actors ≤ 20 ms, of 5,000 actors ≤ 2 s; picture of 150 actors
≤ 400 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial

import networkx as nx

from coaching.analysis import Strength, Tie, analyse, build_graph
from coaching.mapimage import render_map_png

ANALYSIS_SIZES = (10, 50, 150, 500, 2000, 5000)
RENDER_SIZES = (50, 150)
BUDGETS_MS = {
    ("analysis", 150): 20.0,
    ("analysis", 5000): 2000.0,
    ("render", 150): 400.0,
}
_STRENGTHS: tuple[Strength | None, ...] = ("strong", "weak", None)
_GROUP_WORDS = ("Dinas", "Bappeda", "Kelompok Tani", "Koperasi", "Puskesmas", "Kecamatan", "BUMDes")


def personal_map(n: int, seed: int, *, ego: str = "Saya") -> nx.Graph:
    """The participant and ``n - 1`` stakeholders in groups."""
    rng = random.Random(seed)
    names = [f"{rng.choice(_GROUP_WORDS)} {i}" for i in range(n - 1)]
    ties: dict[frozenset[str], Tie] = {}

    def tie(a: str, b: str) -> None:
        if a != b and frozenset((a, b)) not in ties:
            strength = rng.choice(_STRENGTHS)
            ties[frozenset((a, b))] = Tie(a, b, strength, "out" if rng.random() < 0.1 else "both")

    groups: list[list[str]] = []
    i = 0
    while i < len(names):
        size = rng.randint(4, 20)
        groups.append(names[i : i + size])
        i += size
    for group in groups:
        for a in group:
            if rng.random() < 0.85:
                tie(ego, a)
            for _ in range(rng.randint(1, 3)):
                tie(a, rng.choice(group))
    for _ in range(max(1, len(groups) // 2)):
        tie(rng.choice(rng.choice(groups)), rng.choice(rng.choice(groups)))
    return build_graph(list(ties.values()), actors=[ego, *names], ego=ego)


def cohort_map(n: int, seed: int) -> nx.Graph:
    """About ``n`` actors: personal maps of 60 merged, a few ties between them, no ego."""
    rng = random.Random(seed)
    ties: list[Tie] = []
    maps = max(1, n // 60)
    for m in range(maps):
        H = personal_map(60, seed * 1000 + m, ego=f"Peserta {m}")
        label = {v: f"{H.nodes[v]['name']} ({m})" for v in H}
        ties += [Tie(label[u], label[v], d.get("strength")) for u, v, d in H.edges(data=True)]
    people = sorted({t.source for t in ties} | {t.target for t in ties})
    seen = {frozenset((t.source, t.target)) for t in ties}
    for _ in range(maps * 3):
        a, b = rng.sample(people, 2)
        if frozenset((a, b)) not in seen:
            seen.add(frozenset((a, b)))
            ties.append(Tie(a, b, "weak"))
    return build_graph(ties)


def make_map(n: int, seed: int = 1) -> nx.Graph:
    return personal_map(n, seed) if n <= 150 else cohort_map(n, seed)


def median_ms(work: Callable[[], object], runs: int) -> float:
    work()  # warm-up: caches, fonts, first BLAS call
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run(runs: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {"analysis": {}, "render": {}}
    for n in ANALYSIS_SIZES:
        G = make_map(n)
        repeat = runs if n <= 500 else max(3, runs // 3)
        results["analysis"][f"n{n}_ms"] = round(median_ms(partial(analyse, G), repeat), 2)
    for n in RENDER_SIZES:
        G = make_map(n)
        result = analyse(G)
        draw = partial(render_map_png, G, result, locale="id")
        results["render"][f"n{n}_ms"] = round(median_ms(draw, max(3, runs // 2)), 1)
    return results


def verdicts(results: dict[str, dict[str, float]]) -> dict[str, str]:
    return {
        f"{kind}.n{n}_ms": "PASS" if results[kind][f"n{n}_ms"] <= budget else "MISS"
        for (kind, n), budget in BUDGETS_MS.items()
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per small size")
    options = parser.parse_args(argv)
    results = run(options.runs)
    passed = verdicts(results)
    if options.json:
        print(json.dumps({**results, "budgets": passed}))
    else:
        for kind, figures in results.items():
            for key, value in figures.items():
                n = int(key[1:-3])
                budget = BUDGETS_MS.get((kind, n))
                mark = ""
                if budget is not None:
                    mark = f"  budget {budget:g} ms  {passed[f'{kind}.{key}']}"
                print(f"{kind:8} {n:>5} actors  {value:>9.2f} ms{mark}")
    return 0 if all(v == "PASS" for v in passed.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
