"""Every way of naming an actor in the chat goes through one resolver (coaching.names.resolve):
the participant is recognised, near misses and ambiguous names are asked about first."""

from __future__ import annotations

import dataclasses
import io

import pytest
from sqlalchemy import select

from coaching.model import ChangeMap
from storage.db import Database
from storage.models import Actor, Tie
from tests.support import transaction
from tests.test_network import effects, names, network_convo, tie, with_map


@pytest.mark.parametrize("me", ["Saya", "saya", "aku", "Anda", "me", "I", "myself", "Sari Dewi"])
def test_the_participant_is_recognised_in_a_quick_line(me: str) -> None:
    convo = network_convo()
    convo.send(f"/hubung {me} - Budi kuat")
    assert names(convo) == ["Budi", "Sari Dewi"]  # never an actor "Saya"
    assert tie(convo, "Sari Dewi", "Budi") == ("strong", "both")


def test_the_participant_named_in_tambah_or_guided_entry_is_not_added() -> None:
    convo = network_convo()
    said = convo.send("/tambah Saya")
    assert said[0].key == "network.is_you" and names(convo) == ["Sari Dewi"]
    convo.press("add")
    said = convo.send("aku")
    assert said[0].key == "network.is_you" and convo.snap.state == "network.name"
    assert effects(convo) == []


def test_a_case_map_has_no_participant_to_tie() -> None:
    convo = network_convo()
    convo.press("maps")
    convo.press("new")
    convo.send("Posisi tawar kelompok tani")
    convo.press("skip")
    with_map(convo)
    said = convo.send("Saya - Tengkulak")
    assert said[0].key == "network.no_ego_here" and effects(convo) == []


def test_a_near_miss_in_a_quick_line_asks_before_anything_is_stored() -> None:
    convo = network_convo()
    convo.send("/tambah Pak Budi Santoso (Bappeda)")
    said = convo.send("Budi - Rina kuat")
    assert convo.snap.state == "network.confirm" and effects(convo) == []
    assert "Pak Budi Santoso (Bappeda)" in said[-1].plain
    convo.press("same:0")
    assert names(convo) == ["Pak Budi Santoso (Bappeda)", "Rina", "Sari Dewi"]
    assert tie(convo, "Pak Budi Santoso (Bappeda)", "Rina") == ("strong", "both")


def test_tambah_of_an_agency_or_a_person_already_there_adds_nobody() -> None:
    convo = network_convo()
    convo.send("/tambah Kominfo Provinsi")
    said = convo.send("/tambah Kominfo Prov")
    assert said[0].key == "network.already_there" and "Kominfo Provinsi" in said[0].plain
    convo.send("/tambah dr. Nia")
    said = convo.send("/tambah dr nia")
    assert said[0].key == "network.already_there"
    assert names(convo) == ["Kominfo Provinsi", "Sari Dewi", "dr. Nia"]
    convo.send("/tambah Pak Budiman")
    convo.send("/tambah Pak Budimen")  # a near miss asks first
    assert convo.snap.state == "network.confirm"
    said = convo.press("same:0")
    assert said[0].key == "network.already_there" and "Pak Budimen" not in names(convo)


def test_a_line_with_several_doubtful_names_asks_about_each_then_applies_once() -> None:
    convo = network_convo()
    convo.send("/tambah Pak Budi Santoso")
    convo.send("/tambah Dinas Pertanian")
    said = convo.send("Budi Santosa - Dinas Pertanain lemah\nDinas Pertanain - Ani")
    assert convo.snap.state == "network.confirm" and "Pak Budi Santoso" in said[-1].plain
    convo.press("same:0")
    assert convo.snap.state == "network.confirm" and effects(convo) == []
    assert "Dinas Pertanian" in convo.last[-1].plain
    convo.press("same:0")
    changes = [e for e in effects(convo) if isinstance(e, ChangeMap)]
    assert len(changes) == 1  # the line applied once, with every answer
    assert names(convo) == ["Ani", "Dinas Pertanian", "Pak Budi Santoso", "Sari Dewi"]
    assert tie(convo, "Pak Budi Santoso", "Dinas Pertanian") == ("weak", "both")
    assert tie(convo, "Dinas Pertanian", "Ani") == (None, "both")


def test_an_answer_of_someone_else_adds_a_new_actor() -> None:
    convo = network_convo()
    convo.send("/tambah Pak Budi Santoso")
    convo.send("Budi Santosa - Ani")
    convo.press("new")
    assert names(convo) == ["Ani", "Budi Santosa", "Pak Budi Santoso", "Sari Dewi"]


def test_an_ambiguous_name_asks_which_one() -> None:
    convo = network_convo()
    convo.send("/tambah Pak Budi Santoso")
    convo.send("/tambah Budi Hartono")
    said = convo.send("Budi - Ani")
    assert said[-1].key == "network.confirm_which" and effects(convo) == []
    labels = dict(s for reply in said for s in reply.buttons)
    chosen = next(v for v, label in labels.items() if "Budi Hartono" in label)
    convo.press(chosen)
    assert tie(convo, "Budi Hartono", "Ani") == (None, "both")
    assert names(convo).count("Budi") == 0


async def test_saya_in_jejaring_chat_is_the_participant(sqlite_url: str) -> None:
    from cli.chat import chat as terminal_chat
    from tests.test_terminal import ONBOARDING

    db = Database.connect(sqlite_url)
    typed = ONBOARDING + "/hubung Saya - Budi kuat\n"
    await terminal_chat(db, user="sari", stdin=io.StringIO(typed), stdout=io.StringIO())
    with transaction(db) as session:
        actors = set((session.execute(select(Actor.name))).scalars())
        ties = (session.execute(select(Tie))).scalars().all()
    await db.dispose()
    assert actors == {"Sari Dewi", "Budi"}  # no actor "Saya" beside the participant
    assert len(ties) == 1 and ties[0].strength == "strong"


def test_duplicates_on_a_map_are_merged_with_ties_and_attributes_combined_and_undoable() -> None:
    convo = network_convo()
    convo.send("Budi - Ani lemah\nPak Budi - Dewi kuat\nPak Budi -> Ani kuat")
    with_map(convo)
    from tests.test_network import open_card

    open_card(convo, "Pak Budi")
    convo.press("kind")
    convo.press("person")
    convo.press("merge")
    labels = [label.split(". ", 1)[-1] for s in convo.last for _, label in s.buttons]
    assert "Pak Budi" not in labels  # never with itself
    convo.press(f"pick:{labels.index('Budi')}")
    said = convo.press("yes")
    assert said[0].key == "network.merged"
    assert names(convo) == ["Ani", "Budi", "Dewi", "Sari Dewi"]
    budi = convo.snap.network.find("Budi") if convo.snap.network else None
    assert budi is not None and budi.kind == "person"  # attributes combined
    assert tie(convo, "Budi", "Dewi") == ("strong", "both")  # ties moved
    assert tie(convo, "Budi", "Ani") == ("strong", "both")  # combined: strong, directions differ
    convo.press("undo")
    assert names(convo) == ["Ani", "Budi", "Dewi", "Pak Budi", "Sari Dewi"]
    assert tie(convo, "Pak Budi", "Ani") == ("strong", "out")
    assert tie(convo, "Budi", "Ani") == ("weak", "both")


def test_the_merge_offers_the_likely_duplicates_first() -> None:
    convo = network_convo()
    convo.send("/tambah Pak Budi Santoso (Bappeda)")
    convo.send("/tambah Ani")
    convo.send("/tambah Budi Hartono")
    convo.send("Budi - Dewi kuat")
    convo.press("new")  # someone else: a third Budi, by mistake
    with_map(convo)
    from tests.test_network import open_card

    open_card(convo, "Budi")
    convo.press("merge")
    labels = [label.split(". ", 1)[-1] for s in convo.last for _, label in s.buttons]
    assert labels[:2] == ["Budi Hartono", "Pak Budi Santoso (Bappeda)"]
    assert set(labels[2:-1]) == {"Sari Dewi", "Ani", "Dewi"} and "Budi" not in labels


def test_renaming_onto_an_existing_name_offers_the_merge_and_saya_merges_into_the_participant() -> (
    None
):
    convo = network_convo()
    from coaching.network import AddActor, AddTie

    view = convo.snap.network
    assert view is not None  # an old map, from before the resolver: an actor "Saya"
    old = view.apply([AddActor("Saya"), AddActor("Budi"), AddTie("Saya", "Budi", "strong")])[0]
    convo.snap = dataclasses.replace(convo.snap, network=old, maps=(old,))
    from tests.test_network import open_card

    convo.press("menu")
    convo.press("net")
    open_card(convo, "Saya")
    convo.press("rename")
    convo.send("Sari Dewi")
    assert convo.snap.state == "network.merge"
    convo.press("yes")
    assert names(convo) == ["Budi", "Sari Dewi"]
    assert tie(convo, "Sari Dewi", "Budi") == ("strong", "both")


@pytest.mark.parametrize(
    ("typed", "into"), [("dr nia", "dr. Nia"), ("aku", "Sari Dewi"), ("Bapak Budi", "Pak Budi")]
)
def test_renaming_onto_another_spelling_of_an_actor_or_the_participant_offers_the_merge(
    typed: str, into: str
) -> None:
    convo = network_convo()
    convo.send("/tambah dr. Nia")
    convo.send("/tambah Pak Budi")
    convo.send("/tambah Rini Wulandari")
    with_map(convo)
    from tests.test_network import open_card

    open_card(convo, "Rini Wulandari")
    convo.press("rename")
    convo.send(typed)
    assert convo.snap.state == "network.merge" and effects(convo) == []
    assert convo.snap.data["into"] == into
    convo.press("yes")
    assert "Rini Wulandari" not in names(convo) and typed not in names(convo)
    assert names(convo) == ["Pak Budi", "Sari Dewi", "dr. Nia"]


def test_renaming_to_saya_on_a_case_map_is_refused() -> None:
    convo = network_convo()
    convo.press("maps")
    convo.press("new")
    convo.send("Posisi tawar kelompok tani")
    convo.press("skip")
    with_map(convo)
    convo.send("/tambah Tengkulak")
    assert names(convo) == ["Tengkulak"]
    from tests.test_network import open_card

    open_card(convo, "Tengkulak")
    convo.press("rename")
    said = convo.send("Saya")
    assert said[0].key == "network.no_ego_here" and effects(convo) == []
    assert convo.snap.state == "network.rename"


def test_a_rename_to_a_new_name_renames() -> None:
    convo = network_convo()
    convo.send("/tambah Pak Budi")
    with_map(convo)
    from tests.test_network import open_card

    open_card(convo, "Pak Budi")
    convo.press("rename")
    said = convo.send("Bapak Budi Santoso")
    assert said[0].key == "network.renamed"
    assert names(convo) == ["Bapak Budi Santoso", "Sari Dewi"]


def test_a_merge_with_itself_is_refused() -> None:
    from coaching.network import AddActor, EditError, MapView, merge_ops

    view = MapView(1, "case", "t").apply([AddActor("Pak Budi")])[0]
    with pytest.raises(EditError) as refused:
        merge_ops(view, "Pak Budi", "pak  budi")
    assert refused.value.key == "network.err_merge_self"
