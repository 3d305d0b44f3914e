"""The module's structure as data: chapters (menu modules) and their exercises.

Keys are stable: they are stored with every answer, named in reminders and exports, and used
by coaches' tools. Rename nothing; add new keys instead. Text for each key lives in
``templates/<locale>/curriculum.j2``: ``title(chapter)``, ``short(chapter)``, and one macro per
exercise named like its key with ``_`` for the dot.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exercise:
    key: str  # e.g. "bab2.latihan1"
    kind: str  # "latihan" | "evaluasi"

    @property
    def number(self) -> int:
        return int(self.key.removeprefix(self.key.rstrip("0123456789")))

    @property
    def text_key(self) -> str:
        return "curriculum." + self.key.replace(".", "_")


@dataclass(frozen=True)
class Module:
    key: str
    exercises: tuple[Exercise, ...]

    @property
    def item_keys(self) -> tuple[str, ...]:
        return tuple(exercise.key for exercise in self.exercises)


def _module(key: str, latihan: int, evaluasi: int) -> Module:
    return Module(
        key,
        tuple(Exercise(f"{key}.latihan{i}", "latihan") for i in range(1, latihan + 1))
        + tuple(Exercise(f"{key}.evaluasi{i}", "evaluasi") for i in range(1, evaluasi + 1)),
    )


# In the module's order. Latihan II has two items, III one, IV four steps of one case, V one.
MODULES: tuple[Module, ...] = (
    _module("bab2", latihan=2, evaluasi=3),
    _module("bab3", latihan=1, evaluasi=3),
    _module("bab4", latihan=4, evaluasi=2),
    _module("bab5", latihan=1, evaluasi=2),
)

# The network work the module asks for besides its exercises; it counts in the progress (the
# menu's, the coach's) as the exercises do. Earned by doing it: coaching/progress.py.
PRACTICE_KEY = "peta"
PRACTICE: tuple[str, ...] = (
    "peta.map",  # a map of one's own with its ties (Bab III, mapping steps 2-3)
    "peta.analysis",  # its analysis (the module's five questions)
    "peta.plan",  # a planned tie (Bab IV step 4)
    "peta.kltb_know",  # each Know-Like-Trust-Buy step reached with a stakeholder (Bab II)
    "peta.kltb_like",
    "peta.kltb_trust",
    "peta.kltb_buy",
)

EXERCISES: dict[str, Exercise] = {e.key: e for m in MODULES for e in m.exercises}
MODULES_BY_KEY: dict[str, Module] = {m.key: m for m in MODULES}


def module_progress(module: Module, completed: frozenset[str]) -> tuple[int, int]:
    return sum(1 for key in module.item_keys if key in completed), len(module.item_keys)


def practice_progress(completed: frozenset[str]) -> tuple[int, int]:
    return sum(1 for key in PRACTICE if key in completed), len(PRACTICE)


def progress_rows(completed: frozenset[str]) -> tuple[tuple[str, int, int], ...]:
    """(key, done, total) for each chapter, then the network work: what the menu and the
    coach's views show."""
    rows = tuple((m.key, *module_progress(m, completed)) for m in MODULES)
    return (*rows, (PRACTICE_KEY, *practice_progress(completed)))


def overall_progress(completed: frozenset[str]) -> tuple[int, int]:
    """Every exercise and every piece of network work."""
    rows = progress_rows(completed)
    return sum(d for _, d, _ in rows), sum(t for _, _, t in rows)


def next_exercise(completed: frozenset[str]) -> Exercise | None:
    """The first unfinished exercise in the module's order: the menu's "what next"."""
    return next((e for m in MODULES for e in m.exercises if e.key not in completed), None)
