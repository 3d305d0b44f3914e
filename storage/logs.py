"""What the project's log lines may say about a person: nothing that outlives ``/hapus_data``.

Logs are not in the database, so deleting a participant cannot reach them: they carry internal
row ids (meaningless once the row is gone) or a :func:`pseudonym` of a chat or Telegram id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

# Per process, never stored: a log can follow one chat without naming it.
_KEY = secrets.token_bytes(16)


def pseudonym(value: object) -> str:
    """A short stand-in for a chat or Telegram id: the same within this process, meaningless
    outside it (the key dies with the process)."""
    mac = hmac.new(_KEY, str(value).encode(), hashlib.sha256).hexdigest()
    return f"#{mac[:10]}"
