"""Round trips to PostgreSQL per update: the throughput dialog through a counting TCP proxy.

Usage: ``python -m bench.roundtrips [--json] [--participants N ...] [--seconds S]
[--server-delay-ms D]``

A real ``jejaring run`` worker (webhook, outbox, emulator: as ``bench.throughput`` runs it)
reaches PostgreSQL through a proxy in this process that counts *turns*: each time the client
sends after the server last spoke (or first) is one round trip the worker waits for. Pipelined
messages sent without waiting count once. Counted after a warm-up, over whole dialogs (every
update's transaction, its replies' sends and their records, the sweep once a second), divided
by the updates measured. With one participant nothing is group-committed (each update pays its
own BEGIN/COMMIT); with many, transactions share COMMITs and the figure falls.

``--server-delay-ms D`` holds each of the server's answers D ms before passing it on: a
database on another machine, as several workers sharing one would have it (asyncio's timers
are not finer than about a millisecond). With it, ``updates_per_s`` says what the round trips
cost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bench._support import (
    JSON,
    PG_HOST,
    PG_PORT,
    BenchEmulator,
    Worker,
    database,
    emit,
    free_port,
    postgres_reachable,
)
from bench.throughput import Load


@dataclass
class Counter:
    turns: int = 0  # client sends after the server spoke: round trips
    client_bytes: int = 0
    server_bytes: int = 0
    connections: int = 0

    def reset(self) -> None:
        self.turns = self.client_bytes = self.server_bytes = 0


class CountingProxy:
    """127.0.0.1:<port> → PostgreSQL, counting round trips per connection (summed)."""

    def __init__(self, server_delay: float = 0.0) -> None:
        self.port = free_port()
        self.counter = Counter()
        self.server_delay = server_delay
        self._server: asyncio.Server | None = None
        self._pumps: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> CountingProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._pumps):
            task.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(PG_HOST, PG_PORT)
        self.counter.connections += 1
        last = ["server"]  # who spoke last on this connection

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, side: str) -> None:
            try:
                while data := await src.read(65536):
                    if side == "client":
                        if last[0] != "client":
                            self.counter.turns += 1
                        self.counter.client_bytes += len(data)
                    else:
                        self.counter.server_bytes += len(data)
                        if self.server_delay:
                            await asyncio.sleep(self.server_delay)
                    last[0] = side
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    dst.close()

        tasks = [
            asyncio.create_task(pump(client_r, server_w, "client")),
            asyncio.create_task(pump(server_r, client_w, "server")),
        ]
        self._pumps.update(tasks)
        await asyncio.gather(*tasks, return_exceptions=True)
        self._pumps.difference_update(tasks)


async def measure(participants: int, seconds: float, server_delay: float = 0.0) -> JSON:
    async with (
        BenchEmulator() as emu,
        database("postgres") as url,
        CountingProxy(server_delay) as proxy,
        contextlib.AsyncExitStack() as stack,
    ):
        proxied = url.replace(f"{PG_HOST}:{PG_PORT}", f"127.0.0.1:{proxy.port}")
        worker = Worker(emu, proxied)
        worker.start()
        stack.callback(worker.stop)
        await worker.ready()
        async with Load(emu, [worker.url]) as load:
            await load.warm_up()
            await asyncio.sleep(1.5)  # the warm-up's sends recorded
            proxy.counter.reset()
            started = time.monotonic()
            result = await load.closed_loop(participants, seconds)
            elapsed = time.monotonic() - started
            await asyncio.sleep(1.5)  # the last replies' records
            counter = proxy.counter
            updates = max(1, result.updates)
            return {
                "participants": participants,
                "updates": result.updates,
                "lost": result.lost,
                "server_delay_ms": round(server_delay * 1000, 3),
                "updates_per_s": round(result.updates / elapsed, 1),
                "round_trips": counter.turns,
                "round_trips_per_update": round(counter.turns / updates, 2),
                "client_bytes_per_update": round(counter.client_bytes / updates),
                "server_bytes_per_update": round(counter.server_bytes / updates),
            }


async def main_async(options: argparse.Namespace) -> JSON:
    if not postgres_reachable():
        return {"missing": f"PostgreSQL at {PG_HOST}:{PG_PORT} is not running"}
    results: JSON = {}
    for participants in options.participants:
        print(f"roundtrips: {participants} participants ...", file=sys.stderr, flush=True)
        results[str(participants)] = await measure(
            participants, options.seconds, options.server_delay_ms / 1000
        )
        print(f"  {results[str(participants)]}", file=sys.stderr, flush=True)
    return results


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--participants", type=int, nargs="*", default=[1, 50])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--server-delay-ms", type=float, default=0.0)
    options = parser.parse_args(argv)
    emit({"roundtrips": asyncio.run(main_async(options))}, options.json)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
