"""The Mini App's reads and writes: a participant's own maps, and a coach's view of one.

A change from the app is committed the way the chat commits one: one transaction on the
database thread (:meth:`Database.run`, group-committed with the chat's updates), the
participant's row locked, the map loaded as the engine sees it, the change planned by the pure
:func:`coaching.mapapp.plan_change` and stored by :func:`storage.networks.apply_network_effect`
(the ``ChangeMap`` the chat's edits emit: ops, undo history, the map's version), and the network
work it earns recorded in the progress (:func:`coaching.progress.earned`), as the engine's does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching import progress
from coaching.mapapp import Planned, plan_change
from coaching.model import ChangeMap, CompleteItem, Profile, Snapshot
from coaching.network import MapView
from coaching.text import normalise_locale
from storage import coach_views, maps, networks, participants
from storage.db import Database
from storage.models import AnalysisSnapshot, NetworkMap, Participant, Progress


class NotFound(LookupError):
    """No such participant (or not consented yet), or no such map of theirs."""


@dataclass(frozen=True)
class MapRef:
    id: int
    title: str
    kind: str
    version: int


@dataclass(frozen=True)
class Opened:
    """One map as the app opens it, and the others its owner may switch to."""

    participant_id: int
    locale: str
    maps: tuple[MapRef, ...]
    view: MapView | None
    version: int
    read_only: bool = False

    @property
    def key(self) -> tuple[int, int]:
        assert self.view is not None and self.view.id is not None
        return self.view.id, self.version


@dataclass(frozen=True)
class Changed:
    planned: Planned
    opened: Opened


def _participant(session: Session, external_id: str, *, lock: bool) -> Participant:
    query = select(Participant).where(Participant.external_id == external_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    participant = session.execute(query).scalar_one_or_none()
    if participant is None or participant.consent_at is None:
        raise NotFound(external_id)
    return participant


def _refs(session: Session, participant: Participant) -> tuple[MapRef, ...]:
    rows = session.execute(
        select(NetworkMap.id, NetworkMap.title, NetworkMap.kind, NetworkMap.version)
        .where(NetworkMap.participant_id == participant.id)
        .order_by(NetworkMap.id)
    ).all()
    return tuple(MapRef(r.id, r.title, r.kind, r.version) for r in rows)


def _shown(participant: Participant, refs: tuple[MapRef, ...]) -> int | None:
    """The map the app opens on: the one open in the chat, else the personal map, else any."""
    active = participant.active_map
    map_id = int(active) if active and active.isdigit() else None
    if map_id not in {r.id for r in refs}:
        personal = [r.id for r in refs if r.kind == "personal"]
        every = personal or [r.id for r in refs]
        map_id = every[0] if every else None
    return map_id


def _opened(
    session: Session, participant: Participant, map_id: int | None, *, read_only: bool = False
) -> Opened:
    refs = _refs(session, participant)
    if map_id is None:
        map_id = _shown(participant, refs)
    elif map_id not in {r.id for r in refs}:
        raise NotFound(f"map {map_id}")
    view = None
    version = 0
    if map_id is not None:
        found = maps.load_maps(session, participant.id, only=map_id)
        view = found[0] if found else None
        version = next(r.version for r in refs if r.id == map_id)
    return Opened(
        participant.id,
        normalise_locale(participant.language),
        refs,
        view,
        version,
        read_only,
    )


async def open_own(db: Database, external_id: str, map_id: int | None = None) -> Opened:
    """The participant's map ``map_id`` (default: the one open in the chat); NotFound unless
    it is theirs."""

    def job(session: Session) -> Opened:
        return _opened(session, _participant(session, external_id, lock=False), map_id)

    return await db.run(job)


async def shown_version(db: Database, external_id: str) -> tuple[int, int, str] | None:
    """The map the app would open for this participant, as (map id, version, locale), without
    loading it (None: no map, or nobody we know)."""

    def job(session: Session) -> tuple[int, int, str] | None:
        try:
            participant = _participant(session, external_id, lock=False)
        except NotFound:
            return None
        refs = _refs(session, participant)
        map_id = _shown(participant, refs)
        if map_id is None:
            return None
        version = next(r.version for r in refs if r.id == map_id)
        return map_id, version, normalise_locale(participant.language)

    return await db.run(job)


async def open_for_coach(
    db: Database, coach_id: int, participant_id: int, map_id: int | None, now: datetime
) -> Opened:
    """A participant's map, read-only, for a coach of their cohort (``coach_views.Forbidden``
    otherwise: the dashboard's rule)."""

    def job(session: Session) -> Opened:
        coach_views.participant_detail(session, coach_id, participant_id, now, network=False)
        participant = session.get(Participant, participant_id)
        if participant is None:
            raise coach_views.Forbidden(f"participant {participant_id}")
        return _opened(session, participant, map_id, read_only=True)

    return await db.run(job)


async def change(
    db: Database,
    external_id: str,
    map_id: int,
    request: Mapping[str, Any],
    now: datetime,
) -> Changed:
    """Plan and commit one change of the app to the participant's own map ``map_id``."""

    def job(session: Session) -> Changed:
        participant = _participant(session, external_id, lock=True)
        before = _opened(session, participant, map_id)
        if before.view is None:
            raise NotFound(f"map {map_id}")
        names = [n for n in (participant.name,) if n]
        planned = plan_change(before.view, request, own_names=names)
        if not isinstance(planned, ChangeMap):
            return Changed(planned, before)
        networks.apply_network_effect(session, participant, planned, now)
        _earn(session, participant, before.view, planned, now)
        # Their row is written whatever its time says: the chat's next update reads their own
        # rows with its lock, and this write is how it tells that they changed
        # (``storage/arrivals.py``, ``_with_own``).
        participants.write(session, participant, {"updated_at": now})
        after = _opened(session, participant, map_id)
        return Changed(planned, after)

    return await db.run(job)


def _earn(
    session: Session, participant: Participant, view: MapView, effect: ChangeMap, now: datetime
) -> None:
    """The progress the change earns, decided as the engine decides it for the chat's."""
    completed = frozenset(
        session.execute(
            select(Progress.item_key).where(Progress.participant_id == participant.id)
        ).scalars()
    )
    after_view, _ = view.apply(effect.ops)
    before = Snapshot(Profile(), "", {}, 0, now, completed=completed, maps=(view,))
    after = dataclasses.replace(before, maps=(after_view,))
    for item in progress.earned(before, (effect,), after):
        done = CompleteItem(item)
        if session.get(Progress, (participant.id, done.item)) is None:
            session.add(
                Progress(participant_id=participant.id, item_key=done.item, completed_at=now)
            )


async def snapshots(db: Database, opened: Opened) -> list[dict[str, Any]]:
    """The map's dated analysis snapshots (``/analisis`` stores one each time), newest first."""
    if opened.view is None or opened.view.id is None:
        return []
    map_id = opened.view.id

    def job(session: Session) -> list[Any]:
        return list(
            session.execute(
                select(AnalysisSnapshot.id, AnalysisSnapshot.created_at, AnalysisSnapshot.stage)
                .where(AnalysisSnapshot.map_id == map_id)
                .order_by(AnalysisSnapshot.created_at.desc(), AnalysisSnapshot.id.desc())
                .limit(50)
            ).all()
        )

    rows = await db.run(job)
    return [{"id": r.id, "at": r.created_at.isoformat(), "stage": r.stage} for r in rows]


async def analyses(
    db: Database, opened: Opened, ids: Sequence[int]
) -> dict[int, tuple[datetime, Mapping[str, Any]]]:
    """The stored analyses ``ids`` of this map (date and result), by id; others' are left out."""
    if opened.view is None or opened.view.id is None or not ids:
        return {}
    map_id = opened.view.id

    def job(session: Session) -> dict[int, tuple[datetime, Mapping[str, Any]]]:
        rows = session.execute(
            select(AnalysisSnapshot.id, AnalysisSnapshot.created_at, AnalysisSnapshot.result)
            .where(AnalysisSnapshot.map_id == map_id)
            .where(AnalysisSnapshot.id.in_(list(ids)))
        ).all()
        return {r.id: (r.created_at, dict(r.result)) for r in rows}

    return await db.run(job)
