"""Publishing: draft → review by another officer → published; edits make new versions;
withdraw; expiry; the four-eyes rule; permissions by department; the audit chain."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.policy.world import draft_e1, item_fields
from tests.support.actors import actions, actor
from tongban.kernel.errors import PermissionDenied, ValidationFailed
from tongban.policy import service
from tongban.policy.domain import ItemClosed, ItemState, SelfReview, VersionState
from tongban.rules.errors import RuleInvalid


@pytest.fixture
def city(demo_city: dict[str, Any], db: Session) -> Session:
    return db


def test_draft_submit_approve_publishes_and_audits(city: Session) -> None:
    drafted = draft_e1(city)
    officer, reviewer = actor(city, "policy_officer"), actor(city, "policy_reviewer")
    version = service.submit(city, officer, drafted.version_id)
    assert version.state is VersionState.IN_REVIEW
    assert version.rule is not None
    published = service.approve(city, reviewer, drafted.version_id, "同意发布")
    item = service.get_item(city, drafted.item_id)
    assert published.state is VersionState.PUBLISHED
    assert item.state is ItemState.PUBLISHED and item.live_version_id == published.id
    assert item.code.startswith("ZC-")
    assert [a for a in actions(city) if a.startswith("policy")] == [
        "policy.create",
        "policy_item.create",
        "policy_item.submit",
        "policy_item.publish",
    ]
    assert [live.item.id for live in service.live_items(city)] == [drafted.item_id]


def test_the_submitter_cannot_approve_own_version(city: Session) -> None:
    drafted = draft_e1(city)
    officer = actor(city, "policy_officer")
    service.submit(city, officer, drafted.version_id)
    with pytest.raises(SelfReview):
        service.approve(city, officer, drafted.version_id)


def test_another_department_cannot_review(city: Session) -> None:
    drafted = draft_e1(city)
    service.submit(city, actor(city, "policy_officer"), drafted.version_id)
    with pytest.raises(PermissionDenied):
        service.approve(city, actor(city, "tax_officer"), drafted.version_id)
    with pytest.raises(PermissionDenied):
        service.create_item(city, actor(city, "enterprise"), drafted.policy_id, item_fields())


def test_a_rule_that_does_not_check_is_kept_as_draft_but_cannot_be_submitted(city: Session) -> None:
    drafted = draft_e1(city)
    officer = actor(city, "policy_officer")
    version = service.edit_item(
        city, officer, drafted.item_id, item_fields(condition_text="revenue >= 2000万")
    )
    assert version.id == drafted.version_id and version.rule is None
    with pytest.raises(RuleInvalid) as error:
        service.submit(city, officer, drafted.version_id)
    assert error.value.problems[0].code
    assert service.get_version(city, drafted.version_id).state is VersionState.DRAFT


def test_edit_after_publication_makes_a_new_version_and_keeps_the_old(city: Session) -> None:
    drafted = draft_e1(city)
    officer, reviewer = actor(city, "policy_officer"), actor(city, "policy_reviewer")
    service.submit(city, officer, drafted.version_id)
    service.approve(city, reviewer, drafted.version_id)
    second = service.edit_item(city, officer, drafted.item_id, item_fields(amount_text="30万"))
    assert second.number == 2 and second.id != drafted.version_id
    service.submit(city, officer, second.id)
    with pytest.raises(ItemClosed):
        service.edit_item(city, officer, drafted.item_id, item_fields())
    service.approve(city, reviewer, second.id)
    versions = service.versions_of(city, drafted.item_id)
    assert [(v.number, v.state) for v in versions] == [
        (1, VersionState.SUPERSEDED),
        (2, VersionState.PUBLISHED),
    ]
    assert versions[0].amount_text == "20万"


def test_reject_needs_a_reason_and_returns_the_draft(city: Session) -> None:
    drafted = draft_e1(city)
    officer, reviewer = actor(city, "policy_officer"), actor(city, "policy_reviewer")
    service.submit(city, officer, drafted.version_id)
    with pytest.raises(ValidationFailed):
        service.reject(city, reviewer, drafted.version_id, "  ")
    returned = service.reject(city, reviewer, drafted.version_id, "金额依据不清")
    assert returned.state is VersionState.REJECTED
    again = service.edit_item(city, officer, drafted.item_id, item_fields())
    assert again.id == drafted.version_id and again.state is VersionState.DRAFT


def test_withdraw_and_expiry_end_the_item(city: Session) -> None:
    drafted = draft_e1(city)
    officer, reviewer = actor(city, "policy_officer"), actor(city, "policy_reviewer")
    service.submit(city, officer, drafted.version_id)
    service.approve(city, reviewer, drafted.version_id)
    assert service.expire_due(city, date(2026, 12, 31)) == []
    assert service.expire_due(city, date(2027, 1, 1)) == [drafted.item_id]
    assert service.get_item(city, drafted.item_id).state is ItemState.EXPIRED
    assert service.live_items(city) == []


def test_withdraw_needs_a_reason_and_ends_the_item_at_once(city: Session) -> None:
    drafted = draft_e1(city)
    officer, reviewer = actor(city, "policy_officer"), actor(city, "policy_reviewer")
    service.submit(city, officer, drafted.version_id)
    service.approve(city, reviewer, drafted.version_id)
    with pytest.raises(ValidationFailed):
        service.withdraw(city, reviewer, drafted.item_id, "")
    with pytest.raises(PermissionDenied):
        service.withdraw(city, actor(city, "tax_officer"), drafted.item_id, "错误发布")
    ended = service.withdraw(city, reviewer, drafted.item_id, "政策调整")
    assert ended.state is VersionState.WITHDRAWN
    assert service.get_item(city, drafted.item_id).state is ItemState.WITHDRAWN
    assert service.live_items(city) == []
    assert actions(city)[-1] == "policy_item.withdrawn"
    with pytest.raises(ItemClosed):
        service.withdraw(city, reviewer, drafted.item_id, "再次撤回")
