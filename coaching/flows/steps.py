"""One way to write a flow: a table of steps, each step's prompt beside its handler.

A flow's module makes one table for its steps (the enum in :mod:`coaching.flows.states`) and
registers each step's two functions with it, next to each other::

    STEPS = Steps(Step)

    @STEPS.prompt(Step.NAME)
    def ask_name(snap: Snapshot) -> tuple[Reply, ...]:
        return (Reply("onboarding.ask_name"),)

    @STEPS.handler(Step.NAME)
    def on_name(snap: Snapshot, event: Event) -> Outcome:
        ...

    class Onboarding(StepFlow):
        key = "onboarding"
        table = STEPS

    FLOW = Onboarding()

:class:`StepFlow` answers the engine's ``prompt`` and ``handle`` by looking the state up in the
table; making the flow checks that every step has both. What every step of a flow answers
alike (a sticker, the "menu" button, a map that is gone) goes in ``guard`` / ``guard_prompt``,
run before the step's own function.

A detour that comes back (``/bahasa`` from anywhere, Bab IV's mapping through the network
flow's steps) carries a :class:`Back` in its state data: ``Back.here(snap)`` (or
``Back(Bab4Step.TIES)``) when leaving, ``Back.of(snap.data)`` and ``back.go(...)`` to return.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar

from coaching.flows.common import go
from coaching.model import Effect, Event, Outcome, Reply, Snapshot

S = TypeVar("S", bound=StrEnum)
Prompt = Callable[[Snapshot], tuple[Reply, ...]]
Handler = Callable[[Snapshot, Event], Outcome]
P = TypeVar("P", bound=Prompt)
H = TypeVar("H", bound=Handler)


class Steps(Generic[S]):
    """A flow's steps: for each state, the function that asks and the one that takes the answer."""

    def __init__(self, steps: type[S]) -> None:
        self.steps = steps
        self._prompts: dict[str, Prompt] = {}
        self._handlers: dict[str, Handler] = {}

    def prompt(self, *steps: S) -> Callable[[P], P]:
        """Registers what the steps ask (one function may ask several steps: a lesson's pages)."""

        def register(fn: P) -> P:
            for step in steps:
                if step in self._prompts:
                    raise ValueError(f"{step} has two prompts")
                self._prompts[step] = fn
            return fn

        return register

    def handler(self, *steps: S) -> Callable[[H], H]:
        """Registers what takes an event in the steps."""

        def register(fn: H) -> H:
            for step in steps:
                if step in self._handlers:
                    raise ValueError(f"{step} has two handlers")
                self._handlers[step] = fn
            return fn

        return register

    def missing(self) -> list[str]:
        """Steps without a prompt or a handler (none, in a finished flow)."""
        return [
            f"{step.value} ({'prompt' if step not in self._prompts else 'handler'})"
            for step in self.steps
            if step not in self._prompts or step not in self._handlers
        ]

    def ask(self, snap: Snapshot) -> tuple[Reply, ...]:
        return self._prompts[self.steps(snap.state)](snap)

    def take(self, snap: Snapshot, event: Event) -> Outcome:
        return self._handlers[self.steps(snap.state)](snap, event)


class StepFlow:
    """A flow whose steps are a :class:`Steps` table (every flow with steps is one)."""

    key: str
    table: ClassVar[Steps[Any]]
    # The flow's steps read the participant's maps (``Snapshot.maps``, ``network``,
    # ``last_analysis``): they are loaded for its steps, commands and buttons
    # (``engine.reads_maps``, ``coaching/unloaded.py``). A flow whose steps read them only
    # sometimes says when in ``reads_maps(snap)`` instead.
    maps: ClassVar[bool] = False

    def __init__(self) -> None:
        if missing := self.table.missing():
            raise TypeError(f"flow {self.key!r}: {', '.join(missing)} missing")

    @property
    def steps(self) -> type[StrEnum]:
        return self.table.steps

    def guard_prompt(self, snap: Snapshot) -> tuple[Reply, ...] | None:
        """What every step asks instead, when the flow cannot ask its own (None: ask it)."""
        return None

    def guard(self, snap: Snapshot, event: Event) -> Outcome | None:
        """What every step answers alike, before its own handler (None: let the step take it)."""
        return None

    def prompt(self, snap: Snapshot) -> tuple[Reply, ...]:
        instead = self.guard_prompt(snap)
        return instead if instead is not None else self.table.ask(snap)

    def handle(self, snap: Snapshot, event: Event) -> Outcome:
        guarded = self.guard(snap, event)
        return guarded if guarded is not None else self.table.take(snap, event)


BACK = "back"
# Before 2026-12 the way back was two loose keys; stored conversations may still hold them.
_LEGACY = (("back", "back_data"), ("return_to", "return_data"))


@dataclass(frozen=True)
class Back:
    """Where a detour returns: a state and its data.

    Kept in the detour's state data under ``"back"`` as ``{"state": …, "data": …}``. The data
    may hold a ``Back`` of its own (``/bahasa`` during Bab IV's mapping step): a return stack.
    """

    state: str
    data: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @classmethod
    def here(cls, snap: Snapshot) -> Back:
        """Back to exactly where the participant is now."""
        return cls(str(snap.state), dict(snap.data))

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Back | None:
        """The way back kept in state data, if any (also as stored before 2026-12)."""
        raw = data.get(BACK)
        if isinstance(raw, Mapping):
            state, inner = raw.get("state"), raw.get("data")
            if isinstance(state, str) and state:
                return cls(state, dict(inner) if isinstance(inner, Mapping) else {})
            return None
        for state_key, data_key in _LEGACY:
            state, inner = data.get(state_key), data.get(data_key)
            if isinstance(state, str) and state:
                return cls(state, dict(inner) if isinstance(inner, Mapping) else {})
        return None

    def to_json(self) -> dict[str, Any]:
        return {"state": str(self.state), "data": dict(self.data)}

    def into(self, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``data`` carrying this way back."""
        return {**without_back(data or {}), BACK: self.to_json()}

    def go(self, *replies: Reply, effects: tuple[Effect, ...] = ()) -> Outcome:
        """Return: the state left, with its data as it was."""
        return go(self.state, *replies, data=self.data, effects=effects)


def without_back(data: Mapping[str, Any]) -> dict[str, Any]:
    """State data without its way back (in any of its stored shapes)."""
    dropped = {BACK, *(key for pair in _LEGACY for key in pair)}
    return {k: v for k, v in data.items() if k not in dropped}


def carry_back(data: Mapping[str, Any], into: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``into`` with the way back ``data`` holds, if any (a walk moving on keeps its return)."""
    back = Back.of(data)
    fresh = dict(into or {})
    return back.into(fresh) if back is not None else without_back(fresh)
