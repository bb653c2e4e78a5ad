"""The JSON API answers mistakes with RFC 9457 problem documents, in the caller's language, never 500."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from starlette.testclient import TestClient
from tests.support.web import api_headers, log_in

PROBLEM = "application/problem+json"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def admin(client: TestClient, demo_city: dict[str, Any]) -> dict[str, str]:
    """The client is logged in as the 厦门 administrator; returns the CSRF header for JSON calls."""
    log_in(client, "admin")
    return api_headers(client)


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


# --- the shape of a problem -------------------------------------------------------------------


def test_problem_document_has_the_rfc_9457_members_and_the_request_id(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.get("/api/v1/orgs/999999", headers=admin | {"X-Request-ID": "trace-42"})
    body = _problem(response, 404, "org_not_found")
    assert body == {
        "type": "urn:tongban:problem:org_not_found",
        "title": "机构不存在。",
        "status": 404,
        "code": "org_not_found",
        "instance": "/api/v1/orgs/999999",
        "request_id": "trace-42",
    }
    assert response.headers["X-Request-ID"] == "trace-42"


def test_request_id_is_generated_when_the_caller_sends_none(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.get("/api/v1/users/999999")
    body = _problem(response, 404, "user_not_found")
    assert body["request_id"] and body["request_id"] == response.headers["X-Request-ID"]


def test_messages_are_chinese_by_default_and_english_on_request(
    client: TestClient, admin: dict[str, str]
) -> None:
    chinese = _problem(client.get("/api/v1/orgs/999999"), 404, "org_not_found")
    english = _problem(
        client.get("/api/v1/orgs/999999", headers={"Accept-Language": "en-US,en;q=0.9"}), 404, "org_not_found"
    )
    assert CJK.search(chinese["title"])
    assert english["title"] == "Organisation not found."
    assert english["type"] == chinese["type"]


def test_field_problems_are_listed_beside_their_field(
    client: TestClient, admin: dict[str, str], demo_city: dict[str, Any]
) -> None:
    request = {"kind": "region", "parent_id": demo_city["350200"].id, "code": "35020", "name": "某地"}
    chinese = _problem(client.post("/api/v1/orgs", json=request, headers=admin), 422, "validation_failed")
    assert [e["field"] for e in chinese["errors"]] == ["code"]
    assert CJK.search(chinese["errors"][0]["message"])
    english = _problem(
        client.post("/api/v1/orgs", json=request, headers=admin | {"Accept-Language": "en"}),
        422,
        "validation_failed",
    )
    assert english["errors"] == [{"field": "code", "message": "A region code is six digits (GB/T 2260)."}]


def test_request_validation_problems_name_the_fields(client: TestClient, admin: dict[str, str]) -> None:
    body = _problem(
        client.post("/api/v1/users", json={"username": "x", "role": "king"}, headers=admin),
        422,
        "validation_failed",
    )
    assert {"display_name", "password", "role"} <= {e["field"] for e in body["errors"]}
    assert all(CJK.search(e["message"]) for e in body["errors"])


def test_anonymous_callers_are_asked_to_authenticate(client: TestClient, demo_city: dict[str, Any]) -> None:
    response = client.get("/api/v1/orgs")
    _problem(response, 401, "not_authenticated")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    unknown = client.get("/api/v1/orgs", headers={"Authorization": "Bearer tb_00000000_forged"})
    _problem(unknown, 401, "invalid_token")


def test_cookie_callers_without_the_csrf_header_are_refused_and_nothing_changes(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.patch("/api/v1/me", json={"display_name": "跨站请求"})
    _problem(response, 403, "csrf_failed")
    assert client.get("/api/v1/me").json()["user"]["display_name"] == "平台管理员（厦门）"


# --- mistakes are 4xx, never 500 -------------------------------------------------------------------

TOO_BIG = 10**20
BAD_REQUESTS: list[tuple[str, str, dict[str, Any], int]] = [
    # malformed and mistyped bodies
    (
        "POST",
        "/api/v1/orgs",
        {"content": b'{"kind": "region", "code": ', "headers": {"Content-Type": "application/json"}},
        422,
    ),
    (
        "POST",
        "/api/v1/orgs",
        {"content": b"kind=region", "headers": {"Content-Type": "application/json"}},
        422,
    ),
    (
        "POST",
        "/api/v1/orgs",
        {"content": b"\xff\xfe\x00", "headers": {"Content-Type": "application/json"}},
        400,
    ),
    ("POST", "/api/v1/orgs", {"json": ["not", "an", "object"]}, 422),
    (
        "POST",
        "/api/v1/orgs",
        {"json": {"kind": "region", "parent_id": "abc", "code": "350214", "name": "x"}},
        422,
    ),
    (
        "POST",
        "/api/v1/orgs",
        {"json": {"kind": "region", "parent_id": 3.5, "code": "350214", "name": "x"}},
        422,
    ),
    (
        "POST",
        "/api/v1/orgs",
        {"json": {"kind": "region", "parent_id": None, "code": 350214, "name": "x"}},
        422,
    ),
    ("PATCH", "/api/v1/orgs/{xiamen}", {"json": {"active": "maybe"}}, 422),
    ("PATCH", "/api/v1/orgs/{xiamen}", {"json": {"name": None, "active": []}}, 422),
    ("POST", "/api/v1/tokens", {"json": {"org_id": "{xiamen}", "name": "x", "permissions": "org.read"}}, 422),
    (
        "POST",
        "/api/v1/tokens",
        {"json": {"org_id": "{xiamen}", "name": "x", "permissions": ["org.read"], "days": "lots"}},
        422,
    ),
    # huge input
    (
        "POST",
        "/api/v1/orgs",
        {"json": {"kind": "region", "parent_id": None, "code": "350214", "name": "名" * 100_000}},
        422,
    ),
    ("PATCH", "/api/v1/me", {"json": {"display_name": "x" * 1_000_000}}, 422),
    ("GET", "/api/v1/orgs?q=" + "q" * 10_000, {}, 422),
    ("GET", "/api/v1/users?page_size=100000", {}, 422),
    # unknown things
    ("GET", "/api/v1/orgs/2147483647", {}, 404),
    ("GET", "/api/v1/users/2147483647", {}, 404),
    ("POST", "/api/v1/tokens/2147483647/revoke", {}, 404),
    (
        "POST",
        "/api/v1/orgs",
        {"json": {"kind": "department", "parent_id": 2147483647, "code": "ABC", "name": "x"}},
        404,
    ),
    ("GET", "/api/v1/nothing-here", {}, 404),
    ("DELETE", "/api/v1/orgs", {}, 405),
    # ids and numbers out of range
    ("GET", f"/api/v1/orgs/{TOO_BIG}", {}, 422),
    ("GET", "/api/v1/orgs/9999999999", {}, 422),
    ("GET", "/api/v1/orgs/-1", {}, 422),
    ("GET", "/api/v1/orgs/abc", {}, 422),
    ("GET", f"/api/v1/orgs?parent_id={TOO_BIG}", {}, 422),
    ("GET", f"/api/v1/orgs?page={TOO_BIG}", {}, 422),
    ("GET", f"/api/v1/users/{TOO_BIG}", {}, 422),
    ("GET", f"/api/v1/users?org_id={TOO_BIG}", {}, 422),
    (
        "POST",
        "/api/v1/orgs",
        {"json": {"kind": "department", "parent_id": TOO_BIG, "code": "ABC", "name": "x"}},
        422,
    ),
    ("POST", "/api/v1/tokens", {"json": {"org_id": TOO_BIG, "name": "x", "permissions": ["org.read"]}}, 422),
    ("POST", f"/api/v1/tokens/{TOO_BIG}/revoke", {}, 422),
    # values outside a list of choices
    (
        "POST",
        "/api/v1/orgs",
        {"json": {"kind": "planet", "parent_id": None, "code": "350214", "name": "x"}},
        422,
    ),
    ("GET", "/api/v1/orgs?kind=planet", {}, 422),
    ("GET", "/api/v1/users?role=king", {}, 422),
    ("GET", "/api/v1/users?active=perhaps", {}, 422),
    ("POST", "/api/v1/tokens", {"json": {"org_id": "{scjgj}", "name": "x", "permissions": ["root"]}}, 422),
    # characters the database cannot store, and times without a zone
    ("GET", "/api/v1/orgs?q=%00", {}, 422),
    ("GET", "/api/v1/users?q=a%00b", {}, 422),
    ("PATCH", "/api/v1/me", {"json": {"display_name": "王\u0000五"}}, 422),
    ("PATCH", "/api/v1/orgs/{scjgj}", {"json": {"name": "市场\u0000监管局"}}, 422),
    ("GET", "/api/v1/audit/events?since=2026-11-27T08:00:00", {}, 422),
    ("GET", "/api/v1/audit/events?since=yesterday", {}, 422),
]


@pytest.mark.parametrize(
    ("method", "url", "extra", "status"), BAD_REQUESTS, ids=[f"{m} {u[:60]}" for m, u, _, _ in BAD_REQUESTS]
)
def test_mistakes_get_a_4xx_problem_never_a_500(
    client: TestClient,
    admin: dict[str, str],
    demo_city: dict[str, Any],
    method: str,
    url: str,
    extra: dict[str, Any],
    status: int,
) -> None:
    ids = {"{xiamen}": demo_city["350200"].id, "{scjgj}": demo_city["350200-SCJGJ"].id}

    def fill(value: Any) -> Any:
        if isinstance(value, str) and value in ids:
            return ids[value]
        if isinstance(value, str):
            for marker, number in ids.items():
                value = value.replace(marker, str(number))
            return value
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    options = {key: fill(value) if key == "json" else value for key, value in extra.items()}
    headers = admin | options.pop("headers", {})
    response = client.request(method, fill(url), headers=headers, **options)
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["code"] and body["title"]
    assert CJK.search(body["title"]), body
    if status == 422 and body["code"] == "validation_failed":
        assert body["errors"], body


def test_nothing_is_written_by_a_refused_request(
    client: TestClient, admin: dict[str, str], demo_city: dict[str, Any]
) -> None:
    before = client.get("/api/v1/audit/events?page_size=1").json()["total"]
    for name in ("市场\u0000监管局", "名" * 101, " "):
        response = client.patch(
            f"/api/v1/orgs/{demo_city['350200-SCJGJ'].id}", json={"name": name}, headers=admin
        )
        assert response.status_code == 422
    assert client.get(f"/api/v1/orgs/{demo_city['350200-SCJGJ'].id}").json()["name"] == "厦门市市场监督管理局"
    assert client.get("/api/v1/audit/events?page_size=1").json()["total"] == before


# --- generated requests from the OpenAPI document ---------------------------------------------------


def test_generated_requests_never_get_a_server_error(client: TestClient, admin: dict[str, str]) -> None:
    """Schemathesis builds valid and invalid requests for every operation of /api/openapi.json and
    sends them as the 厦门 administrator; none may get a 5xx."""
    headers = admin | {"Cookie": "; ".join(f"{name}={value}" for name, value in client.cookies.items())}
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", client.app)
    statuses: Counter[int] = Counter()
    server_errors: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=5,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case: Any) -> None:
                try:
                    response = case.call(headers=headers)
                except Exception as error:  # the in-process app raises where a server would answer 500
                    server_errors.append(f"{case.operation.label} {case.path_parameters} raised {error!r}")
                    return
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    server_errors.append(
                        f"{case.operation.label} {case.path_parameters} {case.query} {case.body!r:.200}"
                    )

            try:
                call()
            except Unsatisfiable:  # no invalid request exists for an operation without input
                continue
    assert not server_errors, "\n".join(server_errors)
    assert sum(n for status, n in statuses.items() if status < 300) > 20, (
        statuses
    )  # the session really worked
