"""A flooding participant is slowed with a message and cannot starve the others."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from bot.flood import FloodGuard
from bot.flood import FloodVerdict as Verdict
from storage.db import Database
from storage.models import ProcessedUpdate
from tests.ptb import Person
from tests.support import transaction
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


def test_the_guard_forgets_participants_idle_for_a_window() -> None:
    now = [0.0]
    guard = FloodGuard(limit=20, window=10.0, clock=lambda: now[0])
    for n in range(1000):
        guard.check(f"p{n}")
    now[0] = 25.0
    guard.check("late")
    assert guard.tracked() == 1  # only "late" is still remembered


def test_a_redelivered_update_is_not_counted_again() -> None:
    """Telegram retrying one update after a 500 is not a flood: it must not be dropped."""
    guard = FloodGuard(limit=3, window=10.0, clock=lambda: 0.0)
    assert [guard.check("a", update_id=7) for _ in range(30)] == [Verdict.ALLOW] * 30
    assert [guard.check("a", update_id=n) for n in (8, 9, 10)] == [
        Verdict.ALLOW,
        Verdict.ALLOW,
        Verdict.WARN,  # the fourth distinct update in the window
    ]


async def test_a_flood_is_answered_once_others_go_on_and_nothing_is_lost(db: Database) -> None:
    bot = Harness(db)
    bot.pipeline.flood = FloodGuard(limit=20, window=1.0)
    async with bot.app:
        flooder, other = bot.sari, Person(bot.app, user_id=3003)
        # A burst: all 25 arrive within the window (each is counted as it arrives).
        burst = [flooder.text(f"/bantuan {i}", update_id=10_000 + i) for i in range(25)]
        await asyncio.gather(*(bot.app.process_update(update) for update in burst))
        await bot.app.process_update(other.text("/start", update_id=20_000))
        await bot.deliverer.idle()
        assert any(int(m["chat_id"]) == 3003 for m in bot.request.sent())  # not held up
        await bot.pipeline.idle()  # the five over the limit, applied as the window frees
        await bot.deliverer.idle()
        to_flooder = [m for m in bot.request.sent() if int(m["chat_id"]) == 1001]
        notices = [m for m in to_flooder if "lebih lambat" in m["text"]]
        assert len(notices) == 1
        assert len(to_flooder) == 25 + 1  # every one answered, one notice
        with transaction(db) as session:
            handled = session.scalar(select(func.count()).select_from(ProcessedUpdate))
        assert handled == 25 + 1


async def test_a_state_change_over_the_limit_is_applied_later_in_order(db: Database) -> None:
    """The issue's case: a tap after a burst was dropped and its change lost."""
    bot = Harness(db)
    bot.pipeline.flood = FloodGuard(limit=3, window=1.0)
    async with bot.app:
        sari = bot.sari
        burst = [
            sari.text("/start"),
            sari.press("j1:1:agree"),
            sari.text("/bantuan"),
            sari.text("/bantuan"),  # over: told, held
            sari.press("j1:2:lang:en"),  # over: the state change, held behind it
        ]
        await asyncio.gather(*(bot.app.process_update(update) for update in burst))
        assert (await bot.participant()).language == "id"  # not yet...
        await bot.pipeline.idle()
        await bot.deliverer.idle()
        participant = await bot.participant()
        assert participant.language == "en" and participant.state == "onboarding.name"
        assert "What is your name" in bot.request.sent()[-1]["text"]
        assert len(bot.request.answers()) == 2  # both taps' spinners stopped


async def test_past_one_window_held_the_participant_is_told_it_was_not_applied(
    db: Database,
) -> None:
    bot = Harness(db)
    bot.pipeline.flood = FloodGuard(limit=2, window=30.0)
    async with bot.app:
        sari = bot.sari
        await bot.app.process_update(sari.text("/start"))
        await bot.app.process_update(sari.press("j1:1:agree"))
        await bot.app.process_update(sari.text("/bantuan"))  # held (1)
        await bot.app.process_update(sari.text("/bantuan"))  # held (2): one window's worth
        await bot.app.process_update(sari.press("j1:2:lang:en"))  # not applied: said so
        assert "belum saya terapkan" in bot.request.answers()[-1]["text"]
        await bot.app.process_update(sari.text("Sari"))
        await bot.app.process_update(sari.text("Sari lagi"))
        told = [m for m in bot.request.sent() if "belum saya terapkan" in m["text"]]
        assert len(told) == 1  # once per window, not once per message
        await bot.pipeline.settle()  # shutting down: what is held is applied, not lost
        await bot.deliverer.idle()
        assert (await bot.participant()).language == "id"
        with transaction(db) as session:
            handled = session.scalar(select(func.count()).select_from(ProcessedUpdate))
        assert handled == 2 + 2


async def test_the_webhook_refuses_a_held_update_instead_of_answering_200(db: Database) -> None:
    import json

    import httpx

    from bot.webhook import SECRET_HEADER, webhook_app

    now = [0.0]
    bot = Harness(db)
    bot.pipeline.flood = FloodGuard(limit=2, window=10.0, clock=lambda: now[0])
    web = webhook_app(bot.app, bot.pipeline, path="/telegram", secret="s3cret")
    transport = httpx.ASGITransport(app=web)
    async with bot.app, httpx.AsyncClient(transport=transport, base_url="http://bot") as client:

        async def post(update: Any) -> httpx.Response:
            body = json.dumps(update.to_dict())
            response = await client.post(
                "/telegram", content=body, headers={SECRET_HEADER: "s3cret"}
            )
            await bot.deliverer.idle()
            return response

        sari = bot.sari
        assert (await post(sari.text("/start"))).status_code == 200
        assert (await post(sari.press("j1:1:agree"))).status_code == 200
        tap = sari.press("j1:2:lang:en")
        refused = await post(tap)
        assert refused.status_code == 429 and refused.headers["retry-after"] == "10"
        assert (await bot.participant()).language == "id"
        assert bot.pipeline._held == {}  # nothing kept in the process: Telegram keeps it
        now[0] = 11.0  # Telegram delivers it again once the window has passed
        again = await post(tap)
        assert again.status_code == 200 and again.json()["method"] == "answerCallbackQuery"
        assert (await bot.participant()).language == "en"
