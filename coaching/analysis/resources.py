"""Mapping step 4b: who holds the resources the map's purpose needs, and which needs nobody on
the map meets (Bab IV.A, step 4b; the data comes from the guided entry's steps 2b and 2c).

Step 2b records, for each actor, the kinds of resource they hold that the network's purpose
needs (:data:`RESOURCE_KINDS`, chosen from buttons). Step 2c records in the participant's own
words what the actor needs in relation to that purpose. A need is matched to resource kinds by
the words it uses (Indonesian and English, see :data:`_WORDS`), and it is *met* when another
actor on the map holds one of those kinds. A need whose words match no kind cannot be matched:
it counts as met by nobody on the map, and the reply quotes it so the participant can judge.

The graph carries the data as node attributes ``resources`` (an iterable of kinds) and
``needs`` (text), as :func:`graph.build_graph` sets them from ``attributes``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from coaching.analysis.graph import name_key

__all__ = ["RESOURCE_KINDS", "NeedReport", "ResourceReport", "kinds_in", "resource_report"]

RESOURCE_KINDS: tuple[str, ...] = (
    "information",
    "expertise",
    "funds",
    "influence",
    "access",
    "other",
)
"""The kinds of resource step 2b offers (the same keys as ``coaching.network.RESOURCES``)."""


def _stems(words: str) -> tuple[str, ...]:
    return tuple(words.split())


# Word stems that name a kind of resource in a need, after name_key folding (case and
# accents); see _names for how a word matches a stem. Indonesian first, then English.
# "other" has none: a need is never matched to it.
_WORDS: Mapping[str, tuple[str, ...]] = {
    "information": _stems(
        "informasi info data kabar berita laporan statistik information news report figures"
    ),
    "expertise": _stems(
        "keahlian ahli keterampilan terampil pelatihan latihan bimbingan pendampingan pembinaan "
        "teknis teknologi konsultasi penyuluhan pengetahuan kompetensi "
        "expertise expert skill training advice technical technology knowledge know-how "
        "coaching mentoring"
    ),
    "funds": _stems(
        "dana pendanaan anggaran biaya pembiayaan modal permodalan uang kredit pinjaman hibah "
        "subsidi insentif keuangan "
        "fund budget money capital credit loan grant financ subsid incentive"
    ),
    "influence": _stems(
        "pengaruh dukungan kebijakan izin perizinan rekomendasi legitimasi persetujuan wewenang "
        "kewenangan regulasi "
        "influence support policy permit approval endorsement authority regulation "
        "backing"
    ),
    "access": _stems(
        "akses jaringan pasar pemasaran koneksi relasi kontak pembeli "
        "access market network contact connection buyer outlet"
    ),
}


@dataclass(frozen=True)
class NeedReport:
    """One actor's need (step 2c): the kinds it was matched to and who on the map holds them."""

    actor: Hashable
    need: str
    kinds: tuple[str, ...]
    met_by: tuple[Hashable, ...]


@dataclass(frozen=True)
class ResourceReport:
    """Step 4b on one map (nodes, not names; :mod:`.result` turns them into names).

    ``holders`` maps each kind someone holds to its holders (kinds in :data:`RESOURCE_KINDS`
    order, holders in name order). ``unheld`` lists the kinds (not ``"other"``) nobody holds,
    when anyone on the map has resources or needs recorded. ``needs`` lists every recorded
    need, in name order of the actors.
    """

    holders: tuple[tuple[str, tuple[Hashable, ...]], ...] = ()
    unheld: tuple[str, ...] = ()
    needs: tuple[NeedReport, ...] = ()

    @property
    def recorded(self) -> bool:
        return bool(self.holders or self.needs)


def kinds_in(need: str) -> tuple[str, ...]:
    """The resource kinds a need's words name, in :data:`RESOURCE_KINDS` order.

    >>> kinds_in("Dana pelatihan dan data pasar")
    ('information', 'expertise', 'funds', 'access')
    >>> kinds_in("lahan untuk gudang")
    ()
    """
    words = [w.strip(".,;:!?()[]\"'“”/") for w in name_key(need).replace("/", " ").split()]
    found = []
    for kind in RESOURCE_KINDS:
        stems = _WORDS.get(kind, ())
        if any(_names(w, stem) for w in words if w for stem in stems):
            found.append(kind)
    return tuple(found)


def resource_report(
    nodes: Sequence[Hashable], attributes: Mapping[Hashable, Any]
) -> ResourceReport:
    """Step 4b from each node's ``resources`` and ``needs`` attributes.

    ``nodes`` are in name order; ``attributes`` maps a node to its attribute mapping.
    """
    held: dict[str, list[Hashable]] = {}
    recorded_needs: list[tuple[Hashable, str]] = []
    for node in nodes:
        data = attributes.get(node) or {}
        for kind in _kinds(data.get("resources")):
            held.setdefault(kind, []).append(node)
        need = data.get("needs")
        if isinstance(need, str) and need.strip():
            recorded_needs.append((node, " ".join(need.split())))
    holders = tuple((kind, tuple(held[kind])) for kind in RESOURCE_KINDS if kind in held)
    position = {node: i for i, node in enumerate(nodes)}
    needs = []
    for node, need in recorded_needs:
        kinds = kinds_in(need)
        met_by = sorted(
            {v for kind in kinds for v in held.get(kind, ()) if v != node}, key=position.__getitem__
        )
        needs.append(NeedReport(node, need, kinds, tuple(met_by)))
    recorded = bool(holders or needs)
    unheld = tuple(k for k in RESOURCE_KINDS if k != "other" and k not in held) if recorded else ()
    return ResourceReport(holders, unheld, tuple(needs))


def _names(word: str, stem: str) -> bool:
    """A word names a stem: the stem itself, or (for stems of five letters or more) the stem
    with a suffix ("pasarnya", "financing"); short stems only whole ("data", not "datang")."""
    return word == stem or (len(stem) >= 5 and word.startswith(stem))


def _kinds(value: object) -> list[str]:
    """The known kinds in a ``resources`` attribute (unknown values are ignored)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable):
        return []
    given = {str(v) for v in value}
    return [k for k in RESOURCE_KINDS if k in given]
