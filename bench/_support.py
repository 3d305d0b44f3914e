"""Shared pieces of the benchmarks: a limit-free Bot API emulator that hands updates to the
load generator, ``jejaring run`` worker processes, throwaway databases, percentiles.

Everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp

from tools.botapi_emulator.server import BotApiEmulator

REPO = Path(__file__).resolve().parent.parent
TOKEN = "123456:BENCH-token"
SECRET = "bench-Secret_1"
PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_ADMIN = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/test"
UNLIMITED = 1e9
LAST_WORDS = 20_000  # characters of a stopped worker's log kept for ``Worker.errors``

JSON = dict[str, Any]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0..1) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "p50_ms": round(percentile(ms, 0.50), 1),
        "p95_ms": round(percentile(ms, 0.95), 1),
        "max_ms": round(max(ms), 1) if ms else 0.0,
        "mean_ms": round(statistics.fmean(ms), 1) if ms else 0.0,
    }


def machine() -> str:
    cpus = os.cpu_count() or 0
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{cpus} cores{', ' + model if model else ''}, Python {sys.version.split()[0]}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def rss_mb(pid: int) -> float:
    """Resident set size of a process from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


# --------------------------------------------------------------------------- the emulator


class BenchEmulator(BotApiEmulator):
    """The test emulator with Telegram's flood limits lifted and two additions for benches:

    - ``take(update_id)`` hands an update to the load generator (which POSTs it to the worker
      owning that chat, like a sticky load balancer) instead of the emulator's own one-at-a-time
      webhook loop — unless ``own_delivery`` is set (fault runs use the emulator's loop);
    - every message the bot sends or edits is timestamped per chat (``arrivals``), so a waiter
      wakes as soon as its reply is there without scanning every chat.
    """

    def __init__(self, *, own_delivery: bool = False, **options: Any) -> None:
        limits: dict[str, Any] = {
            "per_chat_burst": UNLIMITED,
            "per_chat_rate": UNLIMITED,
            "global_rate": UNLIMITED,
        }
        limits.update(options)
        super().__init__(token=TOKEN, auto_webhook=own_delivery, **limits)
        self.own_delivery = own_delivery
        self.arrivals: dict[int, list[tuple[float, JSON]]] = {}
        self._taken: dict[int, JSON] = {}
        self._wake: dict[int, asyncio.Event] = {}

    def _insert(self, item: Any) -> None:
        if self.own_delivery:
            super()._insert(item)
        else:
            self._taken[item.update_id] = item.update

    def take(self, update_id: int) -> JSON:
        return self._taken.pop(update_id)

    def _store_message(self, chat_id: int, method: str, p: Any, **kwargs: Any) -> JSON:
        result = super()._store_message(chat_id, method, p, **kwargs)
        self.arrivals.setdefault(chat_id, []).append((time.perf_counter(), result))
        event = self._wake.pop(chat_id, None)
        if event is not None:
            event.set()
        return result

    async def nth_reply(
        self,
        chat_id: int,
        n: int,
        timeout: float,  # noqa: ASYNC109 -- a deadline, bounded like every bench wait
    ) -> tuple[float, JSON]:
        """The ``n``-th (1-based) message to the chat and when it arrived."""
        deadline = time.monotonic() + timeout
        while len(got := self.arrivals.get(chat_id, [])) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"chat {chat_id}: wanted {n} messages, got {len(got)}")
            event = self._wake.setdefault(chat_id, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), left)
        return got[n - 1]


def buttons(message: JSON) -> list[str]:
    markup = message.get("reply_markup") or {"inline_keyboard": []}
    return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]


def button_ending(message: JSON, suffix: str) -> str:
    for data in buttons(message):
        if data.endswith(suffix):
            return data
    raise LookupError(f"no button ending in {suffix!r} in {buttons(message)}")


# --------------------------------------------------------------------------- databases


async def _admin(statement: str) -> None:
    from sqlalchemy import create_engine, text

    def run() -> None:
        engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(statement))
        finally:
            engine.dispose()

    await asyncio.to_thread(run)


def postgres_reachable() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


@contextlib.asynccontextmanager
async def database(kind: str) -> AsyncIterator[str]:
    """A throwaway database's URL: a SQLite file in a temporary folder, or a PostgreSQL
    database created for this run and dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="jejaring-bench-") as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    name = f"jejaring_bench_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- workers


class Worker:
    """One ``jejaring run`` process in webhook mode on its own port."""

    def __init__(
        self,
        emu: BotApiEmulator,
        database_url: str,
        *,
        webhook: bool = True,
        rate_limited: bool = False,
        extra_env: dict[str, str] | None = None,
        command: Sequence[str] | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/telegram"
        self.env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": emu.base_url,
            "DATABASE_URL": database_url,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(REPO),
            "PTB_TIMEDELTA": "true",
            "JEJARING_RATE_LIMIT": "1" if rate_limited else "0",
        }
        if webhook:
            self.env.update(WEBHOOK_URL=self.url, WEBHOOK_SECRET=SECRET)
        else:
            self.env.pop("WEBHOOK_URL", None)
        self.env.update(extra_env or {})
        self.command = list(command or [sys.executable, "-m", "cli.main", "run"])
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tempfile.NamedTemporaryFile(prefix="jejaring-worker-", suffix=".log")  # noqa: SIM115
        self._last_words = ""

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        self.proc = subprocess.Popen(
            self.command,
            env=self.env,
            cwd=str(REPO),
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    async def ready(self, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        """Wait for ``/healthz`` (webhook mode) to answer."""
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"worker exited {self.proc.returncode}: {self.errors()}")
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    url = f"http://127.0.0.1:{self.port}/healthz"
                    async with session.get(url) as resp:
                        if resp.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise TimeoutError(f"worker on {self.port} not ready: {self.errors()}")

    def errors(self, tail: int = 4000) -> str:
        if self.log.closed:  # stopped: what it had written then
            return self._last_words[-tail:]
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-tail:]

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (a graceful stop; profilers write their output), SIGKILL if it hangs."""
        try:
            if self.proc is None or self.proc.poll() is not None:
                return
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        finally:
            self._close_log()

    def _close_log(self) -> None:
        """Close (and so delete) the log, keeping its end for ``errors``: a log left open
        was closed by the garbage collector, whose ResourceWarning then surfaced in whichever
        test happened to be running (pytest turns it into a failure)."""
        if not self.log.closed:
            self._last_words = self.errors(LAST_WORDS)
            self.log.close()


def emit(result: JSON, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=2))
