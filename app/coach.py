"""A coach in the conversation: the screens they ask for, and the nudges they send.

What a coach may see is checked by storage (``storage/cohorts.py`` raises ``Forbidden``); what
to load is what the coach flow declared (``coaching.needs.Focus``); a login link for the
dashboard is minted here when ``/dasbor`` asks for one.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.dashboard import LOGIN_MINUTES, DashboardLinks, mint_login
from coaching import payloads, schedule
from coaching.cohort import CoachView, written_back
from coaching.cohortnet import cohort_network
from coaching.flows import replies
from coaching.model import NudgeParticipants, Reply, ReplyToAnswer
from coaching.needs import Focus
from storage import (
    answer_notes,
    coach_maps,
    coach_views,
    cohorts,
    outbox_queue,
    participants,
    privacy,
    reminders,
)
from storage.arrivals import CoachCheck
from storage.coach_views import Forbidden
from storage.db import Database
from storage.models import NetworkMap

log = logging.getLogger(__name__)


def view(
    session: Session,
    external_id: str,
    wanted: Focus,
    now: datetime,
    links: DashboardLinks | None,
    known: CoachCheck | None = None,
) -> CoachView | None:
    """What a coach's command or button shows; None if the sender coaches nobody.
    ``known``: whether they coach, if read already (``arrivals.arrive``)."""
    tg = cohorts.telegram_user(external_id)
    if tg is None:
        return None
    coach_id = known.coach_id if known is not None else coach_views.coach_id_of(session, tg)
    if coach_id is None:
        return None
    mine = coach_views.cohorts_of(session, coach_id, now)
    shown = CoachView(tg, mine)
    try:
        if wanted.cohort_id is not None:
            roster = coach_views.roster(session, coach_id, wanted.cohort_id, now)
            shown = dataclasses.replace(shown, roster=roster)
            if wanted.network:
                people = coach_maps.cohort_maps(session, wanted.cohort_id)
                shown = dataclasses.replace(shown, network=cohort_network(people))
        elif wanted.participant_id is not None:
            detail = coach_views.participant_detail(session, coach_id, wanted.participant_id, now)
            shown = dataclasses.replace(shown, detail=detail)
        elif wanted.map_id is not None:
            owner = session.scalar(
                select(NetworkMap.participant_id).where(NetworkMap.id == wanted.map_id)
            )
            if owner is None:
                raise Forbidden(f"map {wanted.map_id}")
            detail = coach_views.participant_detail(
                session, coach_id, owner, now, map_id=wanted.map_id
            )
            shown = dataclasses.replace(shown, detail=detail)
        elif wanted.only_cohort and len(mine) == 1:
            roster = coach_views.roster(session, coach_id, mine[0].id, now)
            shown = dataclasses.replace(shown, roster=roster)
    except Forbidden:
        log.warning("coach %s asked for something not theirs", coach_id)
        shown = dataclasses.replace(shown, denied=True)
    if wanted.login:
        if links is None:
            shown = dataclasses.replace(shown, dashboard=False)
        else:
            url = mint_login(session, coach_id, now, links)
            shown = dataclasses.replace(shown, login_url=url, login_minutes=LOGIN_MINUTES)
    return shown


async def nudge(
    db: Database, telegram_user_id: int, effect: NudgeParticipants, now: datetime
) -> Reply:
    """Run a coach's nudge (after the commit: reminders open their own transactions)."""

    def job(session: Session) -> tuple[bool, str | None]:
        return coach_views.nudge_allowed(
            session, telegram_user_id, effect.cohort_id, effect.participant_ids
        )

    allowed, name = await db.run(job)
    if not allowed:
        return Reply("coach.denied")
    if effect.participant_ids is None:
        results = await reminders.nudge_behind(db, effect.cohort_id, now=now)
    else:
        results = [
            await reminders.nudge_participant(
                db, pid, now=now, by=telegram_user_id, message=effect.message
            )
            for pid in effect.participant_ids
        ]
    counts = Counter(r.status for r in results)
    # Exactly what was sent, and when: their local time (quiet hours respected)
    first = next((r for r in results if r.status == "queued" and r.due_at is not None), None)
    when = None
    if first is not None and first.due_at is not None:
        when = {
            **schedule.local_parts(first.due_at, first.zone),
            "now": first.due_at <= now + timedelta(minutes=1),
        }
    context = {
        "message": effect.message,
        "when": when,
        "name": name,
        "total": len(results),
        "queued": counts["queued"],
        "already": counts["already_queued"],
        "off": counts["off"],
        "inactive": counts["inactive"] + counts["no_consent"] + counts["not_found"],
    }
    return Reply("coach.nudged", context)


def reply_as_coach(
    session: Session,
    coach_id: int,
    answer_id: int,
    reply: str | None,
    now: datetime,
    *,
    review: bool = False,
    channel: str = "telegram",
) -> answer_notes.Result:
    """A coach's reply to an answer, stored and queued to the participant (if they can be
    reached) in one transaction, or its review mark: ``/balas``, ``/tinjau`` and the
    dashboard's form."""
    result = answer_notes.reply_as_coach(session, coach_id, answer_id, reply, now, review=review)
    if reply and result.chat_id is not None and result.participant_id is not None:
        said = replies.from_coach(answer_id, result.key or "", reply)
        you = participants.address_form(session, result.participant_id)
        queued = payloads.payloads(result.locale, [said], you=you)
        outbox_queue.enqueue(session, result.participant_id, channel, result.chat_id, queued, now)
    return result


def tell_coaches(session: Session, written: answer_notes.WrittenBack, now: datetime) -> None:
    """The coaches of the participant's cohort hear of the answer back at once, in their own
    language, with a button to reply again; each copy names the participant (it goes with them
    on ``/hapus_data``). In the transaction that stored it."""
    if written.cohort_id is None:
        return
    for chat in answer_notes.coach_chats(session, written.cohort_id):
        if chat.participant_id == written.participant_id:  # a coach writing back to a coach
            continue
        said = written_back(written.answer_id, written.key, written.name, written.note)
        queued = payloads.payloads(chat.locale, [said])
        ids, _ = outbox_queue.enqueue(
            session, chat.participant_id, "telegram", chat.chat_id, queued, now
        )
        privacy.mark_about(session, ids, (written.participant_id,))


async def coach_reply(
    db: Database, telegram_user_id: int, effect: ReplyToAnswer, now: datetime, channel: str
) -> tuple[Reply, int | None]:
    """A coach's ``/balas`` or ``/tinjau``, after the commit; the coach hears how it went (and
    which participant that message names: it goes with them on ``/hapus_data``)."""

    def job(session: Session) -> answer_notes.Result | None:
        coach_id = answer_notes.coach_of(session, telegram_user_id)
        if coach_id is None:
            return None
        review = effect.text is None
        return reply_as_coach(
            session, coach_id, effect.answer_id, effect.text, now, review=review, channel=channel
        )

    result = await db.run(job)
    if result is None:
        return Reply("coach.denied"), None
    context = {"verdict": str(result.verdict), "name": result.name or "", "key": result.key or ""}
    return Reply("replies.result", {**context, "answer": effect.answer_id}), result.participant_id
