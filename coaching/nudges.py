"""What a nudge says and which buttons it carries, from plain data storage loads.

A nudge names what is waiting, at most one of each kind so it stays short on a phone: the
first unfinished exercise (in the module's order), the stakeholder whose next KNOW → LIKE →
TRUST → BUY step is most urgent, and the planned tie ("merajut jejaring") most overdue. Nothing
waiting means no nudge at all.

Its buttons are *stable* (seq 0, valid outside any step) and owned by the reminders flow:
``rem:<reminder id>:<action>[:<argument>]``, always within the 64-byte callback limit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from coaching.curriculum import next_exercise
from coaching.model import KLTB_STEPS, DueTie, KltbNext, Option, Reply, Waiting
from coaching.schedule import SNOOZES, local_parts

PREFIX = "rem"
PLAN_MAX = 120  # a participant's own note, shortened to keep the nudge short
FOLLOW_UP_AFTER = timedelta(days=7)  # issue 13: a week after the date, ask how it went


def next_kltb_step(reached: Iterable[str]) -> str | None:
    """The step after the furthest one reached (the KLTB flow walks them in order, never
    skipping); KNOW when none is; None once BUY is reached."""
    furthest = max((KLTB_STEPS.index(s) for s in reached if s in KLTB_STEPS), default=-1)
    return KLTB_STEPS[furthest + 1] if furthest + 1 < len(KLTB_STEPS) else None


KltbEntryRow = tuple[str | None, datetime | None, datetime | None, datetime | None]


def kltb_next(
    actor_id: int,
    name: str,
    current: str | None,
    entries: Mapping[str, KltbEntryRow],
) -> KltbNext | None:
    """A stakeholder's next step, if their pipeline is under way.

    ``current`` is ``actors.kltb_step``; ``entries`` maps a step to its (planned action, due
    date, date reached, follow-up asked) from ``kltb_entries``. A stakeholder merely on the
    map, with nothing reached and nothing planned, is not chased.
    """
    reached = [step for step, (_, _, done, _) in entries.items() if done is not None]
    if current in KLTB_STEPS:
        reached.append(current)
    upcoming = next_kltb_step(reached)
    if upcoming is None:
        return None
    plan, due, _, asked = entries.get(upcoming, (None, None, None, None))
    if not reached and plan is None and due is None:
        return None
    return KltbNext(actor_id, name, upcoming, plan, due, followup_at=asked)


def due_kltb(steps: Iterable[KltbNext], now: datetime) -> tuple[KltbNext, ...]:
    """Steps that are due (or carry no date), the earliest date first, undated last; the
    most overdue one a week past its date (and not asked since) is marked for the follow-up.
    """
    waiting = [s for s in steps if s.due_at is None or s.due_at <= now]
    ordered = sorted(waiting, key=lambda s: (s.due_at is None, s.due_at or now, s.actor_id))
    return tuple(dataclasses.replace(s, follow_up=kltb_wants_follow_up(s, now)) for s in ordered)


def kltb_wants_follow_up(step: KltbNext, now: datetime) -> bool:
    if step.due_at is None or now < step.due_at + FOLLOW_UP_AFTER:
        return False
    return step.followup_at is None or step.followup_at < step.due_at


def due_ties(ties: Iterable[DueTie], now: datetime) -> tuple[DueTie, ...]:
    """Planned ties whose date has come, the most overdue first, each marked for the
    follow-up if its date is a week past and the follow-up was not asked since that date."""
    due = sorted((t for t in ties if t.due_at <= now), key=lambda t: (t.due_at, t.tie_id))
    return tuple(dataclasses.replace(t, follow_up=wants_follow_up(t, now)) for t in due)


def wants_follow_up(tie: DueTie, now: datetime) -> bool:
    asked = tie.followup_at is not None and tie.followup_at >= tie.due_at
    return now >= tie.due_at + FOLLOW_UP_AFTER and not asked


def follow_up_of(reply: Reply) -> int | None:
    """The planned tie a composed nudge asks about (the dispatcher records the asking)."""
    return next(
        (
            int(item["tie_id"])
            for item in reply.context.get("items", ())
            if item.get("kind") == "tie" and item.get("ask")
        ),
        None,
    )


def kltb_follow_up_of(reply: Reply) -> tuple[int, str] | None:
    """The stakeholder and step whose planned action a composed nudge asks about."""
    return next(
        (
            (int(item["actor_id"]), str(item["step"]))
            for item in reply.context.get("items", ())
            if item.get("kind") == "kltb" and item.get("ask")
        ),
        None,
    )


def has_something(waiting: Waiting) -> bool:
    return bool(next_exercise(waiting.completed) or waiting.kltb or waiting.ties)


def compose(
    reminder_id: int,
    waiting: Waiting,
    *,
    name: str | None,
    zone: str | None,
    coach: bool = False,
    message: str | None = None,
) -> Reply | None:
    """The nudge for one reminder, or None when nothing is waiting (a coach's own
    ``message`` goes even then: the coach chose to write)."""
    items: list[dict[str, Any]] = []
    doing: list[Option] = []
    exercise = next_exercise(waiting.completed)
    if exercise is not None:
        context = {
            "kind": "exercise",
            "key": exercise.key,
            "exercise_kind": exercise.kind,
            "number": exercise.number,
            "module": exercise.key.split(".", 1)[0],
        }
        items.append(context)
        doing.append(
            Option(f"{PREFIX}:{reminder_id}:x:{exercise.key}", "reminders.btn_do_exercise", context)
        )
    if waiting.kltb:
        step = waiting.kltb[0]
        context = {
            "kind": "kltb",
            "name": step.name,
            "step": step.step,
            "plan": _short(step.plan),
            "more": len(waiting.kltb) - 1,
            "actor_id": step.actor_id,
            "ask": step.follow_up,
            "due": local_parts(step.due_at, zone) if step.due_at else None,
        }
        items.append(context)
    asking: tuple[tuple[Option, ...], ...] = ()
    if waiting.kltb and waiting.kltb[0].follow_up:  # how did it go? reached / a new date
        ask = f"{PREFIX}:{reminder_id}:g:{waiting.kltb[0].actor_id}"
        asking = (
            (
                Option(f"{ask}:d", "reminders.btn_kltb_done", items[-1]),
                Option(f"{ask}:m", "reminders.btn_kltb_later", items[-1]),
            ),
        )
    elif waiting.kltb:
        doing.append(
            Option(
                f"{PREFIX}:{reminder_id}:k:{waiting.kltb[0].actor_id}",
                "reminders.btn_do_kltb",
                items[-1],
            )
        )
    if waiting.ties:
        tie = waiting.ties[0]
        tie_ask = tie.follow_up and not asking  # one follow-up per nudge: KLTB's goes first
        context = {
            "kind": "tie",
            "tie_id": tie.tie_id,
            "ask": tie_ask,
            "source": tie.source,
            "target": tie.target,
            "due": local_parts(tie.due_at, zone),
            "more": len(waiting.ties) - 1,
        }
        items.append(context)
        if tie_ask:  # how did it go? done / not yet (a new date) / dropped
            ask = f"{PREFIX}:{reminder_id}:f:{tie.tie_id}"
            asking = (
                (
                    Option(f"{ask}:d", "reminders.btn_follow_done", context),
                    Option(f"{ask}:m", "reminders.btn_follow_later", context),
                ),
                (Option(f"{ask}:x", "reminders.btn_follow_drop", context),),
            )
        else:
            doing.append(
                Option(f"{PREFIX}:{reminder_id}:t:{tie.tie_id}", "reminders.btn_do_tie", context)
            )
    if not items and not message:
        return None
    rows: tuple[tuple[Option, ...], ...] = tuple((option,) for option in doing) + asking
    rows += (
        tuple(
            Option(f"{PREFIX}:{reminder_id}:s:{choice}", f"reminders.btn_snooze_{choice}")
            for choice in SNOOZES
        ),
        (Option(f"{PREFIX}:{reminder_id}:stop", "reminders.btn_stop"),),
    )
    context = {"name": name or "", "items": items, "coach": coach, "message": message}
    return Reply("reminders.nudge", context, rows)


def _short(text: str | None) -> str | None:
    if not text:
        return None
    text = " ".join(text.split())
    return text if len(text) <= PLAN_MAX else text[: PLAN_MAX - 1].rstrip() + "…"
