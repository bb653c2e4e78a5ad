"""The publishing workbench in the web client: an officer registers a policy and drafts an item
through the forms (rule problems beside the field, in Chinese), submits; a second officer sees
the preview and approves; four eyes; departments; withdrawal; versions; Excel; attachments."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from tests.profiles.world import make_world
from tests.support.web import log_in, post_form
from tongban.profiles import snapshot

CONDITION = "registered_region within 厦门市 and revenue[last_year] >= 2000万"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _policy_form(**changes: str) -> dict[str, str]:
    form = {
        "title": "厦门市促进工业稳增长若干措施",
        "doc_number": "厦府规〔2026〕3号",
        "issuer": "厦门市人民政府",
        "region_code": "350200",
        "level": "municipal",
        "issued_on": "2026-03-01",
        "effective_on": "2026-03-01",
        "expires_on": "2028-12-31",
        "full_text": "第三条 对上年度营业收入达到2000万元的企业给予奖励。",
    }
    form.update(changes)
    return form


def _item_form(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "title": "规模以上企业奖励",
        "summary": "一次性奖励20万元。",
        "condition_text": CONDITION,
        "amount_text": "20万",
        "support_types": ["subsidy", "innovation"],
        "industries": "C, D",
        "sizes": ["small", "micro"],
        "window_opens": "2026-04-01",
        "window_closes": "2026-12-31",
        "materials": "营业执照复印件\n上年度财务报表",
        "exclusive_group": "规上奖励",
        "annual_budget": "500万",
        "no_application": "1",
    }
    form.update(changes)
    return form


def _location_id(response: Any, pattern: str) -> int:
    assert response.status_code == 303, response.text[:2000]
    found = re.search(pattern, response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def _create(client: TestClient, **item_changes: Any) -> tuple[int, int]:
    policy_id = _location_id(
        post_form(client, "/workbench/policies/new", _policy_form()), r"/policies/(\d+)$"
    )
    response = post_form(client, f"/workbench/policies/{policy_id}/items/new", _item_form(**item_changes))
    return policy_id, _location_id(response, r"/policy-items/(\d+)$")


def _testid(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)<', html, re.S)
    assert found, f"{testid} not on the page"
    return found.group(1).strip()


def _version_in_review(client: TestClient) -> int:
    page = client.get("/workbench/policy-review").text
    return int(re.findall(r'data-testid="review-row" data-version="(\d+)"', page)[0])


@pytest.fixture
def city(demo_city: dict[str, Any]) -> dict[str, Any]:
    return demo_city


@pytest.fixture
def with_snapshot(city: dict[str, Any], session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    """Two enterprises in the profiles: one eligible (思明区, 2600万), one likely (湖里区, revenue unknown)."""
    make_world(session_factory)
    snapshot.build_snapshot(session_factory, tmp_path / "snapshots", label="test")


def test_an_officer_drafts_an_item_through_the_forms_and_submits_it(
    client: TestClient, city: dict[str, Any]
) -> None:
    log_in(client, "policy_officer")
    policy_id, item_id = _create(client)
    policy_page = client.get(f"/workbench/policies/{policy_id}").text
    assert "厦府规〔2026〕3号" in policy_page and f'data-testid="item-link-{item_id}"' in policy_page
    item_page = client.get(f"/workbench/policy-items/{item_id}").text
    assert _testid(item_page, "version-description") == "注册地在厦门市，上年度营业收入达到2000万元"
    assert _testid(item_page, "version-budget") == "500万元"
    assert 'data-state="draft"' in item_page
    edit = client.get(f"/workbench/policy-items/{item_id}/edit").text
    assert (
        'value="subsidy" data-testid="support-subsidy" checked' in edit and ">5000000</textarea>" not in edit
    )
    assert 'name="annual_budget" type="text" value="5000000"' in edit
    response = post_form(client, f"/workbench/policy-items/{item_id}/submit")
    assert response.status_code == 303 and "submitted=1" in response.headers["location"]
    after = client.get(response.headers["location"]).text
    assert (
        'data-testid="item-submitted"' in after
        and 'data-testid="version-state" data-state="in_review"' in after
    )


def test_rule_problems_are_shown_beside_the_field_in_chinese(
    client: TestClient, city: dict[str, Any]
) -> None:
    log_in(client, "policy_officer")
    policy_id = _location_id(
        post_form(client, "/workbench/policies/new", _policy_form()), r"/policies/(\d+)$"
    )
    bad = "registered_region within 厦门市 and revenu[last_year] >= 2000万"
    response = post_form(client, f"/workbench/policies/{policy_id}/items/new", _item_form(condition_text=bad))
    assert response.status_code == 200  # the draft is kept, the form comes back with the problems
    page = response.text
    assert 'data-testid="form-notice"' in page
    assert "revenu" in _testid(page, "error-condition_text") and "属性" in _testid(
        page, "error-condition_text"
    )
    assert "<mark>revenu[last_year]</mark>" in page
    action = re.search(r'action="(/workbench/policy-items/(\d+)/edit)"', page)
    assert action is not None
    item_id = int(action.group(2))
    refused = post_form(client, f"/workbench/policy-items/{item_id}/submit")
    assert refused.status_code == 422 and 'data-testid="error-condition_text"' in refused.text
    fixed = post_form(client, action.group(1), _item_form(condition_text=CONDITION, annual_budget="12.345"))
    assert fixed.status_code == 422 and "error-annual_budget" in fixed.text
    saved = post_form(client, action.group(1), _item_form(condition_text=CONDITION))
    assert saved.status_code == 303
    assert post_form(client, f"/workbench/policy-items/{item_id}/submit").status_code == 303


def test_the_reviewer_sees_the_preview_and_approves(client: TestClient, with_snapshot: None) -> None:
    log_in(client, "policy_officer")
    _, item_id = _create(client)
    post_form(client, f"/workbench/policy-items/{item_id}/submit")
    log_in(client, "policy_reviewer")
    version_id = _version_in_review(client)
    page = client.get(f"/workbench/policy-review/{version_id}").text
    assert _testid(page, "preview-eligible") == "1"
    assert _testid(page, "preview-likely") == "1"
    assert _testid(page, "preview-amount-eligible") == "20万元"
    assert _testid(page, "preview-amount-likely") == "20万元 – 20万元"
    assert 'data-testid="preview-districts-bar" data-code="350203" data-eligible="1" data-likely="0"' in page
    assert 'data-testid="preview-industries-bar"' in page
    assert "注册地在厦门市，上年度营业收入达到2000万元" in page
    response = post_form(client, f"/workbench/policy-review/{version_id}/approve", {"note": "同意"})
    assert response.status_code == 303
    item_page = client.get(response.headers["location"]).text
    assert 'data-testid="item-state" data-state="published"' in item_page


def test_without_a_snapshot_the_review_page_says_there_is_no_preview(
    client: TestClient, city: dict[str, Any]
) -> None:
    log_in(client, "policy_officer")
    _, item_id = _create(client)
    post_form(client, f"/workbench/policy-items/{item_id}/submit")
    log_in(client, "policy_reviewer")
    page = client.get(f"/workbench/policy-review/{_version_in_review(client)}").text
    assert "快照" in _testid(page, "preview-missing")
    assert 'data-testid="preview-eligible"' not in page


def test_the_submitter_cannot_approve_and_is_told_why(client: TestClient, city: dict[str, Any]) -> None:
    log_in(client, "policy_officer")
    _, item_id = _create(client)
    post_form(client, f"/workbench/policy-items/{item_id}/submit")
    version_id = _version_in_review(client)
    page = client.get(f"/workbench/policy-review/{version_id}").text
    assert 'data-testid="review-own"' in page and 'data-testid="review-approve"' not in page
    refused = post_form(client, f"/workbench/policy-review/{version_id}/approve")
    assert refused.status_code == 403
    assert 'data-code="policy_self_review"' in refused.text


def test_another_department_cannot_see_or_review(client: TestClient, city: dict[str, Any]) -> None:
    log_in(client, "policy_officer")
    policy_id, item_id = _create(client)
    post_form(client, f"/workbench/policy-items/{item_id}/submit")
    version_id = _version_in_review(client)
    log_in(client, "tax_officer")
    assert client.get(f"/workbench/policies/{policy_id}").status_code == 403
    assert client.get(f"/workbench/policy-review/{version_id}").status_code == 403
    assert post_form(client, f"/workbench/policy-review/{version_id}/approve").status_code == 403
    assert 'data-testid="policy-row"' not in client.get("/workbench/policies").text
    api = client.get(f"/api/v1/policy/policies/{policy_id}")
    assert api.status_code == 403 and api.headers["content-type"].startswith("application/problem+json")


def test_reject_needs_a_reason_and_returns_the_draft(client: TestClient, city: dict[str, Any]) -> None:
    log_in(client, "policy_officer")
    _, item_id = _create(client)
    post_form(client, f"/workbench/policy-items/{item_id}/submit")
    log_in(client, "policy_reviewer")
    version_id = _version_in_review(client)
    empty = post_form(client, f"/workbench/policy-review/{version_id}/reject", {"reason": " "})
    assert empty.status_code == 422 and 'data-testid="error-reason"' in empty.text
    returned = post_form(client, f"/workbench/policy-review/{version_id}/reject", {"reason": "金额依据不足"})
    assert returned.status_code == 303
    page = client.get(f"/workbench/policy-items/{item_id}").text
    assert "金额依据不足" in _testid(page, "item-rejected")


def test_withdraw_and_old_versions_stay_readable(client: TestClient, city: dict[str, Any]) -> None:
    log_in(client, "policy_officer")
    _, item_id = _create(client)
    post_form(client, f"/workbench/policy-items/{item_id}/submit")
    log_in(client, "policy_reviewer")
    post_form(client, f"/workbench/policy-review/{_version_in_review(client)}/approve")
    log_in(client, "policy_officer")
    changed = post_form(client, f"/workbench/policy-items/{item_id}/edit", _item_form(amount_text="30万"))
    assert changed.status_code == 303
    page = client.get(f"/workbench/policy-items/{item_id}").text
    assert 'data-number="2" data-state="draft"' in page and 'data-number="1" data-state="published"' in page
    first = client.get(f"/workbench/policy-items/{item_id}/versions/1").text
    assert _testid(first, "version-amount") == "20万"
    assert client.get(f"/workbench/policy-items/{item_id}/versions/9").status_code == 404
    log_in(client, "policy_reviewer")
    missing = post_form(client, f"/workbench/policy-items/{item_id}/withdraw", {"reason": ""})
    assert missing.status_code == 422 and 'data-testid="error-reason"' in missing.text
    done = post_form(client, f"/workbench/policy-items/{item_id}/withdraw", {"reason": "政策调整"})
    assert done.status_code == 303
    page = client.get(f"/workbench/policy-items/{item_id}").text
    assert 'data-testid="item-state" data-state="withdrawn"' in page
    assert 'data-number="1" data-state="withdrawn"' in page


def test_the_list_filters_and_exports_to_excel(client: TestClient, city: dict[str, Any]) -> None:
    log_in(client, "policy_officer")
    _, item_id = _create(client)
    post_form(
        client,
        "/workbench/policies/new",
        _policy_form(title="厦门市稳外贸若干措施", doc_number="厦府规〔2026〕9号"),
    )
    post_form(client, f"/workbench/policy-items/{item_id}/submit")
    listing = client.get("/workbench/policies").text
    assert listing.count('data-testid="policy-row"') == 2
    in_review = client.get("/workbench/policies?state=in_review").text
    assert in_review.count('data-testid="policy-row"') == 1 and "稳增长" in in_review
    assert client.get("/workbench/policies?q=稳外贸").text.count('data-testid="policy-row"') == 1
    export = client.get("/workbench/policies.xlsx")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "标题" and len(rows) == 3
    by_title = {r[1]: r for r in rows[1:]}
    assert by_title["厦门市促进工业稳增长若干措施"][2] == "厦府规〔2026〕3号"
    assert (
        by_title["厦门市促进工业稳增长若干措施"][9] == 1 and by_title["厦门市促进工业稳增长若干措施"][11] == 1
    )
    only = load_workbook(io.BytesIO(client.get("/workbench/policies.xlsx?state=in_review").content)).active
    assert only is not None and only.max_row == 2


def test_attachments_round_trip(client: TestClient, city: dict[str, Any]) -> None:
    log_in(client, "policy_officer")
    policy_id, _ = _create(client)
    response = post_form(
        client,
        f"/workbench/policies/{policy_id}/attachments",
        files={"attachment": ("厦府规〔2026〕3号.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 303
    page = client.get(f"/workbench/policies/{policy_id}").text
    link = re.search(r'href="(/workbench/policy-attachments/\d+)"', page)
    assert link is not None and "厦府规〔2026〕3号.pdf" in page
    download = client.get(link.group(1))
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    wrong = post_form(
        client,
        f"/workbench/policies/{policy_id}/attachments",
        files={"attachment": ("note.pdf", b"hello", "application/pdf")},
    )
    assert wrong.status_code == 422 and 'data-testid="error-attachment"' in wrong.text
    log_in(client, "tax_officer")
    assert client.get(link.group(1)).status_code == 403
