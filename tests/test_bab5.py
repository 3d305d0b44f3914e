"""Bab V as a guided lesson (pure engine, chart): leadership, stages, self-assessment.

What it stores, over a real database: ``tests/test_bab5_stored.py``."""

from __future__ import annotations

import dataclasses
import struct
from typing import Any

import pytest

from coaching import engine, text
from coaching.flows import bab5
from coaching.leadership import (
    ASPECTS,
    CHARACTERISTICS,
    CRITERIA,
    ITEMS,
    QUESTIONS,
    TRANSITIONS,
    weakest,
)
from coaching.model import Document, Event, EventKind, SaveAnswer
from coaching.network import AddActor, AddTie, MapView
from coaching.pictures import render_attachment
from tests.support import Conversation, Said, telegram_html_errors

SCORES = [4, 3, 5, 2, 4, 4, 3, 2, 4, 4, 5, 3, 1, 4]  # the module's order: 6 LLC, then 8 Anklam
MEDIA: list[Event | str] = [
    Event(EventKind.UNSUPPORTED, media="sticker"),
    Event(EventKind.UNSUPPORTED, media="voice"),
    Event(EventKind.DOCUMENT, document=Document("kasus.docx", "application/msword", 4096)),
]
BAD_FOR_BUTTONS: list[Event | str] = [*MEDIA, "   ", "x" * 10_000, "halo", "9"]
BAD_FOR_ANSWERS: list[Event | str] = [*MEDIA, "   ", "ok", "y" * 3_501]
BAD_FOR_CASE: list[Event | str] = [*MEDIA, "   ", "ok", "z" * 201]
# The module's transition questions (Bab V.B), each as it must appear (a distinctive part).
QUESTION_TEXT = {
    "id": {
        "purpose.achieved": "Apakah jejaring telah berhasil mencapai tujuannya?",
        "purpose.expected": "sesuai dengan apa yang diharapkan oleh para pihak",
        "purpose.committed": "telah berkomitmen terhadap pencapaian tujuan berjejaring?",
        "structure.supports": "benar-benar dapat mendukung jejaring mencapai tujuannya?",
        "structure.responsive": "lebih responsif terhadap perkembangan-perkembangan",
        "structure.exchange": "memudahkan para pihak untuk saling mempertukarkan sumber dayanya",
        "structure.diverse": "Apakah sudah cukup beragam para pihak yang terlibat dalam jejaring?",
        "style.comfort": "tempat, ruang dan intensitas interaksi berjejaring",
        "style.reciprocal": "pertukaran sumber daya secara timbal balik",
        "style.rules": "perbaikan yang berkelanjutan",
        "style.leadership": "Apakah kapasitas kepemimpinan jejaring telah cukup",
        "value.resources": "cukup memiliki sumber daya untuk memberikan manfaat?",
        "value.fits_purpose": "telah sesuai dengan tujuan jejaring?",
        "value.measured": "Apakah ada ukuran terkait dengan manfaat yang diberikan oleh jejaring?",
        "value.received": "diterima oleh semua pihak sesuai dengan harapannya?",
    },
    "en": {
        "purpose.achieved": "Has the network reached its goal?",
        "purpose.expected": "match what the parties involved expected?",
        "purpose.committed": "committed to reaching its goal?",
        "structure.supports": "really help it reach its goal?",
        "structure.responsive": "respond better to what is happening around it?",
        "structure.exchange": "exchange their resources to reach the network's goal?",
        "structure.diverse": "Are the parties involved in the network diverse enough?",
        "style.comfort": "place, space and intensity of networking",
        "style.reciprocal": "exchange resources reciprocally",
        "style.rules": "continuous improvement",
        "style.leadership": "Does the network's leadership have enough capacity",
        "value.resources": "enough resources to deliver benefits?",
        "value.fits_purpose": "match its goal?",
        "value.measured": "Are the benefits the network delivers measured?",
        "value.received": "receive the benefits they expected?",
    },
}


def checked(said: list[Said]) -> list[Said]:
    for s in said:
        assert telegram_html_errors(s.html) == [], (s.key, s.html)
        assert all(label.strip() for _, label in s.buttons), s.key
    return said


class Lesson(Conversation):
    def send(self, event: Event | str) -> list[Said]:
        return checked(super().send(event))


def lesson(language: str = "id") -> Lesson:
    convo = Lesson()
    convo.onboard(language=language)
    convo.press("m:bab5")
    assert convo.snap.state == "bab5.home"
    convo.press("go")
    assert convo.snap.state == "bab5.leadership"
    return convo


def walk_to(convo: Lesson, state: str, **data: int) -> None:
    """Move on (skipping answers, scoring 3, naming a case) until ``state`` with ``data``."""
    for _ in range(60):
        if convo.snap.state == state and all(convo.snap.data.get(k) == v for k, v in data.items()):
            return
        if convo.snap.state == "bab5.score":
            convo.press("s:3")
        elif convo.snap.state == "bab5.case":
            convo.send("Menurunkan stunting di Kecamatan Cilamaya")
        elif convo.snap.state == "bab5.now":
            convo.press(f"now:{data.get('stage', 0) + 1}")
        else:
            convo.press("skip" if "skip" in convo.buttons else "next")
    raise AssertionError(f"never reached {state} {data}: at {convo.snap.state}")


def score_all(convo: Lesson, scores: list[int]) -> None:
    for value in scores:
        convo.press(f"s:{value}")


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_participant_walks_the_whole_lesson(language: str) -> None:
    convo = lesson(language)
    page = convo.last[-1].plain
    assert "command & control" in page and "connect & collaborate" in page
    convo.press("next")
    convo.send("Rapat staf masih satu arah; saya akan mencoba forum dialog lintas bidang.")
    assert convo.snap.state == "bab5.selfcheck" and "14" in convo.last[-1].plain
    convo.press("next")
    score_all(convo, SCORES)
    assert convo.snap.state == "bab5.results"
    convo.press("next")
    convo.send("Menurunkan stunting di Kecamatan Cilamaya")
    assert convo.snap.state == "bab5.model"
    page = convo.last[-1].plain
    assert "Krebs" in page and "Anklam" in page  # the two stage models, kept apart by name
    convo.press("next")
    assert convo.snap.state == "bab5.now" and "Anklam" in convo.last[-1].plain
    convo.press("now:2")  # the case is being designed
    assert (convo.snap.state, convo.snap.data.get("stage")) == ("bab5.stage", 1)
    assert convo.snap.answers["bab5.now"] == "2"
    convo.send("Kami sedang memetakan aktor dan menyepakati norma rapat bulanan.")
    for aspect in ("structure", "style"):  # Design → Grow: only these two adjustments
        assert convo.snap.state == "bab5.transition" and convo.last[-1].key == "bab5.transition"
        assert aspect.capitalize() in convo.last[-1].plain
        convo.send(f"Transisi Design ke Grow, {aspect}: jawaban untuk kasus saya.")
    assert convo.snap.state == "bab5.latihan"
    convo.send("Kasus stunting Cilamaya kini di tahap Design; saya berperan sebagai fasilitator.")
    assert convo.snap.state == "bab5.done"
    answers = convo.snap.answers
    assert answers["bab5.case"] == "Menurunkan stunting di Kecamatan Cilamaya"
    assert answers["bab5.leadership"].startswith("Rapat staf")
    assert answers["bab5.stage2.situation"].startswith("Kami sedang memetakan")
    assert (
        answers["bab5.stage2.style"] == "Transisi Design ke Grow, style: jawaban untuk kasus saya."
    )
    assert sum(1 for key in answers if key.startswith("bab5.stage")) == 3
    assert "bab5.latihan1" in convo.snap.completed  # Latihan V counts for progress
    assert not {"bab5.case", "bab5.selfcheck", "bab5.resume"} & convo.snap.completed
    assert [v for v in convo.buttons if v.startswith("x:")] == [
        "x:bab5.evaluasi1",
        "x:bab5.evaluasi2",
    ]
    assert "Design" in convo.last[-1].plain and "2 dari 2" in convo.last[-1].plain.replace(
        "of", "dari"
    )


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("stage", [0, 1, 2, 3])
def test_each_stage_asks_only_its_transition_questions(language: str, stage: int) -> None:
    convo = lesson(language)
    walk_to(convo, "bab5.now")
    convo.press(f"now:{stage + 1}")
    names = ["Purpose", "Design", "Grow", "Perform"]
    assert convo.snap.state == "bab5.stage" and names[stage] in convo.last[-1].plain
    convo.press("skip")
    asked = dict(TRANSITIONS[stage])
    for number, aspect in enumerate(asked, start=1):
        page = convo.last[-1]
        assert page.key == "bab5.transition" and f"{number}/{len(asked)}" in page.plain
        assert aspect.capitalize() in page.plain
        for question, text_id in QUESTION_TEXT[language].items():
            shown = text_id in page.plain
            assert shown == (
                question.split(".")[0] == aspect and question.split(".")[1] in asked[aspect]
            ), question
        convo.send(f"Para pihak menilai {aspect} jejaring tahap {stage} cukup baik.")
        key = bab5.stage_key(stage, ASPECTS.index(aspect))
        assert key == f"bab5.stage{stage + 1}.{aspect}"
        assert (
            convo.snap.answers[key]
            == f"Para pihak menilai {aspect} jejaring tahap {stage} cukup baik."
        )
    assert convo.snap.state == "bab5.latihan"


def test_each_of_the_modules_fifteen_questions_belongs_to_one_transition() -> None:
    asked = [f"{a}.{q}" for t in TRANSITIONS for a, qs in t for q in qs]
    assert sorted(asked) == sorted(f"{a}.{q}" for a, qs in QUESTIONS.items() for q in qs)
    assert len(asked) == len(set(asked)) == 15
    # "Has the network reached its goal?" is asked on the way to a new balance, not at Tahap I.
    assert "achieved" in dict(TRANSITIONS[3])["purpose"]
    assert all("achieved" not in dict(t).get("purpose", ()) for t in TRANSITIONS[:3])


HOME_FLOW = {
    "id": (
        "1 = sama sekali belum sesuai · 5 = sangat sesuai",
        "pilih tahapnya, lalu jawab pertanyaan tahap itu saja dan pertanyaan transisi menuju"
        " tahap berikutnya",
        "Model perkembangan jejaring Anklam",
        "Pola struktur Krebs & Holley",
    ),
    "en": (
        "1 = not at all true of me yet · 5 = very true of me",
        "choose its stage, then answer only that stage's question and the transition questions"
        " towards the next stage",
        "Anklam's development model",
        "Krebs & Holley's structure pattern",
    ),
}


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_lessons_home_describes_the_shortened_path_truthfully(language: str) -> None:
    """Issue 13 item 6: where the case stands now, then only that stage's questions and the
    transition to the next; the scale as worded; the two stage models named apart."""
    convo = Lesson()
    convo.onboard(language=language)
    convo.press("m:bab5")
    page = convo.last[-1].plain
    for part in HOME_FLOW[language]:
        assert part in page, part
    assert "melalui tahap Purpose" not in page and "through the stages Purpose" not in page


def test_the_self_assessment_scale_is_worded_as_the_brief_says() -> None:
    convo = lesson()
    walk_to(convo, "bab5.score", i=0)
    assert "1 = sama sekali belum sesuai · 5 = sangat sesuai" in convo.last[-1].plain
    assert "1 = sama sekali belum sesuai · 5 = sangat sesuai" in text.render(
        "id", "bab5.chart_scale"
    )


def test_a_case_maps_krebs_holley_pattern_hints_at_anklams_stage() -> None:
    convo = lesson()
    hub = MapView(7, "case", "Stunting Cilamaya", "Angka stunting turun")
    hub = hub.apply([AddActor("Puskesmas"), *(AddActor(n) for n in "ABCDE")])[0]
    hub = hub.apply([AddTie("Puskesmas", n, None, "both") for n in "ABCDE"])[0]
    convo.snap = dataclasses.replace(convo.snap, maps=(hub,))
    walk_to(convo, "bab5.case")
    convo.press("map:7")
    convo.press("next")
    page = convo.last[-1].plain
    assert "hub-and-spoke" in page and "Krebs & Holley" in page and "Tahap II · Design" in page


def test_the_self_assessment_stores_fourteen_scores_and_sends_a_chart() -> None:
    convo = lesson()
    walk_to(convo, "bab5.score", i=0)
    first = convo.last[-1]
    assert "Mau membagi ide" in first.plain and "butir 1 dari 14" in first.plain
    assert convo.buttons == ["s:1", "s:2", "s:3", "s:4", "s:5", "prev"]
    convo.press("s:4")
    assert convo.outcome is not None and convo.outcome.replies[-1].edit  # edited in place
    convo.send("3")  # a typed number is the button
    assert convo.snap.data["i"] == 2
    convo.press("prev")  # change one's mind: the earlier score is shown, and kept
    assert "✅ 3" in [label for _, label in convo.last[-1].buttons]
    convo.press("s:3")
    score_all(convo, SCORES[2:])
    assert convo.outcome is not None
    saved = [e for e in convo.outcome.effects if isinstance(e, SaveAnswer)]
    selfcheck = next(e for e in saved if e.exercise == "bab5.selfcheck")
    assert selfcheck.data is not None
    stored: dict[str, Any] = dict(selfcheck.data)
    expected = dict(zip([i.key for i in ITEMS], [4, 3, *SCORES[2:]], strict=True))
    assert stored["scores"] == expected and len(stored["scores"]) == 14
    assert stored["weakest"] == ["conflict", "weave", "trust"]
    assert "Mampu merajut jejaring: 2" in selfcheck.text  # readable for the coach
    chart = next(r for r in convo.outcome.replies if r.key != "common.answered")
    assert chart.key == "bab5.chart_caption" and chart.attachment is not None
    assert chart.attachment["type"] == "scores" and chart.attachment["scores"] == expected
    caption = text.render("id", chart.key, **chart.context)
    assert telegram_html_errors(caption) == []
    assert text.visible_length(caption) <= text.CAPTION_MAX
    assert convo.snap.state == "bab5.results"
    convo.press("chart")  # the chart again, on request
    assert convo.outcome.replies[0].attachment is not None and convo.snap.state == "bab5.results"


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_chart_renders_as_a_phone_sized_png(language: str) -> None:
    scores = dict(zip([i.key for i in ITEMS], SCORES, strict=True))
    attachment = {"type": "scores", "locale": language, "scores": scores, "weak": ["conflict"]}
    png = render_attachment(attachment)
    width, height = png_size(png)
    assert width == 1080 and 1200 <= height <= 2000
    assert len(png) < 1_000_000
    assert render_attachment(attachment) == png  # deterministic
    partial = render_attachment({"type": "scores", "locale": language, "scores": {"x": 9}})
    assert png_size(partial) == (width, height)  # junk is ignored, the tracks still drawn


def test_the_weakest_items_become_the_modules_suggestions() -> None:
    convo = lesson()
    walk_to(convo, "bab5.score", i=0)
    score_all(convo, SCORES)
    results = convo.last[-1].plain
    assert results.index("Mengelola konflik") < results.index("Mampu merajut jejaring")
    assert "mitra potensial yang dapat dirangkul" in results  # conflict, from Bab V
    assert "perajut jejaring (network weaver)" in results  # weave
    assert "KNOW, lalu LIKE, lalu TRUST" in results  # trust
    assert "Mau berbagi kenalan" not in results  # a 5 is no weak point


def test_which_items_are_weakest() -> None:
    keys = [i.key for i in ITEMS]
    assert len(CHARACTERISTICS) == 6 and len(CRITERIA) == 8
    all_four = dict.fromkeys(keys, 4)
    assert weakest(all_four) == tuple(keys[:3])  # none weak: the lowest, in the module's order
    assert weakest(dict.fromkeys(keys, 5)) == ()
    mixed = {**all_four, "give_get": 1, "trust": 3, "weave": 3, "openness": 2}
    assert weakest(mixed) == ("give_get", "openness", "weave")
    assert weakest({**dict.fromkeys(keys, 5), "exchange": 4}) == ("exchange",)


def test_the_case_can_come_from_a_case_map_and_its_purpose_is_shown() -> None:
    convo = lesson()
    case = MapView(7, "case", "Stunting Cilamaya", "Angka stunting turun 10% dalam setahun")
    convo.snap = dataclasses.replace(convo.snap, maps=(case,))
    walk_to(convo, "bab5.case")
    assert convo.buttons == ["map:7"]
    convo.press("map:7")
    assert convo.snap.answers["bab5.case"] == "Stunting Cilamaya"
    convo.press("next")
    convo.press("now:1")
    assert "Angka stunting turun 10%" in convo.last[-1].plain  # Tahap I: the map's purpose
    convo.send("/menu")
    convo.press("m:bab5")
    convo.press("restart")
    walk_to(convo, "bab5.case")
    assert convo.buttons == ["keep", "map:7"]  # the case they had, kept with one tap
    convo.press("keep")
    assert convo.snap.state == "bab5.model"


def every_step() -> list[tuple[str, dict[str, int]]]:  # a case at Tahap I
    steps = [("bab5.home", {}), *[(str(s), dict(w)) for s, w in bab5.PATH]]
    return [*steps, ("bab5.score", {"i": 0}), ("bab5.score", {"i": 13}), ("bab5.results", {})]


@pytest.mark.parametrize(("state", "data"), every_step(), ids=lambda v: str(v))
def test_bad_input_at_every_step_is_re_asked_and_changes_nothing(
    state: str, data: dict[str, int]
) -> None:
    convo = lesson()
    if state == "bab5.home":
        convo.send("/menu")
        convo.press("m:bab5")
    else:
        walk_to(convo, state, **data)
    if state == "bab5.case":
        bads = BAD_FOR_CASE
    elif state in ("bab5.reflect", "bab5.stage", "bab5.transition", "bab5.latihan"):
        bads = BAD_FOR_ANSWERS
    else:
        bads = BAD_FOR_BUTTONS
    for bad in bads:
        before = convo.snap
        said = convo.send(bad)
        assert convo.outcome is not None and convo.outcome.effects == ()
        assert convo.snap == before, (state, bad)
        assert said[0].key in {
            "common.bad_media",
            "common.use_buttons",
            "common.not_found",
            "common.bad_answer_short",
            "common.bad_answer_long",
            "bab5.need_text",
            "bab5.use_scale",
            "bab5.bad_case_long",
        }, (state, said[0].key)
        assert said[-1].key == engine.prompt(convo.snap)[-1].key


def test_leaving_mid_assessment_and_coming_back_keeps_the_scores() -> None:
    convo = lesson()
    walk_to(convo, "bab5.score", i=0)
    score_all(convo, SCORES[:5])
    convo.send("/menu")
    said = convo.press("m:bab5")
    assert "Anda berhenti di" in said[-1].plain and "2 · Penilaian diri" in said[-1].plain
    convo.press("go")
    assert convo.snap.state == "bab5.score" and convo.snap.data["i"] == 5
    assert "butir 6 dari 14" in convo.last[-1].plain
    assert convo.outcome is not None
    assert not convo.outcome.replies[-1].edit  # a new message: nothing to edit after the menu
    score_all(convo, SCORES[5:])
    assert convo.snap.state == "bab5.results"
    assert convo.outcome is not None
    selfcheck = next(
        e
        for e in convo.outcome.effects
        if isinstance(e, SaveAnswer) and e.exercise == "bab5.selfcheck"
    )
    assert selfcheck.data is not None and len(selfcheck.data["scores"]) == 14


def test_leaving_mid_stage_resumes_at_the_same_question() -> None:
    convo = lesson()
    walk_to(convo, "bab5.transition", stage=2, aspect=2)
    convo.send("/batal")
    convo.press("m:bab5")
    convo.press("go")
    assert (convo.snap.state, dict(convo.snap.data)) == (
        "bab5.transition",
        {"stage": 2, "aspect": 2},
    )
    again = Lesson(convo.snap)  # after a restart the stored state is the step
    assert engine.prompt(again.snap)[-1].key == "bab5.transition"
    again.press("back")
    assert again.snap.data == {"stage": 2, "aspect": 1}  # Grow → Perform: structure, then style
