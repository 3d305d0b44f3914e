"""Bab II as a guided lesson: knowing networks, then the participant's own reflections.

In the module's order: what a network is (personal and organisational), strong and weak ties,
actors and ties (direct/indirect, one-/two-way), the kinds of networks by use (Cross, 2002)
and the three networks a leader builds (Ibarra & Hunter, 2007) — here the participant
classifies the contacts on their personal map and sees which of the three is thin —, the
fundamentals of a network (Anklam, 2007), the three principles of networking in the order the
module says to use them (Kilduff & Tsai, 2004: similarity first, then exchange, then
reciprocity — the module numbers them the other way round, and the lesson says so), each with a
reflection; then the levels of networking (activity → control → influence → power) and why
networking is more than handing out business cards; Barrat's KNOW → LIKE → TRUST → BUY,
taught before Latihan II.2 asks about it; the skills networking needs (personal branding,
listening, handling conflict, social media…); and Latihan II.1 and II.2. The balance of the
three networks also says what the module says of a network left to grow by itself: it becomes
homogeneous and less innovative.

Stored: ``bab2.similarity``, ``bab2.exchange``, ``bab2.reciprocity`` (reflections),
``bab2.latihan1``, ``bab2.latihan2`` (the exercises: they count for progress), the actors'
``ibarra`` attribute on the personal map, and the bookmark ``bab2.resume``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from coaching.flows import lesson
from coaching.flows.common import note, open_map, personal_map, stay
from coaching.flows.states import Bab2Step as Step
from coaching.flows.steps import Steps
from coaching.model import (
    ChangeMap,
    Effect,
    Event,
    Option,
    Outcome,
    Reply,
    SelectMap,
    Snapshot,
)
from coaching.network import IBARRA, EditError, MapView, UpdateActor

MODULE = "bab2"
# Kilduff & Tsai (2004) as the module says to apply them: similarity first, then exchange (so
# the network is worth something), then reciprocity (so it keeps growing).
PRINCIPLES: tuple[str, ...] = ("similarity", "exchange", "reciprocity")
# The module's own numbering (Bab II.B): 1 Reciprocity, 2 Exchange, 3 Similarity.
MODULE_NUMBER: dict[str, int] = {"reciprocity": 1, "exchange": 2, "similarity": 3}
LATIHAN: tuple[str, ...] = ("bab2.latihan1", "bab2.latihan2")


# The lesson's path; "next" and "back" move along it. Classifying contacts is a detour
# between the Ibarra page and the balance it leads to.
PATH: tuple[tuple[Step, Mapping[str, int]], ...] = (
    (Step.NETWORK, {}),
    (Step.TIES, {}),
    (Step.SHAPE, {}),
    (Step.CROSS, {}),
    (Step.IBARRA, {}),
    (Step.BALANCE, {}),
    (Step.ANKLAM, {}),
    *((Step.PRINCIPLE, {"i": i}) for i in range(len(PRINCIPLES))),
    (Step.LEVELS, {}),
    (Step.KLTB, {}),
    (Step.SKILLS, {}),
    *((Step.LATIHAN, {"n": n}) for n in range(len(LATIHAN))),
    (Step.DONE, {}),
)


LESSON = lesson.Lesson(MODULE, Step, Step.HOME, Step.DONE)
STEPS = Steps(Step)


@STEPS.prompt(Step.HOME)
def ask_home(snap: Snapshot) -> tuple[Reply, ...]:
    return (lesson.home_reply(snap, LESSON),)


@STEPS.handler(Step.HOME)
def on_home(snap: Snapshot, event: Event) -> Outcome:
    """Starts the lesson, resumes it at its bookmark, or opens one of the exercises."""
    return lesson.on_home(snap, event, LESSON, lambda: _to(0))


# --- pages that only read -----------------------------------------------------------------------


@STEPS.prompt(Step.NETWORK)
def ask_network(snap: Snapshot) -> tuple[Reply, ...]:
    return (Reply("bab2.network", {}, _nav()),)


@STEPS.prompt(Step.TIES)
def ask_ties(snap: Snapshot) -> tuple[Reply, ...]:
    return (Reply("bab2.ties", tie_counts(personal_map(snap)), _nav()),)


@STEPS.prompt(Step.SHAPE)
def ask_shape(snap: Snapshot) -> tuple[Reply, ...]:
    return (Reply("bab2.shape", reach(personal_map(snap)), _nav()),)


@STEPS.prompt(Step.CROSS)
def ask_cross(snap: Snapshot) -> tuple[Reply, ...]:
    return (Reply("bab2.cross", {"flows": flow_counts(personal_map(snap))}, _nav()),)


@STEPS.prompt(Step.BALANCE)
def ask_balance(snap: Snapshot) -> tuple[Reply, ...]:
    return (_balance(personal_map(snap)),)


@STEPS.prompt(Step.ANKLAM)
def ask_anklam(snap: Snapshot) -> tuple[Reply, ...]:
    return (Reply("bab2.anklam", {}, _nav()),)


@STEPS.prompt(Step.LEVELS, Step.SKILLS)
def ask_levels_or_skills(snap: Snapshot) -> tuple[Reply, ...]:
    return (Reply(str(snap.state), {}, _nav()),)


@STEPS.prompt(Step.KLTB)
def ask_kltb(snap: Snapshot) -> tuple[Reply, ...]:
    return (Reply("bab2.kltb", {}, _nav()),)


@STEPS.handler(
    Step.NETWORK,
    Step.TIES,
    Step.SHAPE,
    Step.CROSS,
    Step.BALANCE,
    Step.ANKLAM,
    Step.LEVELS,
    Step.KLTB,
    Step.SKILLS,
)
def on_page(snap: Snapshot, event: Event) -> Outcome:
    """On along the lesson's path, or back."""
    refused = lesson.refuse_media(snap, event)
    if refused is not None:
        return refused
    if event.choice == "next":
        return _move(snap, +1)
    if event.choice == "back":
        return _move(snap, -1)
    return stay(snap, note("common.use_buttons"))


# --- Ibarra & Hunter: the contacts classified ---------------------------------------------------


@STEPS.prompt(Step.IBARRA)
def ask_ibarra(snap: Snapshot) -> tuple[Reply, ...]:
    return (_ibarra(snap, personal_map(snap)),)


@STEPS.handler(Step.IBARRA)
def on_ibarra(snap: Snapshot, event: Event) -> Outcome:
    """Classify the contacts, add some on the map first, or go on to the balance."""
    refused = lesson.refuse_media(snap, event)
    if refused is not None:
        return refused
    personal = personal_map(snap)
    if event.choice == "classify" and unclassified(personal, ()):
        return lesson.advance(MODULE, Step.CLASSIFY, data={"skipped": []})
    if event.choice == "map":
        return open_map(snap)
    if event.choice == "next":
        return lesson.advance(MODULE, Step.BALANCE)
    if event.choice == "back":
        return _move(snap, -1)
    return stay(snap, note("common.use_buttons"))


@STEPS.prompt(Step.CLASSIFY)
def ask_classify(snap: Snapshot) -> tuple[Reply, ...]:
    return (_classify(snap, personal_map(snap)),)


@STEPS.handler(Step.CLASSIFY)
def on_classify(snap: Snapshot, event: Event) -> Outcome:
    """Stores the kind of network of one contact, then asks about the next one."""
    refused = lesson.refuse_media(snap, event)
    if refused is not None:
        return refused
    personal = personal_map(snap)
    skipped = _skipped(snap.data)
    waiting = unclassified(personal, skipped)
    if event.choice in ("stop", "next"):
        return lesson.advance(MODULE, Step.BALANCE)
    if personal is None or not waiting:
        return stay(snap, note("common.use_buttons"))
    actor = waiting[0]
    if event.choice == "skip":
        data = {"skipped": [*skipped, actor.key], "edit": True}
        if len(waiting) == 1:
            return lesson.advance(MODULE, Step.BALANCE)
        return lesson.advance(MODULE, Step.CLASSIFY, data=data)
    kind = event.choice.removeprefix("kind:")
    if not event.choice.startswith("kind:") or kind not in IBARRA:
        return stay(snap, note("common.use_buttons"))
    try:
        effects = classify_effects(snap, personal, actor.key, kind)
    except EditError as error:  # the map changed under us: say so, ask again
        return stay(snap, note(error.key, **error.context))
    saved = note("bab2.classified", name=actor.name, kind=kind)
    if len(waiting) == 1:
        return lesson.advance(MODULE, Step.BALANCE, saved, effects=effects)
    data = {"skipped": skipped, "edit": True}
    return lesson.advance(MODULE, Step.CLASSIFY, saved, data=data, effects=effects)


# --- reflections: the principles, Latihan II.1 and II.2 -----------------------------------------


@STEPS.prompt(Step.PRINCIPLE)
def ask_principle(snap: Snapshot) -> tuple[Reply, ...]:
    i = lesson.index(snap.data, "i", len(PRINCIPLES))
    principle = PRINCIPLES[i]
    context = {
        "principle": principle,
        "number": i + 1,
        "module_number": MODULE_NUMBER[principle],
        "previous": lesson.excerpt(snap.answers.get(f"{MODULE}.{principle}")),
    }
    return (Reply("bab2.principle", context, _answer_nav()),)


@STEPS.prompt(Step.LATIHAN)
def ask_latihan(snap: Snapshot) -> tuple[Reply, ...]:
    n = lesson.index(snap.data, "n", len(LATIHAN))
    context = {
        "exercise": LATIHAN[n],
        "number": n + 1,
        "previous": lesson.excerpt(snap.answers.get(LATIHAN[n])),
    }
    return (Reply("bab2.latihan", context, _answer_nav()),)


@STEPS.handler(Step.PRINCIPLE, Step.LATIHAN)
def on_answer(snap: Snapshot, event: Event) -> Outcome:
    """Stores a reflection (a principle, or Latihan II.1/II.2) and goes on; or skips."""
    if event.choice == "skip":
        return _move(snap, +1)
    if event.choice == "back":
        return _move(snap, -1)
    if event.choice:
        return stay(snap, note("common.use_buttons"))
    answer = lesson.typed_answer(snap, event, "bab2.need_text")
    if isinstance(answer, Outcome):
        return answer
    if Step(snap.state) is Step.PRINCIPLE:
        key = f"{MODULE}.{PRINCIPLES[lesson.index(snap.data, 'i', len(PRINCIPLES))]}"
    else:
        key = LATIHAN[lesson.index(snap.data, "n", len(LATIHAN))]
    return lesson.answered(
        snap, key, answer, lambda said, effects: _move(snap, +1, said, effects=effects)
    )


# --- the end ------------------------------------------------------------------------------------


@STEPS.prompt(Step.DONE)
def ask_done(snap: Snapshot) -> tuple[Reply, ...]:
    saved = [key for key in _stored_keys() if lesson.kept_in_full(snap, key)]
    done, total = lesson.progress(snap, MODULE)
    skipped = [key for key in LATIHAN if key not in snap.completed]
    context = {"saved": saved, "done": done, "total": total, "skipped": skipped}
    return (Reply("bab2.done", context, lesson.done_rows(snap, MODULE)),)


@STEPS.handler(Step.DONE)
def on_done(snap: Snapshot, event: Event) -> Outcome:
    return lesson.on_done_page(snap, event, MODULE)


class Bab2(lesson.LessonFlow):
    key = "bab2"
    maps = True
    table = STEPS
    home = Step.HOME
    opens: tuple[str, ...] = (MODULE,)


# --- the participant's personal map ------------------------------------------------------------


def unclassified(view: MapView | None, skipped: tuple[str, ...] | list[str]) -> list[Any]:
    """Contacts without an Ibarra & Hunter kind yet, in the map's stable order."""
    if view is None:
        return []
    return [a for a in view.others() if a.ibarra not in IBARRA and a.key not in skipped]


def ibarra_counts(view: MapView | None) -> dict[str, int]:
    counts = Counter(a.ibarra for a in view.others()) if view else Counter()
    return {kind: counts.get(kind, 0) for kind in IBARRA}


def thin_kinds(counts: Mapping[str, int]) -> tuple[list[str], list[str]]:
    """Which of personal/operational/strategic is missing, and which is thin.

    Ibarra & Hunter (2007), as the module puts it: a leader builds all three, not two or one.
    Missing: no contact of that kind. Thin: fewer than half as many contacts as the largest
    kind has (with 5 operational, 1 strategic is thin; 3/3/2 is balanced enough).
    """
    if not any(counts.values()):
        return [], []
    top = max(counts.values())
    missing = [kind for kind in IBARRA if counts.get(kind, 0) == 0]
    thin = [kind for kind in IBARRA if counts.get(kind, 0) > 0 and counts[kind] * 2 < top]
    return missing, thin


def classify_effects(
    snap: Snapshot, view: MapView, actor_key: str, kind: str
) -> tuple[Effect, ...]:
    """Store ``ibarra`` on one actor of the personal map (raises EditError if it is gone).

    A map change applies to the *active* map in the engine's view of the snapshot, so when
    another map is open the personal one is selected for the change and the open one selected
    again afterwards: the participant's place in the map section does not move.
    """
    ops = (UpdateActor(actor_key, {"ibarra": kind}),)
    _, undo = view.apply(ops)
    assert view.id is not None  # personal_map() only returns stored maps
    change: tuple[Effect, ...] = (ChangeMap(view.id, ops, undo),)
    active = snap.network
    if active is not None and active.id == view.id:
        return change
    before: tuple[Effect, ...] = ()
    if active is not None and active.example:
        before = (SelectMap(f"example:{active.example}"),)
    elif active is not None and active.id is not None:
        before = (SelectMap(str(active.id)),)
    return (SelectMap(str(view.id)), *change, *before)


def tie_counts(view: MapView | None) -> dict[str, Any]:
    ties = view.ties if view else ()
    return {
        "mapped": bool(ties),
        "strong": sum(1 for t in ties if t.strength == "strong"),
        "weak": sum(1 for t in ties if t.strength == "weak"),
        "unknown": sum(1 for t in ties if t.strength not in ("strong", "weak")),
    }


def reach(view: MapView | None) -> dict[str, Any]:
    """Direct contacts, actors reached only through others, and one-way ties on the map."""
    ego = view.ego if view else None
    if view is None or ego is None or not view.ties:
        return {"mapped": False, "direct": 0, "indirect": 0, "one_way": 0}
    direct = view.neighbours(ego.name)
    seen, frontier = {ego.key, *direct}, set(direct)
    while frontier:
        frontier = {n for key in frontier for n in view.neighbours(key)} - seen
        seen |= frontier
    return {
        "mapped": True,
        "direct": len(direct),
        "indirect": len(seen) - len(direct) - 1,
        "one_way": sum(1 for t in view.ties if t.direction == "out"),
    }


def flow_counts(view: MapView | None) -> dict[str, int]:
    """What flows in the ties the participant tagged (Cross's kinds), most first."""
    counts = Counter(flow for t in (view.ties if view else ()) for flow in t.flows)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


# --- building blocks ---------------------------------------------------------------------------


def _ibarra(snap: Snapshot, personal: MapView | None) -> Reply:
    counts = ibarra_counts(personal)
    waiting = len(unclassified(personal, ()))
    rows: list[tuple[Option, ...]] = []
    if waiting:
        rows.append((Option("classify", "bab2.btn_classify", {"count": waiting}),))
    if personal is None or not personal.others():
        rows.append((Option("map", "bab2.btn_map"),))
    rows.extend(_nav())
    context = {
        "has_map": personal is not None,
        "contacts": len(personal.others()) if personal else 0,
        "waiting": waiting,
        "classified": sum(counts.values()),
    }
    return Reply("bab2.ibarra", context, tuple(rows))


def _classify(snap: Snapshot, personal: MapView | None) -> Reply:
    waiting = unclassified(personal, _skipped(snap.data))
    if not waiting:
        return Reply("bab2.classify_none", {}, ((Option("next", "lesson.btn_next"),),))
    rows: tuple[tuple[Option, ...], ...] = (
        *((Option(f"kind:{kind}", "bab2.btn_kind", {"kind": kind}),) for kind in IBARRA),
        (Option("skip", "bab2.btn_skip_contact"), Option("stop", "bab2.btn_stop")),
    )
    context = {"name": waiting[0].name, "left": len(waiting)}
    return Reply("bab2.classify", context, rows, edit=bool(snap.data.get("edit")))


def _balance(personal: MapView | None) -> Reply:
    counts = ibarra_counts(personal)
    missing, thin = thin_kinds(counts)
    context = {
        "counts": counts,
        "classified": sum(counts.values()),
        "contacts": len(personal.others()) if personal else 0,
        "missing": missing,
        "thin": thin,
    }
    return Reply("bab2.balance", context, _nav())


_nav = lesson.nav
_answer_nav = lesson.answer_nav


def _skipped(data: Mapping[str, Any]) -> list[str]:
    raw = data.get("skipped")
    return [str(key) for key in raw] if isinstance(raw, list) else []


_ROUTE = lesson.LessonPath(MODULE, PATH, Step.HOME)
_position = _ROUTE.position
_to = _ROUTE.to
_move = _ROUTE.move


def _stored_keys() -> tuple[str, ...]:
    return (*(f"{MODULE}.{p}" for p in PRINCIPLES), *LATIHAN)


FLOW = Bab2()
