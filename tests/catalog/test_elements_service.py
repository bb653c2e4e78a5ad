"""The data element registry on both databases: seed, browse, search, add, check, permissions."""

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tongban.catalog import service
from tongban.catalog.models import DataElement, ElementType, Sensitivity
from tongban.kernel.accounts.models import User
from tongban.kernel.accounts.service import actor_for_user
from tongban.kernel.audit.models import AuditEvent
from tongban.kernel.errors import Conflict, PermissionDenied, ValidationFailed
from tongban.kernel.permissions import Actor

SYSTEM = Actor.system("test")


def _actor(session: Session, username: str) -> Actor:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None
    return actor_for_user(session, user)


def _new(identifier: str = "DE00901", key: str = "export_value", **overrides: Any) -> service.ElementInput:
    fields: dict[str, Any] = {
        "identifier": identifier, "key": key, "name_zh": "出口额", "name_en": "Export value",
        "definition": "企业一个年度的出口总额。", "data_type": "money", "sensitivity": "internal", "unit": "元",
    }
    fields.update(overrides)
    return service.ElementInput(**fields)


def test_seed_is_idempotent_and_audited(db: Session) -> None:
    added = service.seed_standard_elements(db, SYSTEM)
    assert added == len(service.standard_elements())
    assert service.seed_standard_elements(db, SYSTEM) == 0
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "element.create")).all()
    assert len(events) == added


def test_search_in_chinese_and_filters(db: Session) -> None:
    service.seed_standard_elements(db, SYSTEM)
    found = service.list_elements(db, SYSTEM, query="营业收入")
    assert [e.key for e in found.items] == ["annual_revenue"]
    assert {e.key for e in service.list_elements(db, SYSTEM, query="revenue").items} == {"annual_revenue"}
    sensitive = service.list_elements(db, SYSTEM, sensitivity=Sensitivity.SENSITIVE_PERSONAL).items
    assert [e.key for e in sensitive] == ["ric"]
    money = service.list_elements(db, SYSTEM, data_type=ElementType.MONEY, page_size=2)
    assert money.total > 2 and len(money.items) == 2 and money.pages > 1


def test_add_element_and_check_values(db: Session) -> None:
    element = service.create_element(db, SYSTEM, _new())
    assert element.version == 1
    assert service.check_value(db, SYSTEM, "DE00901", "1.2亿").valid
    assert not service.check_value(db, SYSTEM, "export_value", "很多").valid


def test_bad_definitions_name_each_field(db: Session) -> None:
    with pytest.raises(ValidationFailed) as caught:
        service.create_element(db, SYSTEM, _new(identifier="X1", key="Bad Key", name_zh=" ", data_type="code"))
    fields = {p.field for p in caught.value.fields}
    assert {"identifier", "key", "name_zh", "code_list"} <= fields
    assert db.scalar(select(DataElement.id)) is None


def test_duplicates_are_refused(db: Session) -> None:
    service.create_element(db, SYSTEM, _new())
    with pytest.raises(Conflict):
        service.create_element(db, SYSTEM, _new(identifier="DE00902"))


def test_update_raises_version_and_retire_hides(db: Session) -> None:
    service.create_element(db, SYSTEM, _new())
    element = service.update_element(db, SYSTEM, "DE00901", {"definition": "企业一个自然年度的出口总额。"})
    assert element.version == 2
    service.set_element_active(db, SYSTEM, "DE00901", False)
    assert service.list_elements(db, SYSTEM).total == 0
    assert service.list_elements(db, SYSTEM, include_retired=True).total == 1


def test_only_platform_administrators_add(session_factory: sessionmaker[Session], demo_city: dict[str, Any]) -> None:
    with session_factory() as session:
        officer, admin, citizen = (_actor(session, n) for n in ("officer", "admin", "citizen"))
        assert service.list_elements(session, officer).total == 0  # staff may read
        with pytest.raises(PermissionDenied):
            service.create_element(session, officer, _new())
        with pytest.raises(PermissionDenied):
            service.list_elements(session, citizen)
        service.create_element(session, admin, _new())
        session.commit()
