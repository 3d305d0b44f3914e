"""Structural measures of a map: size, ties, density, components, cut points, bridges,
centralities, k-cores and clusters.

Every function takes the undirected simple graph (see :func:`graph.simple_graph`) first and
returns results keyed by node; lists come in name order so that the same map always gives the
same answer whatever order it was typed in.

Centralities follow networkx's definitions exactly (degree as a count, betweenness normalised
by ``(n-1)(n-2)``, closeness with the Wasserman–Faust correction for disconnected graphs), but
are computed here in one pass of Brandes' algorithm, component by component — as dense matrix
products for small components of small diameter, as a breadth-first search per source
otherwise — because networkx's pure-Python versions are too slow for the budget in
``ANALYSIS.md``. Above ``exact_limit`` actors, betweenness and closeness are *estimated* from
a fixed-seed sample of sources (Brandes & Pich 2007; Eppstein & Wang 2004) and the result says
so. Structural work (components, blocks, k-cores) runs on the integer kernels of
:mod:`._fast`.

References
----------
.. [1] Freeman, L. C. (1978). Centrality in social networks: conceptual clarification.
.. [2] Brandes, U. (2001). A faster algorithm for betweenness centrality.
.. [3] Brandes, U. & Pich, C. (2007). Centrality estimation in large networks.
.. [4] Eppstein, D. & Wang, J. (2004). Fast approximation of centrality.
.. [5] Seidman, S. B. (1983). Network structure and minimum degree (k-cores).
.. [5b] Batagelj, V. & Zaveršnik, M. (2003). An O(m) algorithm for cores decomposition.
.. [5c] Hopcroft, J. & Tarjan, R. (1973). Efficient algorithms for graph manipulation.
.. [6] Krackhardt, D. (1990). Assessing the political landscape (the kite network).
"""

from __future__ import annotations

from coaching.analysis.measures.centrality import (
    DENSE_LIMIT,
    EXACT_LIMIT,
    SAMPLE_SIZE,
    SAMPLE_WORK,
    Centralities,
    FloatArray,
    _centralities,
    centralities,
    distance_matrix,
)
from coaching.analysis.measures.structure import (
    TieCounts,
    blocks,
    bridges,
    clusters,
    components,
    core_numbers,
    cut_points,
    degree_centralisation,
    density,
    main_core,
    tie_counts,
)

__all__ = [
    "DENSE_LIMIT",
    "EXACT_LIMIT",
    "SAMPLE_SIZE",
    "SAMPLE_WORK",
    "Centralities",
    "FloatArray",
    "TieCounts",
    "_centralities",
    "blocks",
    "bridges",
    "centralities",
    "clusters",
    "components",
    "core_numbers",
    "cut_points",
    "degree_centralisation",
    "density",
    "distance_matrix",
    "main_core",
    "tie_counts",
]
