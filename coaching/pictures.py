"""Attachments of replies, rendered when they are sent (off the event loop: CPU-bound)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx

from coaching.analysis import GraphError, Tie, analyse, build_graph
from coaching.exports import render_document
from coaching.journey_pdf import journey_pdf
from coaching.mapimage import render_map_png
from coaching.scorechart import render_scores_png


def render_attachment(attachment: Mapping[str, Any]) -> bytes:
    """PNG bytes for ``{"type": "map", "actors", "ties", "ego", "locale"}``, or for
    ``{"type": "scores", "scores", "weak", "locale"}`` (the Bab V self-assessment chart).
    A ``{"type": "document", "format", "filename", "data"}`` gives the file's bytes instead
    (``/ekspor``: see ``coaching/exports.py``)."""
    if attachment.get("type") == "document":
        if attachment.get("format") == "pdf":  # the journey's page draws the map: here
            return journey_pdf(attachment.get("data") or {}, str(attachment.get("locale", "id")))
        return render_document(attachment)
    if attachment.get("type") == "scores":
        return render_scores_png(
            dict(attachment.get("scores") or {}),
            locale=str(attachment.get("locale", "id")),
            weak=[str(key) for key in attachment.get("weak") or ()],
        )
    if attachment.get("type") != "map":
        raise ValueError(f"unknown attachment type {attachment.get('type')!r}")
    ego = attachment.get("ego")
    graph = map_graph(attachment.get("actors") or (), attachment.get("ties") or (), ego)
    result = analyse(graph)
    return render_map_png(graph, result, locale=str(attachment.get("locale", "id")), ego=ego)


def map_graph(actors: Sequence[Any], ties: Sequence[Sequence[Any]], ego: str | None) -> nx.Graph:
    """The map of a picture attachment. Names are drawn as they were stored: one the name
    validation would now refuse (only combining marks, say) still gets its picture, because a
    picture that raises would hold up every later message of its chat."""
    edges = [Tie(str(a), str(b), strength, direction) for a, b, strength, direction in ties]
    try:
        return build_graph(edges, actors=[str(a) for a in actors], ego=ego)
    except GraphError:
        return _as_stored(actors, edges, ego)


def _as_stored(actors: Sequence[Any], ties: Sequence[Tie], ego: str | None) -> nx.Graph:
    """Each distinct stored name one actor; ties to oneself and repeated ties left out."""
    G = nx.Graph()
    for name in [*map(str, actors), *(n for t in ties for n in (t.source, t.target))]:
        G.add_node(name, name=name)
    for tie in ties:
        if tie.source == tie.target or G.has_edge(tie.source, tie.target):
            continue
        strength = tie.strength if tie.strength in ("strong", "weak") else None
        one_way = tie.direction == "out"
        G.add_edge(
            tie.source,
            tie.target,
            strength=strength,
            direction="out" if one_way else "both",
            origin=tie.source if one_way else None,
        )
    if ego is not None:
        G.add_node(ego, name=ego)
    G.graph["ego"] = ego
    return G
