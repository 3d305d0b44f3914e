"""The dashboard's reply box in a real browser (Debian's chromium through Playwright): a coach
replies to an answer and marks another reviewed; the participant receives the reply in the bot,
writes back, and the coach sees it on the page."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from app.dashboard import DashboardLinks
from service.http import serve_http
from storage.db import Database
from storage.models import Answer
from tests.support import telegram_html_errors, transaction
from tests.test_coach import buttons, texts, world
from tests.test_web_browser import ARGS, CHROMIUM, free_port, require_chromium, wait_listening
from web.app import dashboard_app

pytestmark = pytest.mark.browser

REPLY = "Sudah baik. Tambahkan <b>satu contoh</b> & kaitkan dengan prinsip timbal balik."


async def _answers(db: Database, pid: int) -> list[tuple[int, str, bool]]:
    with transaction(db) as session:
        rows = session.execute(
            select(Answer.id, Answer.exercise_key, Answer.reviewed_at)
            .where(Answer.participant_id == pid)
            .order_by(Answer.id)
        )
        return [(i, k, r is not None) for i, k, r in rows.all()]


async def test_a_coach_replies_and_marks_reviewed_on_the_dashboard(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_chromium()
    from playwright.async_api import async_playwright

    port = free_port()
    links = DashboardLinks(f"http://127.0.0.1:{port}", b"browser-reply-secret")
    monkeypatch.setenv("DASHBOARD_SECRET", "browser-reply-secret")
    monkeypatch.setenv("PUBLIC_URL", links.public_url)
    w = await world(db)
    (first, _, _), (second, _, _) = await _answers(db, w.sari_id)
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
            page = await browser.new_page(locale="id-ID")

            def console(message: Any) -> None:
                if message.type == "error" and "Failed to load resource" not in message.text:
                    problems.append(message.text)

            page.on("console", console)
            await page.goto(url)
            await page.goto(f"{links.public_url}/participants/{w.sari_id}")
            answer = page.locator(f"#answer-{first}")
            await answer.locator("textarea[name=text]").fill(REPLY)
            async with page.expect_navigation():
                await answer.locator("button[type=submit]:not([name])").click()
            assert page.url.endswith(f"/participants/{w.sari_id}#answer-{first}")
            shown = await page.locator(f"#answer-{first} .exchange").inner_text()
            assert REPLY in shown  # the coach's words as text, never as markup
            assert "✅" in await page.locator(f"#answer-{first} h4").inner_text()

            # the other answer: marked reviewed without a reply
            other = page.locator(f"#answer-{second}")
            assert "✅" not in await other.locator("h4").inner_text()
            async with page.expect_navigation():
                await other.locator("button[name=review]").click()
            assert "✅" in await page.locator(f"#answer-{second} h4").inner_text()
            assert await page.locator(f"#answer-{second} button[name=review]").count() == 0

            # the participant receives the reply in the bot, under the answer's title
            got = [p for p in await w.sari.payloads() if "Balasan widyaiswara" in p["text"]]
            assert len(got) == 1 and telegram_html_errors(got[0]["text"]) == []
            assert "&lt;b&gt;satu contoh&lt;/b&gt; &amp;" in got[0]["text"]
            assert buttons(got) == [f"fb:{first}"]
            # ... writes back, and the coach reads it on the page (the answer open again)
            await w.sari.press(f"fb:{first}", stable=True)
            await w.sari.say("Terima kasih, contoh Pak Budi saya tambahkan.")
            await page.reload()
            shown = await page.locator(f"#answer-{first} .exchange").inner_text()
            assert "contoh Pak Budi saya tambahkan" in shown
            assert "✅" not in await page.locator(f"#answer-{first} h4").inner_text()
            await browser.close()
    finally:
        stop.set()
        await server
    assert problems == []
    stored = await _answers(db, w.sari_id)
    assert [reviewed for _, _, reviewed in stored] == [False, True]
