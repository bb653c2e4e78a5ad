"""Corrections (数据纠错 / 异议): the pure state machine, the overdue rule and attachment limits.

A ticket is *open* when filed; the owning department's steward *accepts* it (a new record
version is written) or *rejects* it with a reason; the disputant may *withdraw* it while open.
Every other move is refused with ``InvalidTransition``. A ticket is *overdue* when it is still
open after its deadline (the last working day to decide, in local dates).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath

from tongban.kernel.errors import N_, FieldProblem, InvalidTransition, ValidationFailed


class Status(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Action(enum.StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    WITHDRAW = "withdraw"


TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.OPEN, Action.ACCEPT): Status.ACCEPTED,
    (Status.OPEN, Action.REJECT): Status.REJECTED,
    (Status.OPEN, Action.WITHDRAW): Status.WITHDRAWN,
}

STATUS_LABELS: dict[Status, str] = {
    Status.OPEN: N_("Open"),
    Status.ACCEPTED: N_("Accepted"),
    Status.REJECTED: N_("Rejected"),
    Status.WITHDRAWN: N_("Withdrawn"),
}

DEFAULT_WORKING_DAYS = 5
MAX_WORKING_DAYS = 60
EXPLANATION_LIMIT = 2000
VALUE_LIMIT = 500
REASON_LIMIT = 2000


class CorrectionClosed(InvalidTransition):
    default_code = "correction_closed"
    default_message = N_("This correction has already been decided or withdrawn.")


def next_status(current: Status, action: Action) -> Status:
    """The status after ``action``; ``CorrectionClosed`` when the ticket is no longer open."""
    target = TRANSITIONS.get((current, action))
    if target is None:
        raise CorrectionClosed(status=current.value, action=action.value)
    return target


def is_overdue(status: Status, deadline: date, today: date) -> bool:
    """Still open after the last working day to decide it."""
    return status is Status.OPEN and today > deadline


def require_reason(action: Action, reason: str) -> str:
    """A rejection needs a reason; other actions may carry a note."""
    text = reason.strip()
    if action is Action.REJECT and not text:
        raise ValidationFailed(fields=[FieldProblem("reason", N_("Say why the correction is rejected."))])
    if len(text) > REASON_LIMIT:
        raise ValidationFailed(
            fields=[FieldProblem("reason", N_("At most {limit} characters."), {"limit": REASON_LIMIT})]
        )
    return text


def check_filing(explanation: str, proposed: str) -> list[FieldProblem]:
    """What a dispute needs before anything is looked up: an explanation and a proposed value."""
    problems: list[FieldProblem] = []
    if not explanation.strip():
        problems.append(FieldProblem("explanation", N_("Explain why the value is wrong.")))
    elif len(explanation.strip()) > EXPLANATION_LIMIT:
        problems.append(
            FieldProblem("explanation", N_("At most {limit} characters."), {"limit": EXPLANATION_LIMIT})
        )
    if not proposed.strip():
        problems.append(FieldProblem("proposed_value", N_("Enter the value you believe is right.")))
    elif len(proposed.strip()) > VALUE_LIMIT:
        problems.append(
            FieldProblem("proposed_value", N_("At most {limit} characters."), {"limit": VALUE_LIMIT})
        )
    return problems


def check_deadline_days(days: int) -> int:
    if not 1 <= days <= MAX_WORKING_DAYS:
        raise ValidationFailed(
            fields=[
                FieldProblem(
                    "working_days",
                    N_("Enter a number of working days from 1 to {limit}."),
                    {"limit": MAX_WORKING_DAYS},
                )
            ]
        )
    return days


# --- attachments ----------------------------------------------------------------------------

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
ATTACHMENT_TYPES: dict[str, str] = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# What each kind of file starts with: the name alone is not trusted.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    ATTACHMENT_TYPES[".docx"]: (b"PK\x03\x04",),
    ATTACHMENT_TYPES[".xlsx"]: (b"PK\x03\x04",),
}


@dataclass(frozen=True)
class AttachmentCheck:
    name: str  # the original name, without any directory part
    content_type: str
    extension: str


def check_attachment(filename: str, size: int, head: bytes) -> AttachmentCheck:
    """Accept a PDF, JPG, PNG, DOCX or XLSX file of at most 5 MB whose content matches its name."""
    name = PurePath(filename.replace("\\", "/")).name.strip()[:200]
    extension = PurePath(name).suffix.lower()
    content_type = ATTACHMENT_TYPES.get(extension)
    if content_type is None or not name:
        raise ValidationFailed(
            fields=[FieldProblem("attachment", N_("Attach a PDF, JPG, PNG, DOCX or XLSX file."))]
        )
    if size <= 0:
        raise ValidationFailed(fields=[FieldProblem("attachment", N_("The attached file is empty."))])
    if size > MAX_ATTACHMENT_BYTES:
        raise ValidationFailed(
            fields=[
                FieldProblem("attachment", N_("The attached file is larger than {limit} MB."), {"limit": 5})
            ]
        )
    if not head.startswith(_SIGNATURES[content_type]):
        raise ValidationFailed(
            fields=[
                FieldProblem(
                    "attachment",
                    N_("The file's content does not match its type {kind}."),
                    {"kind": extension},
                )
            ]
        )
    return AttachmentCheck(name, content_type, extension)
