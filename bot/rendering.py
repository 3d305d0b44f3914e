"""Pictures (and exported files) are drawn on one dedicated thread, off the event loop.

matplotlib needs a few tens of MB per drawing; drawn on arbitrary worker threads, each thread's
malloc arena keeps that memory after the picture is sent (measured: RSS 144 → 348 MB after some
maps). One thread means one arena, and trimming it after each picture hands the memory back.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from coaching.pictures import render_attachment

_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jejaring-render")


def _trim() -> None:
    name = ctypes.util.find_library("c")
    if name is None:
        return
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL(name).malloc_trim(0)


def _render(attachment: Mapping[str, Any]) -> bytes:
    try:
        return render_attachment(attachment)
    finally:
        _trim()


async def render(attachment: Mapping[str, Any]) -> bytes:
    """PNG bytes for an outbox attachment, drawn without blocking the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, _render, attachment)
