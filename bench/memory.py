"""Memory: RSS of a ``jejaring run`` process with 10,000 participants stored.

Usage: ``python -m bench.memory [--quick|--full] [--json] [--participants N] [--active N]``

The database (SQLite, the default deployment) is filled in bulk with realistic rows: each
participant onboarded (profile, consent, language, time zone, reminders), a personal map of
10 actors (the participant in the middle, 9 stakeholders with kinds, roles, Ibarra
classes) and 12 ties, 3 answers with their progress. Then a real ``jejaring run`` webhook
worker handles updates from many of them — ``/menu`` (the main menu with progress, which
loads the whole snapshot: answers, progress, maps) from ``--active`` participants, and
``/peta`` (the map as a PNG) from 100 — and its resident set size is read from ``/proc``
(``VmRSS``, and the peak ``VmHWM``). Goal: ≤ 200 MB.

Pictures are drawn in a renderer process the worker starts (``app/rendering.py``), so the
figure of record, ``rss_mb_10k_participants``, is the worker's RSS plus the renderer's, read
one after the other right after the last picture arrived: the conservative sum, since pages
of shared libraries count in both. Their PSS (``/proc/PID/smaps_rollup``, shared pages split
between the processes that map them) is reported beside it. The worker is started with a
short ``JEJARING_RENDER_IDLE_S``, so the bench also sees the renderer exit and reads the
worker alone again: what a bot between pictures holds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench._support import JSON, BenchEmulator, Worker, database, emit, machine, rss_mb
from bench.throughput import Load

GOAL_MB = 200.0
# Long enough that the renderer is surely alive for the reading right after the pictures.
RENDER_IDLE_S = 8.0
FIRST_CHAT = 70_000_000
_KINDS = ("person", "group", "organisation")
_IBARRA = ("personal", "operational", "strategic", None)
_UNITS = ("Bappeda", "Dinas Kesehatan", "Dinas Pendidikan", "BKPSDM", "Kecamatan", "Puskesmas")
_EXERCISES = ("latihan_2_1", "latihan_2_2", "evaluasi_2_1")


def fill(url: str, participants: int, seed: int = 7) -> dict[str, int]:
    """Bulk-insert ``participants`` onboarded participants with maps and answers."""
    from sqlalchemy import create_engine, insert

    from storage.db import driver_url
    from storage.models import Actor, Answer, NetworkMap, Participant, Progress, Tie

    engine = create_engine(driver_url(url))
    rng = random.Random(seed)
    now = datetime.now(UTC)
    counts = {"participants": 0, "maps": 0, "actors": 0, "ties": 0, "answers": 0}
    batch = 500
    with engine.begin() as conn:
        for start in range(0, participants, batch):
            ids = range(start, min(participants, start + batch))
            people: list[dict[str, Any]] = [
                {
                    "external_id": f"tg:{FIRST_CHAT + i}",
                    "chat_id": FIRST_CHAT + i,
                    "name": f"Peserta {i} {rng.choice(('Sari', 'Budi', 'Dewi', 'Agus'))}",
                    "unit": f"{rng.choice(_UNITS)} Kabupaten {i % 97}",
                    "language": "id",
                    "timezone": rng.choice(("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")),
                    "reminder": rng.choice(("daily", "weekly", "off")),
                    "reminder_time": "08:00",
                    "quiet_start": "21:00",
                    "quiet_end": "07:00",
                    "consent_at": now - timedelta(days=10),
                    "consent_version": "2025-01",
                    "state": "menu.main",
                    "state_data": {},
                    "seq": rng.randint(10, 200),
                    "active": True,
                    "ignored_nudges": 0,
                    "last_active_at": now - timedelta(days=rng.randint(0, 9)),
                    "created_at": now - timedelta(days=10),
                    "updated_at": now - timedelta(days=1),
                }
                for i in ids
            ]
            conn.execute(insert(Participant), people)
            rows = conn.execute(
                Participant.__table__.select()
                .with_only_columns(Participant.id, Participant.name)
                .where(Participant.external_id.in_([p["external_id"] for p in people]))
            ).all()
            maps = [
                {
                    "participant_id": pid,
                    "kind": "personal",
                    "title": "Jejaring pribadi",
                    "anklam": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for pid, _ in rows
            ]
            conn.execute(insert(NetworkMap), maps)
            map_of = dict(
                conn.execute(
                    NetworkMap.__table__.select()
                    .with_only_columns(NetworkMap.participant_id, NetworkMap.id)
                    .where(NetworkMap.participant_id.in_([pid for pid, _ in rows]))
                ).all()
            )
            actors: list[dict[str, Any]] = []
            for pid, name in rows:
                map_id = map_of[pid]
                actors.append(_actor(map_id, name or "Saya", True, rng, now))
                actors += [_actor(map_id, f"Mitra {k} {pid}", False, rng, now) for k in range(9)]
            conn.execute(insert(Actor), actors)
            found = conn.execute(
                Actor.__table__.select()
                .with_only_columns(Actor.map_id, Actor.id)
                .where(Actor.map_id.in_(list(map_of.values())))
                .order_by(Actor.id)
            ).all()
            by_map: dict[int, list[int]] = {}
            for map_id, actor_id in found:
                by_map.setdefault(map_id, []).append(actor_id)
            ties = []
            for map_id, members in by_map.items():
                ego, others = members[0], members[1:]
                pairs = {(ego, o) for o in others[:7]}
                while len(pairs) < 12:
                    a, b = sorted(rng.sample(others, 2))
                    pairs.add((a, b))
                ties += [
                    {
                        "map_id": map_id,
                        "source_id": a,
                        "target_id": b,
                        "strength": rng.choice(("strong", "weak", None)),
                        "direction": "both",
                        "flows": ["information"],
                        "created_at": now,
                    }
                    for a, b in sorted(pairs)
                ]
            conn.execute(insert(Tie), ties)
            answers = [
                {
                    "participant_id": pid,
                    "exercise_key": key,
                    "text": " ".join(rng.choice(_UNITS) for _ in range(40)),
                    "data": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for pid, _ in rows
                for key in _EXERCISES
            ]
            conn.execute(insert(Answer), answers)
            conn.execute(
                insert(Progress),
                [
                    {"participant_id": pid, "item_key": key, "completed_at": now}
                    for pid, _ in rows
                    for key in _EXERCISES
                ],
            )
            counts["participants"] += len(rows)
            counts["maps"] += len(maps)
            counts["actors"] += len(actors)
            counts["ties"] += len(ties)
            counts["answers"] += len(answers)
    engine.dispose()
    return counts


def _actor(map_id: int, name: str, ego: bool, rng: random.Random, now: datetime) -> JSON:
    return {
        "map_id": map_id,
        "name": name,
        "name_key": name.lower(),
        "is_ego": ego,
        "kind": None if ego else rng.choice(_KINDS),
        "role": None if ego else f"Kepala {rng.choice(_UNITS)}",
        "inside": None if ego else rng.random() < 0.5,
        "resources": [] if ego else ["anggaran", "data"],
        "needs": None if ego else "dukungan program",
        "ibarra": None if ego else rng.choice(_IBARRA),
        "created_at": now,
    }


async def run(participants: int, active: int, pictures: int) -> JSON:
    from storage.db import Database

    async with database("sqlite") as url, BenchEmulator() as emu:
        db = Database.connect(url)
        await db.upgrade()
        await db.dispose()
        began = time.monotonic()
        counts = await asyncio.to_thread(fill, url, participants)
        filled = time.monotonic() - began
        worker = Worker(emu, url, extra_env={"JEJARING_RENDER_IDLE_S": str(RENDER_IDLE_S)})
        worker.start()
        try:
            await worker.ready()
            idle_mb = rss_mb(worker.pid)
            handled = lost = 0
            async with Load(emu, [worker.url]) as load:
                queue = [(FIRST_CHAT + i, "/menu") for i in range(active)]
                queue += [(FIRST_CHAT + i, "/peta") for i in range(pictures)]
                sent: dict[int, int] = {}
                semaphore = asyncio.Semaphore(40)

                async def one(chat: int, text: str) -> None:
                    nonlocal handled, lost
                    async with semaphore:
                        sent[chat] = sent.get(chat, 0) + 1
                        number = sent[chat]
                        uid = emu.user_sends_text(chat, text, first_name="Peserta")
                        if await load.post(chat, emu.take(uid)) != 200:
                            lost += 1
                            return
                        try:
                            await emu.nth_reply(chat, number, 60)
                            handled += 1
                        except TimeoutError:
                            lost += 1

                await asyncio.gather(*(one(c, t) for c, t in queue[:active]))
                await asyncio.sleep(1.0)
                text_only_mb = rss_mb(worker.pid)
                await asyncio.gather(*(one(c, t) for c, t in queue[active:]))
            photos = await _photos(emu, pictures, 60)  # a photo may follow /peta's text
            renderers = _children(worker.pid)
            status = _status(worker.pid)  # both read at once, while the renderer is alive
            drawn = [_status(pid) for pid in renderers]
            exited, after_exit_mb = await _renderer_exit(worker.pid, RENDER_IDLE_S + 15)
        finally:
            worker.stop()
        rss = status["VmRSS"] + sum(r["VmRSS"] for r in drawn)
        pss = status["Pss"] + sum(r["Pss"] for r in drawn)
        return {
            "rss_mb_10k_participants": round(rss, 1),
            "rss_mb_worker": round(status["VmRSS"], 1),
            "rss_mb_renderer": round(sum(r["VmRSS"] for r in drawn), 1),
            "pss_mb_total": round(pss, 1),
            "pss_mb_worker": round(status["Pss"], 1),
            "pss_mb_renderer": round(sum(r["Pss"] for r in drawn), 1),
            "renderer_processes": len(drawn),
            "rss_mb_after_renderer_exit": round(after_exit_mb, 1) if exited else None,
            "peak_rss_mb": round(status["VmHWM"], 1),
            "peak_rss_mb_renderer": round(max((r["VmHWM"] for r in drawn), default=0.0), 1),
            "rss_mb_idle_after_start": round(idle_mb, 1),
            "rss_mb_after_menus": round(text_only_mb, 1),
            "photos_received": photos,
            "stored": counts,
            "fill_seconds": round(filled, 1),
            "updates_handled": handled,
            "menus": active,
            "map_pictures": pictures,
            "lost": lost,
            "goal_mb": GOAL_MB,
            # Without the renderer's share the figure would flatter: no verdict then.
            "goal_met": rss <= GOAL_MB and bool(drawn or not pictures),
            "database": "sqlite",
            "machine": machine(),
        }


def _status(pid: int) -> dict[str, float]:
    """MB from /proc: ``VmRSS``, the peak ``VmHWM`` and ``Pss``."""
    out: dict[str, float] = {}
    for name, keys in (("status", ("VmRSS", "VmHWM")), ("smaps_rollup", ("Pss",))):
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in keys:
                out[key] = int(value.split()[0]) / 1024
    return out


def _children(pid: int) -> list[int]:
    """Live child processes of ``pid`` (the renderer), from every task's ``children`` file."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found.update(int(child) for child in (task / "children").read_text().split())
        except OSError:  # the thread ended meanwhile
            continue
    return sorted(c for c in found if _state(c) not in ("Z", None))


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


async def _photos(emu: BenchEmulator, wanted: int, timeout: float) -> int:  # noqa: ASYNC109
    """Wait until ``wanted`` photos have reached the emulator; how many did."""
    deadline = time.monotonic() + timeout
    while True:
        got = sum(1 for arrived in emu.arrivals.values() for _, m in arrived if m.get("photo"))
        if got >= wanted or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.1)


async def _renderer_exit(pid: int, timeout: float) -> tuple[bool, float]:  # noqa: ASYNC109
    """Wait for the worker's renderer to exit on its idle timer; then the worker's RSS."""
    deadline = time.monotonic() + timeout
    while _children(pid):
        if time.monotonic() > deadline:
            return False, rss_mb(pid)
        await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)
    return True, rss_mb(pid)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true", help="1,000 active participants")
    parser.add_argument("--full", action="store_true", help="all 10,000 send /menu")
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--active", type=int)
    parser.add_argument("--pictures", type=int, default=100)
    options = parser.parse_args(argv)
    active = options.active or (options.participants if options.full else 1000)
    result = asyncio.run(
        run(options.participants, min(active, options.participants), options.pictures)
    )
    emit({"memory": result}, options.json)
    complete = not result["lost"] and result["photos_received"] == result["map_pictures"]
    return 0 if result["goal_met"] and complete else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
