"""API tokens: shown once, stored hashed, scoped to a department, expiring and revocable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from tests.support.actors import SYSTEM, actor, dump_database, fields_of, last_event, org

from tongban.kernel.accounts import tokens
from tongban.kernel.clock import Clock
from tongban.kernel.errors import Conflict, NotAuthenticated, PermissionDenied, ValidationFailed
from tongban.kernel.orgs import service as orgs
from tongban.kernel.permissions import TOKEN_PERMISSIONS, Actor, Permission, require

MOMENT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _issue(db: Session, who: Actor, code: str = "350200-SCJGJ", **values: Any) -> tokens.IssuedToken:
    defaults: dict[str, Any] = {"name": "市场监管业务系统", "permissions": ["org.read"], "days": 30}
    issued = tokens.create_token(db, who, org_id=org(db, code).id, **(defaults | values))
    db.commit()
    return issued


def test_secret_is_shown_once_and_stored_only_as_a_hash(
    db: Session, engine: Engine, demo_city: dict[str, Any]
) -> None:
    issued = _issue(db, actor(db, "steward"))
    assert issued.secret.startswith(f"tb_{issued.token.prefix}_")
    assert len(issued.secret) > 40
    stored = dump_database(engine)
    assert issued.secret not in stored
    assert issued.secret.split("_", 2)[2] not in stored  # the random part
    assert issued.token.token_hash in stored  # what is kept is the digest
    event = last_event(db)
    assert event.action == "token.create" and issued.secret not in event.summary
    # nothing in the model gives the secret back
    assert issued.secret not in repr(issued.token.__dict__)


def test_token_acts_for_its_department_only(db: Session, demo_city: dict[str, Any]) -> None:
    issued = _issue(db, actor(db, "steward"))
    system = tokens.actor_for_token(db, issued.secret, "req-1")
    assert system is not None
    assert (system.kind, system.org_id, system.label) == (
        "token",
        org(db, "350200-SCJGJ").id,
        "市场监管业务系统",
    )
    assert system.permissions == frozenset({Permission.ORG_READ})
    require(system, Permission.ORG_READ, org_path=org(db, "350200-SCJGJ").path)
    with pytest.raises(PermissionDenied) as refused:
        require(system, Permission.ORG_READ, org_path=org(db, "350200-SWJ").path)
    assert refused.value.code == "outside_scope"
    with pytest.raises(PermissionDenied) as refused:
        orgs.rename(db, system, org(db, "350200-SCJGJ").id, "改名")
    assert refused.value.code == "permission_denied"
    assert orgs.read(db, system, org(db, "350200").id).code == "350200"
    db.commit()
    assert tokens.list_tokens(db, SYSTEM).items[0].last_used_at is not None


def test_only_token_permissions_can_be_granted(db: Session, demo_city: dict[str, Any]) -> None:
    steward = actor(db, "steward")
    for permissions in (["user.manage"], ["org.read", "token.manage"], ["anything"], []):
        with pytest.raises(ValidationFailed) as refused:
            _issue(db, steward, permissions=permissions)
        assert "permissions" in fields_of(refused.value)
        db.rollback()
    every = sorted(p.value for p in TOKEN_PERMISSIONS)
    assert _issue(db, steward, permissions=every).token.permissions == every


@pytest.mark.parametrize(
    ("values", "field"), [({"days": 0}, "days"), ({"days": 731}, "days"), ({"name": "  "}, "name")]
)
def test_bad_token_requests_are_refused(
    db: Session, demo_city: dict[str, Any], values: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _issue(db, actor(db, "admin"), **values)
    assert field in fields_of(refused.value)


def test_a_token_acts_for_a_department_not_a_region(db: Session, demo_city: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _issue(db, actor(db, "admin"), code="350200")
    assert "org_id" in fields_of(refused.value)


def test_token_expires(db: Session, demo_city: dict[str, Any], frozen_clock: Clock) -> None:
    frozen_clock.freeze(MOMENT)
    issued = _issue(db, actor(db, "steward"), days=1)
    frozen_clock.advance(timedelta(days=1) - timedelta(seconds=1))
    assert tokens.actor_for_token(db, issued.secret) is not None
    frozen_clock.advance(timedelta(seconds=1))
    assert tokens.actor_for_token(db, issued.secret) is None


def test_revoked_token_stops_working_at_once(
    session_factory: sessionmaker[Session], db: Session, demo_city: dict[str, Any]
) -> None:
    issued = _issue(db, actor(db, "steward"))
    keep = _issue(db, actor(db, "steward"), name="另一个系统")
    tokens.revoke_token(db, actor(db, "steward"), issued.token.id)
    db.commit()
    with session_factory() as other:
        assert tokens.actor_for_token(other, issued.secret) is None
        assert tokens.actor_for_token(other, keep.secret) is not None
    assert last_event(db).action == "token.revoke"
    with pytest.raises(Conflict):
        tokens.revoke_token(db, actor(db, "steward"), issued.token.id)


def test_token_of_a_deactivated_department_stops_working(db: Session, demo_city: dict[str, Any]) -> None:
    issued = _issue(db, actor(db, "admin"), code="350206-SCJGJ")
    orgs.set_active(db, actor(db, "admin"), org(db, "350206-SCJGJ").id, False)
    db.commit()
    assert tokens.actor_for_token(db, issued.secret) is None


def test_unknown_or_forged_tokens_are_refused(db: Session, demo_city: dict[str, Any]) -> None:
    issued = _issue(db, actor(db, "steward"))
    assert tokens.actor_for_token(db, "tb_00000000_nothing") is None
    assert tokens.actor_for_token(db, issued.secret + "x") is None
    assert tokens.actor_for_token(db, issued.token.token_hash) is None


def test_tokens_are_issued_and_revoked_within_scope(db: Session, demo_city: dict[str, Any]) -> None:
    steward = actor(db, "steward")
    with pytest.raises(PermissionDenied) as refused:
        _issue(db, steward, code="350200-SWJ")
    assert refused.value.code == "outside_scope"
    db.rollback()
    with pytest.raises(PermissionDenied) as refused:
        _issue(db, actor(db, "admin"), code="350100-SCJGJ")
    assert refused.value.code == "outside_scope"
    db.rollback()
    for someone in ("officer", "leader", "enterprise"):
        with pytest.raises(PermissionDenied) as refused:
            _issue(db, actor(db, someone))
        assert refused.value.code == "permission_denied"
        db.rollback()
    with pytest.raises(NotAuthenticated):
        _issue(db, Actor.anonymous())
    db.rollback()
    tax = _issue(db, actor(db, "admin"), code="350200-SWJ")
    fuzhou = _issue(db, actor(db, "fz_admin"), code="350100-SCJGJ")
    with pytest.raises(PermissionDenied) as refused:
        tokens.revoke_token(db, steward, tax.token.id)
    assert refused.value.code == "outside_scope"
    with pytest.raises(PermissionDenied) as refused:
        tokens.revoke_token(db, actor(db, "admin"), fuzhou.token.id)
    assert refused.value.code == "outside_scope"


def test_token_list_shows_the_tokens_in_scope(db: Session, demo_city: dict[str, Any]) -> None:
    mine = _issue(db, actor(db, "steward"))
    tax = _issue(db, actor(db, "admin"), code="350200-SWJ")
    fuzhou = _issue(db, actor(db, "fz_admin"), code="350100-SCJGJ")
    assert {t.id for t in tokens.list_tokens(db, actor(db, "steward")).items} == {mine.token.id}
    assert {t.id for t in tokens.list_tokens(db, actor(db, "admin")).items} == {mine.token.id, tax.token.id}
    assert {t.id for t in tokens.list_tokens(db, actor(db, "province_admin")).items} == {
        mine.token.id,
        tax.token.id,
        fuzhou.token.id,
    }
    with pytest.raises(PermissionDenied):
        tokens.list_tokens(db, actor(db, "officer"))
