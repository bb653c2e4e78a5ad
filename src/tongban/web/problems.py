"""RFC 9457 problem documents for the JSON API, in the caller's language."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from tongban.kernel.errors import N_, DomainError, FieldProblem
from tongban.kernel.i18n import translate

PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem_type(code: str) -> str:
    return f"urn:tongban:problem:{code}"


def problem_body(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    fields: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title,
        "status": status,
        "code": code,
        "instance": request.url.path,
        "request_id": getattr(request.state, "request_id", None),
    }
    if detail:
        body["detail"] = detail
    if fields:
        body["errors"] = fields
    return body


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=int(body["status"]), media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def translated_fields(fields: list[FieldProblem]) -> list[dict[str, Any]]:
    return [{"field": f.field, "message": translate(f.message, **f.params)} for f in fields]


def domain_error_body(request: Request, error: DomainError) -> dict[str, Any]:
    message = translate(error.message, **error.params)
    return problem_body(
        request,
        status=error.status,
        code=error.code,
        title=message,
        fields=translated_fields(error.fields) or None,
    )


_PYDANTIC_MESSAGES = {
    "missing": N_("This field is required."),
    "json_invalid": N_("The request body is not valid JSON."),
    "int_parsing": N_("Enter a whole number."),
    "bool_parsing": N_("Enter true or false."),
    "enum": N_("Choose one of the allowed values."),
    "string_too_long": N_("This text is too long."),
    "string_too_short": N_("This text is too short."),
    "greater_than_equal": N_("This number is too small."),
    "less_than_equal": N_("This number is too large."),
}


def request_validation_body(request: Request, error: RequestValidationError) -> dict[str, Any]:
    fields = []
    for item in error.errors():
        location = ".".join(
            str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path")
        )
        message = _PYDANTIC_MESSAGES.get(str(item.get("type")), N_("This value is not valid."))
        fields.append({"field": location or "body", "message": translate(message)})
    return problem_body(
        request,
        status=422,
        code="validation_failed",
        title=translate("Some of the input is not valid."),
        fields=fields,
    )
