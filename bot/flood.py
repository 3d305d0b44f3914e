"""Flood control: a participant sending more than ``limit`` updates in ``window`` seconds is
slowed down — told once, and the rest of the burst waits (``bot/pipeline.py``: applied later,
in order, as the window frees up; refused to Telegram in webhook mode) — so one person cannot
fill the database's write queue that every other participant shares.

Telegram delivering the same update again (after a 500 while the database was away) is not the
participant sending more: an update id already counted is let through uncounted, or a few
seconds of retries would get the update itself dropped, and lost."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import StrEnum


class FloodVerdict(StrEnum):
    ALLOW = "allow"
    WARN = "warn"  # the first update over the limit: tell them to slow down
    DROP = "drop"


class FloodGuard:
    def __init__(
        self, limit: int = 20, window: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: dict[str, deque[tuple[float, int | None]]] = {}
        self._warned: dict[str, float] = {}
        self._swept = clock()

    def check(self, key: str, update_id: int | None = None) -> FloodVerdict:
        now = self.clock()
        if now - self._swept > self.window:  # at most once a window: memory stays per active user
            self._swept = now
            self.forget_idle()
        stamps = self._seen.setdefault(key, deque())
        while stamps and now - stamps[0][0] > self.window:
            stamps.popleft()
        if update_id is not None and any(seen == update_id for _, seen in stamps):
            return FloodVerdict.ALLOW  # a redelivery: counted once already
        if len(stamps) < self.limit:
            stamps.append((now, update_id))
            self._warned.pop(key, None)
            return FloodVerdict.ALLOW
        if now - self._warned.get(key, -self.window - 1) > self.window:
            self._warned[key] = now
            return FloodVerdict.WARN
        return FloodVerdict.DROP

    def admit(self, key: str, update_id: int | None = None) -> float:
        """Count one more update if the window has room (0.0), else the seconds until it may.

        For updates that waited: no warning, they were warned about already."""
        now = self.clock()
        stamps = self._seen.setdefault(key, deque())
        while stamps and now - stamps[0][0] > self.window:
            stamps.popleft()
        if len(stamps) < self.limit:
            stamps.append((now, update_id))
            return 0.0
        return max(0.001, stamps[0][0] + self.window - now + 0.001)

    def tracked(self) -> int:
        """How many participants the guard remembers."""
        return len(self._seen)

    def forget_idle(self) -> None:
        now = self.clock()
        idle = [k for k, s in self._seen.items() if not s or now - s[-1][0] > self.window]
        for key in idle:
            self._seen.pop(key, None)
            self._warned.pop(key, None)
