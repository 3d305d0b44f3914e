"""The bundled example maps ("contoh"), as edge-list CSV files beside this module.

``kite``
    Krackhardt's (1990) kite network, the module's worked example in Bab III (copied from
    ``shared/data/kite.csv``).
``karawang_before``
    Rice (gabah) trade in Karawang Regency before reorganising (Bab IV, Gambar 7; Sovia Emmy
    2001): the farmers depend on the middleman (*tengkulak*).
``karawang_after``
    The same network after reorganising (Bab IV, Gambar 12): nine parties, each with the role
    the module lists, and the farmers' own cooperative (KKT) in place of the middleman.

The module's figures are not in its text, so the ties are modelled from its words. Where the
text is silent, this is what was chosen (also noted in the CSV comments below):

* Before. The module names "5 stakeholders" but lists four (KSU, PB, KUD, Sub Dolog); the
  middleman is taken as the fifth and the farmers (*Petani*) as the actor whose bargaining
  position is at stake. The farmers sell only to the middleman (strong, one-way, the flow of
  rice); the middleman sells on to the rice mill (strong), the KSU and the KUD (weak); KSU and
  KUD deliver to Sub Dolog (KUD strong, as the official procurement channel; KSU weak). All
  directions follow the rice.
* After. The module lists nine parties (the sentence before the list names eight and omits
  Dinas Koperasi). Ties follow each party's stated function: KKT serves the farmer groups and
  represents them in the rice trade (KKT–Kelompok Tani, KKT–KUD strong); KUD sells rice to
  Sub Dolog (strong) and channels farm credit to the farmers (KUD→Kelompok Tani, weak); BRI
  channels credit through KUD (BRI→KUD, strong); Sub Dolog buys farmers' rice (KKT→Sub Dolog,
  weak); Dinas Koperasi guides KKT and KUD (strong); Dinas Pertanian dan Kehutanan guides the
  farmer groups (strong); PPL advises the farmer groups (strong) and works with Dinas
  Pertanian (strong — extension officers usually belong to it; not stated); Pemkab guides and
  oversees both Dinas (strong) and coordinates with Sub Dolog on price stability (weak; not
  stated). Strengths are our reading of how intensive each exchange is.

Titles and role descriptions are user-facing text, so they live in the templates
(``analysis.example_title`` and ``analysis.example_role``); this module only holds keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources

import networkx as nx

from coaching.analysis.csvio import graph_from_csv

__all__ = ["EXAMPLES", "Example", "example_csv", "example_keys", "load_example"]


@dataclass(frozen=True)
class Example:
    """One bundled map: its key, CSV file, participant (if any) and each actor's role key."""

    key: str
    filename: str
    ego: str | None = None
    roles: Mapping[str, str] = field(default_factory=dict)


EXAMPLES: dict[str, Example] = {
    "kite": Example("kite", "kite.csv"),
    "karawang_before": Example(
        "karawang_before",
        "karawang_before.csv",
        roles={
            "Petani": "petani",
            "Tengkulak": "tengkulak",
            "Penggilingan Beras (PB)": "pb",
            "KSU": "ksu",
            "KUD": "kud",
            "Sub Dolog": "subdolog",
        },
    ),
    "karawang_after": Example(
        "karawang_after",
        "karawang_after.csv",
        roles={
            "Kelompok Tani": "poktan",
            "KKT": "kkt",
            "KUD": "kud",
            "Sub Dolog": "subdolog",
            "BRI": "bri",
            "Dinas Koperasi": "dinas_koperasi",
            "Dinas Pertanian dan Kehutanan": "dinas_pertanian",
            "PPL": "ppl",
            "Pemkab Karawang": "pemkab",
        },
    ),
}


def example_keys() -> tuple[str, ...]:
    """The example keys, in the order the module introduces them."""
    return tuple(EXAMPLES)


def example_csv(key: str) -> bytes:
    """The example's edge-list CSV as bytes.

    Raises
    ------
    KeyError
        If ``key`` is not an example.
    """
    example = EXAMPLES[key]
    return (resources.files(__package__) / example.filename).read_bytes()


def load_example(key: str) -> nx.Graph:
    """The example as a map (:func:`coaching.analysis.build_graph`), with each actor's
    ``role`` key as a node attribute where the module gives one.

    Examples
    --------
    >>> G = load_example("kite")
    >>> G.number_of_nodes(), G.number_of_edges()
    (10, 18)
    """
    example = EXAMPLES[key]
    G = graph_from_csv(example_csv(key), ego=example.ego)
    for node in G:
        role = example.roles.get(G.nodes[node]["name"])
        if role is not None:
            G.nodes[node]["role"] = role
    return G
