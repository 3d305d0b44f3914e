"""A participant who also coaches deletes their data (/hapus_data): the coach role, which is
the cohort organisation's, stays and they are told so and how it goes; nothing of the
participant stays linked to it. The operator removes a coach with ``jejaring cohort
remove-coach``."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import io

import pytest
from sqlalchemy import select

from coaching.cohort import CoachView, CohortSummary
from coaching.model import Snapshot
from storage import cohorts
from storage.db import Database
from storage.models import (
    Answer,
    Coach,
    CoachCohort,
    CoachInvite,
    NetworkMap,
    OutboxMessage,
    Participant,
)
from tests.support import NOW, Conversation, transaction
from tests.test_coach import texts, world
from tests.test_deletion import scan

RUDI = "Rudi Hartono"


def test_the_confirmation_tells_a_coach_their_coach_account_stays_and_how_it_goes() -> None:
    for locale, stays in (("id", "tidak ikut terhapus"), ("en", "is not deleted")):
        convo = Conversation()
        convo.onboard(language=locale)
        coach = CoachView(5003, (CohortSummary(1, "PKA Angkatan 12"),))
        convo.snap = _with_coach(convo.snap, coach)
        said = convo.send("/hapus_data")
        asked = next(s for s in said if s.key == "privacy.confirm")
        assert stays in asked.plain and "PKA Angkatan 12" in asked.plain
        assert "jejaring cohort remove-coach 5003" in asked.plain
        convo.snap = _with_coach(convo.snap, None)
        convo.press("keep")
        said = convo.send("/hapus_data")  # no coach: no such paragraph
        asked = next(s for s in said if s.key == "privacy.confirm")
        assert "remove-coach" not in asked.plain and stays not in asked.plain


def _with_coach(snap: Snapshot, coach: CoachView | None) -> Snapshot:
    return dataclasses.replace(snap, coach=coach)


async def test_hapus_data_of_a_coach_keeps_the_coach_role_and_nothing_of_the_participant(
    db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await world(db)
    token, _ = await cohorts.invite_coach(db, w.a.id, now=NOW)
    await w.rudi.say(f"/start coach_{token}")  # Rudi, a participant of B, coaches A
    detail = await w.rudi.answer(w.rudi.press(f"ko:p:{w.sari_id}", stable=True))
    assert "Sari Dewi" in texts(detail)
    asked = await w.rudi.answer(w.rudi.say("/hapus_data"))
    assert "tidak ikut terhapus" in texts(asked) and "PKA Angkatan 12" in texts(asked)
    assert "remove-coach 1002" in texts(asked)
    await w.rudi.press("delete")

    with transaction(db) as session:
        coach = session.scalars(select(Coach).where(Coach.telegram_user_id == 1002)).one()
        assert coach.name is None  # the coach row holds no participant data
        cohort_ids = list(
            session.scalars(select(CoachCohort.cohort_id).where(CoachCohort.coach_id == coach.id))
        )
        assert cohort_ids == [w.a.id]
        left = [
            session.scalars(select(t).where(t.participant_id == w.rudi_id)).first()
            for t in (Answer, NetworkMap, OutboxMessage)
        ]
        assert left == [None, None, None]
        assert session.get(Participant, w.rudi_id) is None
    assert await scan(db, [RUDI]) == []
    # The role works on: Rudi still coaches A (as a coach only now).
    listed = await w.rudi.answer(w.rudi.say("/kohort"))
    assert "PKA Angkatan 12" in texts(listed)
    assert (await w.rudi.row()).consent_at is None and (await w.rudi.row()).name is None

    # The organiser removes the coach account, as the confirmation said.
    monkeypatch.setenv("DATABASE_URL", database_url)
    code, said = await cli("remove-coach", "1002")
    assert code == 0 and "1 cohort" in said
    with transaction(db) as session:
        assert session.scalars(select(Coach).where(Coach.telegram_user_id == 1002)).first() is None
        used = select(CoachInvite).where(CoachInvite.used_by == 1002)
        assert session.scalars(used).first() is None
        still = select(Coach).where(Coach.telegram_user_id == 5001)
        assert session.scalars(still).first() is not None  # the other coach is untouched
    refused = await w.rudi.answer(w.rudi.say("/kohort"))
    assert "PKA Angkatan 12" not in texts(refused)
    code, said = await cli("remove-coach", "1002")
    assert code == 2 and "no coach" in said


async def cli(*args: str) -> tuple[int, str]:
    from cli.cohort import _cohort
    from cli.main import _parser

    out, err = io.StringIO(), io.StringIO()
    options: argparse.Namespace = _parser().parse_args(["cohort", *args])
    code = await asyncio.wait_for(_cohort(options, out, err), 60)
    return code, out.getvalue() + err.getvalue()
