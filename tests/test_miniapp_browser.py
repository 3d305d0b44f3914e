"""The Mini App in Debian's chromium (Playwright), as Telegram opens it on a phone: 360 px wide,
touch only, signed initData and theme colours in the URL's fragment.

Adds an actor, drags a tie from one actor to another with real touch events, undoes it, and
checks each step from the chat's side (the engine's map and ``/analisis``); a change made in
the chat shows in the app; forged and stale initData are refused.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from app.dashboard import DashboardLinks
from coaching.network import MapView
from service.http import serve_http
from storage import maps
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
    return (await w.db.run(lambda session: maps.load_maps(session, w.sari_id)))[0]


@pytest.fixture
async def served(db: Database, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[World, int]]:
    require_chromium()
    port = free_port()
    links = DashboardLinks(f"http://127.0.0.1:{port}", b"browser-test-secret")
    # The bot signs with the configuration the environment gives (no process global).
    monkeypatch.setenv("DASHBOARD_SECRET", "browser-test-secret")
    monkeypatch.setenv("PUBLIC_URL", links.public_url)
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
        # Telegram changes the theme while the app is open (its event, as a phone delivers it)
        await page.evaluate(
            "Telegram.WebView.receiveEvent('theme_changed', {theme_params: {bg_color: '#ffffff'}})"
        )
        theme = await page.evaluate(
            "getComputedStyle(document.documentElement).getPropertyValue('--tg-theme-bg-color')"
        )
        assert theme.strip() == "#ffffff"
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
        assert "Ukuran jejaring: <b>5</b> aktor, <b>5</b> hubungan" in texts(said)  # was 4 and 4
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

        # forged, stale and missing initData: refused, nothing shown
        for url in (
            launch_url(port, init_data(1001, token="1:forged")),
            launch_url(port, init_data(1001, age=timedelta(days=1))),
            f"http://127.0.0.1:{port}/app",  # opened outside Telegram: no initData at all
        ):
            other = await context.new_page()
            await other.goto(url)
            await other.wait_for_selector("body[data-refused]")
            assert await other.locator("g.actor").count() == 0
            assert await other.locator("#status").is_visible()  # and says what to do
            await other.close()

        # a participant who chose English gets the app in English
        await w.rudi.say("/bahasa")
        await w.rudi.press("lang:en")
        english = await context.new_page()
        await english.goto(launch_url(port, init_data(1002)))
        await english.wait_for_selector("body[data-ready]")
        assert await english.locator("#btn-add").inner_text() == "+ Actor"
        assert await english.locator("#btn-compare").inner_text() == "⏱ Compare"
        assert await english.evaluate("document.documentElement.lang") == "en"
        await english.close()
        await browser.close()
    assert not problems, problems


async def phone(playwright: Any, locale: str = "id-ID") -> tuple[Any, Any]:
    """Chromium as a 360 px touch phone; a page whose script errors and failed loads are kept."""
    browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
    context = await browser.new_context(
        viewport={"width": 360, "height": 740}, has_touch=True, is_mobile=True, locale=locale
    )
    return browser, context


def watch(page: Any, problems: list[str], allowed: tuple[int, ...] = ()) -> None:
    page.on(
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
            if r.status >= 400 and r.status not in allowed and not r.url.endswith("/favicon.ico")
            else None
        ),
    )


async def test_two_analyses_compared_before_and_after_in_the_app(
    served: tuple[World, int], tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    w, port = served
    await w.sari.say("/analisis")
    await w.sari.say("/tambah Wawan")
    await w.sari.say("/hubung Wawan - Ani kuat")
    await w.sari.say("/analisis")
    problems: list[str] = []
    async with async_playwright() as playwright:
        browser, context = await phone(playwright)
        page = await context.new_page()
        watch(page, problems)
        await page.goto(launch_url(port, init_data(1001)))
        await page.wait_for_selector("body[data-ready]")
        await page.locator("#btn-compare").tap()
        await page.wait_for_selector("body[data-compared='1']")
        before = page.locator("#sheet select[name=before] option")
        after = page.locator("#sheet select[name=after] option")
        assert await before.count() == 3  # the world's analysis and the two above
        assert await after.count() == 4  # and the map now
        values = [await before.nth(k).get_attribute("value") for k in range(3)]  # newest first
        labels = await before.all_inner_texts()
        assert all("_" not in label for label in labels)  # the pattern's name, not its key
        # the two analyses just stored: the tie and the actor that appeared between them
        await page.locator("#sheet select[name=before]").select_option(values[1])
        await page.wait_for_selector("body[data-compared='2']")
        await page.locator("#sheet select[name=after]").select_option(values[0])
        await page.wait_for_selector("body[data-compared='3']")
        sheet = page.locator("#sheet .comparison")
        assert await sheet.locator("ul.ties-appeared li").all_inner_texts() == ["Ani — Wawan"]
        assert await sheet.locator("ul.actors-appeared li").all_inner_texts() == ["Wawan"]
        counts = await sheet.locator("ul.counts li").all_inner_texts()
        assert "Aktor: 4 → 5" in counts and "Hubungan: 4 → 5" in counts
        assert (await sheet.locator("p.pattern").inner_text()).startswith("Pola struktur: ")
        # marked on the map: the new actor ringed, the new tie in green
        assert "new" in (await page.get_attribute('g.actor[data-name="Wawan"]', "class") or "")
        marked = page.locator("g.tie.new:not(.kind-suggested)")
        assert await marked.count() == 1
        ends = {await marked.get_attribute("data-a"), await marked.get_attribute("data-b")}
        assert ends == {"wawan", "ani"}
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        await page.screenshot(path=str(tmp_path / "compare.png"))
        # against the map now: a change made since in the chat is counted
        await w.sari.say("/tambah Bu Rina")
        await page.locator("#sheet select[name=after]").select_option("now")
        await page.wait_for_selector("body[data-compared='4']")
        appeared = await sheet.locator("ul.actors-appeared li").all_inner_texts()
        assert appeared == ["Bu Rina", "Wawan"]
        # the same analysis twice: asked to pick two
        await page.locator("#sheet select[name=after]").select_option(values[1])
        await page.wait_for_selector("#sheet .comparison p.muted")
        await browser.close()
    assert not problems, problems


async def test_a_coach_opens_a_participants_map_read_only_and_no_other(
    served: tuple[World, int], tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    w, port = served
    said = await w.coach_a.answer(w.coach_a.say("/dasbor"))
    login = re.findall(r'href="([^"]+)"', texts(said))[0]
    problems: list[str] = []
    sent: list[str] = []
    async with async_playwright() as playwright:
        browser, context = await phone(playwright)
        page = await context.new_page()
        watch(page, problems, allowed=(403,))  # the refusals asked for below
        page.on("request", lambda r: sent.append(f"{r.method} {r.url}"))
        await page.goto(login)  # the dashboard's session, as /dasbor gives it
        await page.goto(f"http://127.0.0.1:{port}/participants/{w.sari_id}")
        await page.locator("a[href^='/app/coach/']").tap()
        await page.wait_for_selector("body[data-ready]")
        assert page.url.endswith(f"/app/coach/{w.sari_id}")
        assert await page.locator("g.actor").count() == 4
        assert await page.locator("#ro").is_visible()
        for control in ("#btn-add", "#btn-undo", "#btn-redo"):
            assert not await page.locator(control).is_visible(), control
        assert await page.locator("#btn-view").is_visible()  # seeing is allowed
        await page.screenshot(path=str(tmp_path / "coach.png"))

        # an actor's card and a tie's: shown, nothing to edit or press
        await page.touchscreen.tap(*(await centre(page, "Budi")))
        await page.wait_for_selector("#sheet form.card[data-key=budi]")
        fields = page.locator("#sheet form.card input, #sheet form.card select")
        assert await fields.count() > 5
        assert all([await fields.nth(k).is_disabled() for k in range(await fields.count())])
        assert await page.locator("#sheet .actions").count() == 0
        await page.locator("#sheet form.card button.chip").first.tap()
        await page.wait_for_selector("#sheet form.tie-card")
        assert await page.locator("#sheet .actions").count() == 0
        await page.locator("#sheet-close").tap()

        # dragging from one actor to another sends nothing
        lines = await page.locator("g.tie").count()
        await touch_drag(page, await centre(page, "Dewi"), await centre(page, "Ani"))
        assert await page.locator("g.tie").count() == lines
        assert not [r for r in sent if r.startswith("POST")]

        # a forged edit on the read-only view: refused, and the chat's map is unchanged
        map_id = (await chat_map(w)).id
        forged = """async (url) => (await fetch(url, {method: "POST",
            headers: {"content-type": "application/json"},
            body: JSON.stringify({op: "add_actor", name: "Penyusup"})})).status"""
        edit = f"/app/api/coach/{w.sari_id}/map/{map_id}/change"
        assert await page.evaluate(forged, edit) == 403
        assert (await chat_map(w)).find("Penyusup") is None

        # another cohort's participant: refused, the page and its map
        other = await page.goto(f"http://127.0.0.1:{port}/app/coach/{w.rudi_id}")
        assert other is not None and other.status == 403
        api = f"/app/api/coach/{w.rudi_id}/map"
        assert await page.evaluate("async (u) => (await fetch(u)).status", api) == 403
        assert await page.locator("g.actor").count() == 0
        await browser.close()
    assert not problems, problems


async def test_telegram_web_shows_the_app_in_its_frame_and_no_other_site_can(
    served: tuple[World, int],
) -> None:
    """Telegram Web (web.telegram.org/k/) frames the app; another site's frame is refused. Both
    sites and the app's HTTPS address are answered inside the browser (no network): the app's
    requests go to this test's server, headers and all."""
    from playwright.async_api import async_playwright

    _, port = served
    app_url = "https://jejaring.test/app#" + launch_url(port, init_data(1001)).partition("#")[2]

    async def the_app(route: Any) -> None:  # https://jejaring.test/… is the server under test
        url = route.request.url.replace("https://jejaring.test", f"http://127.0.0.1:{port}")
        await route.fulfill(response=await route.fetch(url=url))

    async def a_site(route: Any) -> None:  # a page that frames the app
        html = f'<!doctype html><iframe id="app" src="{app_url}" width="360" height="600"></iframe>'
        await route.fulfill(status=200, content_type="text/html", body=html)

    async with async_playwright() as playwright:
        browser, context = await phone(playwright)
        await context.route("https://jejaring.test/**", the_app)
        await context.route("https://web.telegram.org/**", a_site)
        await context.route("https://evil.example/**", a_site)
        page = await context.new_page()
        await page.goto("https://web.telegram.org/k/")
        frame = page.frame_locator("#app")
        await frame.locator("body[data-ready]").wait_for()
        assert await frame.locator("g.actor").count() == 4

        other = await context.new_page()
        refusal = other.expect_console_message(lambda m: "frame-ancestors" in m.text)
        async with refusal as said:  # chromium reports the refused frame on the console
            await other.goto("https://evil.example/")
        assert "web.telegram.org" in (await said.value).text
        assert await other.frame_locator("#app").locator("body[data-ready]").count() == 0
        await browser.close()
