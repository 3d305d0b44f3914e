"""Coaches in Telegram: ``/kohort``, ``/ingatkan``, ``/dasbor`` and the cohort/participant screens.

A coach's screens never move their own conversation: every coach reply is answered from the
snapshot's :class:`~coaching.cohort.CoachView` and its buttons are *stable* (``ko:…``, seq 0),
so a coach who is also a participant keeps their place, and a roster sent yesterday still
opens a participant today. What a button may open is decided twice: storage loads a cohort or
participant only if the coach owns it (``storage/cohorts.py``), and this flow answers
``coach.denied`` when storage found nothing.

Button values: ``ko:l`` cohorts, ``ko:c:<cohort>`` roster, ``ko:p:<participant>`` detail,
``ko:n:<participant>`` nudge one, ``ko:a:<cohort>`` nudge everyone flagged, ``ko:m:<map>`` one
of a participant's maps, ``ko:w:<cohort>`` the cohort as a network, ``ko:me`` start
(or go on with) the coach's own participant onboarding from the coach home.

``/start`` and ``/menu`` from a coach open the coach home (:func:`home`): their cohorts and
commands; a coach who is also a participant gets it beside their own menu, as a message of
its own.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from markupsafe import Markup

from coaching.analysis import GraphError, analyse
from coaching.analysis_text import analysis_reply
from coaching.cohort import (
    CoachView,
    CohortSummary,
    Detail,
    Roster,
    parse_start,
    plan_line,
    reply_button,
)
from coaching.cohortnet import CohortNetwork
from coaching.curriculum import EXERCISES
from coaching.flows import onboarding
from coaching.flows.common import note, stay
from coaching.model import (
    BecomeCoach,
    Effect,
    Event,
    EventKind,
    NudgeParticipants,
    Option,
    Outcome,
    Reply,
    ReplyToAnswer,
    Snapshot,
)
from coaching.needs import Focus, Needs
from coaching.network import MapView
from coaching.validate import check_answer, is_number

PREFIX = "ko"
HELP = ("bantuan", "help")
MAP_BUTTONS = 20  # a participant has at most 20 maps (network limits)
REPLY_BUTTONS = 40  # a message holds at most 100 buttons
REFLECTION_PREVIEW = 280  # characters of each reflection in chat; the dashboard shows it whole


class Step(StrEnum):
    """No steps: coach screens are answers, not places in a conversation."""


NUDGE_MAX = 500  # characters of a coach's own nudge
NUDGE_PEOPLE_MAX = 30  # participants one /ingatkan may name


def parse_nudge(text: str) -> tuple[tuple[int, ...], str] | None:
    """``/ingatkan 12,15 Halo {nama}, …`` → ((12, 15), "Halo {nama}, …"); None: not that form.

    >>> parse_nudge("12, 15 Halo {nama}!")
    ((12, 15), 'Halo {nama}!')
    >>> parse_nudge("Halo") is None
    True
    """
    head = text.strip()
    digits = ""
    for ch in head:
        if not (ch.isascii() and (ch.isdigit() or ch in ", ")):
            break
        digits += ch
    parts = [p for p in digits.replace(",", " ").split() if p]
    if not parts or any(len(p) > 12 for p in parts):
        return None
    message = head[len(digits) :].strip()
    return tuple(dict.fromkeys(int(p) for p in parts)), message


def opens_home(event: Event) -> bool:
    """``/menu``, or ``/start`` without a link's payload: a coach's home (if they coach)."""
    if event.kind is not EventKind.COMMAND:
        return False
    return event.command == "menu" or (event.command == "start" and not event.text.strip())


def sets_menu(snap: Snapshot, event: Event, effects: tuple[Effect, ...]) -> bool:
    """The transport sets the sender's own coach command menu: they just became a coach, or
    a coach opened their home."""
    if any(isinstance(effect, BecomeCoach) for effect in effects):
        return True
    return snap.coach is not None and opens_home(event)


def focus(event: Event) -> Focus | None:
    """The cohort or participant a coach command or button names; None: not a coach event.

    ``/start`` (without a link's payload) and ``/menu`` ask for the coach home: storage loads
    it only if the sender is a coach.
    """
    if event.command == "ingatkan" and (parsed := parse_nudge(event.text)) is not None:
        return Focus(participant_id=parsed[0][0])  # storage checks the coach owns them
    if event.command in ("kohort", "ingatkan"):
        return Focus(only_cohort=True)
    if event.command == "dasbor":
        return Focus(login=True)
    if opens_home(event):
        return Focus()
    parts = event.choice.split(":") if event.choice.startswith(f"{PREFIX}:") else []
    if len(parts) == 2 and parts[1] in ("l", "me"):
        return Focus()
    if len(parts) != 3 or not is_number(parts[2]) or len(parts[2]) > 12:
        return None
    number = int(parts[2])
    if parts[1] in ("c", "a"):
        return Focus(cohort_id=number)
    if parts[1] == "w":
        return Focus(cohort_id=number, network=True)
    if parts[1] in ("p", "n", "d"):
        return Focus(participant_id=number)
    if parts[1] == "m":
        return Focus(map_id=number)
    return None


class Coach:
    key = "coach"
    steps = Step
    commands = ("kohort", "ingatkan", "dasbor", "balas", "tinjau")
    button_prefixes = (PREFIX,)
    # A coach need not be a participant: their commands work without onboarding.
    open_before_onboarding = True

    def needs(self, event: Event) -> Needs | None:
        """A deep link to check (``/start <payload>``); for a coach's command or button, what
        it names; for ``/bantuan``, the coach's cohorts (their help lists coach commands)."""
        link = None
        if event.kind is EventKind.COMMAND and event.command == "start":
            kind, code = parse_start(event.text)
            link = (kind, code) if kind is not None else None
        wanted = focus(event)
        if wanted is None and event.kind is EventKind.COMMAND and event.command in HELP:
            wanted = Focus()
        if link is None and wanted is None:
            return None
        return Needs(link=link, coach=wanted)

    def prompt(self, snap: Snapshot) -> tuple[Reply, ...]:
        return ()

    def handle(self, snap: Snapshot, event: Event) -> Outcome:
        return stay(snap, reprompt=False)  # unreachable: the flow owns no state

    def on_command(self, snap: Snapshot, event: Event) -> Outcome:
        """``/kohort`` lists cohorts, ``/ingatkan`` whom to nudge, ``/dasbor`` a login link;
        ``/balas ID text`` replies to an answer, ``/tinjau ID`` marks it reviewed."""
        if event.command in ("balas", "tinjau"):
            return _reply(snap, event)
        coach = snap.coach
        if coach is None:
            return _answer(snap, note("coach.only_coaches", command=event.command))
        if event.command == "dasbor":
            if coach.login_url is None:
                return _answer(snap, note("coach.dashboard_off"))
            context = {"url": coach.login_url, "minutes": coach.login_minutes}
            return _answer(snap, note("coach.dashboard_link", **context))
        if not coach.cohorts:
            return _answer(snap, note("coach.no_cohorts"))
        if event.command == "ingatkan" and event.text.strip():
            return _own_words(snap, coach, event.text)
        if event.command == "ingatkan":
            if coach.roster is not None:
                return _answer(snap, _nudge_pick(coach.roster, snap))
            return _answer(snap, _cohorts(coach, snap, then="ingatkan"))
        replies = [_cohorts(coach, snap)]
        if coach.roster is not None:
            replies.append(_roster(coach.roster, snap))
        return _answer(snap, *replies)

    def on_button(self, snap: Snapshot, event: Event) -> Outcome:
        """Opens a cohort or participant the coach owns, or nudges; anything else is refused."""
        coach = snap.coach
        if coach is None:
            return _answer(snap, note("coach.only_coaches", command="kohort"))
        action = event.choice.split(":")[1] if event.choice.count(":") >= 1 else ""
        if action == "l":
            return _answer(snap, _cohorts(coach, snap))
        if action == "me":
            return _as_participant(snap)
        if coach.denied or focus(event) is None:
            return _answer(snap, note("coach.denied"))
        if action == "c" and coach.roster is not None:
            return _answer(snap, _roster(coach.roster, snap))
        if action == "w" and coach.roster is not None and coach.network is not None:
            return _answer(snap, _network(coach.roster, coach.network))
        if action == "a" and coach.roster is not None:
            effect = NudgeParticipants(coach.roster.cohort.id, None)
            return _answer(snap, effects=(effect,), toast="coach.nudge_toast")
        if action == "p" and coach.detail is not None:
            return _answer(snap, *_detail(coach.detail, snap))
        if action == "m" and coach.detail is not None:
            return _answer(snap, *_map_replies(coach.detail, snap))
        if action == "d" and coach.detail is not None:
            return _answer(snap, _draft(coach.detail, snap))
        if action == "n" and coach.detail is not None:
            detail = coach.detail
            if detail.member.nudge != "ok":  # an old button: say why, send nothing
                why = {"name": detail.member.name, "reason": detail.member.nudge}
                return _answer(snap, note("coach.cannot_nudge", **why))
            effect = NudgeParticipants(detail.cohort.id, (detail.member.id,))
            return _answer(snap, effects=(effect,), toast="coach.nudge_toast")
        return _answer(snap, note("coach.denied"))


FLOW = Coach()


def home(snap: Snapshot, *, participant: bool) -> Reply:
    """The coach home ``/start`` and ``/menu`` open for a coach: cohorts, commands, and for a
    coach who is not (yet) a participant the way to start as one."""
    coach = snap.coach
    cohorts = coach.cohorts if coach is not None else ()
    rows: list[tuple[Option, ...]] = [
        (Option(f"{PREFIX}:c:{c.id}", "coach.btn_cohort", _cohort_context(c)),) for c in cohorts
    ]
    if not participant:
        rows.append((Option(f"{PREFIX}:me", "coach.btn_as_participant"),))
    context = {
        "cohorts": [_cohort_context(c) for c in cohorts],
        "participant": participant,
    }
    return Reply("coach.home", context, tuple(rows), stable=True)


def _as_participant(snap: Snapshot) -> Outcome:
    """The coach chose to learn as a participant too: their own onboarding starts (or goes
    on where it was); an onboarded coach just gets their menu."""
    if snap.profile.consent_at is not None and not snap.state.startswith("onboarding."):
        return Outcome("menu.main", {}, changed=True)
    state = snap.state if snap.state.startswith("onboarding.") else str(onboarding.FIRST)
    return Outcome(state, dict(snap.data), replies=(note("onboarding.welcome"),), changed=True)


def deep_link(
    snap: Snapshot, payload: str
) -> tuple[str | None, tuple[Reply, ...], tuple[Effect, ...], str]:
    """A ``/start`` payload: (kind, replies, effects, join code to keep until consent, or "").

    Storage has already looked the code up (``snap.link``); a coach invite is redeemed at once,
    a cohort is joined after consent.
    """
    kind, code = parse_start(payload)
    if kind is None:
        return None, (), (), ""
    link = snap.link if snap.link is not None and snap.link.kind == kind else None
    cohort = link.cohort if link is not None else None
    if link is None and kind == "join":
        return kind, (), (), code  # not looked up (no storage): kept, checked when joining
    status = link.status if link is not None else "unknown"
    if kind == "coach":
        if status != "ok":
            return kind, (note("coach.invite_bad", status=status),), (), ""
        return kind, (note("coach.invite_ok", cohort=cohort or ""),), (BecomeCoach(code),), ""
    if status != "ok":
        return kind, (note("coach.join_bad", status=status),), (), ""
    consented = _consented(snap)
    return kind, (note("coach.join_ok", cohort=cohort or "", consented=consented),), (), code


def _consented(snap: Snapshot) -> bool:
    return snap.profile.consent_at is not None


def _answer(
    snap: Snapshot,
    *replies: Reply,
    effects: tuple[Effect, ...] = (),
    toast: str | None = None,
) -> Outcome:
    """A coach screen: the participant's own conversation (state, seq) stays as it was."""
    return Outcome(
        snap.state,
        snap.data,
        effects=effects,
        replies=replies,
        toast=toast,
        changed=False,
        reprompt=False,
    )


def _reply(snap: Snapshot, event: Event) -> Outcome:
    """A reply to an answer, or its review mark: run after the commit, where storage checks
    that the answer still exists and belongs to a cohort this coach coaches."""
    number, _, rest = event.text.strip().partition(" ")
    number = number.lstrip("#")
    if not is_number(number) or len(number) > 12:
        return _answer(snap, note("replies.usage", command=event.command))
    if event.command == "tinjau":
        return _answer(snap, effects=(ReplyToAnswer(int(number)),))
    checked = check_answer(rest)
    if checked.value is None:
        return _answer(snap, note("replies.usage", command=event.command))
    return _answer(snap, effects=(ReplyToAnswer(int(number), checked.value),))


def _own_words(snap: Snapshot, coach: CoachView, text: str) -> Outcome:
    """``/ingatkan <id>[,<id>…] <message>``: the coach's own nudge to one or many."""
    parsed = parse_nudge(text)
    if parsed is None or not parsed[1]:
        return _answer(snap, note("coach.nudge_usage"))
    ids, message = parsed
    if len(message) > NUDGE_MAX:
        return _answer(snap, note("coach.nudge_too_long", limit=NUDGE_MAX, length=len(message)))
    if len(ids) > NUDGE_PEOPLE_MAX:
        return _answer(snap, note("coach.nudge_too_many", limit=NUDGE_PEOPLE_MAX))
    detail = coach.detail
    if coach.denied or detail is None:
        return _answer(snap, note("coach.denied"))
    if len(ids) == 1 and detail.member.nudge != "ok":
        why = {"name": detail.member.name, "reason": detail.member.nudge}
        return _answer(snap, note("coach.cannot_nudge", **why))
    # Storage checks every id is in this cohort (the coach's own), else refuses them all.
    effect = NudgeParticipants(detail.cohort.id, ids, " ".join(message.split()))
    return _answer(snap, effects=(effect,))


def _draft(detail: Detail, snap: Snapshot) -> Reply:
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


def _cohort_context(cohort: CohortSummary) -> dict[str, Any]:
    return {
        "id": cohort.id,
        "name": cohort.name,
        "members": cohort.members,
        "flagged": cohort.flagged,
        "left": cohort.left,
    }


def _cohorts(coach: CoachView, snap: Snapshot, then: str = "kohort") -> Reply:
    rows = tuple(
        (Option(f"{PREFIX}:c:{c.id}", "coach.btn_cohort", _cohort_context(c)),)
        for c in coach.cohorts
    )
    context = {"cohorts": [_cohort_context(c) for c in coach.cohorts], "then": then}
    return Reply("coach.cohorts", context, rows, stable=True)


def _roster(roster: Roster, snap: Snapshot) -> Reply:
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
    context = {"cohort": _cohort_context(roster.cohort), "members": members, "pace": roster.pace}
    return Reply("coach.roster", context, tuple(rows), stable=True)


NETWORK_SHOWN = 10  # rows of each list in the chat; the dashboard shows more, exports all


def _network(roster: Roster, network: CohortNetwork) -> Reply:
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


def _nudge_pick(roster: Roster, snap: Snapshot) -> Reply:
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
        "cohort": _cohort_context(roster.cohort),
        "members": everyone,
        "ids": ",".join(str(m["id"]) for m in (reachable or everyone) if m["nudge"] == "ok"),
    }
    return Reply("coach.nudge_pick", context, tuple(rows), stable=True)


def _detail(detail: Detail, snap: Snapshot) -> tuple[Reply, ...]:
    member = detail.member
    reflections = [
        {
            "exercise": r.exercise,
            "kind": EXERCISES[r.exercise].kind if r.exercise in EXERCISES else None,
            "number": EXERCISES[r.exercise].number if r.exercise in EXERCISES else None,
            "module": r.exercise.split(".", 1)[0],
            "text": _preview(r.text),
            "date": r.updated_at.date().isoformat(),
            "id": r.id,
            "reviewed": r.reviewed_at is not None,
            "notes": [
                {"author": n.author, "text": _preview(n.text), "date": n.at.date().isoformat()}
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
    return (*replied, *_map_replies(detail, snap, actions))


def _map_replies(
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
        replies.append(_picture(view, member.name, snap.locale))
        html = _analysis_html(view, snap.locale)
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


def _picture(view: MapView, name: str, locale: str) -> Reply:
    """The participant's map as the same picture ``/peta`` sends them."""
    attachment = view.picture(locale)
    caption = {
        "name": name,
        "title": view.title,
        "kind": view.kind,
        "size": view.counts().as_dict(),
    }
    return Reply("coach.map_caption", caption, attachment=attachment)


def _analysis_html(view: MapView, locale: str) -> Markup | None:
    try:
        result = analyse(view.graph())
    except GraphError:
        return None
    # analysis_reply renders our own autoescaped templates: safe to embed as it is.
    return Markup(analysis_reply(result, locale=locale))


def _preview(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= REFLECTION_PREVIEW else text[: REFLECTION_PREVIEW - 1] + "…"
