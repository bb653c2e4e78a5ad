"""Data elements in the workbench and the API: browse in Chinese, search, check, add, export."""

import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient
from tests.support.web import api_headers, log_in, post_form

from tongban.catalog.service import seed_standard_elements
from tongban.kernel.permissions import Actor


def _seed(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        seed_standard_elements(session, Actor.system("test"))
        session.commit()


def test_officer_browses_and_searches_in_chinese(
    client: TestClient, demo_city: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    _seed(session_factory)
    log_in(client, "officer")
    page = client.get("/workbench/elements", params={"q": "身份证"})
    assert page.status_code == 200
    assert "居民身份证号码" in page.text and "敏感个人信息" in page.text
    assert "营业收入" not in page.text
    assert 'data-testid="element-new"' not in page.text  # officers cannot add


def test_check_a_value_on_the_element_page(
    client: TestClient, demo_city: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    _seed(session_factory)
    log_in(client, "officer")
    good = post_form(client, "/workbench/elements/DE00201/check", {"value": "2000万"})
    assert 'data-testid="check-valid"' in good.text and "20000000" in good.text
    bad = post_form(client, "/workbench/elements/DE00102/check", {"value": "91350200MA31KH5N2X"})
    assert 'data-testid="check-invalid"' in bad.text and "校验码应为" in bad.text


def test_admin_adds_an_element_through_the_form(client: TestClient, demo_city: dict[str, Any]) -> None:
    log_in(client, "admin")
    form = {"identifier": "DE00901", "key": "export_value", "name_zh": "出口额", "name_en": "Export value",
            "definition": "企业一个年度的出口总额。", "data_type": "money", "sensitivity": "internal", "unit": "元",
            "format": "", "max_length": "", "code_list": "", "validator": "", "standard_ref": ""}
    bad = post_form(client, "/workbench/elements/new", {**form, "identifier": "E1"})
    assert bad.status_code == 422 and "标识符为 DE 加 5 位数字" in bad.text
    created = post_form(client, "/workbench/elements/new", form)
    assert created.status_code == 303 and created.headers["location"].startswith("/workbench/elements/DE00901")
    assert "出口额" in client.get("/workbench/elements/DE00901").text


def test_excel_export_holds_the_filtered_list(
    client: TestClient, demo_city: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    _seed(session_factory)
    log_in(client, "leader")
    response = client.get("/workbench/elements.xlsx", params={"data_type": "money"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "标识符"
    assert {row[1] for row in rows[1:]} >= {"annual_revenue", "rd_expense"}
    assert all(row[5] == "金额" for row in rows[1:])


def test_api_lists_gets_checks_and_refuses(
    client: TestClient, demo_city: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    _seed(session_factory)
    assert client.get("/api/v1/elements").status_code == 401
    log_in(client, "officer")
    listing = client.get("/api/v1/elements", params={"q": "行政区划"}).json()
    assert {e["key"] for e in listing["items"]} >= {"registered_region", "tax_region", "household_region"}
    assert client.get("/api/v1/elements/uscc").json()["identifier"] == "DE00102"
    checked = client.post("/api/v1/elements/registered_region/check", json={"value": "思明区"},
                          headers=api_headers(client)).json()
    assert checked == {"valid": True, "value": "350203", "reason": None}
    refused = client.post("/api/v1/elements", json={"identifier": "DE00901"}, headers=api_headers(client))
    assert refused.status_code == 422  # schema first: required fields missing
    body = {"identifier": "DE00901", "key": "export_value", "name_zh": "出口额", "name_en": "Export value",
            "definition": "出口总额", "data_type": "money", "sensitivity": "internal"}
    denied = client.post("/api/v1/elements", json=body, headers=api_headers(client))
    assert denied.status_code == 403 and denied.headers["content-type"] == "application/problem+json"
    missing = client.get("/api/v1/elements/DE99999", headers={"accept-language": "en"}).json()
    assert missing["code"] == "element_not_found" and missing["title"] == "Data element not found."
