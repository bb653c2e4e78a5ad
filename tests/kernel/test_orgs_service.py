"""The organisation tree: GB/T 2260 placement, departments, rename, deactivate, scope."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.support.actors import SYSTEM, actions, actor, fields_of, last_event, org

from tongban.kernel.errors import Conflict, NotAuthenticated, PermissionDenied, ValidationFailed
from tongban.kernel.orgs import service as orgs
from tongban.kernel.orgs.models import OrgKind, RegionLevel
from tongban.kernel.permissions import Actor

# --- regions: GB/T 2260 placement ---------------------------------------------------------


def test_district_is_created_under_its_city(db: Session, demo_city: dict[str, Any]) -> None:
    xiamen = org(db, "350200")
    created = orgs.create_region(db, actor(db, "admin"), code="350214", name="测试区", parent_id=xiamen.id)
    db.commit()
    assert created.level is RegionLevel.COUNTY
    assert created.kind is OrgKind.REGION
    assert created.region_code == "350214"
    assert created.parent_id == xiamen.id
    assert created.path == f"{xiamen.path}{created.id}/"
    event = last_event(db)
    assert (event.action, event.object_id, event.actor_label) == ("org.create", str(created.id), "admin")


@pytest.mark.parametrize(
    ("code", "parent", "field", "why"),
    [
        ("350102", "350200", "code", "鼓楼区 belongs to 福州, not 厦门"),
        ("350000", "350200", "code", "a province cannot sit under a city"),
        ("350300", "350200", "code", "a city cannot sit under a city"),
        ("350299", "350203", "code", "a county cannot sit under a county"),
        ("3502", "350200", "code", "a region code has six digits"),
        ("35020A", "350200", "code", "a region code is digits only"),
        ("350214", "350200-SCJGJ", "parent_id", "a region cannot sit under a department"),
    ],
)
def test_region_placement_is_refused(
    db: Session, demo_city: dict[str, Any], code: str, parent: str, field: str, why: str
) -> None:
    before = actions(db)
    with pytest.raises(ValidationFailed) as refused:
        orgs.create_region(db, SYSTEM, code=code, name="某地", parent_id=org(db, parent).id)
    assert field in fields_of(refused.value), why
    db.rollback()
    assert actions(db) == before


def test_county_directly_under_a_province_is_refused_when_its_city_exists(
    db: Session, demo_city: dict[str, Any]
) -> None:
    """350215 is a county of 厦门 (3502): with 厦门市 in the tree it must go under 厦门市, not 福建省."""
    with pytest.raises(ValidationFailed) as refused:
        orgs.create_region(db, SYSTEM, code="350215", name="某区", parent_id=org(db, "350000").id)
    assert "parent_id" in fields_of(refused.value)
    db.rollback()
    with pytest.raises(ValidationFailed):
        orgs.create_region(db, SYSTEM, code="350300", name="莆田市", parent_id=org(db, "000000").id)


def test_province_administered_county_and_municipal_district_sit_under_the_province(
    db: Session, demo_city: dict[str, Any]
) -> None:
    """GB/T 2260 hangs 省直辖县级行政区划 and the districts of a 直辖市 directly under the province."""
    nation = org(db, "000000")
    hainan = orgs.create_region(db, SYSTEM, code="460000", name="海南省", parent_id=nation.id)
    wuzhishan = orgs.create_region(db, SYSTEM, code="469001", name="五指山市", parent_id=hainan.id)
    beijing = orgs.create_region(db, SYSTEM, code="110000", name="北京市", parent_id=nation.id)
    dongcheng = orgs.create_region(db, SYSTEM, code="110101", name="东城区", parent_id=beijing.id)
    db.commit()
    assert wuzhishan.level is RegionLevel.COUNTY and wuzhishan.parent_id == hainan.id
    assert dongcheng.level is RegionLevel.COUNTY and dongcheng.parent_id == beijing.id


def test_region_code_is_unique(db: Session, demo_city: dict[str, Any]) -> None:
    with pytest.raises(Conflict) as refused:
        orgs.create_region(db, SYSTEM, code="350203", name="思明区", parent_id=org(db, "350200").id)
    assert refused.value.code == "org_code_taken"


# --- departments ----------------------------------------------------------------------------


def test_department_takes_its_region_code_and_level(db: Session, demo_city: dict[str, Any]) -> None:
    siming = org(db, "350203")
    dept = orgs.create_department(
        db, actor(db, "admin"), parent_id=siming.id, code_suffix=" swj ", name="税务局"
    )
    db.commit()
    assert dept.code == "350203-SWJ"
    assert (dept.kind, dept.level, dept.region_code) == (OrgKind.DEPARTMENT, RegionLevel.COUNTY, "350203")
    assert dept.path.startswith(siming.path)


@pytest.mark.parametrize(
    ("parent", "suffix", "name", "field"),
    [
        ("350200", "X", "某局", "code"),
        ("350200", "市场局", "某局", "code"),
        ("350200", "NEWJ", "   ", "name"),
        ("350200", "NEWJ", "局" * 101, "name"),
        ("350200-SCJGJ", "NEWJ", "某科", "parent_id"),
    ],
)
def test_bad_department_is_refused(
    db: Session, demo_city: dict[str, Any], parent: str, suffix: str, name: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        orgs.create_department(db, SYSTEM, parent_id=org(db, parent).id, code_suffix=suffix, name=name)
    assert field in fields_of(refused.value)


def test_department_code_is_unique_within_a_region(db: Session, demo_city: dict[str, Any]) -> None:
    with pytest.raises(Conflict):
        orgs.create_department(db, SYSTEM, parent_id=org(db, "350200").id, code_suffix="SCJGJ", name="重复")
    db.rollback()
    # the same short code in another region is a different department
    created = orgs.create_department(
        db, SYSTEM, parent_id=org(db, "350205").id, code_suffix="SCJGJ", name="海沧区市场监督管理局"
    )
    assert created.code == "350205-SCJGJ"


# --- rename ---------------------------------------------------------------------------------


def test_rename_cleans_the_name_and_records_old_and_new(db: Session, demo_city: dict[str, Any]) -> None:
    tax = org(db, "350200-SWJ")
    orgs.rename(db, actor(db, "admin"), tax.id, "  国家税务总局厦门市税务局  （新）")
    db.commit()
    assert org(db, "350200-SWJ").name == "国家税务总局厦门市税务局 （新）"
    event = last_event(db)
    assert event.action == "org.rename"
    assert "国家税务总局厦门市税务局" in event.summary and "（新）" in event.summary


def test_rename_to_the_same_name_records_nothing(db: Session, demo_city: dict[str, Any]) -> None:
    before = actions(db)
    orgs.rename(db, actor(db, "admin"), org(db, "350200-SWJ").id, "国家税务总局厦门市税务局")
    db.commit()
    assert actions(db) == before


def test_rename_to_an_empty_name_is_refused(db: Session, demo_city: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        orgs.rename(db, actor(db, "admin"), org(db, "350200-SWJ").id, " \t ")
    assert "name" in fields_of(refused.value)


# --- deactivate -----------------------------------------------------------------------------


def test_region_with_active_children_cannot_be_deactivated(db: Session, demo_city: dict[str, Any]) -> None:
    with pytest.raises(Conflict) as refused:
        orgs.set_active(db, actor(db, "province_admin"), org(db, "350200").id, False)
    assert refused.value.code == "org_has_active_children"
    db.rollback()
    assert org(db, "350200").active


def test_leaf_department_is_deactivated_and_reactivated(db: Session, demo_city: dict[str, Any]) -> None:
    admin = actor(db, "admin")
    target = org(db, "350206-SCJGJ")
    orgs.set_active(db, admin, target.id, False)
    db.commit()
    assert not org(db, "350206-SCJGJ").active
    assert actions(db)[-1] == "org.deactivate"
    # a deactivated child no longer blocks its parent
    orgs.set_active(db, admin, org(db, "350206").id, False)
    db.commit()
    assert not org(db, "350206").active
    orgs.set_active(db, admin, org(db, "350206").id, True)
    orgs.set_active(db, admin, target.id, True)
    db.commit()
    assert org(db, "350206-SCJGJ").active
    assert actions(db)[-2:] == ["org.activate", "org.activate"]


def test_admin_cannot_deactivate_the_region_they_administer(db: Session, demo_city: dict[str, Any]) -> None:
    admin = actor(db, "admin")
    for code in ("350200-KJJ", "350200-GXJ"):
        orgs.set_active(db, admin, org(db, code).id, False)
    with pytest.raises(Conflict) as refused:
        orgs.set_active(db, admin, org(db, "350200").id, False)
    assert refused.value.code in {"org_own_scope", "org_has_active_children"}
    db.rollback()
    # even once everything under it is deactivated, an administrator keeps their own scope root
    fz = actor(db, "fz_admin")
    for code in ("350102", "350100-SCJGJ"):
        orgs.set_active(db, SYSTEM, org(db, code).id, False)
    with pytest.raises(Conflict) as refused:
        orgs.set_active(db, fz, org(db, "350100").id, False)
    assert refused.value.code == "org_own_scope"


def test_admin_cannot_deactivate_their_own_department(db: Session, demo_city: dict[str, Any]) -> None:
    """Deactivating one's own department would lock the administrator out at once."""
    with pytest.raises(Conflict) as refused:
        orgs.set_active(db, actor(db, "admin"), org(db, "350200-DSJJ").id, False)
    assert refused.value.code == "org_own_scope"


def test_no_active_organisation_under_a_deactivated_one(db: Session, demo_city: dict[str, Any]) -> None:
    admin = actor(db, "admin")
    huli = org(db, "350206")
    orgs.set_active(db, admin, org(db, "350206-SCJGJ").id, False)
    orgs.set_active(db, admin, huli.id, False)
    db.commit()
    with pytest.raises(Conflict):
        orgs.set_active(db, admin, org(db, "350206-SCJGJ").id, True)
    db.rollback()
    with pytest.raises(ValidationFailed) as refused:
        orgs.create_department(db, admin, parent_id=huli.id, code_suffix="SWJ", name="湖里区税务局")
    assert "parent_id" in fields_of(refused.value)
    db.rollback()
    putian = orgs.create_region(db, SYSTEM, code="350300", name="莆田市", parent_id=org(db, "350000").id)
    orgs.set_active(db, SYSTEM, putian.id, False)
    with pytest.raises(ValidationFailed) as refused:
        orgs.create_region(db, SYSTEM, code="350302", name="城厢区", parent_id=putian.id)
    assert "parent_id" in fields_of(refused.value)


# --- scope ----------------------------------------------------------------------------------


def test_xiamen_admin_cannot_create_under_fuzhou(db: Session, demo_city: dict[str, Any]) -> None:
    admin = actor(db, "admin")
    with pytest.raises(PermissionDenied) as refused:
        orgs.create_department(
            db, admin, parent_id=org(db, "350100").id, code_suffix="SWJ", name="福州市税务局"
        )
    assert refused.value.code == "outside_scope"
    with pytest.raises(PermissionDenied) as refused:
        orgs.create_region(db, admin, code="350103", name="台江区", parent_id=org(db, "350100").id)
    assert refused.value.code == "outside_scope"
    with pytest.raises(PermissionDenied) as refused:
        orgs.rename(db, admin, org(db, "350100-SCJGJ").id, "改名")
    assert refused.value.code == "outside_scope"
    with pytest.raises(PermissionDenied) as refused:
        orgs.create_region(db, admin, code="360000", name="江西省", parent_id=None)
    assert refused.value.code == "outside_scope"


def test_province_admin_acts_for_every_city_of_the_province(db: Session, demo_city: dict[str, Any]) -> None:
    province = actor(db, "province_admin")
    orgs.create_department(
        db, province, parent_id=org(db, "350100").id, code_suffix="SWJ", name="福州市税务局"
    )
    orgs.rename(db, province, org(db, "350200-TJJ").id, "厦门市统计局（新）")
    db.commit()
    assert org(db, "350100-SWJ").name == "福州市税务局"


@pytest.mark.parametrize("username", ["officer", "steward", "leader", "fz_officer", "enterprise", "citizen"])
def test_only_administrators_manage_organisations(
    db: Session, demo_city: dict[str, Any], username: str
) -> None:
    someone = actor(db, username)
    with pytest.raises(PermissionDenied) as refused:
        orgs.create_department(db, someone, parent_id=org(db, "350200").id, code_suffix="NEWJ", name="新局")
    assert refused.value.code == "permission_denied"
    with pytest.raises(PermissionDenied):
        orgs.rename(db, someone, org(db, "350200-SCJGJ").id, "改名")
    with pytest.raises(PermissionDenied):
        orgs.set_active(db, someone, org(db, "350206-SCJGJ").id, False)


def test_anonymous_must_log_in(db: Session, demo_city: dict[str, Any]) -> None:
    with pytest.raises(NotAuthenticated):
        orgs.list_orgs(db, Actor.anonymous())
    with pytest.raises(NotAuthenticated):
        orgs.create_department(
            db, Actor.anonymous(), parent_id=org(db, "350200").id, code_suffix="NEWJ", name="x"
        )


# --- listing --------------------------------------------------------------------------------


def test_directory_filters_and_pages(db: Session, demo_city: dict[str, Any]) -> None:
    officer = actor(db, "officer")
    everything = orgs.list_orgs(db, officer, page_size=200)
    assert everything.total == len(demo_city)
    # ordered as a tree: every organisation comes after its parent
    seen: set[int] = set()
    for item in everything.items:
        assert item.parent_id is None or item.parent_id in seen
        seen.add(item.id)
    departments = orgs.list_orgs(db, officer, kind=OrgKind.DEPARTMENT, page_size=200)
    assert departments.items and all(o.kind is OrgKind.DEPARTMENT for o in departments.items)
    found = orgs.list_orgs(db, officer, query="市场监督")
    assert {o.code for o in found.items} == {"350200-SCJGJ", "350203-SCJGJ", "350206-SCJGJ", "350100-SCJGJ"}
    assert {o.code for o in orgs.list_orgs(db, officer, query="3501").items} >= {"350100", "350102"}
    page_two = orgs.list_orgs(db, officer, page=2, page_size=10)
    assert page_two.page == 2 and len(page_two.items) == 10 and page_two.has_next and page_two.has_previous
    assert [o.id for o in page_two.items] == [o.id for o in everything.items[10:20]]
    children = orgs.list_orgs(db, officer, parent_id=org(db, "350100").id)
    assert {o.code for o in children.items} == {"350102", "350100-DSJJ", "350100-SCJGJ"}
