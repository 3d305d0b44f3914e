"""Bab III as a guided lesson: social network analysis, taught on the kite, then on one's map.

In the module's order (Bab III.A): what social network analysis is for (Krebs & Holley), the
measures — network size, density — and the centralities the module names on Krackhardt's kite
(degree: D, the hub; betweenness: H, the broker; closeness: F and G), the boundary spanners
(F, G, H), the peripheral players (I, J, framed as the module frames them) and the clusters.
Each page says what the module says about the kite — computed by the same analysis every map
gets, so the numbers cannot drift from the text — and then shows the same measure on the
participant's own map (their personal map, else a case map with ties). Latihan III and
Evaluasi III.1–3 close the lesson.

Stored: ``bab3.latihan1`` (the exercise: it counts for progress) and the bookmark
``bab3.resume``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from coaching import analysed
from coaching.analysis import Analysis, analyse
from coaching.flows import lesson
from coaching.flows.common import note, open_map, personal_map, stay
from coaching.flows.states import Bab3Step as Step
from coaching.flows.steps import Steps
from coaching.model import Event, Option, Outcome, Reply, Snapshot
from coaching.network import MapView, example_view

MODULE = "bab3"
LATIHAN = "bab3.latihan1"
KITE = "kite"
TOP = 3  # actors named per measure on one's own map: enough to see who, short on a phone

# The pages that teach one measure each, in the module's order.
MEASURES: tuple[Step, ...] = (
    Step.SIZE,
    Step.DENSITY,
    Step.DEGREE,
    Step.BETWEENNESS,
    Step.CLOSENESS,
    Step.SPANNER,
    Step.PERIPHERAL,
    Step.CLUSTERS,
)
PATH: tuple[tuple[Step, Mapping[str, int]], ...] = (
    (Step.SNA, {}),
    *((step, {}) for step in MEASURES),
    (Step.LATIHAN, {}),
    (Step.DONE, {}),
)
_ROUTE = lesson.LessonPath(MODULE, PATH, Step.HOME)

LESSON = lesson.Lesson(MODULE, Step, Step.HOME, Step.DONE)
STEPS = Steps(Step)


@STEPS.prompt(Step.HOME)
def ask_home(snap: Snapshot) -> tuple[Reply, ...]:
    return (lesson.home_reply(snap, LESSON),)


@STEPS.handler(Step.HOME)
def on_home(snap: Snapshot, event: Event) -> Outcome:
    """Starts the lesson, resumes it at its bookmark, or opens one of the exercises."""
    return lesson.on_home(snap, event, LESSON, lambda: _ROUTE.to(0))


@STEPS.prompt(Step.SNA)
def ask_sna(snap: Snapshot) -> tuple[Reply, ...]:
    """The kite's picture, then what social network analysis is for."""
    kite = example_view(KITE)
    assert kite is not None  # bundled with the code
    picture = Reply("bab3.kite_caption", {}, attachment=kite.picture(snap.locale))
    return (picture, Reply("bab3.sna", {}, lesson.nav()))


@STEPS.prompt(*MEASURES)
def ask_measure(snap: Snapshot) -> tuple[Reply, ...]:
    """One measure: what the module says of it on the kite, then the same on one's own map."""
    step = Step(snap.state)
    own = own_map(snap)
    context: dict[str, Any] = {
        "kite": kite_facts(),
        "own": own_facts(own, snap),
        "page": MEASURES.index(step) + 2,
    }
    rows = lesson.nav()
    if own is None:
        rows = ((Option("map", "bab3.btn_map"),), *rows)
    return (Reply(str(step), context, rows),)


@STEPS.handler(Step.SNA, *MEASURES)
def on_page(snap: Snapshot, event: Event) -> Outcome:
    """On, back, or (no map to measure yet) to the map."""
    refused = lesson.refuse_media(snap, event)
    if refused is not None:
        return refused
    if event.choice == "map":
        return open_map(snap)
    if event.choice == "next":
        return _ROUTE.move(snap, +1)
    if event.choice == "back":
        return _ROUTE.move(snap, -1)
    return stay(snap, note("common.use_buttons"))


@STEPS.prompt(Step.LATIHAN)
def ask_latihan(snap: Snapshot) -> tuple[Reply, ...]:
    previous = lesson.excerpt(snap.answers.get(LATIHAN))
    return (Reply("bab3.latihan", {"previous": previous}, lesson.answer_nav()),)


@STEPS.handler(Step.LATIHAN)
def on_latihan(snap: Snapshot, event: Event) -> Outcome:
    """Stores Latihan III and goes on to the summary; or skips it (offered there again)."""
    if event.choice == "skip":
        return _ROUTE.move(snap, +1)
    if event.choice == "back":
        return _ROUTE.move(snap, -1)
    if event.choice:
        return stay(snap, note("common.use_buttons"))
    answer = lesson.typed_answer(snap, event, "bab3.need_text")
    if isinstance(answer, Outcome):
        return answer
    return lesson.answered(
        snap, LATIHAN, answer, lambda said, effects: _ROUTE.move(snap, +1, said, effects=effects)
    )


@STEPS.prompt(Step.DONE)
def ask_done(snap: Snapshot) -> tuple[Reply, ...]:
    done, total = lesson.progress(snap, MODULE)
    context = {"latihan": LATIHAN in snap.completed, "done": done, "total": total}
    return (Reply("bab3.done", context, lesson.done_rows(snap, MODULE)),)


@STEPS.handler(Step.DONE)
def on_done(snap: Snapshot, event: Event) -> Outcome:
    return lesson.on_done_page(snap, event, MODULE)


class Bab3(lesson.LessonFlow):
    key = "bab3"
    maps = True
    table = STEPS
    home = Step.HOME
    opens: tuple[str, ...] = (MODULE,)

    def analyses(self, snap: Snapshot) -> tuple[analysed.Wanted, ...]:
        """The participant's own map, on the pages that measure it beside the kite."""
        own = own_map(snap) if snap.state in MEASURES else None
        return () if own is None else (analysed.wanted(own, suggestions=False),)


FLOW = Bab3()


# --- the kite and the participant's map ---------------------------------------------------------


@cache
def kite_analysis() -> Analysis:
    kite = example_view(KITE)
    assert kite is not None
    return analyse(kite.graph())


@cache
def kite_facts() -> dict[str, Any]:
    """What the module says about the kite, as the analysis computes it (one source of truth)."""
    result = kite_analysis()
    kite = example_view(KITE)
    assert kite is not None
    return facts(result, kite)


def own_map(snap: Snapshot) -> MapView | None:
    """The map the lesson shows each measure on: the personal map, else a case map with ties.

    A map with fewer than two actors or no tie has nothing to measure yet.
    """
    candidates = [personal_map(snap), snap.network, *snap.maps]
    for view in candidates:
        if view is not None and view.id is not None and len(view.actors) >= 2 and view.ties:
            return view
    return None


def own_facts(view: MapView | None, snap: Snapshot) -> dict[str, Any] | None:
    if view is None:
        return None
    result = analysed.of(snap, view, suggestions=False)  # the lesson names no new ties
    return None if result is None else facts(result, view)


def facts(result: Analysis, view: MapView) -> dict[str, Any]:
    """Each measure's numbers and names, ready for a page (names sorted as the analysis sorts)."""
    c = result.centrality
    ego = result.ego
    pairs = result.actors * (result.actors - 1) // 2
    top_degree = sorted(c.degree.items(), key=lambda kv: (-kv[1], kv[0]))
    leader = top_degree[0] if top_degree else ("", 0)
    neighbours = sorted(view.neighbours(leader[0])) if leader[0] else []
    names = {a.key: a.name for a in view.actors}
    direct = sorted(names.get(n, n) for n in neighbours)
    indirect = sorted(
        n
        for n in c.degree
        if n != leader[0] and n not in direct and _reachable(result, n, leader[0])
    )
    without = result.without_ego
    return {
        "title": view.title,
        "kind": view.kind,
        "example": view.example,
        "ego": ego,
        "actors": result.actors,
        "ties": result.ties,
        "pairs": pairs,
        "density": result.density,
        "components": result.components,
        "degree": dict(c.degree),
        "top_degree": [{"name": n, "value": v} for n, v in top_degree[:TOP]],
        "leader": {"name": leader[0], "value": leader[1], "direct": direct, "indirect": indirect},
        "top_betweenness": _top(c.betweenness),
        "top_closeness": _top(c.closeness),
        "hubs": list(result.roles.hubs),
        "brokers": list(result.roles.brokers),
        "closest": list(result.roles.closest),
        "spanners": list(result.roles.boundary_spanners),
        "peripheral": list(result.roles.peripheral),
        "clusters": [list(cluster) for cluster in result.clusters],
        "outside": _outside(result),
        "without_ego": None
        if without is None
        else {
            "clusters": [list(cluster) for cluster in without.clusters],
            "components": without.components,
            "brokers": list(without.roles.brokers),
        },
    }


def _top(values: Mapping[str, float]) -> list[dict[str, Any]]:
    ranked = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"name": n, "value": round(v, 2)} for n, v in ranked[:TOP] if v > 0]


def _outside(result: Analysis) -> list[str]:
    inside = {name for cluster in result.clusters for name in cluster}
    return sorted(name for name in result.centrality.degree if name not in inside)


def _reachable(result: Analysis, a: str, b: str) -> bool:
    return any(a in piece and b in piece for piece in result.pieces) or not result.pieces
