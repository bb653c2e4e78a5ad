"""The access and verification API as a consumer system uses it, and what the access log keeps."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.testclient import TestClient
from tests.support.records import (
    CONSUMER,
    MARKET_CODE,
    OTHER_USCC,
    PERSON_CODE,
    RIC,
    USCC,
    Token,
    add_record,
    entries,
    grant,
    market_record,
    market_resource,
    person_resource,
    token,
)

from tongban.catalog.models import Resource, SharingType
from tongban.exchange import access_log
from tongban.exchange.models import AccessLogSubject, Record
from tongban.kernel.clock import now

ALL_MARKET = [
    "统一社会信用代码",
    "年度",
    "企业名称",
    "营业收入",
    "企业资质",
    "认定日期",
    "有效期至",
    "联系人手机",
]


@pytest.fixture
def market(db: Session, demo_city: dict[str, Any]) -> Token:
    resource = market_resource(db)
    market_record(db, resource)
    market_record(db, resource, 年度=2024, 营业收入="15000000.00", 企业资质=[])
    grant(db, resource, ALL_MARKET)
    return token(db)


def _ask(client: TestClient, system: Token, question: dict[str, Any], subject: str = USCC) -> Any:
    response = client.post(
        f"/api/v1/verify/{MARKET_CODE}",
        headers=system.headers,
        json={"subject": subject, "question": question},
    )
    return response


def test_read_returns_granted_fields_with_personal_ones_masked(
    client: TestClient, db: Session, market: Token
) -> None:
    response = client.get(f"/api/v1/data/{MARKET_CODE}/subjects/{USCC.lower()}", headers=market.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["subject"] == USCC and body["found"] and len(body["records"]) == 2
    fields = body["records"][0]["fields"]
    assert fields["企业名称"] == "厦门鹭江智能科技有限公司" and fields["统一社会信用代码"] == USCC
    assert fields["联系人手机"] == "138****5678" and body["masked"] == ["联系人手机"]
    only = client.get(
        f"/api/v1/data/{MARKET_CODE}/subjects/{USCC}",
        headers=market.headers,
        params={"fields": "企业名称,年度"},
    ).json()
    assert set(only["records"][0]["fields"]) == {"企业名称", "年度"}
    nobody = client.get(f"/api/v1/data/{MARKET_CODE}/subjects/{OTHER_USCC}", headers=market.headers).json()
    assert nobody["found"] is False and nobody["records"] == []
    logged = entries(db)[0]
    assert (logged.kind.value, logged.outcome, logged.purpose) == ("read", "ok", "纳税信用评价")
    assert logged.fields == ALL_MARKET and logged.subject_count == 1
    assert logged.consumer_org_id is not None and logged.grant_id is not None and logged.token_id == market.id
    subjects = db.scalars(
        select(AccessLogSubject.subject).where(AccessLogSubject.entry_seq == logged.seq)
    ).all()
    assert subjects == [USCC]


def test_personal_data_is_masked_by_element_unless_the_grant_allows_it(
    client: TestClient, db: Session, demo_city: dict[str, Any]
) -> None:
    resource = person_resource(db)
    add_record(
        db,
        resource,
        {"身份证号": RIC, "姓名": "王小明", "出生日期": "1985-06-15", "就业状态": "在职", "户籍地": "350203"},
    )
    grant(db, resource, ["身份证号", "姓名", "出生日期", "户籍地"])
    system = token(db)
    response = client.get(f"/api/v1/data/{PERSON_CODE}/subjects/{RIC}", headers=system.headers)
    assert response.status_code == 200, response.text
    masked = response.json()
    fields = masked["records"][0]["fields"]
    assert fields == {
        "身份证号": RIC[:4] + "*" * 12 + RIC[-2:],
        "姓名": "王**",
        "出生日期": "1985-**-**",
        "户籍地": "35****",
    }
    assert "就业状态" not in fields
    grant(db, resource, ["姓名"], allow_sensitive=True)  # a newer grant, unmasked
    clear = client.get(f"/api/v1/data/{PERSON_CODE}/subjects/{RIC}", headers=system.headers).json()
    assert clear["records"][0]["fields"] == {"姓名": "王小明"} and clear["masked"] == []


def test_bulk_pages_and_changes_since_a_cursor(client: TestClient, db: Session, market: Token) -> None:
    resource_id = db.scalar(select(Record.resource_id))
    first = client.get(
        f"/api/v1/data/{MARKET_CODE}/records", headers=market.headers, params={"limit": 1}
    ).json()
    assert len(first["records"]) == 1 and first["more"] is True
    second = client.get(
        f"/api/v1/data/{MARKET_CODE}/records",
        headers=market.headers,
        params={"after": first["next"], "limit": 1},
    ).json()
    assert len(second["records"]) == 1 and second["records"][0]["cursor"] > first["next"]
    # A new version of the 2025 record: the old one is closed, the change feed shows both.
    db.commit()  # a fresh snapshot to write from
    old = db.scalars(select(Record).where(Record.record_key.endswith("|2025"))).one()
    db.execute(update(Record).where(Record.id == old.id).values(valid_to=now()))
    resource = db.get(Resource, resource_id)
    assert resource is not None
    market_record(db, resource, 营业收入="30000000.00")
    db.commit()
    changes = client.get(
        f"/api/v1/data/{MARKET_CODE}/changes", headers=market.headers, params={"since": 0}
    ).json()
    assert [c["valid_to"] is None for c in changes["changes"]] == [False, True, True]
    assert changes["more"] is False
    later = client.get(
        f"/api/v1/data/{MARKET_CODE}/changes", headers=market.headers, params={"since": changes["next"]}
    ).json()
    assert later["changes"] == [] and later["next"] == changes["next"]
    kinds = [(e.kind.value, e.subject_count) for e in entries(db)]
    assert kinds == [("bulk", 1), ("bulk", 1), ("changes", 1), ("changes", 0)]


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ({"field": "营业收入", "op": ">=", "value": "2000万", "where": {"年度": 2025}}, "yes"),
        ({"field": "营业收入", "op": ">=", "value": "2000万", "where": {"年度": 2024}}, "no"),
        ({"field": "营业收入", "op": ">", "value": 1e8}, "no"),
        ({"field": "营业收入", "op": "<", "value": 20000000}, "yes"),  # the 2024 record
        ({"field": "营业收入", "op": "=", "value": "15000000", "where": {"年度": 2024}}, "yes"),
        ({"field": "营业收入", "op": ">=", "value": "1", "where": {"年度": 2023}}, "unknown"),
        ({"field": "企业资质", "op": "has", "value": "高新技术企业"}, "yes"),
        (
            {
                "field": "企业资质",
                "op": "in",
                "value": ["专精特新中小企业", "高新技术企业"],
                "where": {"年度": 2024},
            },
            "no",
        ),
        ({"field": "企业名称", "op": "in", "value": ["厦门鹭江智能科技有限公司"]}, "yes"),
        (
            {
                "field": "企业资质",
                "op": "has",
                "value": "高新技术企业",
                "on": "2026-06-30",
                "valid_from": "认定日期",
                "valid_to": "有效期至",
            },
            "yes",
        ),
        (
            {
                "field": "企业资质",
                "op": "has",
                "value": "高新技术企业",
                "on": "2027-01-01",
                "valid_from": "认定日期",
                "valid_to": "有效期至",
            },
            "unknown",
        ),
    ],
)
def test_verification_answers_without_returning_data(
    client: TestClient, db: Session, market: Token, question: dict[str, Any], answer: str
) -> None:
    response = _ask(client, market, question)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "resource": MARKET_CODE,
        "grant_id": response.json()["grant_id"],
        "subject": USCC,
        "answer": answer,
    }
    assert "厦门鹭江" not in response.text and "15000000" not in response.text
    [entry] = entries(db)
    assert entry.kind.value == "verify" and entry.outcome == "ok" and question["field"] in entry.fields


def test_no_record_means_no_on_a_full_coverage_resource_and_unknown_otherwise(
    client: TestClient, db: Session, demo_city: dict[str, Any]
) -> None:
    partial = market_resource(db, SharingType.UNCONDITIONAL)
    full = market_resource(db, SharingType.UNCONDITIONAL, full_coverage=True, code="350200-SCJGJ-0009")
    market_record(db, partial)
    grant(db, partial, ["企业资质"])
    grant(db, full, ["企业资质"])
    system = token(db)
    question = {"field": "企业资质", "op": "has", "value": "高新技术企业"}
    for code, expected in ((MARKET_CODE, "unknown"), (full.code, "no")):
        response = client.post(
            f"/api/v1/verify/{code}",
            headers=system.headers,
            json={"subject": OTHER_USCC, "question": question},
        )
        assert response.json()["answer"] == expected, code


def test_questions_outside_the_grant_or_malformed_are_refused_and_logged(
    client: TestClient, db: Session, demo_city: dict[str, Any]
) -> None:
    resource = market_resource(db)
    market_record(db, resource)
    grant(db, resource, ["统一社会信用代码", "企业名称", "营业收入"])
    system = token(db)
    outside = _ask(client, system, {"field": "营业收入", "op": ">=", "value": 1, "where": {"年度": 2025}})
    assert outside.status_code == 403 and outside.json()["code"] == "field_not_granted"
    wrong_type = _ask(client, system, {"field": "企业名称", "op": ">=", "value": "x"})
    assert wrong_type.status_code == 422
    not_a_number = _ask(client, system, {"field": "营业收入", "op": ">=", "value": "很多"})
    assert not_a_number.status_code == 422 and not_a_number.json()["errors"][0]["field"] == "value"
    bad_subject = _ask(
        client, system, {"field": "营业收入", "op": ">=", "value": 1}, subject="91350200MA8TEXT0X"
    )
    assert bad_subject.status_code == 422
    assert [e.outcome for e in entries(db)] == [
        "field_not_granted",
        "validation_failed",
        "validation_failed",
        "validation_failed",
    ]
    assert entries(db)[0].fields == ["营业收入", "年度"]


def test_nothing_is_sent_when_the_log_cannot_record_the_access(
    client: TestClient, db: Session, market: Token, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> list[int]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(access_log, "_append_committed", broken)
    response = client.get(f"/api/v1/data/{MARKET_CODE}/subjects/{USCC}", headers=market.headers)
    assert response.status_code == 503 and response.json()["code"] == "access_log_unavailable"
    assert "厦门鹭江" not in response.text
    monkeypatch.undo()
    assert (
        client.get(f"/api/v1/data/{MARKET_CODE}/subjects/{USCC}", headers=market.headers).status_code == 200
    )
    assert [e.outcome for e in entries(db)] == ["ok"]


def test_a_revocation_through_the_service_reaches_a_cached_lookup_at_once(
    client: TestClient, db: Session, market: Token
) -> None:
    """As from another process or the command line: the audit generation moves, the cache drops."""
    from tests.support.actors import actor

    from tongban.exchange import sharing
    from tongban.exchange.models import Grant

    for _ in range(3):
        assert (
            client.get(f"/api/v1/data/{MARKET_CODE}/subjects/{USCC}", headers=market.headers).status_code
            == 200
        )
    given = db.scalars(select(Grant)).one()
    sharing.revoke(db, actor(db, "steward"), given.id)
    db.commit()
    refused = client.get(f"/api/v1/data/{MARKET_CODE}/subjects/{USCC}", headers=market.headers)
    assert refused.status_code == 403 and refused.json()["code"] == "grant_revoked"
    assert {e.consumer_org_id for e in entries(db)} == {demo_org_id(db)}


def demo_org_id(db: Session) -> int:
    from tests.support.actors import org

    return org(db, CONSUMER).id
