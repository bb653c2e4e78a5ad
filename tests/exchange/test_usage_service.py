"""Who used my data, the auditors' remits and filters, and the unusual-volume flag."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.testclient import TestClient
from tests.support.actors import actor, org, user, valid_uscc
from tests.support.records import (
    CONSUMER,
    OTHER_CONSUMER,
    PROVIDER,
    RIC,
    USCC,
    market_resource,
    token,
)
from tests.support.web import log_in

from tongban.exchange import access_log, usage
from tongban.exchange.access_log import AccessDraft
from tongban.exchange.models import AccessKind
from tongban.kernel.accounts import tokens
from tongban.kernel.clock import Clock
from tongban.kernel.errors import PermissionDenied

MOMENT = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)  # 12:00 in 厦门


def _log(engine: Engine, db: Session, consumer: str, subjects: list[str], **extra: Any) -> None:
    values: dict[str, Any] = {
        "kind": AccessKind.READ,
        "outcome": "ok",
        "actor_kind": "token",
        "actor_label": f"{consumer} 系统",
        "consumer_org_id": org(db, consumer).id,
        "provider_org_id": org(db, PROVIDER).id,
        "purpose": "纳税信用评价",
        "fields": ("企业名称",),
        "subjects": tuple(subjects),
    }
    access_log.append_committed(engine, [AccessDraft(**(values | extra))])
    db.commit()  # end the session's read snapshot, so that it sees the entry


def test_people_see_only_the_accesses_that_concern_them(
    db: Session, engine: Engine, demo_city: dict[str, Any]
) -> None:
    own = user(db, "enterprise").uscc or ""
    citizen = user(db, "citizen").ric or ""
    _log(engine, db, CONSUMER, [own, USCC])
    _log(engine, db, CONSUMER, [USCC])
    _log(engine, db, OTHER_CONSUMER, [citizen], purpose="就业补贴审核")
    _log(engine, db, CONSUMER, [own], outcome="grant_revoked")
    for who in ("enterprise", "enterprise2"):  # colleagues of one enterprise
        seen = usage.my_usage(db, actor(db, who))
        assert [e.outcome for e in seen.items] == ["grant_revoked", "ok"]
    mine = usage.my_usage(db, actor(db, "citizen"))
    assert [e.purpose for e in mine.items] == ["就业补贴审核"]
    with pytest.raises(PermissionDenied):
        usage.my_usage(db, actor(db, "officer"))


def test_the_portal_page_shows_department_purpose_fields_and_time(
    client: TestClient, db: Session, engine: Engine, demo_city: dict[str, Any]
) -> None:
    _log(
        engine,
        db,
        OTHER_CONSUMER,
        [user(db, "citizen").ric or ""],
        purpose="就业补贴审核",
        fields=("姓名", "就业状态"),
    )
    log_in(client, "citizen")
    page = client.get("/portal/usage")
    assert page.status_code == 200
    assert (
        "厦门市人力资源和社会保障局" in page.text
        and "就业补贴审核" in page.text
        and "姓名、就业状态" in page.text
    )
    assert 'data-testid="nav-usage"' in page.text
    assert RIC not in page.text


def test_auditors_see_what_is_within_their_remit(
    db: Session, engine: Engine, demo_city: dict[str, Any]
) -> None:
    _log(engine, db, CONSUMER, [USCC])  # 税务局 reads 市场监管局's resource
    _log(engine, db, OTHER_CONSUMER, [USCC], provider_org_id=org(db, OTHER_CONSUMER).id)  # 人社局 its own
    _log(engine, db, "350100-SCJGJ", [USCC], provider_org_id=org(db, "350100-SCJGJ").id)  # 福州
    counts = {
        who: usage.list_entries(db, actor(db, who)).total
        for who in ("admin", "leader", "steward", "fz_admin", "province_admin")
    }
    assert counts == {"admin": 2, "leader": 2, "steward": 1, "fz_admin": 1, "province_admin": 3}
    tax_system = tokens.actor_for_token(db, token(db, CONSUMER).secret)
    assert tax_system is not None
    assert usage.list_entries(db, tax_system).total == 1
    with pytest.raises(PermissionDenied):
        usage.list_entries(db, actor(db, "officer"))


def test_filters_by_consumer_resource_purpose_period_and_outcome(
    db: Session, engine: Engine, demo_city: dict[str, Any], frozen_clock: Clock
) -> None:
    frozen_clock.freeze(MOMENT)
    resource = market_resource(db)
    db.commit()
    _log(engine, db, CONSUMER, [USCC], occurred_at=MOMENT - timedelta(days=3), resource_id=resource.id)
    _log(engine, db, CONSUMER, [USCC], outcome="no_grant", occurred_at=MOMENT)
    _log(engine, db, OTHER_CONSUMER, [USCC], purpose="就业补贴审核", occurred_at=MOMENT)
    admin = actor(db, "admin")

    def count(**filters: Any) -> int:
        return usage.list_entries(db, admin, usage.LogFilter(**filters)).total

    assert count(consumer_org_id=org(db, CONSUMER).id) == 2
    assert count(resource_id=resource.id) == 1
    assert count(purpose="就业") == 1
    assert count(since=date(2026, 11, 27)) == 2 and count(until=date(2026, 11, 26)) == 1
    assert count(outcome="refused") == 1 and count(outcome="ok") == 2 and count(outcome="no_grant") == 1


@pytest.mark.parametrize(
    ("history", "today", "flagged"),
    [(10, 150, True), (10, 90, False), (60, 150, False), (0, 101, True)],
)
def test_a_consumer_reading_far_more_subjects_than_usual_is_flagged(
    db: Session,
    engine: Engine,
    demo_city: dict[str, Any],
    frozen_clock: Clock,
    history: int,
    today: int,
    flagged: bool,
) -> None:
    frozen_clock.freeze(MOMENT)
    people = [valid_uscc(f"91350200MA{n:07d}") for n in range(today + history)]
    for back in range(1, 15):
        if history:
            _log(engine, db, CONSUMER, people[:history], occurred_at=MOMENT - timedelta(days=back))
    _log(engine, db, CONSUMER, people[:today], occurred_at=MOMENT)
    _log(engine, db, OTHER_CONSUMER, people[:5], occurred_at=MOMENT)
    flags = usage.unusual_volume(db, actor(db, "admin"))
    if flagged:
        [flag] = flags
        assert (flag.consumer_org_id, flag.subjects, flag.median) == (org(db, CONSUMER).id, today, history)
    else:
        assert flags == []


def test_the_auditor_page_shows_flags_and_exports(
    client: TestClient, db: Session, engine: Engine, demo_city: dict[str, Any]
) -> None:
    people = [valid_uscc(f"91350200MA{n:07d}") for n in range(120)]
    _log(engine, db, CONSUMER, people)
    log_in(client, "admin")
    page = client.get("/workbench/access-log")
    assert page.status_code == 200 and 'data-testid="unusual-row"' in page.text
    assert "国家税务总局厦门市税务局" in page.text
    export = client.get("/workbench/access-log.xlsx")
    assert export.status_code == 200 and export.content.startswith(b"PK")
