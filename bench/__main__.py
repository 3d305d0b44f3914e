"""``python -m bench`` (``make bench``): every benchmark under bench/, a table, bench/results.json.

Usage: ``python -m bench [--full] [--only NAME ...]``

Each sub-bench runs as its own subprocess with ``--json`` (quick mode unless ``--full``), so
one failing or missing loses nothing else: it is reported as ``missing`` or ``failed`` with
its exit code and the end of its error output, never with made-up figures. Quick mode takes
a few minutes on 2 cores; ``--full`` runs longer for steadier figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._support import REPO, machine

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"


# name, module, quick arguments, full arguments, time limit (s) in quick mode (throughput runs
# eleven configurations: on a busy 2-core machine 420 s was not enough)
BENCHES: tuple[tuple[str, str, list[str], list[str], int], ...] = (
    ("analysis", "bench.analysis", ["--json", "--runs", "5"], ["--json"], 120),
    ("feedback", "bench.feedback", ["--json", "--runs", "5"], ["--json", "--runs", "20"], 60),
    ("names", "bench.names", ["--json", "--runs", "3"], ["--json", "--runs", "20"], 60),
    ("miniapp", "bench.miniapp", ["--json", "--runs", "3"], ["--json", "--runs", "10"], 240),
    ("reminders", "bench.reminders", ["--json", "--quick"], ["--json"], 180),
    ("memory", "bench.memory", ["--json", "--quick"], ["--json", "--full"], 240),
    ("faults", "bench.faults", ["--json", "--quick"], ["--json", "--full"], 480),
    ("starvation", "bench.starvation", ["--json", "--quick"], ["--json"], 300),
    ("throughput", "bench.throughput", ["--json", "--quick"], ["--json", "--full"], 900),
    ("transport", "bench.transport", ["--json", "--quick"], ["--json"], 240),
    ("roundtrips", "bench.roundtrips", ["--json", "--seconds", "8"], ["--json"], 180),
)


def run_one(name: str, module: str, args: list[str], limit: int) -> dict[str, Any]:
    if not (HERE / f"{module.rsplit('.', 1)[-1]}.py").exists():
        return {name: {"missing": f"{module} is not written yet"}}
    began = time.monotonic()
    env = {**os.environ, "PYTHONPATH": str(REPO), "PTB_TIMEDELTA": "true"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", module, *args],
            cwd=str(REPO),
            env=env,
            capture_output=True,
            text=True,
            timeout=limit,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {name: {"failed": f"timed out after {limit} s"}}
    seconds = round(time.monotonic() - began, 1)
    line = next((x for x in reversed(done.stdout.splitlines()) if x.startswith("{")), "")
    try:
        parsed = json.loads(line)
    except ValueError:
        return {
            name: {
                "failed": f"exit {done.returncode}, no JSON",
                "stderr": done.stderr[-1500:],
                "seconds": seconds,
            }
        }
    parsed.setdefault("_seconds", {})[name] = seconds
    if done.returncode not in (0, 1):  # 1: ran, some goal missed (the figures say which)
        parsed["_exit"] = {name: done.returncode}
    return dict(parsed)


def _get(results: dict[str, Any], path: str) -> Any:
    value: Any = results
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


ROWS = (
    ("throughput.sqlite.updates_per_s", "updates/s, 1 process, SQLite", "≥ 1000"),
    ("throughput.sqlite.p50_ms", "  webhook p50 ms (until committed)", ""),
    ("throughput.sqlite.p95_ms", "  webhook p95 ms", ""),
    ("throughput.sqlite.reply_p95_ms", "  update → reply p95 ms", ""),
    ("throughput.postgres.updates_per_s", "updates/s, 1 process, PostgreSQL", "≥ 1000"),
    ("throughput.postgres.p50_ms", "  webhook p50 ms", ""),
    ("throughput.postgres.p95_ms", "  webhook p95 ms", ""),
    ("throughput.sqlite_2_workers.updates_per_s", "updates/s, 2 processes, SQLite", ""),
    ("throughput.postgres_2_workers.updates_per_s", "updates/s, 2 processes, PostgreSQL", ""),
    ("throughput.baseline.updates_per_s", "baseline (PTB defaults) updates/s", ""),
    ("roundtrips.1.round_trips_per_update", "PostgreSQL round trips/update, 1 chat", ""),
    ("roundtrips.50.round_trips_per_update", "  … with 50 chats", ""),
    ("throughput.baseline.p95_ms", "  baseline webhook p95 ms (until queued)", ""),
    ("throughput.baseline_concurrent.updates_per_s", "baseline (concurrent) updates/s", ""),
    ("throughput.goals.ratio_vs_baseline", "ours / best baseline", "≥ 0.8"),
    ("throughput.sqlite_at_500.p95_ms", "p95 ms at 500 updates/s offered, SQLite", "≤ 50"),
    ("throughput.sqlite_at_500.updates_per_s", "  achieved updates/s", ""),
    ("throughput.postgres_at_500.p95_ms", "p95 ms at 500 updates/s offered, PostgreSQL", "≤ 50"),
    ("throughput.sqlite_sustainable.offered_per_s", "sustainable rate (70 %), SQLite /s", ""),
    ("throughput.sqlite_sustainable.p95_ms", "  webhook p95 ms there", ""),
    ("throughput.postgres_sustainable.offered_per_s", "sustainable rate (70 %), PG /s", ""),
    ("throughput.postgres_sustainable.p95_ms", "  webhook p95 ms there", ""),
    ("throughput.sqlite.worker_cpu_ms_per_update", "bot CPU ms per update, SQLite", ""),
    ("throughput.postgres.worker_cpu_ms_per_update", "bot CPU ms per update, PostgreSQL", ""),
    ("transport.httpx.cpu_ms_per_request", "PTB's HTTPXRequest, CPU ms per request", ""),
    ("transport.aiohttp.cpu_ms_per_request", "bot/http.py on aiohttp, CPU ms per request", ""),
    ("transport.httpx.paced.cpu_share_of_one_core_pct", "  httpx at 30/s, % of one core", ""),
    ("transport.aiohttp.paced.cpu_share_of_one_core_pct", "  aiohttp at 30/s, % of one core", ""),
    ("analysis.n150_ms", "analysis, 150 actors, ms", "≤ 20"),
    ("analysis.n5000_ms", "analysis, 5,000 actors, ms", "≤ 2000"),
    ("render.n150_ms", "map picture, 150 actors, ms", "≤ 400"),
    ("names.n150.warm_ms", "resolve a name among 150 actors, ms", ""),
    ("names.n2000.warm_ms", "resolve a name among 2,000 actors, ms", ""),
    ("names.n2000.cold_ms", "  first resolve among 2,000 (keys computed), ms", ""),
    ("reminders.rate_per_s", "reminders sent per s", ""),
    ("reminders.limit_per_s", "  limit per s", ""),
    ("reminders.duplicates", "  duplicates", "0"),
    ("reminders.lost", "  lost", "0"),
    ("memory.rss_mb_10k_participants", "RSS MB, 10,000 participants, bot + renderer", "≤ 200"),
    ("memory.rss_mb_worker", "  bot process RSS MB", ""),
    ("memory.rss_mb_renderer", "  renderer process RSS MB", ""),
    ("memory.pss_mb_total", "  PSS MB of both (shared pages split)", ""),
    ("memory.rss_mb_after_renderer_exit", "  bot RSS MB once the renderer exited", ""),
    ("memory.rss_mb_after_menus", "  RSS MB after text replies only", ""),
    ("memory.peak_rss_mb", "  peak RSS MB, bot process", ""),
    ("memory.peak_rss_mb_renderer", "  peak RSS MB, renderer process", ""),
    ("faults.trials", "fault journeys", "100+"),
    ("faults.lost", "  answers lost", "0"),
    ("faults.duplicated", "  answers duplicated", "0"),
    ("faults.duplicated_kill_window", "  resent in the kill window (README)", ""),
    ("faults.duplicated_db_restart_window", "  resent in a DB-restart window", ""),
    ("faults.resumed", "  conversations resumed", ""),
)


def table(results: dict[str, Any]) -> str:
    lines = [f"{'figure':<46} {'value':>10}  goal"]
    for path, label, goal in ROWS:
        value = _get(results, path)
        section = path.split(".", 1)[0]
        if value is None:
            status = results.get(section, {})
            value = "missing" if "missing" in status else "failed" if "failed" in status else "—"
        lines.append(f"{label:<46} {value!s:>10}  {goal}")
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="longer runs")
    parser.add_argument("--quick", action="store_true", help="the default")
    parser.add_argument("--only", nargs="*", help="sub-bench names")
    options = parser.parse_args(argv)
    began = time.monotonic()
    results: dict[str, Any] = {}
    if options.only and RESULTS.exists():  # rerun some: keep the others' last figures
        results = json.loads(RESULTS.read_text())
    for name, module, quick, full, limit in BENCHES:
        if options.only and name not in options.only:
            continue
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        got = run_one(
            name, module, full if options.full else quick, limit * (4 if options.full else 1)
        )
        for key, value in got.items():
            if key.startswith("_") and isinstance(value, dict):
                results.setdefault(key, {}).update(value)
            else:
                results[key] = value
    results["_meta"] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "mode": "full" if options.full else "quick",
        "seconds": round(time.monotonic() - began, 1),
    }
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(table(results))
    print(f"\n{RESULTS.relative_to(REPO)} written in {results['_meta']['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
