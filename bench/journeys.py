"""The fault benchmark's journeys (bench/faults.py): one participant's onboarding over the Bot
API emulator, the chaos done to it, and the verdict on what every chat received — lost,
duplicated (inside a kill's or a database restart's window, or not), resumed."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench._support import JSON, BenchEmulator, button_ending

# Each step of the journey and how many messages the bot answers it with: the name is
# answered by the greeting (how to address them, its buttons) and the unit's question.
STEPS: tuple[tuple[str, str, int], ...] = (
    ("text", "/start", 1),
    ("press", "agree", 1),
    ("press", "lang:id", 1),
    ("text", "Sari Dewi", 2),
    ("text", "Bappeda Kabupaten Karawang", 1),
    ("press", "WIB", 1),
    ("press", "daily", 1),
)
REPLIES = sum(count for _, _, count in STEPS)  # messages of a whole journey
FIRST_CHAT = 90_000_000
STEP_TIMEOUT = 60.0
SLOWEST = 3.0  # the longest injected Bot API delay, seconds
IN_FLIGHT = SLOWEST + 0.5  # how long before its arrival a send may have been started


@dataclass
class Journey:
    chat: int
    started: float = 0.0
    finished: float | None = None
    replies: int = 0


@dataclass
class Chaos:
    kills: list[float] = field(default_factory=list)
    pg_restarts: list[tuple[float, float]] = field(default_factory=list)
    redelivered: int = 0
    double_taps: int = 0
    faults: dict[str, int] = field(default_factory=dict)


async def journey(emu: BenchEmulator, j: Journey, rng: random.Random, chaos: Chaos) -> None:
    j.started = time.perf_counter()
    last: JSON | None = None
    number = 0  # distinct messages the chat should have had so far
    for kind, value, count in STEPS:
        if kind == "text":
            uid = emu.user_sends_text(j.chat, value, first_name="Peserta", language_code="id")
        else:
            assert last is not None
            data = button_ending(last, value)
            uid = emu.user_presses(j.chat, last["message_id"], data)
            if rng.random() < 0.2:
                emu.user_presses(j.chat, last["message_id"], data)  # a double tap
                chaos.double_taps += 1
        if rng.random() < 0.15:
            emu.redeliver(uid)  # Telegram sends the same update again
            chaos.redelivered += 1
        number += count
        try:
            last = await distinct_reply(emu, j.chat, number, STEP_TIMEOUT)
        except TimeoutError:
            return
        j.replies = number
        await asyncio.sleep(rng.random() * 0.2)  # a participant reads, then answers
    j.finished = time.perf_counter()


def _key(message: JSON) -> str:
    return f"{message.get('text')}|{message.get('reply_markup')}"


async def distinct_reply(
    emu: BenchEmulator,
    chat: int,
    n: int,
    timeout: float,  # noqa: ASYNC109
) -> JSON:
    """The ``n``-th distinct message to the chat (a duplicate is counted later, not here)."""
    deadline = time.monotonic() + timeout
    count = n
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"chat {chat}: no reply {n}")
        await emu.nth_reply(chat, count, left)
        got = emu.arrivals.get(chat, [])
        distinct: dict[str, JSON] = {}
        for _, message in got:
            distinct.setdefault(_key(message), message)
        if len(distinct) >= n:
            return list(distinct.values())[n - 1]
        count = len(got) + 1


def verdict(emu: BenchEmulator, journeys: Sequence[Journey], chaos: Chaos) -> JSON:
    lost = duplicated = window = db_window = resumed = 0
    for j in journeys:
        got = emu.arrivals.get(j.chat, [])
        seen: dict[str, float] = {}
        for arrived, message in got:
            key = _key(message)
            if key in seen:
                first = seen[key]
                # Telegram took the first copy, but the process died while that call was in
                # flight (up to the longest injected delay) or before recording it as sent;
                # the copy came after the restart.
                if any(first - IN_FLIGHT <= k <= arrived for k in chaos.kills):
                    window += 1
                elif any(b - 0.5 <= first <= e + 0.5 for b, e in chaos.pg_restarts):
                    db_window += 1
                else:
                    duplicated += 1
            else:
                seen[key] = arrived
        lost += max(0, REPLIES - len(seen))
        end = j.finished or float("inf")
        interrupted = any(j.started <= k <= end for k in chaos.kills) or any(
            j.started <= a <= end for a, _ in chaos.pg_restarts
        )
        if interrupted and j.finished is not None:
            resumed += 1
    return {
        "trials": len(journeys),
        "completed": sum(1 for j in journeys if j.finished is not None),
        "lost": lost,
        "duplicated": duplicated,
        "duplicated_kill_window": window,
        "duplicated_db_restart_window": db_window,
        "resumed": resumed,
        "kills": len(chaos.kills),
        "pg_restarts": len(chaos.pg_restarts),
        "redelivered_updates": chaos.redelivered,
        "double_taps": chaos.double_taps,
        "api_faults": dict(chaos.faults),
    }
