"""Issue 14: ordinary typing understood — dates and times as people type them (Indonesian and
English), time zones by Indonesian place, and /bantuan per role."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time

import pytest

from coaching.dates import parse_day, parse_time
from coaching.model import Event, EventKind, PlanKltb
from coaching.places import find_zone
from tests.support import Conversation
from tests.test_handlers import Harness, bot  # noqa: F401  (the fixture)
from tests.test_plans import BRIDGE, personal

THURSDAY = date(2026, 12, 3)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("besok", date(2026, 12, 4)),
        ("lusa", date(2026, 12, 5)),
        ("senin depan", date(2026, 12, 7)),
        ("minggu depan", date(2026, 12, 10)),
        ("15/12", date(2026, 12, 15)),
        ("15 Des", date(2026, 12, 15)),
        ("akhir bulan", date(2026, 12, 31)),
        ("2 minggu lagi", date(2026, 12, 17)),
        ("tomorrow", date(2026, 12, 4)),
        ("next monday", date(2026, 12, 7)),
        ("15 Dec", date(2026, 12, 15)),
        ("end of month", date(2026, 12, 31)),
        ("in 2 weeks", date(2026, 12, 17)),
        ("3/1", date(2027, 1, 3)),  # passed this year: next year's
        ("3", None),
        ("Bandung", None),
        ("x" * 500, None),
    ],
)
def test_days_as_people_type_them(typed: str, expected: date | None) -> None:
    assert parse_day(typed, THURSDAY) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("19.30", time(19, 30)),
        ("jam 7 malam", time(19, 0)),
        ("pukul 8 pagi", time(8, 0)),
        ("7pm", time(19, 0)),
        ("3 sore", time(15, 0)),
        ("7", None),
        ("24.00", None),
    ],
)
def test_times_as_people_type_them(typed: str, expected: time | None) -> None:
    assert parse_time(typed) == expected


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Bandung", "Asia/Jakarta"),
        ("Kota Makassar", "Asia/Makassar"),
        ("Kabupaten Jayapura", "Asia/Jayapura"),
        ("Makasar", "Asia/Makassar"),  # a near miss
        ("Jawa Barat", "Asia/Jakarta"),
        ("NTT", "Asia/Makassar"),
        ("Papua Pegunungan", "Asia/Jayapura"),
        ("Pontianak", "Asia/Jakarta"),
        ("wita", "Asia/Makassar"),
        ("Asia/Tokyo", "Asia/Tokyo"),
        ("Atlantis", None),
    ],
)
def test_time_zones_by_place(typed: str, zone: str | None) -> None:
    found = find_zone(typed)
    assert (found.zone if found else None) == zone


def test_every_province_is_known() -> None:
    provinces = {find_zone(p).province for p in _PROVINCES}  # type: ignore[union-attr]
    assert len(provinces) == 38


_PROVINCES = """Aceh; Sumatera Utara; Sumatera Barat; Riau; Kepulauan Riau; Jambi; Sumatera Selatan;
Kepulauan Bangka Belitung; Bengkulu; Lampung; DKI Jakarta; Banten; Jawa Barat; Jawa Tengah;
DI Yogyakarta; Jawa Timur; Kalimantan Barat; Kalimantan Tengah; Bali; Nusa Tenggara Barat;
Nusa Tenggara Timur; Kalimantan Selatan; Kalimantan Timur; Kalimantan Utara; Sulawesi Utara;
Gorontalo; Sulawesi Tengah; Sulawesi Barat; Sulawesi Selatan; Sulawesi Tenggara; Maluku;
Maluku Utara; Papua; Papua Barat; Papua Barat Daya; Papua Selatan; Papua Tengah;
Papua Pegunungan""".replace("\n", " ").split("; ")


def test_a_kltb_due_date_typed_is_echoed_and_saved_on_one_tap() -> None:
    convo = Conversation()
    convo.onboard()
    view = personal(BRIDGE)
    thursday = datetime(2026, 12, 3, 3, tzinfo=UTC)  # 10:00 WIB
    convo.snap = dataclasses.replace(convo.snap, maps=(view,), network=view, now=thursday)
    convo.send("/menu")
    convo.press("kltb")
    convo.press("pick:0")
    convo.press("plan")
    convo.send("Ngopi bersama membahas data gabah")
    assert convo.snap.state == "kltb.due"
    shown = convo.send("senin depan")
    assert "Senin, 7 Des 2026" in shown[0].plain and convo.outcome is not None
    assert convo.outcome.effects == () and convo.buttons[0] == "day:2026-12-07"
    convo.press("day:2026-12-07")
    (effect,) = convo.outcome.effects
    assert isinstance(effect, PlanKltb)
    assert effect.due_at == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # 08:00 WIB that Monday
    assert convo.snap.state == "kltb.actor"


async def test_bandung_is_taken_as_wib_during_onboarding(bot: Harness) -> None:  # noqa: F811
    await bot.feed(bot.sari.text("/start"))
    await bot.feed(bot.sari.press("j1:1:agree"))
    await bot.feed(bot.sari.press("j1:2:lang:id"))
    await bot.feed(bot.sari.text("Sari Dewi"))
    await bot.feed(bot.sari.text("Bappeda Kota Bandung"))
    sent = await bot.feed(bot.sari.text("Bandung"))
    assert "Bandung (Jawa Barat): zona waktu <b>WIB</b>" in sent[0]["text"]
    assert (await bot.participant()).timezone == "Asia/Jakarta"
    assert (await bot.participant()).state == "onboarding.reminder"


async def test_help_lists_the_map_commands_with_examples(bot: Harness) -> None:  # noqa: F811
    sent = await bot.feed(bot.sari.text("/bantuan"))
    shown = sent[0]["text"]
    for command in ("/peta", "/analisis", "/tambah", "/hubung", "/urungkan", "/menu", "/rencana"):
        assert command in shown, command
    assert "/tambah Bu Ani" in shown and "senin depan" in shown
    assert "/kohort" not in shown  # a participant is not shown the coach's commands


def test_a_coach_gets_the_coach_commands_too() -> None:
    from coaching.cohort import CoachView

    convo = Conversation()
    convo.snap = dataclasses.replace(convo.snap, coach=CoachView(user_id=1, cohorts=()))
    said = convo.send(Event(EventKind.COMMAND, command="bantuan"))
    shown = {s.key: s.plain for s in said}
    assert "/kohort" in shown["coach.help"] and "/ingatkan" in shown["coach.help"]
    assert "/start" in shown["common.help"]  # no participant yet: told how to become one


def test_a_refused_tambah_name_is_asked_again_and_the_next_line_is_taken() -> None:
    from tests.test_network import names, network_convo

    convo = network_convo()
    shown = convo.send("/tambah Bu Ani 👩‍💼")
    assert "Ketik lagi" in shown[0].plain and convo.snap.state == "network.name"
    shown = convo.send("Bu Ani")
    assert "Bu Ani" in names(convo) and convo.snap.state == "network.home"
    assert "belum mengerti" not in " ".join(s.plain for s in shown)


def test_a_quick_line_is_answered_briefly_and_the_page_comes_on_request() -> None:
    from tests.test_network import network_convo

    convo = network_convo()
    shown = convo.send("Pak Budi - Bu Ani kuat")
    assert [s.key for s in shown] == ["network.quick_saved", "network.home_brief"]
    assert "2 hubungan" not in shown[-1].plain and "aktor" in shown[-1].plain
    assert set(convo.buttons) <= {"know:0", "know:1", "undo", "page"} and "page" in convo.buttons
    shown = convo.send("Bu Ani - Pak Camat")  # more lines straight away
    assert shown[-1].key == "network.home_brief"
    convo.press("page")
    assert convo.last[-1].key == "network.home" and "analyse" in convo.buttons
