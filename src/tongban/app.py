"""The FastAPI application factory."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tongban import __version__
from tongban.config import Settings, get_settings
from tongban.db import make_engine, make_session_factory
from tongban.kernel import i18n
from tongban.kernel.accounts.service import PasswordChangeRequired
from tongban.kernel.errors import N_, DomainError, NotAuthenticated
from tongban.kernel.ids import new_request_id
from tongban.web import problems
from tongban.web.deps import bearer_token, csrf_guard, no_nul_in_query
from tongban.web.security import LANGUAGE_COOKIE, CookieSigner
from tongban.web.templating import STATIC_DIR, make_templates, render

log = logging.getLogger("tongban")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'"
    ),
}
DOCS_CSP = "default-src 'self' 'unsafe-inline' data:; frame-ancestors 'none'"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _resolve_language(request: Request) -> tuple[str, bool]:
    """Pages are Chinese unless the person chose English (switch or preference); API callers
    may also ask through Accept-Language."""
    explicit = i18n.normalise_language(request.query_params.get("lang")) or i18n.normalise_language(
        request.cookies.get(LANGUAGE_COOKIE)
    )
    if explicit:
        return explicit, True
    default: str = request.app.state.settings.language
    if _is_api(request):
        return i18n.negotiate(request.headers.get("accept-language")) or default, False
    return default, False


class RequestContext:
    """Per request: id, language, CSRF token; on the way out the CSRF cookie, security headers and
    the request id. Plain ASGI rather than ``@app.middleware("http")``, whose wrapper costs a task
    and a pair of memory streams on every request (a tenth of a data-API call's time)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        state = request.state
        state.request_id = request.headers.get("x-request-id", "")[:40] or new_request_id()
        language, explicit = _resolve_language(request)
        state.language_explicit = explicit
        language_token = i18n.current_language.set(language)
        signer: CookieSigner = request.app.state.cookie_signer
        if bearer_token(request) is not None:
            # A system calling with its token needs no CSRF cookie (signing one costs time too).
            state.csrf_token, state.csrf_new = "", False
        else:
            state.csrf_token, state.csrf_new = signer.csrf_token(request)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if state.csrf_new:
                    carrier = Response()
                    signer.set_csrf(carrier, state.csrf_token)
                    for raw_name, raw_value in carrier.raw_headers:
                        if raw_name == b"set-cookie":
                            headers.append("set-cookie", raw_value.decode("latin-1"))
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if request.url.path == "/api/docs":
                    headers["Content-Security-Policy"] = DOCS_CSP
                headers["X-Request-ID"] = state.request_id
            await send(message)

        try:
            short_path = getattr(request.app.state, "short_path", None)
            if short_path is not None:
                # Hot data calls are answered here; others go on, maybe with a replayed body.
                remaining = await short_path(Request(scope, receive), receive, send_with_headers)
                if remaining is None:
                    return
                receive = remaining
            await self.app(scope, receive, send_with_headers)
        finally:
            i18n.current_language.reset(language_token)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    # The access log's group-commit writer commits what is queued, then stops.
    app.state.access_log.close()
    app.state.data_sessions.kw["bind"].dispose()


def served_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The application of a server process. Everything loaded at start-up (the framework, the
    models, the code lists) lives as long as the process: it is left out of the garbage
    collector's full passes, which otherwise walked it all and stalled the process for ~120 ms
    every few thousand requests (the data API's p99; see docs/sharing-and-access.md)."""
    app = create_app(settings, engine)
    gc.collect()
    gc.freeze()
    return app


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    from tongban.exchange import access_fast
    from tongban.exchange.access import LookupCache
    from tongban.exchange.access_api import data_sessions
    from tongban.exchange.access_log import AccessLogWriter
    from tongban.wiring import connect_contexts

    connect_contexts()
    settings = settings or get_settings()
    engine = engine or make_engine(settings.effective_database_url)
    app = FastAPI(
        lifespan=_lifespan,
        title="Tongban 通办 API",
        version=__version__,
        description="Digital-government platform: data sharing, one-door services, enterprise policies.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        dependencies=[Depends(no_nul_in_query), Depends(csrf_guard)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.templates = make_templates()
    app.state.cookie_signer = CookieSigner(settings)
    app.state.access_log = AccessLogWriter(engine)  # one per process; its thread starts on first use
    app.state.data_sessions = data_sessions(engine)  # the data API's own sessions (see there)
    app.state.access_cache = LookupCache()  # its lookups, cached while nothing changed (see there)
    app.state.short_path = access_fast.handle  # the two hot data routes, without the framework's routing
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    app.add_middleware(RequestContext)

    _install_error_handlers(app)
    _include_routers(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError) -> Response:
        if _is_api(request):
            headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
            return problems.problem_response(problems.domain_error_body(request, error), headers)
        if isinstance(error, NotAuthenticated):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        if isinstance(error, PasswordChangeRequired):
            return RedirectResponse("/account/password", status_code=303)
        return render(
            request,
            "errors/error.html",
            {
                "status": error.status,
                "message": i18n.translate(error.message, **error.params),
                "code": error.code,
            },
            status_code=error.status,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        body = problems.request_validation_body(request, error)
        if _is_api(request):
            return problems.problem_response(body)
        return render(
            request,
            "errors/error.html",
            {
                "status": 422,
                "message": body["title"],
                "code": "validation_failed",
                "fields": body.get("errors", []),
            },
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        code, message = {
            400: ("bad_request", "The request could not be completed."),
            404: ("not_found", N_("The page you asked for does not exist.")),
            405: ("method_not_allowed", N_("This method is not allowed here.")),
        }.get(error.status_code, ("http_error", str(error.detail)))
        if _is_api(request):
            body = problems.problem_body(
                request, status=error.status_code, code=code, title=i18n.translate(message)
            )
            return problems.problem_response(body)
        return render(
            request,
            "errors/error.html",
            {"status": error.status_code, "message": i18n.translate(message), "code": code},
            status_code=error.status_code,
        )

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def value_refused_by_database(request: Request, error: Exception) -> Response:
        """A value the database cannot store (a NUL character, a number out of range — SQLite's
        driver raises OverflowError for integers beyond 64 bits) is the caller's mistake that
        validation let through: 422, not 500."""
        log.warning("database refused a value in request %s: %s", request.state.request_id, type(error))
        title = i18n.translate("This value is not valid.")
        if _is_api(request):
            body = problems.problem_body(request, status=422, code="value_not_valid", title=title)
            return problems.problem_response(body)
        return render(
            request, "errors/error.html", {"status": 422, "message": title, "code": "value_not_valid"}, 422
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("unhandled error in request %s", getattr(request.state, "request_id", "-"))
        message = i18n.translate("Something went wrong on our side. The error has been recorded.")
        if _is_api(request):
            body = problems.problem_body(request, status=500, code="internal_error", title=message)
            return problems.problem_response(body)
        return render(
            request, "errors/error.html", {"status": 500, "message": message, "code": "internal_error"}, 500
        )


def _include_routers(app: FastAPI) -> None:
    from tongban.catalog import api as catalog_api
    from tongban.catalog import pages as catalog_pages
    from tongban.catalog import resources_api as catalog_resources_api
    from tongban.catalog import resources_pages as catalog_resources_pages
    from tongban.exchange import access_api, ingest_api, ingest_pages, sharing_api, sharing_pages, usage_pages
    from tongban.governance import conflicts_api, conflicts_pages, corrections_api, corrections_pages
    from tongban.governance import quality_api as governance_quality_api
    from tongban.governance import quality_pages as governance_quality_pages
    from tongban.kernel.accounts import api as accounts_api
    from tongban.kernel.accounts import pages as accounts_pages
    from tongban.kernel.audit import api as audit_api
    from tongban.kernel.audit import pages as audit_pages
    from tongban.kernel.orgs import api as orgs_api
    from tongban.kernel.orgs import pages as orgs_pages
    from tongban.notify import pages as notify_pages
    from tongban.notify import preferences_pages
    from tongban.policy import api as policy_api
    from tongban.policy import (
        delivery_pages,
        library_api,
        library_pages,
        matching_api,
        portal_api,
        portal_pages,
    )
    from tongban.policy import pages as policy_pages
    from tongban.profiles import api as profiles_api
    from tongban.profiles import pages as profiles_pages
    from tongban.web import pages as web_pages

    # The data access API first: routes are matched in order, and its calls are the busiest.
    for module in (
        access_api,
        sharing_api,
        ingest_api,
        orgs_api,
        accounts_api,
        audit_api,
        catalog_api,
        catalog_resources_api,
        web_pages,
        orgs_pages,
        accounts_pages,
        audit_pages,
        catalog_pages,
        catalog_resources_pages,
        sharing_pages,
        usage_pages,
        ingest_pages,
        corrections_api,
        conflicts_api,
        corrections_pages,
        conflicts_pages,
        governance_quality_api,
        governance_quality_pages,
        notify_pages,
        profiles_api,
        profiles_pages,
        preferences_pages,
        policy_api,
        policy_pages,
        matching_api,
        delivery_pages,
        library_api,
        library_pages,
        portal_api,
        portal_pages,
    ):
        app.include_router(module.router)
