"""Defining quality rules (pure): the built-in rules of a resource, checking a steward's rule,
and saying in words what a rule checks. See ``quality_domain`` for the checks themselves."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from tongban.catalog.models import ElementType
from tongban.catalog.schema import FieldSchema, ResourceSchema
from tongban.governance.quality_domain import DESCRIPTIONS, OPERATORS, PERIOD_ELEMENTS, RuleSpec
from tongban.governance.quality_models import RuleKind
from tongban.kernel.errors import N_, FieldProblem, ValidationFailed


def _times(params: Mapping[str, Any], name_key: str = "right") -> str:
    factor = str(params.get("factor") or "1")
    name = str(params[name_key])
    return name if factor == "1" else f"{factor} × {name}"


def applicable_validity(schema_field: FieldSchema) -> bool:
    spec = schema_field.spec
    return bool(spec.data_type is not ElementType.TEXT or spec.validator or spec.code_list or spec.max_length)


def period_field(schema: ResourceSchema) -> str:
    """The field holding the period (year) of a record, if the resource has one: a key field (a
    record per subject and period, an annual report), or the year of the one record a subject
    has. In a list (full coverage) a year that is no key says when a subject was listed, which
    says nothing about how recent the data is."""
    periods = [f for f in schema.fields if f.element_key in PERIOD_ELEMENTS]
    keyed = next((f.name for f in periods if f.is_key), "")
    if keyed or schema.full_coverage:
        return keyed
    return periods[0].name if periods else ""


def built_in_rules(schema: ResourceSchema) -> list[RuleSpec]:
    """Completeness for every field, validity where the element constrains values, uniqueness of
    the record key, and freshness (per period when the resource has a period field)."""
    specs: list[RuleSpec] = []
    for f in schema.fields:
        specs.append(RuleSpec(RuleKind.COMPLETENESS, f.name))
        if applicable_validity(f):
            specs.append(RuleSpec(RuleKind.VALIDITY, f.name))
    if schema.key_fields:
        specs.append(RuleSpec(RuleKind.UNIQUENESS, "", {"fields": [f.name for f in schema.key_fields]}))
    specs.append(RuleSpec(RuleKind.FRESHNESS, "", {"period_field": period_field(schema)}))
    return specs


def _factor(value: Any, problems: list[FieldProblem]) -> str:
    text = str(value if value is not None else "1").strip() or "1"
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal(0)
    if not number.is_finite() or number <= 0 or number > 1_000_000:
        problems.append(FieldProblem("factor", N_("A factor is a positive number such as 0.5 or 1.")))
        return "1"
    return format(number.normalize(), "f")


def validate_rule(
    kind: str,
    field_name: str,
    params: Mapping[str, Any],
    schema: ResourceSchema,
    other: ResourceSchema | None = None,
) -> tuple[RuleKind, str, dict[str, Any]]:
    """Check a steward's rule against the resource (and the other resource); return it
    normalised, or raise ``ValidationFailed`` naming every faulty input."""
    problems: list[FieldProblem] = []
    choose = N_("Choose one of the allowed values.")
    no_field = N_("The resource has no field {name}.")
    try:
        rule_kind = RuleKind(kind)
    except ValueError:
        raise ValidationFailed(fields=[FieldProblem("kind", choose)]) from None
    out: dict[str, Any] = {}
    needs_field = rule_kind in (
        RuleKind.COMPLETENESS,
        RuleKind.VALIDITY,
        RuleKind.CROSS_FIELD,
        RuleKind.CROSS_RESOURCE,
    )
    field_name = field_name.strip()
    if needs_field:
        if not field_name:
            problems.append(FieldProblem("field", N_("This field is required.")))
        elif schema.field(field_name) is None:
            problems.append(FieldProblem("field", no_field, {"name": field_name}))
    else:
        field_name = ""
    if rule_kind is RuleKind.UNIQUENESS:
        given = params.get("fields") or []
        names = [str(n).strip() for n in given if str(n).strip()] if isinstance(given, list) else []
        if not names:
            problems.append(FieldProblem("fields", N_("Name at least one field.")))
        for name in names:
            if schema.field(name) is None:
                problems.append(FieldProblem("fields", no_field, {"name": name}))
        out["fields"] = names
    if rule_kind is RuleKind.FRESHNESS:
        period = str(params.get("period_field") or "").strip()
        if period and schema.field(period) is None:
            problems.append(FieldProblem("period_field", no_field, {"name": period}))
        out["period_field"] = period
        if params.get("max_age_days"):
            try:
                days = int(params["max_age_days"])
            except (TypeError, ValueError):
                days = 0
            if not 1 <= days <= 3660:
                problems.append(FieldProblem("max_age_days", N_("Between 1 and 3660 days.")))
            out["max_age_days"] = days
    if rule_kind in (RuleKind.CROSS_FIELD, RuleKind.CROSS_RESOURCE):
        op = str(params.get("op") or "").strip()
        if op not in OPERATORS:
            problems.append(FieldProblem("op", choose))
        out["op"] = op
        out["factor"] = _factor(params.get("factor"), problems)
    if rule_kind is RuleKind.CROSS_FIELD:
        right = str(params.get("right") or "").strip()
        if not right:
            problems.append(FieldProblem("right", N_("This field is required.")))
        elif schema.field(right) is None:
            problems.append(FieldProblem("right", no_field, {"name": right}))
        elif right == field_name:
            problems.append(FieldProblem("right", N_("Compare two different fields.")))
        out["right"] = right
    if rule_kind is RuleKind.CROSS_RESOURCE:
        other_field = str(params.get("other_field") or "").strip()
        if other is None:
            problems.append(FieldProblem("other_resource", N_("Choose a published resource.")))
        elif other.resource_id == schema.resource_id:
            problems.append(FieldProblem("other_resource", N_("Choose another resource.")))
        elif other.subject_field is None or schema.subject_field is None:
            problems.append(FieldProblem("other_resource", N_("Both resources must be about subjects.")))
        elif other.field(other_field) is None:
            problems.append(FieldProblem("other_field", no_field, {"name": other_field}))
        out["other_resource"] = other.code if other is not None else str(params.get("other_resource") or "")
        out["other_field"] = other_field
        period = str(params.get("period_field") or "").strip()
        other_period = str(params.get("other_period_field") or "").strip()
        if period and schema.field(period) is None:
            problems.append(FieldProblem("period_field", no_field, {"name": period}))
        if bool(period) != bool(other_period):
            both = N_("Name the period field of both resources.")
            problems.append(FieldProblem("other_period_field", both))
        elif other_period and other is not None and other.field(other_period) is None:
            problems.append(FieldProblem("other_period_field", no_field, {"name": other_period}))
        out["period_field"], out["other_period_field"] = period, other_period
    if problems:
        raise ValidationFailed(fields=problems)
    return rule_kind, field_name, out


def describe(kind: RuleKind, field_name: str, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The message id and parameters that say what a rule checks."""
    values: dict[str, Any] = {"field": field_name}
    if kind is RuleKind.UNIQUENESS:
        values["fields"] = "、".join(params.get("fields") or [])
    if kind is RuleKind.CROSS_FIELD:
        values |= {"op": params.get("op", ""), "right": _times(params)}
    if kind is RuleKind.CROSS_RESOURCE:
        values |= {
            "op": params.get("op", ""),
            "other_field": _times(params, "other_field"),
            "other_resource": params.get("other_resource", ""),
        }
    return DESCRIPTIONS[kind], values
