"""The participant's maps when the event's flows did not declare they read them.

Loading a participant's maps (their actors, ties, KLTB entries, planned ties, stages and the
active map's last analysis) costs about seven statements per update. The application loads
them only when the event's flows declare they read them (``engine.reads_maps``): the current
step's flow, or the flow whose command, stable button or navigation target the event is, with
``maps = True``, or a flow's ``reads_maps(snap, event)`` for its step and this event (the
menu's map, KLTB and plans buttons, a stakeholder line typed at the menu). Otherwise the
snapshot carries these placeholders, which raise :class:`MapsNotLoaded` when used: a step
that reads maps undeclared (a nudge's button resolving a plan) is then decided again with the
maps loaded, never on maps it did not see. The engine is pure, so deciding again changes
nothing but the time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from coaching.model import Snapshot
from coaching.network import MapView


class MapsNotLoaded(LookupError):
    """A step read the participant's maps, which were not loaded for this event."""


def _refuse(*_: Any) -> NoReturn:
    raise MapsNotLoaded("the participant's maps were not loaded for this event")


class _UnloadedMaps(tuple[MapView, ...]):
    """The list of maps, not loaded: iterating, counting or indexing it raises."""

    __slots__ = ()
    __iter__ = __len__ = __getitem__ = __contains__ = __bool__ = _refuse

    def __repr__(self) -> str:
        return "<maps not loaded>"


class _UnloadedMap(MapView):
    """The active map, not loaded: any of its fields raises (``is None`` cannot tell, but a
    step that finds a map goes on to read it)."""

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("__"):
            return object.__getattribute__(self, name)
        _refuse()

    def __repr__(self) -> str:
        return "<map not loaded>"


class _UnloadedAnalysis(Mapping[str, Any]):
    """The active map's last analysis, not loaded: reading it raises."""

    __getitem__ = __iter__ = __len__ = _refuse

    def __repr__(self) -> str:
        return "<analysis not loaded>"


MAPS: tuple[MapView, ...] = _UnloadedMaps()
NETWORK: MapView = object.__new__(_UnloadedMap)
ANALYSIS: Mapping[str, Any] = _UnloadedAnalysis()


def pending(snap: Snapshot) -> bool:
    """Whether the snapshot's maps are placeholders still to load."""
    return snap.maps is MAPS
