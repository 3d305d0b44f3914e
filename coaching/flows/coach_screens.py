"""A coach's screens (coaching/flows/coach.py): the replies that show cohorts, a roster, the
cohort as a network, whom to nudge, a participant's detail and maps. Every button is stable
(``ko:…``, seq 0): a screen sent yesterday still opens today."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from coaching.analysis import GraphError, analyse
from coaching.analysis_text import analysis_reply
from coaching.cohort import CoachView, CohortSummary, Detail, Roster, plan_line, reply_button
from coaching.cohortnet import CohortNetwork
from coaching.curriculum import EXERCISES
from coaching.flows.common import note
from coaching.model import Option, Reply, Snapshot
from coaching.network import MapView

PREFIX = "ko"
MAP_BUTTONS = 20  # a participant has at most 20 maps (network limits)
REPLY_BUTTONS = 40  # a message holds at most 100 buttons
REFLECTION_PREVIEW = 280  # characters of each reflection in chat; the dashboard shows it whole


def draft_reply(detail: Detail, snap: Snapshot) -> Reply:
    """A nudge to write in one's own words: the participant's name and next step prefilled in
    a command the coach copies (a tap on it in Telegram), edits and sends; or the standard
    nudge at once."""
    member = detail.member
    if member.nudge != "ok":
        return note("coach.cannot_nudge", name=member.name, reason=member.nudge)
    context = {"id": member.id, "name": member.name, "next": detail.next_step}
    send = Option(f"{PREFIX}:n:{member.id}", "coach.btn_nudge_standard")
    back = Option(f"{PREFIX}:p:{member.id}", "coach.btn_back_member", {"name": member.name})
    return Reply("coach.nudge_draft", context, ((send,), (back,)), stable=True)


def cohort_context(cohort: CohortSummary) -> dict[str, Any]:
    return {
        "id": cohort.id,
        "name": cohort.name,
        "members": cohort.members,
        "flagged": cohort.flagged,
        "left": cohort.left,
    }


def cohorts_reply(coach: CoachView, snap: Snapshot, then: str = "kohort") -> Reply:
    rows = tuple(
        (Option(f"{PREFIX}:c:{c.id}", "coach.btn_cohort", cohort_context(c)),)
        for c in coach.cohorts
    )
    context = {"cohorts": [cohort_context(c) for c in coach.cohorts], "then": then}
    return Reply("coach.cohorts", context, rows, stable=True)


def roster_reply(roster: Roster, snap: Snapshot) -> Reply:
    members = [m.context(snap.now) for m in roster.members]
    buttons = [Option(f"{PREFIX}:p:{m['id']}", "coach.btn_member", m) for m in members]
    rows: list[tuple[Option, ...]] = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    reachable = sum(1 for m in roster.members if m.flagged and m.nudge == "ok")
    if reachable:
        rows.append(
            (
                Option(
                    f"{PREFIX}:a:{roster.cohort.id}",
                    "coach.btn_nudge_all",
                    {"count": reachable},
                ),
            )
        )
    if roster.members:
        rows.append((Option(f"{PREFIX}:w:{roster.cohort.id}", "coach.btn_network"),))
    rows.append((Option(f"{PREFIX}:l", "coach.btn_cohorts"),))
    context = {"cohort": cohort_context(roster.cohort), "members": members, "pace": roster.pace}
    return Reply("coach.roster", context, tuple(rows), stable=True)


NETWORK_SHOWN = 10  # rows of each list in the chat; the dashboard shows more, exports all


def network_reply(roster: Roster, network: CohortNetwork) -> Reply:
    """The cohort as a network: shared stakeholders and who could help whom, in short."""
    context = {
        "cohort": roster.cohort.name,
        "people": len(network.participants),
        "stakeholders": network.stakeholders,
        "shared": [
            {"name": s.name, "participants": list(s.participants)}
            for s in network.shared[:NETWORK_SHOWN]
        ],
        "shared_more": max(0, len(network.shared) - NETWORK_SHOWN),
        "helps": [
            {
                "helper": h.helper,
                "helped": h.helped,
                "kinds": list(h.kinds),
                "through": list(h.through[:3]),
            }
            for h in network.helps[:NETWORK_SHOWN]
        ],
        "helps_more": max(0, len(network.helps) - NETWORK_SHOWN),
    }
    back = ((Option(f"{PREFIX}:c:{roster.cohort.id}", "coach.btn_back_cohort"),),)
    return Reply("coach.network", context, back, stable=True)


def nudge_pick_reply(roster: Roster, snap: Snapshot) -> Reply:
    # Whoever needs attention first, then everyone else: a coach may nudge anyone. A nudge is
    # offered only where it can be delivered; the others are named with the reason.
    members = sorted(roster.members, key=lambda m: not m.flagged)
    everyone = [m.context(snap.now) for m in members]
    flagged = [m for m in everyone if m["idle"] or m["behind"]]
    reachable = [m for m in flagged if m["nudge"] == "ok"]
    rows: list[tuple[Option, ...]] = []
    if reachable:
        rows.append(
            (
                Option(
                    f"{PREFIX}:a:{roster.cohort.id}",
                    "coach.btn_nudge_all",
                    {"count": len(reachable)},
                ),
            )
        )
    rows += [
        (Option(f"{PREFIX}:d:{m['id']}", "coach.btn_nudge_one", {"name": m["name"]}),)
        for m in everyone
        if m["nudge"] == "ok"
    ]
    context = {
        "cohort": cohort_context(roster.cohort),
        "members": everyone,
        "ids": ",".join(str(m["id"]) for m in (reachable or everyone) if m["nudge"] == "ok"),
    }
    return Reply("coach.nudge_pick", context, tuple(rows), stable=True)


def detail_replies(detail: Detail, snap: Snapshot) -> tuple[Reply, ...]:
    member = detail.member
    reflections = [
        {
            "exercise": r.exercise,
            "kind": EXERCISES[r.exercise].kind if r.exercise in EXERCISES else None,
            "number": EXERCISES[r.exercise].number if r.exercise in EXERCISES else None,
            "module": r.exercise.split(".", 1)[0],
            "text": preview(r.text),
            "date": r.updated_at.date().isoformat(),
            "id": r.id,
            "reviewed": r.reviewed_at is not None,
            "notes": [
                {"author": n.author, "text": preview(n.text), "date": n.at.date().isoformat()}
                for n in r.notes
            ],
        }
        for r in detail.reflections
    ]
    kltb = [{"actor": k.actor, "step": k.step} for k in detail.kltb]
    plans = [plan_line(p) for p in detail.plans]
    stages = [
        {"title": s.map_title, "stage": s.stage, "date": s.at.date().isoformat()}
        for s in detail.stages
    ]
    context = {
        "member": member.context(snap.now),
        "cohort": detail.cohort.name,
        "modules": [{"key": k, "done": d, "total": t} for k, d, t in detail.modules],
        "reflections": reflections,
        "kltb": kltb,
        "stages": stages,
        "plans": plans,
    }
    back = Option(f"{PREFIX}:c:{detail.cohort.id}", "coach.btn_back_cohort")
    nudge = Option(f"{PREFIX}:d:{member.id}", "coach.btn_nudge_one", {"name": member.name})
    # Offered only if it can reach them; otherwise the detail says why (coach.detail).
    actions = ((nudge, back),) if member.nudge == "ok" else ((back,),)
    # Each answer shown has its own reply button (besides /balas N text).
    answers = [reply_button(r.id, r.exercise) for r in detail.reflections if r.id]
    answers = answers[:REPLY_BUTTONS]  # any further ones by /balas N
    rows = tuple(tuple(answers[i : i + 2]) for i in range(0, len(answers), 2))
    replied: list[Reply] = [Reply("coach.detail", context, rows, stable=True)]
    return (*replied, *map_replies(detail, snap, actions))


def map_replies(
    detail: Detail, snap: Snapshot, actions: tuple[tuple[Option, ...], ...] | None = None
) -> tuple[Reply, ...]:
    """The shown map: its picture, analysis, its own stage history with the before/after of
    two analyses, and a button for each of the participant's other maps."""
    member = detail.member
    back = (Option(f"{PREFIX}:p:{member.id}", "coach.btn_back_member", {"name": member.name}),)
    others = [
        (Option(f"{PREFIX}:m:{m.id}", "coach.btn_map", m.context()),)
        for m in detail.maps
        if m.id != detail.network_id
    ][:MAP_BUTTONS]
    rows = (*others, *(actions if actions is not None else (back,)))
    replies: list[Reply] = []
    view = detail.network
    html = None
    if view is not None and len(view.actors) >= 2:
        replies.append(picture_reply(view, member.name, snap.locale))
        html = analysis_html(view, snap.locale)
    history = [
        {"stage": s.stage, "date": s.at.date().isoformat()}
        for s in detail.stages
        if s.map_id == detail.network_id and detail.network_id is not None
    ]
    change = None
    if detail.comparison is not None and detail.compared is not None:
        first, last = detail.compared
        change = {
            **detail.comparison.context(),
            "from": first.at.date().isoformat(),
            "to": last.at.date().isoformat(),
        }
    context = {
        "name": member.name,
        "html": html,
        "title": view.title if view is not None else None,
        "kind": view.kind if view is not None else None,
        "maps": len(detail.maps),
        "history": history,
        "change": change,
    }
    replies.append(Reply("coach.map_view", context, rows, stable=True))
    return tuple(replies)


def picture_reply(view: MapView, name: str, locale: str) -> Reply:
    """The participant's map as the same picture ``/peta`` sends them."""
    attachment = view.picture(locale)
    caption = {
        "name": name,
        "title": view.title,
        "kind": view.kind,
        "size": view.counts().as_dict(),
    }
    return Reply("coach.map_caption", caption, attachment=attachment)


def analysis_html(view: MapView, locale: str) -> Markup | None:
    try:
        result = analyse(view.graph())
    except GraphError:
        return None
    # analysis_reply renders our own autoescaped templates: safe to embed as it is.
    return Markup(analysis_reply(result, locale=locale))


def preview(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= REFLECTION_PREVIEW else text[: REFLECTION_PREVIEW - 1] + "…"
