"""Sharing requests and grants (共享申请 / 授权).

A consumer department (an officer, its steward, or one of its systems through a token) asks for
fields of another department's published resource, for a purpose and on a legal basis:

- 无条件共享 (unconditional): granted at once, for the fields asked, personal fields masked;
  asking for personal fields *unmasked* always goes to the provider's steward;
- 有条件共享 (conditional): pending until the provider's steward approves — possibly fewer
  fields (with a reason), with an expiry, unmasked or not — or rejects it with a reason;
- 不予共享 (not shared): cannot be requested, on a page or through the API.

A grant can be revoked at once; the access API looks it up on every request, so a revocation
holds from the next request on, in every process. Every step is an event in the audit chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from tongban.catalog import resources
from tongban.catalog.models import Resource, ResourceStatus, SharingType
from tongban.catalog.schema import ResourceSchema, schema_of
from tongban.exchange.models import Grant, RequestStatus, SharingRequest
from tongban.kernel.audit import service as audit
from tongban.kernel.clock import now
from tongban.kernel.errors import (
    N_,
    FieldProblem,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tongban.kernel.orgs import service as orgs
from tongban.kernel.orgs.models import Organisation
from tongban.kernel.paging import Page, paginate
from tongban.kernel.permissions import Actor, Permission, require

AUTO_DECIDER = "自动（无条件共享）"
MAX_TEXT = 2000


@dataclass(frozen=True)
class RequestInput:
    resource_code: str
    purpose: str
    legal_basis: str
    fields: Sequence[str]
    serves: str = ""
    allow_sensitive: bool = False


@dataclass(frozen=True)
class Decision:
    """The provider's approval: fewer fields than asked (with a reason), an expiry, unmasked or not."""

    fields: Sequence[str] | None = None  # None: all the fields asked for
    expires_at: datetime | None = None
    allow_sensitive: bool = False
    reason: str = ""


# --- resources --------------------------------------------------------------------------------------


def provider_of(session: Session, resource: Resource) -> Organisation:
    return orgs.get(session, resource.provider_org_id)


# --- asking ---------------------------------------------------------------------------------------


def _consumer(session: Session, actor: Actor) -> Organisation:
    require(actor, Permission.SHARING_REQUEST)
    if actor.org_id is None:
        raise PermissionDenied(N_("Only a department can ask for shared data."), code="not_a_department")
    return orgs.get(session, actor.org_id)


def _check_request(data: RequestInput, schema: ResourceSchema) -> list[str]:
    problems: list[FieldProblem] = []
    if not data.purpose.strip():
        problems.append(FieldProblem("purpose", N_("State what the data is for.")))
    if not data.legal_basis.strip():
        problems.append(
            FieldProblem("legal_basis", N_("Name the law, regulation or document that allows it."))
        )
    for name, value in (
        ("purpose", data.purpose),
        ("legal_basis", data.legal_basis),
        ("serves", data.serves),
    ):
        if len(value) > MAX_TEXT:
            problems.append(FieldProblem(name, N_("This text is too long.")))
    wanted = list(dict.fromkeys(f.strip() for f in data.fields if f.strip()))
    if not wanted:
        problems.append(FieldProblem("fields", N_("Choose at least one field.")))
    unknown = [f for f in wanted if schema.field(f) is None]
    if unknown:
        problems.append(
            FieldProblem(
                "fields", N_("The resource has no field named {names}."), {"names": "、".join(unknown)}
            )
        )
    if problems:
        raise ValidationFailed(fields=problems)
    return wanted


def request_sharing(session: Session, actor: Actor, data: RequestInput) -> SharingRequest:
    """Ask for fields of a resource; unconditional resources are granted at once."""
    consumer = _consumer(session, actor)
    resource = resources.lookup(session, data.resource_code, published=True)
    if resource.sharing_type is SharingType.NOT_SHARED:
        raise PermissionDenied(
            N_("This resource is not shared (不予共享) and cannot be requested."), code="resource_not_shared"
        )
    if resource.provider_org_id == consumer.id:
        raise ValidationFailed(
            N_("Your department provides this resource; it needs no request."), code="own_resource"
        )
    schema = schema_of(resource)
    wanted = _check_request(data, schema)
    request = SharingRequest(
        resource_id=resource.id,
        consumer_org_id=consumer.id,
        requested_by=actor.label[:100],
        purpose=data.purpose.strip(),
        legal_basis=data.legal_basis.strip(),
        serves=data.serves.strip()[:200],
        fields=wanted,
        allow_sensitive=data.allow_sensitive,
        status=RequestStatus.PENDING,
        created_at=now(),
    )
    session.add(request)
    session.flush()
    audit.record(
        session,
        actor,
        "sharing.request",
        "sharing_request",
        request.id,
        {
            "resource": resource.code,
            "fields": wanted,
            "purpose": request.purpose,
            "legal_basis": request.legal_basis,
            "serves": request.serves,
            "allow_sensitive": request.allow_sensitive,
        },
        org_id=consumer.id,
    )
    personal = any(f.is_personal for f in schema.fields if f.name in wanted)
    if resource.sharing_type is SharingType.UNCONDITIONAL and not (data.allow_sensitive and personal):
        _grant(session, actor, request, wanted, None, allow_sensitive=False, decider=AUTO_DECIDER, reason="")
    return request


def _grant(
    session: Session,
    actor: Actor,
    request: SharingRequest,
    fields: list[str],
    expires_at: datetime | None,
    *,
    allow_sensitive: bool,
    decider: str,
    reason: str,
) -> Grant:
    moment = now()
    request.status = RequestStatus.APPROVED
    request.decided_by = decider[:100]
    request.decided_at = moment
    request.reason = reason
    grant = Grant(
        request_id=request.id,
        resource_id=request.resource_id,
        consumer_org_id=request.consumer_org_id,
        fields=fields,
        allow_sensitive=allow_sensitive,
        purpose=request.purpose,
        expires_at=expires_at,
        created_at=moment,
    )
    session.add(grant)
    session.flush()
    audit.record(
        session,
        actor,
        "sharing.grant",
        "grant",
        grant.id,
        {
            "request": request.id,
            "fields": fields,
            "allow_sensitive": allow_sensitive,
            "expires_at": expires_at.isoformat() if expires_at else None,
            "automatic": decider == AUTO_DECIDER,
            "reason": reason,
        },
        org_id=request.consumer_org_id,
    )
    return grant


def withdraw(session: Session, actor: Actor, request_id: int) -> SharingRequest:
    """The consumer takes back a request that is still pending."""
    request = get_request(session, actor, request_id)
    require(actor, Permission.SHARING_REQUEST, org_path=orgs.get(session, request.consumer_org_id).path)
    _ensure_pending(request)
    request.status = RequestStatus.WITHDRAWN
    request.decided_at = now()
    request.decided_by = actor.label[:100]
    audit.record(
        session, actor, "sharing.withdraw", "sharing_request", request.id, {}, org_id=request.consumer_org_id
    )
    return request


# --- deciding -------------------------------------------------------------------------------------


def _ensure_pending(request: SharingRequest) -> None:
    if request.status is not RequestStatus.PENDING:
        raise InvalidTransition(N_("This request has already been decided."), code="request_decided")


def _decidable(session: Session, actor: Actor, request_id: int) -> tuple[SharingRequest, Resource]:
    request = session.get(SharingRequest, request_id)
    if request is None:
        raise NotFound(N_("Sharing request not found."), code="request_not_found")
    resource = resources.lookup(session, request.resource_id)
    require(actor, Permission.SHARING_DECIDE, org_path=provider_of(session, resource).path)
    _ensure_pending(request)
    return request, resource


def approve(session: Session, actor: Actor, request_id: int, decision: Decision) -> Grant:
    """The provider's steward grants the request, possibly for fewer fields and until a date."""
    request, resource = _decidable(session, actor, request_id)
    fields = list(dict.fromkeys(decision.fields)) if decision.fields is not None else list(request.fields)
    problems: list[FieldProblem] = []
    if not fields:
        problems.append(FieldProblem("fields", N_("Choose at least one field.")))
    if set(fields) - set(request.fields):
        problems.append(FieldProblem("fields", N_("Only fields that were asked for can be granted.")))
    if set(fields) != set(request.fields) and not decision.reason.strip():
        problems.append(FieldProblem("reason", N_("Say why fewer fields are granted than asked for.")))
    if decision.expires_at is not None and decision.expires_at <= now():
        problems.append(FieldProblem("expires_at", N_("The end of a grant must be in the future.")))
    if decision.allow_sensitive and not request.allow_sensitive:
        problems.append(FieldProblem("allow_sensitive", N_("Personal fields were not asked for unmasked.")))
    if problems:
        raise ValidationFailed(fields=problems)
    fields = [f.name for f in schema_of(resource).fields if f.name in fields]  # the resource's order
    return _grant(
        session,
        actor,
        request,
        fields,
        decision.expires_at,
        allow_sensitive=decision.allow_sensitive,
        decider=actor.label,
        reason=decision.reason.strip()[:MAX_TEXT],
    )


def reject(session: Session, actor: Actor, request_id: int, reason: str) -> SharingRequest:
    request, _ = _decidable(session, actor, request_id)
    if not reason.strip():
        raise ValidationFailed(fields=[FieldProblem("reason", N_("Say why the request is rejected."))])
    request.status = RequestStatus.REJECTED
    request.decided_by = actor.label[:100]
    request.decided_at = now()
    request.reason = reason.strip()[:MAX_TEXT]
    audit.record(
        session,
        actor,
        "sharing.reject",
        "sharing_request",
        request.id,
        {"reason": request.reason},
        org_id=request.consumer_org_id,
    )
    return request


def revoke(session: Session, actor: Actor, grant_id: int, reason: str = "") -> Grant:
    """End a grant at once: the next request that relies on it is refused."""
    grant = session.get(Grant, grant_id)
    if grant is None:
        raise NotFound(N_("Grant not found."), code="grant_not_found")
    resource = resources.lookup(session, grant.resource_id)
    require(actor, Permission.SHARING_DECIDE, org_path=provider_of(session, resource).path)
    if grant.revoked_at is not None:
        raise InvalidTransition(N_("This grant is already revoked."), code="grant_revoked")
    grant.revoked_at = now()
    grant.revoked_by = actor.label[:100]
    audit.record(
        session,
        actor,
        "sharing.revoke",
        "grant",
        grant.id,
        {"reason": reason.strip()[:MAX_TEXT]},
        org_id=grant.consumer_org_id,
    )
    return grant


# --- reading --------------------------------------------------------------------------------------


def _visible_to_consumer(actor: Actor, request_org_path: str) -> bool:
    return actor.has(Permission.SHARING_REQUEST) and actor.can_act_for(request_org_path)


def get_request(session: Session, actor: Actor, request_id: int) -> SharingRequest:
    """A request, for its consumer department or the provider's deciders."""
    if not (actor.has(Permission.SHARING_REQUEST) or actor.has(Permission.SHARING_DECIDE)):
        require(actor, Permission.SHARING_REQUEST)
    request = session.get(SharingRequest, request_id)
    if request is None:
        raise NotFound(N_("Sharing request not found."), code="request_not_found")
    consumer_path = orgs.get(session, request.consumer_org_id).path
    provider_path = provider_of(session, resources.lookup(session, request.resource_id)).path
    if _visible_to_consumer(actor, consumer_path):
        return request
    if actor.has(Permission.SHARING_DECIDE) and actor.can_act_for(provider_path):
        return request
    raise PermissionDenied(N_("This belongs to an organisation outside your remit."), code="outside_scope")


def _provided_in_scope(actor: Actor) -> Select[int]:
    return select(Resource.id).where(Resource.provider_org_id.in_(orgs.org_ids_in_scope(actor)))


def list_requests(
    session: Session,
    actor: Actor,
    *,
    side: str = "consumer",
    status: RequestStatus | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[SharingRequest]:
    """The department's own requests (side "consumer") or those it decides (side "provider")."""
    statement = select(SharingRequest)
    if side == "provider":
        require(actor, Permission.SHARING_DECIDE)
        statement = statement.where(SharingRequest.resource_id.in_(_provided_in_scope(actor)))
    else:
        require(actor, Permission.SHARING_REQUEST)
        statement = statement.where(SharingRequest.consumer_org_id.in_(orgs.org_ids_in_scope(actor)))
    if status is not None:
        statement = statement.where(SharingRequest.status == status)
    statement = statement.order_by(SharingRequest.created_at.desc(), SharingRequest.id.desc())
    return paginate(session, statement, page, page_size)


def grant_state(grant: Grant, moment: datetime | None = None) -> str:
    """active, expired or revoked."""
    if grant.revoked_at is not None:
        return "revoked"
    if grant.expires_at is not None and grant.expires_at <= (moment or now()):
        return "expired"
    return "active"


def list_grants(
    session: Session,
    actor: Actor,
    *,
    side: str = "consumer",
    active_only: bool = False,
    page: int = 1,
    page_size: int = 50,
) -> Page[Grant]:
    """Grants the department holds (side "consumer") or has given (side "provider")."""
    statement = select(Grant)
    if side == "provider":
        require(actor, Permission.SHARING_DECIDE)
        statement = statement.where(Grant.resource_id.in_(_provided_in_scope(actor)))
    else:
        if not actor.has(Permission.DATA_ACCESS):
            require(actor, Permission.SHARING_REQUEST)
        statement = statement.where(Grant.consumer_org_id.in_(orgs.org_ids_in_scope(actor)))
    if active_only:
        moment = now()
        statement = statement.where(
            Grant.revoked_at.is_(None), or_(Grant.expires_at.is_(None), Grant.expires_at > moment)
        )
    statement = statement.order_by(Grant.created_at.desc(), Grant.id.desc())
    return paginate(session, statement, page, page_size)


def labels(
    session: Session, resource_ids: Sequence[int], org_ids: Sequence[int]
) -> dict[str, dict[int, str]]:
    """Names to show in lists: resources (code and name) and organisations."""
    resources = {
        r.id: f"{r.name}（{r.code}）"
        for r in session.scalars(select(Resource).where(Resource.id.in_(set(resource_ids))))
    }
    organisations = {
        o.id: o.name for o in session.scalars(select(Organisation).where(Organisation.id.in_(set(org_ids))))
    }
    return {"resources": resources, "orgs": organisations}


def requestable_resources(session: Session, actor: Actor) -> list[Resource]:
    """Published resources of other departments that can be requested (for the request form)."""
    require(actor, Permission.SHARING_REQUEST)
    statement = (
        select(Resource)
        .where(
            Resource.status == ResourceStatus.PUBLISHED,
            Resource.sharing_type != SharingType.NOT_SHARED,
            Resource.provider_org_id != (actor.org_id or 0),
        )
        .order_by(Resource.code)
    )
    return list(session.scalars(statement))
