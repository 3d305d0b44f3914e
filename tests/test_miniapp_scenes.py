"""The Mini App's scenes: drawn once per version of a map, the worker warmed at the service's
start, and a map the chat changes laid out before the app opens it."""

from __future__ import annotations

import httpx
import pytest

from app.dashboard import DashboardLinks
from storage.db import Database
from tests.support import NOW
from tests.test_coach import world
from tests.test_miniapp import BOT_TOKEN, PUBLIC, init_data
from web.app import dashboard_app


async def test_a_change_draws_the_new_version_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from web.miniapp import SceneCache

    links = DashboardLinks(PUBLIC, b"test-secret")
    monkeypatch.setenv("DASHBOARD_SECRET", "test-secret")
    monkeypatch.setenv("PUBLIC_URL", PUBLIC)
    await world(db)
    scenes = SceneCache()
    asgi = dashboard_app(db, links, clock=lambda: NOW, bot_token=BOT_TOKEN, scenes=scenes)
    transport = httpx.ASGITransport(app=asgi)
    try:
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as client:
            session = await client.post("/app/api/session", json={"init_data": init_data(1001)})
            sari = {"authorization": "Bearer " + session.json()["token"]}
            first = (await client.get("/app/api/map", headers=sari)).json()["scene"]
            assert scenes.computed == 1
            await client.get("/app/api/map", headers=sari)
            assert scenes.computed == 1  # the same version: from the cache
            change = {"op": "add_actor", "name": "Wawan"}
            await client.post(
                f"/app/api/map/{first['map']['id']}/change", headers=sari, json=change
            )
            assert scenes.computed == 2
            again = (await client.get("/app/api/map", headers=sari)).json()["scene"]
            assert scenes.computed == 2 and "Wawan" in {n["name"] for n in again["nodes"]}
    finally:
        scenes.close()


async def test_the_service_warms_the_page_and_the_scene_worker_before_anyone_opens_it(
    db: Database,
) -> None:
    from web.miniapp import SceneCache, warm_page

    scenes = SceneCache()
    asgi = dashboard_app(db, DashboardLinks(PUBLIC, b"k"), bot_token=BOT_TOKEN, scenes=scenes)
    try:
        assert not await scenes.ready()  # nothing started yet
        await warm_page(asgi)
        assert await scenes.ready()  # the worker drew its first small map
        assert scenes.computed == 0  # and no participant's map was drawn for it
    finally:
        scenes.close()


async def test_a_map_the_chat_changes_is_laid_out_before_the_app_opens_it(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from web.miniapp import SceneCache

    links = DashboardLinks(PUBLIC, b"test-secret")
    monkeypatch.setenv("DASHBOARD_SECRET", "test-secret")
    monkeypatch.setenv("PUBLIC_URL", PUBLIC)
    w = await world(db)
    scenes = SceneCache()
    asgi = dashboard_app(db, links, clock=lambda: NOW, bot_token=BOT_TOKEN, scenes=scenes)
    transport = httpx.ASGITransport(app=asgi)
    try:
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as client:
            session = await client.post("/app/api/session", json={"init_data": init_data(1001)})
            sari = {"authorization": "Bearer " + session.json()["token"]}
            assert scenes.computed == 1  # the map came with the session
            await w.sari.say("/tambah Wawan")
            await w.rudi.say("/tambah Wawan")
            scenes.handled("tg:1002")  # Rudi never opened the app: nothing laid out
            scenes.handled("tg:1001")  # as the bot's pipeline says after the commit
            await scenes.idle()
            assert scenes.computed == 2  # Sari's new version, before she opens the app
            again = (await client.get("/app/api/map", headers=sari)).json()["scene"]
            assert "Wawan" in {n["name"] for n in again["nodes"]}
            assert scenes.computed == 2  # found drawn
            scenes.handled("tg:1001")  # an update that changed no map: nothing to lay out
            await scenes.idle()
            assert scenes.computed == 2
    finally:
        scenes.close()
