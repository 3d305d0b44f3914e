"""Know → Like → Trust → Buy with each stakeholder: strictly in order, notes dated, plans due."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from coaching.model import PlanKltb, RecordKltb
from storage.db import Database
from storage.models import Actor, KltbEntry
from tests.support import NOW, Conversation, telegram_html_errors, transaction
from tests.test_network import network_convo, with_map
from tests.test_network_storage import Chat


def kltb_convo() -> Conversation:
    convo = network_convo()
    convo.send("Budi - Ani kuat")
    with_map(convo)
    convo.send("/menu")
    convo.press("kltb")
    assert convo.snap.state == "kltb.pick"
    return convo


def open_budi(convo: Conversation) -> None:
    labels = [
        label.partition(". ")[2]
        for s in convo.last
        for v, label in s.buttons
        if v.startswith("pick:")
    ]
    convo.press(f"pick:{next(i for i, label in enumerate(labels) if label.startswith('Budi'))}")
    assert convo.snap.state == "kltb.actor"


def test_the_pipeline_is_walked_in_order_and_skipping_is_refused() -> None:
    convo = kltb_convo()
    open_budi(convo)
    assert "KNOW" in convo.last[-1].plain and "passion" in convo.last[-1].plain
    said = convo.press("step:trust")
    assert said[0].key == "kltb.no_skip" and "tidak boleh meloncat" in said[0].plain
    assert convo.snap.state == "kltb.actor"
    convo.press("step:know")
    assert "personal brand" in convo.last[-1].plain
    convo.send("Bertemu di rapat koordinasi; saya memperkenalkan program kami.")
    recorded = [e for e in convo.outcome.effects if isinstance(e, RecordKltb)]  # type: ignore[union-attr]
    assert [(e.actor, e.step) for e in recorded] == [("Budi", "know")]
    assert convo.snap.network is not None and convo.snap.network.kltb_reached("Budi") == "know"
    said = convo.press("step:buy")
    assert said[0].key == "kltb.no_skip"
    convo.press("step:like")
    assert "be interested before being interesting" in convo.last[-1].plain.lower()
    convo.send("Mendengarkan cerita beliau tentang kelompok tani.")
    assert convo.snap.network.kltb_reached("Budi") == "like"
    assert "TRUST" in convo.last[-1].plain  # next step suggested
    for html in (s.html for s in convo.last):
        assert telegram_html_errors(html) == []


def test_a_next_step_is_planned_with_a_due_date() -> None:
    convo = kltb_convo()
    open_budi(convo)
    convo.press("plan")
    convo.send("Minum kopi dengan Budi setelah apel pagi")
    convo.press("due7")
    planned = [e for e in convo.outcome.effects if isinstance(e, PlanKltb)]  # type: ignore[union-attr]
    assert planned[0].step == "know" and planned[0].due_at == NOW + timedelta(days=7)
    assert "Minum kopi" in convo.last[-1].plain


def test_bad_input_in_the_pipeline_is_re_asked() -> None:
    convo = kltb_convo()
    open_budi(convo)
    convo.press("step:know")
    said = convo.send("ok")
    assert convo.snap.state == "kltb.note" and said[0].key == "common.bad_answer_short"


def test_without_stakeholders_the_participant_is_sent_to_the_map() -> None:
    convo = network_convo()
    convo.send("/menu")
    convo.press("kltb")
    assert convo.last[-1].key == "kltb.no_stakeholders" and "net" in convo.buttons


async def test_kltb_steps_are_stored_with_dates(db: Database) -> None:
    chat = Chat(db)
    await chat.onboard()
    await chat.press("net")
    await chat.send("Budi - Ani kuat")
    await chat.send("/menu")
    await chat.press("kltb")
    await chat.press("pick:1")  # Ani, Budi: sorted by name
    await chat.press("step:know")
    await chat.send("Berkenalan di forum OPD.")
    await chat.press("plan")
    await chat.send("Mengajak Budi berdiskusi data gabah.")
    await chat.press("due3")
    with transaction(db) as session:
        rows = (session.execute(select(KltbEntry).order_by(KltbEntry.step))).scalars().all()
        budi = (session.execute(select(Actor).where(Actor.name == "Budi"))).scalar_one()
    by_step = {r.step: r for r in rows}
    assert by_step["know"].done_at == NOW and by_step["know"].note == "Berkenalan di forum OPD."
    assert by_step["like"].done_at is None and by_step["like"].due_at == NOW + timedelta(days=3)
    assert budi.kltb_step == "know"


def test_a_long_standing_relation_enters_at_the_step_it_has_reached_with_evidence() -> None:
    convo = kltb_convo()
    open_budi(convo)
    said = convo.press("step:trust")  # refused as a step, offered as a relation already there
    assert said[0].key == "kltb.no_skip" and convo.snap.state == "kltb.actor"
    assert "reached:trust" in convo.buttons
    said = convo.press("reached:trust")
    assert convo.snap.state == "kltb.note" and "buktinya" in said[-1].plain
    assert "KNOW, LIKE" in said[-1].plain  # the steps before it are named
    convo.send("ok")  # evidence is needed: too short, nothing recorded
    assert convo.snap.state == "kltb.note"
    evidence = "Sejak 2019 kami bersama menyusun program tani; beliau mempercayakan datanya."
    convo.send(evidence)
    recorded = [e for e in convo.outcome.effects if isinstance(e, RecordKltb)]  # type: ignore[union-attr]
    assert [(e.step, e.note) for e in recorded] == [
        ("know", evidence),
        ("like", evidence),
        ("trust", evidence),
    ]
    assert convo.snap.network is not None and convo.snap.network.kltb_reached("Budi") == "trust"
    assert convo.snap.state == "kltb.actor" and "BUY" in convo.last[-1].plain


@pytest.mark.parametrize("forged", ["reached:know", "reached:nope", "reached:"])
def test_a_forged_or_stale_reached_button_records_nothing(forged: str) -> None:
    convo = kltb_convo()
    open_budi(convo)
    convo.press("step:know")
    convo.send("Bertemu di rapat koordinasi; saya memperkenalkan program kami.")
    before = convo.snap.network
    convo.press(forged)  # KNOW is reached already; unknown steps are no steps
    assert convo.snap.state == "kltb.actor" and convo.snap.network == before
