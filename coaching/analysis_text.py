"""The coach's reply about a map, and "what changed since last time" — data for templates.

The reply answers the module's five map questions (Bab IV.A) from the analysis:

1. is the pattern of ties optimal? (stage, fragility: cut points, what happens without you)
2. are important ties missing? (suggested ties, *merajut jejaring*)
3. who are the main actors? (hubs and brokers)
4. who should have a key role but lacks it? (the closest actors and boundary spanners who are
   not hubs or brokers yet; peripheral players, who may belong to a cluster not yet mapped)
5. who could be a hub or an innovator? (the best-tied non-hubs; the closest actors and
   boundary spanners, whom the module names as innovators)

On a personal map, questions 3–5 look at the stakeholders *without* the participant (who is
trivially the hub of their own map); question 1 compares the stage with and without them.

All words are in ``templates/<locale>/analysis.j2``; this module only chooses the data. Lists
are cut to ``limit`` names ("+N lainnya") and the limit is lowered until the reply fits
Telegram's 4,096 characters (counted in UTF-16 units, as Telegram does, after HTML parsing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from coaching.analysis import Analysis, GraphError, Roles, name_key
from coaching.text import html_to_plain, render

__all__ = [
    "TELEGRAM_LIMIT",
    "MapDiff",
    "analysis_reply",
    "diff_reply",
    "diff_text",
    "error_text",
    "visible_length",
]

TELEGRAM_LIMIT = 4096
_NAME_WIDTH = 40
_LIMITS = (8, 5, 3, 2, 1)
_HUB_FLOOR = 3  # the hub rule's floor (roles.hub_threshold)


@dataclass(frozen=True)
class MapDiff:
    """What changed between two analyses of the same map (names are display names).

    ``stage_before`` is ``None`` when there was no earlier analysis. ``new_ties`` and
    ``removed_ties`` are ``None`` when the earlier analysis did not list its ties.
    """

    new_actors: tuple[str, ...]
    removed_actors: tuple[str, ...]
    new_ties: tuple[tuple[str, str], ...] | None
    removed_ties: tuple[tuple[str, str], ...] | None
    actors_before: int
    actors_after: int
    ties_before: int
    ties_after: int
    stage_before: str | None
    stage_after: str

    @property
    def stage_moved(self) -> bool:
        return self.stage_before is not None and self.stage_before != self.stage_after

    @property
    def changed(self) -> bool:
        return bool(
            self.new_actors
            or self.removed_actors
            or self.new_ties
            or self.removed_ties
            or self.ties_before != self.ties_after
            or self.stage_moved
        )


def analysis_reply(analysis: Analysis, *, locale: str, limit: int = _LIMITS[0]) -> str:
    """The coach-like reply about ``analysis`` in ``locale`` (Telegram HTML, ≤ 4,096 chars)."""
    text = ""
    for cut in [limit, *(x for x in _LIMITS if x < limit)]:
        text = render(locale, "analysis.reply", **_reply_context(analysis, cut))
        if visible_length(text) <= TELEGRAM_LIMIT:
            return text
    return render(locale, "analysis.reply_short", **_reply_context(analysis, 1))


def diff_text(previous_json: Mapping[str, Any] | None, current: Analysis) -> MapDiff:
    """Compare an earlier ``Analysis.to_json_dict()`` with the current analysis.

    Actors are matched by name key (so a changed spelling is not a new actor).
    """
    after_actors = list(current.centrality.degree)
    after_ties = [tuple(t) for t in current.tie_list]
    if not previous_json:
        return MapDiff(
            new_actors=(),
            removed_actors=(),
            new_ties=None,
            removed_ties=None,
            actors_before=0,
            actors_after=current.actors,
            ties_before=0,
            ties_after=current.ties,
            stage_before=None,
            stage_after=current.stage.key,
        )
    centrality = previous_json.get("centrality") or {}
    before_actors = [str(n) for n in (centrality.get("degree") or {})]
    before_keys = {name_key(n) for n in before_actors}
    after_keys = {name_key(n) for n in after_actors}
    new_ties: tuple[tuple[str, str], ...] | None = None
    removed_ties: tuple[tuple[str, str], ...] | None = None
    listed = previous_json.get("tie_list")
    if isinstance(listed, list):
        before_pairs = {_pair_key(t[0], t[1]): (str(t[0]), str(t[1])) for t in listed}
        after_pairs = {_pair_key(a, b): (a, b) for a, b in after_ties}
        new_ties = tuple(after_pairs[k] for k in after_pairs if k not in before_pairs)
        removed_ties = tuple(before_pairs[k] for k in before_pairs if k not in after_pairs)
    stage = previous_json.get("stage") or {}
    return MapDiff(
        new_actors=tuple(n for n in after_actors if name_key(n) not in before_keys),
        removed_actors=tuple(n for n in before_actors if name_key(n) not in after_keys),
        new_ties=new_ties,
        removed_ties=removed_ties,
        actors_before=int(previous_json.get("actors", len(before_actors))),
        actors_after=current.actors,
        ties_before=int(previous_json.get("ties", 0)),
        ties_after=current.ties,
        stage_before=str(stage.get("key")) if stage.get("key") else None,
        stage_after=current.stage.key,
    )


def diff_reply(diff: MapDiff, *, locale: str, limit: int = _LIMITS[0]) -> str:
    """ "What changed since last time" as Telegram HTML."""
    return render(
        locale,
        "analysis.diff",
        diff=diff,
        new_actors=_short(diff.new_actors),
        removed_actors=_short(diff.removed_actors),
        new_ties=[(_short1(a), _short1(b)) for a, b in diff.new_ties or ()],
        removed_ties=[(_short1(a), _short1(b)) for a, b in diff.removed_ties or ()],
        limit=limit,
    )


def error_text(error: GraphError, *, locale: str) -> str:
    """The message for a map or CSV error (its ``key`` and ``context``)."""
    return render(locale, error.key, **error.context)


def visible_length(html: str) -> int:
    """Length of Telegram HTML as Telegram counts it: UTF-16 units of the parsed text."""
    return len(html_to_plain(html).encode("utf-16-le")) // 2


# ---------------------------------------------------------------------------- helpers


def _reply_context(analysis: Analysis, limit: int) -> dict[str, Any]:
    ego = analysis.ego
    alone = analysis.without_ego
    focus: Roles = alone.roles if alone is not None else analysis.roles
    degree = analysis.centrality.degree
    key_roles = set(focus.hubs) | set(focus.brokers)
    edge = set(focus.peripheral)
    innovators = [
        n for n in _merge(focus.closest, focus.boundary_spanners) if n != ego and n not in edge
    ]
    potential = [n for n in innovators if n not in key_roles]
    others = {n: d for n, d in degree.items() if n != ego and n not in focus.hubs}
    best = max(others.values(), default=0)
    candidates = [n for n, d in others.items() if d == best and d >= _HUB_FLOOR]
    fragile = [n for n in analysis.cut_points if n != ego]
    return {
        "a": analysis,
        "ego": _short1(ego) if ego else None,
        "limit": limit,
        # largest first, numbered as on the map picture (coaching.mapimage)
        "clusters": [_short(c) for c in sorted(analysis.clusters, key=lambda c: -len(c))],
        "stage": analysis.stage,
        "alone": alone,
        "alone_clusters": [_short(c) for c in alone.clusters] if alone else [],
        "hubs": _short(focus.hubs),
        "brokers": _short(focus.brokers),
        "ego_roles": _ego_roles(analysis.roles, ego),
        "potential": _short(potential),
        "peripheral": _short([n for n in focus.peripheral if n != ego]),
        "hub_candidates": _short(candidates),
        "innovators": _short(innovators),
        "cut_points": _short(fragile),
        "ego_is_cut_point": ego is not None and ego in analysis.cut_points,
        "bridges": len(analysis.bridges),
        "suggestions": [
            {
                **s.context(),
                "a": _short1(s.a),
                "b": _short1(s.b),
                "via": _short1(s.via) if s.via else None,
                "cut_points": _short(s.cut_points_removed),
            }
            for s in analysis.suggestions[: max(1, min(limit, len(analysis.suggestions)))]
        ],
    }


def _ego_roles(roles: Roles, ego: str | None) -> list[str]:
    if ego is None:
        return []
    found = []
    for role in ("hubs", "brokers", "closest", "boundary_spanners", "peripheral"):
        if ego in getattr(roles, role):
            found.append(role)
    return found


def _merge(*groups: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for group in groups:
        for name in group:
            seen.setdefault(name, None)
    return sorted(seen, key=lambda n: (name_key(n), n))


def _short(names: Sequence[str]) -> list[str]:
    return [_short1(n) for n in names]


def _short1(name: str) -> str:
    """Long names keep their start and end ("Kepala Bidang Perencana…Nomor 0001")."""
    if len(name) <= _NAME_WIDTH:
        return name
    tail = _NAME_WIDTH // 3
    return name[: _NAME_WIDTH - tail - 1] + "…" + name[-tail:]


def _pair_key(a: object, b: object) -> frozenset[str]:
    return frozenset((name_key(str(a)), name_key(str(b))))
