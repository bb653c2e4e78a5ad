"""Sharing through the workbench pages and the JSON API, as the people and systems involved do it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.testclient import TestClient
from tests.support.actors import actions
from tests.support.records import market_resource, token
from tests.support.web import api_headers, log_in, post_form

from tongban.exchange.models import Grant, RequestStatus, SharingRequest


def test_a_request_asked_on_a_page_is_decided_by_the_providers_steward_on_a_page(
    client: TestClient, db: Session, demo_city: dict[str, Any]
) -> None:
    resource = market_resource(db)
    db.commit()
    log_in(client, "tax_officer")
    form = client.get("/workbench/sharing/new", params={"resource": resource.code})
    assert form.status_code == 200 and 'data-testid="field-营业收入"' in form.text
    missing = post_form(
        client, "/workbench/sharing/new", {"resource": resource.code, "purpose": "", "legal_basis": ""}
    )
    assert missing.status_code == 422 and 'data-testid="error-fields"' in missing.text
    asked = post_form(
        client,
        "/workbench/sharing/new",
        {
            "resource": resource.code,
            "purpose": "纳税信用评价",
            "legal_basis": "《纳税信用管理办法》",
            "fields": ["统一社会信用代码", "营业收入", "纳税额"],
        },
    )
    assert asked.status_code == 303
    detail = client.get(asked.headers["location"])
    assert 'data-status="pending"' in detail.text and 'data-testid="withdraw-form"' in detail.text
    assert 'data-testid="approve-form"' not in detail.text
    request_id = int(asked.headers["location"].rsplit("/", 1)[1])

    client.cookies.clear()
    log_in(client, "steward")
    listing = client.get("/workbench/sharing", params={"side": "provider"})
    assert f'data-testid="sharing-link-{request_id}"' in listing.text
    assert 'data-testid="nav-sharing"' in listing.text and 'data-testid="nav-access-log"' in listing.text
    fewer = post_form(
        client, f"/workbench/sharing/{request_id}/approve", {"fields": ["统一社会信用代码", "营业收入"]}
    )
    assert fewer.status_code == 422 and 'data-testid="error-reason"' in fewer.text
    approved = post_form(
        client,
        f"/workbench/sharing/{request_id}/approve",
        {"fields": ["统一社会信用代码", "营业收入"], "reason": "纳税额另行申请", "expires_on": "2099-12-31"},
    )
    assert approved.status_code == 303
    db.commit()  # a fresh snapshot
    db.expire_all()
    grant = db.query(Grant).one()
    assert grant.fields == ["统一社会信用代码", "营业收入"] and grant.expires_at is not None
    grants = client.get("/workbench/grants", params={"side": "provider"})
    assert f'data-testid="grant-revoke-{grant.id}"' in grants.text
    revoked = post_form(client, f"/workbench/grants/{grant.id}/revoke", {"reason": "用途结束"})
    assert revoked.status_code == 303
    db.commit()  # a fresh snapshot
    db.expire_all()
    assert db.get(Grant, grant.id).revoked_at is not None  # type: ignore[union-attr]
    assert [a for a in actions(db) if a.startswith("sharing.")] == [
        "sharing.request",
        "sharing.grant",
        "sharing.revoke",
    ]


def test_a_consumer_system_asks_through_the_api_and_the_steward_rejects_it(
    client: TestClient, db: Session, demo_city: dict[str, Any]
) -> None:
    resource = market_resource(db)
    db.commit()
    system = token(db)
    body = {
        "resource_code": resource.code,
        "purpose": "纳税信用评价",
        "legal_basis": "《纳税信用管理办法》",
        "fields": ["营业收入"],
        "serves": "纳税信用等级评定",
    }
    created = client.post("/api/v1/sharing/requests", headers=system.headers, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "pending" and created.json()["requested_by"].endswith("业务系统")
    request_id = created.json()["id"]
    log_in(client, "steward")
    headers = api_headers(client)
    to_decide = client.get("/api/v1/sharing/requests", params={"side": "provider"}, headers=headers).json()
    assert [r["id"] for r in to_decide["items"]] == [request_id]
    empty = client.post(f"/api/v1/sharing/requests/{request_id}/reject", headers=headers, json={"reason": ""})
    assert empty.status_code == 422
    rejected = client.post(
        f"/api/v1/sharing/requests/{request_id}/reject", headers=headers, json={"reason": "请说明具体事项"}
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    seen = client.get(f"/api/v1/sharing/requests/{request_id}", headers=system.headers).json()
    assert seen["reason"] == "请说明具体事项"
    db.commit()  # a fresh snapshot
    db.expire_all()
    assert db.get(SharingRequest, request_id).status is RequestStatus.REJECTED  # type: ignore[union-attr]


def test_approval_through_the_api_gives_a_grant_the_consumer_sees(
    client: TestClient, db: Session, demo_city: dict[str, Any]
) -> None:
    resource = market_resource(db)
    db.commit()
    system = token(db)
    body = {
        "resource_code": resource.code,
        "purpose": "核查",
        "legal_basis": "文件",
        "fields": ["营业收入", "企业名称"],
    }
    request_id = client.post("/api/v1/sharing/requests", headers=system.headers, json=body).json()["id"]
    log_in(client, "steward")
    approved = client.post(
        f"/api/v1/sharing/requests/{request_id}/approve",
        headers=api_headers(client),
        json={"expires_at": "2099-01-01T00:00:00+08:00"},
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["fields"] == ["企业名称", "营业收入"] and approved.json()["state"] == "active"
    held = client.get("/api/v1/sharing/grants", headers=system.headers, params={"active": True}).json()
    assert [g["id"] for g in held["items"]] == [approved.json()["id"]]
