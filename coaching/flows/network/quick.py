"""Quick lines: ``Budi - Sari kuat`` / ``Budi -> Sari`` typed on the map's home or after
``/hubung``. Their names are resolved by :mod:`.naming` (questions first, then the lines
applied once); ``/tambah Budi`` is :func:`.naming.add_named`."""

from __future__ import annotations

from coaching.flows.common import go, note
from coaching.flows.network.naming import resolve_lines
from coaching.flows.network.shared import HOME
from coaching.model import Outcome, Snapshot
from coaching.network import MapView, tie_lines


def quick_ties(snap: Snapshot, view: MapView, text: str) -> Outcome:
    """The ties of the lines, checked as a whole: all of them are stored, or none."""
    if view.read_only:
        return go(HOME, note("network.read_only"))
    lines = tie_lines(text)
    if lines is None:
        return go(HOME, note("network.hubung_usage"))
    return resolve_lines(snap, view, lines)
