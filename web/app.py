"""The coach dashboard: a server-rendered Starlette app over ``storage/cohorts.py``.

Every page and download needs a session (opened by a ``/dasbor`` login link) and asks storage
for the cohort or participant *with the coach's id*: storage raises ``Forbidden`` (→ 403)
unless the coach coaches that cohort. Pages are Jinja2 with autoescaping; the only script and
stylesheet are served by this app, and a strict Content-Security-Policy forbids anything else.

Routes::

    GET  /login/{token}                       open a session from a login link, then → /
    GET  /                                    the coach's cohorts
    GET  /cohorts/{id}?sort=name|progress|active|attention&desc=1
    GET  /participants/{id}                   map, analysis, stages, reflections, KLTB
    GET  /cohorts/{id}/network                the cohort as a network: shared stakeholders,
                                              who could help whom, a picture (cohort-network.*)
    GET  /participants/{id}?map=&from=&to=    one of their maps, and a before/after of two analyses
    GET  /cohorts/{id}/export/{file}          data.xlsx, <table>.csv (labelled, ";" in Indonesian),
                                              network.graphml, network.gexf
    GET  /participants/{id}/export/{file}     the same, plus data.json and journey.pdf
    POST /logout
    GET  /static/app.css, /static/app.js
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from app import coach, dashboard
from app.dashboard import DashboardLinks
from coaching.cohortnet import SHOWN_MAX
from coaching.cohortnet import cohort_network as cohort_net
from coaching.exports import gexf_bytes, graphml_bytes
from coaching.network import MapView
from coaching.tables import TABLES
from coaching.validate import check_answer
from storage import answer_notes, coach_views, exports
from storage import maps as stored_maps
from storage.coach_views import Forbidden
from storage.db import Database
from storage.outbox import utcnow
from web import cohortsvg, pages, views
from web.mapcache import MapCache
from web.miniapp import SceneCache, miniapp_routes
from web.pages import SecurityHeaders, app_texts, pick_locale, text_keys, translate
from web.views import COHORT_ONLY, DOWNLOADS, PARTICIPANT_ONLY

# What web/app.py offered before web/pages.py and web/views.py were split from it.
__all__ = [
    "COHORT_ONLY",
    "DOWNLOADS",
    "PARTICIPANT_ONLY",
    "SecurityHeaders",
    "app_texts",
    "dashboard_app",
    "pick_locale",
    "text_keys",
    "translate",
]

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "jejaring_session"
SORTS = ("name", "progress", "active", "attention")
STATIC = {
    "app.css": "text/css; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "miniapp.css": "text/css; charset=utf-8",
    "miniapp.js": "text/javascript; charset=utf-8",
    "miniapp-app.js": "text/javascript; charset=utf-8",
    "miniapp-page.js": "text/javascript; charset=utf-8",
    "miniapp-net.js": "text/javascript; charset=utf-8",
    "miniapp-draw.js": "text/javascript; charset=utf-8",
    "miniapp-touch.js": "text/javascript; charset=utf-8",
    "miniapp-sheets.js": "text/javascript; charset=utf-8",
    "miniapp-views.js": "text/javascript; charset=utf-8",
}
Clock = Callable[[], datetime]


def dashboard_app(
    db: Database,
    links: DashboardLinks,
    *,
    clock: Clock = utcnow,
    maps: MapCache | None = None,
    bot_token: str | None = None,
    scenes: SceneCache | None = None,
) -> ASGIApp:
    """The dashboard as an ASGI app (Starlette inside the security-headers middleware).

    ``maps`` draws and analyses participants' maps (cached per map version, in a process of
    its own): one per app unless given. ``bot_token`` checks the Mini App's initData (without
    it the app's sign-in refuses everyone); ``scenes`` draws its maps (one per app unless given).
    """
    maps = maps or MapCache()
    scenes = scenes or SceneCache()
    assets = {name: (HERE / "static" / name).read_bytes() for name in STATIC}

    def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        locale = pages.pick_locale(request)
        html = (
            pages.environment()
            .get_template(template)
            .render(
                t=pages.translate(locale),
                locale=locale,
                path=request.url.path,
                query=dict(request.query_params),
                **context,
            )
        )
        response = HTMLResponse(html, status_code=status)
        if request.query_params.get("lang") in pages.LOCALES:
            response.set_cookie(
                pages.LANG_COOKIE, locale, max_age=31_536_000, samesite="lax", secure=links.secure
            )
        return response

    async def coach_of(request: Request) -> int | None:
        token = request.cookies.get(SESSION_COOKIE, "")
        return await dashboard.session_coach(db, token, clock()) if token else None

    Handler = Callable[[Request, int], Awaitable[Response]]

    def signed_in(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Only with a live session; anything not the coach's own is 403."""

        async def endpoint(request: Request) -> Response:
            coach_id = await coach_of(request)
            if coach_id is None:
                return page(request, "message.html", 401, kind="signed_out")
            try:
                return await handler(request, coach_id)
            except Forbidden:
                log.warning("coach %s refused %s", coach_id, request.url.path)
                return page(request, "message.html", 403, kind="forbidden")

        return endpoint

    async def login(request: Request) -> Response:
        result = await dashboard.redeem_login(db, request.path_params["token"], clock(), links)
        if result.session_token is None:
            return page(request, "message.html", 403, kind="login_failed", problem=result.problem)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            result.session_token,
            max_age=dashboard.SESSION_HOURS * 3600,
            httponly=True,
            samesite="lax",  # Strict would drop the cookie on the redirect from Telegram
            secure=links.secure,
            path="/",
        )
        return response

    async def logout(request: Request) -> Response:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await dashboard.end_session(db, token)
        response = page(request, "message.html", 200, kind="logged_out")
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
        return response

    async def home(request: Request, coach_id: int) -> Response:
        now = clock()
        mine = await db.run(lambda session: coach_views.cohorts_of(session, coach_id, now))
        return page(request, "cohorts.html", cohorts=mine)

    async def cohort(request: Request, coach_id: int) -> Response:
        now = clock()
        cohort_id = request.path_params["cohort_id"]
        roster = await db.run(lambda session: coach_views.roster(session, coach_id, cohort_id, now))
        sort = request.query_params.get("sort", "name")
        sort = sort if sort in SORTS else "name"
        desc = request.query_params.get("desc") == "1"
        members = sorted(roster.members, key=views.sort_key(sort), reverse=desc)
        rows = [views.member_row(m, now) for m in members]
        return page(
            request, "cohort.html", roster=roster, rows=rows, sort=sort, desc=desc, kinds=TABLES
        )

    async def participant(request: Request, coach_id: int) -> Response:
        now = clock()
        pid = request.path_params["participant_id"]
        picked = {key: views.int_param(request, key) for key in ("map", "from", "to")}
        # Without the map: it is loaded (below) only if its version is not drawn yet.
        detail = await db.run(
            lambda session: coach_views.participant_detail(
                session,
                coach_id,
                pid,
                now,
                network=False,
                map_id=picked["map"],
                before=picked["from"],
                after=picked["to"],
            )
        )
        locale = pages.pick_locale(request)
        mapview = None
        if detail.network_id is not None:
            map_id = detail.network_id

            async def load() -> MapView | None:
                found = await db.run(
                    lambda session: stored_maps.load_maps(session, pid, only=map_id)
                )
                return found[0] if found else None

            # Seconds of CPU for a big map: cached per version, computed in another process.
            key = (map_id, detail.network_version, locale)
            mapview = await maps.get(key, load, label=str(pages.translate(locale)("map")))
        return page(
            request, "participant.html", **views.participant_context(detail, locale, now, mapview)
        )

    async def answer_reply(request: Request, coach_id: int) -> Response:
        """A coach's reply to an answer (sent to the participant in Telegram), or its review
        mark; an answer deleted meanwhile is refused with a page saying so."""
        form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=4)
        typed = (form.get("text") or [""])[0]
        review = "review" in form
        checked = check_answer(typed) if typed.strip() else None
        if not review and (checked is None or checked.value is None):
            return page(request, "message.html", 400, kind="reply_empty")
        reply = checked.value if checked is not None else None
        answer_id, now = request.path_params["answer_id"], clock()
        result = await db.run(
            lambda session: coach.reply_as_coach(
                session, coach_id, answer_id, reply, now, review=review
            )
        )
        if result.verdict is answer_notes.NoteOutcome.GONE:
            return page(request, "message.html", 410, kind="answer_gone")
        if result.verdict is answer_notes.NoteOutcome.DENIED:
            raise Forbidden(f"answer {request.path_params['answer_id']}")
        where = f"/participants/{result.participant_id}#answer-{request.path_params['answer_id']}"
        return RedirectResponse(where, status_code=303)

    async def cohort_network(request: Request, coach_id: int) -> Response:
        cohort_id = request.path_params["cohort_id"]
        name, people = await exports.cohort_export(db, coach_id, cohort_id, clock())
        network = await asyncio.to_thread(cohort_net, people)
        picture = await asyncio.to_thread(cohortsvg.draw, network)
        return page(
            request,
            "network.html",
            name=name,
            cohort_id=cohort_id,
            network=network,
            picture=picture,
            shown=SHOWN_MAX,
        )

    async def cohort_export(request: Request, coach_id: int) -> Response:
        name = request.path_params["file"]
        cohort_id = request.path_params["cohort_id"]
        if name not in DOWNLOADS or name in PARTICIPANT_ONLY:
            return page(request, "message.html", 404, kind="not_found")
        _, people = await exports.cohort_export(db, coach_id, cohort_id, clock())
        if name.startswith("cohort-network."):  # the combined network, for Gephi

            def network_file() -> bytes:
                graph = cohort_net(people).graph
                return graphml_bytes(graph) if name.endswith(".graphml") else gexf_bytes(graph)

            body = await asyncio.to_thread(network_file)
            headers = {"content-disposition": f'attachment; filename="kohort-{cohort_id}-{name}"'}
            return Response(body, media_type=DOWNLOADS[name], headers=headers)
        return await views.download(
            name, people, f"kohort-{cohort_id}", pages.pick_locale(request), maps
        )

    async def participant_export(request: Request, coach_id: int) -> Response:
        name = request.path_params["file"]
        pid = request.path_params["participant_id"]
        if name not in DOWNLOADS or name in COHORT_ONLY:
            return page(request, "message.html", 404, kind="not_found")
        people = await exports.coach_participant_export(db, coach_id, pid, clock())
        return await views.download(
            name, people, f"peserta-{pid}", pages.pick_locale(request), maps
        )

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in assets:
            return Response(status_code=404)
        return Response(assets[name], media_type=STATIC[name])

    async def not_found(request: Request, exc: Exception) -> Response:
        return page(request, "message.html", 404, kind="not_found")

    app = Starlette(
        routes=[
            Route("/", signed_in(home)),
            Route("/login/{token:str}", login),
            Route("/logout", logout, methods=["POST"]),
            Route("/cohorts/{cohort_id:int}", signed_in(cohort)),
            Route("/cohorts/{cohort_id:int}/network", signed_in(cohort_network)),
            Route("/participants/{participant_id:int}", signed_in(participant)),
            Route("/answers/{answer_id:int}", signed_in(answer_reply), methods=["POST"]),
            Route("/cohorts/{cohort_id:int}/export/{file:str}", signed_in(cohort_export)),
            Route(
                "/participants/{participant_id:int}/export/{file:str}",
                signed_in(participant_export),
            ),
            Route("/static/{name:str}", static),
            *miniapp_routes(
                db,
                links,
                bot_token=bot_token,
                clock=clock,
                page=page,
                texts=pages.app_texts,
                coach_of=coach_of,
                scenes=scenes,
            ),
        ],
        exception_handlers={404: not_found},
    )
    return pages.SecurityHeaders(app, secure=links.secure)
