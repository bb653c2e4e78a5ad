"""Sharing requests and grants: what each sharing type does, who decides, and the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.support.actors import actions, actor, fields_of
from tests.support.records import CONSUMER, market_resource, person_resource

from tongban.catalog.models import SharingType
from tongban.exchange import sharing
from tongban.exchange.models import RequestStatus
from tongban.kernel.clock import Clock
from tongban.kernel.errors import InvalidTransition, PermissionDenied, ValidationFailed

MOMENT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _ask(db: Session, code: str, fields: list[str], who: str = "tax_officer", **extra: Any) -> Any:
    data = {"purpose": "纳税信用评价", "legal_basis": "《纳税信用管理办法》"} | extra
    return sharing.request_sharing(
        db, actor(db, who), sharing.RequestInput(resource_code=code, fields=fields, **data)
    )


def test_unconditional_resource_is_granted_at_once_for_the_fields_asked(
    db: Session, demo_city: dict[str, Any]
) -> None:
    resource = person_resource(db, SharingType.UNCONDITIONAL)
    request = _ask(db, resource.code, ["姓名", "身份证号"])
    assert request.status is RequestStatus.APPROVED and request.decided_by == sharing.AUTO_DECIDER
    [grant] = sharing.list_grants(db, actor(db, "tax_officer")).items
    assert grant.fields == ["姓名", "身份证号"] and not grant.allow_sensitive and grant.expires_at is None
    assert grant.consumer_org_id == demo_city[CONSUMER].id and grant.purpose == "纳税信用评价"
    assert actions(db)[-2:] == ["sharing.request", "sharing.grant"]


def test_asking_for_personal_fields_unmasked_always_goes_to_the_provider(
    db: Session, demo_city: dict[str, Any]
) -> None:
    resource = person_resource(db, SharingType.UNCONDITIONAL)
    request = _ask(db, resource.code, ["姓名"], allow_sensitive=True)
    assert request.status is RequestStatus.PENDING
    grant = sharing.approve(db, actor(db, "steward"), request.id, sharing.Decision(allow_sensitive=True))
    assert grant.allow_sensitive


def test_conditional_request_waits_for_the_provider_who_may_grant_fewer_fields_with_a_reason(
    db: Session, demo_city: dict[str, Any], frozen_clock: Clock
) -> None:
    frozen_clock.freeze(MOMENT)
    resource = market_resource(db)
    request = _ask(db, resource.code, ["营业收入", "统一社会信用代码", "纳税额"], serves="高新技术企业认定")
    assert request.status is RequestStatus.PENDING and request.serves == "高新技术企业认定"
    steward = actor(db, "steward")
    assert [r.id for r in sharing.list_requests(db, steward, side="provider").items] == [request.id]
    with pytest.raises(ValidationFailed) as fewer:
        sharing.approve(db, steward, request.id, sharing.Decision(fields=["营业收入"]))
    assert "reason" in fields_of(fewer.value)
    with pytest.raises(ValidationFailed) as past:
        sharing.approve(db, steward, request.id, sharing.Decision(expires_at=MOMENT - timedelta(days=1)))
    assert "expires_at" in fields_of(past.value)
    with pytest.raises(ValidationFailed) as unmasked:
        sharing.approve(db, steward, request.id, sharing.Decision(allow_sensitive=True))
    assert "allow_sensitive" in fields_of(unmasked.value)
    with pytest.raises(ValidationFailed) as extra:
        sharing.approve(db, steward, request.id, sharing.Decision(fields=["企业名称"], reason="只需名称"))
    assert "fields" in fields_of(extra.value)
    until = MOMENT + timedelta(days=365)
    grant = sharing.approve(
        db,
        steward,
        request.id,
        sharing.Decision(fields=["营业收入", "统一社会信用代码"], expires_at=until, reason="纳税额不需要"),
    )
    assert grant.fields == ["统一社会信用代码", "营业收入"]  # in the resource's order
    assert grant.expires_at == until and sharing.grant_state(grant) == "active"
    assert request.status is RequestStatus.APPROVED and request.reason == "纳税额不需要"
    assert sharing.grant_state(grant, until + timedelta(seconds=1)) == "expired"
    assert actions(db)[-2:] == ["sharing.request", "sharing.grant"]
    with pytest.raises(InvalidTransition):
        sharing.reject(db, steward, request.id, "再议")


def test_rejection_needs_a_reason_and_is_audited(db: Session, demo_city: dict[str, Any]) -> None:
    resource = market_resource(db)
    request = _ask(db, resource.code, ["营业收入"])
    steward = actor(db, "steward")
    with pytest.raises(ValidationFailed):
        sharing.reject(db, steward, request.id, "  ")
    sharing.reject(db, steward, request.id, "用途与数据无关")
    assert request.status is RequestStatus.REJECTED and request.reason == "用途与数据无关"
    assert actions(db)[-1] == "sharing.reject"
    assert sharing.list_grants(db, actor(db, "tax_officer")).total == 0


def test_not_shared_resources_cannot_be_requested(db: Session, demo_city: dict[str, Any]) -> None:
    resource = market_resource(db, SharingType.NOT_SHARED)
    with pytest.raises(PermissionDenied) as refused:
        _ask(db, resource.code, ["营业收入"])
    assert refused.value.code == "resource_not_shared"
    assert resource.code not in [r.code for r in sharing.requestable_resources(db, actor(db, "tax_officer"))]


def test_a_request_names_real_fields_a_purpose_and_a_legal_basis(
    db: Session, demo_city: dict[str, Any]
) -> None:
    resource = market_resource(db)
    with pytest.raises(ValidationFailed) as invalid:
        _ask(db, resource.code, ["营业收入", "不存在的字段"], purpose=" ", legal_basis="")
    assert set(fields_of(invalid.value)) == {"fields", "purpose", "legal_basis"}
    with pytest.raises(ValidationFailed) as own:
        _ask(db, resource.code, ["营业收入"], who="officer")  # 市场监管局 provides it
    assert own.value.code == "own_resource"


def test_only_the_providers_deciders_decide_and_revoke(db: Session, demo_city: dict[str, Any]) -> None:
    resource = market_resource(db)
    request = _ask(db, resource.code, ["营业收入"])
    for who, code in (
        ("officer", "permission_denied"),
        ("tax_officer", "permission_denied"),
        ("fz_admin", "outside_scope"),
    ):
        with pytest.raises(PermissionDenied) as denied:
            sharing.approve(db, actor(db, who), request.id, sharing.Decision())
        assert denied.value.code == code, who
    grant = sharing.approve(db, actor(db, "admin"), request.id, sharing.Decision())  # 厦门's administrator
    with pytest.raises(PermissionDenied):
        sharing.revoke(db, actor(db, "tax_officer"), grant.id)
    sharing.revoke(db, actor(db, "steward"), grant.id, "用途已结束")
    assert sharing.grant_state(grant) == "revoked" and grant.revoked_by == "steward"
    assert actions(db)[-1] == "sharing.revoke"
    with pytest.raises(InvalidTransition):
        sharing.revoke(db, actor(db, "steward"), grant.id)


def test_the_consumer_may_withdraw_a_pending_request(db: Session, demo_city: dict[str, Any]) -> None:
    resource = market_resource(db)
    request = _ask(db, resource.code, ["营业收入"])
    with pytest.raises(PermissionDenied):
        sharing.withdraw(db, actor(db, "steward"), request.id)
    sharing.withdraw(db, actor(db, "tax_officer"), request.id)
    assert request.status is RequestStatus.WITHDRAWN and actions(db)[-1] == "sharing.withdraw"
    with pytest.raises(InvalidTransition):
        sharing.approve(db, actor(db, "steward"), request.id, sharing.Decision())


def test_each_side_sees_its_own_requests_and_grants(db: Session, demo_city: dict[str, Any]) -> None:
    resource = market_resource(db)
    request = _ask(db, resource.code, ["营业收入"])
    assert sharing.get_request(db, actor(db, "tax_officer"), request.id) is request
    assert sharing.get_request(db, actor(db, "steward"), request.id) is request
    with pytest.raises(PermissionDenied) as outside:
        sharing.get_request(db, actor(db, "fz_officer"), request.id)
    assert outside.value.code == "outside_scope"
    assert sharing.list_requests(db, actor(db, "fz_officer")).total == 0
    assert sharing.list_requests(db, actor(db, "steward"), side="consumer").total == 0
    assert sharing.list_requests(db, actor(db, "admin"), side="provider").total == 1
    assert sharing.list_requests(db, actor(db, "fz_admin"), side="provider").total == 0
    assert sharing.list_requests(db, actor(db, "tax_officer"), status=RequestStatus.APPROVED).total == 0
