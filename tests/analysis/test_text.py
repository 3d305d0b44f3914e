"""The coach's reply: the five map questions, Telegram's length limit, valid HTML, the diff."""

from __future__ import annotations

import random
from functools import cache

import networkx as nx
import pytest

from coaching.analysis import Analysis, Tie, analyse, build_graph
from coaching.analysis_text import analysis_reply, diff_reply, diff_text
from coaching.text import LOCALES, html_to_plain, visible_length
from coaching.text import TELEGRAM_TEXT_MAX as TELEGRAM_LIMIT

from .helpers import cohort_map, html_errors, kite, personal_map


@cache
def _big(kind: str) -> Analysis:
    if kind == "personal150":
        return analyse(personal_map(150, 11))
    if kind == "cohort2000":
        return analyse(cohort_map(2000, 4))
    # 2,000 actors with long names, all tied to the participant
    rng = random.Random(5)
    long_names = [
        f"Kepala Bidang Perencanaan Pembangunan Daerah Nomor {i:04d}" for i in range(1999)
    ]
    ties = [Tie("Saya", name) for name in long_names]
    for _ in range(3000):
        a, b = rng.sample(long_names, 2)
        ties.append(Tie(a, b))
    unique: dict[frozenset[str], Tie] = {}
    for t in ties:
        unique.setdefault(frozenset((t.source, t.target)), t)
    return analyse(build_graph(list(unique.values()), ego="Saya"))


@pytest.mark.parametrize("kind", ["personal150", "cohort2000", "long2000"])
@pytest.mark.parametrize("locale", LOCALES)
def test_reply_fits_telegram(kind: str, locale: str) -> None:
    html = analysis_reply(_big(kind), locale=locale)
    assert visible_length(html) <= TELEGRAM_LIMIT
    assert html_errors(html) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_kite_reply_answers_the_five_questions(locale: str) -> None:
    plain = html_to_plain(analysis_reply(analyse(kite()), locale=locale))
    for number in ("1.", "2.", "3.", "4.", "5."):
        assert f"\n{number} " in plain
    assert "D" in plain and "H" in plain
    if locale == "id":
        for term in (
            "Ukuran jejaring",
            "Kepadatan",
            "Kluster",
            "Penghubung (hub)",
            "Broker",
            "inti–pinggiran",
            "merajut jejaring",
            "Peripheral player",
        ):
            assert term in plain, term
        assert "0,40" in plain
    else:
        for term in ("Network size", "Density", "Cluster", "Connector (hub)", "core/periphery"):
            assert term in plain, term


def test_personal_map_reply_speaks_of_the_participant() -> None:
    G = build_graph([Tie("Saya", f"Kontak {i}") for i in range(6)], ego="Saya")
    plain = html_to_plain(analysis_reply(analyse(G), locale="id"))
    assert "Dengan Anda" in plain and "Tanpa Anda" in plain
    assert "jejaring tersebar" in plain and "hub tunggal" in plain


def test_user_text_is_escaped() -> None:
    G = build_graph(
        [Tie("<b>Boss</b> & co", "Ani"), Tie("Ani", "Budi"), Tie("Budi", "<b>Boss</b> & co")]
    )
    html = analysis_reply(analyse(G), locale="en")
    assert "&lt;b&gt;Boss&lt;/b&gt; &amp; co" in html
    assert html_errors(html) == []


def test_empty_map_reply() -> None:
    for locale in LOCALES:
        html = analysis_reply(analyse(nx.Graph()), locale=locale)
        assert html and html_errors(html) == []


def test_diff_since_last_time() -> None:
    before = analyse(kite())
    G = kite()
    G.add_edge("d", "j", strength=None, direction="both", origin=None)
    G.add_node("k", name="K")
    G.add_edge("j", "k", strength="weak", direction="both", origin=None)
    after = analyse(G)
    diff = diff_text(before.to_json_dict(), after)
    assert diff.new_actors == ("K",)
    assert diff.new_ties == (("D", "J"), ("J", "K"))
    assert diff.removed_ties == ()
    assert (diff.ties_before, diff.ties_after) == (18, 20)
    assert diff.changed and not diff.stage_moved
    for locale in LOCALES:
        html = diff_reply(diff, locale=locale)
        assert "K" in html and html_errors(html) == []


def test_diff_of_a_moved_stage_and_first_time() -> None:
    star = build_graph([Tie("Saya", f"K{i}") for i in range(6)])
    scattered = build_graph([Tie("K1", "K2"), Tie("K3", "K4"), Tie("K5", "K6")])
    diff = diff_text(analyse(star).to_json_dict(), analyse(scattered))
    assert diff.stage_moved
    assert (diff.stage_before, diff.stage_after) == ("hub_and_spoke", "scattered_fragments")
    assert "Saya" in diff.removed_actors
    first = diff_text(None, analyse(star))
    assert first.stage_before is None and not first.stage_moved
    assert "pertama" in diff_reply(first, locale="id")
    same = diff_text(analyse(star).to_json_dict(), analyse(star))
    assert not same.changed


def test_diff_against_an_older_json_without_the_tie_list() -> None:
    old = analyse(kite()).to_json_dict()
    del old["tie_list"]
    diff = diff_text(old, analyse(kite()))
    assert diff.new_ties is None and not diff.changed
