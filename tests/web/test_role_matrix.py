"""Who reaches what: every route of the app, for every kind of caller.

Each row of ``ROWS`` is one request (a route, the object it acts on, the input) and the outcome
for each caller. Callers are the demo accounts, an anonymous visitor and an API token of
厦门市市场监督管理局. Outcomes:

    ok     2xx, or a redirect that is not to the log-in page (the request did its work)
    login  a redirect to /login (pages, not logged in)
    401    not authenticated (API problem document, or the log-in form refusing a log-in)
    403    permission_denied: the role does not allow it
    scope  outside_scope: the role allows it, but not for that organisation
    other  other_enterprise: an enterprise administrator acting for another enterprise
    422    the request reached the service and was refused for its input

Every route must appear in ``ROWS``: ``test_every_route_is_in_the_matrix`` fails for a new
route until its row is added here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient
from tests.support.actors import SYSTEM, org, user, valid_uscc
from tests.support.hub import make_resource
from tests.support.matrix import CALLERS, Row, World, api, expect, page
from tests.support.records import matrix_world
from tests.support.web import csrf_token, log_in
from tests.web.matrix_areas import area_modules

from tongban.catalog import resources
from tongban.catalog.resources_domain import FieldDraft, ResourceDraft
from tongban.catalog.service import seed_standard_elements
from tongban.config import Settings
from tongban.demo.organisations import DEMO_PASSWORD
from tongban.exchange import loads
from tongban.kernel.accounts import tokens

NEW_PASSWORD = "Matrix2027pass"


EVERYONE_OK = expect("ok")
STAFF_ONLY = expect("403", staff="ok")
ADMINS_ONLY = expect("403", admins="ok")
XIAMEN_ADMINS = expect("403", admin="ok", province_admin="ok", fz_admin="scope")
FUZHOU_ADMINS = expect("403", admin="scope", province_admin="ok", fz_admin="ok")
READERS = expect("403", admin="ok", province_admin="ok", fz_admin="ok", leader="ok")
TOKEN_MANAGERS = expect("403", steward="ok", admins="ok")
XIAMEN_TOKEN_MANAGERS = expect("403", steward="ok", admin="ok", province_admin="ok", fz_admin="scope")
USERS_OK = expect("ok")

SCJGJ_RESOURCE_MANAGERS = expect("403", steward="ok", admin="ok", province_admin="ok", fz_admin="scope")
RESOURCE_JSON: dict[str, Any] = {
    "name": "矩阵资源",
    "abstract": "角色矩阵用的资源。",
    "resource_type": "department",
    "subject_kind": "uscc",
    "sharing_type": "unconditional",
    "open_type": "not_open",
    "update_cycle": "monthly",
}
RESOURCE_JSON_FIELDS = [{"name": "统一社会信用代码", "element": "uscc", "is_subject": True}]
RESOURCE_FORM = RESOURCE_JSON | {
    "field_name": "统一社会信用代码",
    "field_element": "uscc",
    "field_subject": "0",
}

INGESTERS = expect(
    "403", steward="ok"
)  # the provider department's steward (the matrix token lacks data.ingest)
INGEST_CODE = "350200-SCJGJ-INGEST"

NEW_ELEMENT: dict[str, Any] = {
    "name_zh": "矩阵数据元",
    "name_en": "Matrix element",
    "definition": "角色矩阵用的数据元。",
    "data_type": "text",
    "sensitivity": "public",
}

NEW_OFFICER = {
    "username": "matrixofficer",
    "display_name": "矩阵科员",
    "password": "Temporary2026",
    "role": "officer",
}

SHARING_ASKERS = expect("403", officer="ok", steward="ok", fz_officer="ok")  # SCJGJ asks 税务局
SHARING_DECIDERS = expect("403", steward="ok", admin="ok", province_admin="ok", fz_admin="scope")
SHARING_READERS = expect(
    "403",
    officer="scope",
    fz_officer="scope",
    steward="ok",
    admin="ok",
    province_admin="ok",
    fz_admin="scope",
)
SHARING_WITHDRAWERS = expect("403", officer="scope", fz_officer="scope", steward="scope", fz_admin="scope")
LOG_READERS = expect("403", steward="ok", leader="ok", admins="ok")

ROWS: list[Row] = [
    # --- public ---------------------------------------------------------------------------
    Row("GET", "/healthz", EVERYONE_OK),
    Row("GET", "/", EVERYONE_OK),
    Row("GET", "/login", EVERYONE_OK),
    Row("POST", "/login", expect("401"), form={"username": "nobody", "password": "wrong-password"}),
    Row("GET", "/lang/{code}", EVERYONE_OK, url="/lang/en?next=/"),
    Row("GET", "/static", EVERYONE_OK, url="/static/tongban.css"),
    Row("GET", "/api/openapi.json", EVERYONE_OK),
    Row("GET", "/api/docs", EVERYONE_OK),
    Row("GET", "/docs/oauth2-redirect", EVERYONE_OK),
    # --- portal ---------------------------------------------------------------------------
    Row("GET", "/portal", page(expect("403", public="ok"))),
    Row("GET", "/portal/colleagues", page(expect("403", enterprise="ok"))),
    Row(
        "POST",
        "/portal/colleagues",
        page(expect("403", enterprise="ok")),
        form={"username": "matrixclerk", "display_name": "矩阵会计", "password": "Temporary2026"},
    ),
    # --- my account -----------------------------------------------------------------------
    Row("GET", "/account", page(USERS_OK)),
    Row("POST", "/account", page(USERS_OK), form={"display_name": "矩阵测试", "language": "zh-CN"}),
    Row("GET", "/account/password", page(USERS_OK)),
    Row(
        "POST",
        "/account/password",
        page(USERS_OK),
        form={
            "current_password": DEMO_PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
        last=True,
    ),
    # --- workbench: organisations ---------------------------------------------------------
    Row("GET", "/workbench", page(STAFF_ONLY)),
    Row("GET", "/workbench/orgs", page(STAFF_ONLY)),
    Row("GET", "/workbench/orgs/new", page(ADMINS_ONLY)),
    Row(
        "POST",
        "/workbench/orgs/new",
        page(XIAMEN_ADMINS),
        form={"kind": "department", "parent_id": "{org:350200}", "code": "MATRIX", "name": "厦门市矩阵局"},
        label="under 厦门市",
    ),
    Row(
        "POST",
        "/workbench/orgs/new",
        page(FUZHOU_ADMINS),
        form={"kind": "department", "parent_id": "{org:350100}", "code": "MATRIX", "name": "福州市矩阵局"},
        label="under 福州市",
    ),
    Row("GET", "/workbench/orgs/{org_id}", page(STAFF_ONLY), url="/workbench/orgs/{org:350100-SCJGJ}"),
    Row(
        "POST",
        "/workbench/orgs/{org_id}/rename",
        page(XIAMEN_ADMINS),
        url="/workbench/orgs/{org:350203-SCJGJ}/rename",
        form={"name": "厦门市思明区市场监督管理局（矩阵）"},
    ),
    Row(
        "POST",
        "/workbench/orgs/{org_id}/rename",
        page(FUZHOU_ADMINS),
        url="/workbench/orgs/{org:350100-SCJGJ}/rename",
        form={"name": "福州市市场监督管理局（矩阵）"},
    ),
    Row(
        "POST",
        "/workbench/orgs/{org_id}/active",
        page(XIAMEN_ADMINS),
        url="/workbench/orgs/{org:350206-SCJGJ}/active",
        form={"active": "0"},
    ),
    Row(
        "POST",
        "/workbench/orgs/{org_id}/active",
        page(FUZHOU_ADMINS),
        url="/workbench/orgs/{org:350102}/active",
        form={"active": "0"},
    ),
    # --- workbench: accounts --------------------------------------------------------------
    Row("GET", "/workbench/users", page(READERS)),
    Row("GET", "/workbench/users/new", page(ADMINS_ONLY)),
    Row(
        "POST",
        "/workbench/users/new",
        page(XIAMEN_ADMINS),
        form=NEW_OFFICER | {"org_id": "{org:350200-SCJGJ}"},
    ),
    Row(
        "GET",
        "/workbench/users/{user_id}",
        page(expect("403", admin="ok", province_admin="ok", leader="ok", fz_admin="scope")),
        url="/workbench/users/{user:tax_officer}",
    ),
    Row(
        "GET",
        "/workbench/users/{user_id}",
        page(expect("403", admin="scope", province_admin="ok", leader="scope", fz_admin="ok")),
        url="/workbench/users/{user:fz_officer}",
    ),
    Row(
        "POST",
        "/workbench/users/{user_id}/active",
        page(XIAMEN_ADMINS),
        url="/workbench/users/{user:tax_officer}/active",
        form={"active": "0"},
    ),
    Row(
        "POST",
        "/workbench/users/{user_id}/active",
        page(FUZHOU_ADMINS),
        url="/workbench/users/{user:fz_officer}/active",
        form={"active": "0"},
    ),
    Row(
        "POST",
        "/workbench/users/{user_id}/password",
        page(XIAMEN_ADMINS),
        url="/workbench/users/{user:tax_officer}/password",
        form={"password": "Temporary2026"},
    ),
    # --- workbench: API tokens ------------------------------------------------------------
    Row("GET", "/workbench/tokens", page(TOKEN_MANAGERS)),
    Row(
        "POST",
        "/workbench/tokens",
        page(XIAMEN_TOKEN_MANAGERS),
        form={"name": "矩阵系统", "org_id": "{org:350200-SCJGJ}", "permissions": "org.read", "days": "30"},
        label="for 市场监管局",
    ),
    Row(
        "POST",
        "/workbench/tokens",
        page(expect("403", steward="scope", admin="ok", province_admin="ok", fz_admin="scope")),
        form={"name": "矩阵系统", "org_id": "{org:350200-SWJ}", "permissions": "org.read", "days": "30"},
        label="for 税务局",
    ),
    Row(
        "POST",
        "/workbench/tokens/{token_id}/revoke",
        page(XIAMEN_TOKEN_MANAGERS),
        url="/workbench/tokens/{token:page}/revoke",
    ),
    Row(
        "POST",
        "/workbench/tokens/{token_id}/revoke",
        page(expect("403", steward="scope", admin="scope", province_admin="ok", fz_admin="ok")),
        url="/workbench/tokens/{token:fuzhou}/revoke",
    ),
    # --- workbench: audit -----------------------------------------------------------------
    Row("GET", "/workbench/audit", page(READERS)),
    # --- API: organisations ---------------------------------------------------------------
    Row("GET", "/api/v1/orgs", api(expect("403", staff="ok", token="ok"))),
    Row(
        "POST",
        "/api/v1/orgs",
        api(XIAMEN_ADMINS),
        json={"kind": "department", "parent_id": "{org:350200}", "code": "MATRIXAPI", "name": "厦门市接口局"},
    ),
    Row(
        "GET",
        "/api/v1/orgs/{org_id}",
        api(expect("403", staff="ok", token="ok")),
        url="/api/v1/orgs/{org:350100}",
    ),
    Row(
        "PATCH",
        "/api/v1/orgs/{org_id}",
        api(XIAMEN_ADMINS),
        url="/api/v1/orgs/{org:350203-SCJGJ}",
        json={"name": "思明区市场监督管理局（接口）"},
    ),
    Row(
        "PATCH",
        "/api/v1/orgs/{org_id}",
        api(FUZHOU_ADMINS),
        url="/api/v1/orgs/{org:350100-SCJGJ}",
        json={"active": True},
    ),
    # --- API: me --------------------------------------------------------------------------
    Row("GET", "/api/v1/me", api(expect("ok"))),
    Row("PATCH", "/api/v1/me", api(expect("ok", token="403")), json={"display_name": "接口测试"}),
    Row(
        "POST",
        "/api/v1/me/password",
        api(expect("422", token="403")),
        json={"current_password": "wrong-password", "new_password": NEW_PASSWORD},
    ),
    # --- API: accounts --------------------------------------------------------------------
    Row(
        "GET",
        "/api/v1/users",
        api(expect("403", admin="ok", province_admin="ok", fz_admin="ok", leader="ok", enterprise="ok")),
    ),
    Row(
        "POST",
        "/api/v1/users",
        api(XIAMEN_ADMINS),
        json=NEW_OFFICER | {"username": "matrixapiofficer", "org_id": "{org:350200-SCJGJ}"},
        label="officer",
    ),
    Row(
        "POST",
        "/api/v1/users",
        api(expect("403", admins="ok", enterprise="ok")),
        json={
            "username": "matrixcolleague",
            "display_name": "矩阵同事",
            "password": "Temporary2026",
            "role": "enterprise",
            "uscc": "{uscc:enterprise}",
            "enterprise_name": "厦门鹭江智能科技有限公司",
        },
        label="enterprise colleague",
    ),
    Row(
        "GET",
        "/api/v1/users/{user_id}",
        api(
            expect("403", admin="ok", province_admin="ok", leader="ok", fz_admin="scope", enterprise="other")
        ),
        url="/api/v1/users/{user:tax_officer}",
    ),
    Row(
        "GET",
        "/api/v1/users/{user_id}",
        api(
            expect(
                "403", admin="scope", province_admin="ok", leader="scope", fz_admin="ok", enterprise="other"
            )
        ),
        url="/api/v1/users/{user:fz_officer}",
    ),
    Row(
        "GET",
        "/api/v1/users/{user_id}",
        api(expect("403", admins="ok", leader="scope", enterprise="ok")),
        url="/api/v1/users/{user:enterprise2}",
    ),
    Row(
        "PATCH",
        "/api/v1/users/{user_id}",
        api(XIAMEN_ADMINS),
        url="/api/v1/users/{user:tax_officer}",
        json={"active": True},
    ),
    Row(
        "PATCH",
        "/api/v1/users/{user_id}",
        api(expect("403", admins="ok", enterprise="ok")),
        url="/api/v1/users/{user:enterprise2}",
        json={"active": True},
    ),
    Row(
        "POST",
        "/api/v1/users/{user_id}/password",
        api(FUZHOU_ADMINS),
        url="/api/v1/users/{user:fz_officer}/password",
        json={"password": "Temporary2026"},
    ),
    Row(
        "POST",
        "/api/v1/users/{user_id}/enterprise-admin",
        api(expect("403", enterprise="ok")),
        url="/api/v1/users/{user:enterprise2}/enterprise-admin",
        last=True,
    ),
    # --- API: tokens ----------------------------------------------------------------------
    Row("GET", "/api/v1/tokens", api(TOKEN_MANAGERS)),
    Row(
        "POST",
        "/api/v1/tokens",
        api(XIAMEN_TOKEN_MANAGERS),
        json={"org_id": "{org:350200-SCJGJ}", "name": "矩阵系统", "permissions": ["org.read"], "days": 30},
        label="for 市场监管局",
    ),
    Row(
        "POST",
        "/api/v1/tokens",
        api(expect("403", steward="scope", admin="ok", province_admin="ok", fz_admin="scope")),
        json={"org_id": "{org:350200-SWJ}", "name": "矩阵系统", "permissions": ["org.read"], "days": 30},
        label="for 税务局",
    ),
    Row(
        "POST",
        "/api/v1/tokens/{token_id}/revoke",
        api(XIAMEN_TOKEN_MANAGERS),
        url="/api/v1/tokens/{token:api}/revoke",
    ),
    # --- API: audit -----------------------------------------------------------------------
    Row("GET", "/api/v1/audit/events", api(READERS)),
    Row("GET", "/api/v1/audit/verify", api(READERS)),
    # --- workbench and API: resource catalog ----------------------------------------------
    Row("GET", "/workbench/resources", page(STAFF_ONLY)),
    Row("GET", "/workbench/resources.xlsx", page(STAFF_ONLY)),
    Row("GET", "/workbench/resources/new", page(expect("403", steward="ok", admins="ok"))),
    Row(
        "POST",
        "/workbench/resources/new",
        page(SCJGJ_RESOURCE_MANAGERS),
        form=RESOURCE_FORM | {"provider_org_id": "{org:350200-SCJGJ}"},
        label="for 市场监管局",
    ),
    Row(
        "POST",
        "/workbench/resources/new",
        page(expect("403", steward="scope", admin="ok", province_admin="ok", fz_admin="scope")),
        form=RESOURCE_FORM | {"provider_org_id": "{org:350200-SWJ}"},
        label="for 税务局",
    ),
    Row(
        "GET",
        "/workbench/resources/{resource_id}",
        page(STAFF_ONLY),
        url="/workbench/resources/{resource:swj}",
        label="published",
    ),
    Row(
        "GET",
        "/workbench/resources/{resource_id}",
        page(SCJGJ_RESOURCE_MANAGERS),
        url="/workbench/resources/{resource:draft}",
        label="draft",
    ),
    Row(
        "GET",
        "/workbench/resources/{resource_id}/edit",
        page(SCJGJ_RESOURCE_MANAGERS),
        url="/workbench/resources/{resource:draft}/edit",
    ),
    Row(
        "POST",
        "/workbench/resources/{resource_id}/edit",
        page(SCJGJ_RESOURCE_MANAGERS),
        url="/workbench/resources/{resource:draft}/edit",
        form=RESOURCE_FORM | {"name": "矩阵资源（修订）"},
    ),
    Row(
        "POST",
        "/workbench/resources/{resource_id}/publish",
        page(SCJGJ_RESOURCE_MANAGERS),
        url="/workbench/resources/{resource:draft}/publish",
    ),
    Row(
        "POST",
        "/workbench/resources/{resource_id}/discard",
        page(SCJGJ_RESOURCE_MANAGERS),
        url="/workbench/resources/{resource:draft}/discard",
    ),
    Row(
        "POST",
        "/workbench/resources/{resource_id}/retire",
        page(SCJGJ_RESOURCE_MANAGERS),
        url="/workbench/resources/{resource:draft}/retire",
    ),
    Row(
        "GET",
        "/workbench/resources/{resource_id}/versions/{version}",
        page(STAFF_ONLY),
        url="/workbench/resources/{resource:swj}/versions/1",
    ),
    Row("GET", "/api/v1/resources", api(STAFF_ONLY)),
    Row(
        "POST",
        "/api/v1/resources",
        api(SCJGJ_RESOURCE_MANAGERS),
        json=RESOURCE_JSON | {"provider_org_id": "{org:350200-SCJGJ}", "fields": RESOURCE_JSON_FIELDS},
    ),
    Row("GET", "/api/v1/resources/{ref}", api(STAFF_ONLY), url="/api/v1/resources/{resource:swj}"),
    Row(
        "PUT",
        "/api/v1/resources/{ref}",
        api(SCJGJ_RESOURCE_MANAGERS),
        url="/api/v1/resources/{resource:api}",
        json=RESOURCE_JSON | {"name": "矩阵接口资源", "fields": RESOURCE_JSON_FIELDS},
    ),
    Row(
        "POST",
        "/api/v1/resources/{ref}/publish",
        api(SCJGJ_RESOURCE_MANAGERS),
        url="/api/v1/resources/{resource:api}/publish",
    ),
    Row(
        "POST",
        "/api/v1/resources/{ref}/discard",
        api(SCJGJ_RESOURCE_MANAGERS),
        url="/api/v1/resources/{resource:api}/discard",
    ),
    Row(
        "POST",
        "/api/v1/resources/{ref}/retire",
        api(expect("403", steward="scope", admin="scope", province_admin="ok", fz_admin="ok")),
        url="/api/v1/resources/{resource:fz}/retire",
    ),
    Row(
        "GET",
        "/api/v1/resources/{ref}/versions",
        api(STAFF_ONLY),
        url="/api/v1/resources/{resource:swj}/versions",
    ),
    Row(
        "GET",
        "/api/v1/resources/{ref}/versions/{version}",
        api(STAFF_ONLY),
        url="/api/v1/resources/{resource:swj}/versions/1",
    ),
    # --- workbench and API: ingest --------------------------------------------------------
    Row("GET", "/workbench/ingest", page(INGESTERS)),
    Row("POST", "/workbench/ingest", page(expect("403", steward="422")), form={"resource": INGEST_CODE}),
    Row(
        "GET",
        "/workbench/ingest/loads/{load_id}",
        page(INGESTERS),
        url="/workbench/ingest/loads/{load:matrix}",
    ),
    Row("GET", "/workbench/ingest/quarantine", page(INGESTERS)),
    Row(
        "GET",
        "/workbench/ingest/quarantine/{row_id}",
        page(INGESTERS),
        url="/workbench/ingest/quarantine/{quarantine:fix}",
    ),
    Row(
        "POST",
        "/workbench/ingest/quarantine/{row_id}/resubmit",
        page(INGESTERS),
        url="/workbench/ingest/quarantine/{quarantine:fix}/resubmit",
        form={"v_0": "{uscc:ingest}", "v_1": "2025", "v_2": "100"},
    ),
    Row(
        "POST",
        "/workbench/ingest/quarantine/{row_id}/discard",
        page(INGESTERS),
        url="/workbench/ingest/quarantine/{quarantine:drop}/discard",
        form={"note": "矩阵"},
    ),
    Row(
        "POST",
        "/api/v1/ingest/{resource_code}/batches",
        api(INGESTERS),
        url=f"/api/v1/ingest/{INGEST_CODE}/batches",
        json={"rows": [{"统一社会信用代码": "{uscc:ingest}", "年度": 2024, "营业收入": 1}]},
    ),
    Row("GET", "/api/v1/ingest/loads/{load_id}", api(INGESTERS), url="/api/v1/ingest/loads/{load:matrix}"),
    Row(
        "GET",
        "/api/v1/ingest/loads/{load_id}/quarantine",
        api(INGESTERS),
        url="/api/v1/ingest/loads/{load:matrix}/quarantine",
    ),
    # --- sharing requests and grants (市场监管局 provides, 税务局 asks) -------------------------
    Row(
        "GET",
        "/workbench/sharing",
        page(expect("403", officer="ok", steward="ok", fz_officer="ok", admins="ok")),
    ),
    Row("GET", "/workbench/sharing/new", page(SHARING_ASKERS)),
    Row(
        "POST",
        "/workbench/sharing/new",
        page(SHARING_ASKERS),
        form={"resource": "{resource:ask}", "purpose": "矩阵", "legal_basis": "矩阵", "fields": "营业收入"},
    ),
    Row(
        "GET",
        "/workbench/sharing/{request_id}",
        page(SHARING_READERS),
        url="/workbench/sharing/{sharing:view}",
    ),
    Row(
        "POST",
        "/workbench/sharing/{request_id}/approve",
        page(SHARING_DECIDERS),
        url="/workbench/sharing/{sharing:page-approve}/approve",
        form={"fields": "营业收入"},
    ),
    Row(
        "POST",
        "/workbench/sharing/{request_id}/reject",
        page(SHARING_DECIDERS),
        url="/workbench/sharing/{sharing:page-reject}/reject",
        form={"reason": "矩阵"},
    ),
    Row(
        "POST",
        "/workbench/sharing/{request_id}/withdraw",
        page(SHARING_WITHDRAWERS),
        url="/workbench/sharing/{sharing:page-withdraw}/withdraw",
    ),
    Row(
        "GET",
        "/workbench/grants",
        page(expect("403", officer="ok", steward="ok", fz_officer="ok", admins="ok")),
    ),
    Row(
        "POST",
        "/workbench/grants/{grant_id}/revoke",
        page(SHARING_DECIDERS),
        url="/workbench/grants/{grant:page-revoke}/revoke",
    ),
    Row(
        "POST",
        "/api/v1/sharing/requests",
        api(SHARING_ASKERS),
        json={
            "resource_code": "{resource:ask}",
            "purpose": "矩阵",
            "legal_basis": "矩阵",
            "fields": ["营业收入"],
        },
    ),
    Row("GET", "/api/v1/sharing/requests", api(SHARING_ASKERS)),
    Row(
        "GET",
        "/api/v1/sharing/requests/{request_id}",
        api(SHARING_READERS),
        url="/api/v1/sharing/requests/{sharing:view}",
    ),
    Row(
        "POST",
        "/api/v1/sharing/requests/{request_id}/approve",
        api(SHARING_DECIDERS),
        url="/api/v1/sharing/requests/{sharing:approve}/approve",
        json={},
    ),
    Row(
        "POST",
        "/api/v1/sharing/requests/{request_id}/reject",
        api(SHARING_DECIDERS),
        url="/api/v1/sharing/requests/{sharing:reject}/reject",
        json={"reason": "矩阵"},
    ),
    Row(
        "POST",
        "/api/v1/sharing/requests/{request_id}/withdraw",
        api(SHARING_WITHDRAWERS),
        url="/api/v1/sharing/requests/{sharing:withdraw}/withdraw",
    ),
    Row("GET", "/api/v1/sharing/grants", api(SHARING_ASKERS)),
    Row(
        "POST",
        "/api/v1/sharing/grants/{grant_id}/revoke",
        api(SHARING_DECIDERS),
        url="/api/v1/sharing/grants/{grant:api-revoke}/revoke",
        json={},
    ),
    # --- data access and verification (the matrix token holds org.read only) -----------------
    Row(
        "GET",
        "/api/v1/data/{resource_code}/subjects/{subject}",
        api(expect("403")),
        url="/api/v1/data/{resource:decide}/subjects/{uscc:enterprise}",
    ),
    Row(
        "GET",
        "/api/v1/data/{resource_code}/records",
        api(expect("403")),
        url="/api/v1/data/{resource:decide}/records",
    ),
    Row(
        "GET",
        "/api/v1/data/{resource_code}/changes",
        api(expect("403")),
        url="/api/v1/data/{resource:decide}/changes",
    ),
    Row(
        "POST",
        "/api/v1/verify/{resource_code}",
        api(expect("403")),
        url="/api/v1/verify/{resource:decide}",
        json={"subject": "{uscc:enterprise}", "question": {"field": "营业收入", "op": ">=", "value": 1}},
    ),
    # --- the access log ("who used my data", auditors) --------------------------------------
    Row("GET", "/portal/usage", page(expect("403", public="ok"))),
    Row("GET", "/workbench/access-log", page(LOG_READERS)),
    Row("GET", "/workbench/access-log.xlsx", page(LOG_READERS)),
    Row("GET", "/api/v1/access-log", api(LOG_READERS)),
    Row("GET", "/api/v1/access-log/unusual", api(LOG_READERS)),
    # --- workbench and API: data elements (数据元) ------------------------------------------
    # Elements are platform-wide: reading needs catalog.read (all staff), changing element.manage
    # (platform administrators, whatever their region).
    Row("GET", "/workbench/elements", page(STAFF_ONLY)),
    Row("GET", "/workbench/elements.xlsx", page(STAFF_ONLY)),
    Row("GET", "/workbench/elements/new", page(ADMINS_ONLY)),
    Row(
        "POST",
        "/workbench/elements/new",
        page(ADMINS_ONLY),
        form=NEW_ELEMENT | {"identifier": "DE00902", "key": "matrix_page"},
    ),
    Row("GET", "/workbench/elements/{identifier}", page(STAFF_ONLY), url="/workbench/elements/DE00102"),
    Row(
        "POST",
        "/workbench/elements/{identifier}/check",
        page(STAFF_ONLY),
        url="/workbench/elements/uscc/check",
        form={"value": "abc"},
    ),
    Row(
        "POST",
        "/workbench/elements/{identifier}/active",
        page(ADMINS_ONLY),
        url="/workbench/elements/DE00601/active",
        form={"active": "0"},
    ),
    Row("GET", "/api/v1/elements", api(STAFF_ONLY)),
    Row(
        "POST",
        "/api/v1/elements",
        api(ADMINS_ONLY),
        json=NEW_ELEMENT | {"identifier": "DE00901", "key": "matrix_api"},
    ),
    Row("GET", "/api/v1/elements/{identifier}", api(STAFF_ONLY), url="/api/v1/elements/uscc"),
    Row(
        "PATCH",
        "/api/v1/elements/{identifier}",
        api(ADMINS_ONLY),
        url="/api/v1/elements/DE00602",
        json={"name_en": "Document no."},
    ),
    Row(
        "POST",
        "/api/v1/elements/{identifier}/check",
        api(STAFF_ONLY),
        url="/api/v1/elements/uscc/check",
        json={"value": "abc"},
    ),
    # --- log-out ends it all --------------------------------------------------------------
    Row("POST", "/logout", expect("login"), last=True),
]
AREAS = area_modules()
for _area in AREAS:
    ROWS.extend(_area.ROWS)


# --- the checks -------------------------------------------------------------------------------


def _declared_routes(app: Any) -> set[tuple[str, str]]:
    routes = set()
    for context in iter_route_contexts(app.routes):
        methods = (context.methods or {"GET"}) - {"HEAD"}
        routes.update((method, context.path) for method in methods)
    return routes


def test_every_route_is_in_the_matrix(app: Any) -> None:
    declared = _declared_routes(app)
    covered = {(row.method, row.route) for row in ROWS}
    missing = sorted(declared - covered)
    stale = sorted(covered - declared)
    assert not missing, "routes without a row in the role matrix (add them to ROWS): " + ", ".join(
        f"{m} {p}" for m, p in missing
    )
    assert not stale, "rows for routes that no longer exist: " + ", ".join(f"{m} {p}" for m, p in stale)


def test_every_row_says_what_each_caller_gets() -> None:
    outcomes = {"ok", "login", "401", "403", "scope", "other", "422"}
    for row in ROWS:
        assert set(row.expected) == set(CALLERS), row
        assert set(row.expected.values()) <= outcomes, row


@pytest.fixture
def world(session_factory: sessionmaker[Session], demo_city: dict[str, Any], settings: Settings) -> World:
    built = World(data_dir=settings.data_dir)
    with session_factory() as session:
        for code, organisation in demo_city.items():
            built.ids[f"org:{code}"] = organisation.id
        for username in ("tax_officer", "fz_officer", "enterprise2", "enterprise"):
            built.ids[f"user:{username}"] = user(session, username).id
        built.values["uscc:enterprise"] = user(session, "enterprise").uscc or ""
        for name, code in (("page", "350200-SCJGJ"), ("api", "350200-SCJGJ"), ("fuzhou", "350100-SCJGJ")):
            issued = tokens.create_token(
                session, SYSTEM, org_id=org(session, code).id, name=name, permissions=["org.read"]
            )
            built.ids[f"token:{name}"] = issued.token.id
        caller = tokens.create_token(
            session,
            SYSTEM,
            org_id=org(session, "350200-SCJGJ").id,
            name="市场监管业务系统",
            permissions=["org.read"],
        )
        built.bearer = caller.secret
        built.ids.update(_catalog_resources(session))
        built.ids.update(_ingest_world(session, built))
        sharing_ids, sharing_values = matrix_world(session)
        built.ids.update(sharing_ids)
        built.values.update(sharing_values)
        for area in AREAS:
            if hasattr(area, "build"):
                area.build(session, built)
        session.commit()
    return built


def _catalog_resources(session: Session) -> dict[str, int]:
    """Drafts of 市场监管局 (one for the pages, one for the API), published ones of 税务局 and 福州."""
    seed_standard_elements(session, SYSTEM)
    made = {}
    for name, code, publish in (
        ("draft", "350200-SCJGJ", False),
        ("api", "350200-SCJGJ", False),
        ("swj", "350200-SWJ", True),
        ("fz", "350100-SCJGJ", True),
    ):
        draft = ResourceDraft(
            **(RESOURCE_JSON | {"fields": (FieldDraft("统一社会信用代码", "uscc", is_subject=True),)})
        )
        resource = resources.register_resource(
            session, SYSTEM, provider_org_id=org(session, code).id, draft=draft
        )
        if publish:
            resources.publish_resource(session, SYSTEM, resource.id)
        made[f"resource:{name}"] = resource.id
    return made


def _ingest_world(session: Session, built: World) -> dict[str, int]:
    """A published resource of 市场监管局 and a load with two quarantined rows (one to fix, one to drop)."""
    make_resource(session, provider_code="350200-SCJGJ", code=INGEST_CODE)
    built.values["uscc:ingest"] = valid_uscc("91350200MA8MATRX1")
    load = loads.load_rows(
        session,
        SYSTEM,
        INGEST_CODE,
        [
            {"统一社会信用代码": built.values["uscc:ingest"], "年度": 2025, "营业收入": "很多"},
            {"统一社会信用代码": "bad", "年度": 2025, "营业收入": 1},
        ],
    )
    held = sorted(loads.list_quarantine(session, SYSTEM, load_id=load.id).items, key=lambda r: r.row_number)
    return {"load:matrix": load.id, "quarantine:fix": held[0].id, "quarantine:drop": held[1].id}


def _outcome(response: Any) -> str:
    status = response.status_code
    if 300 <= status < 400:
        return "login" if response.headers.get("location", "").startswith("/login") else "ok"
    if status < 300:
        return "ok"
    if status == 403:
        if response.headers.get("content-type", "").startswith("application/problem+json"):
            code = response.json().get("code")
        else:
            match = re.search(r'data-code="([^"]*)"', response.text)
            code = match.group(1) if match else "?"
        return {"permission_denied": "403", "outside_scope": "scope", "other_enterprise": "other"}.get(
            code, f"403 {code}"
        )
    return str(status)


def _call(client: TestClient, row: Row, world: World, csrf: str, headers: dict[str, str]) -> Any:
    url = world.fill(row.target)
    if row.method == "GET":
        return client.get(url, headers=headers, follow_redirects=False)
    if row.json is not None or row.is_api:
        return client.request(
            row.method,
            url,
            json=world.fill(row.json) if row.json is not None else None,
            headers=headers | {"X-CSRF-Token": csrf},
            follow_redirects=False,
        )
    form = {key: str(value) for key, value in world.fill(row.form or {}).items()} | {"csrf_token": csrf}
    return client.request(row.method, url, data=form, headers=headers, follow_redirects=False)


def _client_for(client: TestClient, who: str, world: World) -> tuple[str, dict[str, str]]:
    if who == "token":
        return csrf_token(client), {"Authorization": f"Bearer {world.bearer}"}
    if who != "anonymous":
        log_in(client, who)
    return csrf_token(client), {}


def ordered_rows() -> list[Row]:
    return [r for r in ROWS if not r.last] + [r for r in ROWS if r.last]


@pytest.mark.parametrize("who", CALLERS)
def test_each_caller_reaches_only_what_it_may(client: TestClient, world: World, who: str) -> None:
    csrf, headers = _client_for(client, who, world)
    wrong = []
    for row in ordered_rows():
        got = _outcome(_call(client, row, world, csrf, headers))
        if got != row.expected[who]:
            wrong.append(
                f"  {row.method:6} {row.target} {row.label}: expected {row.expected[who]}, got {got}"
            )
    assert not wrong, f"{who}:\n" + "\n".join(wrong)
