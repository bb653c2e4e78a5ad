"""Helpers for HTML forms: errors to show beside fields, paging parameters."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tongban.kernel.errors import DomainError
from tongban.kernel.i18n import translate
from tongban.web.templating import render


def field_errors(error: DomainError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in error.fields:
        errors.setdefault(problem.field, []).append(translate(problem.message, **problem.params))
    return errors


def rerender_with_error(
    request: Request, template: str, context: dict[str, Any], error: DomainError
) -> Response:
    """Show the same form again with the values kept and the reasons beside the fields."""
    full = dict(context)
    full["errors"] = field_errors(error)
    full["error"] = translate(error.message, **error.params)
    full["error_code"] = error.code
    return render(request, template, full, status_code=error.status)


def optional_int(value: str | None) -> int | None:
    """Empty filter fields arrive as ''; anything else must be a whole number."""
    if value is None or not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        return None
