"""The dashboard on a phone (360 and 412 CSS px, touch) and a laptop (1366 px), in Debian's
chromium through Playwright (issue 15): nothing cut off or wider than the screen, map names at
least 12 CSS px and inside the picture, a tap instead of a hover, the KLTB table whole with the
next action and its date, every map pickable with its before/after, and exports that open."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from service.http import serve_http
from storage import cohorts
from storage.cohorts import DashboardLinks
from storage.db import Database
from storage.models import Actor, AnalysisSnapshot, KltbEntry, NetworkMap
from tests.support import NOW, transaction
from tests.test_coach import texts, world
from tests.test_web_browser import ARGS, CHROMIUM, free_port, require_chromium, wait_listening
from web.app import dashboard_app

pytestmark = pytest.mark.browser

# Every element whose right edge passes the viewport's (a cut-off column, a long word).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('main *')) {
    if (el.closest('.mapbox')) continue;  // the map scrolls inside its own box if it must
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1) {
      out.push(el.tagName + '.' + el.className + ': ' + (el.textContent || '').slice(0, 40));
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 10)};
}"""
# Each map name's size on screen, and whether it lies inside the picture's visible box.
LABELS = """() => {
  const svg = document.querySelector('svg#map');
  const frame = svg.getBoundingClientRect();
  return Array.from(svg.querySelectorAll('g.actor text')).map((t) => {
    const box = t.getBoundingClientRect();
    return {
      size: t.getScreenCTM().a * parseFloat(getComputedStyle(t).fontSize),
      inside: box.left >= frame.left - 1 && box.right <= frame.right + 1
        && box.top >= frame.top - 1 && box.bottom <= frame.bottom + 1,
      name: t.textContent,
    };
  });
}"""


async def richer(db: Database, sari_id: int) -> tuple[int, int]:
    """Sari's KLTB with a next action and its date, a second map, two dated analyses."""
    with transaction(db) as session:
        budi = (
            session.execute(
                select(Actor)
                .join(NetworkMap, NetworkMap.id == Actor.map_id)
                .where(NetworkMap.participant_id == sari_id, Actor.name == "Budi")
            )
        ).scalar_one()
        session.add(
            KltbEntry(
                actor_id=budi.id,
                step="like",
                note="Makan siang bersama",
                next_action="Ajak diskusi program irigasi",
                due_at=datetime(2026, 12, 17, 1, 0, tzinfo=UTC),
                done_at=NOW,
            )
        )
        personal = budi.map_id
        case = NetworkMap(
            participant_id=sari_id,
            kind="case",
            title="peta_karawang",
            anklam={},
            created_at=NOW,
            updated_at=NOW + timedelta(days=1),
        )
        session.add(case)
        session.flush()
        ties = [["Sari Dewi", "Budi"], ["Sari Dewi", "Ani"]]
        later = (
            session.execute(select(AnalysisSnapshot).where(AnalysisSnapshot.map_id == personal))
        ).scalar_one()
        later.result = {  # what the analysis stores: its tie list among the rest
            "actors": 4,
            "ties": 4,
            "stage": {"key": "hub_and_spoke"},
            "tie_list": [*ties, ["Budi", "Ani"], ["Budi", "Dewi"]],
        }
        session.add(
            AnalysisSnapshot(
                map_id=personal,
                stage="scattered_fragments",
                result={
                    "actors": 3,
                    "ties": 2,
                    "stage": {"key": "scattered_fragments"},
                    "tie_list": ties,
                },
                created_at=NOW - timedelta(days=10),
            )
        )
        return personal, case.id


@pytest.mark.parametrize("width", [360, 412, 1366])
async def test_the_dashboard_fits_a_phone_and_a_laptop(
    db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, width: int
) -> None:
    require_chromium()
    from playwright.async_api import async_playwright

    port = free_port()
    links = DashboardLinks(f"http://127.0.0.1:{port}", b"phone-test-secret")
    monkeypatch.setattr(cohorts, "_configured", links)
    w = await world(db)
    personal, case = await richer(db, w.sari_id)
    stop = asyncio.Event()
    server = asyncio.create_task(serve_http(dashboard_app(db, links), "127.0.0.1", port, stop))
    await wait_listening(port)
    said = await w.coach_a.answer(w.coach_a.say("/dasbor", datetime.now(UTC)))
    url = re.findall(r'href="([^"]+)"', texts(said))[0]
    phone = width < 700
    problems: list[str] = []
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=ARGS, headless=True
            )
            context = await browser.new_context(
                viewport={"width": width, "height": 800 if phone else 900},
                is_mobile=phone,
                has_touch=phone,
                locale="id-ID",
                accept_downloads=True,
            )
            page = await context.new_page()
            page.on(
                "console",
                lambda m: problems.append(m.text) if m.type == "error" else None,
            )
            await page.goto(url)
            await page.goto(f"{links.public_url}/cohorts/{w.a.id}")
            await page.wait_for_selector("table.roster")
            fit = await page.evaluate(OVERFLOW)
            assert fit["out"] == [] and fit["scroll"] <= fit["width"], fit
            # the attention column is there, whole, with its reason
            attention = page.locator("table.roster td[data-label='Perhatian']").first
            box = await attention.bounding_box()
            assert box is not None and box["x"] + box["width"] <= width
            roster = await page.locator("table.roster").inner_text()
            assert "Sari Dewi" in roster and "II" in roster  # progress per chapter
            await page.screenshot(path=str(tmp_path / f"cohort-{width}.png"), full_page=True)

            await page.goto(f"{links.public_url}/participants/{w.sari_id}?map={personal}")
            await page.wait_for_selector("svg#map g.actor")
            fit = await page.evaluate(OVERFLOW)
            assert fit["out"] == [] and fit["scroll"] <= fit["width"], fit
            labels = await page.evaluate(LABELS)
            assert labels and min(x["size"] for x in labels) >= 12, labels
            assert all(x["inside"] for x in labels), labels
            content = await page.content()
            assert "Arahkan kursor" not in content and "Ketuk aktor" in content
            # the KLTB table whole: TRUST and BUY on screen, the next action with its date
            for step in ("TRUST", "BUY"):
                cell = page.locator(f"table.pipeline td[data-label='{step}']").first
                box = await cell.bounding_box()
                assert box is not None and box["x"] + box["width"] <= width, step
            pipeline = await page.locator("table.pipeline").inner_text()
            assert "Ajak diskusi program irigasi" in pipeline and "2026-12-17" in pipeline
            # a tap (no hover on a phone) highlights an actor's ties; a second tap lets go
            actor = page.locator("svg#map g.actor.ego")
            if phone:
                await actor.tap()
            else:
                await actor.click()
            assert "focused" in (await page.get_attribute("svg#map", "class") or "")
            # before/after of the two analyses of this map
            change = await page.locator("section.change").inner_text()
            assert "Sebelum dan sesudah" in change and "maju" in change
            assert "Budi — Ani" in change or "Ani — Budi" in change
            await page.screenshot(path=str(tmp_path / f"participant-{width}.png"), full_page=True)

            # every map can be picked
            await page.click(f"nav.maps a[href='?map={case}']")
            await page.wait_for_selector("nav.maps a.on")
            assert "peta_karawang" in await page.locator("nav.maps a.on").inner_text()
            # a forged map id is refused, nothing shown
            forged = await page.goto(f"{links.public_url}/participants/{w.sari_id}?map={case + 99}")
            assert forged is not None and forged.status == 403

            if width == 1366:
                await page.goto(f"{links.public_url}/participants/{w.sari_id}")
                async with page.expect_download() as info:
                    await page.click("a[href$='/export/data.xlsx']")
                saved = tmp_path / "data.xlsx"
                await (await info.value).save_as(str(saved))
                book = openpyxl.load_workbook(saved)
                assert book.sheetnames == [
                    "Peserta",
                    "Jawaban",
                    "Peta",
                    "Aktor",
                    "Hubungan",
                    "KLTB",
                    "Rencana",
                ]
                answers = [[c.value for c in row] for row in book["Jawaban"].iter_rows()]
                assert any(r[1] == "Bab II Berjejaring · Latihan 1" for r in answers), answers
                async with page.expect_download() as info:
                    await page.click("a[href$='/export/journey.pdf']")
                pdf = tmp_path / "journey.pdf"
                await (await info.value).save_as(str(pdf))
                assert pdf.read_bytes().startswith(b"%PDF") and b"/Image" in pdf.read_bytes()
            await browser.close()
    finally:
        stop.set()
        await server
    assert [p for p in problems if "Failed to load resource" not in p] == []


NETWORK_LABELS = """() => {
  const svg = document.querySelector('svg#cohortnet');
  const frame = svg.getBoundingClientRect();
  return Array.from(svg.querySelectorAll('text')).map((t) => {
    const box = t.getBoundingClientRect();
    return {
      size: t.getScreenCTM().a * parseFloat(getComputedStyle(t).fontSize),
      inside: box.left >= frame.left - 1 && box.right <= frame.right + 1,
      name: t.textContent,
    };
  });
}"""


@pytest.mark.parametrize("width", [360, 1366])
async def test_the_cohort_network_page_and_its_gephi_files(
    db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, width: int
) -> None:
    require_chromium()
    import networkx as nx
    from playwright.async_api import async_playwright

    from tests.test_coach import Person, give_data

    port = free_port()
    links = DashboardLinks(f"http://127.0.0.1:{port}", b"phone-test-secret")
    monkeypatch.setattr(cohorts, "_configured", links)
    w = await world(db)
    tono = Person(db, 1004)
    await tono.onboard("Tono Wijaya", w.a.join_code)
    await give_data(db, (await tono.row()).id, "Tono Wijaya")  # Budi, Ani, Dewi again
    with transaction(db) as session:
        for actor in (session.execute(select(Actor))).scalars():
            if actor.name == "Budi" and actor.map_id == 1:
                actor.resources = ["funds"]
            if actor.name == "Dewi" and actor.map_id != 1:
                actor.needs = "dana untuk pelatihan"
    stop = asyncio.Event()
    server = asyncio.create_task(serve_http(dashboard_app(db, links), "127.0.0.1", port, stop))
    await wait_listening(port)
    said = await w.coach_a.answer(w.coach_a.say("/dasbor", datetime.now(UTC)))
    url = re.findall(r'href="([^"]+)"', texts(said))[0]
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=ARGS, headless=True
            )
            context = await browser.new_context(
                viewport={"width": width, "height": 800},
                is_mobile=width < 700,
                has_touch=width < 700,
                locale="id-ID",
                accept_downloads=True,
            )
            page = await context.new_page()
            await page.goto(url)
            await page.goto(f"{links.public_url}/cohorts/{w.a.id}")
            await page.click("p.netlink a")
            await page.wait_for_selector("svg#cohortnet")
            fit = await page.evaluate(OVERFLOW)
            assert fit["out"] == [] and fit["scroll"] <= fit["width"], fit
            labels = await page.evaluate(NETWORK_LABELS)
            assert labels and min(x["size"] for x in labels) >= 12, labels
            assert all(x["inside"] for x in labels), labels
            shared = await page.locator("section.shared").inner_text()
            assert "Budi" in shared and "Sari Dewi, Tono Wijaya" in shared
            helps = await page.locator("section.helps").inner_text()
            assert "Sari Dewi" in helps and "Tono Wijaya" in helps and "dana" in helps
            await page.screenshot(path=str(tmp_path / f"network-{width}.png"), full_page=True)
            async with page.expect_download() as info:
                await page.click("a[href$='/export/cohort-network.graphml']")
            saved = tmp_path / "net.graphml"
            await (await info.value).save_as(str(saved))
            graph = nx.read_graphml(str(saved))
            kinds = {d["kind"] for _, _, d in graph.edges(data=True)}
            assert kinds == {"map", "help"}
            assert sum(1 for _, d in graph.nodes(data=True) if d["kind"] == "participant") == 2
            forbidden = await page.goto(f"{links.public_url}/cohorts/{w.b.id}/network")
            assert forbidden is not None and forbidden.status == 403
            await browser.close()
    finally:
        stop.set()
        await server
