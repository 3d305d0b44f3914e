"""Coaches in Telegram: cohorts, invites, deep links, /kohort, /ingatkan — on both databases."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.conversations import Handled, Identity, handle_event
from cli.cohort import bot_username
from coaching.cohort import PAYLOAD
from coaching.model import Event, EventKind
from storage import coach_views, cohorts
from storage.db import Database
from storage.models import (
    Actor,
    AnalysisSnapshot,
    Answer,
    KltbEntry,
    NetworkMap,
    OutboxMessage,
    Participant,
    PlannedTie,
    Progress,
    Reminder,
    Tie,
)
from tests.support import NOW, telegram_html_errors, transaction
from tests.test_terminal import run_cli
from tools.botapi_emulator import BotApiEmulator

MARKUP_REFLECTION = "<script>alert('x')</script> Kami & mitra <b>berbagi</b> data."


class Person:
    """Someone writing to the bot in Telegram, driven through the real unit of work."""

    def __init__(self, db: Database, user_id: int, language: str = "id") -> None:
        self.db = db
        self.user_id = user_id
        self.who = Identity(f"tg:{user_id}", "telegram", user_id, language)
        self.update = user_id * 1000

    async def say(self, text: str, now: Any = NOW) -> Handled:
        self.update += 1
        return await handle_event(
            self.db, self.who, Event.of_text(text), update_id=self.update, now=now
        )

    async def press(self, value: str, *, stable: bool = False, now: Any = NOW) -> Handled:
        self.update += 1
        seq = 0 if stable else await self.seq()
        event = Event(EventKind.CHOICE, choice=value, seq=seq)
        return await handle_event(self.db, self.who, event, update_id=self.update, now=now)

    async def seq(self) -> int:
        with transaction(self.db) as session:
            found = session.execute(
                select(Participant.seq).where(Participant.external_id == self.who.external_id)
            )
            return int(found.scalar_one())

    async def row(self) -> Participant:
        with transaction(self.db) as session:
            return (
                session.execute(
                    select(Participant).where(Participant.external_id == self.who.external_id)
                )
            ).scalar_one()

    async def onboard(self, name: str, join_code: str | None = None, now: Any = NOW) -> None:
        await self.say(f"/start join_{join_code}" if join_code else "/start", now)
        await self.press("agree", now=now)
        await self.press("lang:id", now=now)
        await self.say(name, now)
        await self.say("Bappeda Kabupaten Karawang", now)
        await self.press("WIB", now=now)
        await self.press("daily", now=now)

    async def payloads(self, since: int = 0) -> list[dict[str, Any]]:
        with transaction(self.db) as session:
            rows = session.execute(
                select(OutboxMessage.id, OutboxMessage.payload)
                .where(OutboxMessage.chat_id == self.user_id, OutboxMessage.id > since)
                .order_by(OutboxMessage.id)
            )
            return [payload for _, payload in rows.all()]

    async def last_id(self) -> int:
        with transaction(self.db) as session:
            return int(
                session.scalar(
                    select(func.coalesce(func.max(OutboxMessage.id), 0)).where(
                        OutboxMessage.chat_id == self.user_id
                    )
                )
                or 0
            )

    async def answer(self, do: Any) -> list[dict[str, Any]]:
        """What the bot says to this person in answer to ``do`` (an awaitable)."""
        before = await self.last_id()
        await do
        return await self.payloads(before)


def texts(payloads: list[dict[str, Any]]) -> str:
    return "\n".join(p["text"] for p in payloads)


def buttons(payloads: list[dict[str, Any]]) -> list[str]:
    return [b["value"] for p in payloads for row in p.get("buttons") or [] for b in row]


@dataclass
class World:
    db: Database
    a: cohorts.CreatedCohort
    b: cohorts.CreatedCohort
    coach_a: Person
    coach_b: Person
    sari: Person
    rudi: Person
    sari_id: int
    rudi_id: int


async def world(db: Database) -> World:
    """Two cohorts, a coach for each, Sari in A (with a map and reflections), Rudi in B."""
    a = await cohorts.create_cohort(db, "PKA Angkatan 12", now=NOW)
    b = await cohorts.create_cohort(db, "PKA Angkatan 13", now=NOW)
    coach_a, coach_b = Person(db, 5001), Person(db, 5002)
    await coach_a.say(f"/start coach_{a.coach_token}")
    await coach_b.say(f"/start coach_{b.coach_token}")
    sari, rudi = Person(db, 1001), Person(db, 1002)
    await sari.onboard("Sari Dewi", a.join_code)
    await rudi.onboard("Rudi Hartono", b.join_code)
    sari_id, rudi_id = (await sari.row()).id, (await rudi.row()).id
    await give_data(db, sari_id, "Sari Dewi")
    await give_data(db, rudi_id, "Rudi Hartono")
    return World(db, a, b, coach_a, coach_b, sari, rudi, sari_id, rudi_id)


async def give_data(db: Database, pid: int, name: str) -> None:
    """A personal map, reflections (one with markup), progress, an analysis, KLTB steps."""
    with transaction(db) as session:
        network_map = NetworkMap(
            participant_id=pid,
            kind="personal",
            title="Jejaring personal saya",
            anklam={},
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(network_map)
        session.flush()
        actors = {}
        for actor, ego, role in (
            (name, True, None),
            ("Budi", False, "Kepala Dinas Pertanian"),
            ("Ani", False, "Ketua KUD"),
            ("Dewi", False, None),
        ):
            row = Actor(
                map_id=network_map.id,
                name=actor,
                name_key=actor.casefold(),
                is_ego=ego,
                role=role,
                resources=[],
                kltb_step="trust" if actor == "Budi" else ("know" if actor == "Ani" else None),
                created_at=NOW,
            )
            session.add(row)
            session.flush()
            actors[actor] = row.id
        for x, y, strength, direction in (
            (name, "Budi", "strong", "both"),
            (name, "Ani", "weak", "both"),
            ("Budi", "Ani", "strong", "both"),
            ("Budi", "Dewi", "weak", "out"),
        ):
            session.add(
                Tie(
                    map_id=network_map.id,
                    source_id=actors[x],
                    target_id=actors[y],
                    strength=strength,
                    direction=direction,
                    flows=["information"],
                    created_at=NOW,
                )
            )
        session.add(
            KltbEntry(
                actor_id=actors["Budi"],
                step="know",
                note=f"Bertemu di rapat koordinasi ({name})",
                done_at=NOW,
            )
        )
        for key, answer in (
            ("bab2.latihan1", f"{MARKUP_REFLECTION} ({name})"),
            ("bab3.evaluasi1", "Ukuran jejaring adalah banyaknya aktor."),
        ):
            session.add(
                Answer(
                    participant_id=pid,
                    exercise_key=key,
                    text=answer,
                    data={},
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
            session.add(Progress(participant_id=pid, item_key=key, completed_at=NOW))
        session.add_all(
            [
                PlannedTie(
                    map_id=network_map.id,
                    source_name="Budi",
                    target_name="Dewi",
                    due_at=datetime(2026, 12, 10, 1, 0, tzinfo=UTC),
                    created_at=NOW,
                ),
                PlannedTie(
                    map_id=network_map.id,
                    source_name="Ani",
                    target_name="Dewi",
                    status="done",
                    note="Bertemu di musyawarah desa",
                    done_at=NOW,
                    created_at=NOW,
                ),
                PlannedTie(
                    map_id=network_map.id,
                    source_name=name,
                    target_name="Pak Camat",
                    status="dropped",
                    dropped_at=NOW,
                    created_at=NOW,
                ),
            ]
        )
        session.add(
            AnalysisSnapshot(
                map_id=network_map.id,
                stage="hub_and_spoke",
                result={"ties": 4},
                created_at=NOW - timedelta(days=3),
            )
        )


# --- what coaches see -----------------------------------------------------------------------


async def test_participants_cannot_use_coach_commands(db: Database) -> None:
    w = await world(db)
    for command in ("/kohort", "/ingatkan", "/dasbor"):
        said = await w.sari.answer(w.sari.say(command))
        assert "hanya untuk pendamping" in texts(said), command
    forged = await w.sari.answer(w.sari.press(f"ko:p:{w.rudi_id}", stable=True))
    assert "Rudi" not in texts(forged)
    assert "hanya untuk pendamping" in texts(forged)


async def test_kohort_lists_cohorts_then_roster_then_a_participants_detail(db: Database) -> None:
    w = await world(db)
    listed = await w.coach_a.answer(w.coach_a.say("/kohort"))
    text = texts(listed)
    assert "PKA Angkatan 12" in text and "1 peserta" in text and "PKA Angkatan 13" not in text
    assert "Sari Dewi" in text and "▓" in text and "aktif hari ini" in text
    assert f"ko:p:{w.sari_id}" in buttons(listed) and f"ko:c:{w.a.id}" in buttons(listed)
    assert all(p["seq"] == 0 for p in listed)  # stable buttons: older lists stay usable
    detail = await w.coach_a.answer(w.coach_a.press(f"ko:p:{w.sari_id}", stable=True))
    text = texts(detail)
    assert "Sari Dewi" in text and "Refleksi" in text
    assert "&lt;script&gt;" in text and "<script>" not in text
    assert "Budi: TRUST" in text and "Ani: KNOW" in text
    assert "hub tunggal" in text  # stage history, in the module's words
    assert "Budi — Dewi: direncanakan 2026-12-10" in text
    assert "Ani — Dewi: ✅ terlaksana 2026-11-29 — <i>Bertemu di musyawarah desa</i>" in text
    assert "Sari Dewi — Pak Camat: ✖️ dibatalkan 2026-11-29" in text
    pictures = [p for p in detail if p.get("attachment")]
    assert len(pictures) == 1 and pictures[0]["attachment"]["type"] == "map"
    assert "Budi" in pictures[0]["attachment"]["actors"]
    assert f"ko:d:{w.sari_id}" in buttons(detail)  # a nudge in the coach's own words
    for payload in listed + detail:
        assert telegram_html_errors(payload["text"]) == [], payload["text"]
    # Looking at a participant changes nothing in the coach's own conversation.
    assert (await w.coach_a.row()).state == "onboarding.consent"


async def test_a_coach_who_is_also_a_participant_keeps_both(db: Database) -> None:
    w = await world(db)
    await w.rudi.say(f"/start coach_{(await cohorts.invite_coach(db, w.a.id, now=NOW))[0]}")
    assert (await w.rudi.row()).state == "menu.main" and await w.rudi.seq() > 0
    listed = await w.rudi.answer(w.rudi.say("/kohort"))
    assert listed and all(p["seq"] == 0 for p in listed if p.get("buttons"))
    detail = await w.rudi.answer(w.rudi.press(f"ko:p:{w.sari_id}", stable=True))
    assert "Sari Dewi" in texts(detail)
    assert (await w.rudi.row()).state == "menu.main"  # still where they were as a participant
    menu = await w.rudi.answer(w.rudi.press("next"))
    assert menu  # their own participant buttons still work


async def test_needs_attention_means_silent_for_a_week_or_behind_the_cohorts_pace(
    db: Database,
) -> None:
    w = await world(db)
    tono, lina = Person(db, 1004), Person(db, 1005)
    await tono.onboard("Tono", w.a.join_code, now=NOW - timedelta(days=8))
    await lina.onboard("Lina", w.a.join_code, now=NOW - timedelta(days=1))
    await give_data(db, (await lina.row()).id, "Lina")
    coach = await coach_id(db, 5001)
    with transaction(db) as session:
        roster = coach_views.roster(session, coach, w.a.id, NOW)
    flags = {m.name: (m.idle, m.behind) for m in roster.members}
    # Two items done by the median participant: Tono (none, silent 8 days) is both.
    assert flags == {"Lina": (False, False), "Sari Dewi": (False, False), "Tono": (True, True)}
    assert roster.cohort.flagged == 1 and roster.pace == 2


async def coach_id(db: Database, telegram_user_id: int) -> int:
    with transaction(db) as session:
        found = coach_views.coach_id_of(session, telegram_user_id)
    assert found is not None
    return found


async def test_coach_a_cannot_open_coach_bs_cohort_or_participant(db: Database) -> None:
    w = await world(db)
    for forged in (f"ko:c:{w.b.id}", f"ko:p:{w.rudi_id}", f"ko:n:{w.rudi_id}", f"ko:a:{w.b.id}"):
        said = await w.coach_a.answer(w.coach_a.press(forged, stable=True))
        assert "tidak dapat Anda buka" in texts(said), forged
        assert "Rudi" not in texts(said) and "Angkatan 13" not in texts(said)
    with transaction(db) as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Reminder).where(Reminder.kind == "coach")
            )
            == 0
        )
        a_id = coach_views.coach_id_of(session, 5001)
        assert a_id is not None
        with pytest.raises(coach_views.Forbidden):
            coach_views.roster(session, a_id, w.b.id, NOW)
        with pytest.raises(coach_views.Forbidden):
            coach_views.participant_detail(session, a_id, w.rudi_id, NOW)
        with pytest.raises(coach_views.Forbidden):
            coach_views.participant_detail(session, a_id, 999_999, NOW)


async def test_ingatkan_nudges_one_participant_or_everyone_flagged(db: Database) -> None:
    w = await world(db)
    tono = Person(db, 1004)
    await tono.onboard("Tono", w.a.join_code, now=NOW - timedelta(days=8))
    pick = await w.coach_a.answer(w.coach_a.say("/ingatkan"))
    # everyone can be nudged; whoever needs attention comes first, marked
    assert "<b>Tono</b> (no. " in texts(pick) and "<b>Sari Dewi</b> (no. " in texts(pick)
    assert texts(pick).index("Tono") < texts(pick).index("Sari")
    assert f"ko:a:{w.a.id}" in buttons(pick)
    one = await w.coach_a.answer(w.coach_a.press(f"ko:n:{w.sari_id}", stable=True))
    assert "Pengingat untuk <b>Sari Dewi</b>: dijadwalkan" in texts(one)
    again = await w.coach_a.answer(w.coach_a.press(f"ko:n:{w.sari_id}", stable=True))
    assert "sudah dijadwalkan" in texts(again)
    everyone = await w.coach_a.answer(w.coach_a.press(f"ko:a:{w.a.id}", stable=True))
    assert "1 dijadwalkan" in texts(everyone)
    tono_id = (await tono.row()).id
    with transaction(db) as session:
        nudged = (
            session.execute(select(Reminder.participant_id).where(Reminder.kind == "coach"))
        ).scalars()
        assert sorted(nudged) == sorted([w.sari_id, tono_id])


async def test_dasbor_sends_a_login_link_only_to_coaches(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await world(db)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("DASHBOARD_SECRET", raising=False)
    off = await w.coach_a.answer(w.coach_a.say("/dasbor"))
    assert "belum disiapkan" in texts(off)
    monkeypatch.setenv("DASHBOARD_SECRET", "s3cret")
    monkeypatch.setenv("PUBLIC_URL", "https://coach.example.org/")
    said = await w.coach_a.answer(w.coach_a.say("/dasbor"))
    links = re.findall(r'href="(https://coach\.example\.org/login/[^"]+)"', texts(said))
    assert len(links) == 1 and "15 menit" in texts(said)
    help_text = texts(await w.coach_a.answer(w.coach_a.say("/bantuan")))
    assert "/kohort" in help_text and "/dasbor" in help_text
    assert "/kohort" not in texts(await w.sari.answer(w.sari.say("/bantuan")))


# --- the operator's command ----------------------------------------------------------------


def test_cohort_create_prints_two_deep_links(tmp_path: Any) -> None:
    env = {"TELEGRAM_BOT_USERNAME": "jejaring_bot"}
    result = run_cli(["cohort", "create", "PKA Angkatan 12"], "", tmp_path, **env)
    assert result.returncode == 0, result.stderr
    links = re.findall(r"https://t\.me/jejaring_bot\?start=(\S+)", result.stdout)
    assert [link.split("_", 1)[0] for link in links] == ["join", "coach"]
    assert all(PAYLOAD.match(link) for link in links)
    listed = run_cli(["cohort", "list"], "", tmp_path, **env)
    assert "PKA Angkatan 12" in listed.stdout and links[0] in listed.stdout
    bad = run_cli(["cohort", "create", "<b>Angkatan</b>"], "", tmp_path, **env)
    assert bad.returncode == 2 and "plain words" in bad.stderr
    nameless = run_cli(["cohort", "create", "PKA"], "", tmp_path)
    assert nameless.returncode == 2 and "TELEGRAM_BOT_USERNAME" in nameless.stderr


async def test_the_bot_username_comes_from_getme_without_the_variable() -> None:
    async with BotApiEmulator(token="123456:TEST-token") as emu:
        env = {"TELEGRAM_BOT_TOKEN": "123456:TEST-token", "TELEGRAM_API_BASE_URL": emu.base_url}
        assert await bot_username(env) == "jejaring_test_bot"
