"""Small builders every flow uses to say "stay here" or "go there"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coaching.flows.states import NetworkStep
from coaching.model import CreateMap, Effect, Option, Outcome, Reply, Snapshot
from coaching.network import MapView
from coaching.places import Place, zone_label
from coaching.text import render


def stay(snap: Snapshot, *replies: Reply, reprompt: bool = True) -> Outcome:
    """Bad or idle input: nothing changes, old buttons stay valid."""
    return Outcome(snap.state, snap.data, replies=replies, changed=False, reprompt=reprompt)


def go(
    state: str,
    *replies: Reply,
    data: Mapping[str, Any] | None = None,
    effects: tuple[Effect, ...] = (),
) -> Outcome:
    return Outcome(state, dict(data or {}), effects=effects, replies=replies)


def note(key: str, **context: Any) -> Reply:
    return Reply(key, context)


def language_options() -> tuple[tuple[Option, ...], ...]:
    return ((Option("lang:id", "common.btn_lang_id"), Option("lang:en", "common.btn_lang_en")),)


def personal_map(snap: Snapshot) -> MapView | None:
    """The participant's personal map (their own network, with them in it), once stored."""
    return next((m for m in snap.maps if m.kind == "personal" and m.id is not None), None)


def new_personal_map(snap: Snapshot, purpose: str | None = None) -> CreateMap:
    """The personal map, with the participant in it under the name they gave us."""
    ego = snap.profile.name or render(snap.locale, "network.me")
    return CreateMap("personal", "personal", purpose, ego=ego)


def open_map(snap: Snapshot) -> Outcome:
    """The way into the network flow (menu, KLTB, plans, Bab II): the map's home, the
    participant's personal map made on the first visit."""
    if snap.network is None:
        created = new_personal_map(snap)
        return go(NetworkStep.HOME, note("network.personal_created"), effects=(created,))
    return go(NetworkStep.HOME)


def zone_found(place: Place) -> tuple[Reply, ...]:
    """A place typed for a time zone is echoed with the zone it was taken for ("Bandung (Jawa
    Barat): WIB"), so a wrong guess is seen at once; a zone typed as such needs no echo."""
    if place.name is None:
        return ()
    return (
        note(
            "common.zone_found",
            place=place.name,
            province=place.province or "",
            label=zone_label(place.zone),
        ),
    )
