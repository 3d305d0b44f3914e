"""Suggested new ties — *merajut jejaring* ("knit the network", Krebs & Holley 2006).

Four kinds of candidate, each grounded in the literature the module draws on:

``connect_fragment``
    Join a separate fragment to the main component — through the participant when there is
    one (Krebs & Holley: the weaver first becomes the hub that links the scattered clusters).
``structural_hole``
    A warm introduction between two of the participant's contacts (any two actors when there is
    no participant) in different clusters joined by at most one tie (Burt 1992: structural
    holes). It trades the participant's broker position for the network's resilience — the
    network stops depending on one hub (Krebs & Holley).
``triadic_closure``
    Someone hanging on a single tie, or only on cut points, meets a contact of their contact
    (Granovetter 1973: weak ties as bridges; closing the triad removes the single point of
    failure).
``reach_cluster``
    The participant's own tie into a cluster none of their contacts belong to.

Ranking (``ANALYSIS.md``): components joined, then cut points removed, then gain in global
efficiency (Latora & Marchiori 2001), then name. The pick is greedy and deterministic: take
the best candidate, add it to a working copy of the map, generate the candidates again, repeat.

With a participant, a tie between two other actors is judged on the map *without* the
participant (does it help the network hold by itself?), a tie of the participant's own on the
whole map. Cut points removed are found on the block–cut tree (a tie between two actors merges
the blocks on the tree path between them; a cut point on that path with exactly two blocks
stops being one). Efficiency gains are computed from the distance matrix, for maps of up to
``efficiency_limit`` actors and for the top candidates of each round; above that they are
reported as 0 and ties go by name. Candidate lists are capped (12 fragments, the 6 largest
clusters, the 4 least-tied members per side, 20 hanging actors, efficiency for 12 candidates)
so the cost stays bounded on large maps.

References
----------
.. [1] Granovetter, M. (1973). The strength of weak ties.
.. [2] Burt, R. S. (1992). Structural Holes.
.. [3] Krebs, V. & Holley, J. (2006). Building smart communities through network weaving.
.. [4] Latora, V. & Marchiori, M. (2001). Efficient behavior of small-world networks.
"""

from __future__ import annotations

from coaching.analysis.suggestions.picking import (
    KINDS,
    REASONS,
    Suggestion,
    suggest_indexed,
    suggest_ties,
)
from coaching.analysis.suggestions.view import _View

__all__ = [
    "KINDS",
    "REASONS",
    "Suggestion",
    "_View",
    "suggest_indexed",
    "suggest_ties",
]
