"""Building, editing, analysing and showing a network by conversation (pure engine)."""

from __future__ import annotations

import dataclasses

import pytest

from coaching.model import ChangeMap, CreateMap, Document, Event, EventKind, SaveAnalysis
from coaching.network import MapView, example_view, parse_tie_line
from tests.support import Conversation, telegram_html_errors


def with_map(convo: Conversation) -> None:
    """Commit what storage would: the created map gets an id."""
    view = convo.snap.network
    assert view is not None
    if view.id is None:
        stored = dataclasses.replace(view, id=1)
        convo.snap = dataclasses.replace(convo.snap, network=stored, maps=(stored,))


def unnumbered(label: str) -> str:
    """A list item's label without its number ("3. Budi" → "Budi")."""
    head, dot, rest = label.partition(". ")
    return rest if dot and head.isdecimal() else label


def network_convo() -> Conversation:
    convo = Conversation()
    convo.onboard(name="Sari Dewi")
    convo.press("net")
    assert convo.outcome is not None
    assert any(isinstance(e, CreateMap) and e.kind == "personal" for e in convo.outcome.effects)
    with_map(convo)
    return convo


def effects(convo: Conversation) -> list[object]:
    assert convo.outcome is not None
    return list(convo.outcome.effects)


def names(convo: Conversation) -> list[str]:
    assert convo.snap.network is not None
    return sorted(a.name for a in convo.snap.network.actors)


def tie(convo: Conversation, a: str, b: str) -> tuple[str | None, str] | None:
    assert convo.snap.network is not None
    found = convo.snap.network.tie(a, b)
    return None if found is None else (found.strength, found.direction)


def open_card(convo: Conversation, name: str) -> None:
    convo.press("edit")
    labels = [unnumbered(label) for s in convo.last for _, label in s.buttons]
    convo.press(f"pick:{labels.index(name)}")
    assert convo.snap.state == "network.edit"


def test_entering_creates_the_personal_map_with_the_participant_in_it() -> None:
    convo = network_convo()
    assert convo.snap.state == "network.home"
    assert names(convo) == ["Sari Dewi"]
    assert convo.snap.network is not None and convo.snap.network.ego is not None
    assert "Jejaring personal saya" in convo.last[-1].plain
    assert {"add", "connect", "analyse", "picture", "edit", "maps", "menu"} <= set(convo.buttons)


def test_guided_actor_with_every_attribute_then_ties() -> None:
    convo = network_convo()
    convo.send("Budi - Dewi kuat")  # two others to tie the new actor to
    convo.press("add")
    assert "Langkah 2a" in convo.last[-1].plain
    convo.send("Pak Hendra")
    convo.press("detail")
    convo.press("organisation")
    convo.send("Kepala Bidang, Dinas Pertanian")
    convo.press("out")
    convo.press("res:funds")
    convo.press("res:influence")
    assert convo.outcome is not None and convo.outcome.replies[-1].edit  # toggles edit in place
    convo.press("res:funds")  # untoggle
    convo.press("done")
    convo.send("Data produksi gabah per desa")
    convo.press("strategic")
    assert convo.snap.state == "network.ego_tie"
    hendra = convo.snap.network.find("pak hendra") if convo.snap.network else None
    assert hendra is not None
    assert (
        hendra.kind,
        hendra.role,
        hendra.inside,
        hendra.resources,
        hendra.needs,
        hendra.ibarra,
    ) == (
        "organisation",
        "Kepala Bidang, Dinas Pertanian",
        False,
        ("influence",),
        "Data produksi gabah per desa",
        "strategic",
    )
    convo.press("strong")
    convo.press("in")  # from Hendra to me
    convo.press("flow:information")
    convo.press("flow:access")
    convo.press("done")
    assert tie(convo, "Pak Hendra", "Sari Dewi") == ("strong", "out")
    flows = convo.snap.network.tie("Pak Hendra", "Sari Dewi") if convo.snap.network else None
    assert flows is not None and flows.flows == ("information", "access")
    assert convo.snap.network is not None
    one_way = convo.snap.network.tie("Pak Hendra", "Sari Dewi")
    assert one_way is not None and one_way.a == "pak hendra"  # from Hendra
    assert convo.snap.state == "network.peers"
    assert "Budi" in " ".join(label for s in convo.last for _, label in s.buttons)
    convo.press("toggle:0:1")
    convo.press("toggle:1:1")
    convo.press("done")
    convo.press("toggle:1:1")  # Dewi strong, Budi weak
    convo.press("done")
    assert tie(convo, "Pak Hendra", "Budi") == ("weak", "both")
    assert tie(convo, "Pak Hendra", "Dewi") == ("strong", "both")
    assert convo.snap.state == "network.name" and "Langkah 2b" in convo.last[-1].plain


def test_quick_lines_add_actors_and_ties_with_strength_and_direction() -> None:
    convo = network_convo()
    said = convo.send("Budi - Sari Ayu kuat\nBudi -> Dewi lemah\nDewi – Ani")
    assert names(convo) == ["Ani", "Budi", "Dewi", "Sari Ayu", "Sari Dewi"]
    assert tie(convo, "Budi", "Sari Ayu") == ("strong", "both")
    assert tie(convo, "Budi", "Dewi") == ("weak", "out")
    assert tie(convo, "Dewi", "Ani") == (None, "both")
    assert convo.snap.network is not None and len(convo.snap.network.ties) == 3  # only those
    assert "3 hubungan disimpan" in said[0].plain and "Aktor baru" in said[0].plain
    change = next(e for e in effects(convo) if isinstance(e, ChangeMap))
    assert change.undo  # every change keeps its undo


def test_a_quick_line_ties_only_what_it_says_and_offers_the_participants_tie() -> None:
    convo = network_convo()
    said = convo.send("Economic Directorate - Ministry of Trade lemah")
    view = convo.snap.network
    assert view is not None and len(view.ties) == 1  # no tie to the participant was assumed
    assert tie(convo, "Sari Dewi", "Ministry of Trade") is None
    assert "belum ada hubungan langsung antara Anda" in said[0].plain
    labels = dict(s for reply in said for s in reply.buttons)
    assert labels["know:0"] == "🤝 Saya kenal Economic Directorate langsung"
    assert labels["know:1"] == "🤝 Saya kenal Ministry of Trade langsung"
    said = convo.press("know:1")
    assert tie(convo, "Sari Dewi", "Ministry of Trade") == (None, "both")
    assert tie(convo, "Sari Dewi", "Economic Directorate") is None
    assert "Ministry of Trade" in said[0].plain
    assert [v for v in convo.buttons if v.startswith("know:")] == ["know:0"]  # the one left
    convo.press("know:0")
    assert tie(convo, "Sari Dewi", "Economic Directorate") == (None, "both")
    assert not [v for v in convo.buttons if v.startswith("know:")]


def test_tambah_adds_the_actor_alone_and_offers_the_tie() -> None:
    convo = network_convo()
    convo.send("/tambah Pak Budi")
    view = convo.snap.network
    assert view is not None and view.find("Pak Budi") is not None and view.ties == ()
    assert "know:0" in convo.buttons


def test_a_case_map_offers_no_participant_tie() -> None:
    convo = network_convo()
    convo.press("maps")
    convo.press("new")
    convo.send("Posisi tawar kelompok tani")
    convo.press("skip")
    with_map(convo)
    convo.send("Petani - Tengkulak")
    assert not [v for v in convo.buttons if v.startswith("know:")]


def test_the_first_command_on_a_fresh_account_is_applied_with_the_maps_creation() -> None:
    for command, actors, ties in (
        ("/tambah Pak Budi Santoso", {"Sari Dewi", "Pak Budi Santoso"}, 0),
        ("/hubung Budi - Sari Ayu kuat", {"Sari Dewi", "Budi", "Sari Ayu"}, 1),
    ):
        convo = Conversation()
        convo.onboard(name="Sari Dewi")
        said = convo.send(command)
        created = [e for e in effects(convo) if isinstance(e, CreateMap)]
        assert len(created) == 1 and not any(isinstance(e, ChangeMap) for e in effects(convo))
        assert set(names(convo)) == actors and convo.snap.network is not None
        assert len(convo.snap.network.ties) == ties
        assert convo.snap.network.undo  # the first command can be undone too
        assert "sekali lagi" not in " ".join(s.plain for s in said)


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("Budi - budi", "network.err_self_tie"),
        ("Budi - <b>x</b>", "names.chars"),
    ],
)
def test_bad_ties_are_refused_with_an_explanation(line: str, key: str) -> None:
    convo = network_convo()
    before = convo.snap.network
    said = convo.send(line)
    assert said[0].key == key and convo.snap.network == before
    assert effects(convo) == []
    assert telegram_html_errors(said[0].html) == []


def test_a_duplicate_tie_is_refused_whichever_way_it_is_written() -> None:
    convo = network_convo()
    convo.send("Budi - Sari Ayu")
    said = convo.send("Sari Ayu -> Budi kuat")
    assert said[0].key == "network.err_tie_exists"
    assert tie(convo, "Budi", "Sari Ayu") == (None, "both")


def test_names_match_regardless_of_case_spaces_and_diacritics() -> None:
    convo = network_convo()
    convo.send("/tambah Pak Budi")
    said = convo.send("/tambah  pák   budi ")
    assert said[0].key == "network.already_there" and names(convo).count("Pak Budi") == 1
    convo.send("pak budi - Ani")
    assert tie(convo, "Pak Budi", "Ani") is not None


def test_a_near_miss_asks_did_you_mean() -> None:
    convo = network_convo()
    convo.send("/tambah Pak Budiman")
    convo.send("/tambah Pak Budimen")
    assert convo.snap.state == "network.confirm"
    assert "Pak Budiman" in convo.last[-1].plain
    convo.press("new")
    assert "Pak Budimen" in names(convo)


def test_undo_goes_back_through_the_history_at_least_twenty_steps() -> None:
    convo = network_convo()
    for i in range(25):
        convo.send(f"/tambah Aktor {i:02d}")
    for i in reversed(range(25 - 20, 25)):
        said = convo.send("/urungkan")
        assert f"Aktor {i:02d}" not in names(convo) and f"Aktor {i - 1:02d}" in names(convo)
    assert "diurungkan" in said[0].plain
    for i in range(25 - 20, 25 - 17):
        convo.press("redo")
        assert f"Aktor {i:02d}" in names(convo)


def test_the_participant_cannot_be_deleted() -> None:
    convo = network_convo()
    view = convo.snap.network
    assert view is not None and view.ego is not None
    from coaching.network import DeleteActor, EditError

    with pytest.raises(EditError):
        view.apply([DeleteActor(view.ego.key)])


def test_many_actors_are_paged_and_toggles_survive_paging() -> None:
    convo = network_convo()
    convo.send("\n".join(f"Aktor {chr(65 + i)} - Pusat" for i in range(20)))
    convo.press("edit")
    convo.press("back")
    convo.press("connect")  # the actor with fewest ties: Aktor A
    assert convo.snap.state == "network.peers"
    first = [v for v in convo.buttons if v.startswith("toggle:")]
    assert len(first) == 8 and "page:next" in convo.buttons
    convo.press("toggle:2:1")
    convo.press("page:next")
    assert next(v for v in convo.buttons if v.startswith("toggle:")) == "toggle:8:1"
    convo.press("toggle:9:1")
    convo.press("done")
    convo.press("done")
    target = convo.snap.data.get("target")
    assert target is None  # back home: two ties saved
    assert (
        convo.snap.network is not None and len(convo.snap.network.ties) == 20 + 2
    )  # only the ties said


def test_analysis_answers_the_five_questions_and_is_stored() -> None:
    convo = network_convo()
    convo.send("Budi - Ani kuat\nAni - Dewi\nDewi - Budi\nEko - Fajar")
    said = convo.send("/analisis")
    saved = [e for e in effects(convo) if isinstance(e, SaveAnalysis)]
    assert len(saved) == 1 and saved[0].result["actors"] == 6
    reply = said[0]
    assert telegram_html_errors(reply.html) == []
    assert convo.snap.state == "network.home"
    convo.send("Fajar - Budi")
    said = convo.send("/analisis")
    assert "Fajar" in said[0].plain  # what changed since the last analysis


def test_map_picture_carries_the_map() -> None:
    convo = network_convo()
    convo.send("Budi -> Ani kuat")
    said = convo.send("/peta")
    assert convo.outcome is not None
    picture = next(r for r in convo.outcome.replies if r.attachment)
    assert picture.attachment is not None
    assert picture.attachment["ego"] == "Sari Dewi"
    assert ["Budi", "Ani", "strong", "out"] in picture.attachment["ties"]
    assert "Budi" not in said[0].html or True


def test_examples_open_read_only_and_can_be_analysed() -> None:
    convo = network_convo()
    convo.press("maps")
    assert {"ex:kite", "ex:karawang_before", "ex:karawang_after", "new"} <= set(convo.buttons)
    convo.press("ex:kite")
    assert convo.snap.network is not None and convo.snap.network.read_only
    assert "add" not in convo.buttons
    said = convo.send("Budi - Ani")
    assert said[0].key == "network.read_only"
    said = convo.send("/analisis")
    assert "D" in said[0].plain and effects(convo) == []  # not stored: not the participant's


def test_every_example_opens() -> None:
    for key in ("kite", "karawang_before", "karawang_after"):
        view = example_view(key)
        assert view is not None and view.read_only and len(view.actors) >= 5
        view.graph()


def test_case_map_starts_with_problem_and_purpose() -> None:
    convo = network_convo()
    convo.press("maps")
    convo.press("new")
    convo.send("Posisi tawar kelompok tani")
    convo.send("Meningkatkan posisi tawar petani terhadap tengkulak")
    created = next(e for e in effects(convo) if isinstance(e, CreateMap))
    assert (created.kind, created.title) == ("case", "Posisi tawar kelompok tani")
    assert created.purpose == "Meningkatkan posisi tawar petani terhadap tengkulak"
    assert convo.snap.network is not None and convo.snap.network.ego is None


CSV = (
    b"\xef\xbb\xbfsource;target;strength;direction\n"
    b"Petani;Tengkulak;kuat;out\nTengkulak;KUD;lemah;both\n"
)


def send_csv(convo: Conversation, content: bytes, name: str = "karawang.csv") -> list[object]:
    document = Document(name, "text/csv", len(content), content)
    return convo.send(Event(EventKind.DOCUMENT, document=document))  # type: ignore[return-value]


def test_csv_import_is_previewed_then_imported_as_a_new_map() -> None:
    convo = network_convo()
    send_csv(convo, CSV)
    assert convo.snap.state == "network.import"
    assert "3 aktor, 2 hubungan" in convo.last[-1].plain
    convo.press("yes")
    created = next(e for e in effects(convo) if isinstance(e, CreateMap))
    assert created.kind == "case" and created.title == "karawang" and len(created.ops) == 5
    assert convo.snap.network is not None and len(convo.snap.network.ties) == 2


def test_a_csvs_spellings_of_one_actor_become_one_node_as_in_the_chat() -> None:
    convo = network_convo()
    content = (
        b"source,target,strength\n"
        b"dr. Nia,Kominfo Provinsi,kuat\n"
        b"dr nia,Pak Budi Santoso (Bappeda),lemah\n"
        b"Kominfo Prov,Budi Santoso,kuat\n"  # Budi Santoso: row 2's Pak Budi
        b"Bu Budi Santoso,Kominfo Provinsi,lemah\n"  # another person (other sex)
        b"dr. Nia,dr nia,kuat\n"  # two spellings of one actor: no tie
    )
    send_csv(convo, content)
    preview = convo.last[-1].plain
    assert "4 aktor, 4 hubungan" in preview, preview
    assert "“dr nia” disatukan dengan “dr. Nia”" in preview
    assert "“Kominfo Prov” disatukan dengan “Kominfo Provinsi”" in preview
    assert "“Budi Santoso” disatukan dengan “Pak Budi Santoso (Bappeda)”" in preview
    convo.press("yes")
    view = convo.snap.network
    assert view is not None
    assert sorted(a.name for a in view.actors) == [
        "Bu Budi Santoso",
        "Kominfo Provinsi",
        "Pak Budi Santoso (Bappeda)",
        "dr. Nia",
    ]
    assert len(view.ties) == 4


@pytest.mark.parametrize(
    "content",
    [
        b"asal_x,tujuan_y\nA,B\n",  # wrong header (dari,ke and from,to are read)
        b"source\nA\n",  # missing column
        b"\x89PNG\r\n\x1a\n\x00\x00\x00",  # binary
        "source,target\nÄ,B\n".encode("latin-1"),  # wrong encoding (UTF-16 is read: issue 18)
        b'source,target\n=HYPERLINK("x"),B\n',  # formula-like cell
        b"source,target\n" + b"".join(b"A%d,B%d\n" % (i, i) for i in range(100_000)),
    ],
)
def test_bad_csvs_get_a_clear_message_and_import_nothing(content: bytes) -> None:
    convo = network_convo()
    before = convo.snap.network
    said = send_csv(convo, content)
    assert convo.snap.state == "network.home" and convo.snap.network == before
    assert effects(convo) == [] and said
    assert all(telegram_html_errors(s.html) == [] for s in said)  # type: ignore[attr-defined]


def test_tie_line_parsing() -> None:
    assert parse_tie_line("Budi - Sari kuat") is not None
    line = parse_tie_line("Dinas PU & PR -> KUD 'Sri' lemah")
    assert line is not None and (line.a, line.b, line.strength, line.direction) == (
        "Dinas PU & PR",
        "KUD 'Sri'",
        "weak",
        "out",
    )
    assert parse_tie_line("Sub-Dolog - BRI") is not None
    assert parse_tie_line("sebuah kalimat biasa") is None


def test_fifteen_actor_map_by_conversation_alone() -> None:
    convo = network_convo()
    for i in range(15):
        convo.press("add")
        convo.send(f"Pemangku {chr(65 + i)}")
        for value in (
            "detail",
            "person",
            "skip",
            "in",
            "done",
            "skip",
            "operational",
            "weak",
            "both",
            "done",
        ):
            convo.press(value)
        if i == 0:  # nobody else on the map yet: the next name at once
            assert convo.snap.state == "network.name", convo.last[-1].plain
            convo.press("done")
            with_map(convo)
            continue
        assert convo.snap.state == "network.peers", convo.last[-1].plain
        toggles = [v for v in convo.buttons if v.startswith("toggle:")]
        if toggles:
            convo.press(toggles[-1])
        convo.press("done")
        if convo.snap.state == "network.strong":
            convo.press("done")
        assert convo.snap.state == "network.name"
        convo.press("done")
        with_map(convo)
    view = convo.snap.network
    assert isinstance(view, MapView) and len(view.others()) == 15
    assert len(view.ties) == 15 + 14  # each tied to the participant, and to one other
    said = convo.send("/analisis")
    assert said and all(telegram_html_errors(s.html) == [] for s in said)
    convo.send("/peta")
    assert convo.outcome is not None and any(r.attachment for r in convo.outcome.replies)


def test_near_misses_are_typos_not_different_short_words() -> None:
    view = MapView(1, "case", "t").apply([])[0]
    from coaching.network import AddActor

    view = view.apply([AddActor("Pemangku A"), AddActor("Pak Budi"), AddActor("Dinas Pertanian")])[
        0
    ]
    assert view.near("Pemangku B") is None
    near = view.near("pak budy")
    assert near is not None and near.name == "Pak Budi"
    near = view.near("Dinas Pertanain")
    assert near is not None and near.name == "Dinas Pertanian"
    assert view.near("Dinas Koperasi") is None
