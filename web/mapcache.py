"""The dashboard's drawing and analysis of a map: computed once per map version, elsewhere.

Laying out, analysing and writing out the SVG of an imported map of 2,500 actors takes seconds
of pure Python. Done in the bot's process — even on a thread, which holds the interpreter's
lock — four coaches opening that page delayed every participant's reply by as much (issue 18).
So:

- results are kept per ``(map id, version, locale)``: ``maps.version`` goes up with every change
  to the map (``storage/networks.py``), so a page load after a change computes afresh and one
  without a change neither loads the map nor computes anything;
- requests for the same key while it is being computed wait for that one computation (and the
  map is loaded from the database once for them all);
- the computation runs in a worker process of its own (spawned, one at a time, at a lower
  priority: the bot's cores are for the bot), started by the first page that needs it;
- a drawing names people: a map's older versions leave the cache when a newer one is computed
  (an actor deleted from the map is not kept drawn), and :meth:`MapCache.forget` drops every
  version of maps deleted with their participant (``/hapus_data``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from coaching.analysis import GraphError, analyse
from coaching.analysis_text import analysis_reply
from coaching.network import MapCounts, MapView
from web import svg

log = logging.getLogger(__name__)

Key = tuple[int, int, str]  # map id, version, locale


@dataclass(frozen=True)
class MapPage:
    """What the participant page shows of a map: escaped HTML, ready to embed."""

    title: str
    kind: str
    counts: MapCounts
    svg: str | None  # the drawing (None: no actor to draw)
    analysis: str | None  # Telegram HTML of our own templates (None: too small, not a graph)


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("_map.html")


def compute(view: MapView, locale: str, label: str) -> MapPage:
    """Draw and analyse ``view`` (run in the worker process)."""
    try:
        result = analyse(view.graph())
    except GraphError:
        return MapPage(view.title, view.kind, view.counts(), None, None)
    # the bot's picture's layout, drawn as SVG (one analysis for both)
    drawing = svg.draw(view, result, locale=locale)
    analysis = analysis_reply(result, locale=locale) if len(view.actors) >= 2 else None
    html = _template().render(drawing=drawing, label=label) if drawing.nodes else None
    return MapPage(view.title, view.kind, view.counts(), html, analysis)


def make_document(kind: str, people: list[dict[str, Any]], locale: str) -> bytes:
    """An export that needs the drawing libraries (run in the worker process): ``xlsx`` (the
    workbook; openpyxl brings Pillow) or ``pdf`` (a participant's journey, with the map drawn
    by matplotlib). Imported here, in the worker, so the dashboard's process never loads them.
    """
    if kind == "xlsx":
        from coaching.workbook import xlsx_bytes

        return xlsx_bytes(people, locale)
    if kind == "pdf":
        from coaching.journey_pdf import journey_pdf

        return journey_pdf(people[0], locale)
    raise ValueError(f"unknown document {kind!r}")


Loader = Callable[[], Awaitable[MapView | None]]


def _yield_to_the_bot() -> None:
    """The worker's priority: below the bot's, whose replies someone is waiting for (on two
    cores a page's seconds of layout otherwise take half the machine from every chat)."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)


class MapCache:
    """A small LRU of computed maps in front of a one-process pool."""

    WORKER = "map worker"  # its name in the log

    def __init__(self, size: int = 32, executor: Executor | None = None) -> None:
        self.size = size
        self._given = executor
        self._pool: Executor | None = executor
        self._done: OrderedDict[Key, MapPage | None] = OrderedDict()
        self._running: dict[Key, asyncio.Future[MapPage | None]] = {}
        self._dropped: set[Key] = set()  # forgotten while being computed: not kept when done
        self.computed = 0  # how many computations ran (tests, benches)

    def cached(self) -> list[Key]:
        """The keys computed or being computed (tests: nothing of a deleted map is left)."""
        return [*self._done, *self._running]

    def forget(self, map_ids: Iterable[int]) -> None:
        """Drop every version of these maps (deleted: their drawings name people); one being
        computed is handed to its waiters but not kept."""
        gone = set(map_ids)
        for key in [k for k in self._done if k[0] in gone]:
            del self._done[key]
        self._dropped.update(k for k in self._running if k[0] in gone)

    def has(self, key: Key) -> bool:
        """Whether ``key`` is computed or being computed."""
        return key in self._done or key in self._running

    async def get(self, key: Key, load: Loader, label: str) -> MapPage | None:
        """The page's map for ``key``; ``load`` fetches the map only if it must be computed."""
        if key in self._done:
            self._done.move_to_end(key)
            return self._done[key]
        running = self._running.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[MapPage | None] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            view = await load()
            result = None if view is None else await self._run(view, key[2], label)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: the waiters get it, nobody else need
            raise
        finally:
            self._running.pop(key, None)
        future.set_result(result)
        if key in self._dropped or any(k[0] == key[0] and k[1] > key[1] for k in self._done):
            self._dropped.discard(key)  # deleted meanwhile, or a newer version is here
            return result
        # The map's older versions go: what was deleted from the map is drawn no more.
        for old in [k for k in self._done if k[0] == key[0] and k[1] < key[1]]:
            del self._done[old]
        self._done[key] = result
        while len(self._done) > self.size:
            self._done.popitem(last=False)
        return result

    async def document(self, kind: str, people: list[dict[str, Any]], locale: str) -> bytes:
        """An XLSX or PDF export, made in the worker process (see :func:`make_document`)."""
        document: bytes = await self._in_worker(make_document, kind, people, locale)
        return document

    async def _run(self, view: MapView, locale: str, label: str) -> MapPage:
        self.computed += 1
        page: MapPage = await self._in_worker(compute, view, locale, label)
        return page

    async def _in_worker(self, work: Callable[..., Any], *args: Any) -> Any:
        """``work(*args)`` in the worker process; a worker that died (killed, out of memory)
        is replaced, once, for a second try."""
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            try:
                return await loop.run_in_executor(self._executor(), work, *args)
            except BrokenProcessPool:
                log.warning("%s process died; starting another", self.WORKER)
                self._pool = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _executor(self) -> Executor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")  # the bot has threads: no fork
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=context, initializer=_yield_to_the_bot
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None and self._pool is not self._given:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
