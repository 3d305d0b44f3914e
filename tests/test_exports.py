"""Export formats: CSV safe in spreadsheets, GraphML and GEXF that Gephi opens."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from typing import Any

import networkx as nx

from coaching.exports import csv_bytes, gexf_bytes, graphml_bytes, merged_graph, render_document
from storage.db import Database
from tests.support import transaction

GEXF = "{http://www.gexf.net/1.2draft}"


def person(pid: int, name: str, maps: list[dict[str, Any]], answers: Any = ()) -> dict[str, Any]:
    return {"participant": {"id": pid, "name": name}, "maps": maps, "answers": list(answers)}


def a_map(mid: int, title: str, ego: str, ties: list[tuple[str, str, str, str]]) -> dict[str, Any]:
    names = dict.fromkeys([ego] + [n for t in ties for n in t[:2]])
    return {
        "id": mid,
        "title": title,
        "actors": [
            {
                "name": n,
                "is_ego": n == ego,
                "role": "Kadis" if n == "Budi" else None,
                "inside": None,
                "resources": ["funds"] if n == "Budi" else [],
            }
            for n in names
        ],
        "ties": [
            {"source": a, "target": b, "strength": s, "direction": d, "flows": ["information"]}
            for a, b, s, d in ties
        ],
    }


SARI = person(
    1,
    "Sari",
    [
        a_map(
            10,
            "Personal",
            "Sari",
            [("Sari", "Budi", "strong", "both"), ("Budi", "Ani", "weak", "out")],
        ),
        a_map(11, "Kasus beras", "Sari", [("Budi", "KUD", "strong", "both")]),
    ],
    [{"exercise": "bab2.latihan1", "text": '=HYPERLINK("http://x")', "updated_at": "2026"}],
)
TONO = person(2, "Tono", [a_map(20, "Personal", "Tono", [("Tono", "Budi", "weak", "both")])])


def assert_valid_gexf(content: bytes) -> None:
    """GEXF 1.2 as Gephi reads it: namespace and version, declared attributes, known ends."""
    root = ET.fromstring(content)
    assert root.tag == f"{GEXF}gexf" and root.get("version") == "1.2"
    graph = root.find(f"{GEXF}graph")
    assert graph is not None and graph.get("defaultedgetype") in ("undirected", "directed")
    declared = {
        (a.get("class") or "node", a.get("id"))
        for block in graph.findall(f"{GEXF}attributes")
        for a in block.findall(f"{GEXF}attribute")
        if block.get("class") in ("node", "edge") and not a.set("class", block.get("class") or "")
    }
    nodes = graph.find(f"{GEXF}nodes")
    edges = graph.find(f"{GEXF}edges")
    assert nodes is not None and edges is not None
    ids = set()
    for node in nodes.findall(f"{GEXF}node"):
        assert node.get("id") and node.get("label")
        ids.add(node.get("id"))
        for value in node.iter(f"{GEXF}attvalue"):
            assert ("node", value.get("for")) in declared
    for edge in edges.findall(f"{GEXF}edge"):
        assert edge.get("source") in ids and edge.get("target") in ids
        for value in edge.iter(f"{GEXF}attvalue"):
            assert ("edge", value.get("for")) in declared
    assert nx.read_gexf(io.BytesIO(content)).number_of_nodes() == len(ids)


def test_a_participants_maps_merge_into_one_graph() -> None:
    G = merged_graph([SARI])
    assert sorted(G.nodes[n]["name"] for n in G) == ["Ani", "Budi", "KUD", "Sari"]
    assert G.nodes["budi"]["maps"] == "Personal; Kasus beras"
    assert G.edges["budi", "ani"]["direction"] == "out" and G.edges["budi", "ani"]["from"] == "Budi"


def test_a_cohort_graph_prefixes_actors_by_participant() -> None:
    G = merged_graph([SARI, TONO])
    assert "p1:budi" in G and "p2:budi" in G and "budi" not in G
    assert G.nodes["p2:budi"]["label"] == "Tono: Budi"
    assert nx.number_connected_components(G) == 2


def test_graphml_and_gexf_round_trip() -> None:
    G = merged_graph([SARI, TONO])
    back = nx.read_graphml(io.BytesIO(graphml_bytes(G)))
    assert back.number_of_nodes() == 6 and back.number_of_edges() == 4
    assert back.nodes["p1:budi"]["resources"] == "funds"
    assert_valid_gexf(gexf_bytes(G))


def test_csv_cells_never_run_as_formulas() -> None:
    rows = list(csv.reader(io.StringIO(csv_bytes("answers", [SARI]).decode("utf-8-sig"))))
    assert rows[0] == [
        "participant_id",
        "participant",
        "exercise",
        "text",
        "updated_at",
        "reviewed_at",
        "exchange",
    ]
    assert rows[1][3] == '\'=HYPERLINK("http://x")'
    ties = list(csv.DictReader(io.StringIO(csv_bytes("ties", [SARI, TONO]).decode("utf-8-sig"))))
    assert len(ties) == 4 and {t["participant"] for t in ties} == {"Sari", "Tono"}
    actors = list(csv.DictReader(io.StringIO(csv_bytes("actors", [SARI]).decode("utf-8-sig"))))
    assert {a["actor"] for a in actors if a["map"] == "Personal"} == {"Sari", "Budi", "Ani"}


def test_document_attachments_render_json_and_graphml() -> None:
    data = json.loads(render_document({"type": "document", "format": "json", "data": SARI}))
    assert data["participant"]["name"] == "Sari"
    graphml = render_document({"type": "document", "format": "graphml", "data": SARI})
    assert nx.read_graphml(io.BytesIO(graphml)).number_of_nodes() == 4


def test_jejaring_export_writes_files_and_dashboard_needs_a_secret(tmp_path: Any) -> None:
    from tests.test_terminal import run_cli

    env = {"TELEGRAM_BOT_USERNAME": "jejaring_bot"}
    assert run_cli(["cohort", "create", "PKA 12"], "", tmp_path, **env).returncode == 0
    csvs = run_cli(["export", "--cohort", "1", "--out", "out"], "", tmp_path)
    assert csvs.returncode == 0, csvs.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["kohort-1-actors.csv", "kohort-1-answers.csv", "kohort-1-ties.csv"]
    gexf = run_cli(["export", "--cohort", "1", "--format", "gexf"], "", tmp_path)
    assert gexf.returncode == 0 and (tmp_path / "kohort-1.gexf").exists()
    missing = run_cli(["export", "--cohort", "9"], "", tmp_path)
    assert missing.returncode == 2 and "no cohort 9" in missing.stderr
    refused = run_cli(["dashboard"], "", tmp_path)
    assert refused.returncode == 2 and "DASHBOARD_SECRET" in refused.stderr


async def test_lesson_bookmarks_go_to_the_participant_but_not_to_the_coach(
    db: Database,
) -> None:
    from datetime import UTC, datetime

    from storage import exports
    from storage.models import Answer, Participant

    now = datetime(2026, 11, 29, tzinfo=UTC)
    with transaction(db) as session:
        person = Participant(
            external_id="tg:4242",
            chat_id=4242,
            language="id",
            state="menu.main",
            state_data={},
            seq=0,
            active=True,
            ignored_nudges=0,
            reminder_time="08:00",
            quiet_start="21:00",
            quiet_end="07:00",
            created_at=now,
            updated_at=now,
        )
        session.add(person)
        session.flush()
        for key in ("bab2.latihan1", "bab2.resume"):
            session.add(
                Answer(
                    participant_id=person.id,
                    exercise_key=key,
                    text="t",
                    data={},
                    created_at=now,
                    updated_at=now,
                )
            )
        session.flush()
        own = exports.participant_data(session, person.id, now)
        for_coach = exports.participant_data(session, person.id, now, bookmarks=False)
    assert {a["exercise"] for a in own["answers"]} == {"bab2.latihan1", "bab2.resume"}
    assert {a["exercise"] for a in for_coach["answers"]} == {"bab2.latihan1"}


# --- characters XML cannot carry (issue 18) -----------------------------------------------------

ODD = "Bu\x01di\x1b \ufffe\ud800 \x0b"  # controls, a noncharacter, a lone surrogate


def _one_person(name: str, other: str, title: str = "Peta") -> dict[str, Any]:
    ties = [(name, other, "strong", "out")]
    return person(7, name, [a_map(70, title, name, ties)])


def _read_back(content: bytes, fmt: str) -> nx.Graph:
    return (nx.read_graphml if fmt == "graphml" else nx.read_gexf)(io.BytesIO(content))


def test_names_xml_forbids_still_make_well_formed_graphml_and_gexf() -> None:
    G = merged_graph([_one_person(ODD, "Sari\x00")])
    for fmt, write in (("graphml", graphml_bytes), ("gexf", gexf_bytes)):
        content = write(G)
        ET.fromstring(content)  # well-formed
        back = _read_back(content, fmt)
        names = {back.nodes[n].get("name") or back.nodes[n].get("label") for n in back}
        assert "Bu\ufffddi\ufffd \ufffd\ufffd \ufffd" in names, (fmt, names)
        assert "Sari\ufffd" in names
    assert_valid_gexf(gexf_bytes(G))


def test_one_participants_odd_names_do_not_spoil_the_cohort_export() -> None:
    odd = person(
        3,
        "Ro\x1bni",
        [a_map(30, "K\x01asus", "Ro\x1bni", [("Ro\x1bni", "\ufffe", "weak", "both")])],
    )
    for fmt in ("graphml", "gexf"):
        from coaching.exports import graph_bytes

        back = _read_back(graph_bytes([SARI, odd, TONO], fmt), fmt)
        assert back.number_of_nodes() == 8, fmt  # Sari's 4, Roni's 2, Tono's 2
        labels = {back.nodes[n]["label"] for n in back}
        assert {"Sari: Budi", "Tono: Budi", "Ro\ufffdni: Ro\ufffdni"} <= labels


def test_json_and_csv_exports_survive_a_lone_surrogate() -> None:
    data = _one_person("A\ud800", "B")
    assert json.loads(render_document({"type": "document", "format": "json", "data": data}))
    assert csv_bytes("actors", [data]).decode("utf-8-sig")


def _names() -> Any:
    from hypothesis import strategies as st

    # Any code point, surrogates and controls included; at least one character.
    return st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF), min_size=1, max_size=30)


def _property(fmt: str) -> Any:
    from hypothesis import given, settings

    from coaching.analysis import name_key
    from coaching.exports import graph_bytes, xml_text

    @settings(max_examples=150, deadline=None)
    @given(_names(), _names(), _names())
    def round_trip(a: str, b: str, title: str) -> None:
        if name_key(a) == name_key(b):
            b = b + "x"
        people = [_one_person(a, b, title), TONO]
        back = _read_back(graph_bytes(people, fmt), fmt)
        labels = {back.nodes[n]["label"] for n in back}
        expected = {xml_text(f"Tono: {n}") for n in ("Tono", "Budi")}
        expected |= {xml_text(f"{a}: {n}") for n in (a, b)}
        assert labels == expected

    return round_trip


def test_any_unicode_names_round_trip_through_networkx_graphml() -> None:
    _property("graphml")()


def test_any_unicode_names_round_trip_through_networkx_gexf() -> None:
    _property("gexf")()
