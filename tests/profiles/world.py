"""A small hub for profile tests: the demo organisations, the city's resources, the platform's
grants, and a few enterprises loaded through ingest (so ``RecordsChanged`` is published)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tests.support.actors import SYSTEM, user, valid_ric, valid_uscc
from tongban.catalog.service import seed_standard_elements
from tongban.db import transaction
from tongban.demo.hub import register_city_resources
from tongban.demo.profiles import grant_platform
from tongban.exchange import loads
from tongban.exchange.models import Load

REGISTRATIONS = "350200-SCJGJ-0001"
TAXPAYERS = "350200-SWJ-0001"
RETURNS = "350200-SWJ-0002"
ABOVE_SCALE = "350200-TJJ-0002"
HIGH_TECH = "350200-KJJ-0001"
HIRES = "350200-RSJ-0003"
DISHONESTY = "350200-FGW-0001"
OTHER = valid_uscc("91350206MA8NEWC01")
PERSON = valid_ric("35020319900101001")


@dataclass(frozen=True)
class World:
    uscc: str  # the demo enterprise account's company


def registration(
    uscc: str, *, capital: str = "500", industry: str = "C3911", region: str = "350203"
) -> dict[str, Any]:
    return {
        "统一社会信用代码": uscc,
        "企业名称": "厦门鹭江智能科技有限公司",
        "法定代表人": "陈明",
        "企业类型": "有限责任公司",
        "注册资本（万元）": capital,
        "成立日期": "2015-03-02",
        "住所": "厦门市思明区湖滨南路1号",
        "住所所在行政区划": region,
        "行业代码": industry,
        "登记机关": "厦门市市场监督管理局",
        "登记状态": "存续",
        "核准日期": "2015-03-02",
    }


def annual_return(uscc: str, year: int, revenue: str) -> dict[str, Any]:
    return {
        "纳税人识别号": uscc,
        "纳税人名称": "厦门鹭江智能科技有限公司",
        "所属年度": str(year),
        "营业收入（元）": revenue,
        "实缴税额（元）": "120000.50",
        "地方级收入（元）": "50000",
        "研发费用（元）": "800000",
    }


def push(factory: sessionmaker[Session], code: str, *rows: dict[str, Any]) -> Load:
    with transaction(factory) as session:
        return loads.load_rows(session, SYSTEM, code, list(rows))


def make_world(factory: sessionmaker[Session], *, grants: bool = True) -> World:
    with transaction(factory) as session:
        seed_standard_elements(session, SYSTEM)
        register_city_resources(session, SYSTEM)
        if grants:
            grant_platform(session, SYSTEM)
        uscc = user(session, "enterprise").uscc
    assert uscc
    push(factory, REGISTRATIONS, registration(uscc), registration(OTHER, region="350206"))
    push(
        factory,
        TAXPAYERS,
        {
            "纳税人识别号": uscc,
            "纳税人名称": "厦门鹭江智能科技有限公司",
            "注册地址": "厦门市思明区湖滨南路1号",
            "行政区划": "350203",
            "主管税务机关": "国家税务总局厦门市思明区税务局",
            "行业": "C3912",
            "纳税人状态": "正常",
            "纳税信用等级": "A",
        },
    )
    push(
        factory,
        RETURNS,
        *(
            annual_return(uscc, y, r)
            for y, r in ((2023, "18000000"), (2024, "21000000.25"), (2025, "26000000"))
        ),
    )
    push(
        factory,
        ABOVE_SCALE,
        {
            "统计年度": "2025",
            "统一社会信用代码": uscc,
            "单位详细名称": "厦门鹭江智能科技有限公司",
            "行业代码": "3911",
            "类别": "规模以上工业",
            "营业收入（千元）": "25500",
        },
    )
    push(
        factory,
        HIGH_TECH,
        {
            "证书编号": "GR202335000123",
            "企业名称": "厦门鹭江智能科技有限公司",
            "统一社会信用代码": uscc,
            "发证日期": "2023-12-12",
            "有效期（年）": "3",
        },
    )
    push(
        factory,
        HIRES,
        {
            "公民身份号码": PERSON,
            "姓名": "王小红",
            "用人单位统一社会信用代码": uscc,
            "用人单位名称": "厦门鹭江智能科技有限公司",
            "招用日期": "2025-03-01",
            "劳动合同期限（月）": "24",
            "招用前就业状态": "登记失业人员",
            "失业登记日期": "2024-05-01",
            "是否缴纳社会保险": "是",
        },
    )
    return World(uscc)
