"""The dashboard in a real browser: Debian's chromium driven by Playwright (no browser download).

Skipped when ``/usr/bin/chromium`` is missing outside CI; in CI (``CI=true``) that fails, and
``.ci/run`` installs the package first.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib.image
import networkx as nx
import numpy as np
import pytest

from service.http import serve_http
from storage import cohorts
from storage.cohorts import DashboardLinks
from storage.db import Database
from tests.conftest import IN_CI
from tests.test_coach import texts, world
from web.app import dashboard_app

pytestmark = pytest.mark.browser
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if IN_CI:
        pytest.fail("/usr/bin/chromium is required in CI (apt-get install chromium)")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def assert_not_blank(png: Path) -> None:
    """A screenshot with content: its pixels vary, and not one colour fills nearly all of it."""
    pixels = np.asarray(matplotlib.image.imread(str(png)))[..., :3]
    assert pixels.std() > 0.01, png
    flat = (pixels * 255).astype(np.uint8).reshape(-1, 3)
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    assert len(colours) > 50 and counts.max() / len(flat) < 0.99, png


async def wait_listening(port: int) -> None:
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise TimeoutError(port)


async def test_a_coach_follows_the_dasbor_link_and_reviews_a_participant(
    db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    require_chromium()
    from playwright.async_api import async_playwright

    port = free_port()
    links = DashboardLinks(f"http://127.0.0.1:{port}", b"browser-test-secret")
    monkeypatch.setattr(cohorts, "_configured", links)
    w = await world(db)
    stop = asyncio.Event()
    server = asyncio.create_task(serve_http(dashboard_app(db, links), "127.0.0.1", port, stop))
    await wait_listening(port)
    said = await w.coach_a.answer(w.coach_a.say("/dasbor", datetime.now(UTC)))
    url = re.findall(r'href="([^"]+)"', texts(said))[0]
    problems: list[str] = []
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=ARGS, headless=True
            )
            context = await browser.new_context(
                accept_downloads=True, viewport={"width": 1280, "height": 900}, locale="id-ID"
            )
            page = await context.new_page()

            def console(message: Any) -> None:
                # A CSP violation or a script error shows here (a 403/404 status does too).
                if message.type == "error" and "Failed to load resource" not in message.text:
                    problems.append(message.text)

            page.on("console", console)
            await page.goto(url)
            assert await page.locator("h1").inner_text() == "Kohort Anda"
            assert "PKA Angkatan 13" not in await page.content()
            await page.screenshot(path=str(tmp_path / "1-cohorts.png"), full_page=True)

            await page.click("text=PKA Angkatan 12")
            await page.wait_for_selector("table.roster")
            assert "Sari Dewi" in await page.locator("table.roster").inner_text()
            await page.screenshot(path=str(tmp_path / "2-cohort.png"), full_page=True)

            await page.click("table.roster >> text=Sari Dewi")
            await page.wait_for_selector("svg#map g.actor")
            assert await page.locator("svg#map g.actor").count() == 4
            reflections = await page.locator("section.reflections").inner_text()
            assert "<script>alert('x')</script>" in reflections  # shown as text, never run
            await page.hover("svg#map g.actor.ego")
            assert "focused" in (await page.get_attribute("svg#map", "class") or "")  # our JS ran
            await page.screenshot(path=str(tmp_path / "3-participant.png"), full_page=True)

            async with page.expect_download() as info:
                await page.click("a[href$='/export/network.graphml']")
            download = await info.value
            saved = tmp_path / "peta.graphml"
            await download.save_as(str(saved))
            graph = nx.read_graphml(str(saved))
            assert {graph.nodes[n]["name"] for n in graph} == {"Sari Dewi", "Budi", "Ani", "Dewi"}

            # a phone: the map's names (the bot picture's layout) stay at least 12 CSS px
            await page.set_viewport_size({"width": 412, "height": 915})
            await page.reload()
            await page.wait_for_selector("svg#map g.actor")
            sizes = await page.evaluate(
                """() => Array.from(document.querySelectorAll('svg#map text')).map(
                    (t) => t.getScreenCTM().a * parseFloat(getComputedStyle(t).fontSize))"""
            )
            assert sizes and min(sizes) >= 12, sizes
            await page.screenshot(path=str(tmp_path / "3b-phone.png"), full_page=True)

            await page.set_viewport_size({"width": 820, "height": 1180})  # a tablet
            await page.goto(f"{links.public_url}/participants/{w.sari_id}?lang=en")
            assert "Network map" in await page.content()
            await page.screenshot(path=str(tmp_path / "4-tablet-en.png"), full_page=True)

            forbidden = await page.goto(f"{links.public_url}/participants/{w.rudi_id}")
            assert forbidden is not None and forbidden.status == 403
            await browser.close()
    finally:
        stop.set()
        await server
    assert problems == []
    for name in ("1-cohorts", "2-cohort", "3-participant", "3b-phone", "4-tablet-en"):
        assert_not_blank(tmp_path / f"{name}.png")
