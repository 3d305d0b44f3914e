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
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jinja2
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import dashboard
from app.dashboard import DashboardLinks
from coaching import text as chat_text
from coaching.cohort import Detail, Member, plan_line
from coaching.cohortnet import SHOWN_MAX
from coaching.cohortnet import cohort_network as cohort_net
from coaching.curriculum import EXERCISES, MODULES
from coaching.exports import gexf_bytes, graph_bytes, graphml_bytes, json_bytes
from coaching.model import KLTB_STEPS
from coaching.network import MapView
from coaching.tables import TABLES, labelled_csv
from coaching.validate import check_answer
from storage import answer_notes, coach_views, exports
from storage import maps as stored_maps
from storage.coach_views import Forbidden
from storage.db import Database
from storage.outbox import utcnow
from web import cohortsvg
from web.mapcache import MapCache, MapPage
from web.miniapp import MINIAPP_PAGES, TELEGRAM_WEB, SceneCache, miniapp_routes

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
LOCALES = ("id", "en")
SESSION_COOKIE = "jejaring_session"
LANG_COOKIE = "jejaring_lang"
SORTS = ("name", "progress", "active", "attention")
STATIC = {
    "app.css": "text/css; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "miniapp.css": "text/css; charset=utf-8",
    "miniapp.js": "text/javascript; charset=utf-8",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# The Mini App's page: the same policy, but Telegram Web (which shows a Mini App in a frame)
# may frame it — its origins only; nobody else, and no other page.
MINIAPP_CSP = CSP.replace("frame-ancestors 'none'", "frame-ancestors " + " ".join(TELEGRAM_WEB))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Labelled tables in the page's language (``;`` between cells in Indonesian), a workbook of
# them all, the graphs for Gephi as they were, and a participant's JSON and one-page PDF.
DOWNLOADS = {
    **{f"{kind}.csv": "text/csv; charset=utf-8" for kind in TABLES},
    "data.xlsx": XLSX,
    "network.graphml": "application/graphml+xml",
    "network.gexf": "application/gexf+xml",
    "cohort-network.graphml": "application/graphml+xml",
    "cohort-network.gexf": "application/gexf+xml",
    "data.json": "application/json",
    "journey.pdf": "application/pdf",
}
PARTICIPANT_ONLY = ("data.json", "journey.pdf")
COHORT_ONLY = ("cohort-network.graphml", "cohort-network.gexf")

Clock = Callable[[], datetime]


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


@cache
def _texts(locale: str) -> Any:
    return _environment().get_template(f"text/{locale}.j2").module


def text_keys(locale: str) -> set[str]:
    """Every text the locale defines (the parity test compares the locales)."""
    module = _texts(locale)
    return {n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n))}


def translate(locale: str) -> Callable[..., Markup]:
    module = _texts(locale)

    def t(key: str, /, **context: Any) -> Markup:
        macro = getattr(module, key, None)
        if not callable(macro):
            raise KeyError(f"{locale}: no web text {key!r}")
        return Markup(str(macro(**context)).strip())

    return t


def app_texts(locale: str) -> dict[str, str]:
    """The Mini App's texts (the ``mini_*`` web texts, without arguments) for its script."""
    t = translate(locale)
    return {k[5:]: str(t(k)) for k in sorted(text_keys(locale)) if k.startswith("mini_")}


def pick_locale(request: Request) -> str:
    """``?lang=`` (then remembered in a cookie), the cookie, else the browser's languages."""
    asked = request.query_params.get("lang")
    if asked in LOCALES:
        return str(asked)
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in LOCALES:
        return str(remembered)
    weighted = []
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        weighted.append((weight, tag.strip()[:2].lower()))
    for _, tag in sorted(weighted, key=lambda w: -w[0]):
        if tag in LOCALES:
            return tag
    return "id"


class SecurityHeaders:
    """Adds the security headers to every response of the wrapped app."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app, self.secure = app, secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        static = path.startswith("/static/")
        framed = path in MINIAPP_PAGES  # Telegram Web frames it: its CSP says by whom

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                extra = {
                    b"content-security-policy": (MINIAPP_CSP if framed else CSP).encode(),
                    b"x-frame-options": b"DENY",
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"no-referrer",
                    b"cross-origin-opener-policy": b"same-origin",
                    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
                    # Pages show personal data: never from a shared cache or the back button.
                    b"cache-control": b"public, max-age=3600" if static else b"no-store",
                }
                if self.secure:
                    extra[b"strict-transport-security"] = b"max-age=31536000"
                if framed:  # X-Frame-Options cannot name origins; frame-ancestors does
                    del extra[b"x-frame-options"]
                names = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in extra.items() if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


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
        locale = pick_locale(request)
        html = (
            _environment()
            .get_template(template)
            .render(
                t=translate(locale),
                locale=locale,
                path=request.url.path,
                query=dict(request.query_params),
                **context,
            )
        )
        response = HTMLResponse(html, status_code=status)
        if request.query_params.get("lang") in LOCALES:
            response.set_cookie(
                LANG_COOKIE, locale, max_age=31_536_000, samesite="lax", secure=links.secure
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
        members = sorted(roster.members, key=_sort_key(sort), reverse=desc)
        rows = [_member_row(m, now) for m in members]
        return page(
            request, "cohort.html", roster=roster, rows=rows, sort=sort, desc=desc, kinds=TABLES
        )

    async def participant(request: Request, coach_id: int) -> Response:
        now = clock()
        pid = request.path_params["participant_id"]
        picked = {key: _int_param(request, key) for key in ("map", "from", "to")}
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
        locale = pick_locale(request)
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
            mapview = await maps.get(key, load, label=str(translate(locale)("map")))
        return page(
            request, "participant.html", **_participant_context(detail, locale, now, mapview)
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
            lambda session: answer_notes.reply_as_coach(
                session, coach_id, answer_id, reply, now, review=review
            )
        )
        if result.verdict is answer_notes.Verdict.GONE:
            return page(request, "message.html", 410, kind="answer_gone")
        if result.verdict is answer_notes.Verdict.DENIED:
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
        return await _download(name, people, f"kohort-{cohort_id}", pick_locale(request), maps)

    async def participant_export(request: Request, coach_id: int) -> Response:
        name = request.path_params["file"]
        pid = request.path_params["participant_id"]
        if name not in DOWNLOADS or name in COHORT_ONLY:
            return page(request, "message.html", 404, kind="not_found")
        people = await exports.coach_participant_export(db, coach_id, pid, clock())
        return await _download(name, people, f"peserta-{pid}", pick_locale(request), maps)

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
                texts=app_texts,
                coach_of=coach_of,
                scenes=scenes,
            ),
        ],
        exception_handlers={404: not_found},
    )
    return SecurityHeaders(app, secure=links.secure)


async def _download(
    name: str, people: list[dict[str, Any]], stem: str, locale: str, maps: MapCache
) -> Response:
    def build() -> bytes:
        kind, _, extension = name.partition(".")
        if extension == "csv":
            return labelled_csv(kind, people, locale)
        if extension in ("graphml", "gexf"):
            return graph_bytes(people, extension)
        return json_bytes(people[0] if len(people) == 1 else people)

    extension = name.rpartition(".")[2]
    if extension in ("xlsx", "pdf"):  # the drawing libraries: in the map worker's process
        body = await maps.document(extension, people, locale)
    else:
        body = await asyncio.to_thread(build)
    filename = f"{stem}-{name}"
    return Response(
        body,
        media_type=DOWNLOADS[name],
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def _int_param(request: Request, key: str) -> int | None:
    """A query parameter that must be an id; anything else is ignored (as if not given)."""
    value = request.query_params.get(key, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 12 else None


def _sort_key(sort: str) -> Callable[[Member], Any]:
    if sort == "progress":
        return lambda m: (m.done, m.name.casefold())
    if sort == "active":
        return lambda m: (m.last_active_at is not None, m.last_active_at or datetime.min, m.name)
    if sort == "attention":
        return lambda m: (not m.flagged, not m.idle, m.name.casefold())
    return lambda m: (m.name.casefold(), m.id)


def _member_row(member: Member, now: datetime) -> dict[str, Any]:
    """The bot's roster line, with the date of last activity for the dashboard's table."""
    last = member.last_active_at
    chapters = [{"key": k, "done": d, "total": t} for k, d, t in member.chapters]
    return {
        **member.context(now),
        "date": last.date().isoformat() if last else None,
        "chapters": chapters,
    }


def _participant_context(
    detail: Detail, locale: str, now: datetime, mapview: MapPage | None = None
) -> dict[str, Any]:
    """Everything the participant page shows; the map's drawing and analysis (HTML of our own
    autoescaped templates) come from :class:`web.mapcache.MapCache`."""
    by_module: dict[str, list[dict[str, Any]]] = {m.key: [] for m in MODULES}
    others: list[dict[str, Any]] = []
    for r in detail.reflections:
        exercise = EXERCISES.get(r.exercise)
        item = {
            "key": r.exercise,
            "label": Markup(chat_text.render(locale, "curriculum.exercise_label", key=r.exercise))
            if exercise
            else r.exercise,
            "question": Markup(chat_text.render(locale, exercise.text_key)) if exercise else "",
            "text": r.text,
            "date": r.updated_at.date().isoformat(),
            "id": r.id,
            "reviewed": r.reviewed_at is not None,
            "notes": [
                {"author": n.author, "text": n.text, "date": n.at.date().isoformat()}
                for n in r.notes
            ],
        }
        if not exercise:
            item["label"] = Markup(chat_text.render(locale, "feedback.title", key=r.exercise))
        (by_module[r.exercise.split(".")[0]] if exercise else others).append(item)
    modules = [
        {
            "key": key,
            "title": Markup(chat_text.render(locale, "curriculum.title", chapter=key)),
            "done": done,
            "total": total,
            "reflections": by_module.get(key, []),
        }
        for key, done, total in detail.modules
    ]
    kltb = [
        {
            "actor": line.actor,
            "reached": KLTB_STEPS.index(line.step) if line.step in KLTB_STEPS else -1,
            "notes": {step: note for step, note, _ in line.notes if note},
            # the next concrete action the participant planned, and its due date
            "next": next((a for _, _, a in reversed(line.notes) if a), None),
            "due": line.due.date().isoformat() if line.due else None,
        }
        for line in detail.kltb
    ]
    shown = detail.network_id
    history = [s for s in detail.stages if s.map_id == shown and shown is not None]
    return {
        "detail": detail,
        "member": _member_row(detail.member, now),
        "modules": modules,
        "others": others,
        "mapview": dataclasses.replace(
            mapview, svg=Markup(mapview.svg) if mapview.svg is not None else None
        )
        if mapview is not None
        else None,
        "analysis": Markup(mapview.analysis) if mapview and mapview.analysis else None,
        "stages": [
            {"date": s.at.date().isoformat(), "title": s.map_title, "stage": s.stage, "id": s.id}
            for s in history
        ],
        "maps": [{**m.context(), "current": m.id == shown} for m in detail.maps],
        "change": detail.comparison.context() if detail.comparison is not None else None,
        "compared": [s.id for s in detail.compared] if detail.compared else None,
        "shown": shown,
        "kltb": kltb,
        "plans": [plan_line(p) for p in detail.plans],
        "steps": KLTB_STEPS,
        "downloads": [
            "journey.pdf",
            "data.xlsx",
            *(d for d in DOWNLOADS if d.endswith(".csv")),
            "network.graphml",
            "network.gexf",
            "data.json",
        ],
        "stage_name": lambda key: Markup(chat_text.render(locale, "analysis.stage_name", key=key)),
    }
