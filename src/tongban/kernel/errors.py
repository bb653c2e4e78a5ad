"""Typed domain errors with a stable code and a translatable message.

Messages are English gettext msgids with ``{name}`` placeholders; the zh-CN text lives in
the catalog. The web layer turns them into RFC 9457 problem documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, ClassVar


def N_(message: str) -> str:
    """Mark a message for extraction without translating it now."""
    return message


@dataclass(frozen=True)
class FieldProblem:
    """One invalid input field: where it is and what is wrong."""

    field: str
    message: str
    params: dict[str, Any] = dataclass_field(default_factory=dict)


class DomainError(Exception):
    """Base of every error a caller can cause or observe."""

    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "error"
    default_message: ClassVar[str] = N_("The request could not be completed.")

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        fields: list[FieldProblem] | None = None,
        **params: Any,
    ) -> None:
        self.code = code or self.default_code
        self.message = message or self.default_message
        self.params = params
        self.fields = fields or []
        super().__init__(f"{self.code}: {self.message}")


class ValidationFailed(DomainError):
    status = 422
    default_code = "validation_failed"
    default_message = N_("Some of the input is not valid.")


class NotFound(DomainError):
    status = 404
    default_code = "not_found"
    default_message = N_("The requested item does not exist.")


class NotAuthenticated(DomainError):
    status = 401
    default_code = "not_authenticated"
    default_message = N_("Please log in first.")


class PermissionDenied(DomainError):
    status = 403
    default_code = "permission_denied"
    default_message = N_("You do not have permission to do this.")


class Conflict(DomainError):
    status = 409
    default_code = "conflict"
    default_message = N_("This conflicts with the current state.")


class InvalidTransition(Conflict):
    default_code = "invalid_transition"
    default_message = N_("This action is not allowed in the current state.")
