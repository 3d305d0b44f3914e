"""``jejaring analyze FILE.csv [--ego NAME] [--json] [--lang id|en]``: analyse an edge list.

The text form is the bot's own reply (Telegram HTML turned into plain text); ``--json`` prints
one object in the stable contract of ``ANALYSIS.md``. A file that cannot be read or used exits
with code 2 and a message saying what to fix.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from coaching.analysis import GraphError, analyse
from coaching.analysis.csvio import load_csv
from coaching.analysis_text import analysis_reply, error_text
from coaching.text import LOCALES, html_to_plain, normalise_locale, render

__all__ = ["main"]


def main(argv: list[str]) -> int:
    """Run the command with ``argv`` (the arguments after ``analyze``); return the exit code."""
    parser = _parser()
    try:
        options = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its message
        return int(exc.code or 0)
    locale = normalise_locale(options.lang)
    try:
        graph = load_csv(options.file)
        analysis = analyse(graph, ego=options.ego)
    except GraphError as exc:
        print(html_to_plain(error_text(exc, locale=locale)), file=sys.stderr)
        return 2
    except OSError as exc:
        message = render(locale, "csv.file_unreadable", path=options.file, reason=exc.strerror)
        print(html_to_plain(message), file=sys.stderr)
        return 2
    if options.json:
        print(json.dumps(analysis.to_json_dict(), ensure_ascii=False, sort_keys=False))
    else:
        print(html_to_plain(analysis_reply(analysis, locale=locale)))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jejaring analyze",
        description="Analyse a network map given as an edge-list CSV "
        "(columns source,target[,strength][,direction]).",
    )
    parser.add_argument("file", metavar="FILE.csv", help="edge list, UTF-8, comma or semicolon")
    parser.add_argument("--ego", metavar="NAME", help="the participant, for a personal map")
    parser.add_argument("--json", action="store_true", help="print the analysis as JSON")
    parser.add_argument(
        "--lang",
        choices=LOCALES,
        default=normalise_locale(os.environ.get("JEJARING_DEFAULT_LANG")),
        help="language of the text reply (default: JEJARING_DEFAULT_LANG or id)",
    )
    return parser
