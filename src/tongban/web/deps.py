"""Request dependencies shared by API and page routes: unit of work, actor, CSRF."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query
from pydantic import Field
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.requests import Request

from tongban.db import begin_writing
from tongban.kernel import paging
from tongban.kernel.accounts import service as accounts
from tongban.kernel.accounts import tokens
from tongban.kernel.errors import N_, FieldProblem, NotAuthenticated, PermissionDenied, ValidationFailed
from tongban.kernel.permissions import Actor
from tongban.web.security import CSRF_FIELD, CSRF_HEADER, SAFE_METHODS, CookieSigner, tokens_match


def _db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, before the response leaves."""
    session: Session = request.app.state.session_factory()
    if request.method not in SAFE_METHODS:
        begin_writing(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        _keep_user_for_error_page(request, session)
        raise
    finally:
        session.close()


def _keep_user_for_error_page(request: Request, session: Session) -> None:
    """The error page still shows who is logged in, after the rollback expired their account and
    the session closed: reload the account and detach it."""
    user = getattr(request.state, "user", None)
    if user is None or request.url.path.startswith("/api/"):
        return
    try:
        session.refresh(user)
        if user.org is not None:
            session.expunge(user.org)
        session.expunge(user)
    except SQLAlchemyError:
        request.state.user = None


DB = Annotated[Session, Depends(_db, scope="function")]

# Ids are 32-bit integers in the database: a larger number is a caller's mistake (422), not a
# database error (500).
MAX_ID = 2**31 - 1
MAX_PAGE = paging.MAX_PAGE
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE)]


def bearer_token(request: Request) -> str | None:
    """The API token of a department's system. Only the JSON API takes tokens; pages ignore them."""
    if not request.url.path.startswith("/api/"):
        return None
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def csrf_guard(request: Request) -> None:
    """Refuse unsafe requests that are not backed by a bearer token and lack the CSRF token."""
    if request.method in SAFE_METHODS or bearer_token(request) is not None:
        return
    expected = getattr(request.state, "csrf_token", "")
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if request.state.csrf_new or not tokens_match(expected, given):
        raise PermissionDenied(N_("The form has expired. Please try again."), code="csrf_failed")


async def no_nul_in_query(request: Request) -> None:
    """A NUL character in a search or filter is a mistake: refuse it the same on every database."""
    fields = [
        FieldProblem(name, N_("This value is not valid."))
        for name, value in request.query_params.multi_items()
        if "\x00" in value or "\x00" in name
    ]
    if fields:
        raise ValidationFailed(fields=fields)


def _actor(request: Request, db: DB) -> Actor:
    request_id = request.state.request_id
    secret = bearer_token(request)
    if secret is not None:
        actor = tokens.actor_for_token(db, secret, request_id)
        if actor is None:
            raise NotAuthenticated(N_("The API token is unknown, expired or revoked."), code="invalid_token")
        request.state.actor = actor
        return actor
    signer: CookieSigner = request.app.state.cookie_signer
    session_token = signer.session_token(request)
    user = accounts.user_for_session(db, session_token) if session_token else None
    if user is None:
        actor = Actor.anonymous(request_id)
    else:
        actor = accounts.actor_for_user(db, user, request_id)
        request.state.user = user
        if user.must_change_password and not request.url.path.startswith(PASSWORD_CHANGE_PATHS):
            raise accounts.PasswordChangeRequired()
        if user.language and not request.state.language_explicit:
            # Sync dependencies run in a worker thread, so a context variable set here would not
            # reach the page: render() applies it (web.templating.use_request_language).
            request.state.language = user.language
    request.state.actor = actor
    request.state.session_token = session_token
    return actor


# What a person whose password an administrator set may still do: change it, or leave.
PASSWORD_CHANGE_PATHS = ("/account/password", "/api/v1/me/password", "/logout", "/lang/")

CurrentActor = Annotated[Actor, Depends(_actor, scope="function")]
