"""The whole module, onboarding to every module complete: pure engine, a real Application
over real Updates, and ``jejaring chat`` fed the same inputs through a pipe."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from sqlalchemy import func, select

from bot.callback import CallbackData
from bot.flood import FloodGuard
from coaching import engine
from coaching.curriculum import EXERCISES, PRACTICE
from coaching.model import Event, EventKind
from storage.db import Database
from storage.models import Answer, KltbEntry, Participant, PlannedTie, Progress
from tests.conftest import REPO
from tests.support import Conversation, place_value, telegram_html_errors, transaction
from tests.test_handlers import Harness
from tests.test_storage import fast
from tests.walk import walk


class PureClient:
    """The pure engine, recording what a terminal user would type for each step."""

    def __init__(self) -> None:
        self.convo = Conversation()
        self.script: list[str] = []

    async def send(self, text: str) -> None:
        self.convo.send(text)
        self.script.append(text)
        self._stored()

    async def press(self, value: str) -> None:
        options = await self.buttons()
        assert value in options, (value, options, self.convo.snap.state)
        self.script.append(str(options.index(value) + 1))  # what the terminal shows
        self.convo.press(value)
        self._stored()

    async def state(self) -> str:
        return self.convo.snap.state

    async def buttons(self) -> list[str]:
        prompt = engine.prompt(self.convo.snap)
        return [place_value(o.value) for r in prompt for o in r.flat_options()]

    def _stored(self) -> None:
        from tests.test_bab4 import stored

        stored(self.convo)
        for said in self.convo.last:
            assert telegram_html_errors(said.html) == [], (said.key, said.html[:200])


async def test_the_whole_module_in_the_pure_engine() -> None:
    client = PureClient()
    await walk(client)
    # The network work (map, analysis, planned tie, the four KLTB steps) counts as well.
    assert client.convo.snap.completed == frozenset(EXERCISES) | frozenset(PRACTICE)
    await client.send("/menu")
    assert "25/25" in client.convo.last[-1].plain


def _value(data: str) -> str:
    """A button's value as its place knows it (a navigation button carries its place)."""
    decoded = CallbackData.decode(data)
    assert decoded is not None
    return place_value(decoded.value)


class AppClient:
    """A real Application fed real Update objects; the state is read from the database."""

    def __init__(self, bot: Harness) -> None:
        self.bot = bot

    async def send(self, text: str) -> None:
        await self.bot.feed(self.bot.sari.text(text))

    async def press(self, value: str) -> None:
        data = next((d for d in await self._data() if _value(d) == value), None)
        assert data is not None, (value, await self._data())
        await self.bot.feed(self.bot.sari.press(data))

    async def state(self) -> str:
        return (await self.bot.participant()).state

    async def buttons(self) -> list[str]:
        return [_value(d) for d in await self._data()]

    async def _data(self) -> list[str]:
        """The keyboard the participant sees last: sent, or edited in place (toggles)."""
        for method, params in reversed(self.bot.request.calls):
            if method in ("sendMessage", "editMessageText", "sendPhoto"):
                found = self.bot.buttons(params)
                if found:
                    return found
        return []


async def test_the_whole_module_through_a_real_application(db: Database) -> None:
    bot = Harness(db)
    bot.deliverer.pacer = fast()
    bot.pipeline.flood = FloodGuard(limit=10**6)  # a script types faster than any person
    async with bot.app:
        await walk(AppClient(bot))
    with transaction(db) as session:
        done = session.scalar(select(func.count()).select_from(Progress))
        answers = session.scalar(select(func.count()).select_from(Answer))
        kltb = session.scalar(
            select(func.count()).select_from(KltbEntry).where(KltbEntry.done_at.is_not(None))
        )
        planned = session.scalar(select(func.count()).select_from(PlannedTie))
        participant = (session.execute(select(Participant))).scalar_one()
    assert done == len(EXERCISES) + len(PRACTICE)  # the network work counts too
    assert answers is not None and answers >= len(EXERCISES)
    assert kltb == 4 and planned == 1
    assert participant.state == "menu.main" or participant.state.startswith("exercises.")
    for message in bot.request.sent():
        assert telegram_html_errors(message["text"]) == []


async def test_the_whole_module_through_jejaring_chat(tmp_path: Path) -> None:
    client = PureClient()
    await walk(client)
    script = "\n".join(client.script) + "\n"
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL")}
    env.update(PYTHONPATH=str(REPO))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli.main",
        "chat",
        "--user",
        "walker",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=tmp_path,
        env=env,
    )
    out, err = await asyncio.wait_for(process.communicate(script.encode()), 300)
    stdout, stderr = out.decode(), err.decode()
    assert process.returncode == 0, stderr[-2000:]
    db = Database.connect(f"sqlite:///{tmp_path / 'jejaring.sqlite3'}")
    with transaction(db) as session:
        done = session.scalar(select(func.count()).select_from(Progress))
    await db.dispose()
    assert done == len(EXERCISES) + len(PRACTICE), stdout[-3000:]
    assert "Semua latihan dan evaluasi sudah Anda jawab" in stdout


def test_the_walk_uses_only_offered_buttons() -> None:
    convo = Conversation()
    convo.send("/start")
    event = Event(EventKind.CHOICE, choice="not-offered", seq=convo.snap.seq)
    assert engine.handle(convo.snap, event).toast == "common.stale_button"
