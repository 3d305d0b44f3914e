"""``jejaring run`` with two deterministic faults injected, for bench/faults.py's poison phase.

- Storing the name ``POISON_NAME`` fails inside its update's transaction with a real database
  error: an IntegrityError (SQLite: ``participants.state`` set to NULL) or a DataError
  (PostgreSQL: a value too long for ``participants.unit``). Every delivery of that update fails
  the same way: a poison update.
- Drawing a map with an actor named ``WEDGE_NAME`` raises, as the drawing of a name made only
  of combining marks did: a picture that can never be drawn, a wedge in its chat's outbox.

Usage: ``python -m bench._poisoned`` (the environment of ``jejaring run``).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

POISON_NAME = "Racun Bench"
WEDGE_NAME = "Ganjal Gambar"


def inject() -> None:
    from app import rendering
    from storage import networks
    from storage.models import Participant

    rename_ego, draw = networks.rename_ego, rendering.draw

    def poisoned_rename(session: Session, participant: Participant, name: str) -> None:
        if name == POISON_NAME:
            postgres = session.get_bind().dialect.name == "postgresql"
            values: dict[str, Any] = {"unit": "u" * 500} if postgres else {"state": None}
            session.execute(
                update(Participant).where(Participant.id == participant.id).values(**values)
            )
            session.flush()
        rename_ego(session, participant, name)

    async def wedged_render(attachment: Mapping[str, Any]) -> bytes:
        if any(WEDGE_NAME in str(actor) for actor in attachment.get("actors") or ()):
            raise ValueError("an actor's name is empty")
        return await draw(attachment)

    networks.rename_ego = poisoned_rename
    rendering.draw = wedged_render  # type: ignore[assignment]


if __name__ == "__main__":
    inject()
    from cli.main import main

    sys.exit(main(["run"]))
