"""After an administrator sets a password, the person must choose their own before doing anything."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient
from tests.support.web import api_headers, log_in, post_form

from tongban.demo.organisations import DEMO_PASSWORD
from tongban.kernel.accounts import service as accounts
from tongban.kernel.accounts.models import User
from tongban.kernel.permissions import Actor

TEMPORARY = "Temporary2026x"


def _reset(session_factory: sessionmaker[Session], username: str) -> None:
    with session_factory() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        accounts.reset_password(session, Actor.system("test"), user.id, TEMPORARY)
        session.commit()


def test_pages_and_api_wait_for_the_new_password(
    client: TestClient, demo_city: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    _reset(session_factory, "officer")
    login = post_form(client, "/login", {"username": "officer", "password": TEMPORARY})
    assert login.headers["location"] == "/account/password"
    # Typing another address does not get around it.
    page = client.get("/workbench/orgs", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/account/password"
    api = client.get("/api/v1/orgs")
    assert api.status_code == 403 and api.json()["code"] == "password_change_required"
    assert client.get("/account/password").status_code == 200
    changed = post_form(
        client, "/account/password",
        {"current_password": TEMPORARY, "new_password": "MyOwnPass2026", "confirm_password": "MyOwnPass2026"},
    )
    assert changed.status_code == 303
    assert client.get("/workbench/orgs").status_code == 200
    assert client.get("/api/v1/orgs", headers=api_headers(client)).status_code == 200


def test_others_are_not_affected(client: TestClient, demo_city: dict[str, Any]) -> None:
    log_in(client, "officer", DEMO_PASSWORD)
    assert client.get("/workbench/orgs").status_code == 200
