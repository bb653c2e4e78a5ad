"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from tongban import __version__
from tongban.config import Settings, get_settings
from tongban.db import make_engine, make_session_factory
from tongban.kernel import i18n
from tongban.kernel.errors import DomainError, NotAuthenticated
from tongban.kernel.ids import new_request_id
from tongban.web import problems
from tongban.web.deps import csrf_guard
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


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(settings.effective_database_url)
    app = FastAPI(
        title="Tongban 通办 API",
        version=__version__,
        description="Digital-government platform: data sharing, one-door services, enterprise policies.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        dependencies=[Depends(csrf_guard)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.templates = make_templates()
    app.state.cookie_signer = CookieSigner(settings)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.middleware("http")
    async def request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.request_id = request.headers.get("x-request-id", "")[:40] or new_request_id()
        language, explicit = _resolve_language(request)
        request.state.language_explicit = explicit
        language_token = i18n.current_language.set(language)
        signer: CookieSigner = request.app.state.cookie_signer
        request.state.csrf_token, request.state.csrf_new = signer.csrf_token(request)
        try:
            response = await call_next(request)
        finally:
            i18n.current_language.reset(language_token)
        if request.state.csrf_new:
            signer.set_csrf(response, request.state.csrf_token)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path == "/api/docs":
            response.headers["Content-Security-Policy"] = DOCS_CSP
        response.headers["X-Request-ID"] = request.state.request_id
        return response

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
            404: ("not_found", "The page you asked for does not exist."),
            405: ("method_not_allowed", "This method is not allowed here."),
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
    from tongban.kernel.accounts import api as accounts_api
    from tongban.kernel.accounts import pages as accounts_pages
    from tongban.kernel.audit import api as audit_api
    from tongban.kernel.audit import pages as audit_pages
    from tongban.kernel.orgs import api as orgs_api
    from tongban.kernel.orgs import pages as orgs_pages
    from tongban.web import pages as web_pages

    for module in (
        orgs_api,
        accounts_api,
        audit_api,
        catalog_api,
        web_pages,
        orgs_pages,
        accounts_pages,
        audit_pages,
        catalog_pages,
    ):
        app.include_router(module.router)
