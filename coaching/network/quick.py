"""Actor names and the quick syntax of tie lines ("Budi - Sari kuat")."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from coaching.analysis import name_key
from coaching.names import clean_name
from coaching.network.data import ACTOR_NAME_MAX, STRENGTH_WORDS
from coaching.network.ops import AddActor, AddTie, EditError, Op
from coaching.network.view import MapView
from coaching.validate import normalise


def check_actor_name(text: str) -> tuple[str | None, str | None]:
    """A stakeholder's name: a person, group or organisation ("Dinas PU & PR", "KUD 'Sri'").

    The one validation every name goes through (:func:`coaching.names.clean_name`); the
    problem is a ``names.*`` message key.
    """
    checked = clean_name(text, limit=ACTOR_NAME_MAX)
    return checked.value, checked.problem


_TIE_LINE = re.compile(
    r"^(?P<a>.+?)\s*(?P<arrow><->|->|→|↔)\s*(?P<b>.+?)(?:\s+(?P<s>kuat|lemah|strong|weak))?$"
    r"|^(?P<a2>.+?)\s+(?:-|–|—)\s+(?P<b2>.+?)(?:\s+(?P<s2>kuat|lemah|strong|weak))?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TieLine:
    a: str
    b: str
    strength: str | None
    direction: str


def parse_tie_line(line: str) -> TieLine | None:
    """``Budi - Sari kuat`` (two-way), ``Budi -> Sari`` (one-way); None if it is no tie line."""
    match = _TIE_LINE.match(normalise(line))
    if match is None:
        return None
    if match.group("a") is not None:
        a, b, word, arrow = match.group("a"), match.group("b"), match.group("s"), match["arrow"]
        direction = "out" if arrow in ("->", "→") else "both"
    else:
        a, b, word, direction = match.group("a2"), match.group("b2"), match.group("s2"), "both"
    strength = STRENGTH_WORDS.get(word.lower()) if word else None
    return TieLine(a.strip(), b.strip(), strength, direction)


def tie_lines(text: str) -> list[TieLine] | None:
    """Every non-empty line as a tie line, or None when any line is not one."""
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = [parse_tie_line(line) for line in lines]
    if not parsed or any(p is None for p in parsed):
        return None
    return [p for p in parsed if p is not None]


def ops_for_tie_lines(
    view: MapView, lines: Sequence[TieLine], meant: Mapping[str, str] | None = None
) -> list[Op]:
    """New actors first, then the ties: only the ties the lines name.

    ``meant`` maps a cleaned typed name to the actor it was resolved to (the participant,
    an actor already on the map); an empty answer, or no answer, means a new actor.

    A name first met in a line is not tied to the participant: that tie would change every
    measure of the map, and the participant did not say it (the reply offers it in one tap).
    """
    meant = meant or {}
    ops: list[Op] = []
    known = {a.key for a in view.actors}

    def actor(typed: str) -> str:
        cleaned, problem = check_actor_name(typed)
        if cleaned is None:
            raise EditError(problem or "names.chars", name=typed[:80])
        name = meant.get(cleaned) or cleaned
        if name_key(name) not in known:
            known.add(name_key(name))
            ops.append(AddActor(name))
        return name

    for line in lines:
        a, b = actor(line.a), actor(line.b)
        ops.append(AddTie(a, b, line.strength, line.direction))
    return ops
