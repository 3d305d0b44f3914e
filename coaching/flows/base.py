"""What a flow is, and the registry that routes states and commands to flows.

A flow owns the states whose names start with its key (``"onboarding.name"``). Its steps are
a ``StrEnum`` in :mod:`coaching.flows.states` whose values are those state names, so what is
stored and logged reads plainly. Every flow with steps is written one way: a
:class:`coaching.flows.steps.StepFlow` over a table of its steps' prompts and handlers.
A flow may also own commands (``/bahasa``): it then has ``commands`` and ``on_command``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from coaching.model import Event, Outcome, Reply, Snapshot


class Flow(Protocol):
    key: str

    @property
    def steps(self) -> type[StrEnum]:
        """The flow's states; their values are the stored state names."""
        ...

    def prompt(self, snap: Snapshot) -> tuple[Reply, ...]:
        """(Re-)ask whatever the participant's current step asks."""
        ...

    def handle(self, snap: Snapshot, event: Event) -> Outcome:
        """Take one event in one of this flow's states."""
        ...


class CommandFlow(Flow, Protocol):
    commands: tuple[str, ...]

    def on_command(self, snap: Snapshot, event: Event) -> Outcome:
        """Take one of this flow's commands, from any state."""
        ...


class ButtonFlow(Flow, Protocol):
    """Owns buttons that stay valid outside any step (e.g. a reminder's "do it now").

    Their values start with one of ``button_prefixes`` and they are sent with seq 0. The flow
    must validate the value (it may be forged) and make a repeated tap harmless.
    """

    button_prefixes: tuple[str, ...]

    def on_button(self, snap: Snapshot, event: Event) -> Outcome:
        """Take a press of one of this flow's stable buttons, from any state."""
        ...


class ModuleFlow(Flow, Protocol):
    """Guides one or more curriculum modules: the menu opens them here, not in the exercise list.

    ``opens`` names the modules (``coaching.curriculum`` keys); ``enter`` starts or resumes.
    """

    opens: tuple[str, ...]

    def enter(self, snap: Snapshot, module: str) -> Outcome:
        """Start (or resume) the guided walk through ``module``."""
        ...


@dataclass
class Registry:
    flows: dict[str, Flow] = field(default_factory=dict)
    commands: dict[str, CommandFlow] = field(default_factory=dict)
    buttons: dict[str, ButtonFlow] = field(default_factory=dict)
    modules: dict[str, ModuleFlow] = field(default_factory=dict)

    @classmethod
    def of(cls, flows: Iterable[Flow]) -> Registry:
        registry = cls()
        for flow in flows:
            if flow.key in registry.flows:
                raise ValueError(f"flow {flow.key!r} registered twice")
            registry.flows[flow.key] = flow
            for command in getattr(flow, "commands", ()):
                if command in registry.commands:
                    raise ValueError(f"command /{command} registered twice")
                registry.commands[command] = flow  # type: ignore[assignment]
            for prefix in getattr(flow, "button_prefixes", ()):
                if prefix in registry.buttons:
                    raise ValueError(f"button prefix {prefix!r} registered twice")
                registry.buttons[prefix] = flow  # type: ignore[assignment]
            for module in getattr(flow, "opens", ()):
                if module in registry.modules:
                    raise ValueError(f"module {module!r} opened by two flows")
                registry.modules[module] = flow  # type: ignore[assignment]
        return registry

    def button_flow(self, value: str) -> ButtonFlow | None:
        return self.buttons.get(value.split(":", 1)[0]) if ":" in value else None

    def for_state(self, state: str) -> Flow | None:
        return self.flows.get(state.split(".", 1)[0])
