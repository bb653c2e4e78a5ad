"""Roles, permissions and organisation scope of the acting party."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.support.actors import actor, org

from tongban.kernel.errors import NotAuthenticated, PermissionDenied
from tongban.kernel.permissions import (
    ROLE_PERMISSIONS,
    TOKEN_PERMISSIONS,
    Actor,
    Permission,
    Role,
    permissions_for,
    require,
)

MANAGING = {p for p in Permission if p.value.endswith(".manage")}


def test_leader_is_read_only() -> None:
    assert not ROLE_PERMISSIONS[Role.LEADER] & MANAGING
    assert {Permission.ORG_READ, Permission.USER_READ, Permission.AUDIT_READ} <= ROLE_PERMISSIONS[Role.LEADER]


def test_public_roles_use_the_portal_only() -> None:
    """People and enterprises use the portal and may dispute data about them; nothing else."""
    for role in (Role.CITIZEN, Role.ENTERPRISE):
        assert ROLE_PERMISSIONS[role] == {Permission.PORTAL_USE, Permission.CORRECTION_FILE}
    assert permissions_for(Role.ENTERPRISE, enterprise_admin=True) == {
        Permission.PORTAL_USE,
        Permission.CORRECTION_FILE,
        Permission.ENTERPRISE_USERS_MANAGE,
    }
    # the enterprise-administrator flag means nothing for other roles
    assert Permission.ENTERPRISE_USERS_MANAGE not in permissions_for(Role.CITIZEN, enterprise_admin=True)


def test_staff_roles_use_the_workbench_and_not_the_portal() -> None:
    for role in (Role.OFFICER, Role.STEWARD, Role.ADMIN, Role.LEADER):
        assert Permission.WORKBENCH_USE in ROLE_PERMISSIONS[role]
        assert Permission.PORTAL_USE not in ROLE_PERMISSIONS[role]


def test_tokens_cannot_carry_account_or_audit_rights() -> None:
    forbidden = {
        Permission.USER_MANAGE,
        Permission.USER_READ,
        Permission.TOKEN_MANAGE,
        Permission.ORG_MANAGE,
        Permission.AUDIT_READ,
        Permission.ENTERPRISE_USERS_MANAGE,
        Permission.WORKBENCH_USE,
        Permission.PORTAL_USE,
    }
    assert not TOKEN_PERMISSIONS & forbidden


def test_require_checks_log_in_then_permission_then_scope() -> None:
    with pytest.raises(NotAuthenticated):
        require(Actor.anonymous(), Permission.ORG_READ, org_path="/1/")
    officer = Actor(
        kind="user", id=1, role=Role.OFFICER, scope_path="/1/2/7/", permissions=ROLE_PERMISSIONS[Role.OFFICER]
    )
    with pytest.raises(PermissionDenied) as refused:
        require(officer, Permission.ORG_MANAGE, org_path="/1/2/7/")
    assert refused.value.code == "permission_denied"
    with pytest.raises(PermissionDenied) as refused:
        require(officer, Permission.ORG_READ, org_path="/1/2/8/")
    assert refused.value.code == "outside_scope"
    require(officer, Permission.ORG_READ, org_path="/1/2/7/")


def test_scope_is_a_subtree_not_a_text_prefix() -> None:
    """/1/2/ must not cover /1/23/ even though the strings share a prefix."""
    admin = Actor(
        kind="user", id=1, role=Role.ADMIN, scope_path="/1/2/", permissions=ROLE_PERMISSIONS[Role.ADMIN]
    )
    assert admin.can_act_for("/1/2/")
    assert admin.can_act_for("/1/2/9/")
    assert not admin.can_act_for("/1/23/")
    assert not admin.can_act_for("/1/")
    assert not Actor.anonymous().can_act_for("/1/")
    assert Actor.system().can_act_for("/1/23/")


@pytest.mark.parametrize(
    ("username", "scope_code"),
    [
        ("admin", "350200"),  # administrators act for their region
        ("leader", "350200"),
        ("province_admin", "350000"),
        ("fz_admin", "350100"),
        ("officer", "350200-SCJGJ"),  # officers and stewards for their department
        ("steward", "350200-SCJGJ"),
        ("fz_officer", "350100-SCJGJ"),
    ],
)
def test_scope_of_each_demo_account(
    db: Session, demo_city: dict[str, Any], username: str, scope_code: str
) -> None:
    assert actor(db, username).scope_path == org(db, scope_code).path


@pytest.mark.parametrize("username", ["enterprise", "enterprise2", "citizen"])
def test_public_accounts_have_no_organisation_scope(
    db: Session, demo_city: dict[str, Any], username: str
) -> None:
    someone = actor(db, username)
    assert someone.scope_path is None
    assert not someone.can_act_for(org(db, "350200").path)


def test_enterprise_accounts_carry_their_enterprise(db: Session, demo_city: dict[str, Any]) -> None:
    boss, clerk = actor(db, "enterprise"), actor(db, "enterprise2")
    assert boss.uscc == clerk.uscc and boss.uscc is not None
    assert boss.has(Permission.ENTERPRISE_USERS_MANAGE) and not clerk.has(Permission.ENTERPRISE_USERS_MANAGE)
