"""What the dashboard's pages and downloads show (web/app.py): a roster's rows and order, a
participant's page, and the files a cohort or participant can be downloaded as."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from coaching import text as chat_text
from coaching.cohort import Detail, Member, plan_line
from coaching.curriculum import EXERCISES, MODULES
from coaching.exports import graph_bytes, json_bytes
from coaching.model import KLTB_STEPS
from coaching.tables import TABLES, labelled_csv
from web.mapcache import MapCache, MapPage

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Labelled tables in the page's language (``;`` between cells in Indonesian), a workbook of
# them all, the graphs for Gephi as they were, and a participant's JSON and one-page PDF.
DOWNLOADS = {
    **{f"{kind}.csv": "text/csv; charset=utf-8" for kind in TABLES},
    "data.xlsx": XLSX,
    "network.graphml": "application/graphml+xml",
    "network.gexf": "application/gexf+xml",
    "cohort-network.graphml": "application/graphml+xml",
    "cohort-network.gexf": "application/gexf+xml",
    "data.json": "application/json",
    "journey.pdf": "application/pdf",
}
PARTICIPANT_ONLY = ("data.json", "journey.pdf")
COHORT_ONLY = ("cohort-network.graphml", "cohort-network.gexf")


async def download(
    name: str, people: list[dict[str, Any]], stem: str, locale: str, maps: MapCache
) -> Response:
    def build() -> bytes:
        kind, _, extension = name.partition(".")
        if extension == "csv":
            return labelled_csv(kind, people, locale)
        if extension in ("graphml", "gexf"):
            return graph_bytes(people, extension)
        return json_bytes(people[0] if len(people) == 1 else people)

    extension = name.rpartition(".")[2]
    if extension in ("xlsx", "pdf"):  # the drawing libraries: in the map worker's process
        body = await maps.document(extension, people, locale)
    else:
        body = await asyncio.to_thread(build)
    filename = f"{stem}-{name}"
    return Response(
        body,
        media_type=DOWNLOADS[name],
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def int_param(request: Request, key: str) -> int | None:
    """A query parameter that must be an id; anything else is ignored (as if not given)."""
    value = request.query_params.get(key, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 12 else None


def sort_key(sort: str) -> Callable[[Member], Any]:
    if sort == "progress":
        return lambda m: (m.done, m.name.casefold())
    if sort == "active":
        return lambda m: (m.last_active_at is not None, m.last_active_at or datetime.min, m.name)
    if sort == "attention":
        return lambda m: (not m.flagged, not m.idle, m.name.casefold())
    return lambda m: (m.name.casefold(), m.id)


def member_row(member: Member, now: datetime) -> dict[str, Any]:
    """The bot's roster line, with the date of last activity for the dashboard's table."""
    last = member.last_active_at
    chapters = [{"key": k, "done": d, "total": t} for k, d, t in member.chapters]
    return {
        **member.context(now),
        "date": last.date().isoformat() if last else None,
        "chapters": chapters,
    }


def participant_context(
    detail: Detail, locale: str, now: datetime, mapview: MapPage | None = None
) -> dict[str, Any]:
    """Everything the participant page shows; the map's drawing and analysis (HTML of our own
    autoescaped templates) come from :class:`web.mapcache.MapCache`."""
    by_module: dict[str, list[dict[str, Any]]] = {m.key: [] for m in MODULES}
    others: list[dict[str, Any]] = []
    for r in detail.reflections:
        exercise = EXERCISES.get(r.exercise)
        item = {
            "key": r.exercise,
            "label": Markup(chat_text.render(locale, "curriculum.exercise_label", key=r.exercise))
            if exercise
            else r.exercise,
            "question": Markup(chat_text.render(locale, exercise.text_key)) if exercise else "",
            "text": r.text,
            "date": r.updated_at.date().isoformat(),
            "id": r.id,
            "reviewed": r.reviewed_at is not None,
            "notes": [
                {"author": n.author, "text": n.text, "date": n.at.date().isoformat()}
                for n in r.notes
            ],
        }
        if not exercise:
            item["label"] = Markup(chat_text.render(locale, "feedback.title", key=r.exercise))
        (by_module[r.exercise.split(".")[0]] if exercise else others).append(item)
    modules = [
        {
            "key": key,
            "title": Markup(chat_text.render(locale, "curriculum.title", chapter=key)),
            "done": done,
            "total": total,
            "reflections": by_module.get(key, []),
        }
        for key, done, total in detail.modules
    ]
    kltb = [
        {
            "actor": line.actor,
            "reached": KLTB_STEPS.index(line.step) if line.step in KLTB_STEPS else -1,
            "notes": {step: note for step, note, _ in line.notes if note},
            # the next concrete action the participant planned, and its due date
            "next": next((a for _, _, a in reversed(line.notes) if a), None),
            "due": line.due.date().isoformat() if line.due else None,
        }
        for line in detail.kltb
    ]
    shown = detail.network_id
    history = [s for s in detail.stages if s.map_id == shown and shown is not None]
    return {
        "detail": detail,
        "member": member_row(detail.member, now),
        "modules": modules,
        "others": others,
        "mapview": dataclasses.replace(
            mapview, svg=Markup(mapview.svg) if mapview.svg is not None else None
        )
        if mapview is not None
        else None,
        "analysis": Markup(mapview.analysis) if mapview and mapview.analysis else None,
        "stages": [
            {"date": s.at.date().isoformat(), "title": s.map_title, "stage": s.stage, "id": s.id}
            for s in history
        ],
        "maps": [{**m.context(), "current": m.id == shown} for m in detail.maps],
        "change": detail.comparison.context() if detail.comparison is not None else None,
        "compared": [s.id for s in detail.compared] if detail.compared else None,
        "shown": shown,
        "kltb": kltb,
        "plans": [plan_line(p) for p in detail.plans],
        "steps": KLTB_STEPS,
        "downloads": [
            "journey.pdf",
            "data.xlsx",
            *(d for d in DOWNLOADS if d.endswith(".csv")),
            "network.graphml",
            "network.gexf",
            "data.json",
        ],
        "stage_name": lambda key: Markup(chat_text.render(locale, "analysis.stage_name", key=key)),
    }
