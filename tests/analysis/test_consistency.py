"""One reading, never two (ANALYSIS.md, "Consistency"): on random maps (with and without the
participant, with resources and needs), on every map in shared/data/ and on the bundled
examples; and the cases issue 12 found."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coaching.analysis import RESOURCE_KINDS, Tie, analyse, build_graph
from coaching.analysis.csvio import load_csv
from coaching.analysis_text import advice_stage, analysis_reply
from coaching.examples import example_keys, load_example
from coaching.network import RESOURCES, Actor, MapView, TieView
from coaching.text import LOCALES, html_to_plain, render

from .consistency import WORDS, check_consistency
from .helpers import DATA_DIR, data_dir, kite

NEEDS = (
    "dana kegiatan",
    "data pasar gabah",
    "pelatihan teknis",
    "dukungan kebijakan",
    "lahan untuk gudang",
    "funding and advice",
)

PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def maps(draw: Any) -> tuple[nx.Graph, str | None]:
    """A random map of up to 14 actors: any ties, maybe a participant, maybe steps 2b/2c."""
    n = draw(st.integers(1, 14))
    names = [f"A{i}" for i in range(n)]
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=30))
    ties: dict[frozenset[int], Tie] = {}
    for a, b in pairs:
        if a != b:
            ties.setdefault(frozenset((a, b)), Tie(names[a], names[b]))
    ego = draw(st.sampled_from([None, *names]))
    attributes = {}
    if draw(st.booleans()):
        for name in names:
            resources = draw(st.lists(st.sampled_from(RESOURCE_KINDS), max_size=3, unique=True))
            need = draw(st.sampled_from([None, *NEEDS]))
            if resources or need:
                attributes[name] = {"resources": tuple(resources), "needs": need}
    G = build_graph(list(ties.values()), actors=names, ego=ego, attributes=attributes)
    return G, ego


@PROFILE
@given(maps())
def test_every_rule_holds_on_random_maps(drawn: tuple[nx.Graph, str | None]) -> None:
    G, _ = drawn
    check_consistency(G, analyse(G))


DATA_FILES = sorted(p.relative_to(DATA_DIR) for p in DATA_DIR.rglob("*.csv"))


def test_the_shared_data_is_there() -> None:
    assert list(data_dir().rglob("*.csv"))


@pytest.mark.parametrize("path", DATA_FILES, ids=str)
def test_every_rule_holds_on_the_shared_data(path: Path) -> None:
    G = load_csv(data_dir() / path)
    check_consistency(G, analyse(G))
    # and read as someone's personal map, with its best-tied actor as the participant
    ego = max(sorted(G), key=G.degree)
    check_consistency(G, analyse(G, ego=G.nodes[ego]["name"]))


@pytest.mark.parametrize("key", example_keys())
def test_every_rule_holds_on_the_bundled_examples(key: str) -> None:
    G = load_example(key)
    check_consistency(G, analyse(G))


# ---------------------------------------------------------------- the cases of issue 12


def _plain(G: nx.Graph, locale: str = "id", ego: str | None = None) -> str:
    return html_to_plain(analysis_reply(analyse(G, ego=ego), locale=locale))


def _section(plain: str, locale: str, number: int) -> str:
    """Question ``number`` (1-5, or 6 for step 4b) of a reply."""
    headings = WORDS[locale].headings
    start = plain.index(headings[number - 1])
    end = plain.index(headings[number]) if number < len(headings) else len(plain)
    return plain[start:end]


def _stage_csv(name: str) -> nx.Graph:
    return load_csv(data_dir() / "stages" / f"{name}.csv")


def test_a_broker_is_never_also_peripheral() -> None:
    # scattered_fragments-1: c2 and d1 were both broker and peripheral player
    result = analyse(_stage_csv("scattered_fragments-1"))
    assert result.roles.brokers == ("c2", "d1")
    assert not {"c2", "d1"} & set(result.roles.peripheral)
    # ...and they broker only within their own piece: the map has no piece of half its size
    q3 = _section(_plain(_stage_csv("scattered_fragments-1")), "id", 3)
    assert "Broker: belum ada" in q3
    assert "Broker di dalam bagiannya sendiri: c2, d1" in q3


def test_a_hub_is_never_peripheral() -> None:
    # the centre of a star has k-core number 1 like its spokes (the picture marked it P)
    G = build_graph([Tie("Pusat", f"S{i}") for i in range(6)])
    result = analyse(G)
    assert result.roles.hubs == ("Pusat",)
    assert "Pusat" not in result.roles.peripheral
    personal = analyse(G, ego="Pusat")
    assert "Pusat" not in personal.roles.peripheral
    assert "peripheral player" not in _section(_plain(G, ego="Pusat"), "id", 3)


@pytest.mark.parametrize("locale", LOCALES)
def test_hub_and_spoke_names_the_spokes_outside_all_clusters(locale: str) -> None:
    head = _plain(_stage_csv("hub_and_spoke-1"), locale).split("\n\n")[0]
    spokes = ", ".join(f"s{i}" for i in range(3, 10))
    if locale == "id":
        assert "• Kluster 1 (3 aktor): h, s1, s2" in head
        assert f"• Di luar semua kluster (7 aktor): {spokes}" in head
    else:
        assert "• Cluster 1 (3 actors): h, s1, s2" in head
        assert f"• Outside all clusters (7 actors): {spokes}" in head


@pytest.mark.parametrize("locale", LOCALES)
def test_an_isolated_triangle_is_no_innovator(locale: str) -> None:
    ties = [Tie("T1", "T2"), Tie("T2", "T3"), Tie("T3", "T1")]
    ties += [Tie("M0", f"M{i}") for i in range(1, 6)] + [Tie("M1", "M2"), Tie("M3", "M4")]
    G = build_graph(ties)
    q5 = _section(_plain(G, locale), locale, 5)
    assert "T1" not in q5 and "T2" not in q5 and "T3" not in q5
    # and on the scattered map, where the triangle a1-a2-a3 was called an innovator
    scattered = _section(_plain(_stage_csv("scattered_fragments-1"), locale), locale, 5)
    assert "a1" not in scattered and "inovator" not in scattered.split("\n", 1)[1]


@pytest.mark.parametrize("locale", LOCALES)
def test_question_1_names_the_pieces_and_isolated_actors_before_cut_points(locale: str) -> None:
    ties = [Tie("A", "B"), Tie("B", "C"), Tie("D", "E"), Tie("E", "F")]
    G = build_graph(ties, actors=["Sendiri", "Sunyi"])
    q1 = _section(_plain(G, locale), locale, 1)
    lines = q1.splitlines()[1:]
    assert lines[0].startswith(WORDS[locale].pieces)
    assert "4" in lines[0]
    assert any(line.endswith("A, B, C") for line in lines)
    assert any(line.endswith("D, E, F") for line in lines)
    isolated = next(i for i, line in enumerate(lines) if line.startswith(WORDS[locale].isolated))
    assert lines[isolated].endswith("Sendiri, Sunyi")
    cut = next(i for i, line in enumerate(lines) if WORDS[locale].cut_point in line.casefold())
    assert cut > isolated


@pytest.mark.parametrize("locale", LOCALES)
def test_the_kite_keeps_closest_and_boundary_spanners_apart(locale: str) -> None:
    plain = _plain(kite(), locale)
    words = WORDS[locale]
    q5 = _section(plain, locale, 5)
    assert f"{words.closest}F, G — " in q5
    assert f"{words.spanner}F, G, H — " in q5
    assert "Inovator:" not in plain and "Innovators:" not in plain
    assert "Calon hub" not in plain and "Hub candidates" not in plain
    # F and G are not "should be important but are not": the module never says so
    q4 = _section(plain, locale, 4)
    assert not re.search(r"\b[FG]\b", q4), q4
    assert f"{words.peripheral}I, J" in q4


def test_karawang_before_the_middleman_is_a_bottleneck_to_go_around() -> None:
    result = analyse(load_example("karawang_before"))
    (keeper,) = result.gatekeepers
    assert keeper.name == "Tengkulak" and "Petani" in keeper.dependents
    assert result.suggestions
    for s in result.suggestions:
        assert s.via is None and "Tengkulak" not in (s.a, s.b)
    assert any(s.a == "Petani" for s in result.suggestions)
    for locale in LOCALES:
        plain = _plain(load_example("karawang_before"), locale)
        q1, q2, q5 = (_section(plain, locale, n) for n in (1, 2, 5))
        assert "Tengkulak" in q1 and WORDS[locale].removed_or_redirected in q1
        assert WORDS[locale].ask_to_introduce.format("Tengkulak") not in q2
        assert (
            "tanpa perantara Tengkulak" if locale == "id" else "without going through Tengkulak"
        ) in q2
        # never called an innovator, only named as the gatekeeper who is not one
        (line,) = [line for line in q5.splitlines() if "Tengkulak" in line]
        assert line.startswith("Tengkulak (")
        assert ("penjaga gerbang" if locale == "id" else "gatekeeper") in line


def test_karawang_after_the_farmers_depend_on_no_middleman() -> None:
    result = analyse(load_example("karawang_after"))
    dependents = {d for g in result.gatekeepers for d in g.dependents}
    assert "Kelompok Tani" not in dependents and "KKT" not in dependents
    assert "Tengkulak" not in result.centrality.degree
    assert result.centrality.degree["Kelompok Tani"] >= 3
    # the stage is undetermined: the nearest stage's advice is given, and called nearest
    assert result.stage.key == "undetermined"
    nearest = result.stage.nearest
    assert nearest is not None
    for locale in LOCALES:
        plain = _plain(load_example("karawang_after"), locale)
        name = html_to_plain(render(locale, "analysis.stage_name", key=nearest))
        assert f"{WORDS[locale].nearest}{name}: " in plain


def test_analysis_and_bab4_give_the_same_stage_advice() -> None:
    from coaching.flows.bab4 import stage_reply

    names = ["Kelompok Tani", "KKT", "KUD", "Sub Dolog", "BRI", "Dinas Koperasi"]
    names += ["Dinas Pertanian dan Kehutanan", "PPL", "Pemkab Karawang"]
    G = load_example("karawang_after")
    view = MapView(
        None,
        "case",
        "Karawang",
        actors=tuple(Actor(n) for n in names),
        ties=tuple(
            TieView(*sorted((u, v)))
            for u, v in G.edges()  # nodes are name keys
        ),
    )
    reply = stage_reply(view, {})
    result = analyse(G)
    assert reply.context["advice"] == advice_stage(result.stage.key, result.stage.nearest)[0]
    assert reply.context["advice"] == result.stage.nearest
    for locale in LOCALES:
        page = html_to_plain(render(locale, reply.key, **reply.context))
        # a case map: the participant is not on it
        assert "Dengan Anda" not in page and "With you" not in page
        assert "Tanpa Anda" not in page and "Without you" not in page


@pytest.mark.parametrize(
    ("locale", "then"),
    [
        ("id", "3. Setelah hubungan itu terjalin, Hartono hanya tersambung lewat satu jalur; "),
        ("en", "3. Once that tie is made, Hartono is connected through a single path only; "),
    ],
)
def test_a_suggestion_that_builds_on_an_earlier_one_says_so(locale: str, then: str) -> None:
    # Hartono is tied to nobody: "connected through a single path" is true only once the
    # participant has made the tie suggested before it
    ties = [Tie("Saya", "Budi"), Tie("Budi", "Rina"), Tie("Andi", "Joko")]
    G = build_graph(ties, actors=["Hartono"], ego="Saya")
    q2 = _section(_plain(G, locale, ego="Saya"), locale, 2)
    assert "Hartono" in q2.split("\n2. ")[1].split("\n")[0]  # the earlier suggestion
    assert then in q2


def test_with_and_without_you_only_on_a_personal_map() -> None:
    ties = [Tie("Saya", f"K{i}") for i in range(5)] + [Tie("K1", "K2")]
    personal = _plain(build_graph(ties, ego="Saya"))
    assert "Dengan Anda" in personal and "Tanpa Anda" in personal
    case = _plain(build_graph(ties))
    assert "Dengan Anda" not in case and "Tanpa Anda" not in case
    assert "Anda sendiri" not in case


def test_step_4b_answered_from_resources_and_needs() -> None:
    actors = (
        Actor("Saya", is_ego=True),
        Actor("Bappeda", resources=("funds", "influence")),
        Actor("Dinas Kominfo", resources=("information",), needs="dana untuk pelatihan"),
        Actor("Kelompok Tani", needs="lahan untuk gudang"),
    )
    ties = (TieView("saya", "bappeda"), TieView("saya", "dinas kominfo"))
    view = MapView(1, "personal", "", actors=actors, ties=ties)
    result = analyse(view.graph())
    found = result.resources
    assert dict(found.holders) == {
        "information": ("Dinas Kominfo",),
        "funds": ("Bappeda",),
        "influence": ("Bappeda",),
    }
    assert found.unheld == ("expertise", "access")
    kominfo, tani = found.needs
    assert (kominfo.actor, kominfo.kinds, kominfo.met_by) == (
        "Dinas Kominfo",
        ("expertise", "funds"),
        ("Bappeda",),
    )
    assert (tani.actor, tani.met_by) == ("Kelompok Tani", ())
    assert [n.actor for n in found.unmet] == ["Kelompok Tani"]
    assert result.to_json_dict()["resources"]["unmet"] == ["Kelompok Tani"]
    step = _section(html_to_plain(analysis_reply(result, locale="id")), "id", 6)
    assert "• Dana: Bappeda" in step and "• Informasi: Dinas Kominfo" in step
    assert "Belum ada yang memiliki: keahlian, akses." in step
    assert "Kebutuhan Dinas Kominfo (“dana untuk pelatihan”) dapat dipenuhi oleh Bappeda." in step
    assert "Kebutuhan yang belum dipenuhi siapa pun di peta: Kelompok Tani (“lahan" in step
    english = _section(html_to_plain(analysis_reply(result, locale="en")), "en", 6)
    assert "Needs that nobody on the map meets: Kelompok Tani" in english


def test_the_resource_kinds_are_the_guided_entrys() -> None:
    assert RESOURCE_KINDS == RESOURCES


def test_the_json_keeps_its_keys_and_adds_gatekeepers_and_resources() -> None:
    data = analyse(load_example("karawang_before")).to_json_dict()
    assert list(data)[-2:] == ["gatekeepers", "resources"]
    assert data["gatekeepers"] == [
        {"name": "Tengkulak", "dependents": ["Penggilingan Beras (PB)", "Petani"]}
    ]
    assert list(data["resources"]) == ["holders", "unheld", "needs", "unmet"]
