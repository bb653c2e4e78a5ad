"""Request dependencies shared by API and page routes: unit of work, actor, CSRF."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session
from starlette.requests import Request

from tongban.kernel import i18n
from tongban.kernel.accounts import service as accounts
from tongban.kernel.accounts import tokens
from tongban.kernel.errors import N_, NotAuthenticated, PermissionDenied
from tongban.kernel.permissions import Actor
from tongban.web.security import CSRF_FIELD, CSRF_HEADER, SAFE_METHODS, CookieSigner, tokens_match


def _db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, before the response leaves."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DB = Annotated[Session, Depends(_db, scope="function")]


def bearer_token(request: Request) -> str | None:
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
        if user.language and not request.state.language_explicit:
            i18n.current_language.set(user.language)
    request.state.actor = actor
    request.state.session_token = session_token
    return actor


CurrentActor = Annotated[Actor, Depends(_actor, scope="function")]
