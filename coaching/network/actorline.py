"""One stakeholder in one line: ``Pak Budi; Bappeda; kuat; informasi, dana`` — the name, then
(each may be left out or written ``-``) their organisation or role, your tie to them
(``kuat``/``lemah``, ``strong``/``weak``) and the resources they hold (Indonesian or
English words). Pure parsing: the network flow checks the name and stores it."""

from __future__ import annotations

from dataclasses import dataclass

from coaching.network.data import RESOURCES, STRENGTH_WORDS
from coaching.validate import normalise

__all__ = ["RESOURCE_WORDS", "ActorLine", "parse_actor_line"]

SEPARATOR = ";"
FIELDS = 4  # name; role; your tie; resources
RESOURCE_WORDS = {
    **{r: r for r in RESOURCES},
    "informasi": "information",
    "info": "information",
    "keahlian": "expertise",
    "keterampilan": "expertise",
    "dana": "funds",
    "uang": "funds",
    "anggaran": "funds",
    "pengaruh": "influence",
    "akses": "access",
    "lainnya": "other",
    "lain": "other",
}
_EMPTY = ("", "-", "–", "—")


@dataclass(frozen=True)
class ActorLine:
    name: str
    role: str | None = None
    strength: str | None = None
    resources: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()  # words read as a tie or a resource that are neither


def parse_actor_line(text: str) -> ActorLine | None:
    """``Pak Budi; Bappeda; kuat; informasi, dana`` as its parts; None when it is no such
    line (no ``;``, or more than one line).

    >>> line = parse_actor_line("Pak Budi; Bappeda; kuat; informasi, dana")
    >>> line.name, line.role, line.strength, line.resources
    ('Pak Budi', 'Bappeda', 'strong', ('information', 'funds'))
    >>> parse_actor_line("Bu Ani; -; sedang").unknown, parse_actor_line("Bu Ani") is None
    (('sedang',), True)
    """
    cleaned = (text or "").strip()
    if SEPARATOR not in cleaned or "\n" in cleaned:
        return None
    parts = [normalise(p) for p in cleaned.split(SEPARATOR)]
    parts += [""] * (FIELDS - len(parts))
    name, role, tie, held, *rest = parts
    unknown: list[str] = [p for p in rest if p not in _EMPTY]
    strength = None
    if tie not in _EMPTY:
        strength = STRENGTH_WORDS.get(tie.casefold())
        if strength is None:
            unknown.append(tie)
    resources: list[str] = []
    for word in (w.strip() for w in held.replace("/", ",").split(",")):
        if word in _EMPTY:
            continue
        resource = RESOURCE_WORDS.get(word.casefold())
        if resource is None:
            unknown.append(word)
        elif resource not in resources:
            resources.append(resource)
    return ActorLine(
        name=name,
        role=None if role in _EMPTY else role,
        strength=strength,
        resources=tuple(r for r in RESOURCES if r in resources),
        unknown=tuple(unknown),
    )
