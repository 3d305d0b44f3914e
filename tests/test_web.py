"""The coach dashboard over HTTP (ASGI): login links, sessions, 403s, pages, downloads."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
import networkx as nx
import pytest

from app.dashboard import DashboardLinks
from storage import coach_views
from storage.db import Database
from tests.support import NOW, transaction
from tests.test_coach import Person, World, texts, world
from tests.test_exports import assert_valid_gexf
from web.app import dashboard_app
from web.pages import text_keys

PUBLIC = "http://dasbor.test"
HEADERS = {
    "content-security-policy": "script-src 'self'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Site:
    world: World
    clock: Clock
    links: DashboardLinks

    def client(self) -> httpx.AsyncClient:
        app = dashboard_app(self.world.db, self.links, clock=self.clock)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC)

    async def login_link(self, coach: Person) -> str:
        said = await coach.answer(coach.say("/dasbor", self.clock.now))
        found = re.findall(r'href="([^"]+)"', texts(said))
        assert len(found) == 1, texts(said)
        return urlsplit(found[0]).path

    @contextlib.asynccontextmanager
    async def signed_in(self, coach: Person) -> AsyncIterator[httpx.AsyncClient]:
        async with self.client() as client:
            response = await client.get(await self.login_link(coach))
            assert response.status_code == 303, response.text
            yield client


async def site_for(db: Database, monkeypatch: pytest.MonkeyPatch, public: str = PUBLIC) -> Site:
    links = DashboardLinks(public, b"test-secret")
    # The bot's /dasbor signs with the configuration the environment gives (no process global).
    monkeypatch.setenv("DASHBOARD_SECRET", "test-secret")
    monkeypatch.setenv("PUBLIC_URL", public)
    return Site(await world(db), Clock(), links)


@pytest.fixture
async def site(db: Database, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Site]:
    yield await site_for(db, monkeypatch)


def check_headers(response: httpx.Response) -> None:
    for name, part in HEADERS.items():
        assert part in response.headers.get(name, ""), (name, response.headers)


async def test_a_login_link_opens_a_session_with_a_safe_cookie(site: Site) -> None:
    client = site.client()
    async with client:
        response = await client.get(await site.login_link(site.world.coach_a))
        assert response.status_code == 303 and response.headers["location"] == "/"
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        home = await client.get("/")
        check_headers(home)
        assert home.status_code == 200 and "PKA Angkatan 12" in home.text
        assert "PKA Angkatan 13" not in home.text and "no-store" in home.headers["cache-control"]
        assert '<script src="/static/app.js"' in home.text and "<script>" not in home.text


async def test_reused_expired_or_altered_links_are_refused(site: Site) -> None:
    async with site.client() as client:
        link = await site.login_link(site.world.coach_a)
        assert (await client.get(link)).status_code == 303
        again = await client.get(link)
        assert again.status_code == 403 and "sudah dipakai" in again.text
        check_headers(again)
    async with site.client() as client:
        link = await site.login_link(site.world.coach_a)
        coach, stamp, nonce, signature = link.removeprefix("/login/").split(".")
        b_id = await _coach_id(site, 5002)
        for forged in (
            f"/login/{coach}.{stamp}.{nonce}.{signature[:-2]}xx",  # altered signature
            f"/login/{b_id}.{stamp}.{nonce}.{signature}",  # someone else's coach id
            f"/login/{coach}.{int(stamp) + 3600}.{nonce}.{signature}",  # a longer life
            "/login/garbage",
        ):
            refused = await client.get(forged)
            assert refused.status_code == 403, forged
            assert "tidak sah" in refused.text
        assert (await client.get("/")).status_code == 401
        site.clock.now = NOW + timedelta(minutes=16)
        late = await client.get(link)
        assert late.status_code == 403 and "kedaluwarsa" in late.text


async def _coach_id(site: Site, telegram_user_id: int) -> int:
    with transaction(site.world.db) as session:
        found = coach_views.coach_id_of(session, telegram_user_id)
    assert found is not None
    return found


async def test_coach_a_gets_403_for_coach_bs_cohort_participant_and_exports(site: Site) -> None:
    w = site.world
    async with site.signed_in(w.coach_a) as client:
        for path in (
            f"/cohorts/{w.b.id}",
            f"/participants/{w.rudi_id}",
            f"/cohorts/{w.b.id}/export/actors.csv",
            f"/cohorts/{w.b.id}/export/network.graphml",
            f"/participants/{w.rudi_id}/export/data.json",
            f"/participants/{w.rudi_id}/export/network.gexf",
            "/participants/999999",
            "/cohorts/999999",
        ):
            response = await client.get(path)
            assert response.status_code == 403, path
            assert "Rudi" not in response.text and "Angkatan 13" not in response.text
            check_headers(response)
        assert (await client.get(f"/cohorts/{w.a.id}")).status_code == 200
    async with site.client() as anonymous:
        for path in ("/", f"/cohorts/{w.a.id}", f"/participants/{w.sari_id}/export/data.json"):
            response = await anonymous.get(path)
            assert response.status_code == 401 and "/dasbor" in response.text, path


async def test_cohort_table_sorts_and_flags(site: Site) -> None:
    w = site.world
    tono = Person(w.db, 1004)
    await tono.onboard("Tono", w.a.join_code, now=NOW - timedelta(days=9))
    async with site.signed_in(w.coach_a) as client:
        page = await client.get(f"/cohorts/{w.a.id}?sort=name")
        assert page.text.index("Sari Dewi") < page.text.index("Tono")
        assert "tidak aktif ≥ 7 hari" in page.text and '<progress max="25" value="2">' in page.text
        flagged_first = await client.get(f"/cohorts/{w.a.id}?sort=attention")
        assert flagged_first.text.index("Tono") < flagged_first.text.index("Sari Dewi")
        desc = await client.get(f"/cohorts/{w.a.id}?sort=name&desc=1")
        assert desc.text.index("Tono") < desc.text.index("Sari Dewi")
        odd = await client.get(f"/cohorts/{w.a.id}?sort=<script>")
        assert odd.status_code == 200 and "<script>" not in odd.text


async def test_participant_page_shows_map_analysis_stages_reflections_kltb(site: Site) -> None:
    w = site.world
    async with site.signed_in(w.coach_a) as client:
        page = await client.get(f"/participants/{w.sari_id}")
        assert page.status_code == 200
        html = page.text
        assert '<svg id="map"' in html and html.count('class="actor') == 4
        assert html.count('class="arrowhead"') == 2  # Budi → Dewi, one way; and its legend
        assert "&lt;script&gt;alert" in html and "<script>alert" not in html
        assert "Bab II Berjejaring · Latihan 1" in html  # labelled by its exercise
        assert "Budi" in html and 'class="reached"' in html  # KLTB pipeline
        assert "hub tunggal" in html  # stage history in the module's words
        assert "Budi — Dewi: direncanakan 2026-12-10" in html  # planned ties and their fate
        assert "✅ terlaksana 2026-11-29 — <i>Bertemu di musyawarah desa</i>" in html
        assert "✖️ dibatalkan 2026-11-29" in html
        assert "Ukuran jejaring" in html  # the analysis reply
        assert "style=" not in html  # the CSP forbids inline styles: none are needed


async def test_downloads_open_in_gephi_and_spreadsheets(site: Site) -> None:
    w = site.world
    async with site.signed_in(w.coach_a) as client:
        graphml = await client.get(f"/participants/{w.sari_id}/export/network.graphml")
        assert graphml.status_code == 200
        assert "attachment" in graphml.headers["content-disposition"]
        graph = nx.read_graphml(io.BytesIO(graphml.content))
        assert {graph.nodes[n]["name"] for n in graph} == {"Sari Dewi", "Budi", "Ani", "Dewi"}
        tono = Person(w.db, 1004)
        await tono.onboard("Tono", w.a.join_code)
        await give_map(w, tono)
        merged = await client.get(f"/cohorts/{w.a.id}/export/network.gexf")
        assert_valid_gexf(merged.content)
        labels = {d["label"] for _, d in nx.read_gexf(io.BytesIO(merged.content)).nodes(data=True)}
        assert "Sari Dewi: Budi" in labels and "Tono: Budi" in labels  # prefixed, not merged
        actors = await client.get(f"/cohorts/{w.a.id}/export/actors.csv")
        # labelled in the page's language; ";" as Excel with Indonesian settings expects
        assert actors.content.startswith("\ufeffPeserta;Peta;Aktor".encode())
        ties = (await client.get(f"/cohorts/{w.a.id}/export/ties.csv")).content.decode()
        assert ";kuat;dua arah;informasi" in ties and "strong" not in ties
        answers = (await client.get(f"/cohorts/{w.a.id}/export/answers.csv")).content.decode()
        assert "'=" not in answers and "<script>" in answers  # data, as typed (CSV is not HTML)
        data = await client.get(f"/participants/{w.sari_id}/export/data.json")
        assert data.json()["participant"]["name"] == "Sari Dewi"
        assert (await client.get(f"/cohorts/{w.a.id}/export/../../etc")).status_code == 404


async def give_map(w: World, person: Person) -> None:
    from tests.test_coach import give_data

    await give_data(w.db, (await person.row()).id, "Tono")


async def test_language_follows_the_browser_or_the_switch(site: Site) -> None:
    async with site.signed_in(site.world.coach_a) as client:
        english = await client.get("/", headers={"accept-language": "en-GB,en;q=0.9,id;q=0.5"})
        assert "Your cohorts" in english.text and 'lang="en"' in english.text
        indonesian = await client.get("/", headers={"accept-language": "id"})
        assert "Kohort Anda" in indonesian.text
        switched = await client.get("/?lang=en", headers={"accept-language": "id"})
        assert "Your cohorts" in switched.text and "jejaring_lang=en" in switched.headers.get(
            "set-cookie", ""
        )
        remembered = await client.get("/", headers={"accept-language": "id"})
        assert "Your cohorts" in remembered.text


async def test_logout_ends_the_session(site: Site) -> None:
    async with site.signed_in(site.world.coach_a) as client:
        assert (await client.get("/")).status_code == 200
        out = await client.post("/logout")
        assert out.status_code == 200
        assert (await client.get("/")).status_code == 401


async def test_https_public_url_makes_the_cookie_secure(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = await site_for(db, monkeypatch, public="https://coach.example.org")
    async with site.client() as client:
        response = await client.get(await site.login_link(site.world.coach_a))
        assert "Secure" in response.headers["set-cookie"]
        assert "max-age" in response.headers.get("strict-transport-security", "")


def test_the_dashboard_speaks_both_languages_with_the_same_texts() -> None:
    assert text_keys("id") == text_keys("en") and len(text_keys("id")) > 30


def test_the_secret_comes_from_the_environment_or_the_bot_token() -> None:
    assert DashboardLinks.from_env({}) is None
    own = DashboardLinks.from_env({"DASHBOARD_SECRET": "x", "PORT": "9000"})
    assert own is not None and own.secret == b"x" and own.public_url == "http://127.0.0.1:9000"
    derived = DashboardLinks.from_env({"TELEGRAM_BOT_TOKEN": "123:abc"})
    other = DashboardLinks.from_env({"TELEGRAM_BOT_TOKEN": "123:abd"})
    assert derived is not None and other is not None and derived.secret != other.secret
    assert b"123:abc" not in derived.secret


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_jejaring_run_serves_the_dashboard_on_port(
    mode: str, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beside polling on PORT, or on the webhook's own port (one server, both routes)."""
    import asyncio
    import socket

    from service.run import serve
    from service.settings import Settings
    from tools.botapi_emulator import BotApiEmulator

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    token = "123456:TEST-token"
    async with BotApiEmulator(token=token) as emu:
        hook = {"webhook_url": f"http://127.0.0.1:{port}/telegram", "webhook_secret": "s3cret"}
        settings = Settings(
            token=token,
            api_base_url=emu.base_url,
            database_url=database_url,
            host="127.0.0.1",
            port=port,
            **(hook if mode == "webhook" else {}),
        )
        stop = asyncio.Event()
        task = asyncio.create_task(serve(settings, stop))
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                for _ in range(100):
                    try:
                        home = await client.get("/")
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.1)
                assert home.status_code == 401 and "/dasbor" in home.text
                check_headers(home)
                if mode == "webhook":
                    refused = await client.post("/telegram", json={"update_id": 1})
                    assert refused.status_code == 403  # the webhook still checks its secret
                    assert (await client.get("/healthz")).json() == {"ok": True}
        finally:
            stop.set()
            await asyncio.wait_for(task, 15)


def test_the_dashboard_counts_one_in_the_singular_in_english() -> None:
    from web.app import translate

    t = translate("en")
    assert (str(t("n_actors", n=1)), str(t("n_ties", n=1))) == ("1 actor", "1 tie")
    assert (str(t("n_actors", n=2)), str(t("n_ties", n=0))) == ("2 actors", "0 ties")
    assert str(t("without_you", actors=1, ties=0)).endswith("without them: 1 actor, 0 ties)")
