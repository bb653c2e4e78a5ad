"""Security of sharing and access: refusals with reasons, revocation at once, no leak of ungranted
fields anywhere, departments and enterprises kept to their own records, every refusal logged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from starlette.testclient import TestClient
from tests.support.actors import user
from tests.support.records import (
    CONSUMER,
    MARKET_CODE,
    OTHER_CONSUMER,
    OTHER_USCC,
    SECRET_REVENUE,
    USCC,
    entries,
    grant,
    market_record,
    market_resource,
    token,
)
from tests.support.web import api_headers, log_in, post_form

from tongban.app import create_app
from tongban.catalog.models import SharingType
from tongban.exchange.models import SharingRequest
from tongban.kernel.clock import Clock

MOMENT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
GRANTED = ["统一社会信用代码", "年度", "企业名称"]


def _read(client: TestClient, headers: dict[str, str], subject: str = USCC, **params: Any) -> Any:
    return client.get(f"/api/v1/data/{MARKET_CODE}/subjects/{subject}", headers=headers, params=params)


def _verify(client: TestClient, headers: dict[str, str], question: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/verify/{MARKET_CODE}", headers=headers, json={"subject": USCC, "question": question}
    )


def test_no_grant_is_refused_with_its_reason_and_the_refusal_is_logged(
    client: TestClient, db: Session, demo_city: dict[str, Any]
) -> None:
    resource = market_resource(db)
    market_record(db, resource)
    db.commit()
    system = token(db)
    response = _read(client, system.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "no_grant"
    assert SECRET_REVENUE not in response.text
    [entry] = entries(db)
    assert (entry.outcome, entry.kind.value, entry.token_id) == ("no_grant", "read", system.id)
    assert entry.consumer_org_id == demo_city[CONSUMER].id and entry.resource_id == resource.id


def test_revoked_grant_is_refused_from_the_next_request_on_in_every_process(
    client: TestClient, db: Session, demo_city: dict[str, Any], app: Any, engine: Engine
) -> None:
    resource = market_resource(db)
    market_record(db, resource)
    given = grant(db, resource, GRANTED)
    system = token(db)
    # A second process: its own application object over the same database.
    with TestClient(create_app(app.state.settings, engine)) as other_process:
        assert _read(client, system.headers).status_code == 200
        assert _read(other_process, system.headers).status_code == 200
        log_in(client, "steward")
        revoked = client.post(
            f"/api/v1/sharing/grants/{given.id}/revoke", headers=api_headers(client), json={}
        )
        assert revoked.status_code == 200, revoked.text
        for process in (client, other_process):
            refused = _read(process, system.headers)
            assert refused.status_code == 403 and refused.json()["code"] == "grant_revoked"
    outcomes = [e.outcome for e in entries(db)]
    assert outcomes == ["ok", "ok", "grant_revoked", "grant_revoked"]


def test_expired_grant_is_refused_from_the_next_request_on(
    client: TestClient, db: Session, demo_city: dict[str, Any], frozen_clock: Clock
) -> None:
    frozen_clock.freeze(MOMENT)
    resource = market_resource(db)
    market_record(db, resource)
    grant(db, resource, GRANTED, expires_at=MOMENT + timedelta(days=1))
    system = token(db)
    assert _read(client, system.headers).status_code == 200
    frozen_clock.advance(timedelta(days=1, seconds=1))
    refused = _read(client, system.headers)
    assert refused.status_code == 403 and refused.json()["code"] == "grant_expired"
    assert refused.json()["title"]  # the reason, in words
    verified = _verify(client, system.headers, {"field": "企业名称", "op": "=", "value": "厦门"})
    assert verified.status_code == 403 and verified.json()["code"] == "grant_expired"
    assert [e.outcome for e in entries(db)] == ["ok", "grant_expired", "grant_expired"]


def test_fields_outside_the_grant_never_appear_in_any_response_export_error_or_log(
    client: TestClient, db: Session, demo_city: dict[str, Any], engine: Engine
) -> None:
    resource = market_resource(db)
    market_record(db, resource, uscc=user(db, "enterprise").uscc or "")
    market_record(db, resource)
    grant(db, resource, GRANTED)
    system = token(db)
    subject = user(db, "enterprise").uscc or ""
    texts = [
        _read(client, system.headers, subject).text,
        _read(client, system.headers, subject, fields="营业收入").text,
        _read(client, system.headers, subject, fields="营业收入,企业名称").text,
        client.get(f"/api/v1/data/{MARKET_CODE}/records", headers=system.headers).text,
        client.get(f"/api/v1/data/{MARKET_CODE}/changes", headers=system.headers).text,
        client.get(f"/api/v1/data/{MARKET_CODE}/records?fields=营业收入", headers=system.headers).text,
        _verify(client, system.headers, {"field": "营业收入", "op": ">=", "value": "1"}).text,
        _verify(
            client, system.headers, {"field": "企业名称", "op": "=", "value": "x", "where": {"营业收入": 1}}
        ).text,
        client.get("/api/v1/access-log", headers=system.headers).text,
    ]
    read = _read(client, system.headers, subject).json()
    assert set(read["records"][0]["fields"]) == set(GRANTED)
    for who, pages in (
        ("enterprise", ["/portal/usage"]),
        ("steward", ["/workbench/access-log", "/workbench/access-log.xlsx", "/api/v1/access-log"]),
        ("admin", ["/workbench/access-log", "/api/v1/audit/events?page_size=200", "/workbench/audit"]),
    ):
        client.cookies.clear()
        log_in(client, who)
        for page in pages:
            response = client.get(page)
            assert response.status_code == 200, (who, page)
            texts.append(response.content.decode("utf-8", "replace"))
            if page.endswith(".xlsx"):
                assert response.content.startswith(b"PK")
                import io

                from openpyxl import load_workbook

                sheet = load_workbook(io.BytesIO(response.content)).active
                assert sheet is not None
                texts.append(" ".join(str(c.value) for row in sheet.iter_rows() for c in row))
    for body in texts:
        assert SECRET_REVENUE not in body and "98765432" not in body
    # Stored anywhere but in the records themselves: nowhere (access log, audit chain, requests).
    with engine.connect() as connection:
        for table in ("access_log", "access_log_subjects", "audit_events", "grants", "sharing_requests"):
            for row in connection.execute(text(f"SELECT * FROM {table}")):
                assert "98765432" not in " ".join(str(v) for v in row), table
    refusals = [e.outcome for e in entries(db) if e.outcome != "ok"]
    assert refusals.count("field_not_granted") == 5


def test_a_departments_token_cannot_read_another_departments_requests_or_logs(
    client: TestClient, db: Session, demo_city: dict[str, Any]
) -> None:
    resource = market_resource(db)
    market_record(db, resource)
    given = grant(db, resource, GRANTED)
    tax = token(db, CONSUMER)
    hr = token(db, OTHER_CONSUMER)
    assert _read(client, tax.headers).status_code == 200
    mine = client.get(f"/api/v1/sharing/requests/{given.request_id}", headers=tax.headers)
    assert mine.status_code == 200
    theirs = client.get(f"/api/v1/sharing/requests/{given.request_id}", headers=hr.headers)
    assert theirs.status_code == 403 and theirs.json()["code"] == "outside_scope"
    assert client.get("/api/v1/sharing/requests", headers=hr.headers).json()["total"] == 0
    assert client.get("/api/v1/sharing/grants", headers=hr.headers).json()["total"] == 0
    tax_log = client.get("/api/v1/access-log", headers=tax.headers).json()
    assert tax_log["total"] == 1
    hr_log = client.get(
        "/api/v1/access-log", headers=hr.headers, params={"consumer_org_id": demo_city[CONSUMER].id}
    ).json()
    assert hr_log["total"] == 0 and hr_log["items"] == []


def test_an_enterprise_sees_only_its_own_usage_records(
    client: TestClient, db: Session, demo_city: dict[str, Any]
) -> None:
    own = user(db, "enterprise").uscc or ""
    resource = market_resource(db)
    market_record(db, resource, uscc=own)
    market_record(db, resource, uscc=OTHER_USCC)
    grant(db, resource, GRANTED)
    system = token(db)
    for subject in (own, OTHER_USCC, OTHER_USCC):
        assert _read(client, system.headers, subject).status_code == 200
    log_in(client, "enterprise")
    page = client.get("/portal/usage")
    assert page.status_code == 200
    assert page.text.count('data-testid="usage-row"') == 1
    assert 'data-seq="1"' in page.text  # the first read was of the enterprise's own record
    assert OTHER_USCC not in page.text


def test_a_not_shared_resource_cannot_be_requested_through_the_api_or_the_pages(
    client: TestClient, db: Session, demo_city: dict[str, Any]
) -> None:
    resource = market_resource(db, SharingType.NOT_SHARED)
    db.commit()
    system = token(db)
    body = {"resource_code": resource.code, "purpose": "核查", "legal_basis": "文件", "fields": ["企业名称"]}
    refused = client.post("/api/v1/sharing/requests", headers=system.headers, json=body)
    assert refused.status_code == 403 and refused.json()["code"] == "resource_not_shared"
    log_in(client, "tax_officer")
    page = post_form(
        client,
        "/workbench/sharing/new",
        {"resource": resource.code, "purpose": "核查", "legal_basis": "文件", "fields": "企业名称"},
    )
    assert page.status_code == 403 and 'data-code="resource_not_shared"' in page.text
    db.commit()  # a fresh snapshot
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(SharingRequest)) == 0
    # The token cannot read it either, and that refusal is logged.
    assert _read(client, system.headers).json()["code"] == "no_grant"
    assert [e.outcome for e in entries(db)] == ["no_grant"]


def test_each_refusal_is_logged_including_unknown_callers_and_missing_rights(
    client: TestClient, db: Session, demo_city: dict[str, Any]
) -> None:
    resource = market_resource(db)
    market_record(db, resource)
    grant(db, resource, GRANTED)
    no_access = token(db, CONSUMER, ["org.read"])
    assert _read(client, {"Authorization": "Bearer tb_wrong_secret"}).status_code == 401
    assert _read(client, {}).status_code == 401
    assert _read(client, no_access.headers).status_code == 403
    log_in(client, "tax_officer")  # a person, not a system: no data.access
    assert _read(client, {}).status_code == 403
    logged = entries(db)
    assert [e.outcome for e in logged] == [
        "invalid_token",
        "not_authenticated",
        "permission_denied",
        "permission_denied",
    ]
    assert [e.actor_kind for e in logged] == ["anonymous", "anonymous", "token", "user"]
    # Nobody can tell whose data an unknown caller wanted: such tries are not shown to people.
    assert [e.subject_count for e in logged] == [1, 1, 1, 1]
