"""Every row of CURRICULUM.md is taught, asked, stored or computed by a flow and its templates,
in both locales: a row without coverage (or coverage whose text lost the module's term) fails."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from coaching import text
from coaching.curriculum import EXERCISES
from coaching.flows import REGISTRY
from tests.conftest import IN_CI, SHARED

CURRICULUM = SHARED / "design" / "CURRICULUM.md"

# element → (states that carry it, [(message key, term in id, term in en)])
COVERAGE: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str, str], ...]]] = {
    "strong vs weak ties": (
        ("bab2.ties", "network.ego_tie"),
        (("bab2.ties", "hubungan lemah", "weak ties"), ("network.ask_ego_tie", "Lemah", "Weak")),
    ),
    "direct / indirect ties; one-way / two-way": (
        ("bab2.shape", "network.ego_direction"),
        (
            ("bab2.shape", "arah", "direction"),
            ("network.ask_ego_direction", "satu arah", "one-way"),
        ),
    ),
    "personal vs organisational network": (
        ("network.maps", "network.new_title"),
        (
            ("network.personal_created", "personal", "personal"),
            ("network.ask_case_title", "Langkah 1", "Step 1"),
        ),
    ),
    "Cross (2002) kinds": (
        ("bab2.cross", "network.ego_flows"),
        (("bab2.cross", "Cross", "Cross"), ("network.ask_flows", "Cross", "Cross")),
    ),
    "Ibarra & Hunter (2007)": (
        ("bab2.ibarra", "bab2.classify", "network.ibarra"),
        (("bab2.ibarra", "Ibarra", "Ibarra"), ("network.ask_ibarra", "Strategis", "Strategic")),
    ),
    "Anklam fundamentals": (("bab2.anklam",), (("bab2.anklam", "Anklam", "Anklam"),)),
    "Kilduff & Tsai principles": (("bab2.principle",), (("bab2.principle", "Kilduff", "Kilduff"),)),
    "Barrat (2015) KNOW → LIKE → TRUST → BUY": (
        ("bab2.kltb", "kltb.actor", "kltb.note"),
        (
            ("bab2.kltb", "personal brand", "personal brand"),
            ("kltb.step_prompts", "personal brand", "personal brand"),
            ("kltb.no_skip", "tidak boleh meloncat", "never skipping"),
        ),
    ),
    "Latihan II.1, II.2": (
        ("bab2.latihan", "exercises.answer"),
        (
            ("curriculum.bab2_latihan1", "prinsip", "principles"),
            ("curriculum.bab2_latihan2", "KNOW", "KNOW"),
        ),
    ),
    "Evaluasi II.1–3": (
        ("exercises.answer",),
        (("curriculum.bab2_evaluasi3", "berjejaring", "networking"),),
    ),
    "network size, density": (
        ("bab3.size", "bab3.density"),
        (
            ("bab3.size", "network size", "network size"),
            ("bab3.density", "kepadatan", "density"),
            ("analysis.reply", "Kepadatan", "Density"),
        ),
    ),
    "degree centrality": (
        ("bab3.degree",),
        (("bab3.degree", "penghubung", "hub"), ("analysis.reply", "penghubung", "hub")),
    ),
    "betweenness": (
        ("bab3.betweenness",),
        (("bab3.betweenness", "broker", "broker"), ("analysis.reply", "broker", "broker")),
    ),
    "closeness": (
        ("bab3.closeness",),
        (
            ("bab3.closeness", "inovator", "innovator"),
            ("analysis.reply", "paling dekat", "closest"),
        ),
    ),
    "boundary spanner": (
        ("bab3.spanner",),
        (
            ("bab3.spanner", "antarkluster", "between clusters"),
            ("analysis.reply", "boundary spanner", "boundary spanner"),
        ),
    ),
    "peripheral players": (
        ("bab3.peripheral",),
        (("bab3.peripheral", "informasi segar", "fresh information"),),
    ),
    "clusters": (
        ("bab3.clusters",),
        (("bab3.clusters", "kluster", "cluster"), ("analysis.reply", "kluster", "cluster")),
    ),
    "Latihan III, Evaluasi III.1–3": (
        ("bab3.latihan", "bab3.done", "exercises.answer"),
        (
            ("curriculum.bab3_latihan1", "kepadatan", "density"),
            ("curriculum.bab3_evaluasi2", "centrality", "centrality"),
        ),
    ),
    "five questions a map answers": ((), (("analysis.reply", "optimal", "optimal"),)),
    "mapping step 1": (
        ("bab4.case", "bab4.purpose"),
        (("bab4.ask_case", "Langkah 1", "Step 1"), ("bab4.ask_purpose", "tujuan", "purpose")),
    ),
    "step 2a/2b/2c": (
        ("network.name", "network.resources", "network.needs"),
        (
            ("network.ask_name", "Langkah 2a", "Step 2a"),
            ("network.ask_resources", "Langkah 2b", "Step 2b"),
            ("network.ask_needs", "Langkah 2c", "Step 2c"),
        ),
    ),
    "step 3": (
        ("network.peers", "bab4.ties"),
        (("network.ask_peers", "Langkah 3", "Step 3"), ("bab4.ties", "Langkah 3", "Step 3")),
    ),
    "step 4a/4b": (("bab4.analysis", "bab4.due"), (("bab4.analysis", "Langkah 4", "Step 4"),)),
    "Karawang example": (
        ("network.maps",),
        (("analysis.example_title", "Karawang", "Karawang"),),
    ),
    "Krebs & Holley stages": (
        ("bab4.stage",),
        (
            ("bab4.stage", "Krebs", "Krebs"),
            ("bab4.stage_actions", "fasilitator", "facilitator"),
        ),
    ),
    "areas to reorganise": (
        ("bab4.stage",),
        (("bab4.stage", "Area penataan", "Areas to reorganise"),),
    ),
    "Latihan IV (4 steps), Evaluasi IV.1–2": (
        ("bab4.reflect", "exercises.answer"),
        (
            ("curriculum.bab4_latihan4", "Langkah 4", "Step 4"),
            ("curriculum.bab4_evaluasi2", "menata", "reorganising"),
        ),
    ),
    "command & control vs connect & collaborate": (
        ("bab5.leadership",),
        (("bab5.leadership", "Command", "Command"),),
    ),
    "6 leader characteristics (LLC 2012)": (
        ("bab5.selfcheck", "bab5.score"),
        (("bab5.selfcheck", "LLC", "LLC"),),
    ),
    "8 success criteria (Anklam)": (
        ("bab5.score", "bab5.results"),
        (("bab5.selfcheck", "8", "8"),),
    ),
    "development model": (("bab5.model", "bab5.stage"), (("bab5.model", "Purpose", "Purpose"),)),
    "transition adjustments": (
        ("bab5.transition",),
        (("bab5.transition", "Penyesuaian", "Adjusting"),),
    ),
    "Latihan V, Evaluasi V.1–2": (
        ("bab5.latihan", "exercises.answer"),
        (
            ("curriculum.bab5_latihan1", "Perform", "Perform"),
            ("curriculum.bab5_evaluasi2", "pendayagunaan", "leveraging"),
        ),
    ),
}


# Parts of the module CURRICULUM.md's table does not list, taught where the module teaches them
# (Bab II.B), counted here as the table's rows are.
MODULE_PARTS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str, str], ...]]] = {
    "levels of networking (aktivitas → kontrol → pengaruh → power)": (
        ("bab2.levels",),
        (
            ("bab2.levels", "Aktivitas", "Activity"),
            ("bab2.levels", "Kontrol", "Control"),
            ("bab2.levels", "Pengaruh", "Influence"),
            ("bab2.levels", "Power", "Power"),
        ),
    ),
    "bukan sekadar kartu nama": (
        ("bab2.levels",),
        (("bab2.levels", "Bukan sekadar kartu nama", "More than business cards"),),
    ),
    "networking skills": (
        ("bab2.skills",),
        (
            ("bab2.skills", "personal branding", "personal branding"),
            ("bab2.skills", "mendengar", "listening"),
            ("bab2.skills", "mengelola konflik", "handling conflict"),
            ("bab2.skills", "media sosial", "social media"),
        ),
    ),
    "unmanaged networks become homogeneous": (
        ("bab2.balance",),
        (("bab2.balance", "homogen", "homogeneous"), ("bab2.balance", "inovasi", "innovation")),
    ),
    "the module's numbering of the principles (Reciprocity 1 … Similarity 3)": (
        ("bab2.principle",),
        (("bab2.principle", "1 Timbal Balik (Reciprocity)", "1 Reciprocity"),),
    ),
    "KNOW → LIKE → TRUST → BUY taught before Latihan II.2": (
        ("bab2.kltb",),
        (("bab2.kltb", "tidak boleh meloncat", "never skipping"),),
    ),
}


def rows() -> list[str]:
    if not CURRICULUM.exists():
        if IN_CI:
            pytest.fail(f"{CURRICULUM} is missing")
        pytest.skip("shared/design/CURRICULUM.md not beside the repo")
    lines = CURRICULUM.read_text(encoding="utf-8").splitlines()
    cells = [line.split("|")[1].strip() for line in lines if line.startswith("| ")]
    return [c for c in cells if c and c != "element" and not set(c) <= {"-"}]


@cache
def macro_source(locale: str, key: str) -> str:
    group, name = key.split(".", 1)
    source = (text.TEMPLATE_DIR / locale / f"{group}.j2").read_text(encoding="utf-8")
    found = re.search(
        r"{%-?\s*macro\s+" + re.escape(name) + r"\(.*?\)\s*-?%}(.*?){%-?\s*endmacro",
        source,
        re.S,
    )
    return found.group(1) if found else ""


def test_every_row_of_the_curriculum_is_covered() -> None:
    missing = [row for row in rows() if row not in COVERAGE]
    assert missing == [], f"rows of CURRICULUM.md with no flow/template: {missing}"
    stale = sorted(set(COVERAGE) - set(rows()))
    assert stale == [], f"coverage for rows no longer in CURRICULUM.md: {stale}"


@pytest.mark.parametrize("element", sorted(COVERAGE))
def test_each_row_has_its_flow_and_text_in_both_locales(element: str) -> None:
    states, keys = COVERAGE[element]
    for state in states:
        flow = REGISTRY.for_state(state)
        assert flow is not None and state in {s.value for s in flow.steps}, state
    for key, term_id, term_en in keys:
        for locale, term in (("id", term_id), ("en", term_en)):
            assert text.has_text(locale, key), f"{locale}: {key}"
            assert term.lower() in macro_source(locale, key).lower(), (locale, key, term)


@pytest.mark.parametrize("part", sorted(MODULE_PARTS))
def test_the_modules_other_parts_are_taught_in_both_locales(part: str) -> None:
    states, keys = MODULE_PARTS[part]
    for state in states:
        flow = REGISTRY.for_state(state)
        assert flow is not None and state in {s.value for s in flow.steps}, state
    for key, term_id, term_en in keys:
        for locale, term in (("id", term_id), ("en", term_en)):
            assert term.lower() in macro_source(locale, key).lower(), (locale, key, term)


def test_every_exercise_has_its_text() -> None:
    for exercise in EXERCISES.values():
        for locale in text.LOCALES:
            assert text.has_text(locale, exercise.text_key), (locale, exercise.key)


def test_the_path_to_the_module_text_exists() -> None:
    assert Path(SHARED / "seed" / "modul-jejaring-kerja.txt").exists() or not IN_CI
