"""Benchmark of the formative feedback on one answer (coaching/feedback.py) against its budget.

Usage: ``python -m bench.feedback [--json] [--runs N]``

For every rubric item and both languages, the test answers (tests/data/feedback_answers.toml:
good, partial) and an evasive one, each assessed and its reply rendered, as the bot does when
an answer is saved. Plus the worst case: a 3,500-character answer (the longest accepted) of
words never seen before, so the stemmer's cache does not help (``long_unseen``), and the same
answer again (``long_seen``). ``cold``: the first answer in a fresh process (the rubric parsed
and stemmed, the stemmer's dictionary loaded: once per process).

Budget: feedback for one answer ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from coaching import feedback, text
from coaching.model import Profile, Snapshot
from coaching.network import Actor, MapView, TieView
from coaching.validate import ANSWER_MAX

BUDGET_MS = 20.0
ANSWERS = Path(__file__).resolve().parent.parent / "tests" / "data" / "feedback_answers.toml"
NOW = datetime(2026, 12, 3, tzinfo=UTC)


def _snap(locale: str) -> Snapshot:
    rng = random.Random(7)
    names = [f"Aktor {i}" for i in range(150)]
    actors = (Actor("Saya", is_ego=True), *(Actor(n) for n in names))
    keys = [a.key for a in actors]
    ties = {tuple(sorted(rng.sample(keys, 2))) for _ in range(400)}
    view = MapView(1, "personal", "personal", None, actors, tuple(TieView(a, b) for a, b in ties))
    return Snapshot(
        Profile(name="Saya", language=locale), "menu.main", {}, 1, NOW, network=view, maps=(view,)
    )


def _once(snap: Snapshot, key: str, answer: str) -> float:
    began = time.perf_counter()
    fb = feedback.assess(key, answer)
    reply = feedback.reply(snap, key, fb, answer)
    text.render(snap.locale, reply.key, **reply.context)
    return (time.perf_counter() - began) * 1000


def _unseen_answer(seed: int) -> str:
    rng = random.Random(seed)
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < ANSWER_MAX - 20:
        stem = "".join(rng.choice("aiueokmnprstgbdlh") for _ in range(rng.randint(4, 9)))
        words.append(
            rng.choice(("me", "ber", "di", "ke", "pe", ""))
            + stem
            + rng.choice(("kan", "an", "nya", "i", ""))
        )
    return " ".join(words)[:ANSWER_MAX]


def _items() -> dict[str, dict[str, str]]:
    raw = tomllib.loads(ANSWERS.read_text())
    found: dict[str, dict[str, str]] = {}

    def walk(node: dict[str, Any], path: tuple[str, ...]) -> None:
        if "good_id" in node:
            found[".".join(path)] = node
            return
        for name, child in node.items():
            if isinstance(child, dict):
                walk(child, (*path, name))

    walk(raw, ())
    return found


def run(runs: int) -> dict[str, Any]:
    snaps = {loc: _snap(loc) for loc in ("id", "en")}
    items = _items()
    first = next(iter(items))
    cold = _once(snaps["id"], first, items[first]["good_id"])
    # One pass over every item first: each template a reply uses is compiled once per
    # process and language (the map's title comes from network.j2), as in a running bot.
    warm = max(
        _once(snap, key, answers[f"good_{loc}"])
        for key, answers in items.items()
        for loc, snap in snaps.items()
    )
    figures: dict[str, list[float]] = {"good": [], "partial": [], "evasive": []}
    for _ in range(runs):
        for key, answers in items.items():
            for loc, snap in snaps.items():
                figures["good"].append(_once(snap, key, answers[f"good_{loc}"]))
                figures["partial"].append(_once(snap, key, answers[f"partial_{loc}"]))
                figures["evasive"].append(_once(snap, key, "Tidak tahu, belum baca modulnya."))
    unseen = [
        _once(snaps["id"], "bab3.evaluasi2", _unseen_answer(seed)) for seed in range(max(3, runs))
    ]
    seen = [_once(snaps["id"], "bab3.evaluasi2", _unseen_answer(0)) for _ in range(max(3, runs))]
    figures["long_unseen"], figures["long_seen"] = unseen, seen
    result: dict[str, Any] = {
        "budget_ms": BUDGET_MS,
        "cold_ms": round(cold, 2),
        "first_pass_max_ms": round(warm, 2),
        "items": len(items),
        "load_average": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
    for name, values in figures.items():
        ordered = sorted(values)
        result[name] = {
            "median_ms": round(statistics.median(ordered), 3),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
            "max_ms": round(ordered[-1], 3),
            "n": len(ordered),
        }
    # The budget holds for the 95th percentile of every kind of answer: on a shared machine a
    # single run may be preempted (the max is printed too).
    result["within_budget"] = all(
        v["p95_ms"] <= BUDGET_MS for v in result.values() if isinstance(v, dict)
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    result = run(args.runs)
    if args.json:
        print(json.dumps({"feedback": result}))
        return 0
    print(
        f"feedback for one answer (budget {BUDGET_MS:.0f} ms), "
        f"{result['items']} rubric items × 2 languages"
    )
    print(f"  cold (first answer in a process): {result['cold_ms']:.1f} ms")
    print(f"  first pass (templates compiled): max {result['first_pass_max_ms']:.1f} ms")
    print(f"  load average {result['load_average']} on {result['cpus']} CPUs")
    print(f"  {'answer':<12} {'median':>9} {'p95':>9} {'max':>9} {'n':>6}")
    for name in ("good", "partial", "evasive", "long_unseen", "long_seen"):
        row = result[name]
        print(
            f"  {name:<12} {row['median_ms']:>7.2f}ms {row['p95_ms']:>7.2f}ms "
            f"{row['max_ms']:>7.2f}ms {row['n']:>6}"
        )
    print("  within budget" if result["within_budget"] else "  OVER BUDGET")
    return 0


if __name__ == "__main__":
    sys.exit(main())
