"""Use cases of accounts: creation, log-in, sessions, passwords, enterprise colleagues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from tongban.kernel.accounts import domain
from tongban.kernel.accounts.models import User, WebSession
from tongban.kernel.audit import service as audit
from tongban.kernel.clock import now
from tongban.kernel.codes.validators import validate_ric, validate_uscc
from tongban.kernel.errors import (
    N_,
    Conflict,
    DomainError,
    FieldProblem,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tongban.kernel.ids import random_token
from tongban.kernel.orgs import service as orgs
from tongban.kernel.orgs.models import Organisation
from tongban.kernel.paging import Page, paginate
from tongban.kernel.permissions import (
    PUBLIC_ROLES,
    STAFF_ROLES,
    Actor,
    Permission,
    Role,
    permissions_for,
    require,
)

# A valid hash of a random password, verified against when the user name is unknown so that
# both answers take the same time.
_TIMING_DUMMY = domain.hash_password(random_token())


class LoginFailed(DomainError):
    status = 401
    default_code = "login_failed"
    default_message = N_("Wrong user name or password.")


class AccountLocked(DomainError):
    status = 423
    default_code = "account_locked"
    default_message = N_("Too many failed log-ins. The account is locked until {until}.")


class PasswordChangeRequired(DomainError):
    """An administrator set the password: the person must choose their own before anything else."""

    status = 403
    default_code = "password_change_required"
    default_message = N_("Please choose your own password before you continue.")


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    session_lifetime: timedelta = timedelta(hours=8)


@dataclass(frozen=True)
class LoginOutcome:
    """A log-in either yields a session token or an error; failures are still committed."""

    user: User | None
    session_token: str | None
    error: DomainError | None


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("Account not found."), code="user_not_found")
    return user


def actor_for_user(session: Session, user: User, request_id: str | None = None) -> Actor:
    scope = orgs.scope_path_for(user.org, user.role, session) if user.org else None
    return Actor(
        kind="user",
        id=user.id,
        label=user.username,
        role=user.role,
        org_id=user.org_id,
        scope_path=scope,
        permissions=permissions_for(user.role, enterprise_admin=user.is_enterprise_admin),
        uscc=user.uscc,
        request_id=request_id,
    )


def _check_can_create(
    session: Session, actor: Actor, role: Role, org: Organisation | None, uscc: str | None
) -> None:
    if role in STAFF_ROLES:
        require(actor, Permission.USER_MANAGE, org_path=org.path if org else "/")
        return
    if (
        role is Role.ENTERPRISE
        and not actor.has(Permission.USER_MANAGE)
        and actor.has(Permission.ENTERPRISE_USERS_MANAGE)
    ):
        if actor.uscc != uscc:
            raise PermissionDenied(
                N_("You can only add accounts for your own enterprise."), code="other_enterprise"
            )
        return
    require(actor, Permission.USER_MANAGE)


def create_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    org_id: int | None = None,
    uscc: str | None = None,
    enterprise_name: str | None = None,
    ric: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    must_change_password: bool = True,
) -> User:
    org = orgs.get(session, org_id) if org_id is not None and role not in PUBLIC_ROLES else None
    problems: list[FieldProblem] = []
    if uscc is not None and role is Role.ENTERPRISE:
        verdict = validate_uscc(uscc)
        if not verdict.valid:
            problems.append(FieldProblem("uscc", verdict.reason or "", verdict.params or {}))
        uscc = verdict.value
    if ric is not None and role is Role.CITIZEN:
        verdict = validate_ric(ric, today=now().date())
        if not verdict.valid:
            problems.append(FieldProblem("ric", verdict.reason or "", verdict.params or {}))
        ric = verdict.value
    _check_can_create(session, actor, role, org, uscc)
    name = domain.clean_username(username)
    problems += domain.password_problems(password, name)
    if not display_name.strip():
        problems.append(FieldProblem("display_name", N_("A name is required.")))
    problems += domain.text_problems(
        display_name=display_name, enterprise_name=enterprise_name, email=email, phone=phone
    )
    if problems:
        raise ValidationFailed(fields=problems)
    domain.check_role_binding(
        role,
        org_kind=org.kind.value if org else None,
        uscc=uscc if role is Role.ENTERPRISE else None,
        ric=ric if role is Role.CITIZEN else None,
    )
    if role is Role.ENTERPRISE and not (enterprise_name or "").strip():
        raise ValidationFailed(fields=[FieldProblem("enterprise_name", N_("A name is required."))])
    if org is not None and not org.active:
        raise Conflict(N_("This organisation is deactivated."), code="org_inactive")
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(N_("The user name {username} is taken."), code="username_taken", username=name)
    if role is Role.CITIZEN and session.scalar(select(User.id).where(User.ric == ric)) is not None:
        raise Conflict(N_("An account for this resident ID number already exists."), code="ric_taken")
    first_of_enterprise = role is Role.ENTERPRISE and (
        session.scalar(select(User.id).where(User.uscc == uscc, User.role == Role.ENTERPRISE).limit(1))
        is None
    )
    user = User(
        username=name,
        display_name=display_name.strip()[:100],
        password_hash=domain.hash_password(password),
        role=role,
        org_id=org.id if org else None,
        uscc=uscc if role is Role.ENTERPRISE else None,
        enterprise_name=(enterprise_name or "").strip() or None if role is Role.ENTERPRISE else None,
        is_enterprise_admin=first_of_enterprise,
        ric=ric if role is Role.CITIZEN else None,
        email=(email or "").strip() or None,
        phone=(phone or "").strip() or None,
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.create",
        "user",
        user.id,
        {"username": name, "role": role.value, "uscc": user.uscc, "enterprise_admin": first_of_enterprise},
        org_id=user.org_id,
    )
    return user


def authenticate(
    session: Session, username: str, password: str, policy: LoginPolicy, request_id: str | None = None
) -> LoginOutcome:
    """Check a password; count failures and lock the account after too many."""
    moment = now()
    name = username.strip().lower()
    user = session.scalar(select(User).where(User.username == name))
    anonymous = Actor.anonymous(request_id)
    if user is None:
        domain.password_matches(_TIMING_DUMMY, password)
        audit.record(session, anonymous, "account.login_failed", "user", "-", {"reason": "unknown_user"})
        return LoginOutcome(None, None, LoginFailed())
    actor = Actor(kind="anonymous", label=user.username, request_id=request_id)
    if domain.is_locked(user.locked_until, moment):
        audit.record(
            session, actor, "account.login_failed", "user", user.id, {"reason": "locked"}, org_id=user.org_id
        )
        return LoginOutcome(None, None, AccountLocked(until=user.locked_until))
    if not domain.password_matches(user.password_hash, password):
        state = domain.after_failed_login(
            domain.LockState(user.failed_logins, user.locked_until),
            moment,
            policy.max_failures,
            policy.lockout,
        )
        user.failed_logins, user.locked_until = state.failed_logins, state.locked_until
        locked = domain.is_locked(state.locked_until, moment)
        audit.record(
            session,
            actor,
            "account.locked" if locked else "account.login_failed",
            "user",
            user.id,
            {"reason": "wrong_password"},
            org_id=user.org_id,
        )
        return LoginOutcome(None, None, AccountLocked(until=state.locked_until) if locked else LoginFailed())
    if not user.active or (user.org is not None and not user.org.active):
        audit.record(
            session,
            actor,
            "account.login_failed",
            "user",
            user.id,
            {"reason": "inactive"},
            org_id=user.org_id,
        )
        return LoginOutcome(
            None, None, LoginFailed(N_("This account is deactivated."), code="account_inactive")
        )
    if domain.needs_rehash(user.password_hash):
        user.password_hash = domain.hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = moment
    token = random_token()
    session.add(
        WebSession(id=domain.digest(token), user_id=user.id, expires_at=moment + policy.session_lifetime)
    )
    audit.record(
        session,
        actor_for_user(session, user, request_id),
        "account.login",
        "user",
        user.id,
        {},
        org_id=user.org_id,
    )
    return LoginOutcome(user, token, None)


def user_for_session(session: Session, token: str) -> User | None:
    """The active user behind a session cookie, or None when it expired or was revoked."""
    row = session.get(WebSession, domain.digest(token))
    if row is None or row.revoked_at is not None or row.expires_at <= now():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active or (user.org is not None and not user.org.active):
        return None
    return user


def log_out(session: Session, actor: Actor, token: str) -> None:
    row = session.get(WebSession, domain.digest(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now()
        audit.record(session, actor, "account.logout", "user", row.user_id, {})


def _revoke_sessions(session: Session, user_id: int, keep: str | None = None) -> None:
    statement = update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
    if keep is not None:
        statement = statement.where(WebSession.id != domain.digest(keep))
    session.execute(statement.values(revoked_at=now()))


def _own_account(session: Session, actor: Actor) -> User:
    """The account of a logged-in person acting for themselves (not a token, not the operator)."""
    if not actor.is_authenticated:
        raise NotAuthenticated()
    if actor.kind != "user" or actor.id is None:
        raise PermissionDenied()
    return get_user(session, actor.id)


def change_password(
    session: Session, actor: Actor, *, current: str, new: str, keep_session: str | None = None
) -> None:
    """The user changes their own password; every other session of theirs ends."""
    user = _own_account(session, actor)
    if not domain.password_matches(user.password_hash, current):
        raise ValidationFailed(
            fields=[FieldProblem("current_password", N_("The current password is wrong."))]
        )
    if current == new:
        raise ValidationFailed(
            fields=[FieldProblem("new_password", N_("Choose a password you have not just used."))]
        )
    problems = domain.password_problems(new, user.username)
    if problems:
        raise ValidationFailed(fields=[FieldProblem("new_password", p.message, p.params) for p in problems])
    user.password_hash = domain.hash_password(new)
    user.password_changed_at = now()
    user.must_change_password = False
    _revoke_sessions(session, user.id, keep=keep_session)
    audit.record(session, actor, "account.password_change", "user", user.id, {}, org_id=user.org_id)


def _managed_user(session: Session, actor: Actor, user_id: int) -> User:
    user = get_user(session, user_id)
    if user.role in STAFF_ROLES:
        require(actor, Permission.USER_MANAGE, org_path=user.org.path if user.org else "/")
    elif (
        user.role is Role.ENTERPRISE
        and not actor.has(Permission.USER_MANAGE)
        and actor.has(Permission.ENTERPRISE_USERS_MANAGE)
    ):
        if actor.uscc != user.uscc:
            raise PermissionDenied(
                N_("You can only manage accounts of your own enterprise."), code="other_enterprise"
            )
    else:
        require(actor, Permission.USER_MANAGE)
    return user


def reset_password(session: Session, actor: Actor, user_id: int, new_password: str) -> User:
    """An administrator sets a temporary password; the user must change it at next log-in."""
    user = _managed_user(session, actor, user_id)
    domain.check_password(new_password, user.username)
    user.password_hash = domain.hash_password(new_password)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    _revoke_sessions(session, user.id)
    audit.record(session, actor, "user.password_reset", "user", user.id, {}, org_id=user.org_id)
    return user


def set_user_active(session: Session, actor: Actor, user_id: int, active: bool) -> User:
    user = _managed_user(session, actor, user_id)
    if user.id == actor.id:
        raise Conflict(N_("You cannot deactivate your own account."), code="self_deactivate")
    if user.active != active:
        user.active = active
        if not active:
            _revoke_sessions(session, user.id)
        audit.record(
            session,
            actor,
            "user.activate" if active else "user.deactivate",
            "user",
            user.id,
            {},
            org_id=user.org_id,
        )
    return user


def update_profile(
    session: Session,
    actor: Actor,
    *,
    display_name: str,
    email: str | None,
    phone: str | None,
    language: str | None,
) -> User:
    user = _own_account(session, actor)
    if not display_name.strip():
        raise ValidationFailed(fields=[FieldProblem("display_name", N_("A name is required."))])
    problems = domain.text_problems(display_name=display_name, email=email, phone=phone)
    if problems:
        raise ValidationFailed(fields=problems)
    if language not in (None, "", "zh-CN", "en"):
        raise ValidationFailed(fields=[FieldProblem("language", N_("Choose Chinese or English."))])
    changes: dict[str, Any] = {}
    for attribute, value in (
        ("display_name", display_name.strip()[:100]),
        ("email", (email or "").strip() or None),
        ("phone", (phone or "").strip() or None),
        ("language", language or None),
    ):
        if getattr(user, attribute) != value:
            setattr(user, attribute, value)
            changes[attribute] = "changed"
    if changes:
        audit.record(session, actor, "account.profile_update", "user", user.id, changes, org_id=user.org_id)
    return user


def transfer_enterprise_admin(session: Session, actor: Actor, user_id: int) -> User:
    """The enterprise's administrator hands the role to a colleague."""
    require(actor, Permission.ENTERPRISE_USERS_MANAGE)
    target = _managed_user(session, actor, user_id)
    if target.role is not Role.ENTERPRISE or not target.active:
        raise Conflict(N_("Only an active colleague can become administrator."), code="not_colleague")
    current = get_user(session, actor.id or 0)
    current.is_enterprise_admin = False
    session.flush()
    target.is_enterprise_admin = True
    audit.record(session, actor, "enterprise.admin_transfer", "user", target.id, {"uscc": target.uscc})
    return target


def _visible_users(actor: Actor) -> Select[User]:
    statement = select(User)
    if actor.has(Permission.USER_READ):
        staff_in_scope = User.org_id.in_(orgs.org_ids_in_scope(actor))
        if actor.has(Permission.USER_MANAGE):
            return statement.where(or_(staff_in_scope, User.role.in_(list(PUBLIC_ROLES))))
        return statement.where(staff_in_scope)
    if actor.has(Permission.ENTERPRISE_USERS_MANAGE):
        return statement.where(User.role == Role.ENTERPRISE, User.uscc == actor.uscc)
    raise PermissionDenied()


def list_users(
    session: Session,
    actor: Actor,
    *,
    query: str | None = None,
    role: Role | None = None,
    org_id: int | None = None,
    active: bool | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[User]:
    if not actor.is_authenticated:
        require(actor, Permission.USER_READ)
    statement = _visible_users(actor)
    if query:
        pattern = f"%{query.strip().lower()}%"
        statement = statement.where(
            or_(
                User.username.like(pattern),
                User.display_name.like(f"%{query.strip()}%"),
                User.enterprise_name.like(f"%{query.strip()}%"),
            )
        )
    if role is not None:
        statement = statement.where(User.role == role)
    if org_id is not None:
        statement = statement.where(User.org_id == org_id)
    if active is not None:
        statement = statement.where(User.active.is_(active))
    return paginate(session, statement.order_by(User.username), page, page_size)


def get_visible_user(session: Session, actor: Actor, user_id: int) -> User:
    if not actor.is_authenticated:
        raise NotAuthenticated()
    user: User | None = session.scalar(_visible_users(actor).where(User.id == user_id))
    if user is None:
        get_user(session, user_id)  # an unknown id is "not found"; a known one is not yours
        if actor.has(Permission.USER_READ):
            raise PermissionDenied(
                N_("This belongs to an organisation outside your remit."), code="outside_scope"
            )
        raise PermissionDenied(
            N_("You can only manage accounts of your own enterprise."), code="other_enterprise"
        )
    return user
