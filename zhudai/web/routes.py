"""``/web``: the risk team's pages, server-rendered. Login takes an API key and sets a signed
session cookie naming the key's id (never the key); every page checks the key's role on the
server (403 otherwise) and builds its view from the same services the API calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from zhudai.acquisition.channel_economics import book_as_of
from zhudai.api.deps import Services
from zhudai.api.keys import Principal
from zhudai.callqa.flags import FlagType
from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.settings import Settings
from zhudai.web import session, store_views, views
from zhudai.web.pages import BY_NAME, PAGES, Page, PageView
from zhudai.web.render import LANGS, plotly_js, render

APPLICATION_COLUMNS = ("id", "applied_at", "channel", "product", "amount", "status", "phone")
LANG_COOKIE = "zhudai_lang"


class WebPages:
    """Sessions, the role gate and rendering, for the app whose services are
    ``request.app.state.services``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @staticmethod
    def services(request: Request) -> Services:
        svc: Services = request.app.state.services
        return svc

    def caller(self, request: Request) -> Principal | None:
        key_id = session.verify(self.settings, request.cookies.get(session.COOKIE))
        return None if key_id is None else self.services(request).keys.principal(key_id)

    def html(self, request: Request, template: str, status: int = 200, **ctx: Any) -> Response:
        chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE, "en")
        lang = chosen if chosen in LANGS else "en"
        caller = ctx.get("caller")
        ctx.setdefault("nav", [p for p in PAGES if caller is not None and p.allows(caller)])
        ctx.setdefault("current", "")
        response = HTMLResponse(render(template, lang=lang, **ctx), status_code=status)
        if request.query_params.get("lang") == lang:
            response.set_cookie(LANG_COOKIE, lang, samesite="lax")
        return response

    def error(self, request: Request, caller: Principal | None, status: int, text: str) -> Response:
        return self.html(
            request,
            "error.html",
            status,
            title=str(status),
            code=status,
            message=text,
            caller=caller,
        )

    def gate(self, request: Request, page: Page) -> Principal | Response:
        """The signed-in caller if ``page`` allows its role; else the redirect to the login
        (no session) or the 403 page."""
        caller = self.caller(request)
        if caller is None:
            return RedirectResponse(f"/web/login?next=/web/{page.name}", status_code=303)
        if not page.allows(caller):
            text = f"a {caller.role.value} key may not see the {page.en} page"
            return self.error(request, caller, 403, text)
        return caller

    def context(self, request: Request, caller: Principal) -> views.Context:
        origination = self.services(request).origination
        return views.Context(
            origination.url,
            origination.decisions,
            caller,
            book_as_of(origination.url),
            self.settings.home,
        )

    def page(self, request: Request, caller: Principal, view: PageView) -> Response:
        return self.html(
            request,
            "page.html",
            title=view.page.en,
            view=view,
            caller=caller,
            current=view.page.name,
            interactive=True,
            violation_types=[t.value for t in FlagType],
        )

    def route(
        self, page: Page, builder: Callable[[views.Context], PageView]
    ) -> Callable[..., Response]:
        """The GET route of a page built by ``builder``."""

        def show(request: Request) -> Response:
            caller = self.gate(request, page)
            if isinstance(caller, Response):
                return caller
            try:
                view = builder(self.context(request, caller))
            except PermissionError as exc:  # the role may open the page, this key may not
                return self.error(request, caller, 403, str(exc))
            return self.page(request, caller, view)

        show.__name__ = f"web_{page.name}"
        return show


def build_router(settings: Settings) -> APIRouter:
    """The ``/web`` router (not in the OpenAPI spec: it answers HTML)."""
    web = WebPages(settings)
    router = APIRouter(prefix="/web", include_in_schema=False)

    @router.get("/static/plotly.min.js")
    def plotly() -> Response:
        return Response(
            plotly_js(),
            media_type="application/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @router.get("/login")
    def login_form(request: Request) -> Response:
        return web.html(request, "login.html", title="Sign in", error=None, caller=None)

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        key = (form.get("key") or [""])[0].strip()
        principal = await run_in_threadpool(web.services(request).keys.authenticate, key)
        if principal is None:
            return web.html(
                request,
                "login.html",
                401,
                title="Sign in",
                error="unknown or revoked API key",
                caller=None,
            )
        first = next((p for p in PAGES if p.allows(principal)), None)
        response = RedirectResponse(f"/web/{first.name}" if first else "/web/login", 303)
        response.set_cookie(
            session.COOKIE,
            session.sign(settings, principal.key_id),
            max_age=session.SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            secure=settings.env == "production",
        )
        return response

    @router.get("/logout")
    def logout() -> Response:
        response = RedirectResponse("/web/login", status_code=303)
        response.delete_cookie(session.COOKIE)
        return response

    @router.get("/")
    def home(request: Request) -> Response:
        caller = web.caller(request)
        first = next((p for p in PAGES if caller and p.allows(caller)), None)
        return RedirectResponse(f"/web/{first.name}" if first else "/web/login", 303)

    @router.get("/applications")
    def applications(request: Request, page: str = "1", size: str = "50") -> Response:
        caller = web.gate(request, BY_NAME["applications"])
        if isinstance(caller, Response):
            return caller
        try:
            if not (page.isdigit() and size.isdigit()):
                raise InvalidInputError(
                    "page", f"page and size must be integers; got {page!r}, {size!r}"
                )
            url = web.services(request).origination.url
            table = store_views.applications_page(url, int(page), int(size))
        except InvalidInputError as exc:
            return web.error(request, caller, 422, str(exc))
        return web.html(
            request,
            "applications.html",
            title="Applications",
            table=table,
            columns=APPLICATION_COLUMNS,
            caller=caller,
            current="applications",
        )

    @router.get("/policies")
    def policies(
        request: Request,
        name: str | None = None,
        a: str | None = Query(None, max_length=9),
        b: str | None = Query(None, max_length=9),
        application: str | None = Query(None, max_length=64),
    ) -> Response:
        """The policies page; the form's blank versions mean the default pair."""
        caller = web.gate(request, BY_NAME["policies"])
        if isinstance(caller, Response):
            return caller
        old, new = (int(v) if v and v.isdigit() else None for v in (a, b))
        ctx = web.context(request, caller)
        return web.page(request, caller, views.policies(ctx, name, old, new, application))

    @router.post("/callqa/{call_id}/verdict")
    async def verdict(request: Request, call_id: str) -> Response:
        """A reviewer's verdict from the page's form, kept by the API's review queue (the
        session cookie is SameSite=Strict, so no other site can post it)."""
        caller = web.gate(request, BY_NAME["callqa"])
        if isinstance(caller, Response):
            return caller
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        clean = (form.get("verdict") or [""])[0] == "clean"
        heard = [] if clean else form.get("violations", [])
        try:
            await run_in_threadpool(
                web.services(request).reviews.record_verdict, call_id, heard, caller.name
            )
        except NotFoundError as exc:
            return web.error(request, caller, 404, str(exc))
        except InvalidInputError as exc:
            return web.error(request, caller, 422, str(exc))
        return RedirectResponse("/web/callqa", status_code=303)

    for name, builder in views.BUILDERS.items():
        if name != "policies":
            router.add_api_route(f"/{name}", web.route(BY_NAME[name], builder), methods=["GET"])
    return router
