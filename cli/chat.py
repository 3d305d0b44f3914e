"""``jejaring chat``: the same coaching conversation in a terminal, on the same database.

Each message's buttons are shown numbered; typing a number taps that button of the last message
with buttons, as a tap on Telegram would (typing the button's text chooses it too). Works
interactively and with piped input, so a whole conversation can be scripted::

    printf '/start\\n1\\n1\\nSari Dewi\\n...' | jejaring chat
"""

from __future__ import annotations

import asyncio
import getpass
import sys
import zlib
from pathlib import Path
from typing import Any, TextIO

from app.conversations import Identity, handle_event, known, pending_prompt
from app.rendering import RenderError, draw, picture_and_text
from coaching.model import Event, EventKind
from coaching.text import html_to_plain
from storage.db import Database
from storage.outbox import Deliverer
from storage.outbox_pacing import ChatPacer
from storage.outbox_records import SendResult, Verdict

PROMPT = "› "


class TerminalSender:
    channel = "terminal"

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.pictures = 0
        self.buttons: list[tuple[str, int]] = []  # the last message's buttons: (value, seq)

    async def send(self, chat_id: int, payload: dict[str, Any]) -> SendResult:
        try:
            return await self._write(payload)
        except RenderError as exc:  # the renderer died: a fresh one may draw it
            return SendResult(Verdict.RETRY, None, str(exc))

    async def _write(self, payload: dict[str, Any]) -> SendResult:
        lines = [html_to_plain(payload["text"])]
        problem: str | None = None
        attachment = payload.get("attachment") or {}
        if attachment.get("type") == "document":
            data = await draw(attachment)
            name = Path(str(attachment.get("filename") or "jejaring.dat")).name  # no paths
            path = Path.cwd() / name
            path.write_bytes(data)
            lines.append(f"[{path}]")
        elif attachment:
            png, text, problem = await picture_and_text(payload)
            lines = [html_to_plain(text)]
            if png is not None:
                self.pictures += 1
                path = Path.cwd() / f"peta-jejaring-{self.pictures}.png"
                path.write_bytes(png)
                lines.append(f"[{path}]")
        number = 0
        buttons: list[tuple[str, int]] = []
        for row in payload.get("buttons") or []:
            for button in row:
                if button.get("web_app"):
                    continue  # the Mini App opens only inside Telegram (always the last row)
                number += 1
                lines.append(f"  [{number}] {button['label']}")
                buttons.append((str(button["value"]), int(payload.get("seq") or 0)))
        if buttons:
            self.buttons = buttons
        self.out.write("\n".join(lines) + "\n\n")
        self.out.flush()
        return SendResult(Verdict.DELIVERED, problem=problem)


def terminal_identity(user: str) -> Identity:
    # Negative ids never collide with Telegram's private chats, which are positive.
    chat_id = -(zlib.crc32(user.encode()) or 1)
    return Identity(f"term:{user}"[:64], "terminal", chat_id)


async def chat(
    db: Database,
    *,
    user: str | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> None:
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    who = terminal_identity(user or _default_user())
    sender = TerminalSender(stdout)
    deliverer = Deliverer(db, sender, worker="terminal", pacer=ChatPacer(rate=1e9, burst=10**9))
    interactive = stdin.isatty()
    await db.upgrade()
    if await known(db, who.external_id):
        await pending_prompt(db, who)  # resume exactly where they left off
    else:
        await handle_event(db, who, Event.of_text("/start"))
    await deliverer.flush(who.chat_id)
    while True:
        line = await _read_line(stdin, interactive, stdout)
        if line is None:
            break
        if not line.strip():
            continue
        await handle_event(db, who, typed(line, sender.buttons))
        await deliverer.flush(who.chat_id)


async def _read_line(stdin: TextIO, interactive: bool, stdout: TextIO) -> str | None:
    if interactive:
        try:
            return await asyncio.to_thread(input, PROMPT)
        except EOFError:
            return None
    line = await asyncio.to_thread(stdin.readline)
    if not line:
        return None
    stdout.write(f"{PROMPT}{line.rstrip()}\n")  # a readable transcript of a scripted chat
    return line.rstrip("\n")


def typed(line: str, buttons: list[tuple[str, int]]) -> Event:
    """A typed line: a number shown beside a button taps it; anything else is typed text."""
    number = line.strip()
    if number.isascii() and number.isdecimal() and 1 <= int(number) <= len(buttons):
        value, seq = buttons[int(number) - 1]
        return Event(EventKind.CHOICE, choice=value, seq=seq)
    return Event.of_text(line)


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"
