"""The edits a conversation can make to a map (:data:`Op`), as JSON for storage, and the undo/redo
history."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coaching.network.data import HISTORY_MAX, _jsonable


@dataclass(frozen=True)
class AddActor:
    name: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    is_ego: bool = False


@dataclass(frozen=True)
class UpdateActor:
    key: str
    attributes: Mapping[str, Any]


@dataclass(frozen=True)
class RenameActor:
    key: str
    name: str


@dataclass(frozen=True)
class DeleteActor:
    key: str


@dataclass(frozen=True)
class AddTie:
    a: str  # actor names or keys; matched by key
    b: str
    strength: str | None = None
    direction: str = "both"
    flows: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeleteTie:
    a: str
    b: str


@dataclass(frozen=True)
class UpdateTie:
    """The tie between ``a`` and ``b`` now has these attributes; "out" runs from ``a`` to ``b``."""

    a: str
    b: str
    strength: str | None = None
    direction: str = "both"
    flows: tuple[str, ...] = ()


Op = AddActor | UpdateActor | RenameActor | DeleteActor | AddTie | DeleteTie | UpdateTie
_OPS: dict[str, type[Op]] = {
    "add_actor": AddActor,
    "update_actor": UpdateActor,
    "rename_actor": RenameActor,
    "delete_actor": DeleteActor,
    "add_tie": AddTie,
    "delete_tie": DeleteTie,
    "update_tie": UpdateTie,
}
_NAMES = {cls: name for name, cls in _OPS.items()}


class EditError(ValueError):
    """A change the map cannot take; ``key`` is the message that explains it."""

    def __init__(self, key: str, **context: Any) -> None:
        super().__init__(key)
        self.key = key
        self.context = context


def op_to_json(op: Op) -> dict[str, Any]:
    body = {k: _jsonable(v) for k, v in dataclasses.asdict(op).items()}
    return {"op": _NAMES[type(op)], **body}


def op_from_json(data: Mapping[str, Any]) -> Op:
    values = dict(data)
    cls = _OPS[str(values.pop("op"))]
    if cls in (AddTie, UpdateTie) and "flows" in values:
        values["flows"] = tuple(values["flows"])
    return cls(**values)


HistoryStep = tuple[Mapping[str, Any], ...]  # one change's ops as JSON (an undo or a redo step)


def next_history(
    undo: Sequence[HistoryStep], redo: Sequence[HistoryStep], how: str, step: HistoryStep
) -> tuple[tuple[HistoryStep, ...], tuple[HistoryStep, ...]]:
    """The map's history after a change: one definition for the engine and for storage.

    ``how`` is "do" (a new change; ``step`` undoes it; the redo steps are gone), "undo" (the
    last undo step was applied; ``step`` re-does it) or "redo" (the last redo step was
    applied; ``step`` undoes it again). At most :data:`HISTORY_MAX` steps are kept each way.
    """
    undo, redo = tuple(undo), tuple(redo)
    if how == "undo":
        return undo[:-1], (*redo, step)[-HISTORY_MAX:]
    if how == "redo":
        return (*undo, step)[-HISTORY_MAX:], redo[:-1]
    if not step:  # a change without ops (the purpose, the title) leaves the history alone
        return undo, redo
    return (*undo, step)[-HISTORY_MAX:], ()


def steps_of(data: Any) -> tuple[HistoryStep, ...]:
    """Stored steps (a list of lists of op dicts) as the view's tuples."""
    return tuple(tuple(dict(op) for op in step) for step in data or ())
