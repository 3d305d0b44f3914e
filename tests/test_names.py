"""One validation for every name, one identity key, one resolver (coaching/names.py).

Issue 18 items 2 and 5 (what a name may hold, bounded after normalisation), issue 12 item 1
(one person, one node: the participant recognised, honorifics and titles ignored, near misses
and ambiguous names told apart), issue 19 item 2 (& and quotes are ordinary).
"""

from __future__ import annotations

import random
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from coaching import names, text
from coaching.analysis import graph
from coaching.names import (
    EGO_WORDS,
    KEY_MAX,
    NAME_MAX,
    Resolution,
    clean_name,
    match_key,
    name_key,
    resolve,
)
from coaching.network import check_actor_name
from coaching.validate import Checked, check_name, check_unit
from tests.support import telegram_html_errors

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u3164\u115f\u034f\ufe0f"
PROBLEMS = ("empty", "no_letters", "long", "command", "formula", "chars")


def _forbidden(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "C" or ch in BIDI or ch in ZERO_WIDTH


# --------------------------------------------------------------------------- clean_name


@pytest.mark.parametrize(
    "typed",
    [
        "Pak Budi Santoso (Bappeda)",
        "Dinas PU & PR",
        "KUD 'Sri Rejeki'",
        'Koperasi "Maju Bersama"',
        "Budi Santoso, S.T., M.Si.",
        "Pokja 1/2: Humas",
        "PKA Angkatan XII Kemenkeu & BPK",
        "Jum'at Ceria",
        "Café Ñoño",
        "Nguyễn Thị Minh Khai",
        "Kelompok Tani No. 5",
        "Dinas Kesehatan Kab. Bogor",
        "Ja'far bin Abdullah",
        "Bank Indonesia – Kantor Perwakilan",
    ],
)
def test_ordinary_names_with_punctuation_are_kept_as_typed(typed: str) -> None:
    assert clean_name(typed) == Checked(typed)


@pytest.mark.parametrize(
    ("typed", "cleaned"),
    [
        ("  Pak   Budi  ", "Pak Budi"),
        ("Bu\u200bdi", "Budi"),  # zero-width space: a look-alike of "Budi" (issue 18 item 5)
        ("\u202eBudi\u202c", "Budi"),  # right-to-left override
        ("\u2067Sari\u2069 Dewi", "Sari Dewi"),  # isolates
        ("Sari\x00 Dewi", "Sari Dewi"),  # NUL
        ("Sari\x07\x1b Dewi", "Sari Dewi"),
        ("Sari\x0bDewi", "Sari Dewi"),  # a vertical tab separates words
        ("Sari\tDewi\nAyu", "Sari Dewi Ayu"),
        ("Pa\u0301k", "Pák"),  # NFC
        ("\ufeffBudi", "Budi"),
        ("Bu\u3164di", "Budi"),  # Hangul filler, a letter that shows nothing
        ("\ud800Budi\udfff", "Budi"),  # lone surrogates
    ],
)
def test_invisible_control_and_bidi_characters_are_removed(typed: str, cleaned: str) -> None:
    assert clean_name(typed) == Checked(cleaned)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", "names.empty"),
        ("   \u200b\u202e ", "names.empty"),
        ("\x00\x00", "names.empty"),
        ("\u0300\u0300", "names.no_letters"),  # only combining marks (issue 18 item 2)
        ("...", "names.no_letters"),
        ("& - &", "names.no_letters"),
        ("a" * 81, "names.long"),
        ("/start", "names.command"),
        ("=1+1", "names.formula"),
        ("\x0b=1+1", "names.formula"),  # the vertical-tab trick (issue 18 item 5)
        ("\t=HYPERLINK(1)", "names.formula"),
        ("\r+62 812", "names.formula"),
        ("-Budi", "names.formula"),
        ("@Budi", "names.formula"),
        ("＝1+1", "names.formula"),  # full-width
        ("<b>Budi</b>", "names.chars"),
        ("Budi {x}", "names.chars"),
        ("Budi 😀", "names.chars"),
        ("\u0301Budi", "names.chars"),  # a mark with nothing to sit on
    ],
)
def test_names_are_refused_with_a_reason(typed: str, problem: str) -> None:
    assert clean_name(typed) == Checked(None, problem)


def test_the_length_is_bounded_after_normalisation() -> None:
    assert clean_name("a" * 80).value == "a" * 80
    assert clean_name("a" * 80 + "\u200b" * 50).value == "a" * 80  # invisibles do not count
    assert clean_name(" ".join(["a"] * 40) + "      ").value == " ".join(["a"] * 40)
    # "e" + combining acute composes to one character under NFC
    assert clean_name("e\u0301" * 80).value == "é" * 80
    assert clean_name("x" * 121, limit=120).problem == "names.long"


def test_every_problem_has_a_message_in_both_locales() -> None:
    for locale in text.LOCALES:
        for problem in PROBLEMS:
            for context in ({}, {"name": "<b>Budi</b>", "limit": 80}):
                html = text.render(locale, f"names.{problem}", **context)
                assert telegram_html_errors(html) == [], html
                assert "<b>Budi</b>" not in html  # the typed name is escaped


def test_check_actor_name_is_the_one_validation() -> None:
    assert check_actor_name("Bu\u200bdi") == ("Budi", None)
    assert check_actor_name("\x0b=1+1") == (None, "names.formula")
    assert check_actor_name("\u0300\u0300") == (None, "names.no_letters")
    assert check_actor_name("Dinas PU & PR") == ("Dinas PU & PR", None)


def test_participant_name_and_unit_share_the_cleaning() -> None:
    assert check_name("Sa\u200bri \u202eDewi") == Checked("Sari Dewi")
    assert check_name("\x0b=Sari").problem == "onboarding.bad_name_chars"
    assert check_name("\u200b").problem == "onboarding.bad_name_empty"
    assert check_name("Sari" * 30).problem == "onboarding.bad_name_long"
    assert check_unit("Dinas PU & PR Kab.\u200b Bogor") == Checked("Dinas PU & PR Kab. Bogor")
    assert check_unit("\u0300\u0300").problem == "onboarding.bad_unit_chars"


# --------------------------------------------------------------------------- name_key


def _old_name_key(name: str) -> str:
    """graph.name_key as it was when the stored keys were written."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


ORDINARY = st.text(
    alphabet=st.sampled_from(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,'-&()éèüöñçãâíóÉÑ"
    ),
    max_size=60,
)


@given(ORDINARY)
@example("Pák  Budi ")
@example("Dinas PU & PR")
def test_name_key_keeps_the_stored_keys_of_ordinary_names(name: str) -> None:
    assert name_key(name) == _old_name_key(name)


def test_graph_name_key_delegates() -> None:
    assert graph.name_key is names.name_key
    assert graph.name_key("Pák  Budi ") == "pak budi"


def test_name_key_is_bounded_even_when_casefolding_grows_the_name() -> None:
    assert clean_name("ß" * 80).value == "ß" * 80
    assert name_key("ß" * 80) == "ss" * 40
    assert len(name_key("ﬁ" * 80)) == KEY_MAX
    assert name_key("a" * 79 + " b") == "a" * 79  # never ends in a space


def test_name_key_ignores_invisible_characters() -> None:
    assert name_key("Bu\u200bdi") == name_key("Budi")


UNICODE = st.text(
    alphabet=st.one_of(
        st.characters(codec=None),  # anything, lone surrogates included
        st.sampled_from(["ß", "ﬁ", "\u0300", "\u0301", "\x00", "\x0b", "İ", *BIDI, *ZERO_WIDTH]),
    ),
    max_size=200,
)


@settings(max_examples=400)
@given(UNICODE)
@example("ß" * 80)
@example("ﬁ" * 80)
@example("\u0300" * 5)
@example("\x00Budi")
@example("\ud800")
@example("\u202eBudi")
@example("ΐ" * 40)
def test_any_unicode_is_cleaned_bounded_and_idempotent(raw: str) -> None:
    checked = clean_name(raw)
    if checked.value is not None:
        value = checked.value
        assert 0 < len(value) <= NAME_MAX
        assert not any(_forbidden(ch) for ch in value), ascii(value)
        assert value == value.strip() and "  " not in value
        assert unicodedata.is_normalized("NFC", value)
        assert clean_name(value) == checked  # idempotent
        assert 0 < len(name_key(value)) <= KEY_MAX
    else:
        assert checked.problem in {f"names.{p}" for p in PROBLEMS}
    key = name_key(raw)
    assert len(key) <= KEY_MAX
    assert name_key(key) == key  # a stored key looks itself up
    assert not any(_forbidden(ch) for ch in key)
    assert match_key(match_key(raw)) == match_key(match_key(match_key(raw)))


# --------------------------------------------------------------------------- match_key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Pak Budi Santoso (Bappeda)", "Budi Santoso"),
        ("Bapak Budi Santoso", "budi santoso"),
        ("Ibu Sari", "Bu Sari"),
        ("dr. Nia", "dr nia"),
        ("Dr. Nia", "Nia"),
        ("Prof. Dr. Ir. H. Budi Santoso, M.Sc., Ph.D.", "Budi Santoso"),
        ("Hj. Siti Aminah, S.E.", "Siti Aminah"),
        ("Budi Santoso S.T. M.Si.", "Budi Santoso"),
        ("Budi Santoso MSc", "Budi Santoso"),
        ("Sdr. Joko", "Joko"),
        ("Drs. Bambang", "Bambang"),
        ("Mr. John Smith", "John Smith"),
        ("Kominfo Prov", "Kominfo Provinsi"),
        ("Kominfo Prov.", "KOMINFO PROVINSI"),
        ("Dinas Kesehatan Kab. Bogor", "Dinas Kesehatan Kabupaten Bogor"),
        ("Camat Kec. Cibinong", "Camat Kecamatan Cibinong"),
        ("Pemprov Jabar", "Pemerintah Provinsi Jabar"),
        ("Jum'at Ceria", "Jumat Ceria"),
        ("Dinas-PU", "Dinas PU"),
        ("Pák  Budí", "pak budi"),
    ],
)
def test_match_key_ignores_honorifics_titles_degrees_units_and_punctuation(a: str, b: str) -> None:
    assert match_key(a) == match_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Pemangku A", "Pemangku B"),
        ("Jack Ma", "Jack"),  # "Ma" without a comma or dots is a name, not a degree
        ("Budi H.", "Budi"),  # an initial, not Haji
        ("Dinas Pertanian", "Dinas Perikanan"),
        ("Diskominfo", "Dinas Kominfo"),  # "Dis" is not spelt out (documented)
        ("Budi (Bappeda) Santoso", "Budi Santoso"),  # only a *trailing* unit is dropped
    ],
)
def test_match_key_keeps_what_tells_actors_apart(a: str, b: str) -> None:
    assert match_key(a) != match_key(b)


def test_match_key_never_leaves_nothing() -> None:
    assert match_key("Pak") == "pak"
    assert match_key("(Bappeda)") == "bappeda"
    assert match_key("Dr.") == "dr"


# --------------------------------------------------------------------------- resolve

MAP = [
    "Sari Dewi",  # the participant
    "Pak Budi Santoso (Bappeda)",
    "Budi Hartono",
    "Kominfo Provinsi",
    "dr. Nia",
    "Pemangku A",
    "Dinas Kesehatan",
    "Bu Ani",
]


def r(typed: str, known: list[str] = MAP) -> Resolution:
    """Resolve on the personal map above."""
    return resolve(typed, known, ego="Sari Dewi")


@pytest.mark.parametrize(
    "typed", ["Saya", "saya", "SAYA", "aku", "Anda", "me", "I", "myself", "diri saya", "Sari Dewi"]
)
def test_the_participant_is_recognised(typed: str) -> None:
    assert r(typed) == Resolution("ego", clean_name(typed).value or "", "Sari Dewi")


def test_the_participant_is_recognised_by_their_profile_names() -> None:
    got = resolve("Sari D. Wulandari", MAP, ego="Sari Dewi", ego_names=["Sari D. Wulandari"])
    assert got.kind == "ego" and got.name == "Sari Dewi"
    assert resolve("Bu Sari Dewi", MAP, ego="Sari Dewi").kind == "ego"


def test_on_a_case_map_saya_is_the_participant_who_is_not_on_it() -> None:
    assert resolve("Saya", MAP[1:], ego=None) == Resolution("ego", "Saya", None)
    # Their own name there is an ordinary actor's name.
    assert resolve("Sari Dewi", MAP, ego=None, ego_names=["Sari Dewi"]).kind == "same"
    assert resolve("Sari Dewi", MAP[1:], ego=None, ego_names=["Sari Dewi"]).kind == "new"


def test_ego_words_are_keys() -> None:
    assert all(word == name_key(word) for word in EGO_WORDS)


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Pak Budi Santoso", "Pak Budi Santoso (Bappeda)"),
        ("budi santoso", "Pak Budi Santoso (Bappeda)"),
        ("Bapak Budi Santoso, S.T.", "Pak Budi Santoso (Bappeda)"),
        ("Kominfo Prov", "Kominfo Provinsi"),  # issue 12
        ("dr nia", "dr. Nia"),  # issue 12
        ("Dr. Nia", "dr. Nia"),
        ("DINAS KESEHATAN", "Dinas Kesehatan"),
        ("Ibu Ani", "Bu Ani"),
        ("Budi Hartono", "Budi Hartono"),
    ],
)
def test_the_same_actor_whatever_the_spelling(typed: str, name: str) -> None:
    got = r(typed)
    assert (got.kind, got.name) == ("same", name)


@pytest.mark.parametrize(
    ("typed", "best"),
    [
        ("Budi Santosa", "Pak Budi Santoso (Bappeda)"),  # a typo
        ("Budy Hartono", "Budi Hartono"),
        ("Dinas Kesehatn", "Dinas Kesehatan"),
        ("Dinas Kesehtn", "Dinas Kesehatan"),  # two edits in a long word
        ("Dinas Kes", "Dinas Kesehatan"),  # a shortened word
        ("Kominfo", "Kominfo Provinsi"),  # the words are among one actor's words
        ("Nia Kurnia", "dr. Nia"),  # one actor's words among the typed ones
        ("DinasKesehatan", "Dinas Kesehatan"),  # a missing space
        ("Santoso Budi", "Pak Budi Santoso (Bappeda)"),  # words swapped
        ("Pak Ani", "Bu Ani"),  # the other sex's honorific: ask, do not assume
    ],
)
def test_a_near_miss_is_asked_about(typed: str, best: str) -> None:
    got = r(typed)
    assert got.kind == "near", got
    assert got.name == best == got.candidates[0]
    assert 1 <= len(got.candidates) <= names.NEAR_MAX


def test_budi_with_two_budis_is_ambiguous() -> None:
    got = r("Budi")
    assert got.kind == "ambiguous" and got.name is None
    assert set(got.candidates) == {"Pak Budi Santoso (Bappeda)", "Budi Hartono"}


def test_budi_with_one_budi_is_near() -> None:
    got = r("Budi", [n for n in MAP if n != "Budi Hartono"])
    assert (got.kind, got.name) == ("near", "Pak Budi Santoso (Bappeda)")


def test_two_actors_with_the_same_match_key() -> None:
    known = ["Pak Budi", "Bu Budi"]
    assert resolve("Pak Budi", known) == Resolution("same", "Pak Budi", "Pak Budi")
    assert resolve("Bapak Budi", known) == Resolution("same", "Bapak Budi", "Pak Budi")
    got = resolve("Budi", known)
    assert got.kind == "ambiguous" and set(got.candidates) == set(known)


@pytest.mark.parametrize(
    "typed",
    ["Pemangku B", "Ani Lestari Wijaya", "Dinas Pertanian", "Rina", "Ani", "Budi Gunawan Putra"],
)
def test_a_new_name_is_new(typed: str) -> None:
    known = ["Pemangku A", "Dinas Perikanan", "Anita", "Budi Hartono"]
    assert resolve(typed, known) == Resolution("new", typed)


def test_resolve_refuses_what_clean_name_refuses() -> None:
    with pytest.raises(ValueError):
        resolve("\u0300\u0300", MAP)


def test_resolve_is_deterministic_whatever_the_order() -> None:
    rng = random.Random(7)
    known = [*MAP, "Budi Hartanto", "Budi Hartono Putra", "Kominfo Kota", "Nia Ramadhani"]
    for typed in ("Budi", "Budi Hartono", "Kominfo", "Nia", "Budi Hartnto"):
        first = resolve(typed, known, ego="Sari Dewi")
        for _ in range(10):
            rng.shuffle(known)
            assert resolve(typed, known, ego="Sari Dewi") == first


def test_many_matches_are_capped() -> None:
    known = [f"Budi {family}" for family in ("A1", "B2", "C3", "D4", "E5", "F6", "G7", "H8", "I9")]
    got = resolve("Budi", known)
    assert got.kind == "ambiguous" and len(got.candidates) == names.AMBIGUOUS_MAX


@settings(max_examples=200)
@given(st.lists(UNICODE, max_size=8), UNICODE)
def test_resolve_never_fails_on_valid_names(known_raw: list[str], typed_raw: str) -> None:
    known = [c.value for c in map(clean_name, known_raw) if c.value]
    typed = clean_name(typed_raw).value
    if typed is None:
        return
    got = resolve(typed, known, ego=known[0] if known else None)
    assert got.typed == typed
    assert got.name is None or got.name in known
    assert set(got.candidates) <= set(known)
    if got.kind == "same":
        assert match_key(got.name or "") == match_key(typed)
    if got.kind == "new":
        assert not any(match_key(k) == match_key(typed) for k in known)
