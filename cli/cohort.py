"""Operators' commands for coaches: ``cohort create|invite|list``, ``export``, ``dashboard``."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from coaching.cohort import COHORT_NAME_MAX
from coaching.exports import CSV_KINDS, csv_bytes, graph_bytes, json_bytes
from storage import coach_views, cohorts, exports
from storage.db import Database

NAME_PROBLEMS = {
    "empty": "the cohort name is empty",
    "too_long": f"the cohort name is longer than {COHORT_NAME_MAX} characters",
    "control": "the cohort name contains control characters (type it again as plain text)",
    "names.no_letters": "the cohort name needs at least one letter or digit",
    "names.command": "the cohort name cannot start with /",
    "names.formula": "the cohort name cannot start with = + - or @ (a spreadsheet formula)",
    "names.chars": (
        "the cohort name may hold only letters, digits, spaces and ordinary punctuation "
        "(. , - / : & ( ) ' \"); use plain words, e.g. PKA Angkatan XII Kemenkeu & BPK"
    ),
}
FORMATS = ("csv", "graphml", "gexf", "json")


def add_parsers(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cohort = commands.add_parser("cohort", help="cohorts and coach invitations")
    actions = cohort.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="a new cohort: prints its join and coach links")
    create.add_argument("name", help="the cohort's name, e.g. 'PKA Angkatan 12'")
    create.add_argument("--join-days", type=int, help="close the join link after N days")
    create.add_argument(
        "--coach-days", type=int, default=cohorts.COACH_INVITE_DAYS, help="coach link validity"
    )
    invite = actions.add_parser("invite", help="one more single-use coach link for a cohort")
    invite.add_argument("cohort_id", type=int)
    invite.add_argument("--days", type=int, default=cohorts.COACH_INVITE_DAYS)
    actions.add_parser("list", help="every cohort with its join link and counts")
    remove = actions.add_parser(
        "remove-coach", help="remove a coach (every cohort); their participant data is theirs"
    )
    remove.add_argument("telegram_user_id", type=int, help="the coach's Telegram user id")
    export = commands.add_parser("export", help="export a cohort's or a participant's data")
    who = export.add_mutually_exclusive_group(required=True)
    who.add_argument("--cohort", type=int, help="cohort id (maps merged, actors prefixed)")
    who.add_argument("--participant", type=int, help="participant id")
    export.add_argument("--format", choices=FORMATS, default="csv")
    export.add_argument("--out", default=".", help="directory to write into (default: here)")
    commands.add_parser("dashboard", help="only the coach dashboard (PORT, PUBLIC_URL)")


def run(options: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    if options.command == "dashboard":
        return asyncio.run(_dashboard(err))
    if options.command == "export":
        files = asyncio.run(_export(options, err))
        if files is None:
            return 2
        folder = Path(options.out)
        folder.mkdir(parents=True, exist_ok=True)
        for name, body in files.items():
            (folder / name).write_bytes(body)
            out.write(f"{folder / name}\n")
        return 0
    return asyncio.run(_cohort(options, out, err))


async def bot_username(env: dict[str, str] | None = None) -> str | None:
    """``TELEGRAM_BOT_USERNAME``, else the Bot API's getMe with ``TELEGRAM_BOT_TOKEN``."""
    env = dict(os.environ if env is None else env)
    if env.get("TELEGRAM_BOT_USERNAME"):
        return env["TELEGRAM_BOT_USERNAME"].lstrip("@")
    token = env.get("TELEGRAM_BOT_TOKEN")
    if not token:
        return None
    from telegram import Bot

    from service.settings import Settings

    settings = Settings.from_env(env)
    async with Bot(token, base_url=settings.api_base_url) as bot:
        return bot.username


async def _cohort(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    now = datetime.now(UTC)
    db = Database.connect()
    try:
        await db.upgrade()
        if options.action == "list":
            rows = await cohorts.all_cohorts(db)
            name = await bot_username() if rows else None
            for cohort_id, title, code, members, coaches in rows:
                link = cohorts.deep_link(name, f"join_{code}") if name else f"join_{code}"
                out.write(f"{cohort_id}\t{title}\t{members} participants\t{coaches} coaches\t")
                out.write(f"{link}\n")
            return 0
        if options.action == "remove-coach":
            removed = await cohorts.remove_coach(db, options.telegram_user_id)
            if removed is None:
                err.write(f"Telegram user {options.telegram_user_id} is no coach.\n")
                return 2
            out.write(f"Coach removed from {removed} cohort(s): dashboard logins ended.\n")
            return 0
        username = await bot_username()
        if username is None:
            err.write("Set TELEGRAM_BOT_USERNAME (or TELEGRAM_BOT_TOKEN) to print the links.\n")
            return 2
        if options.action == "invite":
            try:
                token, expires = await cohorts.invite_coach(
                    db, options.cohort_id, now=now, days=options.days
                )
            except LookupError:
                err.write(f"There is no cohort {options.cohort_id} (see `jejaring cohort list`).\n")
                return 2
            out.write(f"Coach link (single use, until {expires:%Y-%m-%d %H:%M} UTC):\n")
            out.write(cohorts.deep_link(username, f"coach_{token}") + "\n")
            return 0
        try:
            created = await cohorts.create_cohort(
                db,
                options.name,
                now=now,
                join_days=options.join_days,
                coach_days=options.coach_days,
            )
        except cohorts.CohortNameError as error:
            problem = NAME_PROBLEMS.get(error.problem, NAME_PROBLEMS["names.chars"])
            err.write(f"Not created: {problem}.\n")
            return 2
        out.write(f"Cohort {created.id} created: {created.name}\n")
        until = (
            f"until {created.join_expires_at:%Y-%m-%d %H:%M} UTC"
            if created.join_expires_at
            else "no end date"
        )
        out.write(f"Participants join with ({until}):\n")
        out.write(cohorts.deep_link(username, f"join_{created.join_code}") + "\n")
        out.write(
            f"Coach link (single use, until {created.coach_expires_at:%Y-%m-%d %H:%M} UTC; "
            f"more with `jejaring cohort invite {created.id}`):\n"
        )
        out.write(cohorts.deep_link(username, f"coach_{created.coach_token}") + "\n")
        return 0
    finally:
        await db.dispose()


async def _export(options: argparse.Namespace, err: TextIO) -> dict[str, bytes] | None:
    """The files to write (name → bytes), or None after saying what is wrong."""
    now = datetime.now(UTC)
    db = Database.connect()
    try:
        await db.upgrade()
        if options.cohort is not None:
            try:
                _, people = await exports.cohort_export(db, None, options.cohort, now)
            except coach_views.Forbidden:
                err.write(f"There is no cohort {options.cohort}.\n")
                return None
            stem = f"kohort-{options.cohort}"
        else:
            try:
                people = await exports.operator_participant_export(db, options.participant, now)
            except LookupError:
                err.write(f"There is no participant {options.participant}.\n")
                return None
            stem = f"peserta-{options.participant}"
    finally:
        await db.dispose()
    files: dict[str, bytes] = {}
    if options.format == "csv":
        files = {f"{stem}-{kind}.csv": csv_bytes(kind, people) for kind in CSV_KINDS}
    elif options.format == "json":
        files = {f"{stem}.json": json_bytes(people[0] if len(people) == 1 else people)}
    else:
        files = {f"{stem}.{options.format}": graph_bytes(people, options.format)}
    return files


async def _dashboard(err: TextIO) -> int:
    from service.run import serve_dashboard
    from service.settings import Settings

    return await serve_dashboard(Settings.from_env(), err)
