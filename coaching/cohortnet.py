"""The cohort as a network: everyone's maps combined, the stakeholders several participants
share, and who could help whom — Krebs & Holley's network weaving done for the whole class.

Pure, from the export's plain data (``storage/exports.py``: one dict per participant, each with
their maps, actors — resources (step 2b) and needs (step 2c) — and ties).

- **Shared stakeholders.** The actors of every participant's maps (not the participants
  themselves) are matched across maps with the chat's own name resolver
  (:func:`coaching.names.resolve`, within a :func:`~coaching.names.match_key` group, as a CSV's
  spellings are merged): "Pak Budi Santoso (Bappeda)" on one map and "Budi Santoso" on another
  are one stakeholder; "Bu Budi Santoso" is not "Pak Budi Santoso". A stakeholder on two or
  more participants' maps is shared: a natural introduction between them.
- **Who could help whom.** What a participant's work needs is read from the needs recorded on
  their maps and their case maps' purposes (:func:`coaching.analysis.resources.kinds_in`: the
  module's resource kinds named in the words). Another participant *holds* a kind when a
  stakeholder on their maps has that resource. Where one holds a kind another needs and the
  other's own maps hold nobody with it, the first could help the second — through whom.
- **The combined graph** (:func:`combined_graph`): a node per participant (``p<id>``) and per
  stakeholder (``s:<key>``), a tie from each participant to each stakeholder on their maps
  (``strong`` if their personal map's tie to them is strong), and a ``help`` tie from helper to
  helped. Written as GraphML/GEXF by ``coaching.exports`` for Gephi.

Examples
--------
>>> sari = {"participant": {"id": 1, "name": "Sari"}, "maps": [{"kind": "personal", "actors": [
...     {"name": "Sari", "is_ego": True},
...     {"name": "Pak Budi Santoso (Bappeda)", "resources": ["funds"]}], "ties": []}]}
>>> rudi = {"participant": {"id": 2, "name": "Rudi"}, "maps": [{"kind": "case",
...     "purpose": "Dana untuk pelatihan petani", "actors": [{"name": "Budi Santoso"}],
...     "ties": []}]}
>>> net = cohort_network([sari, rudi])
>>> [(s.name, s.participants) for s in net.shared]
[('Pak Budi Santoso (Bappeda)', ('Rudi', 'Sari'))]
>>> [(h.helper, h.helped, h.kinds, h.through) for h in net.helps]
[('Sari', 'Rudi', ('funds',), ('Pak Budi Santoso (Bappeda)',))]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from coaching.analysis.resources import kinds_in
from coaching.names import match_key, name_key, resolve

SHOWN_MAX = 40  # rows a page or a message lists of each table (the exports hold them all)


@dataclass(frozen=True)
class Shared:
    """A stakeholder on the maps of several participants."""

    key: str  # the node's id after ``s:``
    name: str  # the spelling met first
    participants: tuple[str, ...]  # names, sorted
    resources: tuple[str, ...] = ()  # resource kinds anyone recorded for them


@dataclass(frozen=True)
class Help:
    """``helper`` holds what ``helped``'s work needs (and ``helped``'s maps do not)."""

    helper: str
    helped: str
    kinds: tuple[str, ...]  # resource kinds (``RESOURCE_KINDS``)
    through: tuple[str, ...]  # the helper's stakeholders who hold them
    because: tuple[str, ...]  # the needs or purposes that name them


@dataclass(frozen=True)
class CohortNetwork:
    participants: tuple[str, ...]
    stakeholders: int  # distinct stakeholders across every map
    shared: tuple[Shared, ...]  # most participants first
    helps: tuple[Help, ...]
    graph: nx.Graph


@dataclass
class _Stakeholder:
    key: str
    name: str
    who: dict[int, str]  # participant id -> the strength of their tie ("" when not tied)
    resources: set[str]


def _who(person: Mapping[str, Any]) -> tuple[int, str]:
    info = person["participant"]
    return int(info["id"]), str(info.get("name") or f"P{info['id']}")


def cohort_network(people: Sequence[Mapping[str, Any]]) -> CohortNetwork:
    """The cohort's combined network (see the module's description)."""
    groups: dict[str, list[_Stakeholder]] = defaultdict(list)  # match key -> stakeholders
    names: dict[int, str] = {}
    held: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    needs: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for person in people:
        pid, pname = _who(person)
        names[pid] = pname
        for network_map in person.get("maps") or []:
            actors = network_map.get("actors") or []
            ego = next((a["name"] for a in actors if a.get("is_ego")), None)
            strength = _ego_ties(network_map, ego)
            purpose = str(network_map.get("purpose") or "")
            for kind in kinds_in(purpose) if purpose else ():
                needs[pid][kind].add(purpose)
            for actor in actors:
                if actor.get("is_ego"):
                    continue
                node = _find(groups, str(actor["name"]))
                tie = strength.get(str(actor["name"]), "")
                if pid not in node.who or tie == "strong":
                    node.who[pid] = tie or node.who.get(pid, "")
                kinds = {str(k) for k in actor.get("resources") or []}
                node.resources |= kinds
                for kind in kinds:
                    held[pid][kind].add(node.name)
                need = str(actor.get("needs") or "")
                for kind in kinds_in(need) if need else ():
                    needs[pid][kind].add(need)
    nodes = [n for group in groups.values() for n in group]
    shared = sorted(
        (
            Shared(
                n.key,
                n.name,
                tuple(sorted((names[p] for p in n.who), key=str.casefold)),
                tuple(sorted(n.resources)),
            )
            for n in nodes
            if len(n.who) >= 2
        ),
        key=lambda s: (-len(s.participants), s.name.casefold()),
    )
    helps = []
    for helped, wanted in needs.items():
        own = held.get(helped, {})
        for helper, holding in held.items():
            if helper == helped:
                continue
            lacking = tuple(sorted(k for k in wanted if holding.get(k) and not own.get(k)))
            if lacking:
                through = sorted({n for k in lacking for n in holding[k]}, key=str.casefold)
                because = sorted({w for k in lacking for w in wanted[k]}, key=str.casefold)
                helps.append(
                    Help(names[helper], names[helped], lacking, tuple(through), tuple(because))
                )
    helps.sort(key=lambda h: (-len(h.kinds), h.helped.casefold(), h.helper.casefold()))
    participants = tuple(sorted(names.values(), key=str.casefold))
    graph = combined_graph(names, nodes, helps)
    return CohortNetwork(participants, len(nodes), tuple(shared), tuple(helps), graph)


def combined_graph(
    names: Mapping[int, str], nodes: Sequence[_Stakeholder], helps: Sequence[Help]
) -> nx.Graph:
    """Participants and stakeholders as one graph, with the ``help`` ties between people."""
    G = nx.Graph()
    for pid, pname in names.items():
        G.add_node(f"p{pid}", label=pname, kind="participant")
    for node in nodes:
        G.add_node(
            f"s:{node.key}",
            label=node.name,
            kind="stakeholder",
            participants=len(node.who),
            resources="; ".join(sorted(node.resources)),
        )
        for pid, tie in node.who.items():
            G.add_edge(f"p{pid}", f"s:{node.key}", kind="map", strength=tie or "on map")
    ids = {pname: pid for pid, pname in names.items()}
    for h in helps:
        a, b = f"p{ids[h.helper]}", f"p{ids[h.helped]}"
        G.add_edge(a, b, kind="help", resources="; ".join(h.kinds), via="; ".join(h.through))
    return G


def _find(groups: dict[str, list[_Stakeholder]], name: str) -> _Stakeholder:
    """The stakeholder ``name`` is, as the chat's resolver matches names; else a new one."""
    group = groups[match_key(name)]
    if group:
        found = resolve(name, [n.name for n in group])
        if found.kind == "same" and found.name is not None:
            return next(n for n in group if n.name == found.name)
    node = _Stakeholder(name_key(name), name, {}, set())
    group.append(node)
    return node


def _ego_ties(network_map: Mapping[str, Any], ego: str | None) -> dict[str, str]:
    """Each actor's tie strength to the participant on a personal map."""
    if ego is None:
        return {}
    found: dict[str, str] = {}
    for tie in network_map.get("ties") or []:
        a, b = str(tie["source"]), str(tie["target"])
        if ego in (a, b):
            other = b if a == ego else a
            if found.get(other) != "strong":
                found[other] = str(tie.get("strength") or "")
    return found
