"""Does PTB's HTTP transport matter at the rates Telegram allows? ``python -m bench.transport``.

The bot's replies leave through PTB's ``BaseRequest``: PTB's own ``HTTPXRequest`` or
``bot.http.AiohttpRequest``. Telegram takes about 30 messages a second from one bot
(``AIORateLimiter(overall_max_rate=30)``), so what matters is the CPU each transport costs at
that rate, not how fast it can go. Both send ``sendMessage`` through a PTB ``Bot`` to the Bot
API emulator, which runs in a process of its own (its CPU is not counted):

- ``cpu_ms_per_request``: this process's CPU per request, sending as fast as 8 connections
  allow (the transport's cost, with PTB's building and parsing of each request);
- ``paced``: ``--rate`` requests a second for ``--seconds`` (Telegram's pace): the share of
  one core the bot spends sending, and the latency of a request (p50, p99).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from bench._support import REPO, machine

TOKEN = "123456:BENCH-transport"
CHATS = 50
CONNECTIONS = 8


@asynccontextmanager
async def emulator() -> AsyncIterator[str]:
    """The Bot API emulator in a process of its own, its limits lifted; its base URL."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tools.botapi_emulator",
        "--port",
        "0",
        "--token",
        TOKEN,
        "--per-chat-burst",
        "1000000",
        "--per-chat-rate",
        "1000000",
        "--global-rate",
        "1000000",
        cwd=str(REPO),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), timeout=30)).decode().strip()
        base_url = line.removeprefix("base_url=")
        root = base_url.removesuffix("/bot")
        async with aiohttp.ClientSession() as session:
            for chat in range(1, CHATS + 1):  # the emulator writes only to chats that wrote
                await session.post(f"{root}/_emu/text", json={"chat_id": chat, "text": "hi"})
        yield base_url
    finally:
        proc.terminate()
        await proc.wait()


def transport(name: str) -> BaseRequest:
    if name == "httpx":
        return HTTPXRequest(connection_pool_size=CONNECTIONS)
    from bot.http import AiohttpRequest

    return AiohttpRequest(CONNECTIONS)


async def flat_out(bot: Bot, count: int) -> float:
    """CPU ms per request, ``count`` requests, at most ``CONNECTIONS`` in flight."""
    slots = asyncio.Semaphore(CONNECTIONS)

    async def one(i: int) -> None:
        async with slots:
            await bot.send_message(1 + i % CHATS, f"pesan {i}")

    await asyncio.gather(*(one(i) for i in range(50)))  # warm up: connections, caches
    began = time.process_time()
    await asyncio.gather(*(one(i) for i in range(count)))
    return (time.process_time() - began) * 1000 / count


async def paced(bot: Bot, rate: float, seconds: float) -> dict[str, float]:
    """``rate`` requests a second for ``seconds``: CPU share of one core, latency."""
    latencies: list[float] = []

    async def one(i: int) -> None:
        began = time.monotonic()
        await bot.send_message(1 + i % CHATS, f"pesan {i}")
        latencies.append(time.monotonic() - began)

    count = round(rate * seconds)
    tasks = []
    wall, cpu = time.monotonic(), time.process_time()
    for i in range(count):
        await asyncio.sleep(max(0.0, wall + i / rate - time.monotonic()))
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    latencies.sort()
    return {
        "requests": count,
        "cpu_share_of_one_core_pct": round(100 * cpu / wall, 2),
        "cpu_ms_per_second": round(1000 * cpu / wall, 1),
        "latency_p50_ms": round(1000 * statistics.median(latencies), 2),
        "latency_p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 2),
    }


async def measure(name: str, base_url: str, count: int, rate: float, seconds: float) -> Any:
    bot = Bot(TOKEN, base_url=base_url, request=transport(name))
    async with bot:
        cpu = [await flat_out(bot, count) for _ in range(3)]
        return {
            "cpu_ms_per_request": round(statistics.median(cpu), 3),
            "paced": await paced(bot, rate, seconds),
        }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    async with emulator() as base_url:
        for name in ("httpx", "aiohttp"):
            results[name] = await measure(name, base_url, args.count, args.rate, args.seconds)
    saved = results["httpx"]["cpu_ms_per_request"] - results["aiohttp"]["cpu_ms_per_request"]
    results["aiohttp_saves_ms_cpu_per_request"] = round(saved, 3)
    results["aiohttp_saves_pct_of_one_core_at_rate"] = round(saved * args.rate / 10, 2)
    results["rate_per_s"] = args.rate
    results["machine"] = machine()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000, help="requests per flat-out run")
    parser.add_argument("--rate", type=float, default=30.0, help="Telegram's global limit")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--quick", action="store_true", help="fewer requests (CI)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.count, args.seconds = 500, 10.0
    results = asyncio.run(main_async(args))
    if args.json:
        print(json.dumps({"transport": results}))
        return
    print(f"PTB transports, sendMessage to the Bot API emulator ({machine()})")
    for name in ("httpx", "aiohttp"):
        r, p = results[name], results[name]["paced"]
        print(
            f"  {name:8} {r['cpu_ms_per_request']:.3f} ms CPU/request flat out; at "
            f"{args.rate:g}/s: {p['cpu_share_of_one_core_pct']:.2f} % of one core, "
            f"latency p50 {p['latency_p50_ms']:.1f} ms, p99 {p['latency_p99_ms']:.1f} ms"
        )
    print(
        f"  aiohttp saves {results['aiohttp_saves_ms_cpu_per_request']:.3f} ms CPU per request: "
        f"{results['aiohttp_saves_pct_of_one_core_at_rate']:.2f} % of one core at {args.rate:g}/s"
    )


if __name__ == "__main__":
    main()
