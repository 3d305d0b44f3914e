"""Building the participant's network in chat, analysing it, and showing it (Bab III–IV).

Three ways in: guided (the module's name-generator questions of mapping step 2, then a
multi-select of who works with whom), quick syntax (``/tambah Budi``, ``/hubung Budi - Sari
kuat``, or plain lines like ``Budi -> Sari`` on the map's home), and a CSV edge list sent as a
document (previewed, then imported all-or-nothing as a new map). Every change keeps its undo.

The flow is split along those seams: :mod:`.home`, :mod:`.guided` (with :mod:`.defaults`:
entry in a few taps), :mod:`.quick`, :mod:`.editing` and :mod:`.maps`, with :mod:`.naming`
(every typed name resolved); each holds its steps' prompts beside their handlers.
"""

from __future__ import annotations

from coaching.flows.common import go, note, stay
from coaching.flows.network import defaults, editing, guided, home, maps, naming, quick
from coaching.flows.network.shared import HOME, STEPS, Step
from coaching.flows.states import MenuStep
from coaching.flows.steps import StepFlow
from coaching.model import Event, EventKind, Option, Outcome, Reply, Snapshot

__all__ = ["FLOW", "defaults", "editing", "guided", "home", "maps", "naming", "quick"]


class Network(StepFlow):
    key = "network"
    maps = True
    table = STEPS
    commands = ("peta", "analisis", "tambah", "hubung", "urungkan")

    def guard_prompt(self, snap: Snapshot) -> tuple[Reply, ...] | None:
        if snap.network is None:
            return (Reply("network.no_map", {}, ((Option("menu", "common.btn_menu"),),)),)
        return None

    def guard(self, snap: Snapshot, event: Event) -> Outcome | None:
        """No map: home. A CSV on the map's home or list: an import. Other media: refused."""
        if snap.network is None:
            return go(MenuStep.MAIN)
        if event.kind is EventKind.DOCUMENT and Step(snap.state) in (Step.HOME, Step.MAPS):
            return maps.document(snap, event)
        if event.kind in (EventKind.UNSUPPORTED, EventKind.DOCUMENT):
            return stay(snap, note("network.bad_media"))
        if event.choice == "menu":
            return go(MenuStep.MAIN)
        return None

    def on_command(self, snap: Snapshot, event: Event) -> Outcome:
        """``/peta`` shows the map; ``/analisis`` analyses it; ``/tambah``, ``/hubung`` add."""
        if snap.network is None:  # the first visit: the map is made and the command applied
            return home.first_visit(snap, lambda fresh, _: self.on_command(fresh, event))
        command, view = event.command, snap.network
        if command == "peta":
            return go(HOME, home.picture(view, snap.locale))
        if command == "analisis":
            return home.analysis(snap, view)
        if command == "urungkan":
            return home.undo(snap, view)
        if command == "tambah":
            if not event.text.strip():
                return go(Step.NAME, data={"q": "2a"})
            return naming.add_named(snap, view, event.text)
        if not event.text.strip():
            return go(HOME, note("network.hubung_usage"))
        return quick.quick_ties(snap, view, event.text)


FLOW = Network()
