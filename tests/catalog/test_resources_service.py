"""The resource catalog on both databases: registration and scope, versions, Chinese search."""

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.support.actors import SYSTEM, actions, actor, org

from tongban.catalog import resources as service
from tongban.catalog.models import (
    Resource,
    ResourceStatus,
    ResourceType,
    SharingType,
)
from tongban.catalog.resources_domain import FieldDraft, ResourceDraft
from tongban.catalog.service import seed_standard_elements, set_element_active
from tongban.kernel.audit.models import AuditEvent
from tongban.kernel.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed

TAX_FIELDS = (
    FieldDraft("统一社会信用代码", "uscc", is_subject=True),
    FieldDraft("年度", "reporting_year", is_key=True),
    FieldDraft("营业收入", "annual_revenue"),
    FieldDraft("纳税额", "DE00202", description="当年实缴税额"),
)


def draft(**overrides: Any) -> ResourceDraft:
    values: dict[str, Any] = {
        "name": "企业年度纳税信息",
        "abstract": "企业每个年度的营业收入与纳税额。",
        "resource_type": "department",
        "subject_kind": "uscc",
        "sharing_type": "conditional",
        "sharing_condition": "用于惠企政策资格审核，依据《税收征收管理法》第八条。",
        "open_type": "not_open",
        "update_cycle": "yearly",
        "fields": TAX_FIELDS,
    }
    values.update(overrides)
    return ResourceDraft(**values)


@pytest.fixture
def city(db: Session, demo_city: dict[str, Any]) -> Session:
    seed_standard_elements(db, SYSTEM)
    return db


def register(db: Session, who: str = "admin", dept: str = "350200-SWJ", **overrides: Any) -> Resource:
    return service.register_resource(db, actor(db, who), provider_org_id=org(db, dept).id, draft=draft(**overrides))


def resource_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Resource)) or 0


def test_steward_registers_for_own_department_numbered_and_audited(city: Session) -> None:
    steward = actor(city, "steward")
    first = service.register_resource(
        city, steward, provider_org_id=org(city, "350200-SCJGJ").id, draft=draft(name="市场主体登记信息")
    )
    second = register(city, "steward", "350200-SCJGJ", name="行政处罚信息")
    assert (first.code, second.code) == ("350200-SCJGJ-0001", "350200-SCJGJ-0002")
    assert first.status is ResourceStatus.DRAFT and first.version == 1 and first.published_at is None
    assert [f.name for f in first.fields] == ["统一社会信用代码", "年度", "营业收入", "纳税额"]
    assert first.fields[3].element.key == "tax_paid"  # bound by identifier DE00202
    event = city.scalar(select(AuditEvent).where(AuditEvent.action == "resource.register").limit(1))
    assert event is not None and event.object_id == "350200-SCJGJ-0001"
    assert event.org_id == org(city, "350200-SCJGJ").id


def test_a_chosen_code_is_checked_and_unique(city: Session) -> None:
    admin = actor(city, "admin")
    provider = org(city, "350200-SWJ").id
    made = service.register_resource(city, admin, provider_org_id=provider, draft=draft(), code="SWJ-NSXX-2026")
    assert made.code == "SWJ-NSXX-2026"
    with pytest.raises(Conflict) as taken:
        service.register_resource(city, admin, provider_org_id=provider, draft=draft(), code="SWJ-NSXX-2026")
    assert [p.field for p in taken.value.fields] == ["code"]
    with pytest.raises(ValidationFailed):
        service.register_resource(city, admin, provider_org_id=provider, draft=draft(), code="2026")


def test_who_may_register_where(city: Session) -> None:
    with pytest.raises(PermissionDenied) as other_department:
        register(city, "steward", "350200-SWJ")
    assert other_department.value.code == "outside_scope"
    with pytest.raises(PermissionDenied) as officer:
        register(city, "officer", "350200-SCJGJ")
    assert officer.value.code == "permission_denied"
    with pytest.raises(PermissionDenied) as fuzhou:
        register(city, "fz_admin", "350200-SCJGJ")
    assert fuzhou.value.code == "outside_scope"
    with pytest.raises(ValidationFailed) as region:
        register(city, "admin", "350203")  # a region, not a department
    assert [p.field for p in region.value.fields] == ["provider_org_id"]
    assert resource_count(city) == 0
    assert register(city, "admin", "350203-SCJGJ").code == "350203-SCJGJ-0001"  # a district's department
    assert register(city, "fz_admin", "350100-SCJGJ").code == "350100-SCJGJ-0001"


def test_other_regions_cannot_touch_a_resource(city: Session) -> None:
    made = register(city)
    fz_admin = actor(city, "fz_admin")
    for change in (
        lambda: service.update_resource(city, fz_admin, made.id, draft(name="改名")),
        lambda: service.publish_resource(city, fz_admin, made.id),
        lambda: service.retire_resource(city, fz_admin, made.code),
        lambda: service.get_resource(city, fz_admin, made.id),  # a draft is not theirs to read
    ):
        with pytest.raises(PermissionDenied) as refused:
            change()
        assert refused.value.code == "outside_scope"
    with pytest.raises(PermissionDenied):
        service.publish_resource(city, actor(city, "steward"), made.id)  # 市场监管 for 税务局
    assert made.status is ResourceStatus.DRAFT


def test_bad_registrations_name_every_problem_and_write_nothing(city: Session) -> None:
    set_element_active(city, SYSTEM, "rd_expense", False)
    fields = (
        FieldDraft("统一社会信用代码", "enterprise_name", is_subject=True),
        FieldDraft("研发费用", "rd_expense"),
        FieldDraft("研发费用", "annual_revenue"),
    )
    with pytest.raises(ValidationFailed) as caught:
        service.register_resource(
            city, actor(city, "admin"), provider_org_id=999_999, draft=draft(sharing_condition="", fields=fields)
        )
    assert {p.field for p in caught.value.fields} == {
        "provider_org_id",
        "sharing_condition",
        "fields.0.element",
        "fields.1.element",
        "fields.2.name",
    }
    assert resource_count(city) == 0


def test_publish_then_edit_keeps_the_published_version_in_force(city: Session) -> None:
    admin = actor(city, "admin")
    made = register(city)
    with pytest.raises(InvalidTransition):
        service.schema_for(city, made.id)  # not published yet
    service.publish_resource(city, admin, made.id)
    assert (made.status, made.version) == (ResourceStatus.PUBLISHED, 1)
    with pytest.raises(InvalidTransition):
        service.publish_resource(city, admin, made.id)  # nothing new to publish

    edited = draft(name="企业年度纳税信息（含研发）", fields=(*TAX_FIELDS, FieldDraft("研发费用", "rd_expense")))
    service.update_resource(city, admin, made.code, edited)
    assert made.pending is not None and made.version == 1
    assert made.name == "企业年度纳税信息" and len(made.fields) == 4  # the live row is still version 1
    assert service.schema_for(city, made.id).field_names == ("统一社会信用代码", "年度", "营业收入", "纳税额")
    assert service.search_resources(city, admin, service.ResourceFilter(query="研发")).total == 0

    service.publish_resource(city, admin, made.id)
    assert made.version == 2 and made.pending is None and made.name == "企业年度纳税信息（含研发）"
    assert service.schema_for(city, made.id).field_names[-1] == "研发费用"
    assert [v.version for v in service.list_versions(city, admin, made.code)] == [2, 1]
    old = service.get_version(city, actor(city, "tax_officer"), made.id, 1).snapshot
    assert old["name"] == "企业年度纳税信息" and [f["name"] for f in old["fields"]][-1] == "纳税额"
    assert old["fields"][0] | {"element": "uscc", "is_subject": True, "sensitivity": "public"} == old["fields"][0]

    service.update_resource(city, admin, made.id, draft(name="又改了"))
    service.discard_changes(city, admin, made.id)
    assert made.pending is None and made.name == "企业年度纳税信息（含研发）"

    service.retire_resource(city, admin, made.id)
    with pytest.raises(InvalidTransition):
        service.update_resource(city, admin, made.id, draft())
    assert [v.version for v in service.list_versions(city, admin, made.id)] == [2, 1]  # still readable
    assert [a for a in actions(city) if a.startswith("resource.")] == [
        "resource.register",
        "resource.publish",
        "resource.update",
        "resource.publish",
        "resource.update",
        "resource.discard",
        "resource.retire",
    ]


def test_editing_back_to_the_published_shape_clears_the_pending_edit(city: Session) -> None:
    admin = actor(city, "admin")
    made = register(city)
    service.publish_resource(city, admin, made.id)
    service.update_resource(city, admin, made.id, draft(name="临时改名"))
    service.update_resource(city, admin, made.id, draft())
    assert made.pending is None


def test_the_record_key_of_a_published_resource_stays(city: Session) -> None:
    admin = actor(city, "admin")
    made = register(city)
    service.publish_resource(city, admin, made.id)
    without_year = (TAX_FIELDS[0], FieldDraft("年度", "reporting_year"), *TAX_FIELDS[2:])
    with pytest.raises(ValidationFailed) as caught:
        service.update_resource(city, admin, made.id, draft(fields=without_year))
    assert [p.field for p in caught.value.fields] == ["fields"]
    assert made.pending is None


def test_a_retired_element_stays_bound_but_cannot_be_bound_anew(city: Session) -> None:
    admin = actor(city, "admin")
    made = register(city)
    service.publish_resource(city, admin, made.id)
    set_element_active(city, SYSTEM, "annual_revenue", False)
    service.update_resource(city, admin, made.id, draft(name="企业年度纳税信息（修订）"))  # kept binding: fine
    with pytest.raises(ValidationFailed):
        register(city, name="另一个资源")


def test_drafts_are_seen_only_by_those_who_manage_them(city: Session) -> None:
    hidden = register(city, "steward", "350200-SCJGJ", name="市场主体登记信息")
    published = register(city, "admin", "350200-SWJ")
    service.publish_resource(city, actor(city, "admin"), published.id)
    for who, expected in (("steward", 2), ("admin", 2), ("officer", 1), ("leader", 1), ("fz_admin", 1)):
        assert service.search_resources(city, actor(city, who)).total == expected, who
    with pytest.raises(PermissionDenied):
        service.get_resource(city, actor(city, "officer"), hidden.code)
    assert service.get_resource(city, actor(city, "officer"), published.code).id == published.id


def test_search_in_chinese_with_filters(city: Session) -> None:
    admin = actor(city, "admin")
    tax = register(city)
    registry = register(
        city,
        dept="350200-SCJGJ",
        name="市场主体登记信息",
        abstract="本市企业的登记事项，含名称和注册资本。",
        resource_type="base",
        sharing_type="unconditional",
        sharing_condition="",
        update_cycle="daily",
        fields=(FieldDraft("统一社会信用代码", "uscc", is_subject=True), FieldDraft("企业名称", "enterprise_name")),
    )
    staff = register(
        city,
        dept="350200-RSJ",
        name="参保职工人数",
        abstract="按月统计的参保人数。",
        resource_type="theme",
        fields=(FieldDraft("统一社会信用代码", "uscc", is_subject=True), FieldDraft("参保人数", "insured_headcount")),
    )
    for made in (tax, registry, staff):
        service.publish_resource(city, admin, made.id)

    def found(**filters: Any) -> list[str]:
        result = service.search_resources(city, admin, service.ResourceFilter(**filters))
        return [r.name for r in result.items]

    assert found(query="纳税") == ["企业年度纳税信息"]
    assert found(query="营业收入") == ["企业年度纳税信息"]  # a field name
    assert found(query="年度营业收入") == ["企业年度纳税信息"]  # the element's name
    assert found(query="revenue") == ["企业年度纳税信息"]  # the element's English name
    assert found(query="税务局 纳税") == ["企业年度纳税信息"]  # the provider's name
    assert found(query="企业 登记") == ["市场主体登记信息"]
    assert found(query="纳税 登记") == []  # every word must match
    assert found(query="350200-SCJGJ-0001") == ["市场主体登记信息"]
    assert found(query="统一社会信用代码") == ["参保职工人数", "市场主体登记信息", "企业年度纳税信息"]  # by code
    assert found(provider_org_id=org(city, "350200-RSJ").id) == ["参保职工人数"]
    assert found(resource_type=ResourceType.BASE) == ["市场主体登记信息"]
    assert found(sharing_type=SharingType.CONDITIONAL) == ["参保职工人数", "企业年度纳税信息"]
    assert found(element="annual_revenue") == ["企业年度纳税信息"]
    assert found(element="DE00302", query="人数") == ["参保职工人数"]
    assert found(element="uscc", sharing_type=SharingType.UNCONDITIONAL) == ["市场主体登记信息"]
    assert found(query="纳税", status=ResourceStatus.DRAFT) == []
    service.retire_resource(city, admin, registry.id)
    assert found(query="登记") == []
    assert found(query="登记", status=ResourceStatus.RETIRED) == ["市场主体登记信息"]
    page = service.search_resources(city, admin, page=2, page_size=1)
    assert (page.total, page.pages, len(page.items)) == (2, 2, 1)
