"""The publishing API: rule checking for the builder (spans, descriptions, never a 500), the
attribute catalogue, policies and items through their lifecycle, four eyes, departments,
attachments and the preview."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tests.policy.world import E1_CONDITION
from tests.support.web import api_headers, log_in

CHECK = "/api/v1/policy/rules/check"
GOOD_CONDITION = "registered_region within 厦门市 and revenue[last_year] >= 2000万"


@pytest.fixture
def officer(client: TestClient, demo_city: dict[str, Any]) -> TestClient:
    log_in(client, "policy_officer")
    return client


def _policy_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "厦门市促进工业稳增长若干措施",
        "doc_number": "厦府规〔2026〕3号",
        "issuer": "厦门市人民政府",
        "region_code": "350200",
        "level": "municipal",
        "issued_on": "2026-03-01",
        "effective_on": "2026-03-01",
        "expires_on": "2028-12-31",
        "full_text": "第三条 对首次达到规模以上的工业企业，给予一次性奖励20万元。",
    }
    body.update(changes)
    return body


def _item_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "工业企业首次达到规模以上一次性奖励",
        "summary": "一次性奖励20万元。",
        "condition": E1_CONDITION,
        "amount": "20万",
        "support_types": ["subsidy"],
        "industries": ["B", "C", "D"],
        "window_opens": "2026-04-01",
        "window_closes": "2026-12-31",
        "materials": ["营业执照复印件"],
        "annual_budget_fen": 500_000_000,
    }
    body.update(changes)
    return body


def _draft(client: TestClient) -> tuple[int, int, int]:
    headers = api_headers(client)
    policy = client.post("/api/v1/policy/policies", json=_policy_body(), headers=headers)
    assert policy.status_code == 201, policy.text
    policy_id = policy.json()["id"]
    version = client.post(f"/api/v1/policy/policies/{policy_id}/items", json=_item_body(), headers=headers)
    assert version.status_code == 201, version.text
    return policy_id, version.json()["item_id"], version.json()["id"]


# --- /rules/check -----------------------------------------------------------------------------


def test_check_describes_a_good_rule_in_plain_chinese(officer: TestClient) -> None:
    response = officer.post(
        CHECK,
        json={"condition": GOOD_CONDITION, "amount": "min(rd_expense[last_year] * 10%, 100万)"},
        headers=api_headers(officer),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["problems"] == []
    assert body["condition"] == "registered_region within 350200 and revenue[last_year] >= 2000万"
    assert body["description_zh"] == "注册地在厦门市，上年度营业收入达到2000万元"
    assert "revenue" in body["description_en"]
    assert body["amount_description_zh"] == "上年度研发费用的10%，最高100万元"
    rows = body["builder"]["items"]
    assert [r["attribute"] for r in rows] == ["registered_region", "revenue"]
    assert rows[1] == {
        "type": "row",
        "attribute": "revenue",
        "operator": ">=",
        "period": "last_year",
        "value": "2000万",
        "value2": "",
    }


def test_check_lists_problems_with_spans_in_the_request_language(officer: TestClient) -> None:
    text = "revenue >= 2000万 and colour = 1"
    response = officer.post(CHECK, json={"condition": text, "amount": "5%"}, headers=api_headers(officer))
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False and body["builder"] is None
    by_code = {p["code"]: p for p in body["problems"]}
    period = by_code["rules.period_required"]
    assert text[period["start"] : period["end"]] == "revenue" and period["part"] == "condition"
    unknown = by_code["rules.unknown_attribute"]
    assert text[unknown["start"] : unknown["end"]] == "colour"
    assert "colour" in unknown["message"] and "属性" in unknown["message"]
    assert by_code["rules.not_an_amount"]["part"] == "amount"
    english = officer.post(
        CHECK, json={"condition": text}, headers={**api_headers(officer), "Accept-Language": "en"}
    )
    assert any("attribute" in p["message"] for p in english.json()["problems"])


def test_check_says_when_a_rule_is_beyond_the_builder(officer: TestClient) -> None:
    text = "count_years(revenue >= 2000万, last 3 years) >= 2"
    body = officer.post(CHECK, json={"condition": text}, headers=api_headers(officer)).json()
    assert body["ok"] is True and body["builder"] is None and body["description_zh"]


def test_check_refuses_a_malformed_request_with_a_problem_document(officer: TestClient) -> None:
    response = officer.post(CHECK, json={"condition": 5}, headers=api_headers(officer))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_check_is_for_staff(client: TestClient, demo_city: dict[str, Any]) -> None:
    assert client.post(CHECK, json={"condition": "true"}, headers=api_headers(client)).status_code == 401
    log_in(client, "enterprise")
    assert client.post(CHECK, json={"condition": "true"}, headers=api_headers(client)).status_code == 403


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    condition=st.text(max_size=80)
    | st.lists(
        st.sampled_from(
            [
                "revenue",
                "[",
                "]",
                "(",
                ")",
                ">=",
                "2000万",
                "and",
                "or",
                "not",
                "within",
                "厦门市",
                "%",
                "last_year",
                ",",
                "first_time",
                "tiers",
                "1e999",
                "99999999999999999999亿",
                "-",
                "*",
                "/",
                "between",
                '"',
            ],
        ),
        max_size=14,
    ).map(" ".join),
    amount=st.text(max_size=30),
)
def test_check_never_fails_on_arbitrary_text(officer: TestClient, condition: str, amount: str) -> None:
    response = officer.post(
        CHECK, json={"condition": condition, "amount": amount}, headers=api_headers(officer)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is (not body["problems"])
    for problem in body["problems"]:
        assert problem["message"]
        if problem["start"] is not None:
            text = condition if problem["part"] == "condition" else amount
            assert 0 <= problem["start"] <= problem["end"] <= len(text)


def test_attributes_give_the_builder_types_operators_and_periods(officer: TestClient) -> None:
    body = officer.get("/api/v1/policy/rules/attributes").json()
    by_key = {a["key"]: a for a in body["attributes"]}
    revenue = by_key["revenue"]
    assert revenue["type"] == "money" and revenue["yearly"] and revenue["label_zh"] == "营业收入"
    assert {">=", "between", "first_time", "growth"} <= set(revenue["operators"])
    assert by_key["registered_region"]["operators"] == ["within", "not_within", "in"]
    sizes = by_key["enterprise_size"]
    assert {c["zh"] for c in sizes["codes"]} >= {"小型", "微型"}
    assert any(c["code"] == "high_tech" for c in by_key["qualifications"]["codes"])
    assert {p["key"] for p in body["periods"]["single"]} == {"last_year", "year_before", "this_year"}
    assert {o["key"] for o in body["operators"]} >= set(revenue["operators"])


# --- lifecycle ----------------------------------------------------------------------------------


def test_draft_submit_four_eyes_approve_edit_withdraw(client: TestClient, demo_city: dict[str, Any]) -> None:
    log_in(client, "policy_officer")
    policy_id, item_id, version_id = _draft(client)
    headers = api_headers(client)
    submitted = client.post(f"/api/v1/policy/versions/{version_id}/submit", headers=headers)
    assert submitted.status_code == 200 and submitted.json()["state"] == "in_review"
    assert submitted.json()["preview"] is None  # no profile snapshot in this world
    own = client.post(f"/api/v1/policy/versions/{version_id}/approve", json={}, headers=headers)
    assert own.status_code == 403 and own.json()["code"] == "policy_self_review"
    assert own.headers["content-type"].startswith("application/problem+json")

    log_in(client, "policy_reviewer")
    headers = api_headers(client)
    queue = client.get("/api/v1/policy/review").json()
    assert [v["id"] for v in queue["items"]] == [version_id]
    approved = client.post(
        f"/api/v1/policy/versions/{version_id}/approve", json={"note": "同意"}, headers=headers
    )
    assert approved.status_code == 200 and approved.json()["state"] == "published"

    log_in(client, "policy_officer")
    headers = api_headers(client)
    second = client.put(f"/api/v1/policy/items/{item_id}", json=_item_body(amount="30万"), headers=headers)
    assert second.status_code == 200 and second.json()["number"] == 2 and second.json()["state"] == "draft"
    item = client.get(f"/api/v1/policy/items/{item_id}").json()
    assert item["state"] == "published" and [v["state"] for v in item["versions"]] == ["published", "draft"]
    first = client.get(f"/api/v1/policy/items/{item_id}/versions/1").json()
    assert first["amount"] == "20万" and first["checks"] is True
    detail = client.get(f"/api/v1/policy/policies/{policy_id}").json()
    assert detail["items"][0]["code"].startswith("ZC-")

    log_in(client, "policy_reviewer")
    headers = api_headers(client)
    no_reason = client.post(f"/api/v1/policy/items/{item_id}/withdraw", json={"reason": ""}, headers=headers)
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    withdrawn = client.post(
        f"/api/v1/policy/items/{item_id}/withdraw", json={"reason": "政策调整"}, headers=headers
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"
    listing = client.get("/api/v1/policy/policies?state=withdrawn").json()
    assert [p["id"] for p in listing["items"]] == [policy_id] and listing["items"][0]["states"][
        "withdrawn"
    ] == 1


def test_a_rule_that_does_not_check_cannot_be_submitted(
    client: TestClient, demo_city: dict[str, Any]
) -> None:
    log_in(client, "policy_officer")
    headers = api_headers(client)
    policy = client.post("/api/v1/policy/policies", json=_policy_body(), headers=headers).json()
    created = client.post(
        f"/api/v1/policy/policies/{policy['id']}/items",
        json=_item_body(condition="revenue >= 2000万"),
        headers=headers,
    ).json()
    assert created["checks"] is False
    refused = client.post(f"/api/v1/policy/versions/{created['id']}/submit", headers=headers)
    assert refused.status_code == 422
    problem = refused.json()["problems"][0]
    assert problem["code"] == "rules.period_required" and (problem["start"], problem["end"]) == (0, 7)


def test_other_departments_and_enterprises_are_refused(client: TestClient, demo_city: dict[str, Any]) -> None:
    log_in(client, "policy_officer")
    policy_id, item_id, version_id = _draft(client)
    client.post(f"/api/v1/policy/versions/{version_id}/submit", headers=api_headers(client))
    log_in(client, "tax_officer")
    headers = api_headers(client)
    for response in (
        client.get(f"/api/v1/policy/policies/{policy_id}"),
        client.get(f"/api/v1/policy/items/{item_id}"),
        client.post(f"/api/v1/policy/versions/{version_id}/approve", json={}, headers=headers),
        client.put(f"/api/v1/policy/policies/{policy_id}", json=_policy_body(title="改"), headers=headers),
    ):
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/policy/policies").json()["total"] == 0
    log_in(client, "enterprise")
    created = client.post("/api/v1/policy/policies", json=_policy_body(), headers=api_headers(client))
    assert created.status_code == 403


def test_attachments_round_trip_with_their_digest(client: TestClient, demo_city: dict[str, Any]) -> None:
    log_in(client, "policy_officer")
    policy_id, _, _ = _draft(client)
    content = b"%PDF-1.7\n% policy text\n%%EOF\n"
    uploaded = client.post(
        f"/api/v1/policy/policies/{policy_id}/attachments",
        files={"file": ("通知.pdf", content, "application/pdf")},
        headers=api_headers(client),
    )
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert body["sha256"] == hashlib.sha256(content).hexdigest() and body["size"] == len(content)
    download = client.get(body["download"])
    assert download.status_code == 200 and download.content == content
    listed = client.get(f"/api/v1/policy/policies/{policy_id}").json()["attachments"]
    assert [a["filename"] for a in listed] == ["通知.pdf"]
    refused = client.post(
        f"/api/v1/policy/policies/{policy_id}/attachments",
        files={"file": ("script.exe", b"MZ...", "application/octet-stream")},
        headers=api_headers(client),
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "attachment"


def test_preview_of_a_rule_without_a_snapshot_says_so(officer: TestClient) -> None:
    response = officer.post(
        "/api/v1/policy/rules/preview",
        json={"condition": GOOD_CONDITION, "amount": "20万"},
        headers=api_headers(officer),
    )
    assert response.status_code == 200 and response.json() == {"available": False, "preview": None}
    bad = officer.post(
        "/api/v1/policy/rules/preview", json={"condition": "revenue"}, headers=api_headers(officer)
    )
    assert bad.status_code == 422 and bad.json()["problems"][0]["code"] == "rules.period_required"
