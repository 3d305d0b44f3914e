"""Authorization matrix: every command, every stable button naming someone's objects, and every
dashboard route, for each kind of person. Nobody sees or changes what is not theirs."""

from __future__ import annotations

from itertools import product

import pytest
from sqlalchemy import func, select

from bot.app import COMMANDS
from storage.db import Database
from storage.models import Answer, NetworkMap, Participant, Reminder
from tests.support import NOW, transaction
from tests.test_coach import Person, texts, world
from tests.test_web import Site, site_for
from web.views import COHORT_ONLY, DOWNLOADS, PARTICIPANT_ONLY

COACH_ONLY = {"kohort", "ingatkan", "dasbor"}
BEFORE_CONSENT_OK = {"start", "bantuan", "bahasa"}


async def test_every_command_for_every_kind_of_person(db: Database) -> None:
    w = await world(db)
    stranger = Person(db, 7777)
    for command in COMMANDS:
        # Someone who never agreed: nothing personal is stored, whatever they type.
        said = texts(await stranger.answer(stranger.say(f"/{command}")))
        with transaction(db) as session:
            row = (
                session.execute(select(Participant).where(Participant.external_id == "tg:7777"))
            ).scalar_one_or_none()
        if row is not None:  # (/hapus_data removes even the bare row)
            assert row.consent_at is None and row.name is None
            assert row.state.startswith("onboarding"), (command, row.state)
        assert "Rudi" not in said and "Sari" not in said and "Angkatan" not in said, command
        # A participant: never another participant's data, never a coach screen.
        said = texts(await w.sari.answer(w.sari.say(f"/{command}")))
        assert "Rudi" not in said and "Angkatan 13" not in said, command
        if command in COACH_ONLY:
            assert "Angkatan 12" not in said and "Sari Dewi ·" not in said, (command, said)
        await w.sari.say("/batal")
        # A coach of cohort A: only cohort A.
        said = texts(await w.coach_a.answer(w.coach_a.say(f"/{command}")))
        assert "Rudi" not in said and "Angkatan 13" not in said, command
        await w.coach_a.say("/batal")
    with transaction(db) as session:
        strangers_data = session.scalar(
            select(func.count())
            .select_from(NetworkMap)
            .join(Participant, NetworkMap.participant_id == Participant.id)
            .where(Participant.external_id == "tg:7777")
        )
    assert strangers_data == 0


@pytest.mark.parametrize("action", ["c", "a", "w"])
async def test_forged_coach_buttons_naming_another_cohort_are_refused(
    db: Database, action: str
) -> None:
    w = await world(db)
    for who, target in ((w.coach_a, w.b.id), (w.sari, w.a.id), (w.sari, w.b.id)):
        said = texts(await who.answer(who.press(f"ko:{action}:{target}", stable=True)))
        assert "Rudi" not in said and "Angkatan 13" not in said
    with transaction(db) as session:
        nudged = session.scalar(
            select(func.count())
            .select_from(Reminder)
            .where(Reminder.participant_id == w.rudi_id, Reminder.kind == "coach")
        )
    assert nudged == 0


@pytest.mark.parametrize("action", ["p", "n"])
async def test_forged_coach_buttons_naming_another_participant_are_refused(
    db: Database, action: str
) -> None:
    w = await world(db)
    for who in (w.coach_a, w.sari, Person(db, 8888)):
        said = texts(await who.answer(who.press(f"ko:{action}:{w.rudi_id}", stable=True)))
        assert "Rudi" not in said
    with transaction(db) as session:
        nudged = session.scalar(
            select(func.count())
            .select_from(Reminder)
            .where(Reminder.participant_id == w.rudi_id, Reminder.kind == "coach")
        )
    assert nudged == 0


async def test_forged_reminder_buttons_naming_someone_elses_reminder_change_nothing(
    db: Database,
) -> None:
    w = await world(db)
    with transaction(db) as session:
        theirs = Reminder(
            participant_id=w.rudi_id,
            kind="exercise",
            ref="bab2.latihan1",
            due_at=NOW,
            status="pending",
            attempts=0,
            created_at=NOW,
        )
        session.add(theirs)
        session.flush()
        reminder_id = theirs.id
    before = await w.rudi.row()
    for value in (
        f"rem:{reminder_id}:s:1h",
        f"rem:{reminder_id}:off",
        f"rem:{reminder_id}:x:bab2.latihan1",
    ):
        handled = await w.sari.press(value, stable=True)
        assert not handled.outbox_ids or "Rudi" not in texts(await w.sari.payloads())
    with transaction(db) as session:
        row = session.get(Reminder, reminder_id)
        assert row is not None and row.status == "pending" and row.due_at == NOW
        answers = session.scalar(
            select(func.count()).select_from(Answer).where(Answer.participant_id == w.rudi_id)
        )
    after = await w.rudi.row()
    assert (after.reminder, after.state) == (before.reminder, before.state)
    assert answers == 2  # Rudi's own reflections, untouched


async def test_every_dashboard_route_for_every_visitor(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    site: Site = await site_for(db, monkeypatch)
    w = site.world
    own = {"cohort": w.a.id, "participant": w.sari_id}
    other = {"cohort": w.b.id, "participant": w.rudi_id}
    routes = [
        "/cohorts/{cohort}",
        "/participants/{participant}",
        "/cohorts/{cohort}/network",
        *(
            f"/cohorts/{{cohort}}/export/{name}"
            for name in DOWNLOADS
            if name not in PARTICIPANT_ONLY
        ),
        *(
            f"/participants/{{participant}}/export/{name}"
            for name in DOWNLOADS
            if name not in COHORT_ONLY
        ),
    ]
    async with site.client() as anonymous:
        for route, ids in product(routes, (own, other)):
            response = await anonymous.get(route.format(**ids))
            assert response.status_code == 401, route
        assert (await anonymous.get("/")).status_code == 401
        assert (await anonymous.get("/login/forged-token")).status_code in (400, 401, 403)
    async with site.signed_in(w.coach_a) as coach:
        for route in routes:
            assert (await coach.get(route.format(**own))).status_code == 200, route
            response = await coach.get(route.format(**other))
            assert response.status_code == 403, route
            assert "Rudi" not in response.text
        assert (await coach.get("/")).status_code == 200


async def test_unicode_digits_in_forged_buttons_and_links_are_refused_not_crashing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    site: Site = await site_for(db, monkeypatch)
    w = site.world
    for who, value in (
        (w.coach_a, "ko:p:²"),
        (w.coach_a, "ko:c:١٢"),
        (w.coach_a, "ko:n:𝟙"),
        (w.sari, "rem:²:s:1h"),  # an onboarded participant: the reminders flow sees it
        (w.sari, "rem:1:x:²"),
    ):
        handled = await who.press(value, stable=True)
        assert not handled.failed, value
    async with site.client() as client:
        for token in ("².1.x.y", "1.².x.y", "٣.٣.x.y"):
            response = await client.get(f"/login/{token}")
            assert response.status_code in (400, 401, 403), token
