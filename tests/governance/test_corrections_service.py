"""Corrections on both databases: file, accept (a new record version), reject, withdraw, overdue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.governance.conftest import ADDRESS, OTHER, REGISTRATIONS, TAXPAYERS, UNITS, Hub
from tests.support.actors import SYSTEM, actions, actor, org
from tongban.catalog import resources
from tongban.catalog.resources_domain import FieldDraft
from tongban.demo.hub import publish_from_fields
from tongban.exchange import loads, records
from tongban.exchange.events import RecordsChanged
from tongban.governance import conflicts, corrections
from tongban.governance.corrections import Filing, TicketFilter, Upload
from tongban.governance.corrections_domain import Status
from tongban.kernel import events
from tongban.kernel.accounts import service as accounts
from tongban.kernel.clock import Clock
from tongban.kernel.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from tongban.kernel.permissions import Role
from tongban.notify import service as notify

MONDAY = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Xiamen; no holiday that week
NEW_ADDRESS = "厦门市思明区鹭江道8号"


def filing(hub: Hub, value: str = NEW_ADDRESS, **changes: Any) -> Filing:
    base: dict[str, Any] = {
        "subject": hub.enterprise,
        "resource_code": REGISTRATIONS,
        "field": "住所",
        "proposed_value": value,
        "explanation": "公司已于今年迁址，附变更登记通知书。",
    }
    return Filing(**(base | changes))


def steward_of(db: Session, code: str, username: str) -> Any:
    accounts.create_user(
        db,
        SYSTEM,
        username=username,
        display_name=f"{code}数据管理员",
        password="Temporary2026",
        role=Role.STEWARD,
        org_id=org(db, code).id,
        must_change_password=False,
    )
    return actor(db, username)


def test_accepting_writes_a_new_version_that_flows_to_the_change_feed(
    db: Session, hub: Hub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    published: list[RecordsChanged] = []
    monkeypatch.setitem(
        events._handlers,
        RecordsChanged,
        [*events.handlers(RecordsChanged), lambda _s, e: published.append(e)],
    )
    enterprise = actor(db, "enterprise")
    resource = resources.lookup(db, REGISTRATIONS)
    cursor = records.latest_cursor(db, resource.id)
    ticket = corrections.file_correction(
        db, enterprise, filing(hub), Upload("变更通知书.pdf", b"%PDF-1.4 test"), storage=tmp_path
    )
    assert ticket.status is Status.OPEN and ticket.disputed_value == f'"{ADDRESS}"'
    assert ticket.org_id == org(db, "350200-SCJGJ").id and ticket.attachment_name == "变更通知书.pdf"
    assert (tmp_path / "attachments" / ticket.attachment_path).read_bytes() == b"%PDF-1.4 test"
    db.commit()

    steward = actor(db, "steward")
    assert [t.id for t in corrections.list_for_department(db, steward).items] == [ticket.id]
    corrections.accept(db, steward, ticket.id)
    db.commit()

    assert ticket.status is Status.ACCEPTED and ticket.load_id is not None
    key = ticket.record_key
    versions = records.history(db, resource.id, key)
    assert [v.values["住所"] for v in versions] == [ADDRESS, NEW_ADDRESS]
    assert versions[0].valid_to is not None and versions[1].is_current
    assert versions[1].values["法定代表人"] == "陈明"  # other fields kept
    feed = records.changes_since(db, resource.id, cursor)
    assert [v.values["住所"] for v in feed.items] == [NEW_ADDRESS]
    assert [e.load_id for e in published] == [ticket.load_id]

    inbox = notify.list_inbox(db, enterprise)
    assert inbox.total == 1 and str(ticket.id) in inbox.items[0].subject
    assert inbox.items[0].link == f"/portal/corrections/{ticket.id}"
    assert notify.unread_count(db, enterprise.id or 0) == 1
    assert {"correction.file", "ingest.load", "correction.accept"} <= set(actions(db))
    with pytest.raises(InvalidTransition):
        corrections.reject(db, steward, ticket.id, "重复")


def test_accepting_clears_the_conflict_the_correction_settled(db: Session, hub: Hub) -> None:
    conflicts.scan(db, SYSTEM)
    assert conflicts.list_conflicts(
        db, SYSTEM, conflicts.ConflictFilter(element_key="registered_address")
    ).total
    tax_steward = steward_of(db, "350200-SWJ", "tax_steward")
    ticket = corrections.file_correction(
        db, actor(db, "enterprise"), filing(hub, ADDRESS, resource_code=TAXPAYERS, field="注册地址")
    )
    corrections.accept(db, tax_steward, ticket.id)
    assert not conflicts.list_conflicts(
        db, SYSTEM, conflicts.ConflictFilter(element_key="registered_address")
    ).total


def test_rejecting_needs_a_reason_and_tells_the_disputant(db: Session, hub: Hub) -> None:
    enterprise = actor(db, "enterprise")
    ticket = corrections.file_correction(db, enterprise, filing(hub))
    steward = actor(db, "steward")
    with pytest.raises(ValidationFailed):
        corrections.reject(db, steward, ticket.id, " ")
    corrections.reject(db, steward, ticket.id, "登记系统中的住所与营业执照一致，请先办理变更登记。")
    assert ticket.status is Status.REJECTED and ticket.decided_by
    message = notify.list_inbox(db, enterprise).items[0]
    assert "请先办理变更登记" in message.body
    resource = resources.lookup(db, REGISTRATIONS)
    assert len(records.history(db, resource.id, ticket.record_key)) == 1
    assert "correction.reject" in actions(db)


def test_an_enterprise_cannot_dispute_another_enterprises_data(db: Session, hub: Hub) -> None:
    with pytest.raises(PermissionDenied) as caught:
        corrections.file_correction(db, actor(db, "enterprise"), filing(hub, subject=OTHER))
    assert caught.value.code == "other_enterprise"
    with pytest.raises(PermissionDenied):
        corrections.target(db, actor(db, "citizen"), hub.enterprise, REGISTRATIONS, "住所")
    # an officer may dispute any subject
    ticket = corrections.file_correction(db, actor(db, "officer"), filing(hub, subject=OTHER))
    assert ticket.subject == OTHER


def test_the_value_must_exist_be_valid_and_differ(db: Session, hub: Hub) -> None:
    enterprise = actor(db, "enterprise")
    with pytest.raises(NotFound):
        corrections.file_correction(db, enterprise, filing(hub, field="没有这个字段"))
    with pytest.raises(NotFound):
        corrections.file_correction(db, enterprise, filing(hub, field="统一社会信用代码"))
    with pytest.raises(ValidationFailed) as same:
        corrections.file_correction(db, enterprise, filing(hub, f" {ADDRESS} "))
    assert same.value.fields[0].field == "proposed_value"
    with pytest.raises(ValidationFailed) as bad_number:
        corrections.file_correction(
            db, enterprise, filing(hub, "很多", resource_code=UNITS, field="从业人员期末人数")
        )
    assert bad_number.value.fields[0].field == "proposed_value"
    with pytest.raises(ValidationFailed) as missing:
        corrections.file_correction(db, enterprise, filing(hub, explanation=""))
    assert missing.value.fields[0].field == "explanation"


def test_another_departments_steward_cannot_decide(db: Session, hub: Hub) -> None:
    ticket = corrections.file_correction(db, actor(db, "enterprise"), filing(hub))
    tax_steward = steward_of(db, "350200-SWJ", "tax_steward")
    with pytest.raises(PermissionDenied) as caught:
        corrections.accept(db, tax_steward, ticket.id)
    assert caught.value.code == "outside_scope"
    assert corrections.list_for_department(db, tax_steward).total == 0
    with pytest.raises(PermissionDenied):
        corrections.reject(db, actor(db, "admin"), ticket.id, "no")  # administrators only read
    assert corrections.list_for_department(db, actor(db, "admin")).total == 1


def test_only_the_disputant_withdraws_an_open_ticket(db: Session, hub: Hub) -> None:
    enterprise = actor(db, "enterprise")
    ticket = corrections.file_correction(db, enterprise, filing(hub))
    with pytest.raises(PermissionDenied):
        corrections.withdraw(db, actor(db, "officer"), ticket.id)
    corrections.withdraw(db, enterprise, ticket.id)
    assert ticket.status is Status.WITHDRAWN
    with pytest.raises(InvalidTransition):
        corrections.withdraw(db, enterprise, ticket.id)
    with pytest.raises(InvalidTransition):
        corrections.accept(db, actor(db, "steward"), ticket.id)
    assert [t.id for t in corrections.list_mine(db, actor(db, "enterprise2")).items] == [ticket.id]


def test_overdue_after_the_working_days_of_the_department(db: Session, hub: Hub, frozen_clock: Clock) -> None:
    frozen_clock.freeze(MONDAY)
    enterprise = actor(db, "enterprise")
    ticket = corrections.file_correction(db, enterprise, filing(hub))
    assert ticket.deadline == date(2026, 6, 8)  # five working days after Monday 1 June
    steward = actor(db, "steward")
    corrections.set_deadline_days(db, steward, org(db, "350200-SCJGJ").id, 2)
    quick = corrections.file_correction(db, enterprise, filing(hub, "厦门市思明区鹭江道9号"))
    assert quick.deadline == date(2026, 6, 3)

    frozen_clock.freeze(datetime(2026, 6, 8, 8, 0, tzinfo=UTC))
    assert not corrections.is_overdue(ticket) and corrections.is_overdue(quick)
    assert [t.id for t in corrections.flag_overdue(db, SYSTEM)] == [quick.id]
    frozen_clock.advance(timedelta(days=1))
    assert corrections.is_overdue(ticket)
    overdue = corrections.list_for_department(db, steward, TicketFilter(overdue_only=True))
    assert {t.id for t in overdue.items} == {ticket.id, quick.id}
    assert [t.id for t in corrections.flag_overdue(db, SYSTEM)] == [ticket.id]
    assert corrections.flag_overdue(db, SYSTEM) == []  # flagged once
    assert notify.list_inbox(db, steward).total == 2
    assert actions(db).count("correction.overdue") == 2
    with pytest.raises(PermissionDenied):
        corrections.set_deadline_days(db, steward, org(db, "350200-SWJ").id, 3)


def test_accepting_keeps_other_fields_declared_in_another_unit(db: Session, hub: Hub) -> None:
    """市场监管 writes registered capital in 万元; the hub stores 元. Correcting the address must
    not scale the capital a second time, and a corrected capital is taken in 元."""
    publish_from_fields(
        db,
        SYSTEM,
        provider_code="350200-SCJGJ",
        code="350200-SCJGJ-0009",
        name="登记信息（万元）",
        fields=[
            FieldDraft("统一社会信用代码", "uscc", is_subject=True),
            FieldDraft("住所", "registered_address"),
            FieldDraft("注册资本（万元）", "registered_capital", unit="万元"),
        ],
    )
    loads.load_rows(
        db,
        SYSTEM,
        "350200-SCJGJ-0009",
        [{"统一社会信用代码": hub.enterprise, "住所": ADDRESS, "注册资本（万元）": "150"}],
    )
    steward = actor(db, "steward")
    enterprise = actor(db, "enterprise")
    ticket = corrections.file_correction(db, enterprise, filing(hub, resource_code="350200-SCJGJ-0009"))
    corrections.accept(db, steward, ticket.id)
    resource = resources.lookup(db, "350200-SCJGJ-0009")
    current = records.current(db, resource.id, hub.enterprise)
    assert current is not None
    assert current.values == {
        "统一社会信用代码": hub.enterprise,
        "住所": NEW_ADDRESS,
        "注册资本（万元）": "1500000",
    }
    capital = corrections.file_correction(
        db, enterprise, filing(hub, "2000000", resource_code="350200-SCJGJ-0009", field="注册资本（万元）")
    )
    corrections.accept(db, steward, capital.id)
    current = records.current(db, resource.id, hub.enterprise)
    assert current is not None and current.values["注册资本（万元）"] == "2000000"
