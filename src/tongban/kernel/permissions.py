"""Roles, permissions and the acting party (``Actor``) that every service function receives.

Scope is a subtree of the organisation tree, written as a materialised path ("/1/4/9/").
Platform administrators and leaders act within the region their organisation belongs to;
department officers, stewards and API tokens act for their own department only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from tongban.kernel.errors import N_, NotAuthenticated, PermissionDenied


class Role(StrEnum):
    CITIZEN = "citizen"
    ENTERPRISE = "enterprise"
    OFFICER = "officer"
    STEWARD = "steward"
    ADMIN = "admin"
    LEADER = "leader"


ROLE_LABELS: dict[Role, str] = {
    Role.CITIZEN: N_("Citizen"),
    Role.ENTERPRISE: N_("Enterprise user"),
    Role.OFFICER: N_("Department officer"),
    Role.STEWARD: N_("Data steward"),
    Role.ADMIN: N_("Platform administrator"),
    Role.LEADER: N_("Leader"),
}

STAFF_ROLES = frozenset({Role.OFFICER, Role.STEWARD, Role.ADMIN, Role.LEADER})
PUBLIC_ROLES = frozenset({Role.CITIZEN, Role.ENTERPRISE})
DEPARTMENT_ROLES = frozenset({Role.OFFICER, Role.STEWARD})


class Permission(StrEnum):
    PORTAL_USE = "portal.use"
    WORKBENCH_USE = "workbench.use"
    ORG_READ = "org.read"
    ORG_MANAGE = "org.manage"
    USER_READ = "user.read"
    USER_MANAGE = "user.manage"
    TOKEN_MANAGE = "token.manage"  # noqa: S105 - a permission name
    AUDIT_READ = "audit.read"
    ENTERPRISE_USERS_MANAGE = "enterprise_users.manage"
    CATALOG_READ = "catalog.read"
    ELEMENT_MANAGE = "element.manage"
    RESOURCE_MANAGE = "resource.manage"  # register and publish the department's resources
    DATA_INGEST = "data.ingest"  # load data into the department's resources
    SHARING_REQUEST = "sharing.request"  # ask for another department's data
    SHARING_DECIDE = "sharing.decide"  # approve, reject and revoke requests for own resources
    DATA_ACCESS = "data.access"  # read and verify shared data under a grant (consumer systems)
    ACCESS_LOG_READ = "access_log.read"  # read the access log within one's remit
    GOVERNANCE_READ = "governance.read"  # quality scores, conflicts and corrections within one's remit
    QUALITY_MANAGE = "quality.manage"  # define and run quality rules for own resources
    CONFLICT_RESOLVE = "conflict.resolve"  # set resolution rules, decide conflicts manually
    CORRECTION_FILE = "correction.file"  # dispute a value (enterprise users, citizens, officers)
    CORRECTION_DECIDE = "correction.decide"  # accept or reject disputes of own department's data
    PROFILE_READ = "profile.read"  # read enterprise profiles (staff; enterprises see their own)
    PROFILE_MANAGE = "profile.manage"  # define attributes, rebuild the snapshot
    POLICY_READ = "policy.read"  # staff views of policies, drafts, matches and delivery funnels
    POLICY_DRAFT = "policy.draft"  # register policies, draft items and submit them for review
    POLICY_REVIEW = "policy.review"  # approve, reject and withdraw own department's items


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CITIZEN: frozenset({Permission.PORTAL_USE, Permission.CORRECTION_FILE}),
    Role.ENTERPRISE: frozenset({Permission.PORTAL_USE, Permission.CORRECTION_FILE}),
    Role.OFFICER: frozenset(
        {
            Permission.WORKBENCH_USE,
            Permission.ORG_READ,
            Permission.CATALOG_READ,
            Permission.SHARING_REQUEST,
            Permission.CORRECTION_FILE,
            Permission.PROFILE_READ,
            Permission.POLICY_READ,
            Permission.POLICY_DRAFT,
            Permission.POLICY_REVIEW,
        }
    ),
    Role.STEWARD: frozenset(
        {
            Permission.WORKBENCH_USE,
            Permission.ORG_READ,
            Permission.TOKEN_MANAGE,
            Permission.CATALOG_READ,
            Permission.RESOURCE_MANAGE,
            Permission.DATA_INGEST,
            Permission.SHARING_REQUEST,
            Permission.SHARING_DECIDE,
            Permission.ACCESS_LOG_READ,
            Permission.GOVERNANCE_READ,
            Permission.QUALITY_MANAGE,
            Permission.CORRECTION_FILE,
            Permission.CORRECTION_DECIDE,
            Permission.PROFILE_READ,
        }
    ),
    Role.ADMIN: frozenset(
        {
            Permission.WORKBENCH_USE,
            Permission.ORG_READ,
            Permission.ORG_MANAGE,
            Permission.USER_READ,
            Permission.USER_MANAGE,
            Permission.TOKEN_MANAGE,
            Permission.AUDIT_READ,
            Permission.CATALOG_READ,
            Permission.ELEMENT_MANAGE,
            Permission.RESOURCE_MANAGE,
            Permission.SHARING_DECIDE,
            Permission.ACCESS_LOG_READ,
            Permission.GOVERNANCE_READ,
            Permission.CONFLICT_RESOLVE,
            Permission.PROFILE_READ,
            Permission.PROFILE_MANAGE,
            Permission.POLICY_READ,
        }
    ),
    Role.LEADER: frozenset(
        {
            Permission.WORKBENCH_USE,
            Permission.ORG_READ,
            Permission.USER_READ,
            Permission.AUDIT_READ,
            Permission.CATALOG_READ,
            Permission.ACCESS_LOG_READ,
            Permission.GOVERNANCE_READ,
            Permission.PROFILE_READ,
            Permission.POLICY_READ,
        }
    ),
}

# Permissions an API token (a department's system) may carry. Later contexts add theirs.
TOKEN_PERMISSIONS: frozenset[Permission] = frozenset(
    {
        Permission.ORG_READ,
        Permission.CATALOG_READ,
        Permission.DATA_INGEST,
        Permission.SHARING_REQUEST,
        Permission.DATA_ACCESS,
        Permission.ACCESS_LOG_READ,
    }
)


def permissions_for(role: Role, *, enterprise_admin: bool = False) -> frozenset[Permission]:
    granted = ROLE_PERMISSIONS[role]
    if role is Role.ENTERPRISE and enterprise_admin:
        granted = granted | {Permission.ENTERPRISE_USERS_MANAGE}
    return granted


@dataclass(frozen=True)
class Actor:
    """Who is acting, with what rights, within which part of the organisation tree."""

    kind: str  # "user", "token", "system" or "anonymous"
    id: int | None = None
    label: str = ""
    role: Role | None = None
    org_id: int | None = None
    scope_path: str | None = None
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    uscc: str | None = None
    request_id: str | None = None

    @classmethod
    def anonymous(cls, request_id: str | None = None) -> Actor:
        return cls(kind="anonymous", label="anonymous", request_id=request_id)

    @classmethod
    def system(cls, label: str = "system", request_id: str | None = None) -> Actor:
        """The operator at the command line, or the platform's own scheduled work."""
        return cls(
            kind="system",
            label=label,
            scope_path="/",
            permissions=frozenset(Permission),
            request_id=request_id,
        )

    @property
    def is_authenticated(self) -> bool:
        return self.kind != "anonymous"

    def has(self, permission: Permission) -> bool:
        return permission in self.permissions

    def can_act_for(self, org_path: str) -> bool:
        return self.scope_path is not None and org_path.startswith(self.scope_path)


def require(actor: Actor, permission: Permission, *, org_path: str | None = None) -> None:
    """Raise unless the actor holds the permission (within the organisation, if given)."""
    if not actor.is_authenticated:
        raise NotAuthenticated()
    if not actor.has(permission):
        raise PermissionDenied()
    if org_path is not None and not actor.can_act_for(org_path):
        raise PermissionDenied(
            N_("This belongs to an organisation outside your remit."), code="outside_scope"
        )
