"""A flooding participant is slowed with a message and cannot starve the others."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.flood import FloodGuard, Verdict
from storage.db import Database
from storage.models import ProcessedUpdate
from tests.ptb import Person
from tests.test_handlers import Harness


def test_the_guard_allows_the_limit_then_warns_once_then_drops() -> None:
    now = [0.0]
    guard = FloodGuard(limit=20, window=10.0, clock=lambda: now[0])
    verdicts = [guard.check("a") for _ in range(25)]
    assert verdicts[:20] == [Verdict.ALLOW] * 20
    assert verdicts[20:] == [Verdict.WARN, *[Verdict.DROP] * 4]
    assert guard.check("b") is Verdict.ALLOW  # others are untouched
    now[0] = 10.5  # the window has passed
    assert guard.check("a") is Verdict.ALLOW
    guard.forget_idle()


def test_a_redelivered_update_is_not_counted_again() -> None:
    """Telegram retrying one update after a 500 is not a flood: it must not be dropped."""
    guard = FloodGuard(limit=3, window=10.0, clock=lambda: 0.0)
    assert [guard.check("a", update_id=7) for _ in range(30)] == [Verdict.ALLOW] * 30
    assert [guard.check("a", update_id=n) for n in (8, 9, 10)] == [
        Verdict.ALLOW,
        Verdict.ALLOW,
        Verdict.WARN,  # the fourth distinct update in the window
    ]


async def test_a_flood_is_answered_once_and_others_go_on(db: Database) -> None:
    bot = Harness(db)
    async with bot.app:
        flooder, other = bot.sari, Person(bot.app, user_id=3003)
        for i in range(25):
            await bot.app.process_update(flooder.text(f"/bantuan {i}", update_id=10_000 + i))
        await bot.app.process_update(other.text("/start", update_id=20_000))
        await bot.deliverer.idle()
        to_flooder = [m for m in bot.request.sent() if int(m["chat_id"]) == 1001]
        notices = [m for m in to_flooder if "Pelan-pelan" in m["text"]]
        assert len(notices) == 1
        assert len(to_flooder) == 20 + 1  # twenty answered, one notice
        assert any(int(m["chat_id"]) == 3003 for m in bot.request.sent())
        async with db.transaction() as session:
            handled = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
        assert handled == 20 + 1
