"""A small hub for governance tests: four departments' resources about two enterprises.

市场监管 (registrations) and 税务 (taxpayers) both hold the registered address; 统计 holds the
headcount (从业人员) and 人社 the insured headcount per year. The demo enterprise account's
company is ``ENTERPRISE``; ``OTHER`` is another company.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.support.actors import SYSTEM, actor, valid_uscc
from tests.support.hub import F, make_resource
from tongban.exchange import loads
from tongban.kernel.permissions import Actor

REGISTRATIONS = "350200-SCJGJ-0001"
TAXPAYERS = "350200-SWJ-0001"
UNITS = "350200-TJJ-0001"
INSURED = "350200-RSJ-0001"
OTHER = valid_uscc("91350200MA8GQYRN1")
ADDRESS = "厦门市思明区鹭江道1号"
OLD_ADDRESS = "厦门市湖里区旧址路9号"


@dataclass
class Hub:
    enterprise: str  # the demo enterprise account's USCC
    resources: dict[str, Any]

    def actor(self, db: Session, username: str) -> Actor:
        return actor(db, username)


def build_hub(db: Session) -> Hub:
    uscc = actor(db, "enterprise").uscc
    assert uscc is not None
    made = {
        REGISTRATIONS: make_resource(
            db,
            provider_code="350200-SCJGJ",
            code=REGISTRATIONS,
            name="市场主体登记信息",
            fields=(
                F("统一社会信用代码", "uscc", subject=True),
                F("企业名称", "enterprise_name"),
                F("住所", "registered_address"),
                F("法定代表人", "legal_representative"),
            ),
        ),
        TAXPAYERS: make_resource(
            db,
            provider_code="350200-SWJ",
            code=TAXPAYERS,
            name="纳税人登记信息",
            fields=(
                F("纳税人识别号", "uscc", subject=True),
                F("纳税人名称", "enterprise_name"),
                F("注册地址", "registered_address"),
            ),
        ),
        UNITS: make_resource(
            db,
            provider_code="350200-TJJ",
            code=UNITS,
            name="法人单位年报",
            fields=(
                F("统一社会信用代码", "uscc", subject=True),
                F("统计年度", "reporting_year"),
                F("从业人员期末人数", "employees"),
            ),
        ),
        INSURED: make_resource(
            db,
            provider_code="350200-RSJ",
            code=INSURED,
            name="参保单位年度缴费情况",
            fields=(
                F("单位编号", "social_insurance_unit_id", key=True),
                F("统一社会信用代码", "uscc", subject=True),
                F("年度", "reporting_year", key=True),
                F("年末参保人数", "insured_headcount"),
            ),
        ),
    }
    loads.load_rows(
        db,
        SYSTEM,
        REGISTRATIONS,
        [
            {
                "统一社会信用代码": uscc,
                "企业名称": "厦门鹭江智能科技有限公司",
                "住所": ADDRESS,
                "法定代表人": "陈明",
            },
            {
                "统一社会信用代码": OTHER,
                "企业名称": "厦门其他有限公司",
                "住所": "厦门市集美区1号",
                "法定代表人": "李四",
            },
        ],
    )
    loads.load_rows(
        db,
        SYSTEM,
        TAXPAYERS,
        [
            {"纳税人识别号": uscc, "纳税人名称": "厦门鹭江智能科技有限公司", "注册地址": OLD_ADDRESS},
            # the same address written with other spacing: not a conflict
            {"纳税人识别号": OTHER, "纳税人名称": "厦门其他有限公司 ", "注册地址": " 厦门市集美区1号"},
        ],
    )
    loads.load_rows(
        db,
        SYSTEM,
        UNITS,
        [
            {"统一社会信用代码": uscc, "统计年度": 2025, "从业人员期末人数": 12},
            {"统一社会信用代码": OTHER, "统计年度": 2025, "从业人员期末人数": 40},
        ],
    )
    loads.load_rows(
        db,
        SYSTEM,
        INSURED,
        [
            {"单位编号": "U001", "统一社会信用代码": uscc, "年度": 2025, "年末参保人数": 50},
            {"单位编号": "U002", "统一社会信用代码": OTHER, "年度": 2025, "年末参保人数": 38},
            {"单位编号": "U002", "统一社会信用代码": OTHER, "年度": 2024, "年末参保人数": 5},
        ],
    )
    db.flush()
    return Hub(uscc, made)


@pytest.fixture
def hub(db: Session, demo_city: dict[str, Any]) -> Hub:
    built = build_hub(db)
    db.commit()
    return built


