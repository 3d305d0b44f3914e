"""The map picture: a valid PNG a participant reads on a phone, the same bytes every time, with
no name over another name or a node, full names, shape badges, the participant's language."""

from __future__ import annotations

import random
import struct
import threading
from collections.abc import Iterator

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.collections import EllipseCollection, PathCollection, PolyCollection

from coaching.analysis import Tie, analyse, build_graph
from coaching.layout import (
    FONT_PX,
    MAX_HEIGHT_RATIO,
    PHONE_CSS_PX,
    ROLES,
    TELEGRAM_TEXT_CSS_PX,
    Box,
    Scene,
    clean_label,
    plan,
    text_width,
)
from coaching.mapimage import MAX_PNG_BYTES, MIN_SCALE, WIDTH_PX, figure, render_map_png
from coaching.network import MapCounts
from coaching.pictures import render_attachment

from .helpers import KITE_EDGES, cohort_map, kite, personal_map, stages_dir

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LONG_NAMES = [
    "Pak Budi Santoso (Bappeda)",
    "Ibu Hj. Siti Nurhaliza, S.Pd., M.Si. (Dinas Pendidikan)",
    "Kepala Desa Sukamaju",
    "Kelompok Tani Harapan Jaya",
    "Dr. Ir. Bambang Wicaksono",
    "Koperasi Serba Usaha Mekar Sari",
    "Dinas Pertanian Kabupaten Karawang",
    "Penyuluh Pertanian Lapangan",
    "Badan Perencanaan Pembangunan Daerah Provinsi Jawa Barat",
]


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


def long_names_map() -> nx.Graph:
    ties = [Tie("Saya", name, "strong" if i % 2 else "weak") for i, name in enumerate(LONG_NAMES)]
    ties += [Tie(LONG_NAMES[0], LONG_NAMES[1]), Tie(LONG_NAMES[2], LONG_NAMES[3], "strong")]
    return build_graph(ties, ego="Saya")


def case_map(n: int, seed: int) -> nx.Graph:
    """A case map (no participant): groups of 4–9 dense inside, a few ties between."""
    rng = random.Random(seed)
    names = [
        f"{rng.choice(['Dinas', 'Kelompok Tani', 'Koperasi', 'Pak', 'Bu'])} {i}" for i in range(n)
    ]
    ties: dict[frozenset[str], Tie] = {}
    groups, i = [], 0
    while i < n:
        size = rng.randint(4, 9)
        groups.append(names[i : i + size])
        i += size
    for group in groups:
        for a in group:
            for b in rng.sample(group, min(3, len(group))):
                if a != b:
                    ties.setdefault(frozenset((a, b)), Tie(a, b, rng.choice(["strong", "weak"])))
    for _ in range(len(groups)):
        a, b = rng.choice(rng.choice(groups)), rng.choice(rng.choice(groups))
        if a != b:
            ties.setdefault(frozenset((a, b)), Tie(a, b))
    return build_graph(list(ties.values()), actors=names)


# ---------------------------------------------------------------------------- the PNG


@pytest.mark.parametrize("key", ["0", "1", "10", "kite", "150"])
@pytest.mark.parametrize("locale", ["id", "en"])
def test_renders_a_valid_png(key: str, locale: str) -> None:
    G = _maps()[key]
    png = render_map_png(G, analyse(G), locale=locale)
    width, height = _size(png)
    assert WIDTH_PX * MIN_SCALE <= width <= WIDTH_PX
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
    assert _size(png)[0] >= WIDTH_PX * MIN_SCALE * 0.64 and len(png) < MAX_PNG_BYTES


# ---------------------------------------------------------------------------- phone sizing


@pytest.mark.parametrize("key", ["10", "kite", "150"])
def test_text_reads_as_large_as_a_telegram_message_on_a_phone(key: str) -> None:
    """Telegram opens a photo at the phone's full width (about 360 CSS px), where its message
    text is about 15 CSS px. A picture W px wide is shown at 360/W, so its text must be at least
    W × 15 / 360 px — whatever W the picture ends up with (big maps get fewer pixels, and their
    text shrinks with them, keeping its share of the width)."""
    G = _maps()[key]
    result = analyse(G)
    scene = plan(G, result, locale="id")
    png_width, _ = _size(render_map_png(G, result, locale="id"))
    assert png_width <= 1280  # Telegram keeps a photo up to 1280 px without downscaling it
    scale = png_width / scene.width
    minimum = png_width * TELEGRAM_TEXT_CSS_PX / PHONE_CSS_PX
    blocks = [n.label for n in scene.nodes if n.label] + [i.text for i in scene.legend]
    assert scene.title is not None
    for block in [scene.title, *blocks]:
        assert block.size * scale >= minimum - 1e-9, block.lines
    assert FONT_PX * PHONE_CSS_PX / WIDTH_PX >= TELEGRAM_TEXT_CSS_PX


@pytest.mark.parametrize("n", [10, 30])
def test_a_personal_map_fits_a_phone_screen(n: int) -> None:
    """Opened, a picture much taller than twice its width is shrunk to the screen's height."""
    G = personal_map(n, 7)
    scene = plan(G, analyse(G), locale="id")
    assert scene.height <= MAX_HEIGHT_RATIO * scene.width


# ---------------------------------------------------------------------------- overlaps


def _drawn_boxes(scene: Scene) -> tuple[list[Box], list[Box]]:
    """What the figure really paints, in the rendered figure's pixels (y down): each name
    line's glyph outlines, and each node disc and badge."""
    fig = figure(scene)
    fig.canvas.draw()
    height = fig.bbox.height
    names: list[Box] = []
    shapes: list[Box] = []
    legend_top = scene.map_bottom
    for artist in fig.axes[0].collections:
        if isinstance(artist, PathCollection) and artist.get_zorder() >= 5:
            offsets = artist.get_offset_transform().transform(np.asarray(artist.get_offsets()))
            transform = artist.get_transform()
            for path, (ox, oy) in zip(artist.get_paths(), offsets, strict=True):
                if len(np.asarray(path.vertices)) < 2:
                    continue
                extent = path.transformed(transform).get_extents()
                box = Box(
                    ox + extent.x0,
                    height - (oy + extent.y1),
                    ox + extent.x1,
                    height - (oy + extent.y0),
                )
                if scene.map_top < box.y0 < legend_top:  # names, not the title or legend
                    names.append(box)
        elif isinstance(artist, EllipseCollection):
            centres = np.asarray(artist.get_offsets())
            for (x, y), width in zip(centres, np.asarray(artist.get_widths()), strict=True):
                r = float(width) / 2  # in data units: scene pixels
                if y < legend_top:
                    shapes.append(Box(x - r, y - r, x + r, y + r))
        elif isinstance(artist, PolyCollection) and artist.get_zorder() > 4:
            for path in artist.get_paths():
                e = path.get_extents()
                if e.y0 < legend_top:
                    shapes.append(Box(e.x0, e.y0, e.x1, e.y1))
    return names, shapes


def _overlaps(boxes: list[Box], others: list[Box] | None = None) -> list[tuple[Box, Box]]:
    found = []
    if others is None:
        for i, a in enumerate(boxes):
            found += [(a, b) for b in boxes[i + 1 :] if a.overlaps(b)]
    else:
        found = [(a, b) for a in boxes for b in others if a.overlaps(b)]
    return found


def _random_maps() -> Iterator[tuple[str, nx.Graph]]:
    for n in (10, 30, 60):
        for seed in (1, 2):
            yield f"personal-{n}-{seed}", personal_map(n, seed)
            yield f"case-{n}-{seed}", case_map(n, seed)
    yield "long names", long_names_map()


@pytest.mark.parametrize(
    ("key", "G"), list(_random_maps()), ids=lambda x: x if isinstance(x, str) else ""
)
def test_no_name_overlaps_another_name_or_a_node(key: str, G: nx.Graph) -> None:
    scene = plan(G, analyse(G), locale="id")
    labels = scene.label_boxes()
    assert _overlaps(labels) == []
    assert _overlaps(labels, scene.node_boxes()) == []
    # and what is painted stays inside those boxes, measured in the rendered figure
    names, shapes = _drawn_boxes(scene)
    assert len(names) == sum(len(n.label.lines) for n in scene.nodes if n.label)
    assert shapes
    tolerance = 1.5  # anti-aliasing and the glyphs' side bearings
    for drawn in names:
        assert any(
            box.x0 - tolerance <= drawn.x0
            and drawn.x1 <= box.x1 + tolerance
            and box.y0 - tolerance <= drawn.y0
            and drawn.y1 <= box.y1 + tolerance
            for box in labels
        ), drawn
    shrunk = [Box(b.x0 + 2, b.y0 + 2, b.x1 - 2, b.y1 - 2) for b in shapes]
    assert _overlaps(names, shrunk) == []


# ---------------------------------------------------------------------------- layout


def test_a_personal_map_has_the_participant_in_the_middle_and_direct_ties_nearest() -> None:
    G = personal_map(30, 4)
    result = analyse(G)
    scene = plan(G, result, locale="id", ego="Saya")
    me = next(n for n in scene.nodes if n.ego)
    assert me.name == "Saya" and me.x == pytest.approx(WIDTH_PX / 2)
    ys = [n.y for n in scene.nodes]
    assert min(ys) < me.y < max(ys)
    ego = next(v for v in G if G.nodes[v]["name"] == "Saya")
    direct = {G.nodes[v]["name"] for v in G[ego]}
    distance = {n.name: np.hypot(n.x - me.x, n.y - me.y) for n in scene.nodes if not n.ego}
    near = np.median([d for name, d in distance.items() if name in direct])
    far = np.median([d for name, d in distance.items() if name not in direct])
    assert near < far


def test_a_case_map_keeps_its_clusters_apart() -> None:
    groups = [[f"{word} {i}" for i in range(5)] for word in ("Dinas", "Tani", "Koperasi")]
    ties = [Tie(a, b) for g in groups for i, a in enumerate(g) for b in g[i + 1 :]]
    # go-betweens outside the groups' k-shell keep them separate clusters
    ties += [Tie(groups[0][0], "Camat"), Tie("Camat", groups[1][0])]
    ties += [Tie(groups[1][1], "Penyuluh"), Tie("Penyuluh", groups[2][0])]
    G = build_graph(ties)
    result = analyse(G)
    scene = plan(G, result, locale="id")
    where = {n.name: n for n in scene.nodes}
    boxes = []
    for members in result.clusters:
        xs = [where[m].x for m in members]
        ys = [where[m].y for m in members]
        boxes.append(Box(min(xs), min(ys), max(xs), max(ys)))
    assert len(boxes) == 3
    assert _overlaps(boxes) == []


def test_full_names_are_wrapped_never_cut() -> None:
    G = long_names_map()
    scene = plan(G, analyse(G), locale="id")
    shown = {" ".join(n.label.lines) for n in scene.nodes if n.label}
    for name in LONG_NAMES:
        assert name in shown
    for node in scene.nodes:
        assert node.label is not None
        for line in node.label.lines:
            assert text_width(line, FONT_PX) <= 8 * FONT_PX + 1e-6
    # a word wider than a line breaks inside, nothing dropped
    word = "Pemberdayaanmasyarakatdesaberkelanjutan"
    H = build_graph([Tie("Saya", word)], ego="Saya")
    label = next(n.label for n in plan(H, analyse(H), locale="id").nodes if n.name == word)
    assert label is not None and len(label.lines) > 1 and "".join(label.lines) == word


def test_role_badges_are_shapes_taken_from_the_analysis_as_they_are() -> None:
    for G in (kite(), build_graph([Tie("h", f"s{i}") for i in range(1, 10)])):
        result = analyse(G)
        scene = plan(G, result, locale="id")
        for node in scene.nodes:
            expected = tuple(r for r in ROLES if node.name in getattr(result.roles, r))
            assert node.roles == expected
            assert [b.role for b in node.badges] == list(expected)
            # the name alone is the label: no letter sits next to it
            assert node.label is not None and " ".join(node.label.lines) == node.name
    hub = next(n for n in scene.nodes if n.name == "h")  # on main the picture marked it P
    assert "hubs" in hub.roles and "peripheral" not in hub.roles
    legend = {item.key for item in scene.legend if item.kind == "badge"}
    assert legend == {r for n in scene.nodes for r in n.roles}


def test_the_kite_no_longer_wears_letters_for_roles() -> None:
    """On main the kite's D wore "H" and H wore "B" beside their names."""
    scene = plan(kite(), analyse(kite()), locale="en")
    words = {line for n in scene.nodes if n.label for line in n.label.lines}
    assert words == set("ABCDEFGHIJ")


@pytest.mark.parametrize(
    ("locale", "mine", "foreign"),
    [
        (
            "id",
            [
                "Peta jejaring",
                "satu warna per kluster",
                "perantara (broker)",
                "usulan hubungan baru",
            ],
            ["tie", "cluster"],
        ),
        (
            "en",
            ["Network map", "one colour each", "broker", "suggested new tie"],
            ["hubungan", "kluster"],
        ),
    ],
)
def test_title_and_legend_speak_the_participants_language(
    locale: str, mine: list[str], foreign: list[str]
) -> None:
    scene = plan(kite(), analyse(kite()), locale=locale)
    assert scene.title is not None
    words = " ".join([*scene.title.lines, *(line for i in scene.legend for line in i.text.lines)])
    for expected in mine:
        assert expected in words
    for unexpected in foreign:
        assert unexpected not in words


def test_one_line_convention_dashes_mean_suggested() -> None:
    G = personal_map(20, 1)
    scene = plan(G, analyse(G), locale="id")
    dashed = {line.kind for line in scene.lines if scene.styles[line.kind].dash}
    assert dashed == {"suggested"}
    keys = {item.key for item in scene.legend if item.kind == "line"}
    assert "suggested" in keys and "weak" in keys
    assert scene.styles["strong"].width > scene.styles["unknown"].width > scene.styles["weak"].width


def test_the_title_counts_as_the_map_page_and_analysis_do() -> None:
    G = long_names_map()
    result = analyse(G)
    scene = plan(G, result, locale="id")
    assert scene.title is not None
    title = " ".join(scene.title.lines)
    size = MapCounts.of_graph(G)
    assert (size.actors, size.ties) == (result.actors, result.ties)
    assert f"{size.actors} aktor · {size.ties} hubungan (termasuk Anda)" in title


# ---------------------------------------------------------------------------- odd names


def test_a_stored_name_of_combining_marks_still_gets_its_picture() -> None:
    """Issue 18: such a name made the picture raise, and the outbox retried it for ever."""
    png = render_attachment(
        {
            "type": "map",
            "actors": ["Saya", "\u0300\u0300", "Budi"],
            "ties": [
                ["Saya", "\u0300\u0300", "strong", "both"],
                ["Budi", "\u0300\u0300", None, "out"],
            ],
            "ego": "Saya",
            "locale": "id",
        }
    )
    assert _size(png)[0] > 0


def test_clean_label_never_leaves_nothing_to_draw() -> None:
    assert clean_label("\u0300\u0300") == "\u25cc\u0300\u0300"
    assert clean_label("\x00\u200b\u202e") == "?"
    assert clean_label("  Pak\tBudi \n") == "Pak Budi"


NAMES = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=0, max_size=30
) | st.text(st.characters(), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(NAMES, min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_any_unicode_name_is_drawn_without_raising(names: list[str], rng: random.Random) -> None:
    actors = ["Saya", *names]
    ties = [[a, rng.choice(actors), rng.choice(["strong", "weak", None]), "both"] for a in names]
    png = render_attachment(
        {"type": "map", "actors": actors, "ties": ties, "ego": "Saya", "locale": "id"}
    )
    assert png[:8] == PNG_SIGNATURE


# ---------------------------------------------------------------------------- font table


def test_the_width_table_is_the_fonts() -> None:
    from matplotlib.font_manager import FontProperties, findfont, get_font
    from matplotlib.ft2font import LoadFlags

    from coaching._font_widths import BOLD, REGULAR

    for weight, table in (("normal", REGULAR), ("bold", BOLD)):
        font = get_font(findfont(FontProperties(family="DejaVu Sans", weight=weight)))
        font.set_size(1000, 72)
        for code, width in table.items():
            glyph = font.load_char(code, flags=LoadFlags.NO_HINTING)
            assert round(glyph.linearHoriAdvance / 65536) == width, (weight, hex(code))


def test_the_stage_examples_draw() -> None:
    from coaching.analysis.csvio import load_csv

    for path in sorted(stages_dir().glob("*.csv")):
        G = load_csv(path)
        scene = plan(G, analyse(G), locale="id")
        assert _overlaps(scene.label_boxes()) == []
