"""Bab III as a guided lesson (pure engine): each measure on the kite, then on one's own map."""

from __future__ import annotations

import dataclasses

import pytest

from coaching.flows import bab3
from coaching.model import Event, EventKind, SaveAnswer
from tests.support import Conversation, Said, telegram_html_errors


def checked(said: list[Said]) -> list[Said]:
    for s in said:
        assert telegram_html_errors(s.html) == [], (s.key, s.html)
        assert all(label.strip() for _, label in s.buttons), s.key
    return said


class Lesson(Conversation):
    def send(self, event: Event | str) -> list[Said]:
        return checked(super().send(event))


def participant(language: str = "id", *, contacts: str | None = None) -> Lesson:
    """An onboarded participant on the main menu; with ``contacts``, a stored personal map."""
    convo = Lesson()
    convo.onboard(language=language)
    if contacts is not None:
        convo.press("net")
        view = convo.snap.network
        assert view is not None
        stored = dataclasses.replace(view, id=1)
        convo.snap = dataclasses.replace(convo.snap, network=stored, maps=(stored,))
        convo.send(contacts)
        while "know:0" in convo.buttons:
            convo.press("know:0")
        convo.send("/menu")
    return convo


def pages(convo: Lesson) -> dict[str, str]:
    """Walk from the lesson's page to Latihan III; each page's text by its state."""
    convo.press("m:bab3")
    assert convo.snap.state == "bab3.home"
    convo.press("go")
    seen: dict[str, str] = {}
    while convo.snap.state != "bab3.latihan":
        seen[convo.snap.state] = "\n".join(s.plain for s in convo.last)
        convo.press("next")
    return seen


def test_the_kite_facts_are_the_modules() -> None:
    kite = bab3.kite_facts()
    assert (kite["actors"], kite["ties"], kite["pairs"]) == (10, 18, 45)
    assert kite["density"] == pytest.approx(0.4)
    assert kite["leader"] == {
        "name": "D",
        "value": 6,
        "direct": ["A", "B", "C", "E", "F", "G"],
        "indirect": ["H", "I", "J"],
    }
    assert kite["brokers"] == ["H"] and kite["degree"]["H"] == 3
    assert kite["closest"] == ["F", "G"]
    assert kite["spanners"] == ["F", "G", "H"]
    assert kite["peripheral"] == ["I", "J"]
    assert kite["clusters"] == [["A", "B", "C", "D", "E", "F", "G"], ["I", "J"]]
    assert kite["outside"] == ["H"]


def test_each_measure_is_taught_on_the_kite_in_the_modules_order() -> None:
    convo = participant()
    convo.press("m:bab3")
    said = convo.press("go")
    assert convo.snap.state == "bab3.sna"
    assert convo.outcome is not None
    assert convo.outcome.replies[0].attachment is not None  # the kite's picture first
    assert convo.outcome.replies[0].attachment["type"] == "map"
    assert (
        "Analisis Jejaring Sosial" in said[-1].plain or "analisis jejaring sosial" in said[-1].plain
    )
    convo.send("/menu")
    seen = pages(convo)
    assert list(seen) == [
        "bab3.sna",
        "bab3.size",
        "bab3.density",
        "bab3.degree",
        "bab3.betweenness",
        "bab3.closeness",
        "bab3.spanner",
        "bab3.peripheral",
        "bab3.clusters",
    ]
    assert "10 aktor" in seen["bab3.size"]
    assert "18 hubungan dari 45 pasangan" in seen["bab3.density"] and "0,40" in seen["bab3.density"]
    assert "D memiliki 6 hubungan langsung" in seen["bab3.degree"]
    assert "penghubung" in seen["bab3.degree"]
    assert "H hanya memiliki 3 hubungan" in seen["bab3.betweenness"]
    assert "F dan G" in seen["bab3.closeness"] and "inovator" in seen["bab3.closeness"]
    assert "F, G, H" in seen["bab3.spanner"]
    assert "I, J" in seen["bab3.peripheral"] and "informasi segar" in seen["bab3.peripheral"]
    assert "kluster 2 (I, J)" in seen["bab3.clusters"]
    # No map yet: every measure page says so and offers the map.
    assert all("belum berisi cukup aktor" in seen[s.value] for s in bab3.MEASURES)


def test_each_measure_is_shown_on_the_participants_own_map() -> None:
    convo = participant(
        contacts="Budi - Ani kuat\nBudi - Dewi\nAni - Dewi\nDewi - Eka\nEka - Fajar"
    )
    seen = pages(convo)
    own = "Di peta Anda"
    assert all(own in seen[s.value] for s in bab3.MEASURES)
    assert "6 aktor" in seen["bab3.size"] and "termasuk Anda" in seen["bab3.size"]
    # 5 among the contacts + 5 from the participant to each = 10 ties of 15 pairs.
    assert "10 hubungan dari 15 pasangan" in seen["bab3.density"] and "0,67" in seen["bab3.density"]
    assert "Sari Dewi (5)" in seen["bab3.degree"]
    assert "Jika Anda melangkah keluar, broker-nya:" in seen["bab3.betweenness"]
    assert "Dewi" in seen["bab3.betweenness"]  # between Budi/Ani and Eka/Fajar without the ego
    assert "Tanpa Anda" in seen["bab3.clusters"]
    assert "map" not in convo.buttons


def test_no_map_offers_to_fill_one_in() -> None:
    convo = participant()
    convo.press("m:bab3")
    convo.press("go")
    convo.press("next")
    assert convo.snap.state == "bab3.size" and "map" in convo.buttons
    convo.press("map")
    assert convo.snap.state.startswith("network.")


@pytest.mark.parametrize("language", ["id", "en"])
def test_latihan_iii_is_stored_and_evaluasi_follows(language: str) -> None:
    convo = participant(language)
    pages(convo)
    convo.send("ok")  # too short: refused, nothing stored
    assert convo.snap.state == "bab3.latihan" and "bab3.latihan1" not in convo.snap.answers
    # an evasive answer: a draft met with encouragement, the lesson stays on the question
    evasive = "Tidak tahu, belum baca modulnya." if language == "id" else "I don't know yet."
    drafted = convo.send(evasive)
    assert convo.snap.state == "bab3.latihan" and "bab3.latihan1" not in convo.snap.completed
    assert ("draf" if language == "id" else "draft") in drafted[0].plain
    answer = "Jejaring PKK di kecamatan: 12 aktor, camat sebagai penghubung, kepadatan rendah."
    said = convo.send(answer)
    assert convo.outcome is not None
    assert SaveAnswer("bab3.latihan1", answer) in convo.outcome.effects
    # the rubric's feedback: what it covers (size, centrality, density) and the own map
    assert said[0].key == "feedback.reply"
    assert ("Umpan balik" if language == "id" else "Feedback") in said[0].plain
    assert convo.snap.state == "bab3.done"
    assert "bab3.latihan1" in convo.snap.completed
    assert [b for b in convo.buttons if b.startswith("x:")] == [
        "x:bab3.evaluasi1",
        "x:bab3.evaluasi2",
        "x:bab3.evaluasi3",
    ]
    convo.press("x:bab3.evaluasi2")
    assert convo.snap.state == "exercises.answer"


def test_a_skipped_latihan_is_offered_again_on_the_last_screen() -> None:
    convo = participant()
    pages(convo)
    said = convo.press("skip")
    assert convo.snap.state == "bab3.done"
    assert convo.buttons[0] == "x:bab3.latihan1"
    assert "Latihan III belum dijawab" in said[-1].plain
    convo.press("x:bab3.latihan1")
    assert convo.snap.data == {"module": "bab3", "exercise": "bab3.latihan1"}


def test_a_half_finished_lesson_resumes_where_it_was_left() -> None:
    convo = participant()
    convo.press("m:bab3")
    convo.press("go")
    for _ in range(3):
        convo.press("next")
    assert convo.snap.state == "bab3.degree"
    convo.send("/menu")
    said = convo.press("m:bab3")
    assert "Anda berhenti di" in said[-1].plain and "Degree" in said[-1].plain
    convo.press("go")
    assert convo.snap.state == "bab3.degree"
    convo.press("back")
    assert convo.snap.state == "bab3.density"


@pytest.mark.parametrize(
    "event",
    [
        Event(EventKind.UNSUPPORTED, media="sticker"),
        Event.of_text("<b>lanjut</b>"),
        Event.of_text("x" * 10_000),
    ],
)
def test_bad_input_on_a_page_changes_nothing(event: Event) -> None:
    convo = participant()
    convo.press("m:bab3")
    convo.press("go")
    convo.press("next")
    before = convo.snap
    convo.send(dataclasses.replace(event, seq=before.seq))
    assert convo.snap.state == before.state and convo.snap.answers == before.answers


def test_names_on_a_map_are_escaped() -> None:
    convo = participant(contacts="Dinas PU & PR - Ani")
    seen = pages(convo)
    assert "Dinas PU & PR" in seen["bab3.degree"]  # checked() saw it escaped in the HTML
