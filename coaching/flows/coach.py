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

from coaching.cohort import (
    CoachView,
    parse_start,
)
from coaching.flows import onboarding
from coaching.flows.coach_screens import (
    PREFIX,
    cohort_context,
    cohorts_reply,
    detail_replies,
    draft_reply,
    map_replies,
    network_reply,
    nudge_pick_reply,
    roster_reply,
)
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
from coaching.validate import check_answer, is_number

HELP = ("bantuan", "help")


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
                return _answer(snap, nudge_pick_reply(coach.roster, snap))
            return _answer(snap, cohorts_reply(coach, snap, then="ingatkan"))
        replies = [cohorts_reply(coach, snap)]
        if coach.roster is not None:
            replies.append(roster_reply(coach.roster, snap))
        return _answer(snap, *replies)

    def on_button(self, snap: Snapshot, event: Event) -> Outcome:
        """Opens a cohort or participant the coach owns, or nudges; anything else is refused."""
        coach = snap.coach
        if coach is None:
            return _answer(snap, note("coach.only_coaches", command="kohort"))
        action = event.choice.split(":")[1] if event.choice.count(":") >= 1 else ""
        if action == "l":
            return _answer(snap, cohorts_reply(coach, snap))
        if action == "me":
            return _as_participant(snap)
        if coach.denied or focus(event) is None:
            return _answer(snap, note("coach.denied"))
        if action == "c" and coach.roster is not None:
            return _answer(snap, roster_reply(coach.roster, snap))
        if action == "w" and coach.roster is not None and coach.network is not None:
            return _answer(snap, network_reply(coach.roster, coach.network))
        if action == "a" and coach.roster is not None:
            effect = NudgeParticipants(coach.roster.cohort.id, None)
            return _answer(snap, effects=(effect,), toast="coach.nudge_toast")
        if action == "p" and coach.detail is not None:
            return _answer(snap, *detail_replies(coach.detail, snap))
        if action == "m" and coach.detail is not None:
            return _answer(snap, *map_replies(coach.detail, snap))
        if action == "d" and coach.detail is not None:
            return _answer(snap, draft_reply(coach.detail, snap))
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
        (Option(f"{PREFIX}:c:{c.id}", "coach.btn_cohort", cohort_context(c)),) for c in cohorts
    ]
    if not participant:
        rows.append((Option(f"{PREFIX}:me", "coach.btn_as_participant"),))
    context = {
        "cohorts": [cohort_context(c) for c in cohorts],
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
