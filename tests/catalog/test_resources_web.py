"""The resource catalog in the workbench and the API: forms, search, versions, Excel, refusals."""

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient
from tests.support.actors import SYSTEM, actor, org
from tests.support.web import api_headers, log_in, post_form

from tongban.catalog import resources as service
from tongban.catalog.models import Resource
from tongban.catalog.resources_domain import FieldDraft, ResourceDraft
from tongban.catalog.service import seed_standard_elements, set_element_active

TAX = ResourceDraft(
    name="企业年度纳税信息",
    abstract="企业每个年度的营业收入与纳税额。",
    resource_type="department",
    subject_kind="uscc",
    sharing_type="conditional",
    sharing_condition="用于惠企政策资格审核。",
    open_type="not_open",
    update_cycle="yearly",
    fields=(
        FieldDraft("统一社会信用代码", "uscc", is_subject=True),
        FieldDraft("年度", "reporting_year", is_key=True),
        FieldDraft("营业收入", "annual_revenue", description="单位：元"),
        FieldDraft("纳税额", "tax_paid"),
    ),
)
REGISTRY = ResourceDraft(
    name="市场主体登记信息",
    abstract="本市企业的登记事项。",
    resource_type="base",
    subject_kind="uscc",
    sharing_type="unconditional",
    open_type="open",
    update_cycle="daily",
    fields=(FieldDraft("统一社会信用代码", "uscc", is_subject=True), FieldDraft("企业名称", "enterprise_name")),
)


@pytest.fixture
def catalog(session_factory: sessionmaker[Session], demo_city: dict[str, Any]) -> dict[str, int]:
    """Two published resources: 税务局's tax data and 市场监管局's register."""
    with session_factory() as session:
        seed_standard_elements(session, SYSTEM)
        ids = {}
        for name, dept, draft in (("tax", "350200-SWJ", TAX), ("registry", "350200-SCJGJ", REGISTRY)):
            made = service.register_resource(session, SYSTEM, provider_org_id=org(session, dept).id, draft=draft)
            service.publish_resource(session, SYSTEM, made.id)
            ids[name] = made.id
        session.commit()
        return ids


def form_for(provider_org_id: int, **overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "provider_org_id": str(provider_org_id),
        "code": "",
        "name": "行政处罚信息",
        "abstract": "市场监管领域的行政处罚决定。",
        "resource_type": "department",
        "subject_kind": "uscc",
        "sharing_type": "conditional",
        "sharing_condition": "用于信用核查。",
        "open_type": "not_open",
        "update_cycle": "daily",
        "field_name": ["统一社会信用代码", "处罚金额", "处罚日期", ""],
        "field_element": ["uscc", "administrative_penalty_amount", "penalty_decision_date", ""],
        "field_description": ["", "", "", ""],
        "field_subject": ["0"],
        "field_key": ["2"],
        "action": "save",
    }
    form.update(overrides)
    return form


def count(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(Resource)) or 0


def test_steward_registers_edits_and_publishes_through_the_forms(
    client: TestClient, catalog: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        scjgj = org(session, "350200-SCJGJ").id
    log_in(client, "steward")
    new = client.get("/workbench/resources/new")
    assert new.status_code == 200 and 'data-testid="field-editor"' in new.text
    assert "厦门市市场监督管理局" in new.text and "国家税务总局厦门市税务局" not in new.text

    bad = post_form(
        client,
        "/workbench/resources/new",
        form_for(scjgj, sharing_condition="", field_subject=["0", "1"], field_element=["uscc", "", "", ""]),
    )
    assert bad.status_code == 422
    assert "请填写共享条件" in bad.text
    assert 'data-testid="error-fields-1-element"' in bad.text and "请选择该信息项对应的数据元" in bad.text
    assert 'data-testid="error-fields-1-is_subject"' in bad.text and "只能有一个信息项作为主体标识" in bad.text
    assert "处罚金额" in bad.text  # what was typed is kept
    assert count(session_factory) == 2  # nothing written

    created = post_form(client, "/workbench/resources/new", form_for(scjgj))
    assert created.status_code == 303
    detail_url = created.headers["location"].split("?")[0]
    detail = client.get(detail_url)
    assert "350200-SCJGJ-0002" in detail.text and 'data-testid="draft-notice"' in detail.text
    assert "行政处罚金额" in detail.text and "记录主键" in detail.text

    assert post_form(client, f"{detail_url}/publish").status_code == 303
    edit = client.get(f"{detail_url}/edit")
    assert edit.status_code == 200 and 'data-testid="pending-notice"' in edit.text
    edited = form_for(scjgj, name="行政处罚决定信息")
    del edited["provider_org_id"], edited["code"]
    assert post_form(client, f"{detail_url}/edit", edited).status_code == 303
    page = client.get(detail_url).text
    assert 'data-testid="resource-pending"' in page and "行政处罚决定信息" in page
    assert post_form(client, f"{detail_url}/publish").status_code == 303
    page = client.get(detail_url).text
    assert 'data-version="2"' in page and 'data-version="1"' in page
    old = client.get(f"{detail_url}/versions/1")
    assert old.status_code == 200 and 'data-testid="version-name">行政处罚信息 <' in old.text


def test_add_row_without_javascript_keeps_the_input(
    client: TestClient, catalog: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        scjgj = org(session, "350200-SCJGJ").id
    log_in(client, "steward")
    more = post_form(client, "/workbench/resources/new", form_for(scjgj, action="add_row"))
    assert more.status_code == 200 and 'data-testid="field-name-6"' in more.text
    assert 'value="处罚金额"' in more.text
    assert count(session_factory) == 2


def test_officer_reads_but_cannot_register(client: TestClient, catalog: dict[str, int]) -> None:
    log_in(client, "officer")
    listing = client.get("/workbench/resources")
    assert listing.status_code == 200 and 'data-testid="resource-new"' not in listing.text
    assert client.get("/workbench/resources/new").status_code == 403
    detail = client.get(f"/workbench/resources/{catalog['tax']}")
    assert detail.status_code == 200 and 'data-testid="resource-publish"' not in detail.text
    assert post_form(client, f"/workbench/resources/{catalog['tax']}/retire").status_code == 403


def test_catalog_page_searches_in_chinese_and_filters(client: TestClient, catalog: dict[str, int]) -> None:
    log_in(client, "leader")
    page = client.get("/workbench/resources", params={"q": "纳税"})
    assert 'data-code="350200-SWJ-0001"' in page.text and 'data-code="350200-SCJGJ-0001"' not in page.text
    by_element = client.get("/workbench/resources", params={"element": "enterprise_name"})
    assert 'data-code="350200-SCJGJ-0001"' in by_element.text and 'data-code="350200-SWJ-0001"' not in by_element.text
    nothing = client.get("/workbench/resources", params={"q": "营业收入", "sharing_type": "unconditional"})
    assert "没有找到记录" in nothing.text


def test_excel_export_has_one_row_per_field(client: TestClient, catalog: dict[str, int]) -> None:
    log_in(client, "officer")
    response = client.get("/workbench/resources.xlsx", params={"sharing_type": "conditional"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("资源代码", "资源名称", "提供部门") and "信息项名称" in header and "敏感级别" in header
    assert [row[header.index("信息项名称")] for row in rows[1:]] == ["统一社会信用代码", "年度", "营业收入", "纳税额"]
    assert {row[0] for row in rows[1:]} == {"350200-SWJ-0001"}  # resource columns repeated
    revenue = rows[3]
    assert revenue[header.index("共享类型")] == "有条件共享"
    assert revenue[header.index("数据元")] == "年度营业收入" and revenue[header.index("数据元标识符")] == "DE00201"
    assert revenue[header.index("信息项说明")] == "单位：元"
    assert rows[2][header.index("记录主键")] == "是"


def test_api_searches_reads_by_code_and_exports_fields(client: TestClient, catalog: dict[str, int]) -> None:
    assert client.get("/api/v1/resources").status_code == 401
    log_in(client, "tax_officer")
    listing = client.get("/api/v1/resources", params={"q": "营业收入"}).json()
    assert listing["total"] == 1 and listing["items"][0]["code"] == "350200-SWJ-0001"
    assert [f["element"] for f in listing["items"][0]["fields"]] == ["uscc", "reporting_year", "annual_revenue", "tax_paid"]
    one = client.get("/api/v1/resources/350200-SWJ-0001").json()
    assert one["provider"]["name"] == "国家税务总局厦门市税务局" and one["pending"] is None
    assert client.get(f"/api/v1/resources/{catalog['tax']}").json()["code"] == "350200-SWJ-0001"
    versions = client.get("/api/v1/resources/350200-SWJ-0001/versions").json()
    assert [v["version"] for v in versions] == [1]
    assert versions[0]["snapshot"]["fields"][2]["element_name"] == "年度营业收入"
    by_element = client.get("/api/v1/resources", params={"element": "DE00101"}).json()
    assert [r["code"] for r in by_element["items"]] == ["350200-SCJGJ-0001"]


def test_api_register_edit_publish_and_refusals(
    client: TestClient, catalog: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        scjgj, swj = org(session, "350200-SCJGJ").id, org(session, "350200-SWJ").id
    body: dict[str, Any] = {
        "provider_org_id": scjgj,
        "name": "行政处罚信息",
        "abstract": "市场监管领域的行政处罚决定。",
        "resource_type": "department",
        "subject_kind": "uscc",
        "sharing_type": "conditional",
        "sharing_condition": "用于信用核查。",
        "open_type": "not_open",
        "update_cycle": "daily",
        "fields": [
            {"name": "统一社会信用代码", "element": "uscc", "is_subject": True},
            {"name": "处罚金额", "element": "administrative_penalty_amount"},
        ],
    }
    log_in(client, "officer")
    denied = client.post("/api/v1/resources", json=body, headers=api_headers(client))
    assert denied.status_code == 403 and denied.headers["content-type"] == "application/problem+json"
    assert denied.json()["code"] == "permission_denied"

    log_in(client, "steward")
    headers = api_headers(client)
    other = client.post("/api/v1/resources", json=body | {"provider_org_id": swj}, headers=headers)
    assert other.status_code == 403 and other.json()["code"] == "outside_scope"
    invalid = client.post("/api/v1/resources", json=body | {"sharing_condition": ""}, headers=headers)
    assert invalid.status_code == 422 and invalid.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in invalid.json()["errors"]] == ["sharing_condition"]
    assert "共享条件" in invalid.json()["errors"][0]["message"]
    created = client.post("/api/v1/resources", json=body, headers=headers)
    assert created.status_code == 201 and created.json()["status"] == "draft"
    code = created.json()["code"]
    published = client.post(f"/api/v1/resources/{code}/publish", headers=headers).json()
    assert (published["status"], published["version"]) == ("published", 1)
    again = client.post(f"/api/v1/resources/{code}/publish", headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "nothing_to_publish"

    update = {k: v for k, v in body.items() if k != "provider_org_id"} | {"name": "行政处罚决定信息"}
    edited = client.put(f"/api/v1/resources/{code}", json=update, headers=headers).json()
    assert edited["name"] == "行政处罚信息" and edited["pending"]["name"] == "行政处罚决定信息"
    assert edited["pending"]["version"] == 2
    assert client.post(f"/api/v1/resources/{code}/publish", headers=headers).json()["version"] == 2
    assert client.post(f"/api/v1/resources/{code}/retire", headers=headers).json()["status"] == "retired"
    missing = client.get("/api/v1/resources/NO-SUCH-CODE", headers={"accept-language": "en"})
    assert missing.status_code == 404 and missing.json()["title"] == "Data resource not found."

    log_in(client, "fz_admin")
    refused = client.post(f"/api/v1/resources/{catalog['tax']}/retire", headers=api_headers(client))
    assert refused.status_code == 403 and refused.json()["code"] == "outside_scope"


def test_pending_edits_are_shown_only_to_managers(
    client: TestClient, catalog: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        changed = ResourceDraft(**{**REGISTRY.__dict__, "name": "市场主体登记信息（修订中）"})
        service.update_resource(session, actor(session, "steward"), catalog["registry"], changed)
        session.commit()
    log_in(client, "officer")
    assert client.get(f"/api/v1/resources/{catalog['registry']}").json()["pending"] is None
    assert "修订中" not in client.get(f"/workbench/resources/{catalog['registry']}").text
    log_in(client, "steward")
    assert client.get(f"/api/v1/resources/{catalog['registry']}").json()["pending"]["name"].endswith("（修订中）")


def test_publish_shows_why_a_draft_no_longer_fits(
    client: TestClient, catalog: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        steward = actor(session, "steward")
        made = service.register_resource(
            session, steward, provider_org_id=org(session, "350200-SCJGJ").id, draft=REGISTRY
        )
        set_element_active(session, SYSTEM, "enterprise_name", False)  # retired after the draft was saved
        session.commit()
        draft_id = made.id
    log_in(client, "steward")
    refused = post_form(client, f"/workbench/resources/{draft_id}/publish")
    assert refused.status_code == 422
    assert 'data-testid="error-fields-1-element"' in refused.text and "已停用，不能再新绑定" in refused.text
    assert 'data-version="1"' not in client.get(f"/workbench/resources/{draft_id}").text
