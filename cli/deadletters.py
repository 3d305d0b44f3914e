"""``jejaring dead-letters list|retry``: what was set aside after a deterministic failure.

An update that could not be stored (a value the database refused, a bug in the engine) and a
message that could not be sent whole (Telegram refused it, its picture could not be drawn) are
kept in ``dead_letters`` (see ``storage/deadletters.py``). Once the cause is fixed — a new
release, a bigger column — ``retry`` handles the update again from what was kept (no
Telegram needed: a document's bytes are kept too), or queues the message again. The replies
go out through the outbox of the bot that is running (``jejaring run``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from typing import TextIO

from sqlalchemy.orm import Session

from app.conversations import Identity, handle_event
from storage import deadletters, outbox_queue
from storage.db import Database
from storage.models import DeadLetter


def add_parsers(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    letters = commands.add_parser(
        "dead-letters", help="updates and messages set aside after a deterministic failure"
    )
    actions = letters.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="what is set aside, oldest first")
    listing.add_argument("--all", action="store_true", help="also those already retried")
    retry = actions.add_parser("retry", help="handle an update again, or queue a message again")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", type=int, help="a dead letter's id (see list)")
    which.add_argument("--all", action="store_true", help="every one still set aside")


def run(options: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    return asyncio.run(_run(options, out, err))


async def _run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    db = Database.connect()
    try:
        await db.upgrade()
        if options.action == "list":
            for letter in await deadletters.listing(db, include_resolved=options.all):
                out.write(line(letter) + "\n")
            return 0
        if options.all:
            chosen = await deadletters.listing(db)
        else:
            found = await deadletters.get(db, options.id)
            if found is None:
                err.write(f"no dead letter {options.id}\n")
                return 2
            chosen = [found]
        failed = 0
        for letter in chosen:
            outcome = await retry(db, letter)
            failed += outcome != "done"
            out.write(f"#{letter.id}\t{outcome}\n")
        return 1 if failed else 0
    finally:
        await db.dispose()


def line(letter: DeadLetter) -> str:
    """One dead letter on one line: id, when, what, whose, how often, why."""
    when = letter.failed_at.strftime("%Y-%m-%d %H:%M:%S")
    what = (
        f"update {letter.update_id}" if letter.kind == "update" else f"message {letter.outbox_id}"
    )
    status = f"retried {letter.resolved_at:%Y-%m-%d %H:%M}" if letter.resolved_at else "open"
    error = " ".join(letter.error.split())
    error = error if len(error) <= 160 else error[:159] + "…"
    return (
        f"#{letter.id}\t{when}\t{what}\tchat {letter.chat_id}\t"
        f"participant {letter.participant_id or '-'}\t{letter.attempts}x\t{status}\t"
        f"{letter.error_class}: {error}"
    )


async def retry(db: Database, letter: DeadLetter) -> str:
    """Try once more: "done", "failed again: …", or "already retried"."""
    if letter.resolved_at is not None:
        return "already retried"
    now = datetime.now(UTC)
    if letter.kind == "message":

        def requeue(session: Session) -> None:
            payload = dict(letter.payload)
            outbox_queue.enqueue(
                session, letter.participant_id, letter.channel, letter.chat_id, [payload], now
            )
            deadletters.resolve(session, letter.id, now)

        await db.run(requeue)
        return "done"
    who = Identity(**letter.payload["identity"])
    event = deadletters.event_from_json(letter.payload["event"])
    # No update id: Telegram's is recorded as handled already (that is what let the bot move
    # on); the dead letter, resolved in the same commit, is what keeps this from running twice.
    handled = await handle_event(db, who, event, now=now, retrying=letter.id)
    if not handled.failed:
        return "done"
    again = await deadletters.get(db, letter.id)
    return f"failed again: {again.error_class if again else '?'}"
