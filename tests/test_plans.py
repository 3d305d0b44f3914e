"""Planned ties through the pure engine: /rencana, a nudge's guide and its follow-up."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from coaching.dates import parse_day
from coaching.model import (
    ChangeMap,
    CompleteItem,
    DueTie,
    Event,
    EventKind,
    ResolvePlan,
    Waiting,
)
from coaching.network import Actor, AddTie, DeleteTie, MapView, PlannedTie, TieView
from coaching.nudges import compose, due_ties, follow_up_of
from tests.support import NOW, Conversation, said, telegram_html_errors

BRIDGE = PlannedTie(88, "Pak Budi", "Bu Ani", "bridge", NOW - timedelta(days=1))
LATER = PlannedTie(89, "Sari Dewi", "Pak Camat", "own", NOW + timedelta(days=5))


def personal(*planned: PlannedTie, ties: tuple[TieView, ...] = ()) -> MapView:
    return MapView(
        1,
        "personal",
        "personal",
        actors=(Actor("Sari Dewi", is_ego=True), Actor("Pak Budi"), Actor("Bu Ani")),
        ties=ties,
        planned=planned,
    )


def with_plans(language: str = "id", *planned: PlannedTie) -> Conversation:
    convo = Conversation()
    convo.onboard(language=language)
    view = personal(*(planned or (BRIDGE, LATER)))
    convo.snap = dataclasses.replace(convo.snap, maps=(view,), network=view)
    return convo


def plan(convo: Conversation, plan_id: int) -> PlannedTie:
    return next(p for m in convo.snap.maps for p in m.planned if p.id == plan_id)


def effects(convo: Conversation) -> tuple[object, ...]:
    assert convo.outcome is not None
    return tuple(convo.outcome.effects)


def tap(convo: Conversation, value: str) -> None:
    convo.send(Event(EventKind.CHOICE, choice=value, seq=0))


def nudged(convo: Conversation, ties: tuple[DueTie, ...], reminder_id: int = 5) -> None:
    convo.snap = dataclasses.replace(
        convo.snap, reminders={reminder_id: "sent"}, waiting=Waiting(ties=ties)
    )


# --- /rencana ------------------------------------------------------------------------------------


def test_the_list_shows_open_plans_most_overdue_first_and_is_in_the_menu() -> None:
    convo = with_plans()
    convo.send("/menu")
    assert "plans" in convo.buttons
    shown = convo.press("plans")
    assert convo.snap.state == "plans.list"
    assert "Pak Budi — Bu Ani" in shown[-1].plain and "⏰" in shown[-1].plain
    assert convo.buttons[:2] == ["p:0", "p:1"]
    convo.press("p:0")
    assert convo.snap.state == "plans.item" and convo.snap.data == {"plan": 88}
    # Pak Budi — Bu Ani: either end can become a KLTB target with one tap
    assert convo.buttons == ["kltb:0", "kltb:1", "done", "move", "drop", "back"]


def test_the_map_home_opens_the_list_and_the_list_opens_the_map() -> None:
    convo = with_plans()
    convo.send("/peta")
    assert convo.snap.state == "network.home" and "plans" in convo.buttons
    convo.press("plans")
    assert convo.snap.state == "plans.list"
    convo.press("net")
    assert convo.snap.state == "network.home"
    bare = Conversation()
    bare.onboard()
    bare.send("/peta")  # nothing planned: no button to an empty list
    assert "plans" not in bare.buttons


def test_done_with_a_note_is_stored_and_weaves_the_tie_into_the_map() -> None:
    convo = with_plans()
    convo.send("/rencana")
    convo.press("p:0")
    convo.press("done")
    assert convo.snap.state == "plans.note"
    typed = "Sudah bertemu di rapat koordinasi, Bu Ani akan berbagi data."
    shown = convo.send(typed)
    assert effects(convo) == (
        ResolvePlan(88, "done", note=typed),
        ChangeMap(1, (AddTie("Pak Budi", "Bu Ani"),), (DeleteTie("pak budi", "bu ani"),)),
        CompleteItem("peta.map"),  # the woven tie makes a map with its ties: progress
    )
    assert "tercatat terlaksana" in shown[0].plain and "ditambahkan ke peta" in shown[0].plain
    done = plan(convo, 88)
    assert done.status == "done" and done.done_at == NOW and not done.is_open
    assert convo.snap.network is not None and len(convo.snap.network.ties) == 1
    assert convo.snap.state == "plans.list" and convo.buttons[0] == "p:0"  # LATER remains
    assert "Terakhir ditutup" in shown[-1].plain


def test_done_on_a_tie_already_on_the_map_only_records_it() -> None:
    convo = with_plans()
    tied = personal(BRIDGE, ties=(TieView("bu ani", "pak budi"),))
    convo.snap = dataclasses.replace(convo.snap, maps=(tied,), network=tied)
    convo.send("/rencana")
    convo.press("p:0")
    convo.press("done")
    shown = convo.press("nonote")
    assert effects(convo) == (ResolvePlan(88, "done"),)
    assert "sudah ada di peta" in shown[0].plain


def test_a_typed_date_moves_the_plan_at_the_reminder_time() -> None:
    convo = with_plans()
    convo.send("/rencana")
    convo.press("p:0")
    convo.press("move")
    assert convo.snap.state == "plans.date"
    shown = convo.send("kapan-kapan")
    assert shown[0].key == "common.bad_date" and convo.snap.state == "plans.date"
    shown = convo.send("1/1/2020")
    assert shown[0].key == "common.date_out_of_range"
    shown = convo.send("20 Des")  # echoed as a concrete day, stored on one tap
    assert "Minggu, 20 Des 2026" in shown[0].plain and effects(convo) == ()
    assert convo.buttons[0] == "day:2026-12-20"
    shown = convo.press("day:2026-12-20")
    due = datetime(2026, 12, 20, 1, 0, tzinfo=UTC)  # 08:00 WIB
    assert effects(convo) == (ResolvePlan(88, "move", due_at=due),)
    assert "Minggu, 20 Des" in shown[0].plain
    assert plan(convo, 88).due_at == due and plan(convo, 88).is_open


def test_dropping_asks_first_and_a_stale_confirmation_changes_nothing() -> None:
    convo = with_plans()
    convo.send("/rencana")
    convo.press("p:0")
    convo.press("drop")
    asked_seq = convo.snap.seq
    convo.press("no")
    assert convo.snap.state == "plans.item" and effects(convo) == ()
    convo.press("drop")
    convo.press("yes")
    assert effects(convo) == (ResolvePlan(88, "drop"),)
    assert plan(convo, 88).status == "dropped"
    convo.press("yes", seq=asked_seq)  # the old confirmation again
    assert convo.outcome is not None and convo.outcome.toast == "common.stale_button"
    assert effects(convo) == ()


# --- from a nudge --------------------------------------------------------------------------------


def due(tie: PlannedTie, **changes: object) -> DueTie:
    assert tie.id is not None and tie.due_at is not None
    return dataclasses.replace(DueTie(tie.id, tie.a, tie.b, tie.reason, tie.due_at), **changes)


def test_the_guide_of_a_nudge_offers_done_a_new_date_and_drop() -> None:
    convo = with_plans()
    nudged(convo, (due(BRIDGE),))
    tap(convo, "rem:5:t:88")
    assert convo.snap.state == "reminders.guide"
    assert convo.buttons == ["done", "move", "drop", "menu"]
    convo.press("done")
    assert convo.snap.state == "plans.note" and convo.snap.data == {"plan": 88}
    convo.send("Sudah diperkenalkan.")
    assert effects(convo)[0] == ResolvePlan(88, "done", note="Sudah diperkenalkan.")
    nudged(convo, (due(BRIDGE),))
    tap(convo, "rem:5:t:88")  # the nudge's button again, after it was done
    assert convo.outcome is not None and convo.snap.state == "reminders.guide"
    assert convo.buttons == ["menu"]  # nothing left to do with it


def test_a_week_after_the_date_the_nudge_asks_how_it_went() -> None:
    week_late = dataclasses.replace(BRIDGE, due_at=NOW - timedelta(days=8))
    (tie,) = due_ties([due(week_late)], NOW)
    assert tie.follow_up
    reply = compose(5, Waiting(ties=(tie,)), name="Sari", zone="Asia/Jakarta")
    assert reply is not None and follow_up_of(reply) == 88
    values = [o.value for o in reply.flat_options()]
    asking = [v for v in values if ":f:" in v]
    assert asking == ["rem:5:f:88:d", "rem:5:f:88:m", "rem:5:f:88:x"]
    assert not any(":t:" in v for v in values)  # the question replaces "do it now"
    assert all(len(v.encode()) <= 64 for v in values)
    for locale in ("id", "en"):
        shown = said(locale, reply)
        assert telegram_html_errors(shown.html) == []
    assert "Bagaimana hasilnya?" in said("id", reply).plain
    # Asked since its date: not again; moved to a new date: again a week after that one.
    asked = due(week_late, followup_at=NOW - timedelta(hours=1))
    assert not due_ties([asked], NOW)[0].follow_up
    moved = due(week_late, followup_at=NOW - timedelta(days=20), due_at=NOW - timedelta(days=7))
    assert due_ties([moved], NOW)[0].follow_up
    not_yet = due(BRIDGE)  # one day late
    assert not due_ties([not_yet], NOW)[0].follow_up
    fresh = compose(5, Waiting(ties=due_ties([not_yet], NOW)), name="", zone=None)
    assert fresh is not None and follow_up_of(fresh) is None


def test_the_follow_ups_answer_is_recorded_with_the_decision() -> None:
    convo = with_plans()
    nudged(convo, (due(BRIDGE, follow_up=True),))
    tap(convo, "rem:5:f:88:m")
    assert convo.snap.state == "plans.date"
    assert convo.snap.data == {"plan": 88, "followup": True}
    nudged(convo, (due(BRIDGE, follow_up=True),))
    tap(convo, "rem:5:f:88:m")  # a double tap
    assert convo.outcome is not None and convo.outcome.toast == "reminders.already_open"
    convo.send("minggu depan")
    convo.press(convo.buttons[0])  # ✓ the day it was read as
    (effect,) = effects(convo)
    assert effect == ResolvePlan(
        88, "move", due_at=datetime(2026, 12, 6, 1, 0, tzinfo=UTC), followup=True
    )
    assert plan(convo, 88).followup_answer == "later"
    nudged(convo, (due(BRIDGE, follow_up=True),))
    tap(convo, "rem:5:f:88:x")
    convo.press("yes")
    assert effects(convo) == (ResolvePlan(88, "drop", followup=True),)
    nudged(convo, (due(BRIDGE, follow_up=True),))
    tap(convo, "rem:5:f:88:d")  # dropped already: a pop-up, nothing else
    assert convo.outcome is not None and convo.outcome.toast == "plans.already_dropped"
    assert effects(convo) == ()
    tap(convo, "rem:9:f:88:d")  # not one of their nudges
    assert convo.outcome is not None and convo.outcome.toast == "common.stale_button"
    nudged(convo, (due(BRIDGE, follow_up=True),))
    tap(convo, "rem:5:f:77:d")  # not one of their plans
    assert convo.outcome is not None and convo.outcome.toast == "common.stale_button"


def test_english_and_markup_in_names_are_safe() -> None:
    odd = PlannedTie(90, "<b>Budi</b> & Co", "Ani", "own", NOW - timedelta(days=2))
    convo = with_plans("en", odd)
    shown = convo.send("/rencana")
    assert "Plans for weaving" in shown[-1].plain and "<b>Budi</b> & Co" in shown[-1].plain
    convo.press("p:0")
    for said_ in convo.last:
        assert telegram_html_errors(said_.html) == []
    convo.press("move")
    convo.send("next week")
    convo.press(convo.buttons[0])
    assert effects(convo) == (
        ResolvePlan(90, "move", due_at=datetime(2026, 12, 6, 1, 0, tzinfo=UTC)),
    )


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("20/12/2026", date(2026, 12, 20)),
        ("20-12", date(2026, 12, 20)),
        ("20 Des", date(2026, 12, 20)),
        ("20 Desember 2026", date(2026, 12, 20)),
        ("2026-12-20", date(2026, 12, 20)),
        ("5 Nov", date(2027, 11, 5)),  # passed this year: next year's
        ("besok", date(2026, 11, 30)),
        ("minggu depan", date(2026, 12, 6)),
        ("10 hari", date(2026, 12, 9)),
        ("2 minggu lagi", date(2026, 12, 13)),
        ("+14", date(2026, 12, 13)),
        ("next week", date(2026, 12, 6)),
        ("20", None),
        ("31/2", None),
        ("kapan-kapan", None),
    ],
)
def test_typed_dates(typed: str, expected: date | None) -> None:
    assert parse_day(typed, date(2026, 11, 29)) == expected


def test_a_planned_ties_other_end_becomes_a_kltb_target_with_one_tap() -> None:
    convo = with_plans("id", LATER)  # Sari Dewi (the participant) — Pak Camat
    convo.send("/menu")
    convo.press("plans")
    convo.press("p:0")
    assert convo.snap.state == "plans.item"
    assert "kltb:1" in convo.buttons and "kltb:0" not in convo.buttons  # not the participant
    said = convo.press("kltb:1")
    assert convo.snap.state == "kltb.actor" and convo.snap.data == {"target": "Pak Camat"}
    assert said[0].key == "kltb.target_added"  # Pak Camat was not on the personal map yet
    personal_view = next(m for m in convo.snap.maps if m.kind == "personal")
    assert personal_view.find("Pak Camat") is not None
    assert any(isinstance(e, ChangeMap) and e.map_id == 1 for e in effects(convo))


def test_a_case_maps_actor_enters_kltb_on_the_personal_map_and_the_case_map_stays_open() -> None:
    convo = with_plans("id", BRIDGE)
    case = MapView(
        7,
        "case",
        "Stunting",
        actors=(Actor("Puskesmas"), Actor("PKK")),
        planned=(PlannedTie(90, "Puskesmas", "PKK", "bridge", NOW + timedelta(days=3)),),
    )
    personal_view = convo.snap.maps[0]
    convo.snap = dataclasses.replace(convo.snap, maps=(personal_view, case), network=case)
    convo.send("/menu")
    convo.press("plans")
    picks = [b for b in convo.buttons if b.startswith("p:")]
    for value in picks:  # the case map's plan
        convo.press(value)
        if "kltb:0" in convo.buttons and "Puskesmas" in convo.last[-1].plain:
            break
        convo.press("back")
    convo.press("kltb:0")
    assert convo.snap.state == "kltb.actor" and convo.snap.data == {"target": "Puskesmas"}
    assert convo.snap.network is not None and convo.snap.network.id == 7  # still the case map
    personal_after = next(m for m in convo.snap.maps if m.kind == "personal")
    assert personal_after.find("Puskesmas") is not None
    assert next(m for m in convo.snap.maps if m.id == 7).find("Puskesmas") is not None


@pytest.mark.parametrize(
    ("on_case", "on_personal"),
    [("dr nia", "dr. Nia"), ("Budi Santoso", "Pak Budi Santoso (Bappeda)")],
)
def test_a_case_maps_actor_spelt_otherwise_is_the_personal_maps_actor(
    on_case: str, on_personal: str
) -> None:
    # one person, one node: KLTB's one tap goes through the map's resolver, as typing does
    convo = with_plans("id", BRIDGE)
    personal_view = MapView(
        1, "personal", "personal", actors=(Actor("Sari Dewi", is_ego=True), Actor(on_personal))
    )
    case = MapView(
        7,
        "case",
        "Stunting",
        actors=(Actor(on_case), Actor("PKK")),
        planned=(PlannedTie(90, on_case, "PKK", "bridge", NOW + timedelta(days=3)),),
    )
    convo.snap = dataclasses.replace(convo.snap, maps=(personal_view, case), network=case)
    convo.send("/menu")
    convo.press("plans")
    convo.press("p:0")
    said = convo.press("kltb:0")
    assert convo.snap.state == "kltb.actor" and convo.snap.data == {"target": on_personal}
    assert not any(isinstance(e, ChangeMap) for e in effects(convo))
    assert all(r.key != "kltb.target_added" for r in said)
    personal_after = next(m for m in convo.snap.maps if m.kind == "personal")
    assert [a.name for a in personal_after.actors] == ["Sari Dewi", on_personal]


@pytest.mark.parametrize("locale", ["id", "en"])
@pytest.mark.parametrize(
    ("on_case", "on_personal"),
    [("Budi Santosa", ["Budi Santoso"]), ("Budi", ["Budi Hartono", "Budi Santoso"])],
)
def test_a_case_maps_actor_near_a_personal_maps_actor_adds_nobody_and_says_who(
    locale: str, on_case: str, on_personal: list[str]
) -> None:
    # one person, one node: a near miss (or a name two actors share) is not a new actor; the
    # participant is told who it looks like and picks them, or adds someone else by typing
    convo = with_plans(locale, BRIDGE)
    personal_view = MapView(
        1,
        "personal",
        "personal",
        actors=(Actor("Sari Dewi", is_ego=True), *(Actor(n) for n in on_personal)),
    )
    case = MapView(
        7,
        "case",
        "Stunting",
        actors=(Actor(on_case), Actor("PKK")),
        planned=(PlannedTie(90, on_case, "PKK", "bridge", NOW + timedelta(days=3)),),
    )
    convo.snap = dataclasses.replace(convo.snap, maps=(personal_view, case), network=case)
    convo.send("/menu")
    convo.press("plans")
    convo.press("p:0")
    said = convo.press("kltb:0")
    assert convo.snap.state == "kltb.pick"
    assert not any(isinstance(e, ChangeMap) for e in effects(convo))
    told = next(r for r in said if r.key == "kltb.target_near")
    assert all(n in told.plain for n in (on_case, *on_personal))
    assert "other" in [v for r in said for v, _ in r.buttons]  # "add as a different person"
    personal_after = next(m for m in convo.snap.maps if m.kind == "personal")
    assert [a.name for a in personal_after.actors] == ["Sari Dewi", *on_personal]
