"""The participant's maps: switching between them and the examples, a new case map (mapping
step 1), and a CSV edge list sent as a document (previewed, then imported as a new map)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from coaching.address import form
from coaching.analysis.csvio import CsvError, parse_csv
from coaching.analysis_text import error_text
from coaching.examples import example_keys
from coaching.flows.common import go, note, stay
from coaching.flows.network.shared import HOME, MAP_TITLE_MAX, ON_MAP, Step
from coaching.model import (
    CreateMap,
    Document,
    Event,
    EventKind,
    Option,
    Outcome,
    Reply,
    SelectMap,
    Snapshot,
)
from coaching.names import clean_name, match_key, resolve
from coaching.network import (
    AddActor,
    AddTie,
    EditError,
    MapView,
    Op,
    op_from_json,
    op_to_json,
)
from coaching.validate import check_answer

CSV_MAX_BYTES = 1_048_576
# Maps one participant may keep (their own; the examples do not count). Every update of theirs
# loads them all, and on SQLite every other participant waits meanwhile (issue 18).
MAX_MAPS = 20


@ON_MAP.prompt(Step.MAPS)
def ask_maps(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    rows: list[tuple[Option, ...]] = []
    for each in snap.maps:
        current = snap.network is not None and snap.network.id == each.id
        rows.append(
            (
                Option(
                    f"map:{each.id}",
                    "network.btn_map",
                    {
                        "title": each.title,
                        "kind": each.kind,
                        "current": current,
                        "actors": each.counts().actors,
                    },
                ),
            )
        )
    rows.append((Option("new", "network.btn_new_case"),))
    rows.extend(
        (Option(f"ex:{key}", "network.btn_example", {"key": key}),) for key in example_keys()
    )
    rows.append((Option("back", "common.btn_back"),))
    return (Reply("network.maps", {"count": len(snap.maps)}, tuple(rows)),)


@ON_MAP.handler(Step.MAPS)
def on_maps(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Opens one of the participant's maps, a bundled example, or starts a case map."""
    choice = event.choice
    if choice == "back":
        return go(HOME)
    if choice == "new":
        if len(snap.maps) >= MAX_MAPS:
            return stay(snap, note("network.too_many_maps", limit=MAX_MAPS))
        return go(Step.NEW_TITLE)
    if choice.startswith("map:") and any(str(m.id) == choice[4:] for m in snap.maps):
        return go(HOME, effects=(SelectMap(choice[4:]),))
    if choice.startswith("ex:") and choice[3:] in example_keys():
        return go(
            HOME, note("network.example_opened"), effects=(SelectMap(f"example:{choice[3:]}"),)
        )
    return stay(snap, note("common.use_buttons"))


@ON_MAP.prompt(Step.NEW_TITLE)
def ask_new_title(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    return (Reply("network.ask_case_title", {}, ((Option("cancel", "common.btn_back"),),)),)


@ON_MAP.handler(Step.NEW_TITLE)
def on_new_title(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Takes the case (the problem, mapping step 1) and asks its purpose."""
    if event.choice == "cancel":
        return go(Step.MAPS)
    title = (
        clean_name(event.text, limit=MAP_TITLE_MAX).value if event.kind is EventKind.TEXT else None
    )
    if title is None or len(title) < 3:
        return stay(snap, note("network.bad_title"), reprompt=False)
    return go(Step.NEW_PURPOSE, data={"title": title})


@ON_MAP.prompt(Step.NEW_PURPOSE)
def ask_new_purpose(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    return (
        Reply(
            "network.ask_purpose",
            {"title": snap.data.get("title", "")},
            ((Option("skip", "network.btn_skip"),),),
        ),
    )


@ON_MAP.handler(Step.NEW_PURPOSE)
def on_new_purpose(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Stores the purpose and creates the case map."""
    title = str(snap.data.get("title", ""))
    purpose: str | None = None
    if event.choice != "skip":
        checked = check_answer(event.text) if event.kind is EventKind.TEXT else None
        if checked is None or checked.value is None or len(checked.value) > 1000:
            return stay(snap, note("network.bad_purpose"), reprompt=False)
        purpose = checked.value
    return go(
        HOME,
        note("network.case_created", title=title),
        effects=(CreateMap("case", title, purpose),),
    )


@dataclass(frozen=True)
class ImportPlan:
    """A CSV worked out from its bytes alone: the preview to show, or why it cannot be used."""

    preview: dict[str, Any] | None = None
    csv_error: CsvError | None = None
    problem: str | None = None  # a template key (the edit the import would be refused)
    context: dict[str, Any] = field(default_factory=dict)


def plan_import(sent: Document) -> ImportPlan:
    """Parse, check every name and tie, and build the preview with its ops: seconds of pure
    work for 5,000 rows, which ``prepare`` does before the event reaches the database thread."""
    try:
        edges = parse_csv(sent.content)
    except CsvError as error:
        return ImportPlan(csv_error=error)
    # parse_csv has put every name through the one validation (and merged "Budi"/"budi");
    # the chat's resolver then merges what it would call the same actor ("dr nia", "dr. Nia").
    spelling, merged = _one_spelling_each(edges.actors)
    names = list(dict.fromkeys(spelling.values()))
    ops: list[Op] = [AddActor(name) for name in names]
    ties: dict[frozenset[str], AddTie] = {}
    for t in edges.ties:
        a, b = spelling[t.source], spelling[t.target]
        if a != b:  # a row joining two spellings of one actor says nothing about a tie
            ties.setdefault(frozenset((a, b)), AddTie(a, b, t.strength, t.direction))
    ops += ties.values()
    try:
        MapView(None, "case", "import").apply(ops)
    except EditError as error:
        return ImportPlan(problem=error.key, context=dict(error.context))
    title = (
        clean_name(sent.file_name.rsplit(".", 1)[0][:MAP_TITLE_MAX], limit=MAP_TITLE_MAX).value
        or "CSV"
    )
    sample = [[t.a, t.b, t.strength or "", t.direction] for t in list(ties.values())[:5]]
    preview = {
        "title": title,
        "actors": len(names),
        "ties": len(ties),
        "sample": sample,
        "merged": merged[:_MERGED_SHOWN],
        "merged_more": max(0, len(merged) - _MERGED_SHOWN),
        "repeated": [list(r) for r in edges.repeated[:_MERGED_SHOWN]],
        "repeated_count": len(edges.repeated),
        "ops": [op_to_json(op) for op in ops],
    }
    return ImportPlan(preview=preview)


_MERGED_SHOWN = 5


def _one_spelling_each(actors: tuple[str, ...]) -> tuple[dict[str, str], list[list[str]]]:
    """Each name of the file mapped to the spelling its actor keeps (the first met), as the
    chat's resolver matches names (titles, punctuation, a trailing "(Unit)"); the merges made.

    Only names sharing a match key are compared, so a 5,000-row file costs one resolve each.
    """
    kept: dict[str, list[str]] = {}  # match key -> the spellings kept under it
    spelling: dict[str, str] = {}
    merged: list[list[str]] = []
    for name in actors:
        group = kept.setdefault(match_key(name), [])
        found = resolve(name, group) if group else None
        if found is not None and found.kind == "same" and found.name is not None:
            spelling[name] = found.name
            merged.append([name, found.name])
        else:
            group.append(name)
            spelling[name] = name
    return spelling, merged


def prepare(event: Event) -> Event:
    """The event with its document's import plan worked out (see ``engine.prepare``)."""
    sent = event.document
    if sent is None or sent.plan is not None or not sent.content or sent.size > CSV_MAX_BYTES:
        return event
    return dataclasses.replace(event, document=dataclasses.replace(sent, plan=plan_import(sent)))


def document(snap: Snapshot, event: Event) -> Outcome:
    """A CSV edge list: checked whole, previewed, imported only after a yes."""
    if len(snap.maps) >= MAX_MAPS:
        return stay(snap, note("network.too_many_maps", limit=MAX_MAPS))
    sent = event.document
    if sent is not None and sent.download_failed:
        return stay(snap, note("network.csv_download_failed"))
    if sent is None or sent.size > CSV_MAX_BYTES or not sent.content:
        return stay(
            snap,
            note(
                "network.csv_too_large"
                if sent and sent.size > CSV_MAX_BYTES
                else "network.csv_unreadable"
            ),
        )
    plan = sent.plan if isinstance(sent.plan, ImportPlan) else plan_import(sent)
    if plan.csv_error is not None:
        html = Markup(error_text(plan.csv_error, locale=snap.locale, you=form(snap)))
        return stay(snap, Reply("network.html", {"html": html}))
    if plan.problem is not None or plan.preview is None:
        return stay(snap, note(plan.problem or "network.csv_unreadable", **plan.context))
    return go(Step.IMPORT, data={"import": plan.preview})


@ON_MAP.prompt(Step.IMPORT)
def ask_import(snap: Snapshot, view: MapView) -> tuple[Reply, ...]:
    preview = {k: v for k, v in dict(snap.data.get("import") or {}).items() if k != "ops"}
    return (
        Reply(
            "network.import_preview",
            preview,
            ((Option("yes", "network.btn_import"), Option("no", "network.btn_cancel")),),
        ),
    )


@ON_MAP.handler(Step.IMPORT)
def on_import(snap: Snapshot, view: MapView, event: Event) -> Outcome:
    """Imports the previewed CSV as a new case map, or drops it."""
    if event.choice == "no":
        return go(HOME, note("network.import_cancelled"))
    if event.choice != "yes":
        return stay(snap, note("common.use_buttons"))
    pending = dict(snap.data.get("import") or {})
    ops = tuple(op_from_json(op) for op in pending.get("ops") or ())
    title = str(pending.get("title", "CSV"))
    return go(
        HOME,
        note(
            "network.imported",
            title=title,
            actors=pending.get("actors", 0),
            ties=pending.get("ties", 0),
        ),
        effects=(CreateMap("case", title, None, ops, source=title),),
    )
