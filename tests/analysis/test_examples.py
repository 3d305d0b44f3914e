"""The bundled example maps load, analyse and draw."""

from __future__ import annotations

import pytest

from coaching.analysis import analyse
from coaching.examples import EXAMPLES, example_csv, example_keys, load_example
from coaching.mapimage import render_map_png
from coaching.text import LOCALES, render

from .helpers import KITE_CSV
from .test_kite import KITE_JSON


def test_the_kite_example_is_the_shared_kite() -> None:
    assert example_csv("kite") == KITE_CSV.read_bytes()
    assert analyse(load_example("kite")).to_json_dict() == KITE_JSON


def test_karawang_before_rests_on_the_middleman() -> None:
    result = analyse(load_example("karawang_before"))
    assert result.stage.key == "hub_and_spoke"
    assert result.roles.hubs == ("Tengkulak",)
    assert result.roles.brokers == ("Tengkulak",)
    assert "Tengkulak" in result.cut_points
    assert "Petani" in result.roles.peripheral


def test_karawang_after_has_the_modules_nine_parties() -> None:
    G = load_example("karawang_after")
    result = analyse(G)
    assert result.actors == 9
    assert "Tengkulak" not in result.centrality.degree
    assert {"KKT", "KUD", "Sub Dolog", "BRI", "PPL"} <= set(result.centrality.degree)
    assert all("role" in G.nodes[v] for v in G)


@pytest.mark.parametrize("key", example_keys())
@pytest.mark.parametrize("locale", LOCALES)
def test_examples_have_titles_roles_and_pictures(key: str, locale: str) -> None:
    assert render(locale, "analysis.example_title", key=key) != key
    for role in EXAMPLES[key].roles.values():
        assert render(locale, "analysis.example_role", key=role) != role
    G = load_example(key)
    assert render_map_png(G, analyse(G), locale=locale)[:4] == b"\x89PNG"
