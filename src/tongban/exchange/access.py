"""Access and verification for consumer systems (API tokens holding ``data.access``).

Every call is checked against the consumer department's grant (one indexed query joined with
the resource). The API may serve that lookup from a per-process cache, but only while the audit
chain's head is where it was when the entry was cached (``generation``): a revocation is an audit
event in the same transaction, so it refuses the very next request in every process; expiry is
checked against the clock on every call. The resource's shape is cached by id and version.

Each call fills an ``Attempt`` as it learns who, which grant, which fields and which subjects;
the API layer turns it into the access-log entry — for the data it returns *and* for every
refusal — and sends nothing before that entry is committed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime, time
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from tongban.catalog import resources
from tongban.catalog.models import Resource, ResourceStatus, SubjectKind
from tongban.catalog.schema import ResourceSchema
from tongban.exchange import disclosure, records
from tongban.exchange.access_log import OK, AccessDraft
from tongban.exchange.models import AccessKind, Grant, Record
from tongban.exchange.records import RecordVersion
from tongban.kernel.audit.models import AuditHead
from tongban.kernel.clock import LOCAL_ZONE, now
from tongban.kernel.codes.validators import validate
from tongban.kernel.errors import N_, FieldProblem, NotFound, PermissionDenied, ValidationFailed
from tongban.kernel.permissions import Actor, Permission, require

MAX_PAGE = 500
RESOURCE_CODE_LENGTH = 60
CACHE_LIMIT = 10_000


@dataclass
class LookupCache:
    """One application's (one process's) cached lookups: resource shapes by id and version;
    grants and tokens tagged with the audit generation they were read at (see ``generation``)."""

    schemas: dict[tuple[int, int], ResourceSchema] = dataclass_field(default_factory=dict)
    grants: dict[tuple[int, str], tuple[int, list[Any]]] = dataclass_field(default_factory=dict)
    tokens: dict[str, Any] = dataclass_field(default_factory=dict)

    @staticmethod
    def put(store: dict[Any, Any], key: Any, value: Any) -> None:
        if len(store) >= CACHE_LIMIT:
            store.clear()
        store[key] = value


@dataclass
class Attempt:
    """What one call did or tried, as the access log records it."""

    kind: AccessKind
    request_id: str = ""
    actor: Actor | None = None
    resource_id: int | None = None
    provider_org_id: int | None = None
    grant_id: int | None = None
    purpose: str = ""
    fields: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    generation: int | None = None  # set with ``cache`` when lookups may come from it
    cache: LookupCache | None = None
    # (resource id, subject key, rows) read with the generation when the cache predicted them
    prefetched: tuple[int, str, list[Any]] | None = None

    def draft(self, outcome: str = OK) -> AccessDraft:
        actor = self.actor
        known = actor is not None and actor.is_authenticated
        return AccessDraft(
            kind=self.kind,
            outcome=outcome,
            actor_kind=actor.kind if actor is not None else "anonymous",
            actor_label=actor.label if actor is not None else "anonymous",
            consumer_org_id=actor.org_id if actor is not None else None,
            token_id=actor.id if actor is not None and actor.kind == "token" else None,
            purpose=self.purpose,
            grant_id=self.grant_id,
            resource_id=self.resource_id,
            provider_org_id=self.provider_org_id,
            fields=self.fields,
            # A caller nobody knows cannot be attributed: its tries do not show in people's records.
            subjects=self.subjects if known else (),
            subject_count=len(set(self.subjects)),
            request_id=self.request_id,
        )


@dataclass(frozen=True)
class GrantedAccess:
    schema: ResourceSchema
    grant_id: int
    fields: tuple[str, ...]  # granted, in the resource's order
    allow_sensitive: bool
    purpose: str


# The resource and the consumer's grants for it, in one query built once (bound per call).
_GRANTS = (
    select(
        Resource.id,
        Resource.version,
        Resource.status,
        Resource.provider_org_id,
        Grant.id.label("grant_id"),
        Grant.fields,
        Grant.allow_sensitive,
        Grant.purpose,
        Grant.expires_at,
        Grant.revoked_at,
    )
    .select_from(Resource)
    .outerjoin(Grant, and_(Grant.resource_id == Resource.id, Grant.consumer_org_id == bindparam("consumer")))
    .where(Resource.code == bindparam("code"))
)


# The hot path of by-subject reads: records.current_for_subject as one compiled Core query
# (same rows, same order), without building ORM objects.
_CURRENT = (
    select(Record.data, Record.valid_from)
    .where(Record.subject == bindparam("subject"), Record.resource_id == bindparam("resource"))
    .where(Record.valid_to.is_(None))
    .order_by(Record.record_key)
)


def generation(session: Session) -> int:
    """The audit chain's length: it grows in the same transaction as every change of a token, a
    grant, a resource or an organisation (DESIGN §5), so an unchanged value proves that nothing a
    cached lookup relies on has changed — in any process. Read it *before* the lookups it guards."""
    return int(session.connection().scalar(_GENERATION) or 0)


_GENERATION = select(AuditHead.seq).where(AuditHead.id == 1)

# The generation and one subject's current records in a single statement (one round trip): the
# head row always exists, the records join to it (none: one row of nulls).
_GENERATION_AND_CURRENT = (
    select(AuditHead.seq, Record.data, Record.valid_from)
    .select_from(AuditHead)
    .outerjoin(
        Record,
        and_(
            Record.subject == bindparam("subject"),
            Record.resource_id == bindparam("resource"),
            Record.valid_to.is_(None),
        ),
    )
    .where(AuditHead.id == 1)
    .order_by(Record.record_key)
)


def generation_with_records(
    session: Session, attempt: Attempt, org_id: int | None, resource_code: str, subject: str
) -> int:
    """``generation``, and — when the cache already names the resource this by-subject read will
    be granted on — that subject's current records read in the same statement, kept on the attempt
    for ``read_subject`` to use if the checks confirm the prediction. Saves a round trip per call."""
    cache = attempt.cache
    cached = cache.grants.get((org_id, resource_code)) if cache is not None and org_id is not None else None
    schema = None
    if cached and cached[1] and cache is not None:
        first = cached[1][0]
        schema = cache.schemas.get((first.id, first.version))
    if schema is None or schema.subject_kind is SubjectKind.NONE:
        return generation(session)
    verdict = validate(schema.subject_kind.value, subject.strip().upper())
    if not verdict.valid:
        return generation(session)
    rows = session.connection().execute(
        _GENERATION_AND_CURRENT, {"resource": schema.resource_id, "subject": verdict.value}
    ).all()
    attempt.prefetched = (schema.resource_id, verdict.value, [r for r in rows if r.data is not None])
    return int(rows[0].seq or 0)


def _grant_rows(session: Session, org_id: int, code: str, attempt: Attempt) -> list[Any]:
    """The resource and the consumer's grants: from the cache while the generation is unchanged
    (expiry is checked on every call against the clock), else from the database."""
    key = (org_id, code)
    cache, seen = attempt.cache, attempt.generation
    if cache is not None and seen is not None:
        cached = cache.grants.get(key)
        if cached is not None and cached[0] == seen:
            return cached[1]
    rows = list(session.connection().execute(_GRANTS, {"code": code, "consumer": org_id}).all())
    if cache is not None and seen is not None:
        cache.put(cache.grants, key, (seen, rows))
    return rows


def refused(message: str, code: str) -> PermissionDenied:
    return PermissionDenied(message, code=code)


def _schema(session: Session, resource_id: int, version: int, cache: LookupCache | None) -> ResourceSchema:
    if cache is not None and (cached := cache.schemas.get((resource_id, version))) is not None:
        return cached
    schema = resources.schema_for(session, resource_id)
    if cache is not None:
        cache.put(cache.schemas, (resource_id, version), schema)
    return schema


def _pick_grant(rows: Sequence[Any], grant_id: int | None, moment: datetime) -> Any:
    """The grant relied on: the one named, or the newest active one; refusal codes otherwise."""
    grants = [r for r in rows if r.grant_id is not None and (grant_id is None or r.grant_id == grant_id)]
    active = [r for r in grants if r.revoked_at is None and (r.expires_at is None or r.expires_at > moment)]
    if active:
        return max(active, key=lambda r: r.grant_id)
    if not grants:
        raise refused(N_("Your department holds no grant for this resource."), "no_grant")
    newest = max(grants, key=lambda r: r.grant_id)
    if newest.revoked_at is not None:
        raise refused(N_("The grant for this resource has been revoked."), "grant_revoked")
    raise refused(N_("The grant for this resource has expired."), "grant_expired")


def authorise(
    session: Session, actor: Actor, resource_code: str, attempt: Attempt, grant_id: int | None = None
) -> GrantedAccess:
    """Check the consumer's grant for the resource: looked up afresh, or cached while nothing changed."""
    attempt.actor = actor
    require(actor, Permission.DATA_ACCESS)
    if actor.org_id is None:
        raise refused(N_("Only a department can use shared data."), "not_a_department")
    if "\x00" in resource_code or len(resource_code) > RESOURCE_CODE_LENGTH:
        raise NotFound(N_("No published resource has this code."), code="resource_not_found")
    rows = _grant_rows(session, actor.org_id, resource_code, attempt)
    if not rows or rows[0].status is not ResourceStatus.PUBLISHED:
        raise NotFound(N_("No published resource has this code."), code="resource_not_found")
    first = rows[0]
    attempt.resource_id = first.id
    attempt.provider_org_id = first.provider_org_id
    chosen = _pick_grant(rows, grant_id, now())
    attempt.grant_id = chosen.grant_id
    attempt.purpose = chosen.purpose
    schema = _schema(session, first.id, first.version, attempt.cache)
    granted = tuple(name for name in schema.field_names if name in set(chosen.fields))
    attempt.fields = granted
    return GrantedAccess(schema, chosen.grant_id, granted, bool(chosen.allow_sensitive), chosen.purpose)


def narrow(access: GrantedAccess, wanted: Sequence[str] | None, attempt: Attempt) -> tuple[str, ...]:
    """The fields to return: all granted ones, or those asked for — each of which must be granted."""
    if not wanted:
        return access.fields
    asked = tuple(dict.fromkeys(w.strip() for w in wanted if w.strip()))
    attempt.fields = asked
    if set(asked) - set(access.fields):
        raise refused(N_("Some of the fields asked for are not in your grant."), "field_not_granted")
    return tuple(name for name in access.fields if name in asked)


def normalise_subject(schema: ResourceSchema, subject: str) -> str:
    kind = schema.subject_kind
    if kind is SubjectKind.NONE:
        raise ValidationFailed(N_("This resource is not about persons or enterprises."), code="no_subjects")
    verdict = validate(kind.value, subject.strip().upper())
    if not verdict.valid:
        raise ValidationFailed(
            fields=[
                FieldProblem(
                    "subject", verdict.reason or N_("This value is not valid."), verdict.params or {}
                )
            ]
        )
    return verdict.value


def _record_view(access: GrantedAccess, fields: Sequence[str], version: RecordVersion) -> dict[str, Any]:
    return {"fields": disclosure.disclose(access.schema, fields, version.values, access.allow_sensitive)}


def _envelope(access: GrantedAccess, fields: Sequence[str]) -> dict[str, Any]:
    return {
        "resource": access.schema.code,
        "grant_id": access.grant_id,
        "purpose": access.purpose,
        "fields": list(fields),
        "masked": disclosure.masked_fields(access.schema, fields, access.allow_sensitive),
    }


def _current_rows(session: Session, resource_id: int, key: str, attempt: Attempt) -> list[Any]:
    """One subject's current records: those read with the generation if they were predicted
    right, else from a query now."""
    prefetched = attempt.prefetched
    if prefetched is not None and prefetched[:2] == (resource_id, key):
        return prefetched[2]
    return list(session.connection().execute(_CURRENT, {"resource": resource_id, "subject": key}))


def read_subject(
    session: Session,
    actor: Actor,
    resource_code: str,
    subject: str,
    attempt: Attempt,
    *,
    fields: Sequence[str] | None = None,
    grant_id: int | None = None,
) -> dict[str, Any]:
    """The current records of one subject: granted fields only, personal ones masked unless allowed."""
    attempt.subjects = (subject.strip().upper(),)  # refused callers show in the person's record too
    access = authorise(session, actor, resource_code, attempt, grant_id)
    chosen = narrow(access, fields, attempt)
    key = normalise_subject(access.schema, subject)
    attempt.subjects = (key,)
    rows = _current_rows(session, access.schema.resource_id, key, attempt)
    found = [
        {
            "valid_from": row.valid_from.isoformat(),
            "fields": disclosure.disclose(
                access.schema, chosen, json.loads(row.data), access.allow_sensitive
            ),
        }
        for row in rows
    ]
    return {**_envelope(access, chosen), "subject": key, "found": bool(found), "records": found}


def read_page(
    session: Session,
    actor: Actor,
    resource_code: str,
    attempt: Attempt,
    *,
    after: int = 0,
    limit: int = 100,
    changes: bool = False,
    fields: Sequence[str] | None = None,
    grant_id: int | None = None,
) -> dict[str, Any]:
    """A page of current records in cursor order (bulk), or of every new version since a cursor
    (``changes``); the cursor of the last item is where the next page starts."""
    access = authorise(session, actor, resource_code, attempt, grant_id)
    chosen = narrow(access, fields, attempt)
    limit = min(max(1, limit), MAX_PAGE)
    resource_id = access.schema.resource_id
    page = (
        records.changes_since(session, resource_id, after, limit)
        if changes
        else records.current_page(session, resource_id, after, limit)
    )
    attempt.subjects = tuple(dict.fromkeys(v.subject for v in page.items if v.subject))
    items = []
    for version in page.items:
        item: dict[str, Any] = {"cursor": version.id, "valid_from": version.valid_from.isoformat()}
        if changes:
            item["valid_to"] = version.valid_to.isoformat() if version.valid_to else None
        items.append(item | _record_view(access, chosen, version))
    return {
        **_envelope(access, chosen),
        "changes" if changes else "records": items,
        "next": page.cursor,
        "more": page.has_more,
    }


def verify(
    session: Session,
    actor: Actor,
    resource_code: str,
    subject: str,
    question: disclosure.Question,
    attempt: Attempt,
    *,
    grant_id: int | None = None,
) -> dict[str, Any]:
    """Answer yes, no or unknown about one subject without returning any of its data (可用不可见)."""
    attempt.subjects = (subject.strip().upper(),)
    access = authorise(session, actor, resource_code, attempt, grant_id)
    narrow(access, question.fields_used, attempt)
    key = normalise_subject(access.schema, subject)
    attempt.subjects = (key,)
    prepared = disclosure.prepare(access.schema, question)
    if question.on is not None and not (question.valid_from or question.valid_to):
        # No validity fields named: the records as the hub held them at the end of that day.
        moment = datetime.combine(question.on, time.max, tzinfo=LOCAL_ZONE)
        values = [v.values for v in records.subject_at(session, access.schema.resource_id, key, moment)]
    else:
        rows = _current_rows(session, access.schema.resource_id, key, attempt)
        values = [json.loads(row.data) for row in rows]
    result = disclosure.answer(prepared, values, access.schema.full_coverage)
    return {"resource": access.schema.code, "grant_id": access.grant_id, "subject": key, "answer": result}
