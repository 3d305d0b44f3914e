"""Pure scheduling with an injected clock: zones, quiet hours, snooze, pause, DST, behind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.callback import CallbackData
from coaching import schedule
from coaching.model import DueTie, KltbNext, Waiting
from coaching.nudges import compose, due_kltb, due_ties, has_something, kltb_next, next_kltb_step
from coaching.schedule import Preference

SUNDAY = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)  # 16:00 WIB, 17:00 WITA, 18:00 WIT
AMS = "Europe/Amsterdam"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Asia/Jakarta", utc(2026, 11, 30, 1, 0)),  # Monday 08:00 WIB = UTC+7
        ("Asia/Makassar", utc(2026, 11, 30, 0, 0)),  # Monday 08:00 WITA = UTC+8
        ("Asia/Jayapura", utc(2026, 11, 29, 23, 0)),  # Monday 08:00 WIT = UTC+9
        ("WIT", utc(2026, 11, 29, 23, 0)),  # the label works as well as the IANA name
        (None, utc(2026, 11, 30, 1, 0)),  # not chosen yet: WIB
    ],
)
def test_daily_at_eight_local_in_each_indonesian_zone(zone: str | None, expected: datetime) -> None:
    assert schedule.next_due(Preference("daily", zone=zone), SUNDAY) == expected


def test_daily_is_today_when_the_time_is_still_ahead() -> None:
    early = utc(2026, 11, 30, 0, 30)  # 07:30 WIB, but 09:30 WIT
    assert schedule.next_due(Preference("daily", zone="Asia/Jakarta"), early) == utc(
        2026, 11, 30, 1, 0
    )
    assert schedule.next_due(Preference("daily", zone="Asia/Jayapura"), early) == utc(
        2026, 11, 30, 23, 0
    )


def test_due_is_strictly_after_now() -> None:
    pref = Preference("daily", zone="Asia/Jakarta")
    at_eight = utc(2026, 11, 30, 1, 0)
    assert schedule.next_due(pref, at_eight) == at_eight + timedelta(days=1)


def test_weekly_is_on_monday() -> None:
    pref = Preference("weekly", time="09:30", zone="Asia/Makassar")
    assert schedule.next_due(pref, SUNDAY) == utc(2026, 11, 30, 1, 30)
    monday_noon = utc(2026, 11, 30, 4, 0)  # 12:00 WITA: this Monday's 09:30 has passed
    due = schedule.next_due(pref, monday_noon)
    assert (
        due == utc(2026, 12, 7, 1, 30) and due.astimezone(ZoneInfo("Asia/Makassar")).weekday() == 0
    )


@pytest.mark.parametrize("frequency", ["off", None])
def test_no_routine_no_due_time(frequency: str | None) -> None:
    assert schedule.next_due(Preference(frequency), SUNDAY) is None


def test_a_time_inside_quiet_hours_moves_to_their_end() -> None:
    late = Preference("daily", time="22:30", zone="Asia/Jakarta")  # quiet 21:00–07:00
    assert schedule.next_due(late, SUNDAY) == utc(2026, 11, 30, 0, 0)  # Monday 07:00 WIB
    early = Preference("daily", time="05:00", zone="Asia/Jakarta")
    assert schedule.next_due(early, SUNDAY) == utc(2026, 11, 30, 0, 0)
    daytime = Preference(
        "daily", time="14:00", zone="Asia/Jakarta", quiet_start="13:00", quiet_end="15:00"
    )
    assert schedule.next_due(daytime, SUNDAY) == utc(2026, 11, 30, 8, 0)  # 15:00 WIB


def test_quiet_hours_boundaries_and_none() -> None:
    pref = Preference("daily", zone="Asia/Jakarta")
    assert schedule.in_quiet(utc(2026, 11, 29, 14, 0), pref)  # 21:00 WIB: starts
    assert schedule.in_quiet(utc(2026, 11, 29, 23, 59), pref)  # 06:59
    assert not schedule.in_quiet(utc(2026, 11, 30, 0, 0), pref)  # 07:00: over
    assert not schedule.in_quiet(utc(2026, 11, 29, 13, 59), pref)  # 20:59
    none = Preference("daily", zone="Asia/Jakarta", quiet_start="00:00", quiet_end="00:00")
    assert not schedule.in_quiet(utc(2026, 11, 29, 20, 0), none)
    assert schedule.outside_quiet(utc(2026, 11, 29, 20, 0), none) == utc(2026, 11, 29, 20, 0)


def test_snooze_one_hour_tomorrow_and_next_week() -> None:
    pref = Preference("daily", time="08:00", zone="Asia/Makassar")
    now = utc(2026, 11, 30, 0, 5)  # Monday 08:05 WITA
    assert schedule.snooze_until(pref, now, "1h") == now + timedelta(hours=1)
    assert schedule.snooze_until(pref, now, "tmr") == utc(2026, 12, 1, 0, 0)
    assert schedule.snooze_until(pref, now, "wk") == utc(2026, 12, 7, 0, 0)


def test_snoozing_into_quiet_hours_waits_for_morning() -> None:
    pref = Preference("daily", zone="Asia/Jakarta")
    evening = utc(2026, 11, 29, 13, 30)  # 20:30 WIB; an hour later is 21:30, quiet
    assert schedule.snooze_until(pref, evening, "1h") == utc(2026, 11, 30, 0, 0)
    late = Preference("daily", time="23:00", zone="Asia/Jakarta")
    # Tomorrow is Monday: 23:00 is quiet, so Monday's morning — not Tuesday's (a day skipped).
    assert schedule.snooze_until(late, evening, "tmr") == utc(2026, 11, 30, 0, 0)


def test_tomorrow_tapped_after_local_midnight_is_the_coming_day() -> None:
    pref = Preference("daily", time="08:00", zone="Asia/Jakarta")
    # A Monday evening's nudge, "Besok" tapped at 00:30 WIB on Tuesday: Tuesday 08:00.
    after_midnight = utc(2026, 11, 30, 17, 30)
    assert schedule.snooze_until(pref, after_midnight, "tmr") == utc(2026, 12, 1, 1, 0)
    assert schedule.snooze_until(pref, after_midnight, "wk") == utc(2026, 12, 7, 1, 0)
    # The same tap at 20:30 on Monday, or at 10:00 on Tuesday: the next calendar day.
    assert schedule.snooze_until(pref, utc(2026, 11, 30, 13, 30), "tmr") == utc(2026, 12, 1, 1, 0)
    assert schedule.snooze_until(pref, utc(2026, 12, 1, 3, 0), "tmr") == utc(2026, 12, 2, 1, 0)
    # Without quiet hours the small hours end at 04:00.
    awake = Preference(
        "daily", time="08:00", zone="Asia/Jakarta", quiet_start="00:00", quiet_end="00:00"
    )
    assert schedule.snooze_until(awake, utc(2026, 11, 30, 20, 0), "tmr") == utc(2026, 12, 1, 1, 0)
    assert schedule.snooze_until(awake, utc(2026, 11, 30, 21, 30), "tmr") == utc(2026, 12, 2, 1, 0)


def test_three_ignored_nudges_pause() -> None:
    assert [schedule.paused(n) for n in range(5)] == [False, False, False, True, True]


# --- an IANA zone with daylight saving time (the Netherlands, 2026) ------------------------------


def test_a_time_skipped_by_spring_forward_happens_as_late_as_the_gap() -> None:
    pref = Preference("daily", time="02:30", zone=AMS, quiet_start="00:00", quiet_end="00:00")
    saturday = utc(2026, 3, 28, 12, 0)
    assert schedule.next_due(pref, saturday) == utc(2026, 3, 29, 1, 30)  # 03:30 CEST
    assert schedule.next_due(pref, utc(2026, 3, 29, 1, 30)) == utc(2026, 3, 30, 0, 30)  # 02:30


def test_a_time_repeated_by_fall_back_nudges_once_at_its_first_occurrence() -> None:
    pref = Preference("daily", time="02:30", zone=AMS, quiet_start="00:00", quiet_end="00:00")
    first = schedule.next_due(pref, utc(2026, 10, 24, 12, 0))
    assert first == utc(2026, 10, 25, 0, 30)  # 02:30 CEST
    assert schedule.next_due(pref, first) == utc(2026, 10, 26, 1, 30)  # not 02:30 CET too


def test_the_local_time_holds_across_dst_while_utc_moves() -> None:
    pref = Preference("daily", time="08:00", zone=AMS)
    assert schedule.next_due(pref, utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 29, 6, 0)  # CEST
    assert schedule.next_due(pref, utc(2026, 3, 27, 12, 0)) == utc(2026, 3, 28, 7, 0)  # CET


def test_quiet_hours_ending_in_a_repeated_hour_end_after_the_moment() -> None:
    pref = Preference("daily", zone=AMS, quiet_start="21:00", quiet_end="02:30")
    second_pass = utc(2026, 10, 25, 1, 15)  # 02:15 CET, the second time 02:15 happens
    assert schedule.in_quiet(second_pass, pref)
    assert schedule.quiet_ends(second_pass, pref) == utc(2026, 10, 25, 1, 30)  # 02:30 CET


def test_occurrences_of_a_wall_clock_time() -> None:
    from datetime import date, time

    tz = ZoneInfo(AMS)
    assert len(schedule.occurrences(date(2026, 10, 25), time(2, 30), tz)) == 2
    assert len(schedule.occurrences(date(2026, 3, 29), time(2, 30), tz)) == 1
    assert len(schedule.occurrences(date(2026, 11, 29), time(2, 30), ZoneInfo("Asia/Jakarta"))) == 1


ZONES = [
    "Asia/Jakarta",
    "Asia/Makassar",
    "Asia/Jayapura",
    AMS,
    "America/New_York",
    "Australia/Lord_Howe",
]
HOURS = [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 15, 30, 45)]


@settings(max_examples=400, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
    at=st.sampled_from(HOURS),
    start=st.sampled_from(HOURS),
    end=st.sampled_from(HOURS),
    frequency=st.sampled_from(["daily", "weekly"]),
)
def test_due_times_are_after_now_and_never_in_quiet_hours(
    moment: datetime, zone: str, at: str, start: str, end: str, frequency: str
) -> None:
    pref = Preference(frequency, time=at, zone=zone, quiet_start=start, quiet_end=end)
    outside = schedule.outside_quiet(moment, pref)
    assert outside >= moment and not schedule.in_quiet(outside, pref)
    due = schedule.next_due(pref, moment)
    assert due is not None and due > moment and not schedule.in_quiet(due, pref)
    assert due - moment <= timedelta(days=9)
    for choice in schedule.SNOOZES:
        later = schedule.snooze_until(pref, moment, choice)
        assert later > moment and not schedule.in_quiet(later, pref)


def test_parse_times_and_quiet_length() -> None:
    from datetime import time

    assert schedule.parse_hhmm("7:30") == time(7, 30)
    assert schedule.parse_hhmm("19.00") == time(19, 0)
    assert schedule.parse_hhmm(" 08 : 05 ") == time(8, 5)
    for bad in ("24:00", "7", "0730", "7:3", "jam tujuh", "", "12:60"):
        assert schedule.parse_hhmm(bad) is None, bad
    assert schedule.quiet_too_long(time(21), time(21))
    assert schedule.quiet_too_long(time(18), time(11))  # 17 hours
    assert not schedule.quiet_too_long(time(21), time(7))


def test_local_parts_for_templates() -> None:
    assert schedule.local_parts(utc(2026, 11, 30, 1, 0), "Asia/Jakarta") == {
        "weekday": 0,
        "day": 30,
        "month": 11,
        "time": "08:00",
        "zone": "WIB",
    }
    assert schedule.local_parts(utc(2026, 11, 30, 1, 0), AMS)["zone"] == AMS


def test_behind_is_idle_a_week_or_below_the_cohorts_median() -> None:
    assert schedule.cohort_pace([0, 3, 5]) == 3 and schedule.cohort_pace([]) == 0
    assert schedule.cohort_pace([0, 1]) == 0
    recent = SUNDAY - timedelta(days=1)
    assert not schedule.is_behind(completed=3, pace=3, last_active=recent, now=SUNDAY)
    assert schedule.is_behind(completed=2, pace=3, last_active=recent, now=SUNDAY)
    assert schedule.is_behind(
        completed=9, pace=3, last_active=SUNDAY - timedelta(days=7), now=SUNDAY
    )
    assert schedule.is_behind(completed=9, pace=3, last_active=None, now=SUNDAY)


# --- what a nudge names ---------------------------------------------------------------------------


def test_kltb_next_step_follows_the_furthest_reached() -> None:
    assert next_kltb_step([]) == "know"
    assert next_kltb_step(["know"]) == "like"
    assert next_kltb_step(["know", "like", "trust"]) == "buy"
    assert next_kltb_step(["buy"]) is None


def test_a_kltb_pipeline_is_chased_once_under_way() -> None:
    due = SUNDAY - timedelta(days=1)
    assert kltb_next(1, "A", None, {}) is None  # merely on the map
    planned = kltb_next(1, "A", None, {"know": ("Kenalan di rapat", due, None, None)})
    assert planned == KltbNext(1, "A", "know", "Kenalan di rapat", due)  # planned first step
    reached = kltb_next(2, "B", "know", {"know": (None, None, SUNDAY, None)})
    assert reached == KltbNext(2, "B", "like")  # reached, next not planned: undated
    plan = {"know": (None, None, SUNDAY, None), "like": ("Ngopi", due, None, None)}
    assert kltb_next(3, "C", "know", plan) == KltbNext(3, "C", "like", "Ngopi", due)
    assert kltb_next(4, "D", "buy", {}) is None  # the pipeline is complete


def test_due_kltb_and_ties_order_and_filter() -> None:
    later = SUNDAY + timedelta(days=1)
    steps = [
        KltbNext(1, "A", "like"),
        KltbNext(2, "B", "trust", due_at=later),
        KltbNext(3, "C", "like", due_at=SUNDAY - timedelta(days=2)),
    ]
    assert [s.actor_id for s in due_kltb(steps, SUNDAY)] == [3, 1]
    ties = [
        DueTie(7, "Saya", "Kepala Dinas", None, SUNDAY),
        DueTie(8, "A", "B", None, later),
        DueTie(9, "A", "C", None, SUNDAY - timedelta(days=1)),
    ]
    assert [t.tie_id for t in due_ties(ties, SUNDAY)] == [9, 7]


def test_nothing_waiting_means_no_nudge() -> None:
    from coaching.curriculum import EXERCISES

    done = Waiting(completed=frozenset(EXERCISES))
    assert not has_something(done)
    assert compose(1, done, name="Sari", zone=None) is None


def test_a_nudge_names_each_kind_and_its_buttons_fit_telegram() -> None:
    waiting = Waiting(
        completed=frozenset({"bab2.latihan1"}),
        kltb=(KltbNext(12345678, "Pak Budi", "like", "Ngopi bareng"),),
        ties=(DueTie(987654321, "Saya", "Kepala Bappeda", None, SUNDAY),),
    )
    reply = compose(2_000_000_000, waiting, name="Sari", zone="Asia/Jakarta")
    assert reply is not None and reply.key == "reminders.nudge"
    assert [item["kind"] for item in reply.context["items"]] == ["exercise", "kltb", "tie"]
    values = [o.value for o in reply.flat_options()]
    assert values == [
        "rem:2000000000:x:bab2.latihan2",
        "rem:2000000000:k:12345678",
        "rem:2000000000:t:987654321",
        "rem:2000000000:s:1h",
        "rem:2000000000:s:tmr",
        "rem:2000000000:s:wk",
        "rem:2000000000:stop",
    ]
    for value in values:
        assert len(CallbackData(0, value).encode().encode()) <= 64
