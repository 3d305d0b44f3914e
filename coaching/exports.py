"""Export formats written from plain data (``storage/exports.py`` loads it): pure functions.

- JSON: the participant's whole record, as stored.
- CSV: ``actors``, ``ties`` and ``answers`` — one row per item, a participant column first.
- GraphML and GEXF (for Gephi, UCINET via conversion, R's igraph): one undirected graph. A
  participant's maps are merged (an actor on two maps is one node, its maps listed); in a
  cohort export every node id and label is prefixed by its participant, so maps of different
  participants never merge. A one-way tie keeps ``direction = out`` and its ``from`` actor.

Cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) are
prefixed with ``'``: participants' text must stay data wherever it is opened.

XML 1.0 cannot carry every character a name may hold (C0 controls but tab and newline, U+FFFE,
U+FFFF, lone surrogates): GraphML and GEXF get each such character as U+FFFD, so one odd name
never makes a whole cohort's file unreadable. Carriage returns become newlines (an XML reader
turns them into newlines anyway). Every file is valid UTF-8 whatever it holds.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import networkx as nx

from coaching.analysis import name_key

FORMAT = "jejaring-export/1"
CSV_KINDS = ("actors", "ties", "answers")
GRAPH_FORMATS = ("graphml", "gexf")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
# What XML 1.0 forbids (https://www.w3.org/TR/xml/#charsets), surrogates included: Python
# strings can hold lone ones (from JSON escapes), which no encoder takes.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
REPLACEMENT = "\ufffd"

# An actor's and a tie's own columns, after whose map they are on: here and in the labelled
# tables (coaching/tables.py), one list each.
ACTOR_FIELDS = (
    "actor",
    "is_ego",
    "kind",
    "role",
    "inside",
    "resources",
    "needs",
    "ibarra",
    "kltb_step",
)
TIE_FIELDS = ("source", "target", "strength", "direction", "flows")
ACTOR_COLUMNS = ("participant_id", "participant", "map_id", "map", *ACTOR_FIELDS)
TIE_COLUMNS = ("participant_id", "participant", "map_id", "map", *TIE_FIELDS)
ANSWER_COLUMNS = (
    "participant_id",
    "participant",
    "exercise",
    "text",
    "updated_at",
    "reviewed_at",
    "exchange",  # the widyaiswara's replies and the participant's, oldest first
)


def xml_text(text: str) -> str:
    """``text`` as an XML document can carry it: forbidden characters become U+FFFD."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _NOT_XML.sub(REPLACEMENT, text)


def _who(person: Mapping[str, Any]) -> tuple[int, str]:
    info = person["participant"]
    return int(info["id"]), str(info.get("name") or f"P{info['id']}")


def merged_graph(people: Sequence[Mapping[str, Any]], *, prefix: bool | None = None) -> nx.Graph:
    """One graph of everyone's maps; ``prefix`` (default: more than one person) names nodes
    ``p<participant id>:<actor>`` and labels them ``<participant>: <actor>``."""
    prefix = len(people) > 1 if prefix is None else prefix
    G = nx.Graph()
    for person in people:
        pid, pname = _who(person)
        head = f"p{pid}:" if prefix else ""
        for network_map in person.get("maps") or []:
            title = str(network_map.get("title") or "")
            for actor in network_map.get("actors") or []:
                node = xml_text(head + name_key(actor["name"]))
                if node in G:
                    maps = G.nodes[node]["maps"].split("; ")
                    if xml_text(title) not in maps:
                        G.nodes[node]["maps"] = "; ".join([*maps, xml_text(title)])
                    continue
                label = f"{pname}: {actor['name']}" if prefix else actor["name"]
                G.add_node(node, **_clean(_actor_attributes(actor, label, pid, pname, title)))
            for tie in network_map.get("ties") or []:
                a = xml_text(head + name_key(tie["source"]))
                b = xml_text(head + name_key(tie["target"]))
                attributes = {
                    "strength": tie.get("strength"),
                    "direction": tie.get("direction") or "both",
                    "flows": "; ".join(tie.get("flows") or []),
                    "map": title,
                    "participant": pname,
                    "participant_id": pid,
                }
                if tie.get("direction") == "out":
                    attributes["from"] = tie["source"]
                G.add_edge(a, b, **_clean(attributes))
    return G


def _actor_attributes(
    actor: Mapping[str, Any], label: str, pid: int, pname: str, title: str
) -> dict[str, Any]:
    return {
        "label": label,
        "name": actor["name"],
        "participant": pname,
        "participant_id": pid,
        "maps": title,
        "is_ego": bool(actor.get("is_ego")),
        "kind": actor.get("kind"),
        "role": actor.get("role"),
        "inside": actor.get("inside"),
        "resources": "; ".join(actor.get("resources") or []) or None,
        "ibarra": actor.get("ibarra"),
        "kltb_step": actor.get("kltb_step"),
    }


def _clean(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """GraphML/GEXF take str, int, float, bool — never None; strings as XML can carry them."""
    return {
        k: xml_text(v) if isinstance(v, str) else v
        for k, v in attributes.items()
        if v is not None and v != ""
    }


def graphml_bytes(G: nx.Graph) -> bytes:
    buffer = io.BytesIO()
    nx.write_graphml(G, buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue()


def gexf_bytes(G: nx.Graph) -> bytes:
    buffer = io.BytesIO()
    nx.write_gexf(G, buffer, encoding="utf-8", prettyprint=True, version="1.2draft")
    return buffer.getvalue()


def graph_bytes(people: Sequence[Mapping[str, Any]], fmt: str) -> bytes:
    G = merged_graph(people)
    if fmt == "graphml":
        return graphml_bytes(G)
    if fmt == "gexf":
        return gexf_bytes(G)
    raise ValueError(f"unknown graph format {fmt!r}")


def json_bytes(data: Any) -> bytes:
    # "replace": a lone surrogate (no UTF-8 for it) becomes "?" instead of failing the export.
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)
    return text.encode("utf-8", "replace")


def csv_bytes(kind: str, people: Sequence[Mapping[str, Any]]) -> bytes:
    """``actors``, ``ties`` or ``answers`` as UTF-8 CSV with a BOM (Excel opens it right)."""
    rows: Iterable[Sequence[Any]]
    header: Sequence[str]
    if kind == "actors":
        header, rows = ACTOR_COLUMNS, _actor_rows(people)
    elif kind == "ties":
        header, rows = TIE_COLUMNS, _tie_rows(people)
    elif kind == "answers":
        header, rows = ANSWER_COLUMNS, _answer_rows(people)
    else:
        raise ValueError(f"unknown CSV kind {kind!r}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8", "replace")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def _actor_rows(people: Sequence[Mapping[str, Any]]) -> Iterable[Sequence[Any]]:
    for person in people:
        pid, pname = _who(person)
        for m in person.get("maps") or []:
            for a in m.get("actors") or []:
                yield (
                    pid,
                    pname,
                    m["id"],
                    m["title"],
                    a["name"],
                    bool(a.get("is_ego")),
                    a.get("kind"),
                    a.get("role"),
                    a.get("inside"),
                    "; ".join(a.get("resources") or []),
                    a.get("needs"),
                    a.get("ibarra"),
                    a.get("kltb_step"),
                )


def _tie_rows(people: Sequence[Mapping[str, Any]]) -> Iterable[Sequence[Any]]:
    for person in people:
        pid, pname = _who(person)
        for m in person.get("maps") or []:
            for t in m.get("ties") or []:
                yield (
                    pid,
                    pname,
                    m["id"],
                    m["title"],
                    t["source"],
                    t["target"],
                    t.get("strength"),
                    t.get("direction"),
                    "; ".join(t.get("flows") or []),
                )


def _answer_rows(people: Sequence[Mapping[str, Any]]) -> Iterable[Sequence[Any]]:
    for person in people:
        pid, pname = _who(person)
        for a in person.get("answers") or []:
            exchange = " | ".join(
                f"{n.get('author')} {n.get('at')}: {n.get('text')}" for n in a.get("exchange") or []
            )
            yield (
                pid,
                pname,
                a["exercise"],
                a["text"],
                a.get("updated_at"),
                a.get("reviewed_at"),
                exchange,
            )


def render_document(attachment: Mapping[str, Any]) -> bytes:
    """The bytes of ``{"type": "document", "format": "json"|"graphml", "data": ...}``."""
    fmt = attachment.get("format")
    data = attachment.get("data") or {}
    if fmt == "json":
        return json_bytes(data)
    if fmt in GRAPH_FORMATS:
        return graph_bytes([data], str(fmt))
    raise ValueError(f"unknown document format {fmt!r}")
