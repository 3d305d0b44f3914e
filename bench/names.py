"""Benchmark of the name resolver (coaching/names.py) on maps of 150 and 2,000 actors.

Usage: ``python -m bench.names [--json] [--runs N]``

Names are random and realistic, with a fixed seed: people with honorifics, titles, degrees and
a unit in brackets ("Dr. Budi Santoso, M.Si. (Bappeda)"), and organisations ("Dinas Kesehatan
Kab. Bogor"). The typed names are a mix of an exact spelling, another spelling of the same
name (case, honorific, punctuation), a first name only, a typo, and a name not on the map.

``cold``: the first resolve against a map in a fresh process (every actor's keys computed);
``warm``: the next ones (the keys are cached, as in the bot, where one map is met again and
again). Each figure is the median over the typed names and runs, in milliseconds per call.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time

from coaching import names

SIZES = (150, 2000)
_HONORIFICS = ("Pak", "Bu", "Bapak", "Ibu", "Dr.", "dr.", "H.", "Hj.", "Prof. Dr.", "Ir.", "")
_GIVEN = (
    "Budi", "Sari", "Rina", "Agus", "Dewi", "Joko", "Nia", "Hendra", "Wati", "Rudi", "Ani",
    "Yusuf", "Siti", "Bambang", "Lestari", "Eko", "Putri", "Fajar", "Indah", "Taufik",
)  # fmt: skip
_FAMILY = (
    "Santoso", "Hartono", "Wijaya", "Saputra", "Kurniawan", "Siregar", "Nasution", "Lubis",
    "Pratama", "Hidayat", "Setiawan", "Gunawan", "Susanto", "Rahman", "Utami", "Permana",
)  # fmt: skip
_DEGREES = ("", "", ", S.T.", ", M.Si.", ", S.E., M.M.", ", Ph.D.")
_UNITS = ("", "", " (Bappeda)", " (Dinas PU)", " (Kominfo Prov)", " (BPS)", " (Puskesmas)")
_ORGS = ("Dinas Kesehatan", "Bappeda", "Kominfo", "Dinas Pertanian", "BPBD", "Koperasi Tani")
_PLACES = ("Kab. Bogor", "Kota Bandung", "Provinsi Jawa Barat", "Kab. Karawang", "Kec. Cibinong")


def actor_names(n: int, rng: random.Random) -> list[str]:
    seen: dict[str, str] = {}
    while len(seen) < n:
        if rng.random() < 0.25:
            name = f"{rng.choice(_ORGS)} {rng.choice(_PLACES)} {rng.randint(1, 40)}"
        else:
            name = (
                f"{rng.choice(_HONORIFICS)} {rng.choice(_GIVEN)} {rng.choice(_FAMILY)}"
                f"{rng.choice(_DEGREES)}{rng.choice(_UNITS)}"
            )
        name = " ".join(name.split())
        seen.setdefault(names.name_key(name), name)
    return list(seen.values())


def typed_names(known: list[str], rng: random.Random, count: int = 40) -> list[str]:
    typed: list[str] = []
    for i in range(count):
        name = rng.choice(known)
        words = names.match_key(name).split()
        match i % 5:
            case 0:
                typed.append(name)
            case 1:
                typed.append("bpk " + " ".join(words).upper())
            case 2:
                typed.append(words[0].capitalize())
            case 3:
                word = words[-1]
                typed.append(" ".join([*words[:-1], word[:-1] + "x" if len(word) > 4 else word]))
            case _:
                typed.append(f"Orang Baru {i}")
    return typed


def measure(n: int, runs: int) -> dict[str, float]:
    rng = random.Random(n)
    known = actor_names(n, rng)
    typed = typed_names(known, rng)
    _clear()
    began = time.perf_counter()
    names.resolve(typed[0], known)
    cold = (time.perf_counter() - began) * 1000
    warm: list[float] = []
    for _ in range(runs):
        for text in typed:
            began = time.perf_counter()
            names.resolve(text, known)
            warm.append((time.perf_counter() - began) * 1000)
    return {"cold_ms": round(cold, 2), "warm_ms": round(statistics.median(warm), 3)}


def _clear() -> None:
    for cached in (names.name_key, names.match_key, names._known):
        cached.cache_clear()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args(argv)
    results = {f"n{n}": measure(n, options.runs) for n in SIZES}
    if options.json:
        print(json.dumps({"names": results}))
        return 0
    for n in SIZES:
        figures = results[f"n{n}"]
        print(
            f"resolve against {n:>5} names: first call {figures['cold_ms']:>8.2f} ms, "
            f"then {figures['warm_ms']:>7.3f} ms per call (median)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
