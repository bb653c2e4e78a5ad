"""Use cases of corrections (数据纠错 / 异议): file, list, accept, reject, withdraw, flag overdue.

Who may dispute what: an enterprise user only its enterprise's data (by USCC), a citizen only
his own (by resident ID); officers and stewards any subject. The ticket goes to the department
providing the resource; its steward decides within ``N`` working days (per department, default
5; ``set_deadline_days``). Accepting writes a new record version through a one-row correction
load (``exchange.loads.correct_record``), so the value reaches profiles and consumers through the
change feed; the old version stays readable in the history. The disputant is told either way,
in the inbox. Every step is audited in the same transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from tongban.catalog import resources
from tongban.catalog.domain import check_value
from tongban.catalog.models import Resource, ResourceStatus, SubjectKind
from tongban.catalog.schema import FieldSchema, ResourceSchema
from tongban.exchange import loads, records, usage
from tongban.exchange.records import RecordVersion
from tongban.governance import conflicts
from tongban.governance import corrections_domain as domain
from tongban.governance.correction_models import Correction, CorrectionDeadline
from tongban.governance.corrections_domain import Action, Status
from tongban.kernel import workdays
from tongban.kernel.accounts.models import User
from tongban.kernel.audit import service as audit
from tongban.kernel.clock import now, today
from tongban.kernel.errors import (
    N_,
    FieldProblem,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tongban.kernel.orgs import service as orgs
from tongban.kernel.orgs.models import Organisation
from tongban.kernel.paging import Page, paginate
from tongban.kernel.permissions import PUBLIC_ROLES, Actor, Permission, Role, require
from tongban.notify import service as notify

ATTACHMENT_DIR = "attachments"


# --- what is disputed -------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A value someone may dispute: the resource's field in one current record of the subject."""

    subject: str
    resource: Resource
    schema: ResourceSchema
    field: FieldSchema
    record: RecordVersion
    choices: list[RecordVersion]  # every current record of the subject (years …), by key

    @property
    def value(self) -> Any:
        return self.record.values.get(self.field.name)


def _check_subject(session: Session, actor: Actor, subject: str) -> None:
    """Enterprise users and citizens may only dispute data about themselves."""
    if actor.role in PUBLIC_ROLES and usage.own_subject(session, actor) != subject:
        raise PermissionDenied(
            N_("You may only dispute data about your own enterprise or yourself."), code="other_enterprise"
        )


def target(
    session: Session,
    actor: Actor,
    subject: str,
    resource_code: str,
    field: str,
    record_key: str | None = None,
) -> Target:
    """The value a dispute is about, with the checks of who may dispute it; ``NotFound`` when the
    resource holds no such value for the subject."""
    require(actor, Permission.CORRECTION_FILE)
    subject = subject.strip()
    _check_subject(session, actor, subject)
    resource = resources.lookup(session, resource_code, published=True)
    schema = resources.schema_for(session, resource.id)
    found = schema.field(field)
    if found is None or found.is_subject or found.is_key:
        raise NotFound(N_("The resource has no such field to correct."), code="field_not_found")
    choices = records.current_for_subject(session, resource.id, subject) if subject else []
    if not choices:
        raise NotFound(N_("The resource holds no record about this subject."), code="record_not_found")
    chosen = next((r for r in choices if r.record_key == record_key), None) if record_key else None
    if record_key and chosen is None:
        raise NotFound(N_("The resource holds no record about this subject."), code="record_not_found")
    return Target(subject, resource, schema, found, chosen or choices[-1], choices)


def disputable_resources(session: Session, actor: Actor) -> list[Resource]:
    """Published resources about subjects (for the form's resource picker)."""
    require(actor, Permission.CORRECTION_FILE)
    statement = select(Resource).where(
        Resource.status == ResourceStatus.PUBLISHED, Resource.subject_kind != SubjectKind.NONE
    )
    if actor.role is Role.CITIZEN:
        statement = statement.where(Resource.subject_kind == SubjectKind.RIC)
    elif actor.role is Role.ENTERPRISE:
        statement = statement.where(Resource.subject_kind == SubjectKind.USCC)
    return list(session.scalars(statement.order_by(Resource.code)))


# --- filing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filing:
    subject: str
    resource_code: str
    field: str
    proposed_value: str
    explanation: str
    record_key: str | None = None
    attribute: str = ""


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


def deadline_days(session: Session, org_id: int) -> int:
    configured = session.scalar(
        select(CorrectionDeadline.working_days).where(CorrectionDeadline.org_id == org_id)
    )
    return configured or domain.DEFAULT_WORKING_DAYS


def _region(org: Organisation) -> str | None:
    code = org.region_code or ""
    return code if code.isdigit() else None


def deadline_for(session: Session, org: Organisation, filed: date) -> date:
    """The last working day to decide a ticket filed on ``filed`` (region's calendar)."""
    days = deadline_days(session, org.id)
    try:
        return workdays.add_working_days(filed, days, _region(org))
    except ValueError:  # an organisation without a usable region code
        return workdays.add_working_days(filed, days)


def _check_proposed(field: FieldSchema, current: Any, proposed: str) -> None:
    checked = check_value(field.spec, proposed)
    if not checked.valid:
        raise ValidationFailed(
            fields=[
                FieldProblem(
                    "proposed_value", checked.reason or N_("This value is not valid."), checked.params or {}
                )
            ]
        )
    canonical = conflicts.canonical(checked.value)
    if canonical == conflicts.canonical(current):
        raise ValidationFailed(
            fields=[FieldProblem("proposed_value", N_("This is the value already recorded."))]
        )


def _store(upload: Upload, storage: Path) -> tuple[str, domain.AttachmentCheck]:
    checked = domain.check_attachment(upload.filename, len(upload.content), upload.content[:16])
    relative = f"corrections/{uuid.uuid4().hex}{checked.extension}"
    path = storage / ATTACHMENT_DIR / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(upload.content)
    return relative, checked


def file_correction(
    session: Session,
    actor: Actor,
    filing: Filing,
    upload: Upload | None = None,
    *,
    storage: Path | None = None,
) -> Correction:
    """File a dispute; ``storage`` is the data directory (attachments go under ``attachments/``)."""
    require(actor, Permission.CORRECTION_FILE)
    if actor.kind != "user" or actor.id is None:
        raise PermissionDenied(N_("Only a person can dispute a value."), code="person_only")
    problems = domain.check_filing(filing.explanation, filing.proposed_value)
    if problems:
        raise ValidationFailed(fields=problems)
    found = target(session, actor, filing.subject, filing.resource_code, filing.field, filing.record_key)
    _check_proposed(found.field, found.value, filing.proposed_value)
    if upload is not None and upload.filename and storage is None:
        raise ValidationFailed(fields=[FieldProblem("attachment", N_("Attachments cannot be stored here."))])
    department = orgs.get(session, found.resource.provider_org_id)
    ticket = Correction(
        disputant_id=actor.id,
        disputant_label=(session.scalar(select(User.display_name).where(User.id == actor.id)) or actor.label)[
            :100
        ],
        subject=found.subject,
        resource_id=found.resource.id,
        resource_code=found.resource.code,
        record_key=found.record.record_key,
        field=found.field.name,
        element_key=found.field.element_key,
        attribute=filing.attribute.strip()[:100],
        disputed_value=json.dumps(found.value, ensure_ascii=False),
        proposed_value=filing.proposed_value.strip(),
        explanation=filing.explanation.strip(),
        status=Status.OPEN,
        org_id=department.id,
        deadline=deadline_for(session, department, today()),
        created_at=now(),
    )
    if upload is not None and upload.filename and storage is not None:
        relative, checked = _store(upload, storage)
        ticket.attachment_path = relative
        ticket.attachment_name = checked.name
        ticket.attachment_size = len(upload.content)
        ticket.attachment_type = checked.content_type
    session.add(ticket)
    session.flush()
    audit.record(
        session,
        actor,
        "correction.file",
        "correction",
        ticket.id,
        {"resource": ticket.resource_code, "field": ticket.field, "deadline": ticket.deadline.isoformat()},
        org_id=department.id,
    )
    return ticket


# --- reading ----------------------------------------------------------------------------------


def _mine(session: Session, actor: Actor) -> Any:
    """Tickets a disputant sees: his own, and an enterprise user those about his enterprise."""
    if actor.id is None:
        raise PermissionDenied()
    if actor.role is Role.ENTERPRISE and actor.uscc:
        return or_(Correction.disputant_id == actor.id, Correction.subject == actor.uscc)
    return Correction.disputant_id == actor.id


def list_mine(
    session: Session, actor: Actor, *, status: Status | None = None, page: int = 1, page_size: int = 20
) -> Page[Correction]:
    """The disputant's tickets, newest first (the portal's "my corrections")."""
    require(actor, Permission.CORRECTION_FILE)
    statement = select(Correction).where(_mine(session, actor))
    if status is not None:
        statement = statement.where(Correction.status == status)
    return paginate(session, statement.order_by(Correction.id.desc()), page, page_size)


@dataclass(frozen=True)
class TicketFilter:
    status: Status | None = Status.OPEN
    resource_code: str | None = None
    org_id: int | None = None
    overdue_only: bool = False


def _workbench(actor: Actor) -> None:
    if not actor.is_authenticated:
        raise NotAuthenticated()
    if not (actor.has(Permission.CORRECTION_DECIDE) or actor.has(Permission.GOVERNANCE_READ)):
        raise PermissionDenied()


def _filtered(actor: Actor, filters: TicketFilter) -> Select[Any]:
    statement = select(Correction).where(Correction.org_id.in_(orgs.org_ids_in_scope(actor)))
    if filters.status is not None:
        statement = statement.where(Correction.status == filters.status)
    if filters.resource_code:
        statement = statement.where(Correction.resource_code == filters.resource_code)
    if filters.org_id is not None:
        statement = statement.where(Correction.org_id == filters.org_id)
    if filters.overdue_only:
        statement = statement.where(Correction.status == Status.OPEN, Correction.deadline < today())
    return statement


def list_for_department(
    session: Session, actor: Actor, filters: TicketFilter | None = None, *, page: int = 1, page_size: int = 50
) -> Page[Correction]:
    """Tickets about the actor's department's data (stewards), or its region's (administrators and
    leaders, read-only), nearest deadline first."""
    _workbench(actor)
    statement = _filtered(actor, filters or TicketFilter())
    return paginate(session, statement.order_by(Correction.deadline, Correction.id), page, page_size)


def export_for_department(
    session: Session, actor: Actor, filters: TicketFilter | None = None
) -> list[Correction]:
    _workbench(actor)
    statement = _filtered(actor, filters or TicketFilter()).order_by(Correction.deadline, Correction.id)
    return list(session.scalars(statement.limit(50_000)))


def is_overdue(ticket: Correction, on: date | None = None) -> bool:
    return domain.is_overdue(ticket.status, ticket.deadline, on or today())


def current_value(session: Session, ticket: Correction) -> tuple[bool, Any]:
    """Whether the disputed record still exists, and the field's value in it now."""
    version = records.current(session, ticket.resource_id, ticket.record_key)
    return (version is not None, version.values.get(ticket.field) if version is not None else None)


def may_decide(session: Session, actor: Actor, ticket: Correction) -> bool:
    return actor.has(Permission.CORRECTION_DECIDE) and actor.can_act_for(
        orgs.get(session, ticket.org_id).path
    )


def is_disputant(actor: Actor, ticket: Correction) -> bool:
    """The person who filed it, or (for an enterprise's dispute) a colleague at that enterprise."""
    if actor.kind != "user":
        return False
    return actor.id == ticket.disputant_id or (
        actor.role is Role.ENTERPRISE and actor.uscc is not None and actor.uscc == ticket.subject
    )


def get_correction(session: Session, actor: Actor, correction_id: int) -> Correction:
    """One ticket, for its disputant (and his enterprise) or staff with the department in remit."""
    ticket = session.get(Correction, correction_id)
    if ticket is None:
        raise NotFound(N_("Correction not found."), code="correction_not_found")
    if is_disputant(actor, ticket):
        return ticket
    _workbench(actor)
    require(actor, Permission.WORKBENCH_USE, org_path=orgs.get(session, ticket.org_id).path)
    return ticket


def attachment_path(
    session: Session, actor: Actor, correction_id: int, storage: Path
) -> tuple[Path, Correction]:
    ticket = get_correction(session, actor, correction_id)
    if not ticket.attachment_path:
        raise NotFound(N_("This correction has no attachment."), code="attachment_not_found")
    path = (storage / ATTACHMENT_DIR / ticket.attachment_path).resolve()
    if not path.is_file() or (storage / ATTACHMENT_DIR).resolve() not in path.parents:
        raise NotFound(N_("This correction has no attachment."), code="attachment_not_found")
    return path, ticket


# --- deciding ---------------------------------------------------------------------------------


def _decidable(session: Session, actor: Actor, correction_id: int) -> Correction:
    ticket = session.get(Correction, correction_id)
    if ticket is None:
        raise NotFound(N_("Correction not found."), code="correction_not_found")
    require(actor, Permission.CORRECTION_DECIDE, org_path=orgs.get(session, ticket.org_id).path)
    return ticket


def _close(ticket: Correction, actor: Actor, status: Status, reason: str) -> None:
    ticket.status = status
    ticket.decided_by = actor.label[:100]
    ticket.decided_at = now()
    ticket.reason = reason


def _tell_disputant(session: Session, ticket: Correction, subject: str, body: str) -> None:
    notify.send_translated(
        session,
        ticket.disputant_id,
        subject,
        body,
        f"/portal/corrections/{ticket.id}"
        if _is_public(session, ticket.disputant_id)
        else f"/workbench/corrections/{ticket.id}",
        id=ticket.id,
        field=ticket.field,
        value=ticket.proposed_value,
        reason=ticket.reason,
    )


def _is_public(session: Session, user_id: int) -> bool:
    role = session.scalar(select(User.role).where(User.id == user_id))
    return role in PUBLIC_ROLES


def accept(session: Session, actor: Actor, correction_id: int, note: str = "") -> Correction:
    """Accept: write the proposed value as a new version of the record, then tell the disputant."""
    ticket = _decidable(session, actor, correction_id)
    target_status = domain.next_status(ticket.status, Action.ACCEPT)
    text = domain.require_reason(Action.ACCEPT, note)
    load = loads.correct_record(
        session,
        actor,
        ticket.resource_code,
        ticket.record_key,
        {ticket.field: ticket.proposed_value},
        f"纠错 #{ticket.id}",
    )
    _close(ticket, actor, target_status, text)
    ticket.load_id = load.id
    audit.record(
        session,
        actor,
        "correction.accept",
        "correction",
        ticket.id,
        {"load": load.id, "resource": ticket.resource_code, "field": ticket.field},
        org_id=ticket.org_id,
    )
    _tell_disputant(
        session,
        ticket,
        N_("Your correction #{id} was accepted"),
        N_("The value of {field} is now {value}. Thank you for helping keep the data right."),
    )
    conflicts.refresh_subject(session, ticket.subject)
    session.flush()
    return ticket


def reject(session: Session, actor: Actor, correction_id: int, reason: str) -> Correction:
    """Reject with a reason, and tell the disputant why."""
    ticket = _decidable(session, actor, correction_id)
    target_status = domain.next_status(ticket.status, Action.REJECT)
    text = domain.require_reason(Action.REJECT, reason)
    _close(ticket, actor, target_status, text)
    audit.record(
        session,
        actor,
        "correction.reject",
        "correction",
        ticket.id,
        {"reason": text[:200]},
        org_id=ticket.org_id,
    )
    _tell_disputant(
        session, ticket, N_("Your correction #{id} was rejected"), N_("The department's reason: {reason}")
    )
    session.flush()
    return ticket


def withdraw(session: Session, actor: Actor, correction_id: int) -> Correction:
    """The disputant takes the ticket back while it is open."""
    require(actor, Permission.CORRECTION_FILE)
    ticket = session.get(Correction, correction_id)
    if ticket is None:
        raise NotFound(N_("Correction not found."), code="correction_not_found")
    if not is_disputant(actor, ticket):
        raise PermissionDenied(N_("Only the person who filed a dispute may withdraw it."))
    _close(ticket, actor, domain.next_status(ticket.status, Action.WITHDRAW), "")
    audit.record(session, actor, "correction.withdraw", "correction", ticket.id, org_id=ticket.org_id)
    session.flush()
    return ticket


def set_deadline_days(session: Session, actor: Actor, org_id: int, days: int) -> CorrectionDeadline:
    """How many working days the department has to decide (its steward, or an administrator)."""
    org = orgs.get(session, org_id)
    if not actor.has(Permission.CONFLICT_RESOLVE):
        require(actor, Permission.CORRECTION_DECIDE, org_path=org.path)
    else:
        require(actor, Permission.CONFLICT_RESOLVE, org_path=org.path)
    domain.check_deadline_days(days)
    row = session.scalar(select(CorrectionDeadline).where(CorrectionDeadline.org_id == org_id))
    if row is None:
        row = CorrectionDeadline(org_id=org_id, working_days=days)
        session.add(row)
    row.working_days = days
    row.updated_by = actor.label[:100]
    row.updated_at = now()
    audit.record(
        session, actor, "correction.deadline", "organisation", org_id, {"working_days": days}, org_id=org_id
    )
    session.flush()
    return row


def flag_overdue(session: Session, actor: Actor) -> list[Correction]:
    """Flag open tickets past their deadline (once each) and tell the department's stewards."""
    require(actor, Permission.CORRECTION_DECIDE)
    due = list(
        session.scalars(
            select(Correction)
            .where(
                Correction.status == Status.OPEN,
                Correction.deadline < today(),
                Correction.overdue_flagged_at.is_(None),
                Correction.org_id.in_(orgs.org_ids_in_scope(actor)),
            )
            .order_by(Correction.id)
        )
    )
    for ticket in due:
        ticket.overdue_flagged_at = now()
        audit.record(
            session,
            actor,
            "correction.overdue",
            "correction",
            ticket.id,
            {"deadline": ticket.deadline.isoformat()},
            org_id=ticket.org_id,
        )
        for steward_id in _stewards(session, ticket.org_id):
            notify.send_translated(
                session,
                steward_id,
                N_("Correction #{id} is overdue"),
                N_("The deadline was {deadline}; please decide it."),
                f"/workbench/corrections/{ticket.id}",
                id=ticket.id,
                deadline=ticket.deadline,
            )
    session.flush()
    return due


def _stewards(session: Session, org_id: int) -> Sequence[int]:
    return list(
        session.scalars(
            select(User.id).where(User.org_id == org_id, User.role == Role.STEWARD, User.active.is_(True))
        )
    )
