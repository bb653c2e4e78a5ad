"""Pure quality checks: each rule kind over rows, the built-in rules of a resource, checking a
steward's rule, and scores (property-based where inputs vary)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongban.catalog.domain import ElementSpec
from tongban.catalog.models import ElementType, Sensitivity, SharingType, SubjectKind, UpdateCycle
from tongban.catalog.schema import FieldSchema, ResourceSchema
from tongban.governance import quality_domain as qd
from tongban.governance.quality_models import RuleKind
from tongban.governance.quality_rules import built_in_rules, describe, validate_rule
from tongban.kernel.errors import ValidationFailed


def fs(name: str, element: str, kind: ElementType, **flags: object) -> FieldSchema:
    spec = ElementSpec(kind, None, flags.pop("code_list", None), flags.pop("validator", None))  # type: ignore[arg-type]
    return FieldSchema(
        name=name,
        element_key=element,
        spec=spec,
        sensitivity=Sensitivity.INTERNAL,
        is_key=bool(flags.get("key")),
        is_subject=bool(flags.get("subject")),
        required=bool(flags.get("key") or flags.get("subject")),
    )


def schema(resource_id: int = 1, code: str = "R1") -> ResourceSchema:
    return ResourceSchema(
        resource_id=resource_id,
        code=code,
        name="企业经营信息",
        provider_org_id=1,
        subject_kind=SubjectKind.USCC,
        sharing_type=SharingType.CONDITIONAL,
        full_coverage=False,
        version=1,
        fields=(
            fs("统一社会信用代码", "uscc", ElementType.TEXT, validator="uscc", subject=True),
            fs("年度", "reporting_year", ElementType.INTEGER, key=True),
            fs("营业收入", "annual_revenue", ElementType.MONEY),
            fs("研发费用", "rd_expense", ElementType.MONEY),
            fs("行业", "industry", ElementType.CODE, code_list="industry"),
            fs("住所", "registered_address", ElementType.TEXT),
        ),
    )


TODAY = date(2026, 11, 27)
CONTEXT = qd.Context(TODAY, UpdateCycle.YEARLY, datetime(2026, 11, 1, tzinfo=UTC))


def row(key: str, subject: str | None = "S1", **values: object) -> qd.Row:
    return qd.Row(key, subject, values)


def run(kind: RuleKind, field: str = "", rows: list[qd.Row] | None = None, **params: object) -> qd.Outcome:
    spec = qd.RuleSpec(kind, field, params)
    return qd.check_rows(spec, schema(), rows or [], CONTEXT)


def test_completeness_counts_empty_values_and_required_fields_held_back() -> None:
    rows = [row("a", 营业收入="1"), row("b", 营业收入=None), row("c", 营业收入="")]
    held = qd.HeldRow(
        7, 3, {"营业收入": ""}, [{"field": "营业收入", "message": qd.REQUIRED_MSGID, "params": {}}]
    )
    outcome = qd.check_rows(
        qd.RuleSpec(RuleKind.COMPLETENESS, "营业收入"), schema(), rows, CONTEXT, held=[held]
    )
    assert (outcome.checked, outcome.failed, outcome.score) == (4, 3, 25.0)
    assert [s.record_key for s in outcome.samples] == ["b", "c", ""]
    assert outcome.samples[-1].params["row"] == 7


def test_validity_rechecks_stored_values_and_counts_rows_ingest_held_back() -> None:
    rows = [row("a", 行业="C3911"), row("b", 行业="Z0000"), row("c", 行业=None)]
    held = qd.HeldRow(
        2,
        1,
        {"行业": "X9999"},
        [{"field": "行业", "message": "{value} is not in the code list.", "params": {"value": "X9999"}}],
    )
    outcome = qd.check_rows(qd.RuleSpec(RuleKind.VALIDITY, "行业"), schema(), rows, CONTEXT, held=[held])
    assert (outcome.checked, outcome.failed) == (3, 2)  # the missing one is completeness's business
    assert {s.value for s in outcome.samples} == {"Z0000", "X9999"}


def test_uniqueness_on_other_fields_and_on_the_record_key() -> None:
    rows = [row("a", 住所="x"), row("b", 住所="x"), row("c", 住所="y"), row("d", 住所="x")]
    outcome = run(RuleKind.UNIQUENESS, rows=rows, fields=["住所"])
    assert (outcome.checked, outcome.failed) == (4, 2)
    keyed = qd.check_rows(
        qd.RuleSpec(RuleKind.UNIQUENESS, "", {"fields": ["统一社会信用代码", "年度"]}),
        schema(),
        rows[:2],
        qd.Context(TODAY, repeated_rows=3, repeated_load_id=9),
        held=[qd.HeldRow(4, 9, {}, [{"field": "", "message": qd.DUPLICATE_MSGID, "params": {"row": 1}}])],
    )
    assert (keyed.checked, keyed.failed) == (2 + 1 + 3, 1 + 3)


def test_freshness_by_period_per_subject_and_by_delivery() -> None:
    rows = [
        row("a", "S1", 年度=2025),
        row("b", "S1", 年度=2024),
        row("c", "S2", 年度=2024),
        row("d", "S3", 年度=2025),
    ]
    outcome = run(RuleKind.FRESHNESS, rows=rows, period_field="年度")
    assert (outcome.checked, outcome.failed) == (3 + 1, 1)
    assert outcome.samples[0].subject == "S2" and outcome.samples[0].params == {
        "latest": "2024",
        "expected": "2025",
    }
    old = qd.Context(TODAY, UpdateCycle.DAILY, datetime(2026, 11, 1, tzinfo=UTC))
    stale = qd.check_rows(qd.RuleSpec(RuleKind.FRESHNESS), schema(), [], old)
    assert (stale.checked, stale.failed) == (1, 1)
    never = qd.check_rows(
        qd.RuleSpec(RuleKind.FRESHNESS), schema(), [], qd.Context(TODAY, UpdateCycle.MONTHLY)
    )
    assert never.failed == 1
    irregular = qd.check_rows(qd.RuleSpec(RuleKind.FRESHNESS), schema(), [], qd.Context(TODAY))
    assert irregular.checked == 0 and irregular.score is None


def test_cross_field_compares_numbers_and_skips_missing_values() -> None:
    rows = [
        row("a", 研发费用="10", 营业收入="100"),
        row("b", 研发费用="200", 营业收入="100"),
        row("c", 研发费用="1"),
    ]
    outcome = run(RuleKind.CROSS_FIELD, "研发费用", rows, op="<=", right="营业收入", factor="1")
    assert (outcome.checked, outcome.failed) == (2, 1) and outcome.samples[0].record_key == "b"
    half = run(RuleKind.CROSS_FIELD, "研发费用", rows, op="<=", right="营业收入", factor="0.05")
    assert half.failed == 2


def test_cross_resource_agrees_by_subject_and_period() -> None:
    rows = [
        row("a", "S1", 营业收入="100", 年度=2025),
        row("b", "S2", 营业收入="5", 年度=2025),
        row("c", "S3", 营业收入="1"),
    ]
    others = {("S1", "2025"): ["100"], ("S2", "2025"): ["50"], ("S2", "2024"): ["5"]}
    spec = qd.RuleSpec(
        RuleKind.CROSS_RESOURCE,
        "营业收入",
        {"op": "=", "other_resource": "R2", "other_field": "营业收入", "factor": "1", "period_field": "年度"},
    )
    outcome = qd.check_rows(spec, schema(), rows, CONTEXT, others=others)
    assert (outcome.checked, outcome.failed) == (2, 1) and outcome.samples[0].subject == "S2"


@given(
    st.one_of(st.integers(-(10**9), 10**9), st.decimals(-(10**6), 10**6, places=2, allow_nan=False)),
    st.one_of(st.integers(-(10**9), 10**9), st.decimals(-(10**6), 10**6, places=2, allow_nan=False)),
    st.sampled_from(qd.OPERATORS),
)
def test_compare_agrees_with_python_on_numbers_in_any_stored_form(
    left: object, right: object, op: str
) -> None:
    a, b = Decimal(str(left)), Decimal(str(right))
    expected = {"<=": a <= b, "<": a < b, ">=": a >= b, ">": a > b, "=": a == b, "!=": a != b}[op]
    assert qd.compare(str(left), op, right) is expected
    assert qd.compare(left, op, None) is None


def test_compare_dates_and_text() -> None:
    assert qd.compare("2025-01-01", "<", "2025-06-30") is True
    assert qd.compare("厦门市思明区", "=", " 厦门市思明区 ") is True
    assert qd.compare("甲", "<", "乙") is None  # text has no order
    assert qd.compare("12", "=", "abc") is False


@given(st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 1000), st.integers(1, 10)), max_size=20))
def test_scores_stay_between_0_and_100_and_weights_pull_the_mean(cases: list[tuple[int, int, int]]) -> None:
    scored = [(qd.rule_score(checked, min(failed, checked)), weight) for checked, failed, weight in cases]
    for score, _ in scored:
        assert score is None or 0 <= score <= 100
    total = qd.weighted_score(scored)
    present = [s for s, _ in scored if s is not None]
    if not present:
        assert total is None
    else:
        assert total is not None and min(present) - 0.01 <= total <= max(present) + 0.01


def test_scores_by_hand() -> None:
    assert qd.rule_score(0, 0) is None and qd.rule_score(4, 1) == 75.0 and qd.rule_score(3, 5) == 0.0
    assert qd.weighted_score([(100.0, 1), (50.0, 3), (None, 5)]) == 62.5
    assert qd.mean_score([80.0, 90.0, None]) == 85.0


def test_built_in_rules_cover_every_field_and_the_resource() -> None:
    specs = built_in_rules(schema())
    kinds = {(s.kind, s.field) for s in specs}
    for name in ("统一社会信用代码", "年度", "营业收入", "研发费用", "行业", "住所"):
        assert (RuleKind.COMPLETENESS, name) in kinds
    assert (RuleKind.VALIDITY, "行业") in kinds and (RuleKind.VALIDITY, "统一社会信用代码") in kinds
    assert (RuleKind.VALIDITY, "住所") not in kinds  # free text without a limit: nothing to check
    unique = next(s for s in specs if s.kind is RuleKind.UNIQUENESS)
    assert unique.params == {"fields": ["统一社会信用代码", "年度"]}
    fresh = next(s for s in specs if s.kind is RuleKind.FRESHNESS)
    assert fresh.params == {"period_field": "年度"}


def test_validate_rule_normalises_and_names_every_faulty_input() -> None:
    kind, field, params = validate_rule(
        "cross_field", " 研发费用 ", {"op": "<=", "right": "营业收入", "factor": "1.50"}, schema()
    )
    assert (kind, field, params) == (
        RuleKind.CROSS_FIELD,
        "研发费用",
        {"op": "<=", "factor": "1.5", "right": "营业收入"},
    )
    with pytest.raises(ValidationFailed) as caught:
        validate_rule("cross_resource", "利润", {"op": "~", "factor": "0"}, schema(), None)
    assert {p.field for p in caught.value.fields} == {"field", "op", "factor", "other_resource"}
    with pytest.raises(ValidationFailed) as same:
        validate_rule(
            "cross_resource", "营业收入", {"op": "=", "other_field": "营业收入"}, schema(), schema()
        )
    assert [p.field for p in same.value.fields] == ["other_resource"]
    other = schema(2, "R2")
    _, _, ok = validate_rule(
        "cross_resource",
        "营业收入",
        {
            "op": ">=",
            "other_field": "营业收入",
            "factor": "0.5",
            "period_field": "年度",
            "other_period_field": "年度",
        },
        schema(),
        other,
    )
    assert ok["other_resource"] == "R2" and ok["factor"] == "0.5"
    with pytest.raises(ValidationFailed) as unique:
        validate_rule("uniqueness", "", {"fields": ["无此字段"]}, schema())
    assert [p.field for p in unique.value.fields] == ["fields"]


def test_describe_says_what_a_rule_checks() -> None:
    message, params = describe(
        RuleKind.CROSS_FIELD, "研发费用", {"op": "<=", "right": "营业收入", "factor": "1"}
    )
    assert message == "{field} {op} {right}" and params["right"] == "营业收入"
    _, halves = describe(
        RuleKind.CROSS_RESOURCE,
        "从业人员",
        {"op": ">=", "other_field": "参保人数", "factor": "0.5", "other_resource": "R2"},
    )
    assert halves["other_field"] == "0.5 × 参保人数"
