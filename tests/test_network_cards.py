"""An actor's or a tie's card: every attribute changed after the fact, a tie deleted, a card
another message deleted, what a tie may not be; renaming, deleting and undoing (pure engine;
tests/test_network.py builds the maps)."""

from __future__ import annotations

import dataclasses

from tests.test_network import (
    effects,
    names,
    network_convo,
    open_card,
    tie,
    unnumbered,
    with_map,
)


def test_every_attribute_of_an_actor_can_be_changed_afterwards() -> None:
    convo = network_convo()
    convo.send("/tambah Pak Budi")
    open_card(convo, "Pak Budi")
    convo.press("kind")
    convo.press("organisation")
    assert convo.snap.state == "network.edit"
    convo.press("role")
    convo.send("Kepala Bidang, Dinas Pertanian")
    convo.press("inside")
    convo.press("out")
    convo.press("resources")
    convo.press("res:funds")
    convo.press("res:access")
    convo.press("done")
    convo.press("needs")
    convo.send("Data produksi gabah")
    convo.press("ibarra")
    convo.press("strategic")
    budi = convo.snap.network.find("Pak Budi") if convo.snap.network else None
    assert budi is not None
    assert (budi.kind, budi.role, budi.inside, budi.resources, budi.needs, budi.ibarra) == (
        "organisation",
        "Kepala Bidang, Dinas Pertanian",
        False,
        ("funds", "access"),
        "Data produksi gabah",
        "strategic",
    )
    card = convo.last[-1].plain
    assert card.splitlines()[:4] == [
        "Pak Budi · organisasi",
        "Peran: Kepala Bidang, Dinas Pertanian",
        "Di luar organisasi",
        "Sumber daya: dana, akses",
    ]
    convo.press("inside")
    convo.press("skip")  # leaves it as it was
    assert convo.snap.network is not None and convo.snap.network.find("Pak Budi") == budi
    convo.press("back")
    convo.press("back")
    for _ in range(6):
        convo.press("undo")  # each change is a step of the history
    assert convo.snap.network is not None
    plain = convo.snap.network.find("Pak Budi")
    assert plain is not None and (plain.kind, plain.role, plain.ibarra) == (None, None, None)


def test_a_ties_strength_direction_and_flows_can_be_changed_and_the_tie_deleted() -> None:
    convo = network_convo()
    convo.send("Budi - Ani\nBudi - Dewi kuat")
    open_card(convo, "Budi")
    convo.press("ties")
    labels = [unnumbered(label) for s in convo.last for _, label in s.buttons]
    convo.press(f"pick:{labels.index('Ani')}")
    assert convo.snap.state == "network.tie"
    convo.press("s:weak")
    convo.press("d:ba")  # from Ani to Budi
    convo.press("flow:information")
    view = convo.snap.network
    assert view is not None
    changed = view.tie("Budi", "Ani")
    assert changed is not None and changed.a == "ani" and changed.direction == "out"
    assert (changed.strength, changed.flows) == ("weak", ("information",))
    assert "Ani → Budi" in convo.last[-1].plain
    convo.press("d:both")
    assert tie(convo, "Budi", "Ani") == ("weak", "both")
    convo.press("untie")
    assert tie(convo, "Budi", "Ani") is None and tie(convo, "Budi", "Dewi") == ("strong", "both")
    assert convo.snap.state == "network.edit"
    convo.press("back")
    convo.press("back")
    convo.press("undo")
    assert tie(convo, "Budi", "Ani") == ("weak", "both")


def test_an_edit_of_an_actor_another_message_deleted_says_so() -> None:
    convo = network_convo()
    convo.send("Budi - Ani")
    open_card(convo, "Budi")
    convo.press("kind")  # the card's question is open ...
    # ... when another message deletes Budi (a second device, or an older tab of the chat)
    view = convo.snap.network
    assert view is not None
    from coaching.network import DeleteActor

    gone = view.apply([DeleteActor("Budi")])[0]
    convo.snap = dataclasses.replace(convo.snap, network=gone, maps=(gone,))
    said = convo.press("person")
    assert said[0].key == "network.actor_gone" and "Budi" in said[0].plain
    assert effects(convo) == [] and convo.snap.state == "network.home"


def test_a_tie_that_already_exists_or_a_tie_to_oneself_is_refused_clearly() -> None:
    convo = network_convo()
    convo.send("Budi - Ani")
    said = convo.send("Ani - Budi kuat")
    assert said[0].key == "network.err_tie_exists" and "disimpan dua kali" in said[0].plain
    assert effects(convo) == [] and tie(convo, "Budi", "Ani") == (None, "both")
    said = convo.send("Sari Dewi - Sari Dewi")
    assert said[0].key == "network.err_self_tie" and effects(convo) == []


def test_rename_delete_and_undo() -> None:
    convo = network_convo()
    convo.send("Budi - Ani kuat\nBudi - Dewi")
    convo.press("edit")
    labels = [unnumbered(label) for s in convo.last for _, label in s.buttons]
    convo.press(f"pick:{labels.index('Budi')}")
    convo.press("rename")
    convo.send("Pak Budi Santoso")
    assert tie(convo, "Pak Budi Santoso", "Ani") == ("strong", "both")
    with_map(convo)
    convo.press("edit")
    labels = [unnumbered(label) for s in convo.last for _, label in s.buttons]
    convo.press(f"pick:{labels.index('Pak Budi Santoso')}")
    convo.press("delete")
    convo.press("yes")
    assert "Pak Budi Santoso" not in names(convo) and tie(convo, "Pak Budi Santoso", "Ani") is None
    convo.press("undo")
    assert tie(convo, "Pak Budi Santoso", "Ani") == ("strong", "both")
    assert tie(convo, "Pak Budi Santoso", "Dewi") == (None, "both")
    convo.press("undo")  # the rename, then the quick line
    assert names(convo) == ["Ani", "Budi", "Dewi", "Sari Dewi"]
    convo.press("undo")
    assert names(convo) == ["Sari Dewi"] and "undo" not in convo.buttons
    convo.press("redo")
    convo.press("redo")
    assert tie(convo, "Pak Budi Santoso", "Ani") == ("strong", "both")
    convo.send("Ani - Dewi")  # a new change: nothing left to redo
    assert "redo" not in convo.buttons and "undo" in convo.buttons
