"""The consistency rules of ANALYSIS.md, checked on an analysis and on its reply in both
languages, from networkx's own view of the map (not from the analysis's internals).

:func:`check_consistency` is used by the property test over random maps and by the tests on
every map in ``shared/data/`` and on the bundled examples.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import networkx as nx

from coaching.analysis import Analysis
from coaching.analysis.resources import RESOURCE_KINDS, kinds_in
from coaching.analysis_text import analysis_reply
from coaching.text import LOCALES, html_to_plain, render


@dataclass(frozen=True)
class Words:
    """What the reply says, per locale, for the parts the rules are about."""

    cluster: str
    outside: str
    more_clusters: str
    with_you: str
    without_you: str
    you: str
    headings: tuple[str, str, str, str, str, str]
    pieces: str
    isolated: str
    cut_point: str
    hub: str
    hub_in_piece: str
    broker: str
    broker_in_piece: str
    peripheral: str
    closest: str
    spanner: str
    nearest: str
    ask_to_introduce: str
    bridges_clusters: str
    innovator: str
    removed_or_redirected: str
    no_resources: str
    unmet: str
    more: str
    nobody: tuple[str, ...]


WORDS = {
    "id": Words(
        cluster=r"^• Kluster (\d+) \((\d+) aktor\)(?:: (.*))?$",
        outside=r"^• Di luar semua kluster \((\d+) aktor\)(?:: (.*))?$",
        more_clusters=r"^• (\d+) kluster lainnya: (\d+) aktor$",
        with_you="Dengan Anda",
        without_you="Tanpa Anda",
        you="Anda",
        headings=(
            "1. Apakah pola",
            "2. Adakah hubungan",
            "3. Siapa aktor utama",
            "4. Siapa yang seharusnya",
            "5. Siapa yang berpotensi",
            "Langkah 4b.",
        ),
        pieces="Belum: peta terdiri atas",
        isolated="• Belum terhubung dengan siapa pun: ",
        cut_point="titik potong",
        hub="Penghubung (hub): ",
        hub_in_piece="Penghubung di dalam bagiannya sendiri: ",
        broker="Broker: ",
        broker_in_piece="Broker di dalam bagiannya sendiri: ",
        peripheral="Peripheral player: ",
        closest="Aktor paling dekat (closeness): ",
        spanner="Boundary spanner: ",
        nearest="Saran untuk pola terdekat, ",
        ask_to_introduce="minta {} memperkenalkan",
        bridges_clusters="menghubungkan kluster",
        innovator="inovator",
        removed_or_redirected="dihilangkan atau dialihkan",
        no_resources="Belum ada sumber daya atau kebutuhan",
        unmet="Kebutuhan yang belum dipenuhi siapa pun di peta: ",
        more=r" \+\d+ lainnya$",
        nobody=("belum ada",),
    ),
    "en": Words(
        cluster=r"^• Cluster (\d+) \((\d+) actors?\)(?:: (.*))?$",
        outside=r"^• Outside all clusters \((\d+) actors?\)(?:: (.*))?$",
        more_clusters=r"^• (\d+) more clusters: (\d+) actors$",
        with_you="With you",
        without_you="Without you",
        you="you",
        headings=(
            "1. Is the pattern",
            "2. Are important",
            "3. Who are the main",
            "4. Who should",
            "5. Who could",
            "Step 4b.",
        ),
        pieces="Not yet: the map falls into",
        isolated="• Not connected to anyone yet: ",
        cut_point="cut point",
        hub="Connector (hub): ",
        hub_in_piece="Connector within their own piece: ",
        broker="Broker: ",
        broker_in_piece="Broker within their own piece: ",
        peripheral="Peripheral players: ",
        closest="Closest actors (closeness): ",
        spanner="Boundary spanners: ",
        nearest="Advice for the nearest pattern, ",
        ask_to_introduce="ask {} to introduce",
        bridges_clusters="link clusters",
        innovator="innovator",
        removed_or_redirected="removed or redirected",
        no_resources="No actor's resources or needs are recorded",
        unmet="Needs that nobody on the map meets: ",
        more=r" \+\d+ more$",
        nobody=("none yet", "nobody "),
    ),
}


class Reading:
    """The plain text of a reply, cut into its sections, with the names its lists give."""

    def __init__(self, plain: str, words: Words, ego: str | None) -> None:
        self.plain = plain
        self.words = words
        self.ego = ego
        self.lines = plain.splitlines()
        starts = []
        for heading in words.headings:
            found = [i for i, line in enumerate(self.lines) if line.startswith(heading)]
            assert len(found) == 1, (heading, plain)
            starts.append(found[0])
        assert starts == sorted(starts), plain
        self.head = self.lines[: starts[0]]
        bounds = [*starts, len(self.lines)]
        self.sections = [self.lines[bounds[i] + 1 : bounds[i + 1]] for i in range(len(starts))]

    def names(self, listed: str) -> list[str]:
        """Names in a comma-separated list, the participant by name, "+N more" dropped."""
        listed = re.sub(self.words.more, "", listed.strip())
        shown = [n.strip() for n in listed.split(", ") if n.strip()]
        return [self.ego if self.ego and n == self.words.you else n for n in shown]

    def listed(self, section: int, prefix: str) -> list[str]:
        """The names on the line of ``section`` starting with ``prefix`` (up to " — ")."""
        lines = [line for line in self.sections[section] if line.startswith(prefix)]
        assert len(lines) <= 1, (prefix, lines)
        if not lines:
            return []
        rest = lines[0][len(prefix) :].split(" — ")[0].rstrip(".")
        if rest.startswith(self.words.nobody):
            return []
        return self.names(rest)


def check_consistency(G: nx.Graph, result: Analysis) -> None:
    """Every rule of ANALYSIS.md "Consistency" on ``result`` (of ``G``) and on its replies."""
    names = {v: G.nodes[v].get("name", str(v)) for v in G}
    by_name = {n: v for v, n in names.items()}
    ego = result.ego
    me = by_name[ego] if ego is not None else None
    focus = G.subgraph([v for v in G if v != me]) if me is not None else G
    main = _main_piece(focus)
    keepers = _gatekeepers(G, me)
    keeper_names = {names[g] for g in keepers}

    # roles: peripheral excludes hub and broker, on the map and on the map without the ego
    for roles in (result.roles, result.without_ego.roles if result.without_ego else None):
        if roles is not None:
            assert not set(roles.peripheral) & (set(roles.hubs) | set(roles.brokers))

    # gatekeepers: exactly the actors (never the participant) who are someone's only tie
    assert {g.name: set(g.dependents) for g in result.gatekeepers} == {
        names[g]: {names[d] for d in deps} for g, deps in keepers.items()
    }
    assert set(keeper_names) <= set(result.cut_points)

    # suggestions never go through, or to, a gatekeeper; never through a cut point they remove
    for s in result.suggestions:
        assert s.via not in keeper_names, s
        assert s.a not in keeper_names and s.b not in keeper_names, s
        assert s.via is None or s.via == ego or s.via not in s.cut_points_removed, s

    # step 4b from the attributes
    _check_resources(G, names, result)

    for locale in LOCALES:
        plain = html_to_plain(analysis_reply(result, locale=locale))
        _check_text(G, names, result, Reading(plain, WORDS[locale], ego), main, keeper_names)


def _check_text(
    G: nx.Graph,
    names: Mapping[Hashable, str],
    result: Analysis,
    text: Reading,
    main: set[Hashable],
    keeper_names: set[str],
) -> None:
    words = text.words
    ego = result.ego
    actors = set(names.values())
    main_names = {names[v] for v in main}

    # "with you / without you" only when the participant is on the map
    personal = ego is not None
    assert (words.with_you in text.plain) == personal, text.plain
    assert (words.without_you in text.plain) == personal, text.plain

    # every actor is in a listed cluster or listed outside all clusters; never a partial list
    clusters = {frozenset(c) for c in _shell_clusters(G, names)}
    clustered = {n for c in clusters for n in c}
    listed_clusters: list[frozenset[str]] = []
    counted = 0
    outside: set[str] = set()
    outside_count = None
    for line in text.head:
        if m := re.match(words.cluster, line):
            size = int(m.group(2))
            if m.group(3) is None:
                counted += size
                assert any(len(c) == size for c in clusters), line
            else:
                members = frozenset(text.names(m.group(3)))
                assert len(members) == size and members in clusters, (line, clusters)
                listed_clusters.append(members)
        elif m := re.match(words.more_clusters, line):
            counted += int(m.group(2))
        elif m := re.match(words.outside, line):
            outside_count = int(m.group(1))
            if m.group(2) is not None:
                outside = set(text.names(m.group(2)))
                assert len(outside) == outside_count
    assert len(listed_clusters) == len(set(listed_clusters))
    assert sum(len(c) for c in listed_clusters) + counted == len(clustered)
    assert (outside_count or 0) == len(actors - clustered)
    if outside_count is not None and outside:
        assert outside == actors - clustered
    # small enough that every cluster is listed by name, unless the reply had to be cut to fit
    # Telegram's 4,096 characters (then clusters are counted whole, checked above)
    if len(G) <= 16 and not counted:
        assert set().union(*listed_clusters, outside) == actors

    # question 1: separate pieces and isolated actors first (named), then cut points
    q1 = text.sections[0]
    pieces = nx.number_connected_components(G)
    if pieces > 1:
        assert q1[0].startswith(words.pieces), q1
        isolated = {names[v] for v in G if G.degree(v) == 0}
        iso_lines = [line for line in q1 if line.startswith(words.isolated)]
        if isolated:
            assert len(iso_lines) == 1
            listed = iso_lines[0][len(words.isolated) :]
            shown = set(text.names(listed))
            # all named, or the rest counted ("+N more") when the reply was cut to fit 4,096
            more = re.search(words.more, listed)
            counted = int(re.sub(r"\D", "", more.group())) if more else 0
            assert shown <= isolated and len(shown) + counted == len(isolated), (listed, isolated)
        else:
            assert not iso_lines
        cut_lines = [i for i, line in enumerate(q1) if words.cut_point in line.casefold()]
        assert all(i > 0 for i in cut_lines)
    else:
        assert not any(line.startswith(words.pieces) for line in q1)

    # question 2: never "ask the gatekeeper to introduce"
    q2 = "\n".join(text.sections[1])
    for g in keeper_names:
        assert words.ask_to_introduce.format(g) not in q2

    # question 3: a hub or broker outside the main piece is said to act within its piece
    for prefix, piece_prefix in (
        (words.hub, words.hub_in_piece),
        (words.broker, words.broker_in_piece),
    ):
        assert set(text.listed(2, prefix)) <= main_names, text.sections[2]
        assert not set(text.listed(2, piece_prefix)) & main_names, text.sections[2]
    main_roles = set(text.listed(2, words.hub)) | set(text.listed(2, words.broker))
    piece_roles = set(text.listed(2, words.hub_in_piece)) | set(
        text.listed(2, words.broker_in_piece)
    )

    # question 4: peripheral players are never the hubs or brokers just named
    peripheral = set(text.listed(3, words.peripheral))
    assert not peripheral & (main_roles | piece_roles), text.sections[3]

    # question 5: closest and boundary spanners on separate lines; innovators only in the main
    # piece (an isolated triangle is no innovator and bridges no clusters), never a gatekeeper
    q5 = text.sections[4]
    closest_lines = [line for line in q5 if line.startswith(words.closest)]
    spanner_lines = [line for line in q5 if line.startswith(words.spanner)]
    assert len(closest_lines) <= 1 and len(spanner_lines) <= 1
    for line in (*closest_lines, *spanner_lines):
        assert not (line.startswith(words.closest) and line.startswith(words.spanner))
    for prefix in (words.closest, words.spanner):
        shown = set(text.listed(4, prefix))
        assert shown <= main_names, (shown, main_names)
        assert not shown & keeper_names
        assert ego not in shown
    for line in q5:
        if words.bridges_clusters in line:
            assert line.startswith(words.spanner), line
        if words.innovator in line.casefold() and not (
            line.startswith(words.closest) or line.startswith(words.spanner)
        ):
            assert any(line.startswith(g) for g in keeper_names), line

    # an undetermined stage gets the nearest stage's advice, called nearest
    stage = result.stage
    if stage.key == "undetermined" and stage.nearest:
        nearest = html_to_plain(render(_locale(words), "analysis.stage_name", key=stage.nearest))
        assert words.nearest + nearest in text.plain
    else:
        assert words.nearest not in text.plain

    # the gatekeeper is named as a bottleneck whose role is to be removed or redirected
    if keeper_names:
        assert words.removed_or_redirected in "\n".join(q1)

    # step 4b
    q4b = text.sections[5]
    if not result.resources.recorded:
        assert any(line.startswith(words.no_resources) for line in q4b)
    else:
        unmet = [n.actor for n in result.resources.unmet]
        unmet_lines = [line for line in q4b if line.startswith(words.unmet)]
        assert len(unmet_lines) == (1 if unmet else 0)
        if unmet:
            # Every unmet need is named, or counted in "+N more" when the reply had to be cut
            # to fit Telegram's 4,096 characters.
            line = unmet_lines[0].split(":", 1)[1].rstrip(".")
            more = re.search(r"\+(\d+) ", line)
            named = line[: more.start()] if more else line
            shown = [entry for entry in named.split("; ") if entry.strip()]
            assert len(shown) + (int(more.group(1)) if more else 0) == len(unmet), (line, unmet)
            for actor, entry in zip(unmet, shown, strict=False):
                assert entry.strip().startswith(words.you if actor == ego else actor), entry


def _check_resources(G: nx.Graph, names: Mapping[Hashable, str], result: Analysis) -> None:
    held: dict[str, set[str]] = {}
    needs: dict[str, str] = {}
    for v in G:
        for kind in G.nodes[v].get("resources") or ():
            held.setdefault(kind, set()).add(names[v])
        need = G.nodes[v].get("needs")
        if need:
            needs[names[v]] = " ".join(need.split())
    found = result.resources
    assert {k: set(v) for k, v in found.holders} == held
    assert {n.actor: n.need for n in found.needs} == needs
    for n in found.needs:
        expected = {h for kind in kinds_in(n.need) for h in held.get(kind, ()) if h != n.actor}
        assert set(n.met_by) == expected
    recorded = bool(held or needs)
    assert found.recorded == recorded
    if recorded:
        assert set(found.unheld) == {k for k in RESOURCE_KINDS if k != "other"} - set(held)


def _gatekeepers(G: nx.Graph, me: Hashable | None) -> dict[Hashable, set[Hashable]]:
    found: dict[Hashable, set[Hashable]] = {}
    for v in G:
        if G.degree(v) == 1:
            (g,) = G[v]
            if g != me and G.degree(g) >= 2:
                found.setdefault(g, set()).add(v)
    return found


def _main_piece(G: nx.Graph) -> set[Hashable]:
    """The largest piece when it holds at least half of the actors and is the only largest."""
    parts = sorted(nx.connected_components(G), key=len, reverse=True)
    if not parts or 2 * len(parts[0]) < len(G):
        return set()
    if len(parts) > 1 and len(parts[1]) == len(parts[0]):
        return set()
    return set(parts[0])


def _shell_clusters(G: nx.Graph, names: Mapping[Hashable, str]) -> Iterable[set[str]]:
    core = nx.core_number(G)
    for k in set(core.values()):
        shell = G.subgraph([v for v in G if core[v] == k])
        for part in nx.connected_components(shell):
            if len(part) >= 2:
                yield {names[v] for v in part}


def _locale(words: Words) -> str:
    return next(loc for loc, w in WORDS.items() if w is words)
