"""Coaches in Telegram (issue 15): their own home and command menu, progress that counts map
work, and nudges offered only where they can be delivered — through the real PTB Application
with real ``Update`` objects."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from storage import cohorts
from storage.db import Database
from storage.models import Reminder
from tests.ptb import Person
from tests.support import NOW, transaction
from tests.test_join import Room, said


@pytest.fixture
async def room(db: Database) -> AsyncIterator[Room]:
    harness = Room(db)
    async with harness.app:
        yield harness


def offered(room: Room, messages: list[dict[str, Any]]) -> list[str]:
    """The values of the buttons offered (without the ``j1:<seq>:`` envelope)."""
    return [b.split(":", 2)[2] for m in messages for b in room.buttons(m)]


async def onboard(room: Room, who: Person, code: str, name: str, reminders: str) -> None:
    await room.say(who, f"/start join_{code}")
    await room.tap(who, "agree")
    await room.tap(who, "lang:id")
    await room.say(who, name)
    await room.say(who, "Bappeda Karawang")
    await room.tap(who, "WIB")
    await room.tap(who, reminders)


def coach_menus(room: Room) -> list[dict[str, Any]]:
    calls = [p for m, p in room.request.calls if m == "setMyCommands" and p.get("scope")]
    for call in calls:
        for key in ("scope", "commands"):
            if isinstance(call[key], str):
                call[key] = json.loads(call[key])
    return calls


async def test_a_coach_gets_the_coach_home_and_menu_not_the_consent(
    room: Room, db: Database
) -> None:
    cohort = await cohorts.create_cohort(db, "PKA Angkatan 40", now=NOW)
    coach = Person(room.app, 6001)
    welcome = await room.say(coach, f"/start coach_{cohort.coach_token}")
    assert "pendamping" in said(welcome)
    menus = coach_menus(room)
    assert len(menus) == 1
    assert menus[0]["scope"] == {"type": "chat", "chat_id": 6001}
    names = [c["command"] for c in menus[0]["commands"]]
    assert names[:3] == ["kohort", "ingatkan", "dasbor"] and "menu" in names

    for command in ("/start", "/menu"):
        home = await room.say(coach, command)
        text = said(home)
        assert "Beranda pendamping" in text and "PKA Angkatan 40" in text, command
        assert "Persetujuan" not in text, command
        assert f"ko:c:{cohort.id}" in offered(room, home) and "ko:me" in offered(room, home)
    # the coach may choose to learn as a participant too: then, and only then, the consent
    consent = await room.tap(coach, "ko:me", stable=True)
    assert "Persetujuan penyimpanan data" in said(consent)


async def test_a_coach_who_is_also_a_participant_has_both_apart(room: Room, db: Database) -> None:
    theirs = await cohorts.create_cohort(db, "PKA Angkatan 41", now=NOW)
    coached = await cohorts.create_cohort(db, "PKA Angkatan 42", now=NOW)
    nia = Person(room.app, 6002)
    await onboard(room, nia, theirs.join_code, "Nia Kurnia", "daily")
    await room.say(nia, f"/start coach_{coached.coach_token}")
    shown = await room.say(nia, "/menu")
    assert len(shown) == 2  # two messages: the coach home, then her own menu
    assert "Beranda pendamping" in shown[0]["text"] and "PKA Angkatan 42" in shown[0]["text"]
    assert "ko:me" not in offered(room, shown[:1])
    assert "Beranda pendamping" not in shown[1]["text"] and "Bab II" in shown[1]["text"]
    again = await room.say(nia, "/start")
    assert "Beranda pendamping" in again[0]["text"] and "Nia Kurnia" in said(again[1:])


async def test_roster_counts_map_work_and_a_nudge_is_offered_only_where_it_reaches(
    room: Room, db: Database
) -> None:
    cohort = await cohorts.create_cohort(db, "PKA Angkatan 43", now=NOW)
    coach = Person(room.app, 6003)
    await room.say(coach, f"/start coach_{cohort.coach_token}")
    sari, tono = Person(room.app, 6004), Person(room.app, 6005)
    await onboard(room, sari, cohort.join_code, "Sari Dewi", "daily")
    await onboard(room, tono, cohort.join_code, "Tono Wijaya", "off")
    # Sari builds her map in the chat: network work counts in what her coach sees
    await room.say(sari, "/hubung Pak Budi - Bu Ani kuat")
    sari_id = (await room.row(6004)).id
    tono_id = (await room.row(6005)).id

    roster = await room.tap(coach, f"ko:c:{cohort.id}", stable=True)
    text = said(roster)
    labels = [b["text"] for m in roster for row in _rows(m) for b in row]
    sari_label = next(label for label in labels if "Sari Dewi" in label)
    done, total = (int(x) for x in sari_label.rsplit(" ", 1)[-1].split("/"))
    assert done >= 1 and total > 18, sari_label  # 18 exercises + the network work
    assert "Tono Wijaya" in text

    # Tono turned reminders off: no "Ingatkan Tono" anywhere, and the coach is told why
    detail = await room.tap(coach, f"ko:p:{tono_id}", stable=True)
    assert not {f"ko:n:{tono_id}", f"ko:d:{tono_id}"} & set(offered(room, detail))
    assert "pengingat dimatikan" in said(detail)
    pick = await room.say(coach, "/ingatkan")
    assert not {f"ko:n:{tono_id}", f"ko:d:{tono_id}"} & set(offered(room, pick))
    assert "Tono Wijaya" in said(pick) and "pengingat dimatikan" in said(pick)
    # an old button still refuses with the reason; nothing is queued
    old = await room.tap(coach, f"ko:n:{tono_id}", stable=True)
    assert "tidak dikirim" in said(old) and "mematikan pengingat" in said(old)
    assert not [a for a in room.request.answers() if "Mengirim" in str(a.get("text"))][-1:]
    with transaction(db) as session:
        assert (
            session.execute(select(Reminder).where(Reminder.participant_id == tono_id))
        ).first() is None
    sari_detail = await room.tap(coach, f"ko:p:{sari_id}", stable=True)
    assert f"ko:d:{sari_id}" in offered(room, sari_detail)


def _rows(message: dict[str, Any]) -> list[list[dict[str, Any]]]:
    markup = message.get("reply_markup")
    if not markup:
        return []
    markup = json.loads(markup) if isinstance(markup, str) else markup
    return list(markup["inline_keyboard"])


async def test_every_map_can_be_picked_with_its_history_and_before_after(
    room: Room, db: Database
) -> None:
    from datetime import UTC, datetime, timedelta

    from storage.models import AnalysisSnapshot, NetworkMap

    cohort = await cohorts.create_cohort(db, "PKA Angkatan 44", now=NOW)
    other = await cohorts.create_cohort(db, "PKA Angkatan 45", now=NOW)
    coach, stranger = Person(room.app, 6006), Person(room.app, 6007)
    await room.say(coach, f"/start coach_{cohort.coach_token}")
    await room.say(stranger, f"/start coach_{other.coach_token}")
    sari = Person(room.app, 6008)
    await onboard(room, sari, cohort.join_code, "Sari Dewi", "daily")
    await room.say(sari, "/hubung Pak Budi - Bu Ani kuat")  # her personal map
    sari_id = (await room.row(6008)).id
    with transaction(db) as session:
        maps = (
            (session.execute(select(NetworkMap).where(NetworkMap.participant_id == sari_id)))
            .scalars()
            .all()
        )
        personal = maps[0]
        case = NetworkMap(
            participant_id=sari_id,
            kind="case",
            title="peta_karawang",
            anklam={},
            created_at=NOW,
            updated_at=datetime.now(UTC) + timedelta(hours=1),  # the most recent: shown first
        )
        session.add(case)
        session.flush()
        before = {"actors": 3, "ties": 2, "stage": {"key": "hub_and_spoke"}}
        before["tie_list"] = [["Sari Dewi", "Pak Budi"], ["Sari Dewi", "Bu Ani"]]
        after = {"actors": 3, "ties": 3, "stage": {"key": "multi_hub"}}
        after["tie_list"] = [*before["tie_list"], ["Pak Budi", "Bu Ani"]]
        for days, result in ((5, before), (1, after)):
            session.add(
                AnalysisSnapshot(
                    map_id=personal.id,
                    stage=result["stage"]["key"],
                    result=result,
                    created_at=NOW - timedelta(days=days),
                )
            )
        personal_id, case_id = personal.id, case.id

    detail = await room.tap(coach, f"ko:p:{sari_id}", stable=True)
    assert f"ko:m:{personal_id}" in offered(room, detail)  # the other map, pickable
    assert "memiliki 2 peta" in said(detail)
    picked = await room.tap(coach, f"ko:m:{personal_id}", stable=True)
    text = said(picked)
    assert "Riwayat pola struktur peta ini" in text
    assert "Sebelum → sesudah" in text and "maju" in text
    assert "Pak Budi–Bu Ani" in text or "Bu Ani–Pak Budi" in text
    assert f"ko:m:{case_id}" in offered(room, picked) and f"ko:p:{sari_id}" in offered(room, picked)
    # a forged map id and another cohort's coach: refused, nothing of hers shown
    for who, value in ((coach, f"ko:m:{case_id + 999}"), (stranger, f"ko:m:{personal_id}")):
        refused = await room.tap(who, value, stable=True)
        assert "tidak dapat Anda buka" in said(refused) and "Sari" not in said(refused)


async def test_the_cohort_as_a_network_in_telegram(room: Room, db: Database) -> None:
    from storage.models import Actor, NetworkMap

    cohort = await cohorts.create_cohort(db, "PKA Angkatan 46", now=NOW)
    other = await cohorts.create_cohort(db, "PKA Angkatan 47", now=NOW)
    coach, stranger = Person(room.app, 6010), Person(room.app, 6011)
    await room.say(coach, f"/start coach_{cohort.coach_token}")
    await room.say(stranger, f"/start coach_{other.coach_token}")
    sari, rudi = Person(room.app, 6012), Person(room.app, 6013)
    await onboard(room, sari, cohort.join_code, "Sari Dewi", "daily")
    await onboard(room, rudi, cohort.join_code, "Rudi Hartono", "daily")
    ids = [(await room.row(u)).id for u in (6012, 6013)]
    # Sari knows "Pak Budi Santoso (Bappeda)", who holds funds; Rudi's case needs funds and
    # has "Budi Santoso" on his map too: the same man, as the chat's resolver matches names.
    with transaction(db) as session:
        for pid, kind, purpose, actors in (
            (ids[0], "personal", None, [("Pak Budi Santoso (Bappeda)", ["funds"], None)]),
            (ids[1], "case", "Dana pelatihan petani", [("Budi Santoso", [], None)]),
        ):
            m = NetworkMap(
                participant_id=pid,
                kind=kind,
                title="peta",
                purpose=purpose,
                anklam={},
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(m)
            session.flush()
            for name, resources, needs in actors:
                session.add(
                    Actor(
                        map_id=m.id,
                        name=name,
                        name_key=name.casefold(),
                        is_ego=False,
                        resources=resources,
                        needs=needs,
                        created_at=NOW,
                    )
                )
    roster = await room.tap(coach, f"ko:c:{cohort.id}", stable=True)
    assert f"ko:w:{cohort.id}" in offered(room, roster)
    shown = said(await room.tap(coach, f"ko:w:{cohort.id}", stable=True))
    assert "Aktor bersama" in shown
    assert "Pak Budi Santoso (Bappeda): Rudi Hartono, Sari Dewi" in shown
    assert "Sari Dewi → Rudi Hartono: dana" in shown
    refused = said(await room.tap(stranger, f"ko:w:{cohort.id}", stable=True))
    assert "tidak dapat Anda buka" in refused and "Budi" not in refused


async def test_a_nudge_in_the_coachs_own_words_to_one_or_many(room: Room, db: Database) -> None:
    from datetime import UTC, datetime, timedelta

    from app.reminders import ReminderDispatcher

    cohort = await cohorts.create_cohort(db, "PKA Angkatan 48", now=NOW)
    other = await cohorts.create_cohort(db, "PKA Angkatan 49", now=NOW)
    coach = Person(room.app, 6020)
    await room.say(coach, f"/start coach_{cohort.coach_token}")
    sari, tono, rudi = Person(room.app, 6021), Person(room.app, 6022), Person(room.app, 6023)
    await onboard(room, sari, cohort.join_code, "Sari Dewi", "daily")
    await onboard(room, tono, cohort.join_code, "Tono Wijaya", "weekly")
    await onboard(room, rudi, other.join_code, "Rudi Hartono", "daily")
    sari_id, tono_id, rudi_id = [(await room.row(u)).id for u in (6021, 6022, 6023)]
    # the draft: her name and next step prefilled in a command to copy, edit and send
    detail = await room.tap(coach, f"ko:p:{sari_id}", stable=True)
    assert f"ko:d:{sari_id}" in offered(room, detail)
    draft = said(await room.tap(coach, f"ko:d:{sari_id}", stable=True))
    assert f"<code>/ingatkan {sari_id} Halo Sari Dewi, langkah berikutnya: Bab II" in draft
    # sent in her own words; the coach is told exactly what and when
    words = "Bu Sari, saya tunggu refleksi Latihan II.1 sebelum Kamis ya."
    told = said(await room.say(coach, f"/ingatkan {sari_id} {words}"))
    assert "Pengingat untuk <b>Sari Dewi</b>: dijadwalkan" in told
    assert f"Isi pesan Anda: <i>{words}</i>" in told and ("terkirim" in told)
    # to many at once, each by name; another cohort's participant refuses them all
    refused = said(await room.say(coach, f"/ingatkan {sari_id},{rudi_id} Halo {{nama}}"))
    assert "tidak dapat Anda buka" in refused and "Rudi" not in refused
    many = said(await room.say(coach, f"/ingatkan {sari_id},{tono_id} Halo {{nama}}, semangat!"))
    assert "2 dijadwalkan" in many and "Halo {nama}, semangat!" in many
    # bad input: over-long, no message, a forged id
    long = said(await room.say(coach, f"/ingatkan {sari_id} " + "x" * 501))
    assert "terlalu panjang" in long and "501" in long
    assert "Cara mengirim" in said(await room.say(coach, f"/ingatkan {sari_id}"))
    forged = said(await room.say(coach, "/ingatkan 999999 Halo"))
    assert "tidak dapat Anda buka" in forged
    # what the participants receive: the coach's words, their own name in them
    before = len(room.request.sent())

    # Past the scheduled time (at most the end of tonight's quiet hours, 10 h away) and at
    # 10:00 in Jakarta, outside anyone's quiet hours whatever the hour the test runs at: a
    # fixed "now + 14 h" fell inside them when the suite ran between 00:00 and 10:00 UTC.
    ten_in_jakarta = (datetime.now(UTC) + timedelta(hours=12)).replace(hour=3, minute=0)
    if ten_in_jakarta < datetime.now(UTC) + timedelta(hours=12):
        ten_in_jakarta += timedelta(days=1)

    def later() -> datetime:
        return ten_in_jakarta

    room.deliverer.clock = later
    dispatcher = ReminderDispatcher(db, room.deliverer, worker="t", clock=later)
    await dispatcher.tick()
    await dispatcher.idle()
    await room.deliverer.idle()
    received = {int(m["chat_id"]): m["text"] for m in room.request.sent()[before:]}
    assert "Pesan dari widyaiswara/coach Anda" in received[6021]
    assert "Halo Sari Dewi, semangat!" in received[6021]  # her newer message replaced the first
    assert "Halo Tono Wijaya, semangat!" in received[6022]
    assert "widyaiswara" not in received.get(6023, "")  # Rudi: at most his own reminder
