"""Every flow's steps: the states a conversation can be in, as typed references.

A state is stored as its readable name (``participants.state = "network.name"``). The enums
live here, apart from the flows' logic, so any flow can name another's step (``go(MenuStep.MAIN)``,
``Back(Bab4Step.TIES)``) without importing it: flows jump to each other freely and no import
cycle can form. A flow's own module reads its enum as ``Step``
(``from coaching.flows.states import KltbStep as Step``).

Adding a step: add it to its flow's enum here (value ``"<flow>.<step>"``), register its prompt
and handler in the flow (see :mod:`coaching.flows.steps`), and add it to ARCHITECTURE.md's diagram.
"""

from __future__ import annotations

from enum import StrEnum


class OnboardingStep(StrEnum):
    CONSENT = "onboarding.consent"
    LANGUAGE = "onboarding.language"
    NAME = "onboarding.name"
    UNIT = "onboarding.unit"
    TIMEZONE = "onboarding.timezone"
    REMINDER = "onboarding.reminder"


class MenuStep(StrEnum):
    MAIN = "menu.main"
    NEW_MAP = "menu.new_map"  # a stakeholder typed at the menu before any map exists


class SettingsStep(StrEnum):
    LANGUAGE = "settings.language"
    ADDRESS = "settings.address"  # how to address the participant (/sapaan)


class ExercisesStep(StrEnum):
    LIST = "exercises.list"
    ANSWER = "exercises.answer"


class NetworkStep(StrEnum):
    HOME = "network.home"
    NAME = "network.name"
    CONFIRM = "network.confirm"
    DEFAULTS = "network.defaults"
    KIND = "network.kind"
    ROLE = "network.role"
    INSIDE = "network.inside"
    RESOURCES = "network.resources"
    NEEDS = "network.needs"
    IBARRA = "network.ibarra"
    EGO_TIE = "network.ego_tie"
    EGO_DIRECTION = "network.ego_direction"
    EGO_FLOWS = "network.ego_flows"
    PEERS = "network.peers"
    STRONG = "network.strong"
    MAPS = "network.maps"
    NEW_TITLE = "network.new_title"
    NEW_PURPOSE = "network.new_purpose"
    EDIT_PICK = "network.edit_pick"
    EDIT = "network.edit"
    RENAME = "network.rename"
    DELETE = "network.delete"
    TIE_PICK = "network.tie_pick"
    TIE = "network.tie"
    MERGE = "network.merge"
    IMPORT = "network.import"


class KltbStep(StrEnum):
    PICK = "kltb.pick"
    ACTOR = "kltb.actor"
    NOTE = "kltb.note"
    PLAN = "kltb.plan"
    DUE = "kltb.due"
    CASES = "kltb.cases"  # an actor of a case map, made a KLTB target with one tap


class Bab2Step(StrEnum):
    HOME = "bab2.home"
    NETWORK = "bab2.network"
    TIES = "bab2.ties"
    SHAPE = "bab2.shape"
    CROSS = "bab2.cross"
    IBARRA = "bab2.ibarra"
    CLASSIFY = "bab2.classify"
    BALANCE = "bab2.balance"
    ANKLAM = "bab2.anklam"
    PRINCIPLE = "bab2.principle"
    LEVELS = "bab2.levels"
    KLTB = "bab2.kltb"
    SKILLS = "bab2.skills"
    LATIHAN = "bab2.latihan"
    DONE = "bab2.done"


class Bab3Step(StrEnum):
    HOME = "bab3.home"
    SNA = "bab3.sna"
    SIZE = "bab3.size"
    DENSITY = "bab3.density"
    DEGREE = "bab3.degree"
    BETWEENNESS = "bab3.betweenness"
    CLOSENESS = "bab3.closeness"
    SPANNER = "bab3.spanner"
    PERIPHERAL = "bab3.peripheral"
    CLUSTERS = "bab3.clusters"
    LATIHAN = "bab3.latihan"
    DONE = "bab3.done"


class Bab4Step(StrEnum):
    INTRO = "bab4.intro"
    CASE = "bab4.case"
    PURPOSE = "bab4.purpose"
    TIES = "bab4.ties"
    ANALYSIS = "bab4.analysis"
    OWN = "bab4.own"
    DUE = "bab4.due"
    STAGE = "bab4.stage"
    REFLECT = "bab4.reflect"


class Bab5Step(StrEnum):
    HOME = "bab5.home"
    LEADERSHIP = "bab5.leadership"
    REFLECT = "bab5.reflect"
    SELFCHECK = "bab5.selfcheck"
    SCORE = "bab5.score"
    RESULTS = "bab5.results"
    CASE = "bab5.case"
    MODEL = "bab5.model"
    NOW = "bab5.now"
    STAGE = "bab5.stage"
    TRANSITION = "bab5.transition"
    LATIHAN = "bab5.latihan"
    DONE = "bab5.done"


class RemindersStep(StrEnum):
    MAIN = "reminders.main"
    TIME = "reminders.time"
    TIMEZONE = "reminders.timezone"
    QUIET = "reminders.quiet"
    GUIDE = "reminders.guide"  # a nudge's planned tie, opened by "do it now"


class PlansStep(StrEnum):
    LIST = "plans.list"
    ITEM = "plans.item"
    NOTE = "plans.note"
    DATE = "plans.date"
    DROP = "plans.drop"


class PrivacyStep(StrEnum):
    CONFIRM = "privacy.confirm"
    JOIN = "privacy.join"


class RepliesStep(StrEnum):
    WRITE = "replies.write"  # the participant's answer back to a widyaiswara's reply
    COACH = "replies.coach"  # a widyaiswara's reply to an answer, after its reply button
