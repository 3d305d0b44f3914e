"""The four kinds of candidate tie, each ranked: components joined, then cut points removed, then
gain in efficiency, then name; and why each is suggested."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from coaching.analysis import _fast
from coaching.analysis.suggestions.view import _View

_MAX_FRAGMENTS = 12
_MAX_CLUSTERS = 6
_MAX_MEMBERS = 4
_MAX_HANGING = 20
_MAX_EFFICIENCY = 12

_Candidate = tuple[int, int, str, int | None]  # a, b, kind, via (indices of the whole map)


def _candidates(
    whole: _View, rest: _View, to_alone: Sequence[int], ego: int | None
) -> list[_Candidate]:
    found: list[_Candidate] = []
    seen: set[tuple[int, int]] = set()
    W = whole.adj

    def add(a: int, b: int, kind: str, via: int | None) -> None:
        pair = (a, b) if a < b else (b, a)
        if a == b or pair in seen or b in W[a] or a in whole.avoid or b in whole.avoid:
            return
        seen.add(pair)
        found.append((a, b, kind, via))

    # 1. fragments
    parts = _fast.components(whole.lists)
    if len(parts) > 1:
        main = next((p for p in parts if ego in p), parts[0]) if ego is not None else parts[0]
        hub = ego if ego is not None else whole.anchor(main)
        for part in [p for p in parts if p is not main][:_MAX_FRAGMENTS]:
            add(hub, whole.anchor(part), "connect_fragment", None)

    # 2. structural holes, on the map without the participant (indices of ``rest``)
    from_alone = {h: g for g, h in enumerate(to_alone) if h >= 0}
    contacts = W[ego] if ego is not None else None
    core = _fast.core_numbers(rest.lists)
    groups = sorted(_fast.shell_clusters(rest.lists, core), key=lambda c: (-len(c), c[0]))
    cluster_of = {v: i for i, c in enumerate(groups) for v in c}
    between: dict[tuple[int, int], int] = {}
    for u, neighbours in enumerate(rest.lists):
        cu = cluster_of.get(u)
        if cu is None:
            continue
        for v in neighbours:
            cv = cluster_of.get(v)
            if cv is not None and cu < cv:
                between[(cu, cv)] = between.get((cu, cv), 0) + 1
    top = groups[:_MAX_CLUSTERS]
    for i, x in enumerate(top):
        for j in range(i + 1, len(top)):
            if between.get((i, j), 0) > 1:
                continue
            xs = [v for v in x if contacts is None or from_alone[v] in contacts]
            ys = [v for v in top[j] if contacts is None or from_alone[v] in contacts]
            if not xs or not ys:
                continue
            for anchor, others in ((rest.anchor(xs), ys), (rest.anchor(ys), xs)):
                for other in rest.least_tied(others)[:_MAX_MEMBERS]:
                    a, b = sorted((from_alone[anchor], from_alone[other]))
                    add(a, b, "structural_hole", ego)

    # 3. triadic closure for actors hanging on one tie or only on cut points
    cuts = whole.tree.cuts
    deg = whole.deg
    hanging = [
        v
        for v in range(whole.n)
        if v != ego and deg[v] >= 1 and (deg[v] == 1 or all(w in cuts for w in W[v]))
    ]
    for v in whole.least_tied(hanging)[:_MAX_HANGING]:
        u = whole.anchor(W[v], avoiding=False)  # who v hangs on, gatekeeper or not
        partners = [w for w in W[u] if w != v and w not in W[v]]
        if partners:
            add(v, whole.anchor(partners), "triadic_closure", u)

    # 4. the participant's own tie into a cluster they do not reach
    if ego is not None and contacts is not None:
        for group in top:
            if not any(from_alone[v] in contacts for v in group):
                add(ego, from_alone[rest.anchor(group)], "reach_cluster", None)
    return found


def _best(
    candidates: Sequence[_Candidate],
    whole: _View,
    rest: _View,
    to_alone: Sequence[int],
    ego: int | None,
) -> tuple[int, int, str, int | None, int, list[int], float] | None:
    """The best candidate with its effects: (a, b, kind, via, joined, removed, gain)."""
    if not candidates:
        return None
    back = {h: g for g, h in enumerate(to_alone) if h >= 0}
    scored = []
    for a, b, kind, via in candidates:
        on_whole = ego is None or ego in (a, b) or rest is whole
        view = whole if on_whole else rest
        x, y = (a, b) if on_whole else (to_alone[a], to_alone[b])
        joined = int(view.comp[x] != view.comp[y])
        removed = [] if joined else view.tree.removed(x, y)
        if not on_whole:
            removed = sorted(back[v] for v in removed)
        scored.append((-joined, -len(removed), a, b, kind, via, view, x, y, joined, removed))
    scored.sort(key=lambda s: s[:4])
    head = scored[0]
    ties = [s for s in scored if s[0] == head[0] and s[1] == head[1]][:_MAX_EFFICIENCY]
    ranked = []
    for _, _, a, b, kind, via, view, x, y, joined, removed in ties:
        gain = view.efficiency_gain(x, y)
        ranked.append((-round(gain, 12), a, b, kind, via, joined, removed, gain))
    ranked.sort(key=lambda r: r[:3])
    _, a, b, kind, via, joined, removed, gain = ranked[0]
    return a, b, kind, via, joined, removed, gain


def _introducer(
    view: _View, a: int, b: int, via: int | None, ego: int | None, avoid: Collection[int]
) -> int | None:
    """Who introduces ``a`` to ``b``: ``via``, unless it is to be avoided (a gatekeeper, or a
    cut point the tie removes: asking the middleman to make himself redundant, or routing
    through him again, is what the module's Karawang lesson warns against). Then another
    contact of both, best-tied first, or nobody (a direct tie). The participant may always
    introduce: that is the weaver's work (Krebs & Holley)."""
    if via is None or via == ego or via not in avoid:
        return via
    others = [w for w in view.adj[a] & view.adj[b] if w not in avoid]
    return view.anchor(others) if others else None


def _reason(joined: int, removed: Sequence[int], gain: float) -> str:
    if joined:
        return "joins_components"
    if removed:
        return "removes_cut_points"
    if gain > 0:
        return "shortens_paths"
    return "adds_tie"
