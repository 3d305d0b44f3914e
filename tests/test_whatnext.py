""" "What next" follows the module: each lesson before its exercises, a half-finished lesson
resumed first, a skipped Latihan offered again before the Evaluasi."""

from __future__ import annotations

from coaching.curriculum import MODULES_BY_KEY
from tests.support import Conversation


def participant() -> Conversation:
    convo = Conversation()
    convo.onboard()
    return convo


def finish_lesson(convo: Conversation, module: str, *, answer: bool = True) -> None:
    """Takes a lesson from its page to its last screen, answering (or skipping) what it asks."""
    convo.send("/menu")
    convo.press(f"m:{module}")
    convo.press("go")
    for _ in range(80):
        if convo.snap.state == f"{module}.done":
            return
        buttons = convo.buttons
        if "skip" in buttons and answer:
            convo.send("Jawaban saya: jejaring kerja dibangun bersama para pihak terkait.")
        elif "skip" in buttons:
            convo.press("skip")
        elif convo.snap.state == f"{module}.case":
            convo.send("Menurunkan angka stunting bersama puskesmas dan desa")
        else:
            convo.press(next(b for b in ("next", "s:4", "go") if b in buttons))
    raise AssertionError(f"stuck at {convo.snap.state}")


def answer(convo: Conversation, *keys: str) -> None:
    for key in keys:
        convo.send("/menu")
        convo.press(f"m:{key.split('.')[0]}")
        if f"x:{key}" not in convo.buttons:  # Bab IV: its exercises are a tap away
            convo.press("exercises")
        convo.press(f"x:{key}")
        convo.send(f"Untuk {key}: kerja sama para pihak, hubungan kuat dan lemah, tujuan bersama.")


def test_a_new_participant_starts_with_the_lesson_not_its_exercise() -> None:
    convo = participant()
    said = convo.send("/menu")
    assert "mulai pelajaran Bab II" in said[-1].plain
    convo.press("next")
    assert convo.snap.state == "bab2.network"  # the lesson's first page, not Latihan II.1


def test_a_half_finished_lesson_is_resumed_first() -> None:
    convo = participant()
    convo.press("m:bab3")  # begun out of order, left on its fourth page
    convo.press("go")
    for _ in range(3):
        convo.press("next")
    assert convo.snap.state == "bab3.degree"
    said = convo.send("/menu")
    assert "lanjutkan pelajaran Bab III" in said[-1].plain
    convo.press("next")
    assert convo.snap.state == "bab3.degree"


def test_a_skipped_latihan_comes_back_before_the_evaluasi() -> None:
    convo = participant()
    finish_lesson(convo, "bab2", answer=False)
    said = convo.send("/menu")
    assert "Berikutnya: Bab II Berjejaring · Latihan 1" in said[-1].plain
    convo.press("next")
    assert convo.snap.data == {"module": "bab2", "exercise": "bab2.latihan1"}


def test_after_a_modules_exercises_the_next_lesson_opens() -> None:
    convo = participant()
    finish_lesson(convo, "bab2")
    answer(convo, *(k for k in MODULES_BY_KEY["bab2"].item_keys if ".evaluasi" in k))
    assert set(MODULES_BY_KEY["bab2"].item_keys) <= convo.snap.completed
    convo.send("/menu")
    convo.press("next")
    assert convo.snap.state == "bab3.sna"


def test_bab_iv_opens_its_guided_mapping_then_its_evaluasi() -> None:
    convo = participant()
    answer(convo, *MODULES_BY_KEY["bab2"].item_keys, *MODULES_BY_KEY["bab3"].item_keys)
    finish_lesson(convo, "bab2")
    finish_lesson(convo, "bab3")
    convo.send("/menu")
    convo.press("next")
    assert convo.snap.state == "bab4.intro"
    answer(convo, *(k for k in MODULES_BY_KEY["bab4"].item_keys if ".latihan" in k))
    convo.send("/menu")
    convo.press("next")
    assert convo.snap.data == {"module": "bab4", "exercise": "bab4.evaluasi1"}


def test_a_lesson_left_after_its_exercises_were_answered_does_not_hold_the_way() -> None:
    convo = participant()
    answer(convo, *MODULES_BY_KEY["bab2"].item_keys)
    convo.press("x:bab2.latihan1")  # nothing left in Bab II: a started lesson is no reason
    convo.send("/menu")
    convo.press("m:bab2")
    convo.press("go")
    convo.send("/menu")
    convo.press("next")
    assert convo.snap.state == "bab3.sna"
