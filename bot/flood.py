"""Flood control: a participant sending more than ``limit`` updates in ``window`` seconds is
slowed down — told once, and the rest of the burst is dropped — so one person cannot fill the
database's write queue that every other participant shares."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import StrEnum


class Verdict(StrEnum):
    ALLOW = "allow"
    WARN = "warn"  # the first update over the limit: tell them to slow down
    DROP = "drop"


class FloodGuard:
    def __init__(
        self, limit: int = 20, window: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: dict[str, deque[float]] = {}
        self._warned: dict[str, float] = {}

    def check(self, key: str) -> Verdict:
        now = self.clock()
        stamps = self._seen.setdefault(key, deque())
        while stamps and now - stamps[0] > self.window:
            stamps.popleft()
        if len(stamps) < self.limit:
            stamps.append(now)
            self._warned.pop(key, None)
            return Verdict.ALLOW
        if now - self._warned.get(key, -self.window - 1) > self.window:
            self._warned[key] = now
            return Verdict.WARN
        return Verdict.DROP

    def forget_idle(self) -> None:
        now = self.clock()
        idle = [k for k, s in self._seen.items() if not s or now - s[-1] > self.window]
        for key in idle:
            self._seen.pop(key, None)
            self._warned.pop(key, None)
