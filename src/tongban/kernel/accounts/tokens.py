"""API tokens for other departments' systems: shown once, stored hashed, scoped, expiring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongban.kernel.accounts import domain
from tongban.kernel.accounts.models import ApiToken
from tongban.kernel.audit import service as audit
from tongban.kernel.clock import now
from tongban.kernel.errors import N_, Conflict, FieldProblem, NotFound, ValidationFailed
from tongban.kernel.orgs import service as orgs
from tongban.kernel.orgs.models import OrgKind
from tongban.kernel.paging import Page, paginate
from tongban.kernel.permissions import TOKEN_PERMISSIONS, Actor, Permission, require

MAX_TOKEN_DAYS = 730
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the whole token; show it once


def create_token(
    session: Session, actor: Actor, *, org_id: int, name: str, permissions: list[str], days: int = 365
) -> IssuedToken:
    org = orgs.get(session, org_id)
    require(actor, Permission.TOKEN_MANAGE, org_path=org.path)
    problems: list[FieldProblem] = []
    if not name.strip():
        problems.append(FieldProblem("name", N_("A name is required.")))
    problems += domain.text_problems(name=name)
    if org.kind is not OrgKind.DEPARTMENT:
        problems.append(FieldProblem("org_id", N_("A token acts for a department.")))
    unknown = sorted(set(permissions) - {p.value for p in TOKEN_PERMISSIONS})
    if unknown:
        problems.append(
            FieldProblem(
                "permissions",
                N_("These permissions cannot be given to a token: {names}."),
                {"names": ", ".join(unknown)},
            )
        )
    if not permissions:
        problems.append(FieldProblem("permissions", N_("Choose at least one permission.")))
    if not 1 <= days <= MAX_TOKEN_DAYS:
        problems.append(
            FieldProblem("days", N_("A token is valid for 1 to {limit} days."), {"limit": MAX_TOKEN_DAYS})
        )
    if problems:
        raise ValidationFailed(fields=problems)
    secret, prefix = domain.new_api_token()
    token = ApiToken(
        name=name.strip()[:100],
        org_id=org.id,
        permissions=sorted(set(permissions)),
        prefix=prefix,
        token_hash=domain.digest(secret),
        created_by_id=actor.id if actor.kind == "user" else None,
        expires_at=now() + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor,
        "token.create",
        "api_token",
        token.id,
        {"name": token.name, "permissions": token.permissions, "days": days, "prefix": prefix},
        org_id=org.id,
    )
    return IssuedToken(token, secret)


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(N_("Token not found."), code="token_not_found")
    require(actor, Permission.TOKEN_MANAGE, org_path=token.org.path)
    if token.revoked_at is not None:
        raise Conflict(N_("This token is already revoked."), code="token_revoked")
    token.revoked_at = now()
    audit.record(
        session, actor, "token.revoke", "api_token", token.id, {"prefix": token.prefix}, org_id=token.org_id
    )
    return token


def list_tokens(session: Session, actor: Actor, *, page: int = 1, page_size: int = 50) -> Page[ApiToken]:
    require(actor, Permission.TOKEN_MANAGE)
    statement = (
        select(ApiToken)
        .where(ApiToken.org_id.in_(orgs.org_ids_in_scope(actor)))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return paginate(session, statement, page, page_size)


def actor_for_token(session: Session, secret: str, request_id: str | None = None) -> Actor | None:
    """The acting department system behind a bearer token, or None when unknown, expired or revoked."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == domain.digest(secret)))
    moment = now()
    if token is None or token.revoked_at is not None or token.expires_at <= moment or not token.org.active:
        return None
    if token.last_used_at is None or moment - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = moment  # at most once a minute: a busy system must not write on every call
    return Actor(
        kind="token",
        id=token.id,
        label=token.name,
        org_id=token.org_id,
        scope_path=token.org.path,
        permissions=frozenset(
            Permission(p) for p in token.permissions if p in Permission.__members__.values()
        ),
        request_id=request_id,
    )
