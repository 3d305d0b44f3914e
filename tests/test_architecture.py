"""ARCHITECTURE.md's state diagram is the code's: every state appears, and only those."""

from __future__ import annotations

import re

from coaching.flows import FLOWS
from tests.conftest import REPO


def test_state_diagram_matches_the_flows() -> None:
    text = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    diagram = text.split("```mermaid", 1)[1].split("```", 1)[0]
    drawn = set(re.findall(r"\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b(?=\s*(?:-->|:|$))", diagram, re.M))
    coded = {step.value.replace(".", "_") for flow in FLOWS for step in flow.steps}
    assert drawn == coded, {"not drawn": coded - drawn, "not in code": drawn - coded}
