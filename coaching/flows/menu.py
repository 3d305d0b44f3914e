"""The main menu: each module with a progress bar, and "what next"."""

from __future__ import annotations

from enum import StrEnum

from coaching.curriculum import (
    MODULES_BY_KEY,
    next_exercise,
    overall_progress,
    progress_rows,
)
from coaching.flows import network, plans
from coaching.flows.common import go, note, stay
from coaching.model import Event, Option, Outcome, Reply, Snapshot


class Step(StrEnum):
    MAIN = "menu.main"


class Menu:
    key = "menu"
    steps = Step
    commands = ("menu",)

    def prompt(self, snap: Snapshot) -> tuple[Reply, ...]:
        modules = [{"key": k, "done": d, "total": t} for k, d, t in progress_rows(snap.completed)]
        done, total = overall_progress(snap.completed)
        upcoming = next_exercise(snap.completed)
        rows: tuple[tuple[Option, ...], ...] = tuple(  # the network work opens from "net"
            (Option(f"m:{m['key']}", "menu.btn_module", dict(m)),)
            for m in modules
            if m["key"] in MODULES_BY_KEY
        )
        rows = ((Option("net", "menu.btn_network"), Option("kltb", "menu.btn_kltb")), *rows)
        if plans.has_plans(snap):
            rows = (*rows, (Option("plans", "plans.btn_open"),))
        if upcoming is not None:
            rows = ((Option("next", "menu.btn_next"),), *rows)
        rows = (*rows, (Option("miniapp", "network.btn_miniapp", web_app="/app"),))  # last
        context = {
            "name": snap.profile.name or "",
            "modules": modules,
            "done": done,
            "total": total,
            "next": upcoming.key if upcoming else None,
        }
        return (Reply("menu.main", context, rows),)

    def on_command(self, snap: Snapshot, event: Event) -> Outcome:
        """Shows the menu from anywhere, leaving any unfinished step."""
        return go(Step.MAIN)

    def handle(self, snap: Snapshot, event: Event) -> Outcome:
        """Opens the chosen module, the network map, or the next unfinished exercise."""
        if event.choice == "net":
            return network.enter(snap)
        if event.choice == "kltb":
            return go("kltb.pick")
        if event.choice == "plans":
            return go(plans.Step.LIST)
        if event.choice == "next" and (upcoming := next_exercise(snap.completed)):
            module = upcoming.key.split(".", 1)[0]
            return go("exercises.answer", data={"module": module, "exercise": upcoming.key})
        module_key = event.choice.removeprefix("m:")
        if event.choice.startswith("m:") and module_key in MODULES_BY_KEY:
            from coaching.flows import REGISTRY  # the registry imports this module

            guide = REGISTRY.modules.get(module_key)
            if guide is not None:
                return guide.enter(snap, module_key)
            return go("exercises.list", data={"module": module_key})
        return stay(snap, note("common.use_buttons"))


FLOW = Menu()
