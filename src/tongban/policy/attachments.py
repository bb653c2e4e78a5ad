"""Files attached to a policy (the signed document, application form templates …).

Stored like corrections' attachments: under the data directory's ``attachments/`` folder
(``attachments/policies/<random>.<ext>``), with the same limits — PDF, JPG, PNG, DOCX or XLSX,
at most 5 MB, the content matching its type (``corrections_domain.check_attachment``). The
SHA-256 digest is kept so a download can be verified. Officers of the issuing department attach
files; staff who read its policies download them; once a policy has a published item anyone
may download its files from the public library. Every upload is audited.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongban.governance.corrections_domain import MAX_ATTACHMENT_BYTES, check_attachment
from tongban.kernel.audit import service as audit
from tongban.kernel.errors import N_, FieldProblem, NotFound, ValidationFailed
from tongban.kernel.orgs import service as orgs
from tongban.kernel.permissions import Actor, Permission, require
from tongban.policy import service
from tongban.policy.models import PolicyAttachment

ATTACHMENT_DIR = "attachments"
SUBDIRECTORY = "policies"
MAX_BYTES = MAX_ATTACHMENT_BYTES
MAX_PER_POLICY = 20


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


def attachments_of(session: Session, policy_id: int) -> list[PolicyAttachment]:
    statement = select(PolicyAttachment).where(PolicyAttachment.policy_id == policy_id)
    return list(session.scalars(statement.order_by(PolicyAttachment.id)))


def add(session: Session, actor: Actor, policy_id: int, upload: Upload, storage: Path) -> PolicyAttachment:
    """Attach a file to a policy of the actor's department."""
    policy = service.get_policy(session, policy_id)
    require(actor, Permission.POLICY_DRAFT, org_path=orgs.get(session, policy.org_id).path)
    if not upload.filename:
        raise ValidationFailed(fields=[FieldProblem("attachment", N_("Choose a file to attach."))])
    checked = check_attachment(upload.filename, len(upload.content), upload.content[:16])
    if len(attachments_of(session, policy.id)) >= MAX_PER_POLICY:
        raise ValidationFailed(
            fields=[
                FieldProblem(
                    "attachment", N_("A policy has at most {limit} attachments."), {"limit": MAX_PER_POLICY}
                )
            ]
        )
    relative = f"{SUBDIRECTORY}/{uuid.uuid4().hex}{checked.extension}"
    path = storage / ATTACHMENT_DIR / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(upload.content)
    attachment = PolicyAttachment(
        policy_id=policy.id,
        filename=checked.name,
        content_type=checked.content_type,
        size=len(upload.content),
        sha256=hashlib.sha256(upload.content).hexdigest(),
        path=relative,
        uploaded_by_id=actor.id,
    )
    session.add(attachment)
    session.flush()
    audit.record(
        session,
        actor,
        "policy.attach",
        "policy",
        policy.id,
        {"attachment": attachment.id, "filename": attachment.filename, "sha256": attachment.sha256},
        org_id=policy.org_id,
    )
    return attachment


def _get(session: Session, attachment_id: int) -> PolicyAttachment:
    attachment = session.get(PolicyAttachment, attachment_id)
    if attachment is None:
        raise NotFound(N_("There is no such attachment."), code="attachment_not_found")
    return attachment


def _file(attachment: PolicyAttachment, storage: Path) -> Path:
    root = (storage / ATTACHMENT_DIR).resolve()
    path = (root / attachment.path).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFound(N_("There is no such attachment."), code="attachment_not_found")
    return path


def open_for_staff(
    session: Session, actor: Actor, attachment_id: int, storage: Path
) -> tuple[Path, PolicyAttachment]:
    """The stored file, for staff who read the issuing department's policies."""
    attachment = _get(session, attachment_id)
    policy = service.get_policy(session, attachment.policy_id)
    require(actor, Permission.POLICY_READ, org_path=orgs.get(session, policy.org_id).path)
    return _file(attachment, storage), attachment
