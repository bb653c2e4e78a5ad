"""A short path for the two hot data routes: by-subject reads and verifications.

Profiling showed the data work of a call (token and grant from cache, the record query, the
access-log append) costs about a quarter of a millisecond of CPU, while routing, dependency
resolution and parameter validation in the framework cost several times that. This handler
answers the two routes straight from the ASGI layer with the same ``serve`` function, the same
access checks and the same log path as the declared routes (which stay, for the OpenAPI
document and as the fallback). Anything unusual — no bearer token, unknown or invalid
parameters, an invalid body — falls through to the full stack, which answers it exactly as
before.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Send

from tongban.exchange import access, access_api
from tongban.exchange.models import AccessKind
from tongban.kernel import i18n
from tongban.kernel.errors import DomainError
from tongban.web import problems
from tongban.web.deps import MAX_ID, bearer_token

log = logging.getLogger("tongban")

READ_PATH = re.compile(r"^/api/v1/data/([^/]{1,60})/subjects/([^/]{1,40})$")
VERIFY_PATH = re.compile(r"^/api/v1/verify/([^/]{1,60})$")
READ_PARAMETERS = frozenset({"fields", "grant_id"})
MAX_BODY = 16 * 1024
MAX_FIELDS_PARAMETER = 2000

Handled = Callable[[Request, Receive, Send], Awaitable[Receive | None]]


def _grant_id(raw: str | None) -> int | bool | None:
    """The grant id parameter: None when absent, False when not a valid id."""
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_ID:
        return False
    return int(raw)


async def _answer(request: Request, send: Send, call: Callable[[], Awaitable[Response]]) -> None:
    try:
        response = await call()
    except DomainError as error:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        response = problems.problem_response(problems.domain_error_body(request, error), headers)
    except Exception:
        log.exception("unhandled error in request %s", request.state.request_id)
        title = i18n.translate("Something went wrong on our side. The error has been recorded.")
        body = problems.problem_body(request, status=500, code="internal_error", title=title)
        response = problems.problem_response(body)
    await response(request.scope, request.receive, send)


async def handle(request: Request, receive: Receive, send: Send) -> Receive | None:
    """Answer a hot data call and return None; or return the receive channel the full stack
    should read from (the original, or a replay of a body this handler already read)."""
    if bearer_token(request) is None:
        return receive
    method, path = request.method, request.url.path
    if method == "GET" and (match := READ_PATH.match(path)):
        query = request.query_params
        fields = query.get("fields")
        grant_id = _grant_id(query.get("grant_id"))
        if (
            set(query) - READ_PARAMETERS
            or grant_id is False
            or "\x00" in request.url.query
            or (fields is not None and len(fields) > MAX_FIELDS_PARAMETER)
        ):
            return receive
        code, subject = match[1], match[2][:40]
        granted = grant_id if isinstance(grant_id, int) and not isinstance(grant_id, bool) else None
        await _answer(
            request,
            send,
            lambda: access_api.serve(
                request,
                AccessKind.READ,
                lambda session, actor, attempt: access.read_subject(
                    session,
                    actor,
                    code,
                    subject,
                    attempt,
                    fields=access_api.field_list(fields),
                    grant_id=granted,
                ),
                subject,
                inline=True,
                prefetch=(code, subject),
            ),
        )
        return None
    if method == "POST" and (match := VERIFY_PATH.match(path)) and not request.url.query:
        length = request.headers.get("content-length")
        if length is None or not length.isdigit() or int(length) > MAX_BODY:
            return receive
        body = await request.body()
        try:
            parsed = access_api.VerifyIn.model_validate_json(body)
        except ValidationError:
            return _replay(body)
        await _answer(request, send, lambda: access_api.answer_verification(request, match[1], parsed))
        return None
    return receive


def _replay(body: bytes) -> Receive:
    """A receive channel that hands the already-read body to the full stack."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
