"""Profiles, pure: aggregations, tags, conflicts, yearly history and self-declared values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tongban.governance.conflicts_domain import ResolutionKind, ResolutionRule
from tongban.profiles import domain
from tongban.profiles.attributes import AttributeType, builtin_registry
from tongban.profiles.domain import Row, SourceSpec
from tongban.rules import columns

T0 = datetime(2026, 1, 5, tzinfo=UTC)
YEARS = columns.history_years(date(2026, 6, 1))
REGISTRY = builtin_registry()


def row(record_id: int, values: dict[str, Any], *, resource: str = "R1", days: int = 0) -> Row:
    return Row(record_id, resource, "部门", values, T0 + timedelta(days=days))


def spec(**item: Any) -> SourceSpec:
    return SourceSpec.from_dict({"attribute": "revenue", "resource": "R1", **item})


def test_money_is_exact_fen() -> None:
    assert domain.canonical(AttributeType.MONEY, "1234.565") == 123457
    assert domain.canonical(AttributeType.MONEY, "-0.005") == -1
    assert domain.canonical(AttributeType.MONEY, "") is None
    assert domain.canonical(AttributeType.COUNT, "12") == 12
    assert domain.canonical(AttributeType.DATE, "2024-02-29") == "2024-02-29"
    assert domain.canonical(AttributeType.REGION, " 350203 ") == "350203"


def test_sum_per_year_keeps_the_history_window() -> None:
    source = spec(field="v", aggregation="sum_per_year", year={"field": "y"})
    rows = [row(i, {"v": str(i * 100), "y": y}) for i, y in enumerate((2019, 2021, 2024, 2024, 2025), 1)]
    got = domain.aggregate(source, AttributeType.MONEY, rows, YEARS)
    assert {y: s.value for y, s in got.items()} == {2021: 20000, 2024: 70000, 2025: 50000}
    assert min(YEARS) <= 2026 - 3  # growth and "first time" see at least three years back


def test_latest_and_conditions() -> None:
    source = spec(field="v", aggregation="latest", where=[{"field": "s", "op": "eq", "value": "ok"}])
    rows = [
        row(1, {"v": "a", "s": "ok"}, days=1),
        row(2, {"v": "b", "s": "no"}, days=5),
        row(3, {"v": None, "s": "ok"}, days=9),
    ]
    got = domain.aggregate(source, AttributeType.CODE, rows, YEARS)
    assert got[None].value == "a" and got[None].record_id == 1


def test_count_related_with_a_months_condition() -> None:
    source = SourceSpec.from_dict(
        {
            "attribute": "qualifying_hires",
            "resource": "H",
            "aggregation": "count_related",
            "subject_field": "u",
            "year": {"field": "d", "date": True},
            "where": [
                {"field": "r", "op": "months_before", "other": "d", "months": 6},
                {"field": "m", "op": "ge", "value": 12},
                {"field": "p", "op": "true"},
            ],
        }
    )
    hires = [
        row(1, {"d": "2025-03-31", "r": "2024-09-30", "m": 12, "p": True}),  # exactly six months
        row(2, {"d": "2025-03-31", "r": "2024-10-01", "m": 12, "p": True}),  # not quite
        row(3, {"d": "2025-05-01", "r": "2024-01-01", "m": 6, "p": True}),  # contract too short
        row(4, {"d": "2024-05-01", "r": "2023-01-01", "m": 36, "p": True}),
    ]
    got = domain.aggregate(source, AttributeType.COUNT, hires, YEARS)
    assert {y: s.value for y, s in got.items()} == {2025: 1, 2024: 1}
    complete = domain.aggregate(
        SourceSpec(**{**source.__dict__, "full_coverage": True}), AttributeType.COUNT, [], YEARS
    )
    assert {s.value for s in complete.values()} == {0} and set(complete) == set(YEARS)


def test_exists_on_a_complete_list() -> None:
    source = SourceSpec.from_dict(
        {
            "attribute": "serious_dishonesty",
            "resource": "F",
            "aggregation": "exists",
            "where": [{"field": "s", "op": "eq", "value": "列入"}],
        }
    )
    listed = [row(1, {"s": "已移出"})]
    assert domain.aggregate(source, AttributeType.BOOL, listed, YEARS) == {}  # a partial list: unknown
    full = SourceSpec(**{**source.__dict__, "full_coverage": True})
    assert domain.aggregate(full, AttributeType.BOOL, listed, YEARS)[None].value is False
    assert domain.aggregate(full, AttributeType.BOOL, [row(2, {"s": "列入"})], YEARS)[None].value is True


intervals = st.lists(
    st.tuples(
        st.dates(date(2015, 1, 1), date(2026, 12, 31)),
        st.one_of(st.none(), st.integers(0, 1500)),
    ).map(lambda p: (p[0], None if p[1] is None else p[0] + timedelta(days=p[1]))),
    min_size=1,
    max_size=6,
)


@given(intervals)
def test_merged_tag_intervals_are_the_latest_run_of_days(spans: list[tuple[date, date | None]]) -> None:
    merged = domain.merge_intervals(spans)
    assert merged is not None
    horizon = date(2031, 12, 31)
    covered = {
        since + timedelta(days=d)
        for since, until in spans
        for d in range(((until or horizon) - since).days + 1)
    }
    latest_start = max(s for s, _ in spans)
    # the merged run starts at a covered day whose previous day is not covered, and contains the
    # latest interval's start; it ends where coverage ends (open when an interval is open-ended)
    since, until = merged
    assert since in covered and since - timedelta(days=1) not in covered
    assert since <= latest_start
    assert all(since + timedelta(days=d) in covered for d in range((latest_start - since).days + 1))
    if until is None:
        assert any(u is None for _, u in spans)
    else:
        assert until in covered and until + timedelta(days=1) not in covered


def test_conflicting_sources_use_the_rule_and_say_why() -> None:
    sources = [
        SourceSpec.from_dict(
            {"attribute": "industry", "resource": "A", "field": "i", "aggregation": "latest"}
        ),
        SourceSpec.from_dict(
            {"attribute": "industry", "resource": "B", "field": "i", "aggregation": "latest"}
        ),
    ]
    rows = {"A": [row(1, {"i": "3911"}, resource="A")], "B": [row(2, {"i": "3912"}, resource="B", days=3)]}
    recent = domain.build_profile(REGISTRY, sources, rows, years=YEARS)[("industry", None)]
    assert (recent.value, recent.reason, recent.conflict) == ("3912", "most_recent", True)
    rule = ResolutionRule(ResolutionKind.AUTHORITATIVE, "A")
    chosen = domain.build_profile(REGISTRY, sources, rows, years=YEARS, rules={"industry": rule})
    picked = chosen[("industry", None)]
    assert picked.value == "3911" and picked.source is not None and picked.source.resource == "A"
    manual = ResolutionRule(ResolutionKind.MANUAL)
    assert (
        domain.build_profile(REGISTRY, sources, rows, years=YEARS, rules={"industry": manual})[
            ("industry", None)
        ].value
        is None
    )


@given(
    shared=st.dictionaries(st.sampled_from(list(YEARS)), st.integers(0, 10**12), max_size=4),
    declared=st.dictionaries(st.sampled_from(list(YEARS)), st.integers(0, 10**12), max_size=4),
)
def test_self_declared_values_never_override_shared_data(
    shared: dict[int, int], declared: dict[int, int]
) -> None:
    source = spec(field="v", aggregation="latest_per_year", year={"field": "y"})
    rows = {"R1": [row(i, {"v": str(v), "y": y}) for i, (y, v) in enumerate(shared.items(), 1)]}
    claims: dict[tuple[str, int | None], Any] = {("revenue", y): v * 100 for y, v in declared.items()}
    claims[("net_profit", 2025)] = 7
    profile = domain.build_profile(REGISTRY, [source], rows, years=YEARS, declared=claims)
    for year in YEARS:
        entry = profile.get(("revenue", year))
        if year in shared:
            assert entry is not None and not entry.self_declared and entry.value == shared[year] * 100
        else:  # a department provides revenue: a declaration does not fill its gaps either
            assert entry is None
    assert profile[("net_profit", 2025)].self_declared  # nobody provides net profit
    row_ = domain.to_row(REGISTRY, profile, date(2026, 6, 1))
    assert "net_profit@2025" not in row_  # the snapshot layout holds shared data only


def test_freshness_follows_the_update_cycle() -> None:
    moment = T0 + timedelta(days=10)
    assert domain.freshness(T0, "daily", moment) == "stale"
    assert domain.freshness(T0, "monthly", moment) == "fresh"
    assert domain.freshness(T0 - timedelta(days=400), "yearly", moment) == "ageing"
    assert domain.freshness(None, "yearly", moment) == "unknown"


def test_changes_separate_values_from_lineage() -> None:
    a = domain.Entry("revenue", 2025, 100, domain.Sourced(100, "R", "d", "f", 1, T0))
    b = domain.Entry("revenue", 2025, 100, domain.Sourced(100, "R", "d", "f", 2, T0 + timedelta(days=1)))
    key = ("revenue", 2025)
    assert domain.changed_attributes({key: a}, {key: b}) == []
    assert domain.changed_attributes({key: a}, {key: b}, values_only=False) == ["revenue"]
    assert domain.changed_attributes({key: a}, {}) == ["revenue"]
