"""Jinja environment: gettext from the request's language, shared filters and globals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse

from tongban.kernel import i18n
from tongban.kernel.permissions import ROLE_LABELS, Permission, Role

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def _gettext(message: str, **params: Any) -> str:
    return i18n.translate(message, **params)


def _ngettext(singular: str, plural: str, count: int, **params: Any) -> str:
    return i18n.translate_plural(singular, plural, count, **params)


def _inbox_unread(user: Any) -> int:
    """Unread messages of the logged-in account, for the inbox link (0 on a page without a session)."""
    from sqlalchemy.orm import object_session

    from tongban.notify.service import unread_count

    session = object_session(user)
    return unread_count(session, user.id) if session is not None else 0


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templates = Jinja2Templates(env=env)
    # Not "newstyle": our callables fill {placeholders} themselves (newstyle would apply %-formatting).
    env.install_gettext_callables(_gettext, _ngettext, newstyle=False)  # type: ignore[attr-defined]
    env.filters["date"] = i18n.format_date
    env.filters["datetime"] = i18n.format_datetime
    env.globals["Permission"] = Permission
    env.globals["Role"] = Role
    env.globals["role_label"] = lambda role: i18n.translate(ROLE_LABELS[Role(role)])
    env.globals["current_language"] = i18n.current_language.get
    env.globals["inbox_unread"] = _inbox_unread
    return templates


def use_request_language(request: Request) -> None:
    """Apply the language chosen for this request after the middleware ran (the account's preference)."""
    language = getattr(request.state, "language", None)
    if language:
        i18n.current_language.set(language)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page with the request-wide context (actor, user, language, CSRF token)."""
    use_request_language(request)
    templates: Jinja2Templates = request.app.state.templates
    full = {
        "actor": getattr(request.state, "actor", None),
        "user": getattr(request.state, "user", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "language": i18n.current_language.get(),
        "path": request.url.path,
    }
    full.update(context or {})
    return templates.TemplateResponse(request, name, full, status_code=status_code)
