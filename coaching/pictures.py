"""Attachments of replies, rendered when they are sent (off the event loop: CPU-bound)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coaching.analysis import Tie, analyse, build_graph
from coaching.exports import render_document
from coaching.mapimage import render_map_png
from coaching.scorechart import render_scores_png


def render_attachment(attachment: Mapping[str, Any]) -> bytes:
    """PNG bytes for ``{"type": "map", "actors", "ties", "ego", "locale"}``, or for
    ``{"type": "scores", "scores", "weak", "locale"}`` (the Bab V self-assessment chart).
    A ``{"type": "document", "format", "filename", "data"}`` gives the file's bytes instead
    (``/ekspor``: see ``coaching/exports.py``)."""
    if attachment.get("type") == "document":
        return render_document(attachment)
    if attachment.get("type") == "scores":
        return render_scores_png(
            dict(attachment.get("scores") or {}),
            locale=str(attachment.get("locale", "id")),
            weak=[str(key) for key in attachment.get("weak") or ()],
        )
    if attachment.get("type") != "map":
        raise ValueError(f"unknown attachment type {attachment.get('type')!r}")
    ties = [Tie(a, b, strength, direction) for a, b, strength, direction in attachment["ties"]]
    ego = attachment.get("ego")
    graph = build_graph(ties, actors=attachment.get("actors") or (), ego=ego)
    result = analyse(graph)
    return render_map_png(graph, result, locale=str(attachment.get("locale", "id")), ego=ego)
