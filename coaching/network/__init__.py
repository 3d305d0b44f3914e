"""A participant's map as plain data, the edits a conversation can make to it, and quick syntax.

The engine sees a map as a :class:`MapView` (loaded by storage), changes it only through
:class:`Op` values (which storage applies to the database), and keeps, for each change, the
ops that undo it. :meth:`MapView.apply` is the pure twin of storage's application: the engine
uses it to validate a change and to show the map as it will be once committed.
"""

from __future__ import annotations

from coaching.network.actorline import ActorLine, parse_actor_line
from coaching.network.data import (
    ACTOR_FIELDS,
    ACTOR_KINDS,
    ACTOR_NAME_MAX,
    FLOWS,
    HISTORY_MAX,
    IBARRA,
    RESOURCES,
    STRENGTH_WORDS,
    Actor,
    KltbView,
    MapCounts,
    PlannedTie,
    TieView,
)
from coaching.network.merge import merge_ops
from coaching.network.ops import (
    AddActor,
    AddTie,
    DeleteActor,
    DeleteTie,
    EditError,
    HistoryStep,
    Op,
    RenameActor,
    UpdateActor,
    UpdateTie,
    next_history,
    op_from_json,
    op_to_json,
    steps_of,
)
from coaching.network.quick import (
    TieLine,
    check_actor_name,
    ops_for_tie_lines,
    parse_tie_line,
    tie_lines,
)
from coaching.network.view import MapView, example_view

__all__ = [
    "ACTOR_FIELDS",
    "ACTOR_KINDS",
    "ACTOR_NAME_MAX",
    "FLOWS",
    "HISTORY_MAX",
    "IBARRA",
    "RESOURCES",
    "STRENGTH_WORDS",
    "Actor",
    "ActorLine",
    "AddActor",
    "AddTie",
    "DeleteActor",
    "DeleteTie",
    "EditError",
    "HistoryStep",
    "KltbView",
    "MapCounts",
    "MapView",
    "Op",
    "PlannedTie",
    "RenameActor",
    "TieLine",
    "TieView",
    "UpdateActor",
    "UpdateTie",
    "check_actor_name",
    "example_view",
    "merge_ops",
    "next_history",
    "op_from_json",
    "op_to_json",
    "ops_for_tie_lines",
    "parse_actor_line",
    "parse_tie_line",
    "steps_of",
    "tie_lines",
]
