"""Quick lines: ``Budi - Sari kuat`` / ``Budi -> Sari`` typed on the map's home or after
``/hubung``; ``/tambah Budi`` goes through guided entry's naming (:func:`guided.add_named`)."""

from __future__ import annotations

from coaching.flows.common import go, note
from coaching.flows.network.shared import HOME, change
from coaching.model import Outcome, Snapshot
from coaching.network import AddActor, EditError, MapView, ops_for_tie_lines, tie_lines


def quick_ties(snap: Snapshot, view: MapView, text: str) -> Outcome:
    """New actors are added, the ties checked as a whole: all of them are stored, or none."""
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
    return change(
        snap, view, ops, note("network.quick_saved", ties=len(lines), added=added), state=HOME
    )
