"""Starvation: does one participant's heavy work slow everyone else's replies? (SQLite)

Usage: ``python -m bench.starvation [--quick] [--json] [--others N] [--rows N] [--actors N]``

One ``jejaring run`` worker in webhook mode on SQLite (the emulator as the Bot API, Telegram's
limits lifted as in ``bench/throughput.py``). Meanwhile ``--others`` participants (8) walk the
three-step dialog of the throughput bench in a closed loop; their update → reply latencies are
the figures. Two phases:

- *quiet*: the others alone, for a few seconds;
- *stress*: at the same time, one participant sends a CSV of ``--rows`` (5,000) ties, gets its
  preview and taps "import", and a coach loads the dashboard page of another participant
  whose map has ``--actors`` (2,500) actors, four times at once (four tabs, four coaches).
  The phase lasts until the import's answer and the four pages have all arrived.

The goal (issue 18): the others' reply p95 ≤ 1 s during the stress phase. Printed too: how
long the import and the pages took, and the machine's load before the run (every figure here
shares the machine's cores with the worker).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy import insert, select

from bench._support import (
    JSON,
    SECRET,
    BenchEmulator,
    Worker,
    button_ending,
    database,
    emit,
    load_average,
    machine,
    summary_ms,
)
from bench.throughput import Load, Measure
from tools.seeding import transaction

REPLY_TIMEOUT = 300.0
IMPORTER = 61_000_001
OWNER_CHAT = 61_000_002
COACH_USER = 61_000_003


def edge_list(rows: int, people: int, seed: int = 1) -> bytes:
    """``rows`` distinct ties among ``people`` actors, as the CSV a participant would send."""
    rng = random.Random(seed)
    names = [f"Aktor {i:04d}" for i in range(people)]
    lines, seen = ["source,target,strength"], set()
    while len(lines) <= rows:
        a, b = rng.sample(names, 2)
        if frozenset((a, b)) not in seen:
            seen.add(frozenset((a, b)))
            lines.append(f"{a},{b},{rng.choice(['kuat', 'lemah'])}")
    return ("\n".join(lines) + "\n").encode()


async def seed(url: str, actors: int) -> tuple[int, str]:
    """A cohort, its coach with a dashboard session, and a participant whose map has
    ``actors`` actors. Returns (that participant's id, the session cookie's value)."""
    from storage import cohorts
    from storage.db import Database
    from storage.models import (
        Actor,
        Coach,
        CoachCohort,
        CoachSession,
        NetworkMap,
        Participant,
        Tie,
    )

    now = datetime.now(UTC)
    db = Database.connect(url)
    try:
        created = await cohorts.create_cohort(db, "Bench", now=now)
        token = "bench-session-" + "x" * 20
        with transaction(db) as session:
            coach = Coach(telegram_user_id=COACH_USER, name=None, created_at=now)
            session.add(coach)
            session.flush()
            session.add(CoachCohort(coach_id=coach.id, cohort_id=created.id))
            session.add(
                CoachSession(
                    coach_id=coach.id,
                    token_hash=cohorts.digest(token),
                    expires_at=now + timedelta(hours=1),
                    created_at=now,
                )
            )
            owner = Participant(
                external_id=f"tg:{OWNER_CHAT}",
                chat_id=OWNER_CHAT,
                cohort_id=created.id,
                name="Pemilik Peta",
                language="id",
                state="menu.main",
                state_data={},
                seq=1,
                active=True,
                ignored_nudges=0,
                reminder_time="08:00",
                quiet_start="21:00",
                quiet_end="07:00",
                consent_at=now,
                consent_version="bench",
                created_at=now,
                updated_at=now,
            )
            session.add(owner)
            session.flush()
            big = NetworkMap(
                participant_id=owner.id,
                kind="case",
                title="Peta besar",
                anklam={},
                created_at=now,
                updated_at=now,
            )
            session.add(big)
            session.flush()
            names = [f"Pelaku {i:04d}" for i in range(actors)]
            session.execute(
                insert(Actor),
                [
                    {
                        "map_id": big.id,
                        "name": n,
                        "name_key": n.casefold(),
                        "is_ego": False,
                        "resources": [],
                        "created_at": now,
                    }
                    for n in names
                ],
            )
            found = session.execute(select(Actor.name, Actor.id).where(Actor.map_id == big.id))
            ids = {name: actor_id for name, actor_id in found.all()}
            rng = random.Random(2)
            pairs = {tuple(sorted(rng.sample(names, 2))) for _ in range(actors * 2)}
            session.execute(
                insert(Tie),
                [
                    {
                        "map_id": big.id,
                        "source_id": ids[a],
                        "target_id": ids[b],
                        "strength": "weak",
                        "direction": "both",
                        "flows": [],
                        "created_at": now,
                    }
                    for a, b in pairs
                ],
            )
            return owner.id, token
    finally:
        await db.dispose()


class Chat:
    """One participant driven by hand: send, wait for the bot's answer, tap its buttons.

    Its own HTTP session, patient enough for an import that takes minutes (it did: the
    closed loop's 60 s would cut it short)."""

    def __init__(self, emu: BenchEmulator, url: str, chat: int) -> None:
        self.emu, self.url, self.chat = emu, url, chat
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REPLY_TIMEOUT))

    async def close(self) -> None:
        await self.session.close()

    async def post(self, update: JSON) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with self.session.post(self.url, json=update, headers=headers) as response:
            body = await response.read()
            status = response.status
        await self.emu.run_webhook_reply(body)
        return status

    def _count(self) -> int:
        return len(self.emu.arrivals.get(self.chat, []))

    async def _answer(self, uid: int) -> tuple[float, JSON]:
        before = self._count()
        started = time.perf_counter()
        status = await self.post(self.emu.take(uid))
        if status != 200:
            raise RuntimeError(f"chat {self.chat}: webhook answered {status}")
        arrived, message = await self.emu.nth_reply(self.chat, before + 1, REPLY_TIMEOUT)
        return arrived - started, message

    async def say(self, text: str) -> tuple[float, JSON]:
        return await self._answer(self.emu.user_sends_text(self.chat, text, "Importir", "id"))

    async def send_file(self, name: str, content: bytes) -> tuple[float, JSON]:
        uid = self.emu.user_sends_document(self.chat, name, content, "text/csv")
        return await self._answer(uid)

    async def tap(self, value: str) -> tuple[float, JSON]:
        for _, message in reversed(self.emu.arrivals.get(self.chat, [])):
            with contextlib.suppress(LookupError):
                data = button_ending(message, f":{value}")
                uid = self.emu.user_presses(self.chat, message["message_id"], data)
                return await self._answer(uid)
        raise LookupError(f"chat {self.chat}: no button {value!r}")

    async def settle(self) -> None:
        """Wait until the bot has sent everything it had for this chat (no new message for
        a moment): some steps answer in two messages."""
        count = -1
        while count != self._count():
            count = self._count()
            await asyncio.sleep(0.3)


async def others_until(load: Load, measure: Measure, done: asyncio.Event, n: int) -> None:
    async def slot() -> None:
        while not done.is_set():
            await load.dialog(measure)

    await asyncio.gather(*(slot() for _ in range(n)))


async def pages(url: str, cookie: str, count: int) -> list[float]:
    """``count`` loads of one dashboard page at once; each one's seconds until it is whole."""
    jar = aiohttp.CookieJar(unsafe=True)
    timeout = aiohttp.ClientTimeout(total=REPLY_TIMEOUT)
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as session:

        async def one() -> float:
            started = time.perf_counter()
            async with session.get(url, cookies={"jejaring_session": cookie}) as response:
                body = await response.text()
                if response.status != 200 or "Pelaku 0001" not in body:
                    raise RuntimeError(f"dashboard answered {response.status}: {body[:300]}")
            return time.perf_counter() - started

        return list(await asyncio.gather(*(one() for _ in range(count))))


async def run(options: argparse.Namespace) -> JSON:
    content = edge_list(options.rows, people=max(50, options.rows // 2))
    async with BenchEmulator() as emu, database("sqlite") as url:
        worker = Worker(emu, url)
        worker.start()
        try:
            await worker.ready()
            owner_id, cookie = await seed(url, options.actors)
            page_url = f"http://127.0.0.1:{worker.port}/participants/{owner_id}"
            async with Load(emu, [worker.url]) as load:
                await load.warm_up(10)
                importer = Chat(emu, worker.url, IMPORTER)
                await importer.say("/start")
                for step in ("agree", "lang:id"):
                    await importer.tap(step)
                await importer.say("Sari Importir")
                await importer.settle()  # the greeting, then the unit's question
                await importer.say("Bappeda")
                for step in ("WIB", "daily", "net"):
                    await importer.tap(step)
                await importer.settle()
                loadavg = load_average()

                quiet = Measure()
                stop = asyncio.Event()
                others = asyncio.create_task(others_until(load, quiet, stop, options.others))
                await asyncio.sleep(options.quiet)
                stop.set()
                await others

                stressed = Measure()
                stop = asyncio.Event()
                others = asyncio.create_task(others_until(load, stressed, stop, options.others))
                await asyncio.sleep(0.5)
                began = time.perf_counter()

                async def importing() -> dict[str, float]:
                    preview, message = await importer.send_file("besar.csv", content)
                    if "besar" not in str(message.get("text")):
                        raise RuntimeError(f"no preview: {str(message.get('text'))[:300]}")
                    imported, message = await importer.tap("yes")
                    return {"preview_s": round(preview, 2), "import_s": round(imported, 2)}

                timing, loads = await asyncio.gather(
                    importing(), pages(page_url, cookie, options.pages)
                )
                stress_seconds = time.perf_counter() - began
                await asyncio.sleep(0.5)
                stop.set()
                await others
                await importer.close()
        finally:
            worker.stop()
            died = worker.proc is not None and worker.proc.returncode not in (0, -15, None)
    quiet_figures = summary_ms(quiet.replies)
    stress_figures = summary_ms(stressed.replies)
    result: JSON = {
        "others": options.others,
        "quiet": {"updates": len(quiet.replies), "lost": quiet.lost, **quiet_figures},
        "stress": {
            "updates": len(stressed.replies),
            "lost": stressed.lost,
            "errors": stressed.errors,
            "seconds": round(stress_seconds, 2),
            **stress_figures,
        },
        "import": {"rows": options.rows, **timing},
        "dashboard": {
            "actors": options.actors,
            "pages": options.pages,
            "seconds": [round(s, 2) for s in loads],
        },
        "goals": {"stress.p95_ms<=1000": stress_figures["p95_ms"] <= 1000},
        "load_average_before": loadavg,
        "machine": machine(),
    }
    if died:
        result["worker_died"] = worker.errors()
    return result


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="the default sizes")
    parser.add_argument("--others", type=int, default=8, help="participants in the closed loop")
    parser.add_argument("--rows", type=int, default=5000, help="ties in the imported CSV")
    parser.add_argument("--actors", type=int, default=2500, help="actors on the dashboard's map")
    parser.add_argument("--pages", type=int, default=4, help="dashboard loads at once")
    parser.add_argument("--quiet", type=float, default=4.0, help="seconds of the quiet phase")
    options = parser.parse_args(argv)
    result: Any = asyncio.run(run(options))
    emit({"starvation": result}, options.json)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
