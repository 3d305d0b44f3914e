"""Issue 14, item 5: guided entry in a few taps, counted over a real Application.

After a stakeholder's name one message shows what will be stored, with "✓ save" (one tap,
on a personal map with your tie as tapped) and "details…" (the full questions, each with its
own "✓ save now"). Counted here per stakeholder: the taps the participant makes.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.flood import FloodGuard
from storage.db import Database
from storage.models import Actor, Tie
from tests.support import transaction
from tests.test_handlers import Harness
from tests.test_storage import fast
from tests.test_walk import AppClient
from tests.walk import onboarding


class Counting(AppClient):
    """The real Application's client, counting the participant's taps."""

    taps = 0

    async def press(self, value: str) -> None:
        self.taps += 1
        await super().press(value)

    async def peers(self, *wanted: str) -> None:
        """Who else works with the new actor: the numbered toggles, then done."""
        for value in await self.buttons():
            if value.startswith("toggle:") and value.endswith(":1") and wanted:
                await self.press(value)
                wanted = wanted[1:]
        await self.press("done")


async def _at_the_map(db: Database) -> tuple[Harness, Counting]:
    bot = Harness(db)
    bot.deliverer.pacer = fast()
    bot.pipeline.flood = FloodGuard(limit=10**6)  # a script types faster than any person
    return bot, Counting(bot)


async def test_a_stakeholder_in_a_few_taps_with_the_full_questions_still_there(
    db: Database,
) -> None:
    bot, client = await _at_the_map(db)
    async with bot.app:
        await onboarding(client)
        await client.send("/peta")
        await client.press("add")
        per_actor: dict[str, int] = {}

        # The first: nobody else on the map yet, so one tap stores them and asks the next name.
        client.taps = 0
        await client.send("Pak Budi")
        assert "✓" in str(bot.request.calls[-1][1].get("reply_markup"))
        await client.press("strong")
        per_actor["Pak Budi"] = client.taps
        assert await client.state() == "network.name"

        # The second, tied to the first: save, tick Pak Budi, done, none of them strong.
        client.taps = 0
        await client.send("Bu Ani")
        await client.press("weak")
        assert await client.state() == "network.peers"
        await client.peers("Pak Budi")
        await client.press("done")
        per_actor["Bu Ani"] = client.taps

        # The same answers through the full questions (as every stakeholder took before).
        client.taps = 0
        await client.send("Dinas Pertanian")
        await client.press("detail")
        for value in ("organisation", "skip", "out", "done", "skip", "strategic"):
            await client.press(value)
        for value in ("weak", "both", "done"):
            await client.press(value)
        await client.peers("Pak Budi")
        await client.press("done")
        full = client.taps - 1  # without "details…": the path every stakeholder took before
        assert await client.state() == "network.name"

        # "✓ save now" part-way through the full questions stores what was given.
        client.taps = 0
        await client.send("KUD Sri Rejeki")
        await client.press("detail")
        await client.press("group")
        await client.send("Koperasi desa")
        await client.press("save")
        assert await client.state() == "network.ego_tie"
        await client.press("weak")
        await client.press("save")  # two-way, nothing said of what flows
        await client.peers()
        per_actor["KUD Sri Rejeki"] = client.taps

    print(f"taps per stakeholder: {per_actor}; full questions (before): {full}")
    assert per_actor["Pak Budi"] == 1 and per_actor["Bu Ani"] <= 4
    assert full >= 12  # what guided entry took before: 12 taps for the same stakeholder
    with transaction(db) as session:
        actors = {a.name: a for a in session.execute(select(Actor)).scalars()}
        ties = session.execute(select(Tie)).scalars().all()
    assert actors["Pak Budi"].kind == "person" and actors["Bu Ani"].kind == "person"
    assert actors["Dinas Pertanian"].kind == "organisation"
    assert actors["KUD Sri Rejeki"].role == "Koperasi desa"
    assert actors["KUD Sri Rejeki"].kind == "group"
    strengths = sorted(str(t.strength) for t in ties)
    # Sari–Budi strong; Sari–Ani, Ani–Budi, Sari–Dinas, Dinas–Budi, Sari–KUD weak.
    assert strengths == ["strong"] + ["weak"] * 5, strengths


def test_yes_at_a_near_miss_keeps_naming_stakeholders() -> None:
    from tests.test_network import network_convo

    convo = network_convo()
    convo.press("add")
    convo.send("Pak Budi")
    convo.press("weak")
    convo.send("Bu Ani")
    convo.press("strong")
    convo.press("done")  # Bu Ani works with nobody here
    assert convo.snap.state == "network.name"
    convo.send("Pak Budy")
    assert convo.snap.state == "network.confirm"
    convo.press("same:0")  # "Ya, Pak Budi"
    assert convo.snap.state == "network.peers"  # who works with him: Bu Ani, not yet tied
    convo.press("done")
    assert convo.snap.state == "network.name"  # still adding names
    assert "Langkah 2" in convo.last[-1].plain
    convo.send("Pak Budy")
    convo.press("same:0")
    toggles = [v for v in convo.buttons if v.startswith("toggle:")]
    convo.press(toggles[0])
    convo.press("done")
    convo.press("done")
    assert convo.snap.state == "network.name"
    convo.send("Pak Budy")  # everyone tied to him now: said so, and the next name asked
    convo.press("same:0")
    assert convo.snap.state == "network.name" and convo.last[0].key == "network.already_there"
