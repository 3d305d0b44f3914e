"""One participant cannot starve the others (issue 18): capped imports stored in bulk, the
dashboard's map work cached per map version and done in a process of its own.

The timing itself is measured by ``bench/starvation.py`` (no timed tests here).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from typing import Any

import pytest
from sqlalchemy import func, select

from coaching import engine
from coaching.flows.network.maps import MAX_MAPS
from coaching.model import Document, Event, EventKind, Profile, Snapshot
from coaching.network import Actor, MapView, TieView
from storage.db import Database
from storage.models import Actor as ActorRow
from storage.models import NetworkMap, Tie
from tests.support import NOW, transaction
from tests.test_coach import Person
from tests.test_web import Site, site_for
from web.mapcache import MapCache


def edge_list(rows: int, people: int = 2500, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    names = [f"Aktor {i:04d}" for i in range(people)]
    lines, seen = ["source,target,strength"], set()
    while len(lines) <= rows:
        a, b = rng.sample(names, 2)
        if frozenset((a, b)) in seen:
            continue
        seen.add(frozenset((a, b)))
        lines.append(f"{a},{b},{rng.choice(['kuat', 'lemah'])}")
    return ("\n".join(lines) + "\n").encode()


def document(content: bytes, name: str = "besar.csv") -> Event:
    return Event(EventKind.DOCUMENT, document=Document(name, "text/csv", len(content), content))


async def onboarded(db: Database, user: int) -> Person:
    person = Person(db, user)
    await person.onboard("Sari Dewi")
    await person.press("net")
    return person


async def test_a_5000_row_import_is_stored_whole_in_bulk(db: Database) -> None:
    sari = await onboarded(db, 1301)
    content = edge_list(5000)
    await sari.say("/menu")
    await sari.press("net")
    sari.update += 1
    from storage.conversations import handle_event

    await handle_event(db, sari.who, document(content), update_id=sari.update, now=NOW)
    assert (await sari.row()).state == "network.import"
    await sari.press("yes")
    with transaction(db) as session:
        imported = (
            session.execute(select(NetworkMap).where(NetworkMap.source == "besar"))
        ).scalar_one()
        actors = session.scalar(
            select(func.count()).select_from(ActorRow).where(ActorRow.map_id == imported.id)
        )
        ties = session.scalar(
            select(func.count()).select_from(Tie).where(Tie.map_id == imported.id)
        )
        # Every tie joins the two actors its row named (ids resolved in bulk, not one by one).
        first = content.decode().splitlines()[1].split(",")
        source = ActorRow.__table__.alias("s")
        target = ActorRow.__table__.alias("t")
        named = (
            session.execute(
                select(source.c.name, target.c.name, Tie.strength)
                .join(source, source.c.id == Tie.source_id)
                .join(target, target.c.id == Tie.target_id)
                .where(Tie.map_id == imported.id, source.c.name == first[0])
            )
        ).all()
    assert ties == 5000
    assert actors == len(
        {n for line in content.decode().splitlines()[1:] for n in line.split(",")[:2]}
    )
    strength = {"kuat": "strong", "lemah": "weak"}[first[2]]
    assert (first[0], first[1], strength) in named
    said = await sari.payloads()
    assert any("5000" in p["text"] for p in said)


def _snapshot(maps: int, locale: str) -> Snapshot:
    views = tuple(
        MapView(i + 1, "personal" if i == 0 else "case", f"Peta {i}", actors=(Actor("Sari"),))
        for i in range(maps)
    )
    profile = Profile(name="Sari", language=locale, consent_at=NOW)
    return Snapshot(profile, "network.home", {}, 3, NOW, network=views[0], maps=views)


@pytest.mark.parametrize(("locale", "words"), [("id", "batas per peserta"), ("en", "the limit")])
def test_maps_per_participant_are_capped_with_a_clear_message(locale: str, words: str) -> None:
    from coaching.text import render

    content = edge_list(10)
    full = _snapshot(MAX_MAPS, locale)
    refused = engine.handle(full, document(content))
    shown = " ".join(render(locale, r.key, **r.context) for r in refused.replies)
    assert words in shown and str(MAX_MAPS) in shown and not refused.effects
    assert refused.state == "network.home"
    new_case = engine.handle(
        dataclasses.replace(full, state="network.maps"),
        Event(EventKind.CHOICE, choice="new", seq=3),
    )
    assert any(r.key == "network.too_many_maps" for r in new_case.replies)
    room = engine.handle(_snapshot(MAX_MAPS - 1, locale), document(content))
    assert room.state == "network.import"


@pytest.mark.parametrize(("locale", "words"), [("id", "lebih dari 5000"), ("en", "5000")])
def test_rows_per_file_are_capped_with_a_clear_message(locale: str, words: str) -> None:
    from coaching.text import render

    refused = engine.handle(_snapshot(1, locale), document(edge_list(5001)))
    shown = " ".join(render(locale, r.key, **r.context) for r in refused.replies)
    assert words in shown and refused.state == "network.home" and not refused.effects


# --- the dashboard's map work --------------------------------------------------------------------


def big_view(actors: int, map_id: int = 7) -> MapView:
    rng = random.Random(3)
    names = [f"A{i}" for i in range(actors)]
    ties = {tuple(sorted(rng.sample(names, 2))) for _ in range(actors * 2)}
    return MapView(
        map_id,
        "case",
        "Besar",
        actors=tuple(Actor(n) for n in names),
        ties=tuple(TieView(a.casefold(), b.casefold(), "weak", "both", ()) for a, b in ties),
    )


async def test_the_map_cache_computes_once_per_version_in_another_process() -> None:
    import os

    cache = MapCache()
    loads = 0

    async def load() -> MapView:
        nonlocal loads
        loads += 1
        return big_view(300)

    try:
        pages = await asyncio.gather(*(cache.get((7, 1, "id"), load, "Peta") for _ in range(4)))
        assert cache.computed == 1 and loads == 1 and all(p == pages[0] for p in pages)
        page = pages[0]
        assert page is not None and page.svg is not None and page.analysis is not None
        assert page.svg.count('<g class="actor') == 300 and "300" in page.analysis
        await cache.get((7, 1, "id"), load, "Peta")
        assert cache.computed == 1 and loads == 1  # cached: the map is not even loaded
        await cache.get((7, 2, "id"), load, "Peta")
        await cache.get((7, 2, "en"), load, "Map")
        assert cache.computed == 3  # a new version, another language
        pool = cache._pool
        assert pool is not None
        pid = await asyncio.get_running_loop().run_in_executor(pool, os.getpid)
        assert pid != os.getpid()  # not in this process: the event loop's GIL stays free
    finally:
        cache.close()


def test_names_in_the_cached_svg_are_escaped() -> None:
    from web.mapcache import compute

    view = MapView(
        1,
        "case",
        "<b>t</b>",
        actors=(Actor("<script>x</script>"), Actor("B & C")),
        ties=(TieView("<script>x</script>", "b & c", "weak", "both", ()),),
    )
    page = compute(view, "id", 'Peta "x"')
    assert page.svg is not None and "<script>" not in page.svg
    assert "&lt;script&gt;" in page.svg and "B &amp; C" in page.svg


async def test_the_dashboard_analyses_a_map_again_only_after_it_changed(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    site: Site = await site_for(db, monkeypatch)
    cache = MapCache()
    client_app: Any = None
    try:
        from web.app import dashboard_app

        client_app = dashboard_app(db, site.links, clock=site.clock, maps=cache)
        import httpx

        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=client_app), base_url="http://dasbor.test"
        ) as client:
            login = await client.get(await site.login_link(site.world.coach_a))
            assert login.status_code == 303
            url = f"/participants/{site.world.sari_id}"
            first = await asyncio.gather(*(client.get(url) for _ in range(4)))
            assert all(r.status_code == 200 for r in first)
            assert cache.computed == 1 and "Budi" in first[0].text
            await client.get(url)
            assert cache.computed == 1
            await site.world.sari.say("/menu")
            await site.world.sari.press("net")
            await site.world.sari.say("Budi - Zaenal kuat")  # a change: a new version
            again = await client.get(url)
            assert cache.computed == 2 and "Zaenal" in again.text
    finally:
        cache.close()


async def test_every_change_to_a_map_bumps_its_version(db: Database) -> None:
    sari = await onboarded(db, 1302)

    async def version() -> int:
        with transaction(db) as session:
            return int(session.scalar(select(NetworkMap.version)) or 0)

    start = await version()
    await sari.say("Budi - Ani kuat")
    after_tie = await version()
    await sari.say("/urungkan")
    after_undo = await version()
    assert start < after_tie < after_undo


async def test_a_csv_is_parsed_and_checked_before_its_transaction(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database's thread (on SQLite, everyone's) gets the event with its plan made."""
    import threading

    from coaching.flows.network import maps
    from storage import conversations

    sari = await onboarded(db, 1303)
    planned_on: list[str] = []
    plan = maps.plan_import

    def recording(sent: Document) -> maps.ImportPlan:
        planned_on.append(threading.current_thread().name)
        return plan(sent)

    seen: list[Any] = []
    handle = conversations._handle

    def spying(session: Any, who: Any, event: Event, *args: Any) -> Any:
        seen.append(
            (event.document.plan if event.document else None, threading.current_thread().name)
        )
        return handle(session, who, event, *args)

    monkeypatch.setattr(maps, "plan_import", recording)
    monkeypatch.setattr(conversations, "_handle", spying)
    sari.update += 1
    await conversations.handle_event(db, sari.who, document(edge_list(50)), update_id=sari.update)
    assert (await sari.row()).state == "network.import"
    assert len(planned_on) == 1  # once, not again in the transaction
    ((made, job_thread),) = seen
    assert isinstance(made, maps.ImportPlan) and made.preview is not None
    assert planned_on[0] != job_thread


async def test_the_map_worker_runs_below_the_bots_priority() -> None:
    import os

    cache = MapCache()
    try:

        async def load() -> MapView:
            return big_view(5)

        await cache.get((9, 1, "id"), load, "Peta")
        assert cache._pool is not None
        theirs = await asyncio.get_running_loop().run_in_executor(cache._pool, os.nice, 0)
        assert theirs >= os.nice(0) + 10 or theirs == 19
    finally:
        cache.close()
