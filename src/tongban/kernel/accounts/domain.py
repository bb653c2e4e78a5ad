"""Pure rules of accounts: names, passwords, lock-out, tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tongban.kernel.errors import N_, FieldProblem, ValidationFailed
from tongban.kernel.permissions import DEPARTMENT_ROLES, Role

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.@-]{2,49}$")
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "tb"  # noqa: S105 - a public marker, not a secret

_hasher = PasswordHasher()


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Swap the Argon2 parameters (tests use cheaper ones)."""
    global _hasher
    _hasher = hasher


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def clean_username(raw: str) -> str:
    username = raw.strip().lower()
    if not USERNAME.match(username):
        raise ValidationFailed(
            fields=[
                FieldProblem(
                    "username",
                    N_("A user name is 3 to 50 letters, digits or . _ @ -, starting with a letter or digit."),
                )
            ]
        )
    return username


def password_problems(password: str, username: str | None = None) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            FieldProblem(
                "password", N_("A password has at least {limit} characters."), {"limit": MIN_PASSWORD_LENGTH}
            )
        )
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        problems.append(FieldProblem("password", N_("A password contains both letters and digits.")))
    if username and username.lower() in password.lower():
        problems.append(FieldProblem("password", N_("A password must not contain the user name.")))
    return problems


def check_password(password: str, username: str | None = None) -> None:
    problems = password_problems(password, username)
    if problems:
        raise ValidationFailed(fields=problems)


def text_problems(**values: str | None) -> list[FieldProblem]:
    """Free-text fields (names, e-mail, phone) must not contain control characters such as NUL."""
    return [
        FieldProblem(name, N_("This value is not valid."))
        for name, value in values.items()
        if value and any(unicodedata.category(char) == "Cc" for char in value)
    ]


def check_role_binding(role: Role, *, org_kind: str | None, uscc: str | None, ric: str | None) -> None:
    """Staff belong to an organisation; enterprise users to a USCC; citizens to a resident ID."""
    if role in DEPARTMENT_ROLES and org_kind != "department":
        raise ValidationFailed(
            fields=[FieldProblem("org_id", N_("Officers and data stewards belong to a department."))]
        )
    if role in (Role.ADMIN, Role.LEADER) and org_kind is None:
        raise ValidationFailed(fields=[FieldProblem("org_id", N_("Choose an organisation."))])
    if role is Role.ENTERPRISE and not uscc:
        raise ValidationFailed(
            fields=[FieldProblem("uscc", N_("An enterprise account needs the unified social credit code."))]
        )
    if role is Role.CITIZEN and not ric:
        raise ValidationFailed(
            fields=[FieldProblem("ric", N_("A citizen account needs the resident ID number."))]
        )


@dataclass(frozen=True)
class LockState:
    failed_logins: int
    locked_until: datetime | None


def after_failed_login(
    state: LockState, moment: datetime, max_failures: int, lockout: timedelta
) -> LockState:
    failures = state.failed_logins + 1
    if failures >= max_failures:
        return LockState(0, moment + lockout)
    return LockState(failures, state.locked_until)


def is_locked(locked_until: datetime | None, moment: datetime) -> bool:
    return locked_until is not None and locked_until > moment


def digest(token: str) -> str:
    """Tokens are high-entropy random strings, so a plain SHA-256 is a safe stored form."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_api_token() -> tuple[str, str]:
    """(whole token, public prefix). The whole token is shown once and never stored."""
    prefix = secrets.token_hex(4)
    return f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}", prefix
