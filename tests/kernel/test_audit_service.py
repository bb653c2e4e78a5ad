"""The audit chain at service level: every change leaves an event in its own transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from tests.support.actors import SYSTEM, actions, actor, dump_database, last_event, org, user, valid_ric

from tongban.demo.organisations import DEMO_PASSWORD
from tongban.kernel.accounts import service as accounts
from tongban.kernel.accounts import tokens
from tongban.kernel.audit import service as audit
from tongban.kernel.audit.domain import scrub
from tongban.kernel.audit.models import AuditEvent, AuditHead
from tongban.kernel.clock import Clock
from tongban.kernel.errors import NotAuthenticated, PermissionDenied
from tongban.kernel.orgs import service as orgs
from tongban.kernel.permissions import Actor, Role

MOMENT = datetime(2026, 11, 27, 1, 30, tzinfo=UTC)
POLICY = accounts.LoginPolicy()


def test_each_change_appends_one_event_describing_it(
    db: Session, demo_city: dict[str, Any], frozen_clock: Clock
) -> None:
    frozen_clock.freeze(MOMENT)
    admin = actor(db, "admin")
    start = len(actions(db))
    dept = orgs.create_department(
        db, admin, parent_id=org(db, "350200").id, code_suffix="WJW", name="厦门市卫生健康委员会"
    )
    orgs.rename(db, admin, dept.id, "厦门市卫健委")
    orgs.set_active(db, admin, dept.id, False)
    orgs.set_active(db, admin, dept.id, True)
    created = accounts.create_user(
        db,
        admin,
        username="nurse",
        display_name="护士",
        password="Temp2026pass",
        role=Role.OFFICER,
        org_id=dept.id,
    )
    accounts.reset_password(db, admin, created.id, "Temp2027pass")
    accounts.set_user_active(db, admin, created.id, False)
    issued = tokens.create_token(db, admin, org_id=dept.id, name="卫健系统", permissions=["org.read"])
    tokens.revoke_token(db, admin, issued.token.id)
    db.commit()
    assert actions(db)[start:] == [
        "org.create",
        "org.rename",
        "org.deactivate",
        "org.activate",
        "user.create",
        "user.password_reset",
        "user.deactivate",
        "token.create",
        "token.revoke",
    ]
    event = last_event(db)
    assert event.actor_kind == "user" and event.actor_id == admin.id and event.actor_label == "admin"
    assert (
        event.org_id == dept.id
        and event.object_type == "api_token"
        and event.object_id == str(issued.token.id)
    )
    assert event.occurred_at == MOMENT
    assert event.request_id == "req-admin"
    rename = db.scalar(select(AuditEvent).where(AuditEvent.action == "org.rename"))
    assert rename is not None
    assert json.loads(rename.summary) == {"from": "厦门市卫生健康委员会", "to": "厦门市卫健委"}
    assert audit.verify(db, admin).intact


def test_rolled_back_change_leaves_no_event(
    session_factory: sessionmaker[Session], demo_city: dict[str, Any]
) -> None:
    with session_factory() as session:
        before = actions(session)
        head = session.get(AuditHead, 1)
        assert head is not None
        head_before = (head.seq, head.hash)
    with session_factory() as session:
        orgs.create_department(
            session, SYSTEM, parent_id=org(session, "350200").id, code_suffix="WJW", name="卫健委"
        )
        assert actions(session)[-1] == "org.create"  # flushed inside the transaction
        session.rollback()
    with session_factory() as session:
        assert actions(session) == before
        head = session.get(AuditHead, 1)
        assert head is not None and (head.seq, head.hash) == head_before
        # the chain carries on without a gap
        orgs.create_department(
            session, SYSTEM, parent_id=org(session, "350200").id, code_suffix="WJW", name="卫健委"
        )
        session.commit()
        assert last_event(session).seq == head_before[0] + 1
        assert audit.verify(session, SYSTEM).intact


def test_a_refused_change_leaves_no_event(db: Session, demo_city: dict[str, Any]) -> None:
    before = actions(db)
    with pytest.raises(PermissionDenied):
        orgs.rename(db, actor(db, "admin"), org(db, "350100").id, "改名")
    db.rollback()
    assert actions(db) == before


def test_no_secrets_or_resident_ids_reach_the_log(
    db: Session, engine: Engine, demo_city: dict[str, Any]
) -> None:
    admin = actor(db, "admin")
    ric = valid_ric()
    accounts.create_user(
        db,
        admin,
        username="zhaoliu",
        display_name="赵六",
        password="Secret2026zhao",
        role=Role.CITIZEN,
        ric=ric,
    )
    issued = tokens.create_token(
        db, admin, org_id=org(db, "350200-SCJGJ").id, name="系统", permissions=["org.read"]
    )
    accounts.reset_password(db, admin, user(db, "officer").id, "Reset2026temp")
    db.commit()
    accounts.authenticate(db, "zhaoliu", "Wrong2026guess", POLICY)
    session_token = accounts.authenticate(db, "zhaoliu", "Secret2026zhao", POLICY).session_token
    accounts.change_password(db, actor(db, "zhaoliu"), current="Secret2026zhao", new="Newer2026zhao")
    db.commit()
    assert session_token
    summaries = "\n".join(db.scalars(select(AuditEvent.summary)))
    whole_log = "\n".join(
        " ".join(str(v) for v in (e.actor_label, e.object_id, e.summary, e.request_id))
        for e in db.scalars(select(AuditEvent))
    )
    for secret in (
        ric,
        user(db, "citizen").ric,
        "Secret2026zhao",
        "Wrong2026guess",
        "Newer2026zhao",
        "Reset2026temp",
        DEMO_PASSWORD,
        issued.secret,
        issued.token.token_hash,
        session_token,
    ):
        assert secret
        assert secret not in whole_log, secret
    assert "password" not in summaries.replace('"reason":"wrong_password"', "")
    # session tokens are kept as digests only
    assert session_token not in dump_database(engine)


def test_scrub_masks_sensitive_keys_at_any_depth() -> None:
    cleaned = scrub(
        {"name": "系统", "token": "tb_x", "nested": {"ric": "350203199001011234", "password": "p"}}
    )
    assert cleaned == {"name": "系统", "token": "***", "nested": {"ric": "***", "password": "***"}}


def test_events_are_listed_newest_first_within_scope(db: Session, demo_city: dict[str, Any]) -> None:
    orgs.rename(db, actor(db, "admin"), org(db, "350200-TJJ").id, "厦门市统计局（新）")
    orgs.rename(db, actor(db, "fz_admin"), org(db, "350100-SCJGJ").id, "福州市市场监管局（新）")
    db.commit()
    renamed_by = {
        who: [e.org_id for e in audit.list_events(db, actor(db, who), action="org.rename").items]
        for who in ("admin", "fz_admin", "province_admin", "leader")
    }
    xiamen, fuzhou = org(db, "350200-TJJ").id, org(db, "350100-SCJGJ").id
    assert renamed_by == {
        "admin": [xiamen],
        "fz_admin": [fuzhou],
        "province_admin": [fuzhou, xiamen],
        "leader": [xiamen],
    }
    page = audit.list_events(db, SYSTEM, page_size=5)
    assert [e.seq for e in page.items] == sorted((e.seq for e in page.items), reverse=True)
    assert page.total == len(actions(db))
    since = audit.list_events(db, SYSTEM, since=datetime.now(UTC) + timedelta(days=1))
    assert since.total == 0


@pytest.mark.parametrize("username", ["officer", "steward", "fz_officer", "enterprise", "citizen"])
def test_only_administrators_and_leaders_read_the_log(
    db: Session, demo_city: dict[str, Any], username: str
) -> None:
    with pytest.raises(PermissionDenied):
        audit.list_events(db, actor(db, username))
    with pytest.raises(PermissionDenied):
        audit.verify(db, actor(db, username))


def test_anonymous_cannot_read_the_log(db: Session, demo_city: dict[str, Any]) -> None:
    with pytest.raises(NotAuthenticated):
        audit.verify(db, Actor.anonymous())
