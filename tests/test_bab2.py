"""Bab II as a guided lesson (pure engine): ties, kinds of networks, principles, reflections."""

from __future__ import annotations

import dataclasses

import pytest

from coaching import engine, text
from coaching.flows import bab2
from coaching.model import ChangeMap, Document, Event, EventKind, SaveAnswer, SelectMap
from coaching.network import MapView, UpdateActor
from tests.support import Conversation, Said, telegram_html_errors

MEDIA: list[Event | str] = [
    Event(EventKind.UNSUPPORTED, media="sticker"),
    Event(EventKind.UNSUPPORTED, media="photo"),
    Event(EventKind.DOCUMENT, document=Document("catatan.pdf", "application/pdf", 2048)),
]
# Where a button is expected: media, nothing, far too much, and words that are no button.
BAD_FOR_BUTTONS: list[Event | str] = [*MEDIA, "   ", "x" * 10_000, "halo", "<b>lanjut</b>"]
# Where a reflection is expected: media, nothing, too short, too long.
BAD_FOR_ANSWERS: list[Event | str] = [*MEDIA, "   ", "ok", "y" * 3_501]


def checked(said: list[Said]) -> list[Said]:
    """Every reply is HTML Telegram accepts, within its length limit; every button has a label."""
    for s in said:
        assert telegram_html_errors(s.html) == [], (s.key, s.html)
        assert all(label.strip() for _, label in s.buttons), s.key
    return said


class Lesson(Conversation):
    """A participant whose every reply is checked against Telegram's rules."""

    def send(self, event: Event | str) -> list[Said]:
        return checked(super().send(event))


def lesson(language: str = "id", *, contacts: str | None = None) -> Lesson:
    """An onboarded participant on the main menu; with ``contacts``, a stored personal map."""
    convo = Lesson()
    convo.onboard(language=language)
    if contacts is not None:
        convo.press("net")
        view = convo.snap.network
        assert view is not None
        stored = dataclasses.replace(view, id=1)  # what storage gives the new map
        convo.snap = dataclasses.replace(convo.snap, network=stored, maps=(stored,))
        convo.send(contacts)
        while "know:0" in convo.buttons:  # the participant knows each of them directly
            convo.press("know:0")
        convo.send("/menu")
    return convo


def open_lesson(convo: Lesson) -> None:
    convo.press("m:bab2")
    assert convo.snap.state == "bab2.home"
    convo.press("go")


def walk_to(convo: Lesson, state: str, **data: int) -> None:
    """Press "next" (skipping reflections) until the lesson stands at ``state`` with ``data``."""
    for _ in range(len(bab2.PATH) + 1):
        if convo.snap.state == state and all(convo.snap.data.get(k) == v for k, v in data.items()):
            return
        convo.press("skip" if "skip" in convo.buttons else "next")
    raise AssertionError(f"never reached {state} {data}: at {convo.snap.state}")


def personal(convo: Conversation) -> MapView:
    found = bab2.personal_map(convo.snap)
    assert found is not None
    return found


def test_the_menu_opens_the_lessons_page_with_its_exercises() -> None:
    convo = lesson()
    said = convo.press("m:bab2")
    assert convo.snap.state == "bab2.home" and said[-1].key == "bab2.home"
    assert "Kooiman" in said[-1].plain and "0/5" in said[-1].plain
    assert convo.buttons[0] == "go" and convo.buttons[-1] == "menu"
    assert {f"x:bab2.{k}" for k in ("latihan1", "latihan2", "evaluasi1")} <= set(convo.buttons)
    convo.press("x:bab2.evaluasi2")  # any exercise, straight from the lesson's page
    assert convo.snap.state == "exercises.answer"
    assert convo.snap.data == {"module": "bab2", "exercise": "bab2.evaluasi2"}


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_participant_walks_the_whole_lesson(language: str) -> None:
    convo = lesson(language, contacts="Budi - Ani kuat\nBudi -> Dewi lemah")
    open_lesson(convo)
    seen = [convo.snap.state]
    for _ in range(4):  # what a network is → strong/weak → actors and ties → Cross
        convo.press("next")
        seen.append(convo.snap.state)
    assert seen == ["bab2.network", "bab2.ties", "bab2.shape", "bab2.cross", "bab2.ibarra"]
    convo.press("classify")
    for kind in ("operational", "personal", "operational"):  # Ani, Budi, Dewi
        convo.press(f"kind:{kind}")
    assert convo.snap.state == "bab2.balance"
    convo.press("next")
    assert convo.snap.state == "bab2.anklam"
    assert all(word in convo.last[-1].plain for word in ("Purpose", "Structure", "Style", "Value"))
    convo.press("next")
    reflections = {
        "id": [
            "Kami sama-sama alumni STPDN, jadi cepat akrab.",
            "Dinas membawa data, desa membawa tenaga.",
            "Saya membantu Pak Budi menyusun proposal; kini ia membantu saya.",
        ],
        "en": ["We share a school.", "They bring data, we bring people.", "I helped first."],
    }[language]
    for answer in reflections:
        convo.send(answer)
    pages = {}
    for state in ("bab2.levels", "bab2.kltb", "bab2.skills"):  # taught before the Latihan
        assert convo.snap.state == state
        pages[state] = convo.last[-1].plain
        convo.press("next")
    levels = {
        "id": ("Aktivitas", "Kontrol", "Pengaruh", "Power", "kartu nama"),
        "en": ("Activity", "Control", "Influence", "Power", "business cards"),
    }[language]
    assert all(word in pages["bab2.levels"] for word in levels)
    assert all(step in pages["bab2.kltb"] for step in ("KNOW", "LIKE", "TRUST", "BUY"))
    skills = {
        "id": ("personal branding", "mendengar", "mengelola konflik", "media sosial"),
        "en": ("personal branding", "listening", "handling conflict", "social media"),
    }
    assert all(word in pages["bab2.skills"] for word in skills[language])
    assert convo.snap.state == "bab2.latihan" and convo.snap.data == {"n": 0}
    convo.send("Latihan II.1: kesamaan membuka pintu, pertukaran membuatnya bermanfaat.")
    convo.send("Latihan II.2: di rakor saya memperkenalkan diri (KNOW) lalu mendengarkan (LIKE).")
    assert convo.snap.state == "bab2.done"
    done = convo.last[-1]
    assert [v for v in convo.buttons if v.startswith("x:")] == [
        "x:bab2.evaluasi1",
        "x:bab2.evaluasi2",
        "x:bab2.evaluasi3",
    ]
    assert "2/5" in done.plain
    answers = convo.snap.answers
    assert answers["bab2.similarity"] == reflections[0]
    assert answers["bab2.exchange"] == reflections[1]
    assert answers["bab2.reciprocity"] == reflections[2]
    assert answers["bab2.latihan2"].startswith("Latihan II.2")
    assert {"bab2.latihan1", "bab2.latihan2"} <= convo.snap.completed  # progress counts them
    assert not {"bab2.similarity", "bab2.resume"} & convo.snap.completed
    convo.send("/menu")
    assert "▓▓▓▓░░░░░░ 2/5" in convo.last[-1].plain


def test_latihan_answered_in_the_lesson_are_the_exercises() -> None:
    convo = lesson()
    open_lesson(convo)
    walk_to(convo, "bab2.latihan", n=0)
    said = convo.last[-1]
    assert "Latihan II.1" in said.plain and "prinsip berjejaring kerja" in said.plain
    convo.send("Jawaban latihan pertama saya.")
    assert convo.outcome is not None
    assert SaveAnswer("bab2.latihan1", "Jawaban latihan pertama saya.") in convo.outcome.effects
    assert "KNOW → LIKE → TRUST → BUY" in convo.last[-1].plain  # II.2 against KLTB
    convo.send("/menu")
    convo.press("m:bab2")
    convo.press("x:bab2.latihan1")  # the same answer, editable from the exercise list
    assert "Jawaban latihan pertama saya." in convo.last[-1].plain


def test_the_principles_come_in_the_modules_order_each_with_a_reflection() -> None:
    convo = lesson()
    open_lesson(convo)
    walk_to(convo, "bab2.principle", i=0)
    order: list[str] = []
    for number, (name, word) in enumerate(
        [
            ("similarity", "kesamaan"),
            ("exchange", "saling bertukar"),
            ("reciprocity", "timbal balik"),
        ],
        start=1,
    ):
        page = convo.last[-1]
        assert page.key == "bab2.principle"
        assert f"{number}/3 · Prinsip {word}" in page.plain
        assert f"prinsip nomor {bab2.MODULE_NUMBER[name]} di modul" in page.plain
        assert "Refleksi" in page.plain
        order.append(name)
        convo.send(f"Refleksi saya tentang {name}.")
        assert convo.snap.answers[f"bab2.{name}"] == f"Refleksi saya tentang {name}."
    assert order == list(bab2.PRINCIPLES) == ["similarity", "exchange", "reciprocity"]
    first = text.render(
        "id", "bab2.principle", principle="similarity", number=1, module_number=3, previous=None
    )
    assert "pertama kali" in first  # the module: similarity is the principle used first
    assert "1 Timbal Balik (Reciprocity), 2 Saling Bertukar (Exchange), 3 Kesamaan" in first


def test_the_kltb_rule_is_taught_before_latihan_ii_2() -> None:
    path = [str(step) for step, _ in bab2.PATH]
    assert path.index("bab2.kltb") < path.index("bab2.latihan")


def test_an_unmanaged_network_grows_homogeneous() -> None:
    shown = text.render(
        "id", "bab2.balance", counts={}, classified=0, contacts=0, missing=[], thin=[]
    )
    assert "homogen" in shown and "inovasi" in shown


def test_classifying_contacts_updates_the_actors_and_names_the_missing_kind() -> None:
    convo = lesson(contacts="Budi - Ani kuat\nBudi -> Dewi lemah\nCitra - Ani")
    open_lesson(convo)
    walk_to(convo, "bab2.ibarra")
    assert "4 kontak" in convo.last[-1].plain
    convo.press("classify")
    assert convo.last[-1].key == "bab2.classify" and "Ani" in convo.last[-1].plain
    convo.press("kind:operational")  # Ani
    assert convo.outcome is not None
    change = next(e for e in convo.outcome.effects if isinstance(e, ChangeMap))
    assert change.map_id == 1 and change.ops == (UpdateActor("ani", {"ibarra": "operational"}),)
    assert convo.outcome.replies[-1].edit  # the next contact replaces the question in place
    convo.press("skip")  # Budi: later
    convo.press("kind:operational")  # Citra
    convo.press("kind:strategic")  # Dewi: the last one, on to the balance
    assert convo.snap.state == "bab2.balance"
    kinds = {a.name: a.ibarra for a in personal(convo).others()}
    assert kinds == {
        "Ani": "operational",
        "Budi": None,
        "Citra": "operational",
        "Dewi": "strategic",
    }
    balance = convo.last[-1].plain
    assert "Jejaring personal Anda belum ada" in balance
    assert "Knowledge Sharing/Community of Practice" in balance  # the module's advice
    convo.send("/menu")
    convo.press("m:bab2")
    convo.press("go")
    convo.press("back")  # the Ibarra page again: one contact still waits
    assert "1 kontak" in convo.last[-1].plain


def test_thin_and_missing_kinds() -> None:
    assert bab2.thin_kinds({"personal": 0, "operational": 0, "strategic": 0}) == ([], [])
    assert bab2.thin_kinds({"personal": 1, "operational": 5, "strategic": 3}) == ([], ["personal"])
    assert bab2.thin_kinds({"personal": 3, "operational": 3, "strategic": 2}) == ([], [])
    assert bab2.thin_kinds({"personal": 0, "operational": 4, "strategic": 1}) == (
        ["personal"],
        ["strategic"],
    )
    html = text.render(
        "en",
        "bab2.balance",
        counts={"personal": 1, "operational": 5, "strategic": 3},
        classified=9,
        contacts=9,
        missing=[],
        thin=["personal"],
    )
    assert "personal</b> network is still thin" in html


def test_classifying_while_a_case_map_is_open_keeps_it_open() -> None:
    convo = lesson(contacts="Budi - Ani kuat")
    case = MapView(2, "case", "Stunting Cilamaya", "Menurunkan stunting")
    convo.snap = dataclasses.replace(convo.snap, network=case, maps=(personal(convo), case))
    open_lesson(convo)
    walk_to(convo, "bab2.ibarra")
    convo.press("classify")
    convo.press("kind:strategic")  # Ani
    assert convo.outcome is not None
    effects = convo.outcome.effects
    assert isinstance(effects[0], SelectMap) and effects[0].ref == "1"
    assert isinstance(effects[1], ChangeMap) and effects[1].map_id == 1
    assert isinstance(effects[2], SelectMap) and effects[2].ref == "2"
    assert convo.snap.network is not None and convo.snap.network.id == 2
    assert personal(convo).find("Ani") is not None
    assert personal(convo).find("Ani").ibarra == "strategic"  # type: ignore[union-attr]


def test_without_contacts_the_lesson_points_to_the_map_and_goes_on() -> None:
    convo = lesson()
    open_lesson(convo)
    walk_to(convo, "bab2.ibarra")
    assert "belum berisi kontak" in convo.last[-1].plain
    assert "classify" not in convo.buttons and "map" in convo.buttons
    convo.press("next")
    assert convo.snap.state == "bab2.balance"
    assert "Belum ada kontak yang digolongkan" in convo.last[-1].plain
    convo.press("back")
    convo.press("map")  # the map (created on the first visit); the lesson keeps its place
    assert convo.snap.state == "network.home"
    convo.send("/menu")
    convo.press("m:bab2")
    assert "5 · Tiga jejaring" in convo.last[-1].plain


def test_the_map_counts_appear_on_the_teaching_pages() -> None:
    convo = lesson(contacts="Budi - Ani kuat\nBudi -> Dewi lemah")
    open_lesson(convo)
    convo.press("next")
    assert "1 hubungan kuat, 1 hubungan lemah" in convo.last[-1].plain
    convo.press("next")
    assert "3 aktor terhubung langsung" in convo.last[-1].plain
    assert "1 hubungan satu arah" in convo.last[-1].plain
    convo.press("next")
    page = convo.last[-1].plain
    assert "Modul menyebut 4 jenis, tetapi menguraikan lima" in page
    for kind in ("komunikasi", "informasi", "pemecahan masalah", "pengetahuan", "akses"):
        assert f"Jejaring {kind}" in page


def every_step() -> list[tuple[str, dict[str, int]]]:
    return [
        ("bab2.home", {}),
        *[(str(step), dict(where)) for step, where in bab2.PATH],
        ("bab2.classify", {}),
    ]


@pytest.mark.parametrize(("state", "data"), every_step(), ids=lambda v: str(v))
def test_bad_input_at_every_step_is_re_asked_and_changes_nothing(
    state: str, data: dict[str, int]
) -> None:
    convo = lesson(contacts="Budi - Ani kuat")
    if state == "bab2.home":
        convo.press("m:bab2")
    else:
        open_lesson(convo)
        if state == "bab2.classify":
            walk_to(convo, "bab2.ibarra")
            convo.press("classify")
        else:
            walk_to(convo, state, **data)
    answers = state in ("bab2.principle", "bab2.latihan")
    for bad in BAD_FOR_ANSWERS if answers else BAD_FOR_BUTTONS:
        before = convo.snap
        said = convo.send(bad)
        assert convo.outcome is not None and convo.outcome.effects == ()
        assert convo.snap == before, bad
        assert said[0].key in {
            "common.bad_media",
            "common.use_buttons",
            "common.not_found",
            "common.bad_answer_short",
            "common.bad_answer_long",
            "bab2.need_text",
        }, (state, said[0].key)
        assert said[-1].key == engine.prompt(convo.snap)[-1].key  # and the question again


def test_leaving_in_the_middle_and_coming_back_resumes_at_the_same_step() -> None:
    convo = lesson()
    open_lesson(convo)
    walk_to(convo, "bab2.principle", i=1)
    convo.send("/menu")
    assert convo.snap.state == "menu.main"
    said = convo.press("m:bab2")
    assert "Anda berhenti di" in said[-1].plain and "7 · Tiga prinsip" in said[-1].plain
    assert convo.buttons[:2] == ["go", "restart"]
    said = convo.press("go")
    assert (convo.snap.state, dict(convo.snap.data)) == ("bab2.principle", {"i": 1})
    assert "2/3" in said[-1].plain
    # a restart: the stored state is the step, and its question is asked again as it was
    again = Lesson(convo.snap)
    assert [r.key for r in engine.prompt(again.snap)] == ["bab2.principle"]
    again.send("Sumber daya yang berbeda saling melengkapi.")
    assert again.snap.data == {"i": 2}
    # starting over is always possible
    again.send("/batal")
    again.press("m:bab2")
    again.press("restart")
    assert again.snap.state == "bab2.network"


def test_a_finished_lesson_offers_its_summary_and_another_round() -> None:
    convo = lesson()
    open_lesson(convo)
    walk_to(convo, "bab2.done")
    convo.send("/menu")
    said = convo.press("m:bab2")
    assert "sudah menyelesaikan" in said[-1].plain
    assert convo.buttons[:2] == ["go", "restart"]
    convo.press("go")
    assert convo.snap.state == "bab2.done"


def test_a_stored_bookmark_that_no_longer_makes_sense_starts_the_lesson() -> None:
    convo = lesson()
    for junk in ("not json", '{"state": "bab2.gone", "data": {}}', '["bab2.ties"]'):
        answers = {**convo.snap.answers, "bab2.resume": junk}
        convo.snap = dataclasses.replace(convo.snap, state="menu.main", data={}, answers=answers)
        convo.press("m:bab2")
        convo.press("go")
        assert convo.snap.state == "bab2.network"
        convo.send("/menu")
