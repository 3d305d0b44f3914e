"""The coach's reply about a map, and "what changed since last time" — data for templates.

The reply answers the module's five map questions (Bab IV.A) from the analysis, and mapping
step 4b, following the rules of ``ANALYSIS.md`` ("Consistency"):

1. is the pattern of ties optimal? First the separate pieces and the isolated actors (named),
   then what happens without the participant, then cut points and gatekeepers (named as
   bottlenecks; the middleman's role is to be removed or redirected, not strengthened).
2. are important ties missing? (suggested ties, *merajut jejaring*; never through a
   gatekeeper)
3. who are the main actors? (hubs and brokers; one found outside the main piece holds that
   role only within its piece)
4. who should have a key role but lacks it? (peripheral players, who may belong to a cluster
   not yet mapped; those whose only tie is a gatekeeper)
5. who could be an innovator? The closest actors and the boundary spanners, on separate lines
   as the module has them, and only in the main piece; never a gatekeeper.
4b. who holds the resources the purpose needs, which kinds nobody holds, which needs nobody
   on the map meets.

Every actor is in a listed cluster or listed as outside all clusters; a cluster too large to
list is counted, never cut short. "With you / without you" appears only on a personal map.
An ``undetermined`` stage gets the nearest stage's advice, said to be the nearest.

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
from coaching.text import TELEGRAM_TEXT_MAX, render, visible_length

__all__ = [
    "MapDiff",
    "advice_stage",
    "analysis_reply",
    "diff_reply",
    "diff_text",
    "error_text",
]

_NAME_WIDTH = 40
_LIMITS = (8, 5, 3, 2, 1)


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


def analysis_reply(
    analysis: Analysis, *, locale: str, limit: int = _LIMITS[0], you: str | None = None
) -> str:
    """The coach-like reply about ``analysis`` in ``locale`` (Telegram HTML, ≤ 4,096 chars);
    ``you``: the reader's chosen form of address (``text.render``), None for a coach."""
    text = ""
    for cut in [limit, *(x for x in _LIMITS if x < limit)]:
        text = render(locale, "analysis.reply", you=you, **_reply_context(analysis, cut))
        if visible_length(text) <= TELEGRAM_TEXT_MAX:
            return text
    return render(locale, "analysis.reply_short", you=you, **_reply_context(analysis, 1))


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


def diff_reply(
    diff: MapDiff, *, locale: str, limit: int = _LIMITS[0], you: str | None = None
) -> str:
    """ "What changed since last time" as Telegram HTML."""
    return render(
        locale,
        "analysis.diff",
        you=you,
        diff=diff,
        new_actors=_short(diff.new_actors),
        removed_actors=_short(diff.removed_actors),
        new_ties=[(_short1(a), _short1(b)) for a, b in diff.new_ties or ()],
        removed_ties=[(_short1(a), _short1(b)) for a, b in diff.removed_ties or ()],
        limit=limit,
    )


def error_text(error: GraphError, *, locale: str, you: str | None = None) -> str:
    """The message for a map or CSV error (its ``key`` and ``context``)."""
    return render(locale, error.key, you=you, **error.context)


# ---------------------------------------------------------------------------- helpers


def _reply_context(analysis: Analysis, limit: int) -> dict[str, Any]:
    ego = analysis.ego
    alone = analysis.without_ego
    # questions 3-5 look at the stakeholders: on a personal map, the map without the
    # participant, whose own pieces then say who acts only within a piece
    focus: Roles = alone.roles if alone is not None else analysis.roles
    focus_pieces = alone.pieces if alone is not None else analysis.pieces
    in_piece = _outside_main_piece(focus_pieces)
    keepers = {g.name for g in analysis.gatekeepers}
    dependents = {d: g.name for g in analysis.gatekeepers for d in g.dependents}
    advice, advice_nearest = advice_stage(analysis.stage.key, analysis.stage.nearest)
    members = limit * 5  # a cluster's names fit while the reply does
    by_size = sorted(analysis.clusters, key=lambda c: -len(c))
    clustered = {n for c in analysis.clusters for n in c}
    hidden = by_size[limit:]
    pieces = [p for p in analysis.pieces if len(p) > 1] if analysis.components > 1 else []

    def main_only(names: Sequence[str]) -> list[str]:
        return [n for n in names if n not in in_piece and n != ego]

    def piece_only(names: Sequence[str]) -> list[str]:
        return [n for n in names if n in in_piece and n != ego]

    def innovators(names: Sequence[str]) -> list[str]:
        return [n for n in main_only(names) if n not in keepers]

    isolated = {p[0] for p in analysis.pieces if len(p) == 1}
    return {
        "a": analysis,
        "ego": _short1(ego) if ego else None,
        "limit": limit,
        # largest first, numbered as on the map picture (coaching.mapimage); a cluster is
        # listed whole or counted, never cut short
        "clusters": [_group(c, members) for c in by_size[:limit]],
        "more_clusters": len(hidden),
        "more_clusters_actors": sum(len(c) for c in hidden),
        "outside": _group([n for n in analysis.centrality.degree if n not in clustered], members),
        "stage": analysis.stage,
        "alone": alone,
        "advice": advice,
        "advice_nearest": advice_nearest,
        "pieces": [_group(p, members) for p in pieces],
        "isolated": _short([p[0] for p in analysis.pieces if len(p) == 1])
        if analysis.components > 1
        else [],
        "cut_points": _short([n for n in analysis.cut_points if n != ego]),
        "bridges": len(analysis.bridges),
        "gatekeepers": [
            {"name": _short1(g.name), "dependents": _short(g.dependents)}
            for g in analysis.gatekeepers
        ],
        "hubs": _short(main_only(focus.hubs)),
        "hubs_in_piece": _short(piece_only(focus.hubs)),
        "brokers": _short(main_only(focus.brokers)),
        "brokers_in_piece": _short(piece_only(focus.brokers)),
        "ego_roles": _ego_roles(analysis.roles, ego),
        "peripheral": _short([n for n in focus.peripheral if n != ego]),
        "closest": _short(innovators(focus.closest)),
        "spanners": _short(innovators(focus.boundary_spanners)),
        "not_innovators": [
            {
                "name": _short1(n),
                "roles": [r for r in ("closest", "boundary_spanners") if n in getattr(focus, r)],
            }
            for n in main_only(_merge(focus.closest, focus.boundary_spanners))
            if n in keepers
        ],
        "scattered": bool(focus_pieces) and len(in_piece) == sum(len(p) for p in focus_pieces),
        "suggestions": [
            {
                **s.context(),
                "a": _short1(s.a),
                "b": _short1(s.b),
                "via": _short1(s.via) if s.via else None,
                "around": _short1(dependents[s.a]) if s.a in dependents else None,
                # tied at all only by an earlier suggestion: this one builds on it
                "after": s.kind == "triadic_closure" and s.a in isolated,
                "cut_points": _short(s.cut_points_removed),
            }
            for s in analysis.suggestions[: max(1, min(limit, len(analysis.suggestions)))]
        ],
        "resources": _resources(analysis, limit),
    }


def advice_stage(key: str | None, nearest: str | None) -> tuple[str | None, bool]:
    """Which stage's advice to give: the stage itself, or for an ``undetermined`` one the
    nearest stage (then flagged, so the text says it is the nearest). ``/analisis`` and
    Bab IV's stage page both ask here, so they never advise differently."""
    if key is None or key != "undetermined":
        return key, False
    return nearest, nearest is not None


def _outside_main_piece(pieces: Sequence[Sequence[str]]) -> set[str]:
    """Actors outside the map's main piece: the largest piece, if it holds at least half the
    actors and no other piece is as large. Roles found out there hold only within their own
    piece (an isolated triangle bridges nothing); on a map in scattered fragments that is
    everyone."""
    total = sum(len(p) for p in pieces)
    ranked = sorted(pieces, key=lambda p: -len(p))
    main: Sequence[str] = ()
    if (
        ranked
        and 2 * len(ranked[0]) >= total
        and (len(ranked) == 1 or len(ranked[1]) < len(ranked[0]))
    ):
        main = ranked[0]
    inside = set(main)
    return {n for p in pieces for n in p if n not in inside}


def _group(names: Sequence[str], limit: int) -> dict[str, Any]:
    """A group of actors for the text: every name, or (too many to list) only the count."""
    return {"size": len(names), "names": _short(names) if len(names) <= limit else None}


def _resources(analysis: Analysis, limit: int) -> dict[str, Any]:
    found = analysis.resources
    return {
        "recorded": found.recorded,
        "holders": [(kind, _short(names)) for kind, names in found.holders],
        "unheld": list(found.unheld),
        "met": [
            {"actor": _short1(n.actor), "need": _short1(n.need), "met_by": _short(n.met_by)}
            for n in found.needs
            if n.met_by
        ][:limit],
        "unmet": [{"actor": _short1(n.actor), "need": _short1(n.need)} for n in found.unmet],
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
