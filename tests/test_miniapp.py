"""The Telegram Mini App over HTTP: initData, tokens, who may see what, the map's API.

Changes made through the app are the chat's map operations: the chat sees them (``/analisis``,
the map's undo), and the chat's changes are in the app's next read.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.dashboard import DashboardLinks
from coaching.mapapp import Asked, Refused, plan_change, scene
from coaching.model import ChangeMap
from coaching.network import Actor, MapView, TieView
from storage.db import Database
from tests.support import NOW
from tests.test_coach import World, texts, world
from web.app import dashboard_app
from web.initdata import (
    InitDataError,
    check_init_data,
    issue_token,
    sign_init_data,
    token_subject,
)

BOT_TOKEN = "123456:TEST-token-for-the-mini-app"
PUBLIC = "https://jejaring.test"


def init_data(user_id: int, *, age: timedelta = timedelta(0), token: str = BOT_TOKEN) -> str:
    fields = {
        "auth_date": str(int((NOW - age).timestamp())),
        "query_id": "AAH-test",
        "user": json.dumps({"id": user_id, "first_name": "Sari", "language_code": "id"}),
    }
    return sign_init_data(fields, token)


# --- initData ------------------------------------------------------------------------------


def test_good_init_data_names_the_user() -> None:
    user = check_init_data(init_data(1001), BOT_TOKEN, now=NOW)
    assert (user.id, user.external_id, user.first_name) == (1001, "tg:1001", "Sari")


def test_forged_init_data_is_refused() -> None:
    signed = init_data(1001, token="999:another-bot")
    with pytest.raises(InitDataError) as error:
        check_init_data(signed, BOT_TOKEN, now=NOW)
    assert error.value.reason == "forged"
    # the right signature, but someone changed the user afterwards
    tampered = init_data(1001).replace("1001", "1002")
    with pytest.raises(InitDataError, match="forged"):
        check_init_data(tampered, BOT_TOKEN, now=NOW)


def test_stale_or_future_init_data_is_refused() -> None:
    assert check_init_data(init_data(1001, age=timedelta(minutes=59)), BOT_TOKEN, now=NOW).id
    with pytest.raises(InitDataError, match="stale"):
        check_init_data(init_data(1001, age=timedelta(hours=2)), BOT_TOKEN, now=NOW)
    with pytest.raises(InitDataError, match="stale"):
        check_init_data(init_data(1001, age=-timedelta(hours=1)), BOT_TOKEN, now=NOW)


@pytest.mark.parametrize("raw", ["", "hash=abc", "user=x&&&", "a=1&a=2&hash=00"])
def test_missing_or_malformed_init_data_is_refused(raw: str) -> None:
    with pytest.raises(InitDataError):
        check_init_data(raw, BOT_TOKEN, now=NOW)


def test_tokens_expire_and_cannot_be_altered() -> None:
    token = issue_token("tg:1001", b"k", now=NOW)
    assert token_subject(token, b"k", now=NOW + timedelta(hours=3)) == "tg:1001"
    assert token_subject(token, b"k", now=NOW + timedelta(hours=5)) is None
    assert token_subject(token, b"other", now=NOW) is None
    payload, _, mac = token.partition(".")
    assert token_subject(payload[:-2] + "xx." + mac, b"k", now=NOW) is None


# --- the pure part ---------------------------------------------------------------------------


def small_map() -> MapView:
    actors = (Actor("Sari", is_ego=True), Actor("Pak Budi Santoso"), Actor("Ani"))
    ties = (TieView("sari", "pak budi santoso", "strong"), TieView("pak budi santoso", "ani"))
    return MapView(7, "personal", "Peta", actors=actors, ties=ties)


def test_the_scene_is_the_pictures_layout_with_attributes() -> None:
    drawn = scene(small_map(), locale="id")
    assert {n["name"] for n in drawn["nodes"]} == {"Sari", "Pak Budi Santoso", "Ani"}
    assert all({"x", "y", "r", "roles", "attributes", "kltb"} <= set(n) for n in drawn["nodes"])
    ties = [line for line in drawn["lines"] if line["kind"] != "suggested"]
    assert {(t["a"], t["b"]) for t in ties} == {
        ("sari", "pak budi santoso"),
        ("pak budi santoso", "ani"),
    }
    assert drawn["map"]["can_undo"] is False and drawn["analysis"]


def test_new_names_go_through_the_chats_resolver() -> None:
    view = small_map()
    near = plan_change(view, {"op": "add_actor", "name": "Budi"})
    assert isinstance(near, Asked) and near.candidates == ("Pak Budi Santoso",)
    assert isinstance(plan_change(view, {"op": "add_actor", "name": "saya"}), Asked)
    added = plan_change(view, {"op": "add_actor", "name": "Budi", "new": True})
    assert isinstance(added, ChangeMap) and added.ops[0].name == "Budi"  # type: ignore[union-attr]
    refused = plan_change(view, {"op": "add_actor", "name": "=1+1"})
    assert isinstance(refused, Refused) and refused.key == "names.formula"
    self_tie = plan_change(view, {"op": "add_tie", "a": "ani", "b": "Ani"})
    assert isinstance(self_tie, Refused) and self_tie.key == "network.err_self_tie"
    bad = plan_change(view, {"op": "update_actor", "key": "ani", "attributes": {"kind": "x"}})
    assert isinstance(bad, Refused)
    # the KLTB step is reached in the chat's pipeline, in order: the card does not set it
    skip = plan_change(
        view, {"op": "update_actor", "key": "ani", "attributes": {"kltb_step": "buy"}}
    )
    assert isinstance(skip, Refused)


# --- over HTTP -------------------------------------------------------------------------------


class App:
    def __init__(self, w: World, links: DashboardLinks) -> None:
        self.w = w
        self.links = links
        self.asgi = dashboard_app(w.db, links, clock=lambda: NOW, bot_token=BOT_TOKEN)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.asgi), base_url=PUBLIC)

    async def token(self, client: httpx.AsyncClient, user_id: int) -> dict[str, str]:
        response = await client.post("/app/api/session", json={"init_data": init_data(user_id)})
        assert response.status_code == 200, response.text
        return {"authorization": "Bearer " + response.json()["token"]}


@pytest.fixture
async def app(db: Database, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[App]:
    links = DashboardLinks(PUBLIC, b"test-secret")
    # The bot signs with the configuration the environment gives (no process global).
    monkeypatch.setenv("DASHBOARD_SECRET", "test-secret")
    monkeypatch.setenv("PUBLIC_URL", PUBLIC)
    yield App(await world(db), links)


def directives(policy: str) -> dict[str, str]:
    return dict(d.strip().partition(" ")[::2] for d in policy.split(";"))


async def test_the_page_has_the_dashboards_headers_and_no_other_host(app: App) -> None:
    async with app.client() as client:
        page = await client.get("/app")
        assert page.status_code == 200
        assert page.headers["content-security-policy"].startswith("default-src 'none'")
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["cache-control"] == "no-store"
        assert "set-cookie" not in page.headers
        assert "https://" not in page.text and "//telegram.org" not in page.text
        script = await client.get("/static/miniapp.js")
        assert script.status_code == 200 and "fetch(" in script.text
        assert "http://" not in script.text.replace("http://www.w3.org/2000/svg", "")


async def test_only_telegram_web_may_frame_the_app_and_only_its_page(app: App) -> None:
    async with app.client() as client:
        page = await client.get("/app")
        signed_out = await client.get("/")  # the dashboard's policy, as it was
        mine, theirs = (
            directives(r.headers["content-security-policy"]) for r in (page, signed_out)
        )
        assert mine["frame-ancestors"].split() == [
            "https://web.telegram.org",
            "https://webk.telegram.org",
            "https://weba.telegram.org",
        ]
        assert "x-frame-options" not in page.headers  # it cannot name origins
        assert {k: v for k, v in mine.items() if k != "frame-ancestors"} == {
            k: v for k, v in theirs.items() if k != "frame-ancestors"
        }
        # every other response: nobody may frame it
        for path in ("/", "/app/coach/1", "/app/api/map", "/static/miniapp.js", "/app/"):
            response = await client.get(path)
            policy = directives(response.headers["content-security-policy"])
            assert policy["frame-ancestors"] == "'none'", path
            assert response.headers["x-frame-options"] == "DENY", path


async def test_session_refuses_forged_stale_and_missing_init_data(app: App) -> None:
    async with app.client() as client:
        for raw, reason in (
            (init_data(1001, token="1:other"), "forged"),
            (init_data(1001, age=timedelta(days=2)), "stale"),
            ("", "missing"),
        ):
            response = await client.post("/app/api/session", json={"init_data": raw})
            assert (response.status_code, response.json()["error"]) == (401, reason)
        # signed correctly, but nobody we know
        response = await client.post("/app/api/session", json={"init_data": init_data(4242)})
        assert response.status_code == 403
        assert (await client.get("/app/api/map")).status_code == 401
        forged = {"authorization": "Bearer " + issue_token("tg:1001", b"wrong", now=NOW)}
        assert (await client.get("/app/api/map", headers=forged)).status_code == 401


async def test_a_participant_reaches_only_their_own_maps(app: App) -> None:
    async with app.client() as client:
        sari = await app.token(client, 1001)
        rudi = await app.token(client, 1002)
        mine = (await client.get("/app/api/map", headers=sari)).json()
        sari_map = mine["scene"]["map"]["id"]
        assert {n["name"] for n in mine["scene"]["nodes"]} == {"Sari Dewi", "Budi", "Ani", "Dewi"}
        assert (await client.get(f"/app/api/map?map={sari_map}", headers=rudi)).status_code == 404
        change = {"op": "add_actor", "name": "Penyusup"}
        refused = await client.post(f"/app/api/map/{sari_map}/change", headers=rudi, json=change)
        assert refused.status_code == 404
        snaps = await client.get(f"/app/api/map/{sari_map}/snapshots", headers=rudi)
        assert snaps.status_code == 404


async def test_edits_in_the_app_are_the_chats_and_the_chats_are_the_apps(app: App) -> None:
    w = app.w
    async with app.client() as client:
        sari = await app.token(client, 1001)
        map_id = (await client.get("/app/api/map", headers=sari)).json()["scene"]["map"]["id"]

        async def change(**request: Any) -> dict[str, Any]:
            response = await client.post(
                f"/app/api/map/{map_id}/change", headers=sari, json=request
            )
            assert response.status_code == 200, response.text
            return dict(response.json())

        same = await change(op="add_actor", name="Pak Budi")  # honorifics aside, the same Budi
        assert same["asked"] == {"kind": "same", "typed": "Pak Budi", "candidates": ["Budi"]}
        asked = await change(op="add_actor", name="Pak Budi Santoso")
        assert asked["asked"] == {
            "kind": "near",
            "typed": "Pak Budi Santoso",
            "candidates": ["Budi"],
        }
        added = await change(op="add_actor", name="Pak Budi Santoso", new=True)
        assert added["done"] == "do"
        assert "Pak Budi Santoso" in {n["name"] for n in added["scene"]["nodes"]}
        tied = await change(op="add_tie", a="pak budi santoso", b="ani", strength="strong")
        assert any({t["a"], t["b"]} == {"pak budi santoso", "ani"} for t in tied["scene"]["lines"])
        carded = await change(
            op="update_actor", key="Pak Budi Santoso", attributes={"ibarra": "strategic"}
        )
        budi = next(n for n in carded["scene"]["nodes"] if n["name"] == "Pak Budi Santoso")
        assert budi["attributes"]["ibarra"] == "strategic"
        again = await change(op="add_tie", a="ani", b="pak budi santoso")
        assert "already" in again["refused"] or "sudah" in again["refused"]

        # the chat sees it: /analisis counts the new actor and tie, and its undo is the app's
        said = await w.sari.answer(w.sari.say("/analisis"))
        assert "5" in texts(said)
        undone = await change(op="undo")  # the attribute
        assert undone["done"] == "undo"
        await w.sari.say("/urungkan")  # the tie, undone from the chat
        after = (await client.get("/app/api/map", headers=sari)).json()["scene"]
        assert not any(
            {t["a"], t["b"]} == {"pak budi santoso", "ani"} and t["kind"] != "suggested"
            for t in after["lines"]
        )
        assert after["map"]["can_redo"]
        redone = await change(op="redo")
        assert any(
            {t["a"], t["b"]} == {"pak budi santoso", "ani"} for t in redone["scene"]["lines"]
        )

        # a change made in the chat is in the app's next read
        await w.sari.say("/tambah Bu Rina")
        names = {
            n["name"]
            for n in (await client.get("/app/api/map", headers=sari)).json()["scene"]["nodes"]
        }
        assert "Bu Rina" in names


async def test_two_stored_analyses_compared_as_the_coach_views_compare_them(app: App) -> None:
    w = app.w
    async with app.client() as client:
        sari = await app.token(client, 1001)
        rudi = await app.token(client, 1002)
        map_id = (await client.get("/app/api/map", headers=sari)).json()["scene"]["map"]["id"]
        url = f"/app/api/map/{map_id}/compare"
        snaps = (await client.get(f"/app/api/map/{map_id}/snapshots", headers=sari)).json()
        stored = len(snaps["snapshots"])  # the world's own analysis
        await w.sari.say("/analisis")
        await w.sari.say("/tambah Wawan")
        await w.sari.say("/hubung Wawan - Ani kuat")
        await w.sari.say("/analisis")
        snaps = (await client.get(f"/app/api/map/{map_id}/snapshots", headers=sari)).json()
        newest, older = snaps["snapshots"][0], snaps["snapshots"][1]  # newest first
        assert len(snaps["snapshots"]) == stored + 2 and newest["stage_name"]
        assert newest["stage_name"] != newest["stage"]  # a name, not a key

        def picked(a: int, b: int | str) -> dict[str, Any]:
            return {"from": str(a), "to": str(b)}

        got = await client.get(url, headers=sari, params=picked(older["id"], newest["id"]))
        change = got.json()
        assert change["ties_appeared"] == [["Ani", "Wawan"]] and change["ties_gone"] == []
        assert change["actors_appeared"] == ["Wawan"] and change["changed"] is True
        counts = {c["key"]: (c["before"], c["after"]) for c in change["counts"]}
        assert counts["actors"] == (4, 5) and counts["ties"] == (4, 5)
        assert change["marked_actors"] == ["wawan"] and change["marked_ties"] == [["ani", "wawan"]]
        assert set(change["stage_names"]) == {change["stage_before"], change["stage_after"]}
        # the same comparison as the coach's views make of the two stored analyses
        from coaching.compare import compare
        from storage.models import AnalysisSnapshot

        def results(session: Any) -> tuple[Any, Any]:
            return tuple(  # type: ignore[return-value]
                session.get(AnalysisSnapshot, i).result for i in (older["id"], newest["id"])
            )

        before, after = await w.db.run(results)
        expected = compare(before, after).context()
        assert {k: change[k] for k in expected} == expected
        # picked the other way round: still older → newer
        swapped = await client.get(url, headers=sari, params=picked(newest["id"], older["id"]))
        assert swapped.json()["actors_appeared"] == ["Wawan"]
        # against the map now: a change made since in the chat shows
        await w.sari.say("/tambah Bu Rina")
        now = (await client.get(url, headers=sari, params=picked(older["id"], "now"))).json()
        assert now["actors_appeared"] == ["Bu Rina", "Wawan"]
        # refused: the same one twice, not an id, another map's analysis, another participant
        same = await client.get(url, headers=sari, params=picked(older["id"], older["id"]))
        assert same.status_code == 400
        assert (await client.get(url, headers=sari, params={"from": "x"})).status_code == 400
        assert (await client.get(url, headers=sari, params=picked(10**9, "now"))).status_code == 404
        rudis = (await client.get("/app/api/map", headers=rudi)).json()["scene"]["map"]["id"]
        await w.rudi.say("/analisis")
        theirs = (await client.get(f"/app/api/map/{rudis}/snapshots", headers=rudi)).json()
        foreign = picked(theirs["snapshots"][0]["id"], "now")
        assert (await client.get(url, headers=sari, params=foreign)).status_code == 404
        mine = picked(older["id"], "now")
        assert (await client.get(url, headers=rudi, params=mine)).status_code == 404


async def test_a_coach_sees_their_cohorts_maps_read_only_and_no_other(app: App) -> None:
    from tests.test_web import Clock, Site

    w = app.w
    site = Site(w, Clock(), app.links)
    site.client = app.client  # type: ignore[method-assign]
    async with site.signed_in(w.coach_a) as client:
        page = await client.get(f"/app/coach/{w.sari_id}")
        assert page.status_code == 200 and 'data-mode="coach"' in page.text
        seen = (await client.get(f"/app/api/coach/{w.sari_id}/map")).json()
        assert seen["scene"]["map"]["read_only"] is True
        map_id = seen["scene"]["map"]["id"]
        assert (await client.get(f"/app/coach/{w.rudi_id}")).status_code == 403
        assert (await client.get(f"/app/api/coach/{w.rudi_id}/map")).status_code == 403
        # no token: the coach's cookie changes nothing
        change = {"op": "add_actor", "name": "Coach"}
        response = await client.post(f"/app/api/map/{map_id}/change", json=change)
        assert response.status_code == 401
        # an edit sent on the coach's own (read-only) view: refused, and nothing changed
        edit = f"/app/api/coach/{w.sari_id}/map/{map_id}/change"
        assert (await client.post(edit, json=change)).status_code == 403
        assert (
            await client.post(edit.replace(str(w.sari_id), str(w.rudi_id)), json=change)
        ).status_code == 403
        after = (await client.get(f"/app/api/coach/{w.sari_id}/map")).json()["scene"]
        assert "Coach" not in {n["name"] for n in after["nodes"]}
        # the before/after of two analyses, read-only too
        snaps = (await client.get(f"/app/api/coach/{w.sari_id}/map/{map_id}/snapshots")).json()
        first = snaps["snapshots"][-1]["id"]
        compared = await client.get(
            f"/app/api/coach/{w.sari_id}/map/{map_id}/compare", params={"from": first, "to": "now"}
        )
        assert compared.status_code == 200 and "ties_appeared" in compared.json()
    async with app.client() as anonymous:
        assert (await anonymous.get(f"/app/api/coach/{w.sari_id}/map")).status_code == 401


# --- where it opens from ---------------------------------------------------------------------


def test_the_map_page_and_menu_offer_the_app_only_over_https(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.sender import keyboard

    payload = {
        "seq": 3,
        "buttons": [
            [{"label": "Menu", "value": "menu"}],
            [{"label": "Peta interaktif", "value": "miniapp", "web_app": "/app"}],
        ],
    }
    markup = keyboard(payload, DashboardLinks(PUBLIC, b"k"))  # the service's configuration
    assert markup is not None
    opener = markup.inline_keyboard[1][0]
    assert opener.web_app is not None and opener.web_app.url == f"{PUBLIC}/app"
    assert opener.callback_data is None
    markup = keyboard(payload, DashboardLinks("http://127.0.0.1:8080", b"k"))
    assert markup is not None and len(markup.inline_keyboard) == 1  # no https: no app button


async def test_the_menu_button_opens_the_app_only_over_https() -> None:
    from bot.app import set_menu_button

    class Bot:
        def __init__(self) -> None:
            self.calls: list[Any] = []

        async def set_chat_menu_button(self, **kwargs: Any) -> bool:
            self.calls.append(kwargs["menu_button"])
            return True

    class App:
        bot = Bot()

    await set_menu_button(App(), "http://127.0.0.1:8080")  # type: ignore[arg-type]
    assert App.bot.calls == []
    await set_menu_button(App(), PUBLIC)  # type: ignore[arg-type]
    (button,) = App.bot.calls
    assert button.type == "web_app" and button.web_app.url == f"{PUBLIC}/app"


async def test_the_chats_map_page_and_menu_carry_the_app_button(app: App) -> None:
    sari = app.w.sari
    said = await sari.answer(sari.say("/peta"))
    assert any(b.get("web_app") == "/app" for p in said for row in p["buttons"] for b in row)
    said = await sari.answer(sari.say("/menu"))
    assert any(b.get("web_app") == "/app" for p in said for row in p["buttons"] for b in row)


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
