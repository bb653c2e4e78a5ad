"""The library's pages and JSON API, anonymous: search with filters and facets, item pages,
withdrawn items (410), the calculator form and its field errors."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from tests.policy.test_library import MOMENT, build_library
from tests.support.actors import actor
from tests.support.web import api_headers, log_in, post_form
from tongban.kernel.clock import Clock
from tongban.policy import jobs, service


@pytest.fixture
def shelf(
    client: TestClient,
    demo_city: dict[str, Any],
    session_factory: sessionmaker[Session],
    frozen_clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str]:
    frozen_clock.freeze(MOMENT)
    monkeypatch.setattr(jobs, "match_items", lambda *args, **kwargs: None)
    with session_factory() as session:
        return build_library(session)


def test_search_page_lists_hits_with_facets(client: TestClient, shelf: dict[str, str]) -> None:
    page = client.get("/policies", params={"q": "研发"})
    assert page.status_code == 200
    assert f'data-code="{shelf["e2"]}"' in page.text and f'data-code="{shelf["e1"]}"' not in page.text
    assert page.text.index(shelf["e2"]) < page.text.index(shelf["e10"])
    assert 'data-testid="facet-support_type-innovation" data-count="1"' in page.text
    filtered = client.get("/policies", params={"region": "350203"})
    assert filtered.text.count('data-testid="library-hit"') == 2
    assert 'data-testid="library-my-policies"' not in filtered.text
    bad = client.get("/policies", params={"window": "someday"})
    assert bad.status_code == 422 and 'data-testid="library-error-window"' in bad.text


def test_item_page_and_withdrawn_item(
    client: TestClient, shelf: dict[str, str], session_factory: Any
) -> None:
    page = client.get(f"/policies/{shelf['e2']}")
    assert page.status_code == 200
    assert 'data-testid="item-conditions"' in page.text and "高新技术企业" in page.text
    assert f'data-testid="exclusive-{shelf["e10"]}"' in page.text
    assert client.get("/policies/ZC-1999-9999").status_code == 404
    with session_factory() as session:
        item = service.get_item_by_code(session, shelf["e2"])
        service.withdraw(session, actor(session, "policy_reviewer"), item.id, "政策调整")
        session.commit()
    gone = client.get(f"/policies/{shelf['e2']}")
    assert gone.status_code == 410 and 'data-testid="item-gone"' in gone.text
    api = client.get(f"/api/v1/library/items/{shelf['e2']}")
    assert api.status_code == 410 and api.headers["content-type"].startswith("application/problem+json")


def test_calculator_form_result_and_field_errors(client: TestClient, shelf: dict[str, str]) -> None:
    url = f"/policies/{shelf['e1']}/calculator"
    form = client.get(url)
    assert form.status_code == 200 and 'data-testid="field-revenue@2025"' in form.text
    figures = {
        "registered_region": "思明区",
        "tax_region": "厦门市",
        "industry": "C",
        "revenue@2024": "1800万",
    }
    result = post_form(client, url, figures | {"revenue@2025": "1900万"})
    assert (
        result.status_code == 200
        and 'data-status="ineligible"' in result.text
        and "还差100万元" in result.text
    )
    eligible = post_form(client, url, figures | {"revenue@2025": "2100万"})
    assert 'data-status="eligible"' in eligible.text and "20万元" in eligible.text
    bad = post_form(client, url, figures | {"revenue@2025": "很多"})
    assert bad.status_code == 422 and 'data-testid="error-revenue@2025"' in bad.text


def test_api_search_item_and_calculate(client: TestClient, shelf: dict[str, str]) -> None:
    found = client.get("/api/v1/library/items", params={"q": "研发", "window": "closing_soon"}).json()
    assert [hit["code"] for hit in found["items"]] == [shelf["e2"]]
    assert {f["value"] for f in found["facets"]["window"]} >= {"closing_soon"}
    item = client.get(f"/api/v1/library/items/{shelf['e1']}").json()
    assert item["code"] == shelf["e1"] and item["amount"]
    url = f"/api/v1/library/items/{shelf['e1']}/calculate"
    headers = api_headers(client)
    answer = client.post(url, json={"revenue@2025": "2100万", "revenue@2024": "1800万"}, headers=headers)
    assert answer.status_code == 200 and answer.json()["status"] == "likely"
    bad = client.post(url, json={"revenue@2025": "很多"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "revenue@2025"
    assert client.get("/api/v1/library/items", params={"region": "火星"}).status_code == 422


def test_an_enterprise_user_sees_my_policies(client: TestClient, shelf: dict[str, str]) -> None:
    log_in(client, "enterprise")
    assert 'data-testid="library-my-policies"' in client.get("/policies").text
