"""Formative feedback on answers (coaching/feedback.py): every rubric item with a good, a
partial and an empty answer in both languages; drafts; the participant's own map; bad input."""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from coaching import feedback, text
from coaching.curriculum import EXERCISES
from coaching.flows import bab5
from coaching.model import Profile, SaveAnswer, Snapshot
from coaching.network import Actor, MapView, TieView
from tests.support import NOW, Conversation, said, telegram_html_errors
from tests.test_bab2 import lesson, open_lesson, walk_to

ANSWERS_PATH = Path(__file__).parent / "data" / "feedback_answers.toml"
LOCALES = ("id", "en")
EMPTY = {
    "id": ["Tidak tahu, belum baca modulnya.", "-", "ok", "belum tahu", "   ", "..."],
    "en": ["I don't know yet.", "-", "no idea", "n/a", "?", "idk, not sure"],
}

# Evasive whatever their length (issue 13 item 1): a draft unless two key points are touched.
EVASIVE = {
    "id": [
        "Tidak tahu, belum baca modulnya, nanti saja saya pikirkan lagi kalau sempat ya",
        "Maaf Pak, saya belum sempat membaca materinya, nanti saya jawab setelah acara minggu"
        " depan di kantor bersama tim.",
        "Belum tahu jawabannya. Nanti dulu, saya masih sibuk dengan laporan akhir tahun.",
    ],
    "en": [
        "I don't know, haven't read the module yet, will think about it later",
        "Sorry, I have not read the chapter yet; I will answer it later when I have time after"
        " the office event.",
        "No idea yet. Maybe later, busy with the year-end report right now.",
    ],
}
SIGNS = ["-", "...", "👍", "?", "…", "👍👍👍", "?!", "— —", "🙏🏻 🙂", "!!!"]


def _items(node: Mapping[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    if "good_id" in node:
        yield ".".join(path), node
        return
    for name, child in node.items():
        if isinstance(child, Mapping):
            yield from _items(child, (*path, name))


ANSWERS: dict[str, Mapping[str, str]] = dict(_items(tomllib.loads(ANSWERS_PATH.read_text())))
CASES = [(key, locale) for key in sorted(ANSWERS) for locale in LOCALES]


def _snap(locale: str = "id", **changes: Any) -> Snapshot:
    profile = Profile(name="Sari Dewi", language=locale, consent_at=NOW)
    return dataclasses.replace(Snapshot(profile, "menu.main", {}, 1, NOW), **changes)


def _html(locale: str, key: str, answer: str, snap: Snapshot | None = None) -> str:
    fb = feedback.assess(key, answer)
    reply = feedback.reply(snap or _snap(locale), key, fb, answer)
    html = said(locale, reply).html
    assert telegram_html_errors(html) == []
    return html


def test_every_item_of_the_module_has_a_rubric_and_test_answers() -> None:
    reflections = {"bab2.similarity", "bab2.exchange", "bab2.reciprocity", "bab5.leadership"}
    transitions = {bab5.stage_key(s, a) for s in range(4) for a in range(4)}
    situations = {bab5.situation_key(s) for s in range(4)}  # Bab V's stage question
    for key in {*EXERCISES, *reflections, *transitions, *situations}:
        rubric = feedback.rubric_for(key)
        assert rubric is not None, key
        assert rubric.points, key
        for point in rubric.points:
            assert all(point.label[loc] and point.ask[loc] for loc in LOCALES), (key, point.id)
            assert point.terms, (key, point.id)
    assert set(ANSWERS) == set(feedback.rubrics())


@pytest.mark.parametrize(("key", "locale"), CASES)
def test_a_good_answer_covers_every_key_point(key: str, locale: str) -> None:
    answer = ANSWERS[key][f"good_{locale}"]
    fb = feedback.assess(key, answer)
    rubric = feedback.rubric_for(key)
    assert rubric is not None
    assert not fb.draft
    assert [p.id for p in fb.covered] == [p.id for p in rubric.points]
    assert fb.missing is None
    html = _html(locale, key, answer)
    for point in rubric.points:
        address = text.render(locale, "feedback.address")
        assert point.label[locale].replace("{sapaan}", address) in text.html_to_plain(html)
    assert ("Semua butir pokok" if locale == "id" else "Every key point") in html


@pytest.mark.parametrize(("key", "locale"), CASES)
def test_a_partial_answer_is_told_what_it_covers_and_the_point_it_misses(
    key: str, locale: str
) -> None:
    answer = ANSWERS[key][f"partial_{locale}"]
    fb = feedback.assess(key, answer)
    assert not fb.draft
    assert fb.covered
    assert fb.missing is not None and fb.missing.id == ANSWERS[key][f"missing_{locale}"]
    plain = text.html_to_plain(_html(locale, key, answer))
    address = text.render(locale, "feedback.address")
    assert fb.missing.ask[locale].replace("{sapaan}", address) in plain  # the follow-up question
    assert fb.missing.label[locale].replace("{sapaan}", address) in plain
    for point in fb.covered:
        assert point.label[locale].replace("{sapaan}", address) in plain


@pytest.mark.parametrize(("key", "locale"), CASES)
def test_an_empty_or_evasive_answer_is_a_draft_met_with_encouragement(
    key: str, locale: str
) -> None:
    for answer in EMPTY[locale]:
        fb = feedback.assess(key, answer)
        assert fb.draft, (key, answer)
        assert not fb.covered
    plain = text.html_to_plain(_html(locale, key, EMPTY[locale][0]))
    assert ("draf" if locale == "id" else "draft") in plain
    rubric = feedback.rubric_for(key)
    assert rubric is not None
    address = text.render(locale, "feedback.address")
    assert rubric.points[0].ask[locale].replace("{sapaan}", address) in plain


@pytest.mark.parametrize(("key", "locale"), CASES)
def test_an_evasive_answer_of_any_length_or_only_signs_is_a_draft(key: str, locale: str) -> None:
    for answer in [*EVASIVE[locale], *SIGNS]:
        fb = feedback.assess(key, answer)
        assert fb.draft, (key, answer)
        assert not fb.covered and not fb.mixups
    plain = text.html_to_plain(_html(locale, key, EVASIVE[locale][0]))
    assert ("draf" if locale == "id" else "draft") in plain
    assert "tersimpan" not in plain.casefold() and "saved" not in plain.casefold()
    rubric = feedback.rubric_for(key)
    assert rubric is not None
    address = text.render(locale, "feedback.address")
    assert rubric.points[0].ask[locale].replace("{sapaan}", address) in plain  # what to write


def test_an_evasive_answer_that_still_touches_two_key_points_counts() -> None:
    key = "bab2.evaluasi2"
    two = {
        "id": "Saya belum baca modulnya, tapi jejaring kerja itu hubungan kuat dan lemah.",
        "en": "I haven't read the module, but a network is a set of strong and weak ties.",
    }
    one = {
        "id": "Saya belum baca modulnya, nanti saja; yang saya ingat hanya kata kuat.",
        "en": "I haven't read the module, will do it later; I only remember strong ones.",
    }
    for locale in LOCALES:
        counted = feedback.assess(key, two[locale])
        assert not counted.draft and len(counted.covered) >= 2, locale
        kept = feedback.assess(key, one[locale])
        assert kept.draft and not kept.covered, locale


def test_doubt_about_something_is_an_answer_not_an_evasion() -> None:
    """ "I don't know whether …" says what the participant is unsure of: it is an answer."""
    for answer in (
        "Saya tidak tahu apakah semua pihak berkomitmen pada tujuan jejaring ini.",
        "I don't know whether every member is committed to the purpose we set.",
        "Warga tidak tahu bahwa tujuan layanan ini tercapai; komitmen dinas masih rendah.",
    ):
        fb = feedback.assess("bab5.transition.purpose", answer)
        assert not fb.draft and fb.covered, answer


def test_matching_is_tolerant_of_affixes_synonyms_and_typos() -> None:
    key = "bab2.latihan2"
    # "mempercayai" (trust), "memperkenalkan" (know), "mendengarkan" (like): affixed forms
    fb = feedback.assess(
        key, "Di rapat kami saling memperkenalkan diri, mendengarkan, mempercayai."
    )
    assert {p.id for p in fb.covered} >= {"event", "know", "like", "trust"}
    # a typo of a long word still counts; a short word must be exact
    typo = feedback.assess("bab3.evaluasi2", "D punya paling banyak hubungn langsung, jadi dia")
    assert "degree" in {p.id for p in typo.covered}
    short = feedback.assess("bab2.evaluasi2", "Jejaring berisi hubungan yang kuas dan lemas saja")
    assert "strong_weak" not in {p.id for p in short.covered}


def test_mixing_the_two_stage_models_is_said() -> None:
    answer = (
        "Tahapannya scattered fragments, lalu hub and spoke, lalu multi hub dan core periphery."
    )
    fb = feedback.assess("bab5.evaluasi2", answer)
    assert fb.mixups
    assert "Krebs" in text.html_to_plain(_html("id", "bab5.evaluasi2", answer))
    assert not feedback.assess("bab5.evaluasi2", ANSWERS["bab5.evaluasi2"]["good_id"]).mixups


# --- the participant's own map -----------------------------------------------------------------

KITE = ("A-B", "A-C", "A-D", "A-F", "B-D", "B-E", "B-G", "C-D", "C-F", "D-E", "D-F", "D-G")
KITE += ("E-G", "F-G", "F-H", "G-H", "H-I", "I-J")


def _kite(map_id: int = 7) -> MapView:
    names = {c: f"Pak {c}" for c in "ABCDEFGHIJ"}
    actors = tuple(Actor(n) for n in names.values())
    ties = tuple(TieView(Actor(names[e[0]]).key, Actor(names[e[2]]).key, "strong") for e in KITE)
    return MapView(map_id, "case", "Layang-layang kami", "Uji", actors, ties)


def test_evaluasi_iii_2_points_to_who_is_central_on_the_participants_own_map() -> None:
    kite = _kite()
    snap = _snap(network=kite, maps=(kite,))
    html = _html("id", "bab3.evaluasi2", ANSWERS["bab3.evaluasi2"]["partial_id"], snap)
    assert "Layang-layang kami" in html and "Pak D (6 hubungan)" in html  # counted from the map
    assert "/analisis" in html
    # with its analysis: the analysis' hubs, brokers and closest, as /analisis found them
    roles = {"hubs": ["Pak D"], "brokers": ["Pak H"], "closest": ["Pak F", "Pak G"]}
    analysed = dataclasses.replace(snap, last_analysis={"roles": roles})
    plain = text.html_to_plain(
        _html("en", "bab3.evaluasi2", ANSWERS["bab3.evaluasi2"]["partial_en"], analysed)
    )
    assert "hub (degree): Pak D" in plain and "broker (betweenness): Pak H" in plain
    assert "closest to everyone (closeness): Pak F, Pak G" in plain


def test_size_and_density_items_show_the_maps_own_figures() -> None:
    kite = _kite()
    snap = _snap(network=kite, maps=(kite,))
    assert "10 aktor dan 18 hubungan" in _html("id", "bab3.evaluasi1", "Banyaknya aktor.", snap)
    density = _html("id", "bab3.evaluasi3", ANSWERS["bab3.evaluasi3"]["good_id"], snap)
    assert "0,40" in density and "18 hubungan dari 45" in density
    english = _snap("en", network=kite, maps=(kite,))
    assert "0.40" in _html("en", "bab3.evaluasi3", ANSWERS["bab3.evaluasi3"]["good_en"], english)


def test_without_a_map_the_feedback_says_to_make_one() -> None:
    html = _html("id", "bab3.evaluasi2", ANSWERS["bab3.evaluasi2"]["partial_id"])
    assert "belum berisi cukup aktor" in html


# --- in the conversation -----------------------------------------------------------------------


def _open(convo: Conversation, key: str) -> None:
    convo.send("/menu")
    convo.press(f"m:{key.split('.')[0]}")
    if convo.snap.state != "exercises.list":
        convo.press("exercises")
    convo.press(f"x:{key}")
    assert convo.snap.state == "exercises.answer"


def test_an_evasive_evaluasi_is_kept_as_a_draft_and_counts_nothing() -> None:
    convo = Conversation()
    convo.onboard()
    _open(convo, "bab3.evaluasi1")
    convo.send("Tidak tahu, belum baca modulnya.")
    assert convo.outcome is not None
    assert SaveAnswer("bab3.evaluasi1", "Tidak tahu, belum baca modulnya.", draft=True) in (
        convo.outcome.effects
    )
    assert "bab3.evaluasi1" not in convo.snap.completed
    assert convo.snap.answers["bab3.evaluasi1"] == "Tidak tahu, belum baca modulnya."
    assert convo.snap.state == "exercises.answer"  # the question stays open
    assert "draf" in convo.last[-1].plain and "Tersimpan" not in convo.last[-1].plain
    good = ANSWERS["bab3.evaluasi1"]["good_id"]
    convo.send(good)
    assert "bab3.evaluasi1" in convo.snap.completed and convo.snap.state == "exercises.list"
    assert convo.last[0].key == "feedback.reply"
    # a later evasive answer never replaces the full one
    _open(convo, "bab3.evaluasi1")
    convo.send("-")
    convo.send("tidak tahu")
    assert convo.snap.answers["bab3.evaluasi1"] == good
    assert "bab3.evaluasi1" in convo.snap.completed
    assert "tetap tersimpan" in convo.last[-1].plain


@pytest.mark.parametrize("locale", LOCALES)
def test_a_long_evasive_evaluasi_or_only_signs_is_a_draft_and_never_shown_as_saved(
    locale: str,
) -> None:
    convo = Conversation()
    convo.onboard(language=locale)
    _open(convo, "bab3.evaluasi1")
    for answer in (EVASIVE[locale][0], "...", "👍👍👍"):
        convo.send(answer)
        assert convo.outcome is not None
        assert SaveAnswer("bab3.evaluasi1", answer, draft=True) in convo.outcome.effects
        assert "bab3.evaluasi1" not in convo.snap.completed
        assert convo.snap.state == "exercises.answer"  # the question stays open
        plain = convo.last[-1].plain
        assert ("draf" if locale == "id" else "draft") in plain, answer
        assert "tersimpan" not in plain.casefold() and "saved" not in plain.casefold()


def test_a_draft_reflection_is_not_listed_as_saved_at_the_lessons_end() -> None:
    convo = lesson()
    open_lesson(convo)
    walk_to(convo, "bab2.principle", i=0)
    convo.send(EVASIVE["id"][0])
    assert convo.snap.state == "bab2.principle"
    assert convo.snap.answers["bab2.similarity"] == EVASIVE["id"][0]  # kept, as a draft
    convo.press("skip")  # the question's buttons stay valid
    walk_to(convo, "bab2.done")
    plain = convo.last[-1].plain
    assert "Refleksi prinsip kesamaan" not in plain and "Tersimpan" not in plain


def test_a_lesson_reflection_gets_feedback_and_an_evasive_one_stays_on_the_question() -> None:
    convo = lesson("en")
    open_lesson(convo)
    walk_to(convo, "bab2.principle", i=0)
    convo.send("idk")
    assert convo.snap.state == "bab2.principle" and "draft" in convo.last[-1].plain
    assert convo.outcome is not None and not convo.outcome.changed  # its buttons stay valid
    convo.send(ANSWERS["bab2.similarity"]["partial_en"])
    assert convo.last[0].key == "feedback.reply"
    assert "What is missing when a network holds only people like you?" in convo.last[0].plain


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "<b>tebal</b> <script>alert(1)</script> & <a href='x'>tautan</a> hubungan kuat dan lemah",
        "علاقات قوية وضعيفة بين الأطراف لتحقيق الهدف " * 20,
        "强关系和弱关系 网络 " * 50,
        "🙂🤝🌐 " * 300,
        "Jejaring kerja adalah hubungan kuat dan lemah antarpihak untuk tujuan. " * 48,
        "\u202egnirajej\u202c hubungan \u0000 kuat",
    ],
)
def test_any_length_or_script_is_assessed_and_never_quoted_back_as_markup(answer: str) -> None:
    checked = answer[:3500]
    for locale in LOCALES:
        html = _html(locale, "bab2.evaluasi2", checked)
        assert "<script>" not in html and "<b>tebal</b>" not in html
        assert "<a href='x'>" not in html
        if "<b>tebal" in checked:
            assert "&lt;b&gt;tebal&lt;/b&gt;" in html
