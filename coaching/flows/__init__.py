"""Every flow, registered once. Adding a module: write its file, add it to ``FLOWS``."""

from __future__ import annotations

from coaching.flows import (
    bab4,
    coach,
    exercises,
    kltb,
    menu,
    network,
    onboarding,
    privacy,
    settings,
)
from coaching.flows.base import Flow, Registry

FLOWS: tuple[Flow, ...] = (
    onboarding.FLOW,
    menu.FLOW,
    settings.FLOW,
    exercises.FLOW,
    network.FLOW,
    kltb.FLOW,
    bab4.FLOW,
    coach.FLOW,
    privacy.FLOW,
)

REGISTRY = Registry.of(FLOWS)
