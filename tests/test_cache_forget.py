"""Privacy in the caches: after /hapus_data nothing drawn of the participant's maps stays in the
dashboard's map cache or the Mini App's scene cache, nor their maps' analyses in the chat's
(web/mapcache.py, service/run.py's ``forgetting``)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from app import conversations
from coaching import analysed
from coaching.network import Actor, MapView, TieView
from service.run import forgetting
from storage import maps as stored_maps
from storage.db import Database
from storage.models import NetworkMap, Participant
from tests.ptb import Person
from tests.support import transaction
from tests.test_handlers import Harness, bot  # noqa: F401  (the fixture)
from web.mapcache import MapCache
from web.miniapp import SceneCache

NAME = "Zulkarnaen Wibisono"


def small(name: str = NAME) -> MapView:
    actors = (Actor("Sari Dewi", is_ego=True), Actor(name), Actor("Rina"))
    ties = (TieView("sari dewi", name.casefold(), "strong", "both", ()),)
    return MapView(1, "personal", "personal", actors=actors, ties=ties)


async def test_forget_drops_every_version_and_locale_of_the_maps_only() -> None:
    cache = MapCache(executor=ThreadPoolExecutor(1))

    async def load() -> MapView:
        return small()

    for key in ((1, 1, "id"), (1, 1, "en"), (2, 1, "id")):
        await cache.get(key, load, "Peta")
    cache.forget([1])
    assert cache.cached() == [(2, 1, "id")]
    assert cache.computed == 3
    await cache.get((1, 1, "id"), load, "Peta")
    assert cache.computed == 4  # computed afresh: nothing of it was kept


async def test_a_newer_version_evicts_the_older_drawing_of_the_same_map() -> None:
    cache = MapCache(executor=ThreadPoolExecutor(1))

    async def load() -> MapView:
        return small()

    await cache.get((1, 1, "id"), load, "Peta")
    await cache.get((2, 1, "id"), load, "Peta")
    await cache.get((1, 2, "id"), load, "Peta")
    assert sorted(cache.cached()) == [(1, 2, "id"), (2, 1, "id")]
    await cache.get((1, 1, "id"), load, "Peta")  # a page still open on the old version
    assert sorted(cache.cached()) == [(1, 2, "id"), (2, 1, "id")]


async def onboard(harness: Harness, person: Person, name: str) -> None:
    await harness.feed(person.text("/start"))
    for value in ("agree", "lang:id"):
        await harness.feed(person.press(f"j1:{await seq(harness, person)}:{value}"))
    await harness.feed(person.text(name))
    await harness.feed(person.text("Bappeda Karawang"))
    for value in ("WIB", "off"):
        await harness.feed(person.press(f"j1:{await seq(harness, person)}:{value}"))


def sent_last(harness: Harness) -> dict[str, object]:
    return harness.request.sent()[-1]


async def seq(harness: Harness, person: Person) -> int:
    with transaction(harness.db) as session:
        found = session.execute(
            select(Participant.seq).where(Participant.external_id == f"tg:{person.user.id}")
        )
        return int(found.scalar_one())


async def map_ids(db: Database, external_id: str) -> list[int]:
    with transaction(db) as session:
        return list(
            session.scalars(
                select(NetworkMap.id)
                .join(Participant, Participant.id == NetworkMap.participant_id)
                .where(Participant.external_id == external_id)
            )
        )


async def test_after_hapus_data_the_caches_hold_nothing_of_the_participant(
    bot: Harness,  # noqa: F811
) -> None:
    maps = MapCache(executor=ThreadPoolExecutor(1))
    scenes = SceneCache(executor=ThreadPoolExecutor(1))
    bot.pipeline.on_forgotten = forgetting(maps, scenes)
    rina = Person(bot.app, user_id=1002)
    for person, name in ((bot.sari, "Sari Dewi"), (rina, "Rina Wati")):
        await onboard(bot, person, name)
        await bot.feed(person.text(f"/hubung {NAME} - Dinas Pertanian kuat"))
        await bot.feed(person.text("/analisis"))
    theirs, others = await map_ids(bot.db, "tg:1001"), await map_ids(bot.db, "tg:1002")
    assert theirs and others
    pids = {}
    with transaction(bot.db) as session:
        for row in session.scalars(select(Participant)):
            pids[row.external_id] = row.id
    # The coach's dashboard drew both participants' maps; the Mini App laid them out.
    for external_id, ids in (("tg:1001", theirs), ("tg:1002", others)):
        for map_id in ids:

            async def load(pid: int = pids[external_id], only: int = map_id) -> MapView | None:
                found = await bot.db.run(
                    lambda session: stored_maps.load_maps(session, pid, only=only)
                )
                return found[0] if found else None

            page = await maps.get((map_id, 1, "id"), load, "Peta")
            assert page is not None and page.svg is not None and NAME in page.svg
            await scenes.get((map_id, 1, "app:id"), load, "id")
            view = await load()
            assert view is not None
            conversations._analysis(analysed.wanted(view))  # as a lesson's page analyses it
        scenes.using(external_id, 600)
    assert conversations._analysis.cache_info().currsize > 0

    await bot.feed(bot.sari.text("/hapus_data"))
    delete = next(b for b in bot.buttons(sent_last(bot)) if b.endswith(":delete"))
    await bot.feed(bot.sari.press(delete))
    with transaction(bot.db) as session:
        gone = session.scalars(select(Participant).where(Participant.external_id == "tg:1001"))
        assert gone.first() is None

    assert all(key[0] not in theirs for key in maps.cached())
    assert all(key[0] not in theirs for key in scenes.cached())
    assert "tg:1001" not in scenes._users
    assert conversations._analysis.cache_info().currsize == 0
    # Everyone else's stay drawn.
    assert {key[0] for key in maps.cached()} == set(others)
    assert {key[0] for key in scenes.cached()} == set(others)
    assert "tg:1002" in scenes._users
