"""Helpers for HTML forms: errors to show beside fields, paging parameters."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tongban.kernel.errors import (
    Conflict,
    DomainError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tongban.kernel.i18n import translate
from tongban.web.deps import MAX_ID
from tongban.web.templating import render, use_request_language

# Errors a form shows beside its fields. Others (not logged in, no right, no such thing) go to the
# log-in or error page like on any other route.
FORM_ERRORS = (ValidationFailed, Conflict)


def field_errors(error: DomainError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in error.fields:
        errors.setdefault(problem.field, []).append(translate(problem.message, **problem.params))
    return errors


def rerender_with_error(
    request: Request, template: str, context: dict[str, Any], error: DomainError
) -> Response:
    """Show the same form again with the values kept and the reasons beside the fields.

    Being logged out, lacking a right or naming something that does not exist is not a
    mistake in the form: those go to the log-in or error page like on any other route.
    """
    if isinstance(error, NotAuthenticated | PermissionDenied | NotFound):
        raise error
    use_request_language(request)
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
        number = int(value)
    except ValueError:
        return None
    return number if 0 <= number <= MAX_ID else None
