"""Pictures drawn in the renderer process (``app/rendering.py``): the same bytes as drawn here,
a bot process that never imports matplotlib, and a child that dies, hangs or idles replaced."""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from app.rendering import Renderer, RenderError, RenderTimeout, Unrenderable
from coaching.exports import render_document
from coaching.pictures import render_attachment
from storage.outbox_records import Verdict
from tests.conftest import REPO
from tests.support import telegram_html_errors


def a_map(actors: int, seed: int = 1, locale: str = "id") -> dict[str, Any]:
    """A personal map's attachment: the participant tied to a few, the rest tied at random."""
    rng = random.Random(seed)
    names = ["Saya"] + [f"Mitra {i}" for i in range(1, actors)]
    ties = {("Saya", name) for name in names[1:8]}
    while len(ties) < actors + 2:
        a, b = sorted(rng.sample(names[1:], 2))
        ties.add((a, b))
    return {
        "type": "map",
        "actors": names,
        "ties": [[a, b, rng.choice(("strong", "weak", None)), "both"] for a, b in sorted(ties)],
        "ego": "Saya",
        "locale": locale,
    }


SCORES = {"type": "scores", "locale": "en", "scores": {"vision": 4, "trust": 2}, "weak": ["trust"]}


def state(pid: int) -> str | None:
    """The process's state letter (``Z``: dead, not yet reaped), ``None`` once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture(scope="module")
def renderer() -> Iterator[Renderer]:
    """One renderer shared by the tests that do not need a fresh one (a start takes ~1 s)."""
    shared = Renderer(idle_exit=600)
    yield shared
    shared.close()


def test_the_child_draws_the_same_bytes_as_this_process(renderer: Renderer) -> None:
    for attachment in (a_map(10), a_map(12, seed=2, locale="en"), SCORES):
        assert renderer.draw(attachment) == render_attachment(attachment)
    assert renderer.pid not in (None, os.getpid())


async def test_pictures_asked_for_together_queue_for_one_child(renderer: Renderer) -> None:
    renderer.draw(SCORES)
    child = renderer.pid
    attachments = [a_map(10, seed=seed) for seed in range(4)]
    pngs = await asyncio.gather(*(renderer.render(a) for a in attachments))
    assert pngs == [render_attachment(a) for a in attachments]
    assert renderer.pid == child


def test_an_error_in_the_drawing_comes_back_as_itself(renderer: Renderer) -> None:
    renderer.draw(SCORES)
    child = renderer.pid
    with pytest.raises(ValueError, match="unknown attachment type") as raised:
        renderer.draw({"type": "sketch"})
    assert any("renderer process" in note for note in raised.value.__notes__)
    assert renderer.pid == child  # a bad attachment is no reason to start again


async def test_documents_are_made_here_without_a_child() -> None:
    fresh = Renderer()
    document = {"type": "document", "format": "json", "data": {"name": "Sari"}}
    assert await fresh.render(document) == render_document(document)
    assert fresh.pid is None


def test_a_child_killed_while_idle_is_replaced(renderer: Renderer) -> None:
    renderer.draw(SCORES)
    child = renderer.pid
    assert child is not None
    os.kill(child, signal.SIGKILL)  # as the OOM killer would
    assert wait_for(lambda: renderer.pid is None)  # dead, every thread of it
    assert renderer.draw(SCORES) == render_attachment(SCORES)
    assert renderer.pid not in (None, child)


def test_a_child_killed_while_drawing_fails_that_picture_only(renderer: Renderer) -> None:
    renderer.draw(SCORES)
    child = renderer.pid
    assert child is not None
    idle = cpu_ticks(child)
    with ThreadPoolExecutor(1) as pool:
        drawing = pool.submit(renderer.draw, a_map(2000))  # about a second of work
        assert wait_for(lambda: cpu_ticks(child) >= idle + 3)  # it is drawing
        os.kill(child, signal.SIGKILL)
        with pytest.raises(RenderError, match="died") as raised:
            drawing.result(30)
    assert not isinstance(raised.value, RenderTimeout)
    assert state(child) is None  # reaped
    assert renderer.draw(SCORES) == render_attachment(SCORES)
    assert renderer.pid not in (None, child)


def test_a_drawing_over_the_timeout_raises_and_the_child_is_replaced(renderer: Renderer) -> None:
    renderer.draw(SCORES)
    child = renderer.pid
    assert child is not None
    renderer.timeout = 0.001  # no map is drawn that fast
    try:
        with pytest.raises(RenderTimeout):
            renderer.draw(a_map(10))
    finally:
        renderer.timeout = 30.0
    assert renderer.pid is None and state(child) is None  # killed and reaped
    assert renderer.draw(SCORES) == render_attachment(SCORES)
    assert renderer.pid not in (None, child)


def test_the_child_exits_when_idle_and_comes_back_for_the_next_picture(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The two events the test is about, stamped where they happen (not where a loaded machine
    # lets the test notice them): the idle timer armed after a drawing, and the timer firing.
    armed: list[float] = []
    fired: list[float] = []

    class Stamped(threading.Timer):
        def start(self) -> None:
            armed.append(time.monotonic())
            super().start()

    monkeypatch.setattr(threading, "Timer", Stamped)
    idler = Renderer(idle_exit=0.3)
    exit_if_idle = idler._exit_if_idle

    def stamped_exit(generation: int) -> None:
        fired.append(time.monotonic())
        exit_if_idle(generation)

    monkeypatch.setattr(idler, "_exit_if_idle", stamped_exit)
    try:
        idler.draw(SCORES)
        child = idler.pid
        assert child is not None
        assert wait_for(lambda: idler.pid is None and state(child) is None)
        drawn, exited = armed[-1], fired[-1]
        # Not before its time: a timer never fires early, however busy the machine is.
        assert exited - drawn >= idler.idle_exit
        idler.idle_exit = 3600.0  # the next child stays until we have looked at it
        assert idler.draw(SCORES) == render_attachment(SCORES)
        assert idler.pid not in (None, child)
    finally:
        idler.close()


BOT_PROCESS = """
import asyncio, json, sys
import bot.app, bot.webhook, cli.chat, cli.main, service.run, web.app
from app.rendering import _RENDERER, draw
png = asyncio.run(draw(json.loads(sys.argv[1])))
print(json.dumps({
    "png": png[:8] == b"\\x89PNG\\r\\n\\x1a\\n",
    "renderer": _RENDERER.pid,
    "imported": sorted(m for m in ("matplotlib", "alembic", "PIL") if m in sys.modules),
}), flush=True)
sys.stdin.read()  # until the test kills us
"""


def test_the_bot_process_never_imports_matplotlib_and_its_renderer_never_outlives_it() -> None:
    bot = subprocess.Popen(
        [sys.executable, "-c", BOT_PROCESS, json.dumps(a_map(10))],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert bot.stdout is not None
        report = json.loads(bot.stdout.readline())
        assert report["png"] and report["imported"] == []
        child = report["renderer"]
        assert state(child) not in ("Z", None)
    finally:
        bot.kill()  # no atexit, no goodbye: only the socket closing tells the child
        bot.communicate(timeout=10)
    assert wait_for(lambda: state(child) in ("Z", None))  # Z: gone, for pid 1 to reap


async def test_a_picture_that_failed_goes_back_to_the_outbox(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import bot.sender
    import cli.chat

    async def died(_attachment: Any) -> bytes:
        raise RenderError("died")

    payload = {"text": "Peta", "attachment": a_map(10)}
    monkeypatch.setattr("app.rendering.draw", died)
    for sender in (
        bot.sender.TelegramSender(None),  # type: ignore[arg-type]
        cli.chat.TerminalSender(io.StringIO()),
    ):
        result = await sender.send(1, payload)
        assert (result.verdict, result.error) == (Verdict.RETRY, "died")


async def test_a_picture_that_cannot_be_drawn_is_sent_as_its_text_with_a_note(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import bot.sender
    import cli.chat

    async def slow(_attachment: Any) -> bytes:
        raise RenderTimeout("no picture after 30 s")

    payload = {
        "text": "<b>Peta</b> jejaring Anda",
        "attachment": {**a_map(10), "locale": "en"},
        "buttons": [[{"label": "Menu", "value": "menu"}]],
        "seq": 4,
    }
    telegram = PhotoBot()
    monkeypatch.setattr("app.rendering.draw", slow)
    result = await bot.sender.TelegramSender(telegram).send(1, payload)  # type: ignore[arg-type]
    assert result.verdict is Verdict.DELIVERED and telegram.photos == []
    [(text, options)] = telegram.messages
    assert text.startswith("<b>Peta</b> jejaring Anda\n\n") and "could not be drawn" in text
    assert telegram_html_errors(text) == []
    assert options["reply_markup"] is not None  # the buttons stay

    out = io.StringIO()
    result = await cli.chat.TerminalSender(out).send(-5, payload)
    assert result.verdict is Verdict.DELIVERED
    assert "Peta jejaring Anda" in out.getvalue() and "could not be drawn" in out.getvalue()
    assert "[1] Menu" in out.getvalue()


def test_a_picture_that_keeps_killing_the_renderer_is_given_up(
    renderer: Renderer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.rendering.DEATHS_LIMIT", 1)
    renderer.draw(SCORES)
    child = renderer.pid
    assert child is not None
    poison = a_map(2000, seed=9)  # not a map an earlier test killed a renderer over
    idle = cpu_ticks(child)
    with ThreadPoolExecutor(1) as pool:
        drawing = pool.submit(renderer.draw, poison)
        assert wait_for(lambda: cpu_ticks(child) >= idle + 3)  # it is drawing
        os.kill(child, signal.SIGKILL)  # as a crash in the drawing code would
        with pytest.raises(RenderError) as raised:
            drawing.result(30)
    assert not isinstance(raised.value, Unrenderable)  # once may be bad luck: retried
    with pytest.raises(Unrenderable, match="died 1 times"):
        renderer.draw(poison)
    assert renderer.pid is None  # not even started for it
    assert renderer.draw(SCORES) == render_attachment(SCORES)  # other pictures still drawn


class PhotoBot:
    """Just enough of PTB's ``Bot`` for a photo: what was sent."""

    def __init__(self) -> None:
        self.photos: list[bytes] = []
        self.messages: list[tuple[str, dict[str, Any]]] = []

    async def send_photo(self, chat_id: int, photo: Any, **_: Any) -> None:
        self.photos.append(photo.input_file_content)

    async def send_message(self, chat_id: int, text: str, **options: Any) -> None:
        self.messages.append((text, options))


async def test_the_bot_sends_the_picture_the_renderer_process_drew() -> None:
    import bot.sender

    telegram = PhotoBot()
    attachment = a_map(10, seed=5)
    sender = bot.sender.TelegramSender(telegram)  # type: ignore[arg-type]
    result = await sender.send(1, {"text": "Peta", "attachment": attachment})
    assert result.verdict is Verdict.DELIVERED
    assert telegram.photos == [render_attachment(attachment)]
