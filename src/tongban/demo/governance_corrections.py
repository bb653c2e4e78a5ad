"""Conflicts and corrections in the demo city, from the generator's stated defects.

After the city is loaded: the resolution rules are set (the registration authority's address and
name are authoritative; headcounts take the most recent report), conflicts are found (税务's old
registered addresses, 统计's headcounts far below 人社's), and a few corrections are filed:

- by the demo enterprise user about its own company (open, for 市场监管's steward);
- by 市场监管's officer about 税务's old addresses and 统计's headcounts, proposing the right
  values from ``_truth/defects.csv`` (open, for those departments);
- by 税务's officer about 市场监管's address of an enterprise whose tax address is the old one
  (a dispute the steward should reject), filed nine days ago and overdue.

Idempotent: rules are set again and conflicts found anew; corrections are filed only once.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tongban.db import transaction
from tongban.demo.city.departments import BY_KEY
from tongban.demo.hub import resource_code
from tongban.governance import conflicts, corrections
from tongban.governance.conflicts_domain import ResolutionKind
from tongban.governance.correction_models import Correction
from tongban.kernel import workdays
from tongban.kernel.accounts import service as accounts
from tongban.kernel.accounts.models import User
from tongban.kernel.clock import now, today
from tongban.kernel.errors import DomainError
from tongban.kernel.permissions import Actor

log = logging.getLogger("tongban")

REGISTRATIONS = resource_code(BY_KEY["SCJGJ/registrations"])
TAXPAYERS = resource_code(BY_KEY["SWJ/taxpayers"])
UNITS = resource_code(BY_KEY["TJJ/annual_units"])

RULES: tuple[tuple[str, ResolutionKind, str | None, str], ...] = (
    ("registered_address", ResolutionKind.AUTHORITATIVE, REGISTRATIONS, "住所以市场主体登记为准。"),
    ("enterprise_name", ResolutionKind.AUTHORITATIVE, REGISTRATIONS, "名称以市场主体登记为准。"),
    ("employees", ResolutionKind.MOST_RECENT, None, "用工人数变化快，取最近一次报送的值。"),
    ("insured_headcount", ResolutionKind.MOST_RECENT, None, "参保人数取最近一次报送的值。"),
)
ENTERPRISE_NEW_ADDRESS = "厦门市思明区环岛东路1688号"


def _truth(city_dir: Path, kind: str) -> Iterator[dict[str, str]]:
    path = city_dir / "_truth" / "defects.csv"
    if not path.exists():
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from (row for row in csv.DictReader(handle) if row["kind"] == kind)


def _row(city_dir: Path, key: str, number: int, cache: dict[str, list[dict[str, str]]]) -> dict[str, str]:
    if key not in cache:
        with (city_dir / f"{key}.csv").open(encoding="utf-8-sig", newline="") as handle:
            cache[key] = list(csv.DictReader(handle))
    rows = cache[key]
    return rows[number - 1] if 0 < number <= len(rows) else {}


def _actor(session: Session, username: str) -> Actor | None:
    user = session.scalar(select(User).where(User.username == username))
    return accounts.actor_for_user(session, user, "demo") if user is not None else None


def _file(session: Session, who: Actor | None, filing: corrections.Filing) -> Correction | None:
    if who is None:
        return None
    try:
        with session.begin_nested():
            return corrections.file_correction(session, who, filing)
    except DomainError as error:  # the record was quarantined, or the value is already right
        log.info("demo correction skipped (%s): %s %s", error.code, filing.resource_code, filing.subject)
        return None


def _filings(session: Session, city_dir: Path) -> list[Correction]:
    made: list[Correction | None] = []
    cache: dict[str, list[dict[str, str]]] = {}
    enterprise = _actor(session, "enterprise")
    officer = _actor(session, "officer")
    tax_officer = _actor(session, "tax_officer")
    if enterprise is not None and enterprise.uscc:
        made.append(
            _file(
                session,
                enterprise,
                corrections.Filing(
                    enterprise.uscc,
                    REGISTRATIONS,
                    "住所",
                    ENTERPRISE_NEW_ADDRESS,
                    "我司已于上月迁至新址，住所变更登记已受理，登记信息尚未更新。",
                ),
            )
        )
    moved = list(_truth(city_dir, "address_mismatch"))
    for truth in moved[:2]:
        row = _row(city_dir, truth["file"], int(truth["row"]), cache)
        if row:
            made.append(
                _file(
                    session,
                    officer,
                    corrections.Filing(
                        row["纳税人识别号"],
                        TAXPAYERS,
                        "注册地址",
                        truth["value"],
                        "税务登记的注册地址为企业迁址前的旧地址，与市场主体登记的住所不一致。",
                    ),
                )
            )
    for truth in list(_truth(city_dir, "headcount_mismatch"))[:2]:
        row = _row(city_dir, truth["file"], int(truth["row"]), cache)
        if row:
            made.append(
                _file(
                    session,
                    officer,
                    corrections.Filing(
                        row["统一社会信用代码"],
                        UNITS,
                        "从业人员期末人数",
                        truth["value"],
                        "年报从业人员数远低于同年末参保人数，疑为填报错误，请核实。",
                    ),
                )
            )
    for truth in moved[2:3]:
        row = _row(city_dir, truth["file"], int(truth["row"]), cache)
        if row:
            late = _file(
                session,
                tax_officer,
                corrections.Filing(
                    row["纳税人识别号"],
                    REGISTRATIONS,
                    "住所",
                    row["注册地址"],
                    "企业在税务机关登记的注册地址与登记住所不一致，请核实住所。",
                ),
            )
            if late is not None:
                late.created_at = now() - timedelta(days=9)
                late.deadline = workdays.add_working_days(today(), -2)
            made.append(late)
    return [c for c in made if c is not None]


def prepare_corrections(
    session_factory: sessionmaker[Session], actor: Actor, city_dir: Path
) -> dict[str, Any]:
    """Rules, conflicts and a few open corrections (one overdue) for the demo; returns the counts."""
    with transaction(session_factory) as session:
        held = {r.element_key for r in conflicts.list_rules(session, actor)} | {
            key for key in conflicts.resolution_rules(session)
        }
        rules = 0
        for element, kind, resource, note in RULES:
            if element in held:
                try:
                    conflicts.set_rule(session, actor, element, kind, resource, note)
                    rules += 1
                except DomainError as error:
                    log.info("demo rule for %s skipped: %s", element, error.code)
        report = conflicts.scan(session, actor)
    filed: list[Correction] = []
    with transaction(session_factory) as session:
        if not session.scalar(select(func.count()).select_from(Correction)):
            filed = _filings(session, city_dir)
            session.flush()
            corrections.flag_overdue(session, actor)
        open_count = (
            session.scalar(select(func.count()).select_from(Correction).where(Correction.status == "open"))
            or 0
        )
        overdue = (
            session.scalar(
                select(func.count())
                .select_from(Correction)
                .where(Correction.status == "open", Correction.deadline < today())
            )
            or 0
        )
    return {
        "rules": rules,
        "conflicts": report.conflicts,
        "corrections_filed": len(filed),
        "corrections_open": open_count,
        "corrections_overdue": overdue,
    }
