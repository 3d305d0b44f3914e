"""The one encoding of inline-button data: ``j1:<seq>:<value>``, at most 64 bytes.

``seq`` ties a button to the conversation step that showed it, which makes a second tap (or a
button from an old message) harmless. Values are the engine's option values: short ASCII.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coaching.validate import is_number

PREFIX = "j1"
MAX_BYTES = 64
_VALUE = re.compile(r"^[A-Za-z0-9_.:\-]{1,48}$")


class CallbackTooLong(ValueError):
    pass


@dataclass(frozen=True)
class CallbackData:
    seq: int
    value: str

    def encode(self) -> str:
        if not _VALUE.match(self.value) or self.seq < 0:
            raise CallbackTooLong(f"option value not encodable: {self.value!r}")
        data = f"{PREFIX}:{self.seq}:{self.value}"
        if len(data.encode()) > MAX_BYTES:
            raise CallbackTooLong(data)
        return data

    @classmethod
    def decode(cls, data: str | None) -> CallbackData | None:
        """Parse button data; anything forged, foreign or garbled gives ``None``."""
        if not data or len(data.encode()) > MAX_BYTES:
            return None
        prefix, _, rest = data.partition(":")
        seq_text, _, value = rest.partition(":")
        if prefix != PREFIX or not is_number(seq_text) or not _VALUE.match(value):
            return None
        return cls(int(seq_text), value)
