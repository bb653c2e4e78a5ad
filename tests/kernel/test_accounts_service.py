"""Accounts: creation and identifiers, enterprise administrators, log-in, lock-out, sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.support.actors import (
    SYSTEM,
    actions,
    actor,
    fields_of,
    last_event,
    org,
    user,
    valid_ric,
    valid_uscc,
)

from tongban.demo.organisations import DEMO_PASSWORD
from tongban.kernel.accounts import service as accounts
from tongban.kernel.accounts.models import User
from tongban.kernel.accounts.service import LoginPolicy
from tongban.kernel.clock import Clock
from tongban.kernel.errors import Conflict, NotAuthenticated, PermissionDenied, ValidationFailed
from tongban.kernel.orgs import service as orgs
from tongban.kernel.permissions import Actor, Permission, Role

NEW_PASSWORD = "Xiamen2027river"
POLICY = LoginPolicy(max_failures=3, lockout=timedelta(minutes=15), session_lifetime=timedelta(hours=8))
MOMENT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _create(db: Session, who: Actor, **values: Any) -> User:
    defaults: dict[str, Any] = {"display_name": "张三", "password": "Temp2026pass"}
    return accounts.create_user(db, who, **(defaults | values))


def _log_in(db: Session, username: str, password: str = DEMO_PASSWORD) -> accounts.LoginOutcome:
    outcome = accounts.authenticate(db, username, password, POLICY, "req")
    db.commit()
    return outcome


# --- creation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"role": Role.ENTERPRISE, "uscc": "91350200MA31KH5N2X", "enterprise_name": "某公司"}, "uscc"),
        ({"role": Role.ENTERPRISE, "uscc": "9135020", "enterprise_name": "某公司"}, "uscc"),
        ({"role": Role.ENTERPRISE, "uscc": "91350200MA31KH5NIO", "enterprise_name": "某公司"}, "uscc"),
        ({"role": Role.ENTERPRISE, "enterprise_name": "某公司"}, "uscc"),
        ({"role": Role.CITIZEN, "ric": "350203199001011230"}, "ric"),
        ({"role": Role.CITIZEN, "ric": "350203199002301234"}, "ric"),
        ({"role": Role.CITIZEN}, "ric"),
        ({"role": Role.OFFICER}, "org_id"),
    ],
)
def test_identifiers_are_checked_and_nothing_is_written(
    db: Session, demo_city: dict[str, Any], values: dict[str, Any], field: str
) -> None:
    before = (db.scalar(select(func.count()).select_from(User)), actions(db))
    with pytest.raises(ValidationFailed) as refused:
        _create(db, SYSTEM, username="newcomer", **values)
    assert field in fields_of(refused.value)
    db.rollback()
    assert (db.scalar(select(func.count()).select_from(User)), actions(db)) == before


def test_officer_belongs_to_a_department_not_a_region(db: Session, demo_city: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _create(db, SYSTEM, username="newcomer", role=Role.OFFICER, org_id=org(db, "350200").id)
    assert "org_id" in fields_of(refused.value)


def test_weak_password_and_bad_user_name_are_refused(db: Session, demo_city: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _create(
            db,
            SYSTEM,
            username="newcomer",
            password="short",
            role=Role.OFFICER,
            org_id=org(db, "350200-SCJGJ").id,
        )
    assert "password" in fields_of(refused.value)
    with pytest.raises(ValidationFailed) as refused:
        _create(
            db,
            SYSTEM,
            username="newcomer",
            password="newcomer2026",
            role=Role.OFFICER,
            org_id=org(db, "350200-SCJGJ").id,
        )
    assert "password" in fields_of(refused.value)
    with pytest.raises(ValidationFailed) as refused:
        _create(db, SYSTEM, username="新人", role=Role.OFFICER, org_id=org(db, "350200-SCJGJ").id)
    assert "username" in fields_of(refused.value)


def test_user_names_and_resident_ids_are_unique(db: Session, demo_city: dict[str, Any]) -> None:
    with pytest.raises(Conflict) as refused:
        _create(db, SYSTEM, username="OFFICER", role=Role.OFFICER, org_id=org(db, "350200-SCJGJ").id)
    assert refused.value.code == "username_taken"
    db.rollback()
    with pytest.raises(Conflict) as refused:
        _create(db, SYSTEM, username="twin", role=Role.CITIZEN, ric=user(db, "citizen").ric)
    assert refused.value.code == "ric_taken"


def test_citizen_is_bound_to_a_valid_resident_id(db: Session, demo_city: dict[str, Any]) -> None:
    ric = valid_ric()
    created = _create(db, actor(db, "admin"), username="lihua", role=Role.CITIZEN, ric=ric.lower())
    db.commit()
    assert created.ric == ric
    assert created.org_id is None and created.uscc is None


def test_first_account_of_an_enterprise_becomes_its_administrator(
    db: Session, demo_city: dict[str, Any]
) -> None:
    uscc = valid_uscc()
    first = _create(
        db,
        actor(db, "admin"),
        username="boss",
        role=Role.ENTERPRISE,
        uscc=uscc,
        enterprise_name="厦门测试有限公司",
    )
    second = _create(
        db,
        actor(db, "admin"),
        username="clerk",
        role=Role.ENTERPRISE,
        uscc=uscc,
        enterprise_name="厦门测试有限公司",
    )
    db.commit()
    assert first.is_enterprise_admin and not second.is_enterprise_admin
    assert user(db, "enterprise").is_enterprise_admin and not user(db, "enterprise2").is_enterprise_admin
    assert Permission.ENTERPRISE_USERS_MANAGE in actor(db, "boss").permissions
    assert Permission.ENTERPRISE_USERS_MANAGE not in actor(db, "clerk").permissions


def test_enterprise_administrator_adds_colleagues_of_their_own_enterprise_only(
    db: Session, demo_city: dict[str, Any]
) -> None:
    boss = actor(db, "enterprise")
    mine = user(db, "enterprise").uscc
    colleague = _create(
        db,
        boss,
        username="cashier",
        role=Role.ENTERPRISE,
        uscc=mine,
        enterprise_name="厦门鹭江智能科技有限公司",
    )
    db.commit()
    assert colleague.uscc == mine and not colleague.is_enterprise_admin
    with pytest.raises(PermissionDenied) as refused:
        _create(db, boss, username="spy", role=Role.ENTERPRISE, uscc=valid_uscc(), enterprise_name="别家公司")
    assert refused.value.code == "other_enterprise"
    for role, extra in (
        (Role.CITIZEN, {"ric": valid_ric()}),
        (Role.OFFICER, {"org_id": org(db, "350200-SCJGJ").id}),
    ):
        with pytest.raises(PermissionDenied):
            _create(db, boss, username="notmine", role=role, **extra)


@pytest.mark.parametrize("username", ["enterprise2", "citizen", "officer", "leader"])
def test_only_an_enterprise_administrator_or_platform_admin_adds_enterprise_accounts(
    db: Session, demo_city: dict[str, Any], username: str
) -> None:
    with pytest.raises(PermissionDenied):
        _create(
            db,
            actor(db, username),
            username="cashier",
            role=Role.ENTERPRISE,
            uscc=user(db, "enterprise").uscc,
            enterprise_name="厦门鹭江智能科技有限公司",
        )


def test_enterprise_administrator_role_is_handed_over(db: Session, demo_city: dict[str, Any]) -> None:
    accounts.transfer_enterprise_admin(db, actor(db, "enterprise"), user(db, "enterprise2").id)
    db.commit()
    assert user(db, "enterprise2").is_enterprise_admin and not user(db, "enterprise").is_enterprise_admin
    admins = db.scalar(
        select(func.count())
        .select_from(User)
        .where(User.uscc == user(db, "enterprise").uscc, User.is_enterprise_admin)
    )
    assert admins == 1
    assert last_event(db).action == "enterprise.admin_transfer"
    # the former administrator can no longer add colleagues; the new one can
    with pytest.raises(PermissionDenied):
        _create(
            db,
            actor(db, "enterprise"),
            username="cashier",
            role=Role.ENTERPRISE,
            uscc=user(db, "enterprise").uscc,
            enterprise_name="x",
        )
    _create(
        db,
        actor(db, "enterprise2"),
        username="cashier",
        role=Role.ENTERPRISE,
        uscc=user(db, "enterprise").uscc,
        enterprise_name="x",
    )


def test_administrator_role_goes_only_to_an_active_colleague(db: Session, demo_city: dict[str, Any]) -> None:
    other = _create(
        db, SYSTEM, username="otherboss", role=Role.ENTERPRISE, uscc=valid_uscc(), enterprise_name="别家公司"
    )
    db.commit()
    with pytest.raises(PermissionDenied) as refused:
        accounts.transfer_enterprise_admin(db, actor(db, "enterprise"), other.id)
    assert refused.value.code == "other_enterprise"
    db.rollback()
    with pytest.raises(PermissionDenied):
        accounts.transfer_enterprise_admin(db, actor(db, "enterprise2"), user(db, "enterprise").id)
    db.rollback()
    accounts.set_user_active(db, actor(db, "enterprise"), user(db, "enterprise2").id, False)
    db.commit()
    with pytest.raises(Conflict):
        accounts.transfer_enterprise_admin(db, actor(db, "enterprise"), user(db, "enterprise2").id)
    db.rollback()
    assert user(db, "enterprise").is_enterprise_admin


def test_staff_accounts_are_created_within_scope(db: Session, demo_city: dict[str, Any]) -> None:
    admin = actor(db, "admin")
    created = _create(db, admin, username="newofficer", role=Role.OFFICER, org_id=org(db, "350203-SCJGJ").id)
    assert created.org_id == org(db, "350203-SCJGJ").id
    with pytest.raises(PermissionDenied) as refused:
        _create(db, admin, username="fzofficer2", role=Role.OFFICER, org_id=org(db, "350100-SCJGJ").id)
    assert refused.value.code == "outside_scope"
    for someone in ("officer", "steward", "leader"):
        with pytest.raises(PermissionDenied) as refused:
            _create(
                db,
                actor(db, someone),
                username="x" + someone,
                role=Role.OFFICER,
                org_id=org(db, "350200-SCJGJ").id,
            )
        assert refused.value.code == "permission_denied"


def test_no_account_in_a_deactivated_organisation(db: Session, demo_city: dict[str, Any]) -> None:
    orgs.set_active(db, SYSTEM, org(db, "350206-SCJGJ").id, False)
    with pytest.raises(Conflict):
        _create(db, SYSTEM, username="late", role=Role.OFFICER, org_id=org(db, "350206-SCJGJ").id)


# --- log-in and lock-out ----------------------------------------------------------------------


def test_log_in_opens_a_session(db: Session, demo_city: dict[str, Any], frozen_clock: Clock) -> None:
    frozen_clock.freeze(MOMENT)
    outcome = _log_in(db, " Officer ")
    assert outcome.error is None and outcome.session_token
    assert accounts.user_for_session(db, outcome.session_token).username == "officer"  # type: ignore[union-attr]
    assert user(db, "officer").last_login_at == MOMENT
    assert last_event(db).action == "account.login"


def test_wrong_passwords_count_and_lock_the_account(
    db: Session, demo_city: dict[str, Any], frozen_clock: Clock
) -> None:
    frozen_clock.freeze(MOMENT)
    first = _log_in(db, "officer", "wrong-password")
    assert first.error is not None and first.error.code == "login_failed" and first.session_token is None
    assert user(db, "officer").failed_logins == 1
    _log_in(db, "officer", "wrong-password")
    third = _log_in(db, "officer", "wrong-password")
    assert third.error is not None and third.error.code == "account_locked"
    # while locked even the right password is refused
    frozen_clock.advance(timedelta(minutes=14))
    locked = _log_in(db, "officer")
    assert locked.error is not None and locked.error.code == "account_locked" and locked.session_token is None
    # once the lock-out has passed, the right password works and the count starts again
    frozen_clock.advance(timedelta(minutes=2))
    unlocked = _log_in(db, "officer")
    assert unlocked.error is None and unlocked.session_token
    assert user(db, "officer").failed_logins == 0 and user(db, "officer").locked_until is None
    assert "account.locked" in actions(db)


def test_a_successful_log_in_resets_the_failure_count(db: Session, demo_city: dict[str, Any]) -> None:
    _log_in(db, "officer", "wrong-password")
    _log_in(db, "officer", "wrong-password")
    assert _log_in(db, "officer").error is None
    _log_in(db, "officer", "wrong-password")
    _log_in(db, "officer", "wrong-password")
    assert _log_in(db, "officer").error is None


def test_unknown_user_and_wrong_password_look_the_same(db: Session, demo_city: dict[str, Any]) -> None:
    unknown = _log_in(db, "nobody", DEMO_PASSWORD)
    wrong = _log_in(db, "officer", "wrong-password")
    assert unknown.error is not None and wrong.error is not None
    assert (unknown.error.code, unknown.error.message) == (wrong.error.code, wrong.error.message)


def test_deactivated_account_cannot_log_in_and_loses_its_sessions(
    db: Session, demo_city: dict[str, Any]
) -> None:
    session_token = _log_in(db, "tax_officer").session_token
    assert session_token
    accounts.set_user_active(db, actor(db, "admin"), user(db, "tax_officer").id, False)
    db.commit()
    assert accounts.user_for_session(db, session_token) is None
    refused = _log_in(db, "tax_officer")
    assert (
        refused.error is not None
        and refused.error.code == "account_inactive"
        and refused.session_token is None
    )
    # the reason is told only to someone who knows the password
    assert _log_in(db, "tax_officer", "wrong-password").error.code == "login_failed"  # type: ignore[union-attr]


def test_account_of_a_deactivated_organisation_cannot_log_in(db: Session, demo_city: dict[str, Any]) -> None:
    session_token = _log_in(db, "fz_officer").session_token
    assert session_token
    orgs.set_active(db, actor(db, "fz_admin"), org(db, "350100-SCJGJ").id, False)
    db.commit()
    assert accounts.user_for_session(db, session_token) is None
    refused = _log_in(db, "fz_officer")
    assert refused.error is not None and refused.error.code == "account_inactive"
    orgs.set_active(db, actor(db, "fz_admin"), org(db, "350100-SCJGJ").id, True)
    db.commit()
    assert _log_in(db, "fz_officer").error is None


def test_log_out_ends_the_session(db: Session, demo_city: dict[str, Any]) -> None:
    token = _log_in(db, "officer").session_token
    other = _log_in(db, "officer").session_token
    assert token and other
    accounts.log_out(db, actor(db, "officer"), token)
    db.commit()
    assert accounts.user_for_session(db, token) is None
    assert accounts.user_for_session(db, other) is not None
    assert last_event(db).action == "account.logout"


def test_session_ends_after_its_lifetime(db: Session, demo_city: dict[str, Any], frozen_clock: Clock) -> None:
    frozen_clock.freeze(MOMENT)
    token = _log_in(db, "officer").session_token
    assert token
    frozen_clock.advance(POLICY.session_lifetime - timedelta(seconds=1))
    assert accounts.user_for_session(db, token) is not None
    frozen_clock.advance(timedelta(seconds=1))
    assert accounts.user_for_session(db, token) is None


def test_password_change_ends_every_other_session(db: Session, demo_city: dict[str, Any]) -> None:
    here = _log_in(db, "officer").session_token
    elsewhere = _log_in(db, "officer").session_token
    assert here and elsewhere
    accounts.change_password(
        db, actor(db, "officer"), current=DEMO_PASSWORD, new=NEW_PASSWORD, keep_session=here
    )
    db.commit()
    assert accounts.user_for_session(db, here) is not None
    assert accounts.user_for_session(db, elsewhere) is None
    assert _log_in(db, "officer", DEMO_PASSWORD).error is not None
    assert _log_in(db, "officer", NEW_PASSWORD).error is None


def test_password_change_checks_the_current_and_new_password(db: Session, demo_city: dict[str, Any]) -> None:
    officer = actor(db, "officer")
    cases = [
        (("wrong-password", NEW_PASSWORD), "current_password"),
        ((DEMO_PASSWORD, DEMO_PASSWORD), "new_password"),
        ((DEMO_PASSWORD, "short1"), "new_password"),
        ((DEMO_PASSWORD, "officer12345"), "new_password"),
    ]
    for (current, new), field in cases:
        with pytest.raises(ValidationFailed) as refused:
            accounts.change_password(db, officer, current=current, new=new)
        assert field in fields_of(refused.value)
        db.rollback()
    assert _log_in(db, "officer").error is None


def test_admin_reset_forces_a_new_password(db: Session, demo_city: dict[str, Any]) -> None:
    old_session = _log_in(db, "tax_officer").session_token
    assert old_session
    for _ in range(2):
        _log_in(db, "tax_officer", "wrong-password")
    accounts.reset_password(db, actor(db, "admin"), user(db, "tax_officer").id, "Temporary2026")
    db.commit()
    assert accounts.user_for_session(db, old_session) is None
    assert user(db, "tax_officer").failed_logins == 0
    outcome = _log_in(db, "tax_officer", "Temporary2026")
    assert outcome.user is not None and outcome.user.must_change_password
    accounts.change_password(db, actor(db, "tax_officer"), current="Temporary2026", new=NEW_PASSWORD)
    db.commit()
    assert not user(db, "tax_officer").must_change_password


def test_reset_and_deactivation_respect_scope(db: Session, demo_city: dict[str, Any]) -> None:
    admin = actor(db, "admin")
    for action in (
        lambda: accounts.reset_password(db, admin, user(db, "fz_officer").id, "Temporary2026"),
        lambda: accounts.set_user_active(db, admin, user(db, "fz_officer").id, False),
    ):
        with pytest.raises(PermissionDenied) as refused:
            action()
        assert refused.value.code == "outside_scope"
    with pytest.raises(PermissionDenied):
        accounts.reset_password(db, actor(db, "leader"), user(db, "officer").id, "Temporary2026")
    with pytest.raises(Conflict) as conflict:
        accounts.set_user_active(db, admin, admin.id or 0, False)
    assert conflict.value.code == "self_deactivate"


# --- reading accounts -------------------------------------------------------------------------


def _usernames(db: Session, who: Actor) -> set[str]:
    return {u.username for u in accounts.list_users(db, who, page_size=200).items}


def test_who_sees_which_accounts(db: Session, demo_city: dict[str, Any]) -> None:
    xiamen_staff = {"admin", "officer", "steward", "tax_officer", "leader", "policy_officer", "policy_reviewer"}
    public = {"enterprise", "enterprise2", "citizen"}
    assert _usernames(db, actor(db, "admin")) == xiamen_staff | public
    assert _usernames(db, actor(db, "leader")) == xiamen_staff
    assert _usernames(db, actor(db, "fz_admin")) == {"fz_admin", "fz_officer"} | public
    assert _usernames(db, actor(db, "province_admin")) >= xiamen_staff | {"province_admin", "fz_officer"}
    assert _usernames(db, actor(db, "enterprise")) == {"enterprise", "enterprise2"}
    for someone in ("enterprise2", "citizen", "officer", "steward"):
        with pytest.raises(PermissionDenied):
            accounts.list_users(db, actor(db, someone))
    with pytest.raises(NotAuthenticated):
        accounts.list_users(db, Actor.anonymous())


def test_reading_an_account_outside_scope_is_refused(db: Session, demo_city: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied) as refused:
        accounts.get_visible_user(db, actor(db, "admin"), user(db, "fz_officer").id)
    assert refused.value.code == "outside_scope"
    assert (
        accounts.get_visible_user(db, actor(db, "province_admin"), user(db, "fz_officer").id).username
        == "fz_officer"
    )
    with pytest.raises(PermissionDenied) as refused:
        accounts.get_visible_user(db, actor(db, "enterprise"), user(db, "citizen").id)
    assert refused.value.code == "other_enterprise"


def test_profile_is_updated_by_its_owner_only(db: Session, demo_city: dict[str, Any]) -> None:
    updated = accounts.update_profile(
        db,
        actor(db, "citizen"),
        display_name=" 王小明 ",
        email="wang@example.cn",
        phone="13800000000",
        language="en",
    )
    db.commit()
    assert (updated.display_name, updated.email, updated.language) == ("王小明", "wang@example.cn", "en")
    assert last_event(db).action == "account.profile_update"
    with pytest.raises(ValidationFailed):
        accounts.update_profile(
            db, actor(db, "citizen"), display_name="王", email=None, phone=None, language="fr"
        )
    with pytest.raises(NotAuthenticated):
        accounts.update_profile(
            db, Actor.anonymous(), display_name="x", email=None, phone=None, language=None
        )


def test_a_failed_log_in_is_kept_even_though_the_caller_sees_an_error(
    session_factory: sessionmaker[Session], demo_city: dict[str, Any]
) -> None:
    with session_factory() as session:
        accounts.authenticate(session, "officer", "wrong-password", POLICY)
        session.commit()
    with session_factory() as session:
        assert user(session, "officer").failed_logins == 1
        assert actions(session)[-1] == "account.login_failed"
