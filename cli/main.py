"""The ``jejaring`` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    # Opt in to PTB's timedelta-valued RetryAfter now (22.x warns otherwise).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    # Analysis runs in worker threads, maps are drawn in the renderer process (which inherits
    # this); a multi-threaded BLAS in either only fights the event loop for two cores
    # (measured: render 150 actors 230 → 450 ms).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "analyze":
        from cli.analyze import main as analyze  # type: ignore[import-not-found,unused-ignore]

        return int(analyze(args[1:]))
    parser = _parser()
    options = parser.parse_args(args)
    logging.basicConfig(
        level=os.environ.get(
            "LOG_LEVEL", "INFO" if options.command in ("run", "reminders") else "WARNING"
        ),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    command = options.command or "start"
    if command == "start":
        command = "run" if os.environ.get("TELEGRAM_BOT_TOKEN") else "chat"
        if command == "chat":
            print("TELEGRAM_BOT_TOKEN is not set: coaching in this terminal.\n", file=sys.stderr)
    if command == "run":
        from service.run import run_service, serve
        from service.settings import Settings

        run_service(serve(Settings.from_env()))
        return 0
    if command == "chat":
        return asyncio.run(_chat(getattr(options, "user", None)))
    if command == "reminders":
        from service.run import run_service, serve_reminders
        from service.settings import Settings

        if not os.environ.get("TELEGRAM_BOT_TOKEN"):
            print("TELEGRAM_BOT_TOKEN is not set: nudges go out through Telegram.", file=sys.stderr)
            return 2
        run_service(serve_reminders(Settings.from_env()))
        return 0
    if command in ("cohort", "export", "dashboard"):
        from cli.cohort import run

        return run(options)
    if command == "dead-letters":
        from cli.deadletters import run as dead_letters

        return dead_letters(options)
    if command == "db":
        from storage.db import run_upgrade

        run_upgrade()
        print("database is up to date")
        return 0
    parser.print_help()
    return 2


async def _chat(user: str | None) -> int:
    from cli.chat import chat
    from storage.db import Database

    db = Database.connect()
    try:
        await chat(db, user=user)
    except KeyboardInterrupt:
        pass
    finally:
        await db.dispose()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jejaring", description="Jejaring Coach: coaching for the Jejaring Kerja module."
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("start", help="the bot if TELEGRAM_BOT_TOKEN is set, else `chat`")
    commands.add_parser("run", help="run the Telegram bot (polling, or webhook if WEBHOOK_URL)")
    chat = commands.add_parser("chat", help="coach in this terminal (same database)")
    chat.add_argument("--user", help="whose conversation (default: your login name)")
    db = commands.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"], help="apply pending migrations")
    commands.add_parser("reminders", help="only the reminder dispatcher (also part of `run`)")
    commands.add_parser("analyze", help="analyse an edge-list CSV (see `jejaring analyze -h`)")
    from cli.cohort import add_parsers
    from cli.deadletters import add_parsers as add_dead_letters

    add_parsers(commands)
    add_dead_letters(commands)
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
