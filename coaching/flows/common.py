"""Small builders every flow uses to say "stay here" or "go there"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coaching.model import Effect, Option, Outcome, Reply, Snapshot


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
