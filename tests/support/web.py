"""Helpers to act as a person in the web client: log in, submit forms with the CSRF token."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tongban.demo.organisations import DEMO_PASSWORD


def csrf_token(client: TestClient) -> str:
    """Visit a page so the CSRF cookie is set, and read the token the forms carry."""
    response = client.get("/login")
    marker = 'name="csrf_token" value="'
    start = response.text.index(marker) + len(marker)
    return response.text[start : response.text.index('"', start)]


def post_form(client: TestClient, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    payload = dict(data or {})
    payload["csrf_token"] = csrf_token(client)
    return client.post(url, data=payload, follow_redirects=False, **kwargs)


def log_in(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> Any:
    response = post_form(client, "/login", {"username": username, "password": password})
    assert response.status_code == 303, response.text[:500]
    return response


def api_headers(client: TestClient) -> dict[str, str]:
    """Headers for a cookie-authenticated JSON call from the browser (CSRF header)."""
    return {"X-CSRF-Token": csrf_token(client)}
