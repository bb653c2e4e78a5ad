"""Builders for sharing and access tests: resources, records written directly, grants, tokens.

The market resource is provided by 厦门市市场监督管理局 (whose demo steward decides requests);
the consumer is 国家税务总局厦门市税务局 (tax_officer asks; its system uses a token).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.support.actors import SYSTEM, actor, org, valid_ric, valid_uscc
from tests.support.hub import F, make_resource
from tongban.catalog.models import Resource, SharingType, SubjectKind
from tongban.catalog.schema import schema_of
from tongban.exchange import sharing
from tongban.exchange.models import AccessLogEntry, Grant, Record
from tongban.kernel.accounts import tokens
from tongban.kernel.clock import now

PROVIDER = "350200-SCJGJ"
CONSUMER = "350200-SWJ"
OTHER_CONSUMER = "350200-RSJ"

MARKET_CODE = "350200-SCJGJ-0001"
MARKET_FIELDS = (
    F("统一社会信用代码", "uscc", subject=True),
    F("年度", "reporting_year", key=True),
    F("企业名称", "enterprise_name"),
    F("营业收入", "annual_revenue"),
    F("纳税额", "tax_paid"),
    F("企业资质", "qualifications"),
    F("认定日期", "establishment_date"),
    F("有效期至", "penalty_decision_date"),  # a date element stands in for the end of validity
    F("联系人手机", "mobile"),
)
PERSON_CODE = "350200-SCJGJ-0002"
PERSON_FIELDS = (
    F("身份证号", "ric", subject=True),
    F("姓名", "person_name"),
    F("出生日期", "birth_date"),
    F("就业状态", "employment_status"),
    F("户籍地", "household_region"),
)
ACCESS_PERMISSIONS = ["data.access", "sharing.request", "access_log.read"]

USCC = valid_uscc("91350200MA8TEXT01")
OTHER_USCC = valid_uscc("91350200MA8TEXT02")
RIC = valid_ric("35020319850615002")
SECRET_REVENUE = "98765432.10"  # the value of a field that is never granted in the tests


def market_resource(
    db: Session,
    sharing_type: SharingType = SharingType.CONDITIONAL,
    *,
    full_coverage: bool = False,
    code: str = MARKET_CODE,
) -> Resource:
    return make_resource(
        db,
        provider_code=PROVIDER,
        code=code,
        name="企业年度经营信息",
        fields=MARKET_FIELDS,
        sharing_type=sharing_type,
        full_coverage=full_coverage,
    )


def person_resource(db: Session, sharing_type: SharingType = SharingType.UNCONDITIONAL) -> Resource:
    return make_resource(
        db,
        provider_code=PROVIDER,
        code=PERSON_CODE,
        name="个人就业登记信息",
        fields=PERSON_FIELDS,
        sharing_type=sharing_type,
        subject_kind=SubjectKind.RIC,
    )


def add_record(
    db: Session, resource: Resource, values: dict[str, Any], *, valid_from: datetime | None = None
) -> Record:
    """A current record version, written directly (ingest is not needed to test access)."""
    schema = schema_of(resource)
    subject_field = schema.subject_field
    data = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    record = Record(
        resource_id=resource.id,
        record_key=schema.record_key(values),
        subject=str(values[subject_field.name]) if subject_field else None,
        data=data,
        row_hash=hashlib.md5(data.encode(), usedforsecurity=False).hexdigest(),
        valid_from=valid_from or now(),
    )
    db.add(record)
    db.flush()
    return record


def market_record(db: Session, resource: Resource, uscc: str = USCC, **values: Any) -> Record:
    row = {
        "统一社会信用代码": uscc,
        "年度": 2025,
        "企业名称": "厦门鹭江智能科技有限公司",
        "营业收入": SECRET_REVENUE,
        "纳税额": "1200000.00",
        "企业资质": ["high_tech"],
        "认定日期": "2024-01-01",
        "有效期至": "2026-12-31",
        "联系人手机": "13812345678",
    }
    return add_record(db, resource, row | values)


def grant(
    db: Session,
    resource: Resource,
    fields: list[str],
    *,
    consumer: str = "tax_officer",
    allow_sensitive: bool = False,
    expires_at: datetime | None = None,
) -> Grant:
    """Ask as the consumer and, for a conditional resource, approve as the provider's steward."""
    request = sharing.request_sharing(
        db,
        actor(db, consumer),
        sharing.RequestInput(
            resource_code=resource.code,
            purpose="纳税信用评价",
            legal_basis="《纳税信用管理办法》",
            fields=fields,
            allow_sensitive=allow_sensitive,
        ),
    )
    if request.status.value == "pending":
        made = sharing.approve(
            db,
            actor(db, "steward"),
            request.id,
            sharing.Decision(expires_at=expires_at, allow_sensitive=allow_sensitive),
        )
    else:
        made = db.scalars(select(Grant).where(Grant.request_id == request.id)).one()
    db.commit()
    return made


@dataclass(frozen=True)
class Token:
    secret: str
    id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}


def token(db: Session, org_code: str = CONSUMER, permissions: list[str] | None = None) -> Token:
    issued = tokens.create_token(
        db,
        SYSTEM,
        org_id=org(db, org_code).id,
        name=f"{org_code} 业务系统",
        permissions=permissions or ACCESS_PERMISSIONS,
    )
    db.commit()
    return Token(issued.secret, issued.token.id)


def entries(db: Session) -> list[AccessLogEntry]:
    """Access-log entries in chain order (a fresh read: the session's own snapshot is ended)."""
    db.commit()
    db.expire_all()
    return list(db.scalars(select(AccessLogEntry).order_by(AccessLogEntry.seq)))


MATRIX_REQUESTS = ("view", "approve", "reject", "withdraw", "page-approve", "page-reject", "page-withdraw")
MATRIX_GRANTS = ("api-revoke", "page-revoke")


def matrix_world(db: Session) -> tuple[dict[str, int], dict[str, str]]:
    """For the role matrix: a conditional resource of 市场监管局 with pending requests and grants of
    税务局 (one per row that changes one), and an unconditional resource of 税务局 to ask for."""
    decide = market_resource(db, code="350200-SCJGJ-MATRIX")
    ask = make_resource(
        db,
        provider_code=CONSUMER,
        code="350200-SWJ-MATRIX",
        fields=MARKET_FIELDS,
        sharing_type=SharingType.UNCONDITIONAL,
    )
    tax = actor(db, "tax_officer")
    ids: dict[str, int] = {}
    for name in MATRIX_REQUESTS + MATRIX_GRANTS:
        request = sharing.request_sharing(
            db, tax, sharing.RequestInput(decide.code, "矩阵用途", "矩阵依据", ["营业收入"])
        )
        ids[f"sharing:{name}"] = request.id
    for name in MATRIX_GRANTS:
        ids[f"grant:{name}"] = sharing.approve(db, SYSTEM, ids[f"sharing:{name}"], sharing.Decision()).id
    return ids, {"resource:decide": decide.code, "resource:ask": ask.code}
