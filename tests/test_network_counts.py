"""One count everywhere: the map page, ``/analisis``, the picture and its caption, the coach's
view and the exports count a map's actors and ties the same way (``MapView.counts``)."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coaching import engine
from coaching.analysis import Tie, build_graph
from coaching.flows import coach_screens
from coaching.journey_pdf import map_heading
from coaching.model import SaveAnalysis
from coaching.network import AddActor, AddTie, MapCounts, MapView, Op
from storage.exports import _map_dict
from tests.support import Conversation, said


@st.composite
def maps(draw: st.DrawFn) -> MapView:
    personal = draw(st.booleans())
    count = draw(st.integers(min_value=1, max_value=12))
    names = [f"Aktor {i}" for i in range(count)]
    ops: list[Op] = []
    if personal:
        ops.append(AddActor("Sari Dewi", is_ego=True))
        names.append("Sari Dewi")
    ops += [AddActor(name) for name in names if name != "Sari Dewi"]
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=30)) if pairs else []
    strengths = st.sampled_from([None, "strong", "weak"])
    ops += [
        AddTie(a, b, draw(strengths), draw(st.sampled_from(["both", "out"]))) for a, b in chosen
    ]
    kind = "personal" if personal else "case"
    return MapView(1, kind, "personal" if personal else "Kasus").apply(ops)[0]


def _convo_on(view: MapView) -> Conversation:
    convo = Conversation()
    convo.onboard(name="Sari Dewi")
    convo.snap = dataclasses.replace(
        convo.snap, state="network.home", network=view, maps=(view,), data={}
    )
    return convo


def _numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"(\d+) (?:aktor|hubungan)", text)]


def _expected(size: MapCounts) -> list[int]:
    numbers = [size.actors, size.ties]
    return numbers + ([size.actors_without_ego, size.ties_without_ego] if size.ego else [])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(maps())
def test_every_view_of_a_map_counts_it_the_same_way(view: MapView) -> None:
    size = view.counts()
    ego = view.ego
    assert size.ego == (ego is not None)
    assert size.actors == len(view.actors) and size.ties == len(view.ties)
    assert size.actors_without_ego == len(view.others())
    assert size.ties_without_ego == sum(
        1 for t in view.ties if ego is None or ego.key not in (t.a, t.b)
    )
    assert MapCounts.of_graph(view.graph()) == size

    convo = _convo_on(view)
    page = [said("id", r) for r in engine.prompt(convo.snap)]
    assert _numbers(page[0].plain) == _expected(size)  # the map page

    convo.send("/peta")
    assert convo.outcome is not None
    picture = next(r for r in convo.outcome.replies if r.attachment)
    assert _numbers(convo.last[0].plain) == _expected(size)  # the picture's caption
    attachment = picture.attachment or {}
    drawn = build_graph(
        [Tie(a, b, s, d) for a, b, s, d in attachment["ties"]],
        actors=attachment["actors"],
        ego=attachment["ego"],
    )
    assert MapCounts.of_graph(drawn) == size  # what the picture draws

    if size.actors >= 2:
        convo = _convo_on(view)
        convo.send("/analisis")
        assert convo.outcome is not None
        saved = next(e for e in convo.outcome.effects if isinstance(e, SaveAnalysis))
        assert (saved.result["actors"], saved.result["ties"]) == (size.actors, size.ties)

    caption = coach_screens.picture_reply(view, "Sari Dewi", "id")
    assert _numbers(said("id", caption).plain) == _expected(size)  # the coach's view

    stamp = datetime(2026, 12, 1, tzinfo=UTC)
    exported = _map_dict(view, None, stamp, stamp)
    assert exported["counts"] == size.as_dict()
    assert len(exported["actors"]) == size.actors and len(exported["ties"]) == size.ties
    assert _numbers(map_heading(exported, "id")) == _expected(size)  # the journey PDF


def test_the_map_page_says_what_it_counts_with_and_without_the_participant() -> None:
    view = MapView(1, "personal", "personal").apply(
        [
            AddActor("Sari Dewi", is_ego=True),
            AddActor("Budi"),
            AddActor("Ani"),
            AddTie("Sari Dewi", "Budi"),
            AddTie("Budi", "Ani"),
        ]
    )[0]
    page = said("id", engine.prompt(_convo_on(view).snap)[0]).plain
    assert "3 aktor · 2 hubungan (termasuk Anda; tanpa Anda: 2 aktor · 1 hubungan)" in page
    english = said("en", engine.prompt(_convo_on(view).snap)[0]).plain
    assert "3 actors · 2 ties (you included; without you: 2 actors · 1 tie)" in english


def test_english_counts_one_in_the_singular_everywhere() -> None:
    view = MapView(1, "personal", "personal").apply(
        [AddActor("Sari Dewi", is_ego=True), AddActor("Budi"), AddTie("Sari Dewi", "Budi")]
    )[0]
    convo = _convo_on(view)
    profile = dataclasses.replace(convo.snap.profile, language="en")
    convo.snap = dataclasses.replace(convo.snap, profile=profile)
    page = said("en", engine.prompt(convo.snap)[0]).plain
    assert "2 actors · 1 tie (you included; without you: 1 actor · 0 ties)" in page
    said_now = convo.send("Budi - Ani")
    assert "🔗 1 tie saved." in said_now[0].plain
    assert "3 actors · 2 ties (you included; without you: 2 actors · 1 tie)" in said_now[-1].plain
    convo.send("/analisis")
    assert "Network size: 3 actors, 2 ties" in convo.last[0].plain
    caption = said("en", coach_screens.picture_reply(view, "Sari Dewi", "en")).plain
    assert "2 actors, 1 tie (" in caption and "without them: 1 actor, 0 ties" in caption
    stamp = datetime(2026, 12, 1, tzinfo=UTC)
    heading = map_heading(_map_dict(view, None, stamp, stamp), "en")
    assert heading.endswith("2 actors, 1 tie (you included; without you: 1 actor, 0 ties)")
