"""Building the participant's network in chat, analysing it, and showing it (Bab III–IV).

Three ways in: guided (the module's name-generator questions of mapping step 2, then a
multi-select of who works with whom), quick syntax (``/tambah Budi``, ``/hubung Budi - Sari
kuat``, or plain lines like ``Budi -> Sari`` on the map's home), and a CSV edge list sent as a
document (previewed, then imported all-or-nothing as a new map). Every change keeps its undo.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from markupsafe import Markup

from coaching.analysis import GraphError, analyse
from coaching.analysis.csvio import CsvError, parse_csv
from coaching.analysis_text import analysis_reply, diff_reply, diff_text, error_text
from coaching.examples import example_keys
from coaching.flows import picker
from coaching.flows.common import go, new_personal_map, note, stay
from coaching.model import (
    ChangeMap,
    CreateMap,
    Event,
    EventKind,
    Option,
    Outcome,
    Reply,
    SaveAnalysis,
    SelectMap,
    Snapshot,
)
from coaching.network import (
    ACTOR_KINDS,
    FLOWS,
    IBARRA,
    RESOURCES,
    Actor,
    AddActor,
    AddTie,
    DeleteActor,
    DeleteTie,
    EditError,
    MapView,
    Op,
    RenameActor,
    check_actor_name,
    op_from_json,
    op_to_json,
    ops_for_tie_lines,
    tie_lines,
)
from coaching.validate import check_answer, normalise

CSV_MAX_BYTES = 1_048_576
# Maps one participant may keep (their own; the examples do not count). Every update of theirs
# loads them all, and on SQLite every other participant waits meanwhile (issue 18).
MAX_MAPS = 20
MAP_TITLE_MAX = 120
QUESTIONS = ("2a", "2b")  # the module's name generators: who helps; who holds resources


class Step(StrEnum):
    HOME = "network.home"
    NAME = "network.name"
    CONFIRM = "network.confirm"
    KIND = "network.kind"
    ROLE = "network.role"
    INSIDE = "network.inside"
    RESOURCES = "network.resources"
    NEEDS = "network.needs"
    IBARRA = "network.ibarra"
    EGO_TIE = "network.ego_tie"
    EGO_DIRECTION = "network.ego_direction"
    EGO_FLOWS = "network.ego_flows"
    PEERS = "network.peers"
    STRONG = "network.strong"
    MAPS = "network.maps"
    NEW_TITLE = "network.new_title"
    NEW_PURPOSE = "network.new_purpose"
    EDIT_PICK = "network.edit_pick"
    EDIT = "network.edit"
    RENAME = "network.rename"
    DELETE = "network.delete"
    IMPORT = "network.import"


HOME = Step.HOME


class Network:
    key = "network"
    steps = Step
    commands = ("peta", "analisis", "tambah", "hubung", "urungkan")

    # --- prompts ------------------------------------------------------------------------------

    def prompt(self, snap: Snapshot) -> tuple[Reply, ...]:
        step = Step(snap.state)
        view = snap.network
        data = snap.data
        if view is None:
            return (Reply("network.no_map", {}, ((Option("menu", "common.btn_menu"),),)),)
        if step is Step.HOME:
            return (_home(view),)
        if step is Step.NAME:
            question = str(data.get("q", "2a"))
            return (
                Reply(
                    "network.ask_name",
                    {"q": question, "purpose": view.purpose},
                    ((Option("done", "network.btn_done_adding"),),),
                ),
            )
        if step is Step.CONFIRM:
            return (
                Reply(
                    "network.confirm_near",
                    {"typed": data.get("typed", ""), "near": data.get("near", "")},
                    (
                        (Option("same", "network.btn_same", {"name": data.get("near", "")}),),
                        (Option("new", "network.btn_new_actor", {"name": data.get("typed", "")}),),
                    ),
                ),
            )
        name = str(dict(data.get("actor") or {}).get("name", ""))
        if step is Step.KIND:
            rows = tuple((Option(k, f"network.btn_kind_{k}"),) for k in ACTOR_KINDS)
            return (Reply("network.ask_kind", {"name": name}, rows),)
        if step is Step.ROLE:
            return (
                Reply("network.ask_role", {"name": name}, ((Option("skip", "network.btn_skip"),),)),
            )
        if step is Step.INSIDE:
            return (
                Reply(
                    "network.ask_inside",
                    {"name": name},
                    (
                        (Option("in", "network.btn_inside"), Option("out", "network.btn_outside")),
                        (Option("skip", "network.btn_skip"),),
                    ),
                ),
            )
        if step is Step.RESOURCES:
            chosen = set(dict(data.get("actor") or {}).get("resources") or ())
            rows = tuple(
                (Option(f"res:{r}", "network.btn_resource", {"resource": r, "on": r in chosen}),)
                for r in RESOURCES
            )
            return (
                Reply(
                    "network.ask_resources",
                    {"name": name},
                    (*rows, (Option("done", "network.btn_done"),)),
                    edit=bool(chosen),
                ),
            )
        if step is Step.NEEDS:
            return (
                Reply(
                    "network.ask_needs", {"name": name}, ((Option("skip", "network.btn_skip"),),)
                ),
            )
        if step is Step.IBARRA:
            rows = tuple((Option(t, f"network.btn_ibarra_{t}"),) for t in IBARRA)
            return (
                Reply(
                    "network.ask_ibarra",
                    {"name": name},
                    (*rows, (Option("skip", "network.btn_skip"),)),
                ),
            )
        if step is Step.EGO_TIE:
            return (
                Reply(
                    "network.ask_ego_tie",
                    {"name": name},
                    (
                        (
                            Option("strong", "network.btn_strong"),
                            Option("weak", "network.btn_weak"),
                        ),
                        (Option("none", "network.btn_no_direct_tie"),),
                    ),
                ),
            )
        if step is Step.EGO_DIRECTION:
            return (
                Reply(
                    "network.ask_ego_direction",
                    {"name": name},
                    (
                        (Option("both", "network.btn_two_way"),),
                        (Option("out", "network.btn_me_to", {"name": name}),),
                        (Option("in", "network.btn_to_me", {"name": name}),),
                    ),
                ),
            )
        if step is Step.EGO_FLOWS:
            chosen = set(data.get("flows") or ())
            rows = tuple(
                (Option(f"flow:{f}", "network.btn_flow", {"flow": f, "on": f in chosen}),)
                for f in FLOWS
            )
            return (
                Reply(
                    "network.ask_flows",
                    {"name": name},
                    (*rows, (Option("done", "network.btn_done"),)),
                    edit=bool(chosen),
                ),
            )
        if step is Step.PEERS:
            return (_peers_prompt(view, data),)
        if step is Step.STRONG:
            return (_strong_prompt(view, data),)
        if step is Step.MAPS:
            return (_maps_prompt(snap),)
        if step is Step.NEW_TITLE:
            return (Reply("network.ask_case_title", {}, ((Option("cancel", "common.btn_back"),),)),)
        if step is Step.NEW_PURPOSE:
            return (
                Reply(
                    "network.ask_purpose",
                    {"title": data.get("title", "")},
                    ((Option("skip", "network.btn_skip"),),),
                ),
            )
        if step is Step.EDIT_PICK:
            names = [a.name for a in view.others()]
            page = int(data.get("page", 0))
            picks: tuple[tuple[Option, ...], ...] = (
                *picker.pick_rows(names, page),
                (Option("back", "common.btn_back"),),
            )
            return (
                Reply("network.ask_edit_pick", {"count": len(names)}, picks, edit="page" in data),
            )
        if step is Step.EDIT:
            target = view.find(str(data.get("target", "")))
            if target is None:
                return ()
            return (
                Reply(
                    "network.edit_actor",
                    _actor_context(view, target),
                    (
                        (
                            Option("rename", "network.btn_rename"),
                            Option("connect", "network.btn_connect"),
                        ),
                        (Option("delete", "network.btn_delete"),),
                        (Option("back", "common.btn_back"),),
                    ),
                ),
            )
        if step is Step.RENAME:
            return (
                Reply(
                    "network.ask_rename",
                    {"name": data.get("target", "")},
                    ((Option("back", "common.btn_back"),),),
                ),
            )
        if step is Step.DELETE:
            target = view.find(str(data.get("target", "")))
            ties = len(view.neighbours(target.name)) if target else 0
            return (
                Reply(
                    "network.ask_delete",
                    {"name": data.get("target", ""), "ties": ties},
                    ((Option("yes", "network.btn_delete_yes"), Option("no", "common.btn_back")),),
                ),
            )
        preview = {k: v for k, v in dict(data.get("import") or {}).items() if k != "ops"}
        return (
            Reply(
                "network.import_preview",
                preview,
                ((Option("yes", "network.btn_import"), Option("no", "network.btn_cancel")),),
            ),
        )

    # --- commands from anywhere ---------------------------------------------------------------

    def on_command(self, snap: Snapshot, event: Event) -> Outcome:
        """``/peta`` shows the map; ``/analisis`` analyses it; ``/tambah``, ``/hubung`` add."""
        command = event.command
        if snap.network is None:
            return _enter(snap, command)
        if command == "peta":
            return go(HOME, _picture(snap.network, snap.locale))
        if command == "analisis":
            return _analyse(snap, snap.network)
        if command == "urungkan":
            return _undo(snap, snap.network)
        if command == "tambah":
            if not event.text.strip():
                return go(Step.NAME, data={"q": "2a"})
            return _add_named(snap, snap.network, event.text)
        if not event.text.strip():
            return go(HOME, note("network.hubung_usage"))
        return _quick_ties(snap, snap.network, event.text)

    # --- events in the flow's states ------------------------------------------------------------

    def handle(self, snap: Snapshot, event: Event) -> Outcome:
        view = snap.network
        if view is None:
            return go("menu.main")
        step = Step(snap.state)
        if event.kind is EventKind.DOCUMENT and step in (Step.HOME, Step.MAPS):
            return _document(snap, event)
        if event.kind in (EventKind.UNSUPPORTED, EventKind.DOCUMENT):
            return stay(snap, note("network.bad_media"))
        if event.choice == "menu":
            return go("menu.main")
        handler = getattr(self, f"_on_{step.name.lower()}")
        outcome: Outcome = handler(snap, view, event)
        return outcome

    def _on_home(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
        """Routes the home buttons; typed tie lines are added at once."""
        choice = event.choice
        if choice == "add":
            return _editable(view) or go(Step.NAME, data={"q": "2a"})
        if choice == "connect":
            return _editable(view) or _start_peers(view, None)
        if choice == "analyse":
            return _analyse(snap, view)
        if choice == "picture":
            return go(HOME, _picture(view, snap.locale))
        if choice == "edit":
            return _editable(view) or (
                go(Step.EDIT_PICK, data={}) if view.others() else stay(snap, note("network.empty"))
            )
        if choice == "undo":
            return _undo(snap, view)
        if choice == "maps":
            return go(Step.MAPS)
        if choice == "stage":
            return go("bab4.stage", data={"back": HOME})
        if event.kind is EventKind.TEXT:
            if view.read_only:
                return stay(snap, note("network.read_only"))
            if tie_lines(event.text) is not None:
                return _quick_ties(snap, view, event.text)
            return stay(snap, note("network.home_text_help"))
        return stay(snap, note("common.use_buttons"))

    def _on_name(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
        """Takes a stakeholder's name (a near miss asks "did you mean…?")."""
        if event.choice == "done":
            return go(_back_state(snap.data), data=_back_data(snap.data))
        if event.kind is not EventKind.TEXT:
            return stay(snap, note("network.bad_name_empty"), reprompt=False)
        return _add_named(snap, view, event.text, guided=True)

    def _on_confirm(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
        """The typed name was close to an existing actor: the same one, or a new one?"""
        typed, near = str(snap.data.get("typed", "")), str(snap.data.get("near", ""))
        guided = bool(snap.data.get("guided"))
        if event.choice == "same":
            if not guided:
                return go(HOME, note("network.already_there", name=near))
            return _start_peers(view, near, back=snap.data.get("back"))
        if event.choice == "new":
            return _new_actor(snap, view, typed, guided=guided)
        return stay(snap, note("common.use_buttons"))

    def _on_kind(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
        """Stores the kind (person, group, organisation) and asks for the role."""
        if event.choice not in ACTOR_KINDS:
            return stay(snap, note("common.use_buttons"))
        return _next_attribute(snap, Step.ROLE, kind=event.choice)

    def _on_role(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
        """Stores the agency/role and asks whether they are inside the organisation."""
        if event.choice == "skip":
            return _next_attribute(snap, Step.INSIDE)
        checked = check_answer(event.text) if event.kind is EventKind.TEXT else None
        if checked is None or checked.value is None or len(checked.value) > MAP_TITLE_MAX:
            return stay(snap, note("network.bad_role"), reprompt=False)
        return _next_attribute(snap, Step.INSIDE, role=normalise(checked.value))

    def _on_inside(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
        """Stores inside/outside and asks which resources they hold."""
        if event.choice not in ("in", "out", "skip"):
            return stay(snap, note("common.use_buttons"))
        inside = {"in": True, "out": False}.get(event.choice)
        return _next_attribute(snap, Step.RESOURCES, inside=inside)

    def _on_resources(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
        """Toggles resources (step 2b); "done" asks what they need."""
        actor = dict(snap.data.get("actor") or {})
        if event.choice == "done":
            return go(Step.NEEDS, data={**snap.data, "actor": actor})
        resource = event.choice.removeprefix("res:")
        if not event.choice.startswith("res:") or resource not in RESOURCES:
            return stay(snap, note("common.use_buttons"))
        chosen = list(actor.get("resources") or [])
        chosen = [r for r in chosen if r != resource] if resource in chosen else [*chosen, resource]
        actor["resources"] = [r for r in RESOURCES if r in chosen]
        return go(Step.RESOURCES, data={**snap.data, "actor": actor})

    def _on_needs(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
        """Stores what they need (step 2c) and asks the Ibarra & Hunter type."""
        if event.choice == "skip":
            return _next_attribute(snap, Step.IBARRA)
        checked = check_answer(event.text) if event.kind is EventKind.TEXT else None
        if checked is None or checked.value is None or len(checked.value) > 500:
            return stay(snap, note("network.bad_needs"), reprompt=False)
        return _next_attribute(snap, Step.IBARRA, needs=checked.value)

    def _on_ibarra(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
        """Stores the type and saves the actor; a personal map then asks about your tie."""
        if event.choice not in (*IBARRA, "skip"):
            return stay(snap, note("common.use_buttons"))
        actor = dict(snap.data.get("actor") or {})
        if event.choice != "skip":
            actor["ibarra"] = event.choice
        name = str(actor.pop("name"))
        ops: list[Op] = [AddActor(name, actor)]
        if view.ego is not None:
            ops.append(AddTie(view.ego.name, name))
        outcome = _change(snap, view, ops, note("network.actor_saved", name=name))
        after = Step.EGO_TIE if view.ego is not None else Step.PEERS
        data = {"actor": {"name": name}, "q": snap.data.get("q", "2a"), "target": name}
        return _with(outcome, after, {**data, **_keep_back(snap.data)})

    def _on_ego_tie(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
        """Stores how strong your tie is; asks its direction."""
        name = str(snap.data.get("target", ""))
        if event.choice == "none" and view.ego is not None:
            return _with(
                _change(snap, view, [DeleteTie(view.ego.name, name)]), Step.PEERS, dict(snap.data)
            )
        if event.choice not in ("strong", "weak"):
            return stay(snap, note("common.use_buttons"))
        return go(Step.EGO_DIRECTION, data={**snap.data, "strength": event.choice})

    def _on_ego_direction(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
        """Stores the tie's direction; asks what flows through it (Cross)."""
        if event.choice not in ("both", "out", "in") or view.ego is None:
            return stay(snap, note("common.use_buttons"))
        return go(Step.EGO_FLOWS, data={**snap.data, "direction": event.choice, "flows": []})

    def _on_ego_flows(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
        """Toggles what flows in your tie; "done" saves it and asks who else they work with."""
        chosen = list(snap.data.get("flows") or [])
        flow = event.choice.removeprefix("flow:")
        if event.choice.startswith("flow:") and flow in FLOWS:
            chosen = [f for f in chosen if f != flow] if flow in chosen else [*chosen, flow]
            return go(
                Step.EGO_FLOWS, data={**snap.data, "flows": [f for f in FLOWS if f in chosen]}
            )
        if event.choice != "done" or view.ego is None:
            return stay(snap, note("common.use_buttons"))
        name, strength = str(snap.data.get("target", "")), snap.data.get("strength")
        way = str(snap.data.get("direction", "both"))
        ego = view.ego.name
        a, b = (name, ego) if way == "in" else (ego, name)
        direction = "both" if way == "both" else "out"
        tie = AddTie(a, b, str(strength), direction, tuple(chosen))
        ops: list[Op] = [DeleteTie(ego, name), tie]
        data = {k: v for k, v in snap.data.items() if k not in ("flows", "direction")}
        return _with(_change(snap, view, ops), Step.PEERS, data)

    def _on_peers(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
        """Toggles who works with the actor (step 3); "done" asks which ties are strong."""
        names = _peer_names(view, str(snap.data.get("target", "")))
        selected = set(snap.data.get("picked") or [])
        page = int(snap.data.get("page", 0))
        if (turned := picker.turn(event.choice, page, len(names))) is not None:
            return go(Step.PEERS, data={**snap.data, "page": turned})
        if (index := picker.index_of(event.choice, "toggle", len(names))) is not None:
            selected ^= {index}
            return go(Step.PEERS, data={**snap.data, "picked": sorted(selected)})
        if event.choice == "done":
            if not selected:
                return _after_ties(snap, view, [])
            return go(Step.STRONG, data={**snap.data, "page": 0, "strong": []})
        return stay(snap, note("common.use_buttons"))

    def _on_strong(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
        """Toggles which new ties are strong; "done" saves the ties."""
        target = str(snap.data.get("target", ""))
        names = _peer_names(view, target)
        picked = [names[i] for i in snap.data.get("picked") or [] if i < len(names)]
        strong = set(snap.data.get("strong") or [])
        if (index := picker.index_of(event.choice, "toggle", len(picked))) is not None:
            strong ^= {index}
            return go(Step.STRONG, data={**snap.data, "strong": sorted(strong)})
        if event.choice != "done":
            return stay(snap, note("common.use_buttons"))
        ops: list[Op] = [
            AddTie(target, name, "strong" if i in strong else "weak")
            for i, name in enumerate(picked)
        ]
        return _after_ties(snap, view, ops)

    def _on_maps(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
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

    def _on_new_title(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
        """Takes the case (the problem, mapping step 1) and asks its purpose."""
        if event.choice == "cancel":
            return go(Step.MAPS)
        title = normalise(event.text) if event.kind is EventKind.TEXT else ""
        if not 3 <= len(title) <= MAP_TITLE_MAX or title.startswith("/"):
            return stay(snap, note("network.bad_title"), reprompt=False)
        return go(Step.NEW_PURPOSE, data={"title": title})

    def _on_new_purpose(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
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

    def _on_edit_pick(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
        """Chooses the actor to rename, connect or delete."""
        names = [a.name for a in view.others()]
        page = int(snap.data.get("page", 0))
        if event.choice == "back":
            return go(HOME)
        if (turned := picker.turn(event.choice, page, len(names))) is not None:
            return go(Step.EDIT_PICK, data={"page": turned})
        if (index := picker.index_of(event.choice, "pick", len(names))) is not None:
            return go(Step.EDIT, data={"target": names[index]})
        return stay(snap, note("common.use_buttons"))

    def _on_edit(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
        target = str(snap.data.get("target", ""))
        if event.choice == "rename":
            return go(Step.RENAME, data={"target": target})
        if event.choice == "delete":
            return go(Step.DELETE, data={"target": target})
        if event.choice == "connect":
            return _start_peers(view, target)
        if event.choice == "back":
            return go(Step.EDIT_PICK)
        return stay(snap, note("common.use_buttons"))

    def _on_rename(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
        """Renames the actor (ties follow)."""
        target = str(snap.data.get("target", ""))
        if event.choice == "back":
            return go(Step.EDIT, data={"target": target})
        name, problem = (
            check_actor_name(event.text)
            if event.kind is EventKind.TEXT
            else (None, "network.bad_name_empty")
        )
        if name is None:
            return stay(snap, note(problem or "network.bad_name_chars"), reprompt=False)
        return _change(
            snap,
            view,
            [RenameActor(target, name)],
            note("network.renamed", old=target, new=name),
            state=HOME,
        )

    def _on_delete(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
        """Deletes the actor and their ties, after a confirmation (undo restores both)."""
        target = str(snap.data.get("target", ""))
        if event.choice == "no":
            return go(Step.EDIT, data={"target": target})
        if event.choice != "yes":
            return stay(snap, note("common.use_buttons"))
        return _change(
            snap, view, [DeleteActor(target)], note("network.deleted", name=target), state=HOME
        )

    def _on_import(self, snap: Snapshot, view: MapView, event: Event) -> Outcome:
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


FLOW = Network()


# --- building blocks ---------------------------------------------------------------------------


def _enter(snap: Snapshot, command: str | None = None) -> Outcome:
    """The first visit: the participant's personal map is created with them in it."""
    replies = (note("network.personal_created"),)
    outcome = go(HOME, *replies, effects=(new_personal_map(snap),))
    if command in ("tambah", "hubung"):
        outcome = go(HOME, *replies, note("network.try_again"), effects=outcome.effects)
    return outcome


def enter(snap: Snapshot) -> Outcome:
    """The menu's way in: the map's home (created on the first visit)."""
    if snap.network is None:
        return _enter(snap)
    return go(HOME)


def _home(view: MapView) -> Reply:
    context = {
        "title": view.title,
        "kind": view.kind,
        "purpose": view.purpose,
        "actors": len(view.others()),
        "ties": len(view.ties),
        "example": view.example,
        "can_undo": bool(view.undo),
    }
    if view.read_only:
        rows: tuple[tuple[Option, ...], ...] = (
            (Option("analyse", "network.btn_analyse"), Option("picture", "network.btn_picture")),
            (Option("maps", "network.btn_maps"),),
            (Option("menu", "common.btn_menu"),),
        )
    else:
        rows = (
            (Option("add", "network.btn_add"), Option("connect", "network.btn_connect")),
            (Option("analyse", "network.btn_analyse"), Option("picture", "network.btn_picture")),
            (Option("edit", "network.btn_edit"), Option("maps", "network.btn_maps")),
            (Option("stage", "network.btn_stage"),),
        )
        if view.undo:
            rows += ((Option("undo", "network.btn_undo"),),)
        rows += ((Option("menu", "common.btn_menu"),),)
    return Reply("network.home", context, rows)


def _maps_prompt(snap: Snapshot) -> Reply:
    rows: list[tuple[Option, ...]] = []
    for view in snap.maps:
        current = snap.network is not None and snap.network.id == view.id
        rows.append(
            (
                Option(
                    f"map:{view.id}",
                    "network.btn_map",
                    {
                        "title": view.title,
                        "kind": view.kind,
                        "current": current,
                        "actors": len(view.others()),
                    },
                ),
            )
        )
    rows.append((Option("new", "network.btn_new_case"),))
    rows.extend(
        (Option(f"ex:{key}", "network.btn_example", {"key": key}),) for key in example_keys()
    )
    rows.append((Option("back", "common.btn_back"),))
    return Reply("network.maps", {"count": len(snap.maps)}, tuple(rows))


def _peer_names(view: MapView, target: str) -> list[str]:
    """Who the target could be tied to: everyone else not yet tied to them, by name."""
    tied = view.neighbours(target)
    target_actor = view.find(target)
    key = target_actor.key if target_actor else ""
    return [a.name for a in view.others() if a.key != key and a.key not in tied]


def _peers_prompt(view: MapView, data: Mapping[str, Any]) -> Reply:
    target = str(data.get("target", ""))
    names = _peer_names(view, target)
    selected = frozenset(int(i) for i in data.get("picked") or [])
    rows = picker.pick_rows(names, int(data.get("page", 0)), selected=selected)
    done = "network.btn_done" if names else "network.btn_continue"
    rows += ((Option("done", done, {"count": len(selected)}),),)
    return Reply(
        "network.ask_peers",
        {"name": target, "count": len(names)},
        rows,
        edit="picked" in data or "page" in data,
    )


def _strong_prompt(view: MapView, data: Mapping[str, Any]) -> Reply:
    target = str(data.get("target", ""))
    names = _peer_names(view, target)
    picked = [names[i] for i in data.get("picked") or [] if i < len(names)]
    strong = frozenset(int(i) for i in data.get("strong") or [])
    rows = picker.pick_rows(picked, 0, selected=strong)
    rows += ((Option("done", "network.btn_done", {"count": len(picked)}),),)
    return Reply("network.ask_strong", {"name": target}, rows, edit=bool(data.get("strong")))


def _start_peers(view: MapView, target: str | None, *, back: Any = None) -> Outcome:
    """Tie entry for one actor; without one, the first actor with the fewest ties."""
    if target is None:
        others = view.others()
        if len(others) < 2:
            return go(HOME, note("network.need_two"))
        target = min(others, key=lambda a: (len(view.neighbours(a.name)), a.key)).name
    extra = {"back": back} if back else {}
    if not _peer_names(view, target):
        return go(str(back or HOME), note("network.all_tied", name=target), data=_back_data(extra))
    return go(Step.PEERS, data={"target": target, "q": "2a", **extra})


def _after_ties(snap: Snapshot, view: MapView, ops: Sequence[Op]) -> Outcome:
    """Saves the new ties, then back to naming stakeholders (guided) or home."""
    guided = snap.data.get("actor") is not None
    replies = (
        (note("network.ties_saved", count=len(ops), name=snap.data.get("target", "")),)
        if ops
        else ()
    )
    state = Step.NAME if guided else _back_state(snap.data)
    data = (
        {"q": _next_question(snap.data), **_keep_back(snap.data)}
        if guided
        else _back_data(snap.data)
    )
    if not ops:
        return go(state, *replies, data=data)
    outcome = _change(snap, view, ops, *replies)
    return _with(outcome, state, data)


def _add_named(snap: Snapshot, view: MapView, text: str, *, guided: bool = False) -> Outcome:
    if view.read_only:
        return go(HOME, note("network.read_only"))
    name, problem = check_actor_name(text)
    if name is None:
        return stay(snap, note(problem or "network.bad_name_chars"), reprompt=False)
    existing = view.find(name)
    if existing is not None:
        return stay(snap, note("network.already_there", name=existing.name), reprompt=False)
    near = view.near(name)
    if near is not None:
        return go(
            Step.CONFIRM,
            data={
                "typed": name,
                "near": near.name,
                "guided": guided,
                "q": snap.data.get("q", "2a"),
                **_keep_back(snap.data),
            },
        )
    return _new_actor(snap, view, name, guided=guided)


def _new_actor(snap: Snapshot, view: MapView, name: str, *, guided: bool) -> Outcome:
    if guided:
        data = {"actor": {"name": name}, "q": snap.data.get("q", "2a"), **_keep_back(snap.data)}
        return go(Step.KIND, data=data)
    ops: list[Op] = [AddActor(name)]
    if view.ego is not None:
        ops.append(AddTie(view.ego.name, name))
    return _change(snap, view, ops, note("network.actor_quick_added", name=name), state=HOME)


def _keep_back(data: Mapping[str, Any]) -> dict[str, Any]:
    """A guided walk started elsewhere (Bab IV mapping) returns there when it ends."""
    back = data.get("back")
    return {"back": back, "back_data": data.get("back_data") or {}} if back else {}


def _back_state(data: Mapping[str, Any]) -> str:
    return str(data.get("back") or HOME)


def _back_data(data: Mapping[str, Any]) -> dict[str, Any]:
    return dict(data.get("back_data") or {}) if data.get("back") else {}


def _next_attribute(snap: Snapshot, step: Step, **values: Any) -> Outcome:
    actor = {**dict(snap.data.get("actor") or {}), **values}
    return go(step, data={**snap.data, "actor": actor})


def _next_question(data: Mapping[str, Any]) -> str:
    current = str(data.get("q", "2a"))
    return (
        QUESTIONS[(QUESTIONS.index(current) + 1) % len(QUESTIONS)] if current in QUESTIONS else "2a"
    )


def _quick_ties(snap: Snapshot, view: MapView, text: str) -> Outcome:
    """``Budi - Sari kuat`` / ``Budi -> Sari``: new actors are added, ties checked as a whole."""
    if view.read_only:
        return go(HOME, note("network.read_only"))
    lines = tie_lines(text)
    if lines is None:
        return go(HOME, note("network.hubung_usage"))
    try:
        ops = ops_for_tie_lines(view, lines)
    except EditError as error:
        return go(HOME, note(error.key, **error.context))
    added = [op.name for op in ops if isinstance(op, AddActor)]
    ties = sum(1 for line in lines)
    return _change(snap, view, ops, note("network.quick_saved", ties=ties, added=added), state=HOME)


def _change(
    snap: Snapshot, view: MapView, ops: Sequence[Op], *replies: Reply, state: str | None = None
) -> Outcome:
    """Validates ``ops`` on the map and stores them with their undo, or explains the refusal."""
    if view.read_only or view.id is None:
        return go(HOME, note("network.read_only"))
    try:
        _, undo = view.apply(ops)
    except EditError as error:
        return go(HOME, note(error.key, **error.context))
    effect = ChangeMap(view.id, tuple(ops), undo)
    return go(
        state or snap.state, *replies, data=snap.data if state is None else {}, effects=(effect,)
    )


def _with(outcome: Outcome, state: str, data: Mapping[str, Any]) -> Outcome:
    """Keep the outcome's effects and replies but continue at ``state``.

    A refused change (which went home with its explanation) is left as it is.
    """
    if not outcome.effects and outcome.state == HOME:
        return outcome
    return Outcome(state, dict(data), outcome.effects, outcome.replies)


def _undo(snap: Snapshot, view: MapView) -> Outcome:
    """Reverses the last change to this map (once)."""
    if view.read_only or view.id is None or not view.undo:
        return go(HOME, note("network.nothing_to_undo"))
    ops = tuple(op_from_json(op) for op in view.undo)
    try:
        view.apply(ops)
    except EditError:
        return go(HOME, note("network.nothing_to_undo"))
    return go(HOME, note("network.undone"), effects=(ChangeMap(view.id, ops, ()),))


def _analyse(snap: Snapshot, view: MapView) -> Outcome:
    """The module's five map questions answered from the data; stored as a dated snapshot."""
    if len(view.actors) < 2:
        return go(HOME, note("network.too_small"))
    try:
        result = analyse(view.graph())
    except GraphError as error:
        return go(
            HOME, Reply("network.html", {"html": Markup(error_text(error, locale=snap.locale))})
        )
    replies: list[Reply] = []
    if snap.last_analysis is not None:
        diff = diff_text(snap.last_analysis, result)
        if diff.changed:
            replies.append(
                Reply("network.html", {"html": Markup(diff_reply(diff, locale=snap.locale))})
            )
    replies.append(
        Reply("network.html", {"html": Markup(analysis_reply(result, locale=snap.locale))})
    )
    effects: tuple[SaveAnalysis, ...] = ()
    if view.id is not None:
        effects = (SaveAnalysis(view.id, result.to_json_dict(), result.stage.key),)
    return go(HOME, *replies, effects=effects)


def _picture(view: MapView, locale: str) -> Reply:
    attachment = view.picture(locale)
    caption = {
        "title": view.title,
        "kind": view.kind,
        "example": view.example,
        "actors": len(view.others()),
        "ties": len(view.ties),
    }
    return Reply("network.picture_caption", caption, attachment=attachment)


def _document(snap: Snapshot, event: Event) -> Outcome:
    """A CSV edge list: checked whole, previewed, imported only after a yes."""
    if len(snap.maps) >= MAX_MAPS:
        return stay(snap, note("network.too_many_maps", limit=MAX_MAPS))
    document = event.document
    if document is None or document.size > CSV_MAX_BYTES or not document.content:
        return stay(
            snap,
            note(
                "network.csv_too_large"
                if document and document.size > CSV_MAX_BYTES
                else "network.csv_unreadable"
            ),
        )
    try:
        edges = parse_csv(document.content)
    except CsvError as error:
        return stay(
            snap, Reply("network.html", {"html": Markup(error_text(error, locale=snap.locale))})
        )
    names: dict[str, str] = {}
    for tie in edges.ties:
        for name in (tie.source, tie.target):
            checked, _ = check_actor_name(name)
            names.setdefault(name, checked or name)
    ops: list[Op] = [AddActor(name[:80]) for name in dict.fromkeys(names)]
    ops += [AddTie(t.source, t.target, t.strength, t.direction) for t in edges.ties]
    try:
        MapView(None, "case", "import").apply(ops)
    except EditError as error:
        return stay(snap, note(error.key, **error.context))
    title = normalise(document.file_name.rsplit(".", 1)[0])[:MAP_TITLE_MAX] or "CSV"
    sample = [[t.source, t.target, t.strength or "", t.direction] for t in edges.ties[:5]]
    preview = {
        "title": title,
        "actors": len(names),
        "ties": len(edges.ties),
        "sample": sample,
        "ops": [op_to_json(op) for op in ops],
    }
    return go(Step.IMPORT, data={"import": preview})


def _editable(view: MapView) -> Outcome | None:
    return go(HOME, note("network.read_only")) if view.read_only else None


def _actor_context(view: MapView, actor: Actor) -> dict[str, Any]:
    names = {a.key: a.name for a in view.actors}
    return {
        "name": actor.name,
        "kind": actor.kind,
        "role": actor.role,
        "inside": actor.inside,
        "resources": list(actor.resources),
        "needs": actor.needs,
        "ibarra": actor.ibarra,
        "ties": sorted(names[key] for key in view.neighbours(actor.name) if key in names),
    }
