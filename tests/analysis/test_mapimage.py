"""The map picture: a valid PNG about 1280 px wide, under 1 MB, the same bytes every time."""

from __future__ import annotations

import struct
import threading

import networkx as nx
import pytest

from coaching.analysis import Tie, analyse, build_graph
from coaching.mapimage import MAX_PNG_BYTES, WIDTH_PX, render_map_png

from .helpers import KITE_EDGES, cohort_map, kite, personal_map

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _maps() -> dict[str, nx.Graph]:
    one = build_graph([], actors=["Sendiri"])
    ten = build_graph(
        [
            Tie("Saya", f"Kontak {i}", "strong" if i % 2 else "weak", "out" if i % 3 else "both")
            for i in range(9)
        ],
        ego="Saya",
    )
    return {
        "0": nx.Graph(),
        "1": one,
        "10": ten,
        "kite": kite(),
        "150": personal_map(150, 5),
    }


@pytest.mark.parametrize("key", ["0", "1", "10", "kite", "150"])
@pytest.mark.parametrize("locale", ["id", "en"])
def test_renders_a_valid_png(key: str, locale: str) -> None:
    G = _maps()[key]
    png = render_map_png(G, analyse(G), locale=locale)
    width, height = _size(png)
    assert width == WIDTH_PX
    assert 300 < height < 4000
    assert len(png) < MAX_PNG_BYTES
    assert png.endswith(b"IEND\xaeB`\x82")


def test_same_bytes_every_time() -> None:
    G = personal_map(40, 2)
    result = analyse(G)
    first = render_map_png(G, result, locale="id", highlight=["Saya"])
    assert render_map_png(G, result, locale="id", highlight=["Saya"]) == first


def test_input_order_does_not_change_the_picture() -> None:
    G, H = kite(), kite(list(reversed(KITE_EDGES)))
    assert render_map_png(H, analyse(H), locale="en") == render_map_png(G, analyse(G), locale="en")


def test_safe_from_worker_threads() -> None:
    G = personal_map(30, 3)
    result = analyse(G)
    expected = render_map_png(G, result, locale="en")
    outputs: list[bytes] = []

    def work() -> None:
        outputs.append(render_map_png(G, result, locale="en"))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outputs == [expected] * 3


def test_odd_names_do_not_break_the_picture() -> None:
    G = build_graph([Tie("$x$ \\alpha", "🙂 Emoji"), Tie("<b>tag</b>", "🙂 emoji")])
    png = render_map_png(G, analyse(G), locale="id")
    assert _size(png)[0] == WIDTH_PX


def test_large_cohort_map_still_renders() -> None:
    G = cohort_map(600, 1)
    png = render_map_png(G, analyse(G), locale="en", suggestions=False)
    assert _size(png)[0] == WIDTH_PX and len(png) < MAX_PNG_BYTES
