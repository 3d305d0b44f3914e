"""Every flow, registered once. Adding a module: write its file, add it to ``FLOWS``."""

from __future__ import annotations

from coaching.flows import (
    bab2,
    bab3,
    bab4,
    bab5,
    coach,
    exercises,
    kltb,
    menu,
    network,
    onboarding,
    plans,
    privacy,
    reminders,
    replies,
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
    bab2.FLOW,
    bab3.FLOW,
    bab4.FLOW,
    bab5.FLOW,
    reminders.FLOW,
    plans.FLOW,
    coach.FLOW,
    privacy.FLOW,
    replies.FLOW,
)

REGISTRY = Registry.of(FLOWS)
