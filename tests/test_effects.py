"""Each effect kind is defined once on each side: what it does to the snapshot
(``coaching.effects.APPLIED``, or ``UNSEEN``) and how storage keeps it (``storage.effects.STORED``,
or run by the application: ``NOT_STORED``). A kind missing from either table fails here."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import get_args

import pytest

from coaching import effects
from coaching.model import Effect, JoinCohort, Outcome
from storage import effects as stored
from tests.support import Conversation

KINDS = set(get_args(Effect))


def test_every_effect_kind_is_applied_to_the_snapshot_or_said_to_be_unseen_there() -> None:
    applied, unseen = set(effects.APPLIED), set(effects.UNSEEN)
    assert not applied & unseen
    assert applied | unseen == KINDS


def test_every_effect_kind_is_stored_or_run_by_the_application() -> None:
    kept, elsewhere = set(stored.STORED), set(stored.NOT_STORED)
    assert not kept & elsewhere
    assert kept | elsewhere == KINDS


def test_an_effect_kind_the_pure_twin_does_not_know_fails_loudly() -> None:
    @dataclasses.dataclass(frozen=True)
    class Unknown:
        pass

    snap = Conversation().snap
    outcome = Outcome(snap.state, snap.data, effects=(Unknown(),))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="does not know"):
        effects.apply(snap, outcome)


def test_an_unseen_effect_leaves_the_snapshot_as_it_was() -> None:
    snap = dataclasses.replace(Conversation().snap, now=datetime(2026, 12, 1, tzinfo=UTC))
    outcome = Outcome(snap.state, snap.data, effects=(JoinCohort("ABC"),), changed=False)
    assert effects.apply(snap, outcome) == snap
