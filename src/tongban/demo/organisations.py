"""Demo organisations and accounts: 福建省, 厦门市 with its districts and departments, and 福州市."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongban.kernel.accounts import service as accounts
from tongban.kernel.accounts.models import User
from tongban.kernel.orgs import service as orgs
from tongban.kernel.orgs.models import Organisation
from tongban.kernel.permissions import Actor, Role

DEMO_PASSWORD = "Tongban2026"  # noqa: S105 - published demo password, printed by `make demo`

REGIONS: list[tuple[str, str, str | None]] = [
    ("000000", "中华人民共和国", None),
    ("350000", "福建省", "000000"),
    ("350200", "厦门市", "350000"),
    ("350203", "思明区", "350200"),
    ("350205", "海沧区", "350200"),
    ("350206", "湖里区", "350200"),
    ("350211", "集美区", "350200"),
    ("350212", "同安区", "350200"),
    ("350213", "翔安区", "350200"),
    ("350100", "福州市", "350000"),
    ("350102", "鼓楼区", "350100"),
]

# (region code, department suffix, name)
DEPARTMENTS: list[tuple[str, str, str]] = [
    ("350000", "DSJJ", "福建省大数据管理局"),
    ("350200", "DSJJ", "厦门市大数据管理局"),
    ("350200", "SCJGJ", "厦门市市场监督管理局"),
    ("350200", "SWJ", "国家税务总局厦门市税务局"),
    ("350200", "RSJ", "厦门市人力资源和社会保障局"),
    ("350200", "KJJ", "厦门市科学技术局"),
    ("350200", "GXJ", "厦门市工业和信息化局"),
    ("350200", "TJJ", "厦门市统计局"),
    ("350200", "GAJ", "厦门市公安局"),
    ("350200", "YJJ", "厦门市应急管理局"),
    ("350200", "FGW", "厦门市发展和改革委员会"),
    ("350200", "CZJ", "厦门市财政局"),
    ("350203", "SCJGJ", "厦门市思明区市场监督管理局"),
    ("350206", "SCJGJ", "厦门市湖里区市场监督管理局"),
    ("350100", "DSJJ", "福州市大数据管理局"),
    ("350100", "SCJGJ", "福州市市场监督管理局"),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    org_code: str | None = None
    uscc: str | None = None
    enterprise_name: str | None = None
    ric: str | None = None


ACCOUNTS: list[DemoAccount] = [
    DemoAccount("admin", "平台管理员（厦门）", Role.ADMIN, "350200-DSJJ"),
    DemoAccount("province_admin", "平台管理员（福建省）", Role.ADMIN, "350000-DSJJ"),
    DemoAccount("officer", "市场监管局科员", Role.OFFICER, "350200-SCJGJ"),
    DemoAccount("steward", "市场监管局数据管理员", Role.STEWARD, "350200-SCJGJ"),
    DemoAccount("tax_officer", "税务局科员", Role.OFFICER, "350200-SWJ"),
    DemoAccount("policy_officer", "工信局政策科科员", Role.OFFICER, "350200-GXJ"),
    DemoAccount("policy_reviewer", "工信局政策科科长", Role.OFFICER, "350200-GXJ"),
    DemoAccount("leader", "分管副市长", Role.LEADER, "350200-DSJJ"),
    DemoAccount("fz_admin", "平台管理员（福州）", Role.ADMIN, "350100-DSJJ"),
    DemoAccount("fz_officer", "福州市场监管局科员", Role.OFFICER, "350100-SCJGJ"),
    DemoAccount(
        "enterprise",
        "陈经理",
        Role.ENTERPRISE,
        uscc="91350200MA31KH5N20",
        enterprise_name="厦门鹭江智能科技有限公司",
    ),
    DemoAccount(
        "enterprise2",
        "林会计",
        Role.ENTERPRISE,
        uscc="91350200MA31KH5N20",
        enterprise_name="厦门鹭江智能科技有限公司",
    ),
    DemoAccount("citizen", "王小明", Role.CITIZEN, ric="350203199001011234"),
]


def _fix_check_characters() -> list[DemoAccount]:
    """Demo identifiers get correct check characters so they pass validation."""
    from tongban.kernel.codes.validators import ric_check_character, uscc_check_character

    fixed = []
    for account in ACCOUNTS:
        uscc = account.uscc[:17] + uscc_check_character(account.uscc[:17]) if account.uscc else None
        ric = account.ric[:17] + ric_check_character(account.ric[:17]) if account.ric else None
        fixed.append(
            DemoAccount(
                account.username,
                account.display_name,
                account.role,
                account.org_code,
                uscc,
                account.enterprise_name,
                ric,
            )
        )
    return fixed


def seed_organisations(session: Session, actor: Actor) -> dict[str, Organisation]:
    """Create the demo organisations that do not exist yet; returns them by code."""
    by_code = {o.code: o for o in session.scalars(select(Organisation))}
    for code, name, parent in REGIONS:
        if code not in by_code:
            parent_id = by_code[parent].id if parent else None
            by_code[code] = orgs.create_region(session, actor, code=code, name=name, parent_id=parent_id)
    for region, suffix, name in DEPARTMENTS:
        code = f"{region}-{suffix}"
        if code not in by_code:
            by_code[code] = orgs.create_department(
                session, actor, parent_id=by_code[region].id, code_suffix=suffix, name=name
            )
    return by_code


@dataclass(frozen=True)
class DemoSubjects:
    """An enterprise and a person of the synthetic city, so the demo accounts have data."""

    uscc: str
    enterprise_name: str
    ric: str


def _bound_to(account: DemoAccount, subjects: DemoSubjects | None) -> DemoAccount:
    if subjects is None:
        return account
    if account.role is Role.ENTERPRISE:
        return replace(account, uscc=subjects.uscc, enterprise_name=subjects.enterprise_name)
    if account.role is Role.CITIZEN:
        return replace(account, ric=subjects.ric)
    return account


def seed_accounts(
    session: Session, actor: Actor, by_code: dict[str, Organisation], subjects: DemoSubjects | None = None
) -> list[DemoAccount]:
    existing = set(session.scalars(select(User.username)))
    accounts_made = [_bound_to(a, subjects) for a in _fix_check_characters()]
    for account in accounts_made:
        if account.username in existing:
            continue
        accounts.create_user(
            session,
            actor,
            username=account.username,
            display_name=account.display_name,
            password=DEMO_PASSWORD,
            role=account.role,
            org_id=by_code[account.org_code].id if account.org_code else None,
            uscc=account.uscc,
            enterprise_name=account.enterprise_name,
            ric=account.ric,
            must_change_password=False,
        )
    return accounts_made


def seed(session: Session, subjects: DemoSubjects | None = None) -> list[DemoAccount]:
    actor = Actor.system("demo")
    return seed_accounts(session, actor, seed_organisations(session, actor), subjects)
