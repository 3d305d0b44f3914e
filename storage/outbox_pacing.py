"""How fast one chat may be written to: the deliverer's per-chat pace (``storage/outbox.py``)."""

from __future__ import annotations

import time
from collections.abc import Callable


class ChatPacer:
    """Per-chat token bucket: Telegram allows about one message a second, in short bursts."""

    def __init__(
        self, rate: float = 1.0, burst: int = 3, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[int, tuple[float, float]] = {}

    def _tokens(self, chat_id: int, now: float) -> float:
        tokens, stamp = self._buckets.get(chat_id, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - stamp) * self.rate)

    def spare(self, chat_id: int) -> float:
        """Seconds until this chat could take a lazy message and still have one left for its
        next message (0: now). Takes nothing."""
        need = min(2.0, float(self.burst))
        tokens = self._tokens(chat_id, self.clock())
        return 0.0 if tokens >= need else (need - tokens) / self.rate

    def ready(self, chat_id: int) -> bool:
        """Whether this chat may take one more message now (:meth:`delay` would be 0). Takes
        nothing."""
        return self._tokens(chat_id, self.clock()) >= 1

    def delay(self, chat_id: int) -> float:
        """Seconds to wait before this chat may take one more message (and take it)."""
        now = self.clock()
        tokens = self._tokens(chat_id, now)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
        self._buckets[chat_id] = (tokens - 1, now + wait) if wait else (tokens - 1, now)
        if len(self._buckets) > 50_000:  # forget idle chats
            cutoff = now - self.burst / self.rate
            self._buckets = {k: v for k, v in self._buckets.items() if v[1] > cutoff}
        return wait


class Unpaced(ChatPacer):
    """No pacing at all: for benchmarks against a local emulator (``JEJARING_RATE_LIMIT=0``)."""

    def delay(self, chat_id: int) -> float:
        return 0.0

    def spare(self, chat_id: int) -> float:
        return 0.0

    def ready(self, chat_id: int) -> bool:
        return True
