"""Shared helpers for the analysis tests: known graphs, realistic random maps, HTML checks."""

from __future__ import annotations

import os
import random
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import pytest

from coaching.analysis import Tie, build_graph

REPO = Path(__file__).resolve().parents[2]
# shared/data sits beside the checkout (/work/main → /work/shared), or beside the folder of
# worktrees (/work/wt/<name> → /work/shared)
DATA_DIR = next(
    (p / "shared" / "data" for p in REPO.parents if (p / "shared" / "data").is_dir()),
    REPO.parent / "shared" / "data",
)
STAGES_DIR = DATA_DIR / "stages"
KITE_CSV = REPO / "coaching" / "examples" / "kite.csv"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
KITE_EDGES = [
    "A-B",
    "A-C",
    "A-D",
    "A-F",
    "B-D",
    "B-E",
    "B-G",
    "C-D",
    "C-F",
    "D-E",
    "D-F",
    "D-G",
    "E-G",
    "F-G",
    "F-H",
    "G-H",
    "H-I",
    "I-J",
]
TELEGRAM_TAGS = {"b", "i", "u", "s", "code", "pre", "a", "blockquote", "tg-spoiler"}


def kite(order: list[str] | None = None) -> nx.Graph:
    """Krackhardt's kite with nodes A..J, ties in the given order (default: as listed)."""
    edges = order if order is not None else KITE_EDGES
    pairs = [e.split("-") for e in edges]
    return build_graph([Tie(a, b) for a, b in pairs])


def data_dir() -> Path:
    """The shared example maps; skip when absent (fail in CI)."""
    if DATA_DIR.is_dir():
        return DATA_DIR
    if IN_CI:
        pytest.fail(f"{DATA_DIR} is required in CI")
    pytest.skip(f"{DATA_DIR} is not there")


def stages_dir() -> Path:
    """The labelled stage examples; skip when absent (fail in CI)."""
    if STAGES_DIR.is_dir():
        return STAGES_DIR
    if IN_CI:
        pytest.fail(f"{STAGES_DIR} is required in CI")
    pytest.skip(f"{STAGES_DIR} is not there")


_WORDS = (
    "Dinas Pertanian",
    "Bappeda",
    "Kelompok Tani",
    "Koperasi",
    "Puskesmas",
    "Kecamatan",
    "Kepala Desa",
    "BUMDes",
    "Camat",
    "Sekretariat Daerah",
    "Penyuluh",
    "Pak",
    "Bu",
)


def personal_map(n: int, seed: int, *, ego: str = "Saya") -> nx.Graph:
    """A realistic personal map: the participant plus ``n - 1`` stakeholders in groups.

    The participant knows most stakeholders; groups of 4–20 are tied inside (sparse, some
    strong), a few ties cross groups, some stakeholders are known only through others.
    """
    rng = random.Random(seed)
    names = [f"{rng.choice(_WORDS)} {i}" for i in range(n - 1)]
    ties: dict[frozenset[str], Tie] = {}

    def tie(a: str, b: str) -> None:
        if a != b and frozenset((a, b)) not in ties:
            strength = rng.choice(("strong", "weak", None))
            direction = "out" if rng.random() < 0.1 else "both"
            ties[frozenset((a, b))] = Tie(a, b, strength, direction)  # type: ignore[arg-type]

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
    """Several personal maps merged (a coach's cohort view), about ``n`` actors, no ego."""
    rng = random.Random(seed)
    G = nx.Graph()
    maps = max(1, n // 60)
    for m in range(maps):
        H = personal_map(60, seed * 1000 + m, ego=f"Peserta {m}")
        mapping = {v: f"{H.nodes[v]['name']} ({m})" for v in H}
        for u, v, data in H.edges(data=True):
            G.add_edge(mapping[u], mapping[v], **{**data, "origin": None, "direction": "both"})
    people = sorted(G)
    for _ in range(maps * 3):
        a, b = rng.sample(people, 2)
        if not G.has_edge(a, b):
            G.add_edge(a, b, strength="weak", direction="both", origin=None)
    for v in G:
        G.nodes[v]["name"] = v
    return G


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.errors.append(f"tag <{tag}> not allowed")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")


def html_errors(html: str) -> list[str]:
    """Problems Telegram's HTML parse mode would refuse (unknown or unbalanced tags)."""
    checker = _Checker()
    checker.feed(html)
    checker.close()
    return checker.errors + [f"unclosed <{t}>" for t in checker.stack]
