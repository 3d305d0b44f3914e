"""The Telegram Mini App (issue 17): the participant's map, editable by touch, in Telegram.

Served by the dashboard's app (same process, port, security headers and CSP). The page and
its scripts and stylesheet are ours (``web/static/miniapp*``: plain JavaScript and SVG, no
library, nothing from another host; ``miniapp.js`` is the entry of ES modules, one per part).

Routes::

    GET  /app                                   the app (Telegram passes initData in the URL's #)
    GET  /app/coach/{participant_id}            the same view, read-only, for a signed-in coach
    POST /app/api/session                       {init_data} → {token, locale, scene, maps}:
                                                initData checked; the map open in the chat
    GET  /app/api/map[?map=ID]                  the map's scene (the picture's layout) + maps
    POST /app/api/map/{id}/change               one change (the chat's map operation)
    GET  /app/api/map/{id}/snapshots            dated analyses of the map
    GET  /app/api/map/{id}/compare?from=&to=    two of them (``to=now``: the map now), compared
                                                by :mod:`coaching.compare` as the coach's views do
    GET  /app/api/coach/{pid}/...               the same three reads, for a coach (read-only;
                                                a change sent there is refused: 403)

A participant's requests carry ``Authorization: Bearer <token>``, the token the app got for a
fresh, correctly signed ``initData`` (:mod:`web.initdata`): they reach only their own maps. A
coach's carry the dashboard's session cookie: only their own cohorts' participants.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import multiprocessing
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from datetime import datetime
from typing import Any, cast

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message

from app.dashboard import DashboardLinks
from coaching import mapapp
from coaching import text as chat_text
from coaching.mapapp import Asked, Refused
from coaching.model import ChangeMap
from coaching.network import MapView
from storage import coach_views
from storage import mapapp as store
from storage.coach_views import Forbidden
from storage.db import Database
from storage.mapapp import NotFound, Opened
from web.initdata import TOKEN_TTL, InitDataError, check_init_data, issue_token, token_subject
from web.mapcache import MapCache

log = logging.getLogger(__name__)

BODY_MAX = 16_384
MINIAPP_PAGES = frozenset({"/app"})
"""The pages Telegram opens: only these may be shown in a frame, and only by Telegram Web."""
TELEGRAM_WEB = (
    "https://web.telegram.org",
    "https://webk.telegram.org",
    "https://weba.telegram.org",
)
"""Telegram Web's origins (its K and A clients live at web.telegram.org/k/ and /a/; webk. and
weba. are their own hosts): they show a Mini App in an iframe. The phone and desktop apps use a
web view of their own, which no CSP keeps out."""


class SceneCache(MapCache):
    """The app's scenes, per map version, computed in a worker process of their own (spawned,
    one at a time, so a big map's layout never holds the bot's event loop). The worker imports
    only ``coaching``."""

    WORKER = "scene worker"
    _warming: Future[None] | None = None

    def __init__(self, size: int = 32, executor: Executor | None = None) -> None:
        super().__init__(size, executor)
        # Participants who opened the app (monotonic time their token runs out), and how a
        # map of theirs is laid out ahead (set by :func:`miniapp_routes`, which has the data).
        self._users: dict[str, float] = {}
        self.ahead: Callable[[str], Awaitable[None]] | None = None
        self._pending: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def using(self, external_id: str, seconds: float) -> None:
        """This participant has the app (a session for ``seconds``): their changes in the chat
        are laid out as they are made (:meth:`handled`)."""
        now = time.monotonic()
        self._users = {k: v for k, v in self._users.items() if v > now}
        self._users[external_id] = now + seconds

    def forget_participant(self, external_id: str, map_ids: Iterable[int]) -> None:
        """A participant deleted (``/hapus_data``): their maps' scenes and their session go."""
        self.forget(map_ids)
        self._users.pop(external_id, None)

    def handled(self, external_id: str) -> None:
        """The chat committed an update of this participant's (the bot's pipeline says so): if
        they use the app and the map it opens on has a new version, lay it out now, so that the
        app finds it drawn. Returns at once; one refresh at a time per participant."""
        if self.ahead is None or self._users.get(external_id, 0.0) < time.monotonic():
            return
        if external_id in self._pending:
            return
        self._pending.add(external_id)
        task = asyncio.get_running_loop().create_task(self._refresh(external_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _refresh(self, external_id: str) -> None:
        assert self.ahead is not None
        try:
            await self.ahead(external_id)
        except Exception:  # a refresh ahead of time is a courtesy: the app draws it anyway
            log.exception("mini app map not laid out ahead")
        finally:
            self._pending.discard(external_id)

    async def idle(self) -> None:
        """Wait for the refreshes :meth:`handled` started (tests, benches)."""
        while self._tasks:
            await asyncio.gather(*self._tasks)

    async def _run(self, view: MapView, locale: str, label: str) -> Any:
        self.computed += 1
        return await self._in_worker(functools.partial(mapapp.scene, locale=label), view)

    def _executor(self) -> Executor:
        # At the bot's priority, not below it as the dashboard's worker: a participant is
        # waiting for this drawing as for a chat reply (issue 17's budget: ready in 1 s).
        if self._pool is None:
            context = multiprocessing.get_context("spawn")  # the bot has threads: no fork
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
        return self._pool

    async def compare(
        self,
        before: Mapping[str, Any],
        after: Mapping[str, Any] | None,
        view: MapView,
        locale: str,
    ) -> dict[str, Any]:
        """:func:`coaching.mapapp.comparison`, in the worker (the map now is analysed there)."""
        work = functools.partial(mapapp.comparison, locale=locale)
        return cast(dict[str, Any], await self._in_worker(work, before, after, view))

    def warm(self) -> None:
        """Start the worker now and have it draw a small map once (its imports, templates and
        first-call costs paid before anyone waits): at the service's start, and again when a
        page opens if the worker has gone."""
        if self._pool is None:
            self._warming = self._executor().submit(mapapp.warm)

    async def ready(self) -> bool:
        """Wait for the warm-up :meth:`warm` started; whether there was one (benches, tests)."""
        if self._warming is None:
            return False
        await asyncio.wrap_future(self._warming)
        return True


async def warm_page(app: ASGIApp) -> None:
    """Serve the app's page once inside the process, as a phone would ask for it: its templates
    and texts compiled and the scene worker started and warmed, before anyone waits for them."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": "/app",
        "raw_path": b"/app",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "server": ("localhost", 443),
        "client": ("127.0.0.1", 0),
    }
    status: list[int] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            status.append(int(message["status"]))

    await app(scope, receive, send)
    if status != [200]:
        log.warning("mini app page warm-up answered %s", status)


def miniapp_routes(
    db: Database,
    links: DashboardLinks,
    *,
    bot_token: str | None,
    clock: Callable[[], datetime],
    page: Callable[..., HTMLResponse],
    texts: Callable[[str], dict[str, str]],
    coach_of: Callable[[Request], Awaitable[int | None]],
    scenes: SceneCache,
) -> list[Route]:
    """The app's routes, to be added to the dashboard's."""

    def subject(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        return token_subject(token.strip(), links.secret, now=clock())

    async def shell(request: Request) -> Response:
        scenes.warm()
        return page(request, "miniapp.html", texts_json=_json(texts), mode="participant", pid=0)

    async def coach_shell(request: Request) -> Response:
        coach_id = await coach_of(request)
        if coach_id is None:
            return page(request, "message.html", 401, kind="signed_out")
        pid = request.path_params["participant_id"]
        try:
            now = clock()
            await db.run(
                lambda session: coach_views.participant_detail(
                    session, coach_id, pid, now, network=False
                )
            )
        except Forbidden:
            return page(request, "message.html", 403, kind="forbidden")
        return page(request, "miniapp.html", texts_json=_json(texts), mode="coach", pid=pid)

    async def session(request: Request) -> Response:
        body = await _body(request)
        init_data = str(body.get("init_data") or "") if isinstance(body, dict) else ""
        try:
            user = check_init_data(init_data, bot_token or "", now=clock())
        except InitDataError as error:
            log.info("mini app initData refused: %s", error.reason)
            return JSONResponse({"error": error.reason}, status_code=401)
        try:
            opened = await store.open_own(db, user.external_id)
        except NotFound:
            return JSONResponse({"error": "unknown"}, status_code=403)
        token = issue_token(user.external_id, links.secret, now=clock())
        scenes.using(user.external_id, TOKEN_TTL.total_seconds())
        # The map comes with the token: one round trip fewer before the app is ready.
        return JSONResponse({"token": token, **await drawn(opened)})

    Handler = Callable[[Request, Opened], Awaitable[Response]]

    def opened_by(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """The map the request may see: a participant's own (token), a coach's cohort's
        participant's (session cookie); 401 / 403 / 404 otherwise."""

        async def endpoint(request: Request) -> Response:
            raw = request.path_params.get("map_id") or request.query_params.get("map")
            map_id = int(raw) if raw is not None and str(raw).isdigit() else None
            try:
                if "participant_id" in request.path_params:
                    coach_id = await coach_of(request)
                    if coach_id is None:
                        return JSONResponse({"error": "signed_out"}, status_code=401)
                    opened = await store.open_for_coach(
                        db, coach_id, request.path_params["participant_id"], map_id, clock()
                    )
                else:
                    who = subject(request)
                    if who is None:
                        return JSONResponse({"error": "token"}, status_code=401)
                    opened = await store.open_own(db, who, map_id)
            except Forbidden:
                return JSONResponse({"error": "forbidden"}, status_code=403)
            except NotFound:
                return JSONResponse({"error": "not_found"}, status_code=404)
            return await handler(request, opened)

        return endpoint

    async def drawn(opened: Opened) -> dict[str, Any]:
        maps = [{"id": m.id, "title": m.title, "kind": m.kind} for m in opened.maps]
        if opened.view is None:
            return {"scene": None, "maps": maps, "locale": opened.locale}
        view = opened.view

        async def load() -> MapView:
            return view

        map_id, version = opened.key
        drawn = await scenes.get((map_id, version, f"app:{opened.locale}"), load, opened.locale)
        scene = dict(cast(dict[str, Any], drawn or {}))  # the cache holds scenes here
        if opened.read_only:
            scene["map"] = {**scene["map"], "read_only": True}
        return {"scene": scene, "maps": maps, "locale": opened.locale}

    async def ahead(external_id: str) -> None:
        """Lay out the map the app would open on, if its version is new (see ``handled``)."""
        shown = await store.shown_version(db, external_id)
        if shown is None or scenes.has((shown[0], shown[1], f"app:{shown[2]}")):
            return
        opened = await store.open_own(db, external_id, shown[0])
        if opened.view is not None:
            await drawn(opened)

    scenes.ahead = ahead

    async def get_map(request: Request, opened: Opened) -> Response:
        return JSONResponse(await drawn(opened))

    async def post_change(request: Request, opened: Opened) -> Response:
        who = subject(request)
        if opened.read_only or who is None or opened.view is None or opened.view.id is None:
            return JSONResponse({"error": "read_only"}, status_code=403)
        body = await _body(request)
        if not isinstance(body, dict):
            return JSONResponse({"error": "bad_request"}, status_code=400)
        try:
            changed = await store.change(db, who, opened.view.id, body, clock())
        except NotFound:
            return JSONResponse({"error": "not_found"}, status_code=404)
        planned = changed.planned
        answer = await drawn(changed.opened)
        if isinstance(planned, Asked):
            answer["asked"] = {
                "kind": planned.kind,
                "typed": planned.typed,
                "candidates": list(planned.candidates),
            }
        elif isinstance(planned, Refused):
            html = chat_text.render(opened.locale, planned.key, **planned.context)
            answer["refused"] = chat_text.html_to_plain(html)
        elif isinstance(planned, ChangeMap):
            answer["done"] = planned.history
        return JSONResponse(answer)

    async def get_snapshots(request: Request, opened: Opened) -> Response:
        found = await store.snapshots(db, opened)
        for snap in found:
            snap["stage_name"] = _stage_name(opened.locale, snap["stage"])
        return JSONResponse({"snapshots": found})

    async def get_compare(request: Request, opened: Opened) -> Response:
        """``?from=ID&to=ID|now``: two stored analyses of the map (the older one first), or
        one and the map now, compared as the coach's views compare them."""
        before_id = _id(request.query_params.get("from"))
        raw_after = request.query_params.get("to", "now")
        after_id = None if raw_after == "now" else _id(raw_after)
        if before_id is None or (after_id is None and raw_after != "now"):
            return JSONResponse({"error": "bad_request"}, status_code=400)
        found = await store.analyses(db, opened, [i for i in (before_id, after_id) if i])
        if opened.view is None or before_id not in found or (after_id and after_id not in found):
            return JSONResponse({"error": "not_found"}, status_code=404)
        if after_id == before_id:
            return JSONResponse({"error": "same"}, status_code=400)
        first, then = before_id, after_id
        if then is not None and (found[then][0], then) < (found[first][0], first):
            first, then = then, first  # the older one is "before", as on the dashboard
        result = await scenes.compare(
            found[first][1], found[then][1] if then else None, opened.view, opened.locale
        )
        return JSONResponse(result)

    coach = "/app/api/coach/{participant_id:int}"
    return [
        Route("/app", shell),
        Route("/app/coach/{participant_id:int}", coach_shell),
        Route("/app/api/session", session, methods=["POST"]),
        Route("/app/api/map", opened_by(get_map)),
        Route("/app/api/map/{map_id:int}/change", opened_by(post_change), methods=["POST"]),
        Route("/app/api/map/{map_id:int}/snapshots", opened_by(get_snapshots)),
        Route("/app/api/map/{map_id:int}/compare", opened_by(get_compare)),
        Route(f"{coach}/map", opened_by(get_map)),
        # A coach's view is read-only: an edit sent on it is refused (403), never applied.
        Route(f"{coach}/map/{{map_id:int}}/change", opened_by(post_change), methods=["POST"]),
        Route(f"{coach}/map/{{map_id:int}}/snapshots", opened_by(get_snapshots)),
        Route(f"{coach}/map/{{map_id:int}}/compare", opened_by(get_compare)),
    ]


def _id(raw: str | None) -> int | None:
    """A query parameter that must be an id (None otherwise)."""
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) <= 12 else None


def _stage_name(locale: str, key: str | None) -> str:
    if not key:
        return ""
    return chat_text.html_to_plain(chat_text.render(locale, "analysis.stage_name", key=key))


def _json(texts: Callable[[str], dict[str, str]]) -> Callable[[str], Markup]:
    """The app's texts of a locale as JSON for a ``<script type="application/json">`` block
    (``<`` escaped: the block cannot be closed from inside)."""

    def dump(locale: str) -> Markup:
        return Markup(json.dumps(texts(locale), ensure_ascii=False).replace("<", "\\u003c"))

    return dump


async def _body(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > BODY_MAX:
        return None
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None
