"""Network work counts in the progress as exercises do: the menu's and the coach's view."""

from __future__ import annotations

from coaching.curriculum import PRACTICE
from coaching.model import CompleteItem
from storage.db import Database
from tests.support import Conversation
from tests.test_coach import texts, world
from tests.test_network import effects, network_convo


def done(convo: Conversation) -> list[str]:
    return [e.item for e in effects(convo) if isinstance(e, CompleteItem)]


def test_a_map_with_ties_its_analysis_and_kltb_steps_count_in_the_menu() -> None:
    convo = network_convo()
    convo.send("/tambah Budi")
    assert done(convo) == []  # one actor, no tie: not yet a map with its ties
    convo.send("Budi - Ani kuat")
    assert done(convo) == ["peta.map"]
    convo.send("Ani - Dewi")
    assert done(convo) == []  # earned once
    convo.send("/analisis")
    assert done(convo) == ["peta.analysis"]
    convo.send("/menu")
    menu = convo.last[-1].plain
    assert "Peta jejaring & KLTB (praktik)\n▓▓▓░░░░░░░ 2/7" in menu
    assert "Kemajuan keseluruhan:\n▓░░░░░░░░░ 2/25" in menu
    assert "m:peta" not in convo.buttons  # the map opens from its own button
    convo.press("kltb")
    convo.press("pick:0")
    convo.press("step:know")
    convo.send("Kami bertemu di rapat koordinasi.")
    assert done(convo) == ["peta.kltb_know"]
    assert set(convo.snap.completed) >= {"peta.map", "peta.analysis", "peta.kltb_know"}
    assert set(convo.snap.completed) <= set(PRACTICE)


async def test_the_coach_sees_the_network_work_in_the_participants_progress(db: Database) -> None:
    w = await world(db)
    await w.sari.say("/hubung Citra - Dodi kuat")
    await w.sari.say("/analisis")
    detail = await w.coach_a.answer(w.coach_a.press(f"ko:p:{w.sari_id}", stable=True))
    assert "Peta &amp; KLTB\n<code>▓▓▓░░░░░░░ 2/7</code>" in texts(detail)
