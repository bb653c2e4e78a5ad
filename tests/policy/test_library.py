"""The public library: Chinese full-text search over live items (FTS5 / PostgreSQL full text),
filters and facet counts, ranking, withdrawn items gone at once, item pages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.policy.world import item_fields, policy_fields
from tests.support.actors import actor
from tongban.kernel.clock import Clock
from tongban.kernel.errors import NotFound, ValidationFailed
from tongban.policy import jobs, library, library_index, service
from tongban.policy.domain import WindowState
from tongban.policy.library import ItemGone, LibraryFilters
from tongban.rules import files

MOMENT = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 2026-06-01 in 厦门
RULES = Path(library.__file__).parents[1] / "demo" / "rules"


def rule_texts(name: str) -> tuple[str, str]:
    """The condition and amount texts of a demo rule file (``e02`` → e02_*.rules)."""
    path = next(RULES.glob(f"{name}_*.rules"))
    source = path.read_text("utf-8")
    files.read_rule_file(path)  # the file checks
    found, _ = files.sections(source)

    def part(section: str) -> str:
        if section not in found:
            return ""
        start, end = found[section]
        lines = [line.split("#", 1)[0].rstrip() for line in source[start:end].splitlines()]
        return "\n".join(line.strip() for line in lines if line.strip())

    return part("condition"), part("amount")


def new_policy(session: Session, **changes: Any) -> int:
    return service.create_policy(session, actor(session, "policy_officer"), policy_fields(**changes)).id


def publish(session: Session, policy_id: int, rule: str = "e01", **changes: Any) -> str:
    """Draft as policy_officer, submit, approve as policy_reviewer; the item's public code."""
    condition, amount = rule_texts(rule)
    fields = item_fields(condition_text=condition, amount_text=amount, **changes)
    officer, reviewer = actor(session, "policy_officer"), actor(session, "policy_reviewer")
    version = service.create_item(session, officer, policy_id, fields)
    service.submit(session, officer, version.id)
    service.approve(session, reviewer, version.id)
    return service.get_item(session, version.item_id).code


def build_library(session: Session) -> dict[str, str]:
    """Five live items of two policies (city and 思明区), one in each window state."""
    city = new_policy(session)
    district = new_policy(
        session,
        title="思明区促进就业若干措施",
        doc_number="思府〔2026〕7号",
        issuer="思明区人民政府",
        region_code="350203",
    )
    codes = {
        "e1": publish(session, city, "e01"),
        "e2": publish(
            session,
            city,
            "e02",
            title="高新技术企业研发费用补助",
            summary="按研发费用的10%给予补助。",
            support_types=("innovation", "subsidy"),
            industries=(),
            window_closes=date(2026, 6, 10),
            materials=("研发费用专项审计报告",),
            exclusive_group="研发",
        ),
        "e10": publish(
            session,
            city,
            "e10",
            title="省级技术改造专项资金市级配套",
            summary="按省级支持金额配套。",
            industries=("C",),
            materials=("研发投入情况说明", "省级资金下达文件"),
            exclusive_group="研发",
        ),
        "e5": publish(
            session,
            district,
            "e05",
            title="小微企业一次性吸纳就业补贴",
            summary="每人1000元。",
            support_types=("employment",),
            industries=(),
            sizes=("small", "micro"),
            no_application=True,
            window_opens=date(2026, 7, 1),
            window_closes=None,
        ),
        "e8": publish(
            session,
            district,
            "e08",
            title="失业保险稳岗返还",
            summary="返还60%。",
            support_types=("employment",),
            industries=(),
            window_opens=date(2026, 1, 1),
            window_closes=date(2026, 5, 15),
        ),
    }
    session.commit()
    return codes


@pytest.fixture
def shelf(
    demo_city: dict[str, Any], db: Session, frozen_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    frozen_clock.freeze(MOMENT)
    monkeypatch.setattr(jobs, "match_items", lambda *args, **kwargs: None)
    return build_library(db)


def codes(page: library.LibraryPage) -> list[str]:
    return [hit.code for hit in page.items]


def test_chinese_words_find_the_items_that_hold_them(db: Session, shelf: dict[str, str]) -> None:
    # E1's title holds 规模以上 whole; E5 only its parts (企业规模 …, 1年以上): E1 first
    assert codes(library.search(db, "规模以上"))[0] == shelf["e1"]
    assert codes(library.search(db, "一次性奖励")) == [shelf["e1"]]
    assert set(codes(library.search(db, "研发"))) == {shelf["e2"], shelf["e10"]}
    assert codes(library.search(db, "吸纳就业")) == [shelf["e5"]]
    # every word must match: 研发 and 就业 are in no item together
    assert codes(library.search(db, "研发 就业")) == []
    assert library.search(db, "无人机低空经济").total == 0


def test_the_better_match_comes_first(db: Session, shelf: dict[str, str]) -> None:
    """研发 is in E2's title, only in E10's materials: E2 first, on both databases."""
    assert codes(library.search(db, "研发")) == [shelf["e2"], shelf["e10"]]


def test_an_empty_query_lists_every_live_item_open_first(db: Session, shelf: dict[str, str]) -> None:
    page = library.search(db, "")
    assert page.total == 5
    states = [hit.window_state for hit in page.items]
    assert states[0] is WindowState.CLOSING_SOON and states[-1] is WindowState.CLOSED
    assert {hit.code: hit.window_state for hit in page.items}[shelf["e5"]] is WindowState.UPCOMING


def test_filters_narrow_and_facets_count(db: Session, shelf: dict[str, str]) -> None:
    # a city's search includes its districts' policies; a district only its own
    assert library.search(db, "", LibraryFilters(region="350200")).total == 5
    assert set(codes(library.search(db, "", LibraryFilters(region="思明区")))) == {shelf["e5"], shelf["e8"]}
    # an item for section C is found from division 39; items without industries are for all
    found = set(codes(library.search(db, "", LibraryFilters(industry="39"))))
    assert found == {shelf["e1"], shelf["e10"], shelf["e2"], shelf["e5"], shelf["e8"]}
    assert shelf["e1"] not in codes(library.search(db, "", LibraryFilters(industry="F")))
    assert codes(library.search(db, "", LibraryFilters(no_application=True))) == [shelf["e5"]]
    assert codes(library.search(db, "", LibraryFilters(window="closed"))) == [shelf["e8"]]
    assert codes(library.search(db, "", LibraryFilters(size="large"))) == [
        c for c in codes(library.search(db, "")) if c != shelf["e5"]
    ]
    employment = library.search(db, "", LibraryFilters(support_type="employment"))
    assert set(codes(employment)) == {shelf["e5"], shelf["e8"]}
    facets = {f.value: f.count for f in employment.facets["support_type"]}
    # a dimension is counted without its own filter: choosing "innovation" instead would give 1
    assert facets["employment"] == 2 and facets["subsidy"] == 3 and facets["innovation"] == 1
    windows = {f.value: f.count for f in employment.facets["window"]}
    assert windows == {"upcoming": 1, "closed": 1}
    regions = {f.value: f.count for f in library.search(db, "").facets["region"]}
    assert regions == {"350200": 5, "350203": 2}


def test_bad_filters_are_field_errors(db: Session, shelf: dict[str, str]) -> None:
    with pytest.raises(ValidationFailed) as error:
        library.search(db, "", LibraryFilters(region="火星", window="soon", industry="ZZ"))
    assert {p.field for p in error.value.fields} == {"region", "window", "industry"}


def test_withdrawn_items_disappear_at_once_and_their_page_says_so(db: Session, shelf: dict[str, str]) -> None:
    item = service.get_item_by_code(db, shelf["e1"])
    service.withdraw(db, actor(db, "policy_reviewer"), item.id, "政策调整")
    assert shelf["e1"] not in codes(library.search(db, "规模以上"))  # same transaction, at once
    with pytest.raises(ItemGone) as error:
        library.item_page(db, shelf["e1"])
    assert error.value.status == 410
    db.commit()
    assert shelf["e1"] not in codes(library.search(db, ""))


def test_an_edit_replaces_the_indexed_words(db: Session, shelf: dict[str, str]) -> None:
    officer, reviewer = actor(db, "policy_officer"), actor(db, "policy_reviewer")
    item = service.get_item_by_code(db, shelf["e10"])
    live = service.live_version(db, item)
    assert live is not None
    second = service.edit_item(
        db,
        officer,
        item.id,
        service.copy_fields(live, title="技术改造设备补助", summary="按设备投资额补助。"),
    )
    service.submit(db, officer, second.id)
    service.approve(db, reviewer, second.id)
    assert codes(library.search(db, "设备")) == [shelf["e10"]]
    assert codes(library.search(db, "配套")) == []


def test_rebuild_restores_the_index(db: Session, shelf: dict[str, str]) -> None:
    db.execute(text("DELETE FROM policy_search"))
    assert library.search(db, "研发").total == 0
    assert library_index.rebuild(db) == 5
    assert codes(library.search(db, "研发")) == [shelf["e2"], shelf["e10"]]


def test_item_page_describes_conditions_and_links_siblings(db: Session, shelf: dict[str, str]) -> None:
    page = library.item_page(db, shelf["e2"])
    assert "高新技术企业" in page.conditions
    assert "100万" in page.amount and "10%" in page.amount
    assert page.window_state is WindowState.CLOSING_SOON
    assert {link.code for link in page.same_policy} == {shelf["e1"], shelf["e10"]}
    assert [link.code for link in page.exclusive_with] == [shelf["e10"]]
    english = library.item_page(db, shelf["e2"], "en")
    assert "high-tech" in english.conditions.lower() or "High" in english.conditions


def test_drafts_are_not_public(db: Session, shelf: dict[str, str]) -> None:
    policy = new_policy(db)
    draft = service.create_item(db, actor(db, "policy_officer"), policy, item_fields(title="草稿事项"))
    code = service.get_item(db, draft.item_id).code
    with pytest.raises(NotFound):
        library.item_page(db, code)
    assert code not in codes(library.search(db, "草稿"))
