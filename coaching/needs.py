"""What an event needs loaded beyond the participant's own snapshot, as its flows declare it.

Storage never reads an event to decide what to load: each flow that needs more than the
snapshot says so for the events it owns (``needs(event)``), the engine gathers those
declarations (``engine.needs``), and the application layer (``app/``) loads exactly that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Focus:
    """What a coach event asks to be loaded (storage checks the coach owns it)."""

    cohort_id: int | None = None
    participant_id: int | None = None
    map_id: int | None = None  # one of a participant's maps (storage finds whose)
    network: bool = False  # the cohort as a network (with its roster)
    only_cohort: bool = False  # the coach's cohort, when they have exactly one
    login: bool = False  # /dasbor: mint a login link


@dataclass(frozen=True)
class Needs:
    """Everything an event may need loaded; the default is the bare snapshot.

    >>> Needs.merge([Needs(nudges=True), None, Needs(export=True)])
    Needs(link=None, coach=None, nudges=True, export=True)
    """

    link: tuple[str, str] | None = None  # a /start deep link's (kind, code): check it
    coach: Focus | None = None  # a coach's screen, if the sender coaches
    nudges: bool = False  # the participant's recent nudges and what is waiting for them
    export: bool = False  # the participant's whole record (/ekspor)

    @classmethod
    def merge(cls, declared: Iterable[Needs | None]) -> Needs:
        link, coach, nudges, export = None, None, False, False
        for need in declared:
            if need is None:
                continue
            link = link or need.link
            coach = coach or need.coach
            nudges = nudges or need.nudges
            export = export or need.export
        return cls(link, coach, nudges, export)


NOTHING = Needs()
