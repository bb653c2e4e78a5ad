"""The push API: a department's system sends JSON batches with its token; refusals are problem+json."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient
from tests.exchange.test_ingest_service import CODE, A, B, resource
from tests.support.actors import SYSTEM, org
from tests.support.web import api_headers, log_in

from tongban.exchange import records
from tongban.kernel.accounts import tokens
from tongban.kernel.i18n import translate

URL = f"/api/v1/ingest/{CODE}/batches"
PROBLEM = "application/problem+json"


def token(session_factory: sessionmaker[Session], org_code: str, permissions: list[str]) -> dict[str, str]:
    with session_factory() as session:
        issued = tokens.create_token(
            session, SYSTEM, org_id=org(session, org_code).id, name="业务系统", permissions=permissions
        )
        session.commit()
        return {"Authorization": f"Bearer {issued.secret}"}


def test_a_department_system_pushes_a_batch(
    client: TestClient, session_factory: sessionmaker[Session], db: Session, demo_city: dict[str, Any]
) -> None:
    res = resource(db)
    headers = token(session_factory, "350200-SCJGJ", ["data.ingest"])
    body = {
        "source_name": "市场监管业务系统",
        "rows": [
            {"统一社会信用代码": A, "年度": 2025, "营业收入": "2000万", "纳税额": 1200.5},
            {"统一社会信用代码": B, "年度": 2025, "营业收入": "很多"},
        ],
    }
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["rows_read"], report["rows_new"], report["rows_quarantined"]) == (2, 1, 1)
    assert report["source"] == "push" and report["source_name"] == "市场监管业务系统"
    assert report["columns_missing"] == ["所属行业"]
    (held,) = report["quarantined"]
    assert held["row_number"] == 2
    assert held["problems"] == [
        {
            "field": "营业收入",
            "code": "{value} is not a number.",
            "message": "很多 不是有效数值。",
            "params": {"value": "很多"},
        }
    ]
    english = client.post(URL, json=body, headers=headers | {"Accept-Language": "en"}).json()
    assert english["rows_unchanged"] == 1 and english["rows_held"] == 1
    assert english["quarantined"] == []  # already waiting in quarantine from the first batch

    again = client.get(
        f"/api/v1/ingest/loads/{report['id']}/quarantine", headers=headers | {"Accept-Language": "en"}
    )
    assert again.json()["items"][0]["problems"][0]["message"] == "很多 is not a number."
    assert client.get(f"/api/v1/ingest/loads/{report['id']}", headers=headers).json()["rows_new"] == 1
    db.rollback()  # a fresh snapshot after the commits of other sessions
    assert records.current(db, res.id, f"{A}|2025").values["纳税额"] == "1200.5"  # type: ignore[union-attr]


def test_refusals_are_problem_documents(
    client: TestClient, session_factory: sessionmaker[Session], db: Session, demo_city: dict[str, Any]
) -> None:
    resource(db)
    rows = {"rows": [{"统一社会信用代码": A, "年度": 2025, "营业收入": 1}]}

    anonymous = client.post(URL, json=rows, headers=api_headers(client))
    assert anonymous.status_code == 401 and anonymous.headers["content-type"] == PROBLEM

    no_permission = client.post(URL, json=rows, headers=token(session_factory, "350200-SCJGJ", ["org.read"]))
    assert no_permission.status_code == 403 and no_permission.headers["content-type"] == PROBLEM
    assert no_permission.json()["code"] == "permission_denied"

    other_department = token(session_factory, "350200-SWJ", ["data.ingest"])
    outside = client.post(URL, json=rows, headers=other_department)
    assert outside.status_code == 403 and outside.json()["code"] == "outside_scope"
    assert outside.json()["title"] == translate(
        "This belongs to an organisation outside your remit.", language="zh-CN"
    )

    own = token(session_factory, "350200-SCJGJ", ["data.ingest"])
    missing = client.post("/api/v1/ingest/NO-SUCH/batches", json=rows, headers=own)
    assert missing.status_code == 404 and missing.json()["code"] == "resource_not_found"

    empty = client.post(URL, json={"rows": []}, headers=own)
    assert empty.status_code == 422 and empty.headers["content-type"] == PROBLEM

    no_key = client.post(URL, json={"rows": [{"营业收入": 1}]}, headers=own)
    assert no_key.status_code == 422
    problem = no_key.json()
    assert problem["code"] == "columns_mismatch"
    assert {e["field"] for e in problem["errors"]} == {"统一社会信用代码", "年度"}

    done = client.post(URL, json=rows, headers=own).json()
    report = client.get(f"/api/v1/ingest/loads/{done['id']}", headers=other_department)
    assert report.status_code == 403 and report.json()["code"] == "outside_scope"


def test_a_stewards_browser_session_can_push_too(
    client: TestClient, db: Session, demo_city: dict[str, Any]
) -> None:
    resource(db)
    log_in(client, "steward")
    response = client.post(
        URL,
        json={"rows": [{"统一社会信用代码": A, "年度": 2025, "营业收入": 1}]},
        headers=api_headers(client),
    )
    assert response.status_code == 201 and response.json()["rows_new"] == 1
