"""Pictures are drawn in a renderer process of their own; exported files on a thread here.

matplotlib costs about 50 MB of RSS to import and tens of MB more while it draws, and a
long-lived process keeps both: imported modules stay, and freed heap stays with the allocator
(measured before this module drew out of process: 141 MB at start, 207–223 MB after 100 maps).
Drawn in a child that exits after ``IDLE_EXIT`` seconds without a picture, the bot's steady
state carries none of it; the bot process never imports matplotlib. The price is a cold start
(a new Python importing matplotlib) for the first picture after a quiet spell.

Why this shape rather than ``multiprocessing`` or ``ProcessPoolExecutor``:

- The child is a plain ``python -c`` importing ``app/render_process.py`` and what drawing
  needs (``coaching.pictures``: numpy, networkx, matplotlib, Jinja2 for labels), no more.
  ``fork`` would copy the bot's heap and the locks of its threads; ``spawn`` and
  ``forkserver`` import the parent's ``__main__`` module again in the child (cheap for
  ``jejaring`` today only because ``cli/main.py`` imports lazily; under pytest or a bench it is
  their main module).
- A drawing that runs too long can only be stopped by killing the process drawing it. A
  ``ProcessPoolExecutor`` then marks itself broken and fails every picture queued behind it;
  here only the picture being drawn fails, and the next one starts a fresh child.
- One thread talks to the child, one picture at a time: pictures queue in order, the timeout
  counts the drawing and not the wait in the queue, and the idle timer cannot race a request
  (it takes the same lock).

The child also exits when its end of the socket closes, so it never outlives the bot, even
one killed with SIGKILL.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import json
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from app.render_process import READY
from coaching.exports import render_document
from coaching.text import render as render_text

log = logging.getLogger(__name__)

# A picture is rarely more than a few seconds apart from the next while participants are busy;
# after a minute without one the child's memory is worth more than the next cold start.
IDLE_EXIT = float(os.environ.get("JEJARING_RENDER_IDLE_S") or 60.0)
# A personal map is drawn in about 0.1 s, an imported 5,000-actor map in under 2 s: after 30 s
# the drawing is stuck, and trying again would hold up every picture behind it as long again.
TIMEOUT = 30.0
# Starting imports numpy, networkx and matplotlib: 0.7 s with the first picture, machine idle.
START_TIMEOUT = 60.0

_ROOT = str(Path(__file__).resolve().parent.parent)
_CHILD = (
    f"import sys; sys.path.insert(0, {_ROOT!r}); "
    "from app.render_process import serve; serve(int(sys.argv[1]))"
)


# A picture whose drawing killed the renderer this many times is not tried again: it would
# block its chat's outbox for good (a chat's messages leave in order).
DEATHS_LIMIT = 3


class RenderError(RuntimeError):
    """The renderer process gave no picture: it died, or could not be started. Worth a retry."""


class Unrenderable(RenderError):
    """This picture will not be drawn: send its caption alone (see ``picture_and_text``)."""


class RenderTimeout(Unrenderable):
    """The drawing took longer than the timeout; the renderer process was killed."""


class Renderer:
    """One renderer process, started on first use and stopped after ``idle_exit`` seconds idle."""

    def __init__(
        self,
        *,
        idle_exit: float = IDLE_EXIT,
        timeout: float = TIMEOUT,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.idle_exit, self.timeout, self.start_timeout = idle_exit, timeout, start_timeout
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._timer: threading.Timer | None = None
        self._generation = 0
        self._deaths: dict[str, int] = {}  # renderer deaths per picture (a fingerprint)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jejaring-render")
        atexit.register(self.close)  # reaped by us, not left to whoever adopts orphans

    @property
    def pid(self) -> int | None:
        """The running child's process id, if there is one."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    async def render(self, attachment: Mapping[str, Any]) -> bytes:
        """PNG bytes for an outbox attachment (a document: its file's bytes), off the loop."""
        if attachment.get("type") == "document" and attachment.get("format") != "pdf":
            return await asyncio.to_thread(render_document, attachment)
        # pictures, and the journey's PDF (it draws the map): in the renderer process
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self.draw, attachment)

    def draw(self, attachment: Mapping[str, Any]) -> bytes:
        """Blocking: the picture from the renderer process, started if none is running.

        Raises :class:`RenderTimeout` or :class:`RenderError` when the child gives no answer,
        and whatever the drawing itself raised (``ValueError`` for an unknown attachment...).
        """
        key = _fingerprint(attachment)
        with self._lock:
            if self._deaths.get(key, 0) >= DEATHS_LIMIT:
                raise Unrenderable(f"the renderer died {DEATHS_LIMIT} times drawing this picture")
            self._cancel_idle_exit()
            try:
                return self._exchange(self._running(), dict(attachment), key)
            finally:
                self._schedule_idle_exit()

    def close(self) -> None:
        """Stop the child now (it would stop by itself after ``idle_exit``); usable again."""
        with self._lock:
            self._cancel_idle_exit()
            self._stop(graceful=True)

    def _exchange(self, conn: Connection, attachment: dict[str, Any], key: str) -> bytes:
        try:
            conn.send(attachment)
            answered = conn.poll(self.timeout)
            answer = conn.recv() if answered else None
        except (EOFError, OSError) as exc:
            status = self._stop(graceful=False)
            log.warning("renderer process died while drawing (exit status %s)", status)
            if len(self._deaths) > 1000:  # forget old ones rather than grow
                self._deaths.clear()
            self._deaths[key] = self._deaths.get(key, 0) + 1
            raise RenderError(f"the renderer process died (exit status {status})") from exc
        self._deaths.pop(key, None)
        if answer is None:
            self._stop(graceful=False)
            log.warning("picture not drawn in %g s: renderer process killed", self.timeout)
            raise RenderTimeout(f"no picture after {self.timeout:g} s")
        if answer[0] == "ok":
            return bytes(answer[1])
        error = answer[1]
        if not isinstance(error, BaseException):
            raise RenderError(f"unexpected answer from the renderer: {answer!r:.200}")
        error.add_note(f"Raised in the renderer process:\n{answer[2]}")
        raise error

    def _running(self) -> Connection:
        if self._conn is not None and self.pid is not None:
            return self._conn
        self._stop(graceful=False)  # reap a child that died while idle (an OOM kill...)
        return self._start()

    def _start(self) -> Connection:
        ours, theirs = socket.socketpair()
        try:
            proc = subprocess.Popen(
                # -P: nothing in the working directory shadows our packages.
                [sys.executable, "-P", "-c", _CHILD, str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # stdout may be a terminal chat's transcript
                # One picture at a time: BLAS threads would only compete with the bot.
                env={"OPENBLAS_NUM_THREADS": "1", **os.environ},
            )
        except OSError as exc:  # out of processes or memory: worth a retry, as a dead child is
            ours.close()
            raise RenderError(f"could not start the renderer process: {exc}") from exc
        finally:
            theirs.close()
        conn = Connection(ours.detach())
        self._proc, self._conn = proc, conn
        try:
            ready = conn.recv() if conn.poll(self.start_timeout) else None
        except (EOFError, OSError):
            ready = None
        if ready != READY:
            status = self._stop(graceful=False)
            log.warning("renderer process did not start (exit status %s)", status)
            raise RenderError(f"the renderer process did not start (exit status {status})")
        return conn

    def _stop(self, *, graceful: bool) -> int | None:
        """End the child, if any, and reap it; its exit status."""
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            conn.close()  # the child sees end of file and exits
        if proc is None:
            return None
        if not graceful:
            proc.kill()
        try:
            return proc.wait(5)
        except subprocess.TimeoutExpired:  # deaf to the end of file: stuck in a drawing
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            return proc.wait(5)
        return None

    def _schedule_idle_exit(self) -> None:
        if self._proc is None:
            return
        self._generation += 1
        timer = threading.Timer(self.idle_exit, self._exit_if_idle, args=(self._generation,))
        timer.daemon = True  # never keeps the bot from exiting
        timer.start()
        self._timer = timer

    def _cancel_idle_exit(self) -> None:
        self._generation += 1  # a timer already waiting for the lock finds itself outdated
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _exit_if_idle(self, generation: int) -> None:
        with self._lock:
            if generation == self._generation:
                self._timer = None
                self._stop(graceful=True)


def _fingerprint(attachment: Mapping[str, Any]) -> str:
    encoded = json.dumps(attachment, sort_keys=True, default=str).encode()
    return hashlib.blake2b(encoded, digest_size=16).hexdigest()


_RENDERER = Renderer()


async def draw(attachment: Mapping[str, Any]) -> bytes:
    """PNG bytes for an outbox attachment, drawn in the renderer process without blocking the
    event loop (a ``document`` attachment: the file's bytes, made on a thread here)."""
    return await _RENDERER.render(attachment)


async def picture_and_text(payload: Mapping[str, Any]) -> tuple[bytes | None, str, str | None]:
    """A picture message's PNG and caption, and what went wrong if the picture is missing.

    When the picture cannot be drawn the words still matter: no PNG, the caption says the
    picture is missing, and the third value says why. That covers ``Unrenderable`` (too slow,
    or the renderer died on it again and again) and any exception the drawing itself raised (a
    name the layout chokes on): drawing it again would raise again, and the chat's later
    messages wait behind it. A renderer that died once raises ``RenderError``: worth a retry.
    """
    attachment, caption = payload["attachment"], str(payload["text"])
    try:
        return await draw(attachment), caption, None
    except Unrenderable as exc:
        log.warning("picture not drawn (%s): its caption goes alone", exc)
        problem = f"{type(exc).__name__}: {exc}"
    except RenderError:
        raise
    except Exception as exc:
        log.exception("drawing the picture raised: its caption goes alone")
        problem = f"{type(exc).__name__}: {exc}"
    note = render_text(str(attachment.get("locale") or "id"), "common.picture_unavailable")
    return None, f"{caption}\n\n{note}", problem[:2000]
