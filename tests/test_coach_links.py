"""Cohort and coach links: Telegram's deep-link rule, a coach invite used once, unknown and
expired codes, joining after consent, a cohort name with markup (tests/test_coach.py builds
the world)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coaching.cohort import PAYLOAD
from storage import cohorts
from storage.db import Database
from storage.models import (
    Coach,
    CoachCohort,
    Cohort,
)
from tests.support import NOW, telegram_html_errors, transaction
from tests.test_coach import Person, texts


async def test_cohort_links_obey_telegrams_deep_link_rule(db: Database) -> None:
    created = await cohorts.create_cohort(db, "PKA Angkatan 12", now=NOW)
    for payload in (f"join_{created.join_code}", f"coach_{created.coach_token}"):
        assert PAYLOAD.match(payload) and len(payload) <= 64
    with transaction(db) as session:
        invite_hashes = [h for (h,) in (session.execute(select(Cohort.join_code))).all()]
        stored = (session.execute(select(Cohort))).scalar_one()
    assert created.coach_token not in str(invite_hashes)  # only its hash is stored
    assert stored.name == "PKA Angkatan 12" and stored.left_count == 0


async def test_a_coach_invite_works_once_and_reuse_is_explained(db: Database) -> None:
    created = await cohorts.create_cohort(db, "PKA Angkatan 12", now=NOW)
    coach, other = Person(db, 5001), Person(db, 5003)
    said = await coach.answer(coach.say(f"/start coach_{created.coach_token}"))
    assert "pendamping" in texts(said) and "PKA Angkatan 12" in texts(said)
    assert (await coach.row()).consent_at is None  # a coach need not be a participant
    again = await other.answer(other.say(f"/start coach_{created.coach_token}"))
    assert "sudah pernah dipakai" in texts(again)
    twice = await coach.answer(coach.say(f"/start coach_{created.coach_token}"))
    assert "sudah pernah dipakai" in texts(twice)
    with transaction(db) as session:
        coaches = (session.execute(select(Coach.telegram_user_id))).scalars().all()
        links = (session.execute(select(CoachCohort))).scalars().all()
    assert coaches == [5001] and len(links) == 1


async def test_unknown_and_expired_codes_get_clear_messages(db: Database) -> None:
    created = await cohorts.create_cohort(db, "PKA Angkatan 12", now=NOW, join_days=1, coach_days=1)
    late = NOW + timedelta(days=2)
    coach, sari, budi = Person(db, 5001), Person(db, 1001), Person(db, 1003)
    unknown = await coach.answer(coach.say("/start coach_AAAAAAAAAAAAAAAAAAAAAAAA"))
    assert "tidak dikenal" in texts(unknown)
    expired = await coach.answer(coach.say(f"/start coach_{created.coach_token}", late))
    assert "kedaluwarsa" in texts(expired)
    garbled = await sari.answer(sari.say("/start join_<b>x</b>"))
    assert "tidak dikenal" in texts(garbled) and all(
        telegram_html_errors(p["text"]) == [] for p in garbled
    )
    closed = await budi.answer(budi.say(f"/start join_{created.join_code}", late))
    assert "ditutup" in texts(closed) and "Persetujuan" in texts(closed)
    await budi.press("agree", now=late)
    assert (await budi.row()).cohort_id is None
    with transaction(db) as session:
        assert session.scalar(select(func.count()).select_from(Coach)) == 0


async def test_joining_happens_after_consent_and_is_announced(db: Database) -> None:
    created = await cohorts.create_cohort(db, "PKA Angkatan 12", now=NOW)
    sari = Person(db, 1001)
    said = await sari.answer(sari.say(f"/start join_{created.join_code}"))
    assert "PKA Angkatan 12" in texts(said) and "setelah menyetujui" in texts(said)
    assert (await sari.row()).cohort_id is None
    await sari.press("agree")
    assert (await sari.row()).cohort_id == created.id
    # An onboarded participant opening another cohort's link moves there, and is told so.
    other = await cohorts.create_cohort(db, "PKA Angkatan 13", now=NOW)
    for step in ("lang:id",):
        await sari.press(step)
    moved = await sari.answer(sari.say(f"/start join_{other.join_code}"))
    assert "PKA Angkatan 13" in texts(moved)


async def test_a_cohort_name_with_markup_is_refused_and_shown_escaped(db: Database) -> None:
    for bad in ("<b>Angkatan</b>", "A\x07B", "   ", "x" * 121):  # "A & B" is a name (issue 19)
        with pytest.raises(cohorts.CohortNameError):
            await cohorts.create_cohort(db, bad, now=NOW)
    created = await cohorts.create_cohort(db, "PKA Angkatan 12", now=NOW)
    with transaction(db) as session:
        cohort = session.get(Cohort, created.id)
        assert cohort is not None
        cohort.name = "<i>Angkatan</i> & co"  # written around the checks: still only data
    coach = Person(db, 5001)
    said = await coach.answer(coach.say(f"/start coach_{created.coach_token}"))
    listed = await coach.answer(coach.say("/kohort"))
    for payload in said + listed:
        assert telegram_html_errors(payload["text"]) == [], payload["text"]
    assert "&lt;i&gt;Angkatan&lt;/i&gt; &amp; co" in texts(said + listed)
