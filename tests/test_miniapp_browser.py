"""The Mini App in Debian's chromium (Playwright), as Telegram opens it on a phone: 360 px wide,
touch only, signed initData and theme colours in the URL's fragment.

Adds an actor, drags a tie from one actor to another with real touch events, undoes it, and
checks each step from the chat's side (the engine's map and ``/analisis``); a change made in
the chat shows in the app; forged and stale initData are refused.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from coaching.network import MapView
from service.http import serve_http
from storage import cohorts, networks
from storage.cohorts import DashboardLinks
from storage.db import Database
from tests.support import NOW
from tests.test_coach import World, texts, world
from tests.test_miniapp import BOT_TOKEN, init_data
from tests.test_web_browser import ARGS, CHROMIUM, free_port, require_chromium, wait_listening
from web.app import dashboard_app

pytestmark = pytest.mark.browser
THEME = {"bg_color": "#17212b", "text_color": "#f5f5f5", "button_color": "#5288c1"}


def launch_url(port: int, data: str) -> str:
    fragment = f"tgWebAppData={quote(data)}&tgWebAppVersion=7.0"
    fragment += f"&tgWebAppThemeParams={quote(json.dumps(THEME))}"
    return f"http://127.0.0.1:{port}/app#{fragment}"


async def chat_map(w: World) -> MapView:
    """Sari's map as the chat's engine loads it."""
    return (await w.db.run(lambda session: networks.load_maps(session, w.sari_id)))[0]


@pytest.fixture
async def served(db: Database, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[World, int]]:
    require_chromium()
    port = free_port()
    links = DashboardLinks(f"http://127.0.0.1:{port}", b"browser-test-secret")
    monkeypatch.setattr(cohorts, "_configured", links)
    w = await world(db)
    stop = asyncio.Event()
    app = dashboard_app(db, links, clock=lambda: NOW, bot_token=BOT_TOKEN)
    server = asyncio.create_task(serve_http(app, "127.0.0.1", port, stop))
    await wait_listening(port)
    yield w, port
    stop.set()
    await server


async def touch_drag(page: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    """One finger from ``start`` to ``end``: real touch events (pointerType "touch")."""
    cdp = await page.context.new_cdp_session(page)
    await cdp.send(
        "Input.dispatchTouchEvent",
        {"type": "touchStart", "touchPoints": [{"x": start[0], "y": start[1]}]},
    )
    for k in range(1, 11):
        x = start[0] + (end[0] - start[0]) * k / 10
        y = start[1] + (end[1] - start[1]) * k / 10
        await cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
        )
    await cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


async def centre(page: Any, name: str) -> tuple[float, float]:
    box = await page.locator(f'g.actor[data-name="{name}"] circle.disc').bounding_box()
    assert box is not None, name
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


async def test_a_participant_builds_the_map_by_touch_and_the_chat_sees_it(
    served: tuple[World, int], tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    w, port = served
    problems: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = await browser.new_context(
            viewport={"width": 360, "height": 740}, has_touch=True, is_mobile=True, locale="id-ID"
        )
        page = await context.new_page()
        page.on(  # a CSP violation or a script error shows here (statuses are checked below)
            "console",
            lambda m: (
                problems.append(m.text)
                if m.type == "error" and "Failed to load resource" not in m.text
                else None
            ),
        )
        page.on(
            "response",
            lambda r: (
                problems.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico")
                else None
            ),
        )
        page.on("requestfailed", lambda r: problems.append(r.url))
        await page.goto(launch_url(port, init_data(1001)))
        await page.wait_for_selector("body[data-ready]")
        assert await page.locator("g.actor").count() == 4
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        theme = await page.evaluate(
            "getComputedStyle(document.documentElement).getPropertyValue('--tg-theme-bg-color')"
        )
        assert theme.strip() == "#17212b"
        assert await page.locator("#btn-add").inner_text() == "+ Aktor"  # Sari speaks Indonesian
        await page.screenshot(path=str(tmp_path / "1-open.png"))

        # add an actor, through the chat's resolver
        await page.locator("#btn-add").tap()
        await page.locator("#sheet input[name=name]").fill("Wawan")
        await page.locator("#sheet .actions button.primary").tap()
        await page.wait_for_selector('g.actor[data-name="Wawan"]')
        await page.wait_for_selector("#sheet form.card[data-key=wawan]")  # its card opens
        await page.locator("#sheet-close").tap()
        assert (await chat_map(w)).find("Wawan") is not None

        # drag from Wawan to Ani: a tie
        draws = int(await page.get_attribute("body", "data-draws") or 0)
        await touch_drag(page, await centre(page, "Wawan"), await centre(page, "Ani"))
        await page.wait_for_function("(n) => Number(document.body.dataset.draws) > n", arg=draws)
        tie = 'g.tie:not(.kind-suggested)[data-a="wawan"][data-b="ani"]'
        await page.wait_for_selector(tie)
        assert (await chat_map(w)).tie("Wawan", "Ani") is not None
        said = await w.sari.answer(w.sari.say("/analisis"))
        assert "Wawan" in texts(said) or "5" in texts(said)
        await page.screenshot(path=str(tmp_path / "2-tied.png"))

        # tap the actor: its card, with its attributes
        await page.touchscreen.tap(*(await centre(page, "Budi")))
        await page.wait_for_selector("#sheet form.card[data-key=budi]")
        assert (
            await page.locator("#sheet input[name=role]").input_value() == "Kepala Dinas Pertanian"
        )
        await page.locator("#sheet-close").tap()

        # seeing: colour and filter by KLTB step, highlight a role, the analysis in a panel
        await page.locator("#btn-view").tap()
        await page.locator("#sheet input[name=colour][value=kltb_step]").check()
        await page.locator("#sheet select[name=only]").select_option("=trust")
        assert await page.locator("g.actor:not(.dim)").count() == 1  # Budi, at TRUST
        assert await page.get_attribute('g.actor[data-name="Budi"]', "class") == "actor"
        await page.locator("#sheet input[value=hubs]").check()
        assert await page.locator("body.roles-on").count() == 1
        await page.locator("#sheet-close").tap()
        await page.locator("#btn-analysis").tap()
        assert len(await page.locator("#sheet .analysis").inner_text()) > 50
        await page.locator("#sheet-close").tap()

        # undo: the tie goes, in the app and in the chat
        await page.locator("#btn-undo").tap()
        await page.wait_for_selector(tie, state="detached")
        assert (await chat_map(w)).tie("Wawan", "Ani") is None

        # a change made in the chat shows when the app is seen again
        await w.sari.say("/tambah Bu Rina")
        await page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        await page.wait_for_selector('g.actor[data-name="Bu Rina"]')
        await page.screenshot(path=str(tmp_path / "3-after.png"))

        # forged and stale initData: refused, nothing shown
        for data in (init_data(1001, token="1:forged"), init_data(1001, age=timedelta(days=1))):
            other = await context.new_page()
            await other.goto(launch_url(port, data))
            await other.wait_for_selector("body[data-refused]")
            assert await other.locator("g.actor").count() == 0
            await other.close()
        await browser.close()
    assert not problems, problems
