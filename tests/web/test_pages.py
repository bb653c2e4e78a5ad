"""The web shell as a person uses it: log-in, language, CSRF, cookies, and the workbench and portal forms."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient
from tests.support.actors import SYSTEM, actions, org, user, valid_uscc
from tests.support.html import attributes, has, texts, visible_text, zh
from tests.support.html import text as element_text
from tests.support.web import csrf_token, log_in, post_form

from tongban.app import create_app
from tongban.config import Settings
from tongban.demo.organisations import DEMO_PASSWORD
from tongban.kernel.accounts import tokens
from tongban.kernel.accounts.models import User
from tongban.kernel.orgs import service as orgs
from tongban.kernel.orgs.models import Organisation

NEW_PASSWORD = "Gulangyu2027"


def _counts(factory: sessionmaker[Session]) -> tuple[int, int, int]:
    with factory() as session:
        return (
            session.scalar(select(func.count()).select_from(Organisation)) or 0,
            session.scalar(select(func.count()).select_from(User)) or 0,
            len(actions(session)),
        )


# --- language ------------------------------------------------------------------------------------


def test_log_in_page_is_chinese_by_default(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert zh("Log in") == "登录"
    assert "登录" in element_text(page.text, "login-submit")
    assert has(page.text, "login-form")


def test_english_switch_is_remembered(client: TestClient) -> None:
    switched = client.get("/lang/en?next=/login", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/login"
    page = client.get("/login")
    assert '<html lang="en">' in page.text
    assert element_text(page.text, "login-submit") == "Log in"
    assert element_text(page.text, "language-switch") == "中文"
    client.get("/lang/zh-CN")
    assert '<html lang="zh-CN">' in client.get("/login").text


def test_preferred_language_of_the_account_is_used(client: TestClient, demo_city: dict[str, Any]) -> None:
    log_in(client, "officer")
    saved = post_form(client, "/account", {"display_name": "市场监管局科员", "language": "en"})
    assert saved.status_code == 303
    assert '<html lang="en">' in client.get("/workbench").text
    # the switch still wins over the preference
    client.get("/lang/zh-CN")
    assert '<html lang="zh-CN">' in client.get("/workbench").text


# --- log-in, log-out and the session cookie ------------------------------------------------------------


def test_session_cookie_is_http_only_and_same_site(client: TestClient, demo_city: dict[str, Any]) -> None:
    response = log_in(client, "officer")
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("tb_session="))
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path"} <= flags
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in flags  # plain http in development


def test_session_cookie_is_secure_behind_https(
    settings: Settings, engine: Engine, demo_city: dict[str, Any]
) -> None:
    secure_app = create_app(settings.model_copy(update={"base_url": "https://tongban.xm.gov.cn"}), engine)
    with TestClient(secure_app, base_url="https://testserver") as client:
        response = log_in(client, "officer")
    cookies = [
        h for h in response.headers.get_list("set-cookie") if h.startswith(("tb_session=", "tb_csrf="))
    ]
    assert cookies and all("secure" in c.lower() for c in cookies)


def test_failed_log_in_says_why_in_chinese_and_opens_no_session(
    client: TestClient, demo_city: dict[str, Any]
) -> None:
    response = post_form(client, "/login", {"username": "officer", "password": "wrong-password"})
    assert response.status_code == 401
    assert element_text(response.text, "login-error") == zh("Wrong user name or password.")
    assert "tb_session" not in response.headers.get("set-cookie", "")
    assert client.get("/workbench", follow_redirects=False).headers["location"].startswith("/login")


def test_repeated_failures_lock_the_account(client: TestClient, demo_city: dict[str, Any]) -> None:
    for _ in range(4):
        assert post_form(client, "/login", {"username": "officer", "password": "wrong"}).status_code == 401
    locked = post_form(client, "/login", {"username": "officer", "password": "wrong"})
    assert locked.status_code == 423
    reason = zh("Too many failed log-ins. The account is locked until {until}.", until="\x00").split("\x00")[
        0
    ]
    assert element_text(locked.text, "login-error").startswith(reason)
    assert post_form(client, "/login", {"username": "officer", "password": DEMO_PASSWORD}).status_code == 423


def test_anonymous_visitor_is_sent_to_log_in_and_back(client: TestClient, demo_city: dict[str, Any]) -> None:
    response = client.get("/workbench/orgs", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/workbench/orgs"
    arrived = post_form(
        client, "/login", {"username": "officer", "password": DEMO_PASSWORD, "next": "/workbench/orgs"}
    )
    assert arrived.headers["location"] == "/workbench/orgs"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
    ],
)
def test_next_never_leads_off_site(client: TestClient, demo_city: dict[str, Any], target: str) -> None:
    response = post_form(client, "/login", {"username": "officer", "password": DEMO_PASSWORD, "next": target})
    assert response.status_code == 303
    assert response.headers["location"] == "/workbench"
    switched = client.get("/lang/en", params={"next": target}, follow_redirects=False)
    assert switched.headers["location"] == "/"


def test_log_out_ends_the_session_for_good(client: TestClient, demo_city: dict[str, Any]) -> None:
    log_in(client, "officer")
    stolen = client.cookies.get("tb_session")
    assert post_form(client, "/logout").headers["location"] == "/login"
    assert client.get("/workbench", follow_redirects=False).status_code == 303
    # the old cookie value, replayed, no longer opens anything
    client.cookies.set("tb_session", stolen or "")
    assert client.get("/workbench", follow_redirects=False).headers["location"].startswith("/login")


# --- CSRF and security headers --------------------------------------------------------------------------


def test_form_without_the_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, demo_city: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "admin")
    target = demo_city["350200-SWJ"].id
    before = _counts(session_factory)
    for form in ({"name": "被篡改的名字"}, {"name": "被篡改的名字", "csrf_token": "forged-token"}):
        refused = client.post(f"/workbench/orgs/{target}/rename", data=form, follow_redirects=False)
        assert refused.status_code == 403
        assert attributes(refused.text, "error-page")[0]["data-code"] == "csrf_failed"
    with session_factory() as session:
        assert org(session, "350200-SWJ").name == "国家税务总局厦门市税务局"
    assert _counts(session_factory) == before


def test_csrf_token_of_another_visitor_does_not_work(
    client: TestClient, app: Any, demo_city: dict[str, Any]
) -> None:
    with TestClient(app) as other:
        foreign = csrf_token(other)
    log_in(client, "admin")
    refused = client.post(
        f"/workbench/orgs/{demo_city['350200-SWJ'].id}/rename",
        data={"name": "被篡改的名字", "csrf_token": foreign},
        follow_redirects=False,
    )
    assert refused.status_code == 403


def test_log_in_form_needs_the_csrf_token(client: TestClient, demo_city: dict[str, Any]) -> None:
    response = client.post(
        "/login", data={"username": "officer", "password": DEMO_PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "tb_session" not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize("path", ["/login", "/", "/api/openapi.json", "/api/v1/orgs", "/nothing-here"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Request-ID"]


# --- workbench: organisations ------------------------------------------------------------------------------


def test_organisation_list_filters_and_pages(
    client: TestClient, demo_city: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        siming = org(session, "350203").id
        for number in range(30):
            orgs.create_department(
                session, SYSTEM, parent_id=siming, code_suffix=f"T{number:02}", name=f"测试局{number:02}"
            )
        session.commit()
    log_in(client, "officer")
    first = client.get("/workbench/orgs")
    assert len(texts(first.text, "org-row")) == 50
    assert has(first.text, "pager-next") and not has(first.text, "pager-previous")
    second = client.get("/workbench/orgs?page=2")
    assert len(texts(second.text, "org-row")) == len(demo_city) + 30 - 50
    assert has(second.text, "pager-previous") and not has(second.text, "pager-next")
    found = client.get("/workbench/orgs", params={"q": "市场监督", "kind": "department"})
    codes = [a["data-code"] for a in attributes(found.text, "org-row")]
    assert codes == sorted(["350200-SCJGJ", "350203-SCJGJ", "350206-SCJGJ", "350100-SCJGJ"])
    regions = client.get("/workbench/orgs", params={"kind": "region"})
    assert all("-" not in a["data-code"] for a in attributes(regions.text, "org-row"))
    # an officer sees the directory but not the buttons to change it
    assert not has(first.text, "org-new")


def test_organisation_is_created_renamed_and_deactivated_through_forms(
    client: TestClient, demo_city: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "admin")
    form = client.get(f"/workbench/orgs/new?parent_id={demo_city['350200'].id}")
    assert has(form.text, "org-form")
    created = post_form(
        client,
        "/workbench/orgs/new",
        {
            "kind": "department",
            "parent_id": demo_city["350200"].id,
            "code": "wjw",
            "name": "厦门市卫生健康委员会",
        },
    )
    assert created.status_code == 303
    detail = client.get(created.headers["location"])
    assert element_text(detail.text, "org-name") == "厦门市卫生健康委员会"
    assert element_text(detail.text, "saved") == zh("Saved.")
    org_id = int(created.headers["location"].split("/")[-1].split("?")[0])
    renamed = post_form(client, f"/workbench/orgs/{org_id}/rename", {"name": "厦门市卫健委"})
    assert renamed.status_code == 303
    assert element_text(client.get(f"/workbench/orgs/{org_id}").text, "org-name") == "厦门市卫健委"
    deactivated = post_form(client, f"/workbench/orgs/{org_id}/active", {"active": "0"})
    assert deactivated.status_code == 303
    page = client.get(f"/workbench/orgs/{org_id}").text
    assert has(page, "org-activate") and not has(page, "org-deactivate")
    with session_factory() as session:
        assert actions(session)[-3:] == ["org.create", "org.rename", "org.deactivate"]


@pytest.mark.parametrize(
    ("form", "field", "msgid"),
    [
        (
            {"kind": "region", "code": "35020", "name": "某区"},
            "code",
            "A region code is six digits (GB/T 2260).",
        ),
        (
            {"kind": "region", "code": "350102", "name": "某区"},
            "code",
            "Region {code} does not lie within {parent}.",
        ),
        (
            {"kind": "department", "code": "x", "name": "某局"},
            "code",
            "A department code is 2 to 20 capital letters or digits, e.g. SCJGJ.",
        ),
        ({"kind": "department", "code": "ABC", "name": "  "}, "name", "A name is required."),
    ],
)
def test_bad_organisation_form_shows_the_reason_beside_the_field(
    client: TestClient,
    demo_city: dict[str, Any],
    session_factory: sessionmaker[Session],
    form: dict[str, str],
    field: str,
    msgid: str,
) -> None:
    log_in(client, "admin")
    before = _counts(session_factory)
    response = post_form(client, "/workbench/orgs/new", form | {"parent_id": demo_city["350200"].id})
    assert response.status_code == 422
    assert element_text(response.text, f"error-{field}") == zh(msgid, code="350102", parent="350200")
    # what was typed is kept
    assert attributes(response.text, "field-name")[0]["value"] == form["name"]
    assert _counts(session_factory) == before


def test_deactivating_a_region_with_active_children_is_explained(
    client: TestClient, demo_city: dict[str, Any]
) -> None:
    log_in(client, "province_admin")
    response = post_form(client, f"/workbench/orgs/{demo_city['350200'].id}/active", {"active": "0"})
    assert response.status_code == 409
    assert element_text(response.text, "form-error") == zh("Deactivate the organisations under it first.")


# --- workbench: accounts -----------------------------------------------------------------------------------


def test_accounts_are_listed_created_and_shown(
    client: TestClient, demo_city: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "admin")
    listing = client.get("/workbench/users", params={"role": "officer"})
    assert [a["data-username"] for a in attributes(listing.text, "user-row")] == [
        "officer", "policy_officer", "policy_reviewer", "tax_officer"
    ]
    assert "fz_officer" not in listing.text
    created = post_form(
        client,
        "/workbench/users/new",
        {
            "role": "officer",
            "username": "newofficer",
            "display_name": "新科员",
            "password": "Temporary2026",
            "org_id": demo_city["350203-SCJGJ"].id,
        },
    )
    assert created.status_code == 303
    detail = client.get(created.headers["location"])
    assert element_text(detail.text, "user-name") == "新科员"
    assert "厦门市思明区市场监督管理局" in detail.text
    with session_factory() as session:
        assert user(session, "newofficer").must_change_password


def test_bad_account_form_shows_the_reason_and_writes_nothing(
    client: TestClient, demo_city: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "admin")
    before = _counts(session_factory)
    response = post_form(
        client,
        "/workbench/users/new",
        {
            "role": "enterprise",
            "username": "newboss",
            "display_name": "新老板",
            "password": "Temporary2026",
            "uscc": "91350200MA31KH5N2X",
            "enterprise_name": "某公司",
        },
    )
    assert response.status_code == 422
    assert element_text(response.text, "error-uscc") == zh(
        "The check character should be {expected}, not {actual}.", expected="6", actual="X"
    )
    assert attributes(response.text, "field-username")[0]["value"] == "newboss"
    assert "Temporary2026" not in response.text  # a password is never sent back
    assert _counts(session_factory) == before


def test_admin_reset_makes_the_person_choose_a_password(
    client: TestClient, app: Any, demo_city: dict[str, Any]
) -> None:
    with TestClient(app) as officer:
        log_in(officer, "tax_officer")
        log_in(client, "admin")
        with app.state.session_factory() as session:
            target = user(session, "tax_officer").id
        assert (
            post_form(
                client, f"/workbench/users/{target}/password", {"password": "Temporary2026"}
            ).status_code
            == 303
        )
        # the person is logged out everywhere
        assert officer.get("/workbench", follow_redirects=False).headers["location"].startswith("/login")
        arrived = post_form(officer, "/login", {"username": "tax_officer", "password": "Temporary2026"})
        assert arrived.headers["location"] == "/account/password"
        page = officer.get("/account/password")
        assert element_text(page.text, "must-change") == zh(
            "Please choose your own password before you continue."
        )


def test_deactivated_account_is_logged_out_and_cannot_log_in(
    client: TestClient, app: Any, demo_city: dict[str, Any]
) -> None:
    with TestClient(app) as officer:
        log_in(officer, "tax_officer")
        log_in(client, "admin")
        with app.state.session_factory() as session:
            target = user(session, "tax_officer").id
        assert post_form(client, f"/workbench/users/{target}/active", {"active": "0"}).status_code == 303
        assert officer.get("/workbench", follow_redirects=False).headers["location"].startswith("/login")
        refused = post_form(officer, "/login", {"username": "tax_officer", "password": DEMO_PASSWORD})
        assert refused.status_code == 401
        assert element_text(refused.text, "login-error") == zh("This account is deactivated.")


# --- workbench: API tokens -------------------------------------------------------------------------------


def test_token_is_shown_once_and_revoked_through_forms(
    client: TestClient, demo_city: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "steward")
    issued = post_form(
        client,
        "/workbench/tokens",
        {
            "name": "市场监管业务系统",
            "org_id": demo_city["350200-SCJGJ"].id,
            "permissions": "org.read",
            "days": "90",
        },
    )
    assert issued.status_code == 200
    assert issued.headers["Cache-Control"] == "no-store"
    secret = element_text(issued.text, "token-secret")
    assert secret.startswith("tb_")
    assert client.get("/api/v1/orgs", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    listing = client.get("/workbench/tokens")
    assert secret not in listing.text
    prefix = attributes(listing.text, "token-row")[0]["data-prefix"]
    assert secret.startswith(f"tb_{prefix}_")
    with session_factory() as session:
        token_id = tokens.list_tokens(session, SYSTEM).items[0].id
    revoked = post_form(client, f"/workbench/tokens/{token_id}/revoke")
    assert revoked.status_code == 303
    listing = client.get("/workbench/tokens")
    assert not has(listing.text, f"token-revoke-{prefix}")
    assert zh("Revoked") in visible_text(listing.text)
    assert client.get("/api/v1/orgs", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_token_form_with_bad_input_writes_nothing(
    client: TestClient, demo_city: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "steward")
    before = _counts(session_factory)
    response = post_form(
        client, "/workbench/tokens", {"name": "", "org_id": demo_city["350200-SCJGJ"].id, "days": "9999"}
    )
    assert response.status_code == 422
    assert element_text(response.text, "error-name") == zh("A name is required.")
    assert element_text(response.text, "error-permissions") == zh("Choose at least one permission.")
    assert element_text(response.text, "error-days") == zh(
        "A token is valid for 1 to {limit} days.", limit=730
    )
    assert _counts(session_factory) == before


# --- workbench: audit --------------------------------------------------------------------------------------


def test_audit_page_verifies_the_chain(client: TestClient, engine: Engine, demo_city: dict[str, Any]) -> None:
    log_in(client, "admin")
    page = client.get("/workbench/audit")
    assert has(page.text, "audit-verify") and texts(page.text, "audit-row")
    checked = client.get("/workbench/audit?check=1")
    events = client.get("/api/v1/audit/verify").json()["checked"]
    assert element_text(checked.text, "chain-ok") == zh(
        "The chain is intact: {count} events checked.", count=events
    )
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET summary = '{}' WHERE seq = 3"))
    broken = client.get("/workbench/audit?check=1")
    message = element_text(broken.text, "chain-broken")
    assert message.startswith(zh("The chain is broken at event {seq}: {detail}", seq=3, detail=""))
    assert not has(broken.text, "chain-ok")


# --- portal ------------------------------------------------------------------------------------------------


def test_enterprise_home_shows_the_enterprise(client: TestClient, demo_city: dict[str, Any]) -> None:
    log_in(client, "enterprise")
    home = client.get("/portal")
    assert element_text(home.text, "portal-enterprise") == "厦门鹭江智能科技有限公司"
    assert has(home.text, "nav-colleagues")
    assert not has(home.text, "workbench-nav")


def test_colleagues_page_is_for_the_enterprise_administrator(
    client: TestClient, app: Any, demo_city: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "enterprise")
    page = client.get("/portal/colleagues")
    assert len(texts(page.text, "colleague-row")) == 2
    added = post_form(
        client,
        "/portal/colleagues",
        {"username": "cashier", "display_name": "出纳", "password": "Temporary2026"},
    )
    assert added.status_code == 303
    assert len(texts(client.get("/portal/colleagues").text, "colleague-row")) == 3
    with session_factory() as session:
        cashier = user(session, "cashier")
        assert cashier.uscc == user(session, "enterprise").uscc and not cashier.is_enterprise_admin
    with TestClient(app) as clerk:
        log_in(clerk, "enterprise2")
        assert clerk.get("/portal/colleagues").status_code == 403
        assert not has(clerk.get("/portal").text, "nav-colleagues")


def test_bad_colleague_form_shows_the_reason_in_chinese(
    client: TestClient, demo_city: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "enterprise")
    before = _counts(session_factory)
    response = post_form(
        client, "/portal/colleagues", {"username": "cashier", "display_name": "出纳", "password": "short"}
    )
    assert response.status_code == 422
    assert zh("A password has at least {limit} characters.", limit=10) in texts(
        response.text, "error-password"
    )
    assert attributes(response.text, "field-username")[0]["value"] == "cashier"
    assert _counts(session_factory) == before


def test_enterprise_users_cannot_use_the_workbench(client: TestClient, demo_city: dict[str, Any]) -> None:
    log_in(client, "enterprise")
    for path in (
        "/workbench",
        "/workbench/orgs",
        "/workbench/users",
        "/workbench/tokens",
        "/workbench/audit",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert attributes(response.text, "error-page")[0]["data-status"] == "403"


# --- my account --------------------------------------------------------------------------------------------


def test_profile_is_saved(client: TestClient, demo_city: dict[str, Any]) -> None:
    log_in(client, "citizen")
    saved = post_form(
        client, "/account", {"display_name": "王晓明", "email": "wang@example.cn", "phone": "13800000000"}
    )
    assert saved.headers["location"] == "/account?saved=1"
    page = client.get("/account?saved=1")
    assert element_text(page.text, "saved") == zh("Saved.")
    assert attributes(page.text, "field-display_name")[0]["value"] == "王晓明"
    assert element_text(page.text, "nav-account") == "王晓明"


def test_profile_without_a_name_is_refused(client: TestClient, demo_city: dict[str, Any]) -> None:
    log_in(client, "citizen")
    response = post_form(client, "/account", {"display_name": "  "})
    assert response.status_code == 422
    assert element_text(response.text, "error-display_name") == zh("A name is required.")


@pytest.mark.parametrize(
    ("form", "field", "msgid"),
    [
        (
            {
                "current_password": "wrong-password",
                "new_password": NEW_PASSWORD,
                "confirm_password": NEW_PASSWORD,
            },
            "current_password",
            "The current password is wrong.",
        ),
        (
            {
                "current_password": DEMO_PASSWORD,
                "new_password": NEW_PASSWORD,
                "confirm_password": "Other2027pass",
            },
            "confirm_password",
            "The two new passwords differ.",
        ),
        (
            {"current_password": DEMO_PASSWORD, "new_password": "short", "confirm_password": "short"},
            "new_password",
            "A password has at least {limit} characters.",
        ),
    ],
)
def test_password_change_mistakes_are_explained(
    client: TestClient, demo_city: dict[str, Any], form: dict[str, str], field: str, msgid: str
) -> None:
    log_in(client, "officer")
    response = post_form(client, "/account/password", form)
    assert response.status_code == 422
    assert zh(msgid, limit=10) in texts(response.text, f"error-{field}")
    assert DEMO_PASSWORD not in response.text


def test_password_change_keeps_this_session_and_ends_the_others(
    client: TestClient, app: Any, demo_city: dict[str, Any]
) -> None:
    with TestClient(app) as elsewhere:
        log_in(elsewhere, "officer")
        log_in(client, "officer")
        changed = post_form(
            client,
            "/account/password",
            {
                "current_password": DEMO_PASSWORD,
                "new_password": NEW_PASSWORD,
                "confirm_password": NEW_PASSWORD,
            },
        )
        assert changed.headers["location"] == "/account?saved=1"
        assert client.get("/workbench").status_code == 200
        assert elsewhere.get("/workbench", follow_redirects=False).headers["location"].startswith("/login")
    post_form(client, "/logout")
    assert post_form(client, "/login", {"username": "officer", "password": DEMO_PASSWORD}).status_code == 401
    log_in(client, "officer", NEW_PASSWORD)


def test_workbench_home_shows_the_officers_organisation(
    client: TestClient, demo_city: dict[str, Any]
) -> None:
    log_in(client, "officer")
    page = client.get("/workbench")
    assert element_text(page.text, "workbench-home") == zh("Workbench")
    assert element_text(page.text, "workbench-org") == "厦门市市场监督管理局"
    assert has(page.text, "nav-orgs") and not has(page.text, "nav-users") and not has(page.text, "nav-tokens")


def test_new_enterprise_gets_its_first_account_as_administrator_through_the_form(
    client: TestClient, demo_city: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "admin")
    response = post_form(
        client,
        "/workbench/users/new",
        {
            "role": "enterprise",
            "username": "newboss",
            "display_name": "新老板",
            "password": "Temporary2026",
            "uscc": valid_uscc(),
            "enterprise_name": "厦门新公司",
        },
    )
    assert response.status_code == 303
    with session_factory() as session:
        assert user(session, "newboss").is_enterprise_admin
