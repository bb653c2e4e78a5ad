"""The two hot data routes are answered by a short path; anything unusual falls through to the
full stack, which answers it as before — including a verification body the short path read."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session
from starlette.testclient import TestClient
from tests.support.records import (
    MARKET_CODE,
    USCC,
    Token,
    entries,
    grant,
    market_record,
    market_resource,
    token,
)

from tongban.exchange import access_fast

QUESTION = {"field": "营业收入", "op": ">=", "value": 10_000_000}


@pytest.fixture
def market(db: Session, demo_city: dict[str, Any]) -> Token:
    resource = market_resource(db)
    market_record(db, resource)
    grant(db, resource, ["统一社会信用代码", "年度", "企业名称", "营业收入"])
    return token(db)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Which calls the short path answered itself."""
    answered: list[str] = []
    original = access_fast._answer

    async def spy(request: Any, send: Any, call: Any) -> None:
        answered.append(request.url.path)
        await original(request, send, call)

    monkeypatch.setattr(access_fast, "_answer", spy)
    return answered


def test_hot_calls_are_answered_and_logged(
    client: TestClient, db: Session, market: Token, counted: list[str]
) -> None:
    read = client.get(f"/api/v1/data/{MARKET_CODE}/subjects/{USCC}", headers=market.headers)
    assert read.status_code == 200 and read.headers["x-request-id"]
    assert read.headers["x-content-type-options"] == "nosniff"
    verify = client.post(
        f"/api/v1/verify/{MARKET_CODE}", headers=market.headers, json={"subject": USCC, "question": QUESTION}
    )
    assert verify.status_code == 200 and verify.json()["answer"] == "yes"
    assert len(counted) == 2
    assert [e.outcome for e in entries(db)] == ["ok", "ok"]


def test_refusals_keep_their_problem_documents(client: TestClient, market: Token, counted: list[str]) -> None:
    missing = client.get(
        "/api/v1/data/350200-NONE-0001/subjects/" + USCC, headers={**market.headers, "accept-language": "en"}
    )
    assert missing.status_code in (403, 404)
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["request_id"] and counted


def test_unusual_calls_fall_through_to_the_full_stack(
    client: TestClient, market: Token, counted: list[str]
) -> None:
    bad_grant = client.get(
        f"/api/v1/data/{MARKET_CODE}/subjects/{USCC}", params={"grant_id": "abc"}, headers=market.headers
    )
    assert bad_grant.status_code == 422 and bad_grant.json()["code"] == "validation_failed"
    # The short path read this body, found it invalid and handed it on: the full stack still
    # sees the whole body and names the missing field.
    bad_body = client.post(
        f"/api/v1/verify/{MARKET_CODE}", headers=market.headers, json={"subject": USCC, "question": {"op": ">="}}
    )
    assert bad_body.status_code == 422
    assert any("question" in e["field"] for e in bad_body.json()["errors"])
    assert counted == []


def test_a_repeated_read_costs_one_statement(client: TestClient, db: Session, market: Token) -> None:
    """Once the token, grant and resource shape are cached, the generation and the records come
    in one statement (the refusal after a revocation is tested in test_access_api)."""
    engine = client.app.state.data_sessions.kw["bind"]  # type: ignore[attr-defined]
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    url = f"/api/v1/data/{MARKET_CODE}/subjects/{USCC}"
    first = client.get(url, headers=market.headers)
    event.listen(engine, "before_cursor_execute", count)
    try:
        again = client.get(url, headers=market.headers)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert again.json()["records"] == first.json()["records"] and again.json()["found"]
    assert len(statements) == 1
