"""Pure rules of what a consumer may see: masking personal values, answering verification questions.

Masking follows the data element's sensitivity: public and internal values are shown as they
are; personal and sensitive personal values are masked unless the grant allows them:

    resident ID   350203199001011234 → 3502************34
    mobile        13812345678        → 138****5678
    date          1990-01-01         → 1990-**-**
    text          王小明              → 王**
    code          350203             → 35****
    anything else                    → ***

A verification question is answered yes, no or unknown (Kleene): each current record of the
subject that matches the question's ``where`` (equality on named fields) and is valid on its
date gives yes, no or unknown (a missing value); any yes is yes, all no is no. When no record
matches, a resource that covers every subject of its kind answers no, any other unknown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from tongban.catalog.domain import check_value, parse_date
from tongban.catalog.models import ElementType
from tongban.catalog.schema import FieldSchema, ResourceSchema
from tongban.kernel.codes.validators import mask_ric
from tongban.kernel.errors import N_, FieldProblem, ValidationFailed

YES, NO, UNKNOWN = "yes", "no", "unknown"
NUMERIC = frozenset({ElementType.INTEGER, ElementType.DECIMAL, ElementType.MONEY, ElementType.RATIO})
ORDERED = frozenset({">=", ">", "<=", "<"})
OPERATORS = frozenset({"=", "!=", "in", "has", *ORDERED})


# --- masking -----------------------------------------------------------------------------------------


def mask(spec: FieldSchema, value: Any) -> Any:
    if value is None:
        return None
    text = str(value)
    if spec.spec.validator == "ric" or spec.element_key == "ric":
        return mask_ric(text)
    if spec.spec.validator == "mobile" and len(text) == 11:
        return text[:3] + "****" + text[-4:]
    kind = spec.spec.data_type
    if kind is ElementType.DATE and len(text) >= 4:
        return text[:4] + "-**-**"
    if kind is ElementType.TEXT and text:
        return text[0] + "*" * (len(text) - 1)
    if kind is ElementType.CODE and len(text) > 2:
        return text[:2] + "*" * (len(text) - 2)
    return "***"


def disclose(
    schema: ResourceSchema, fields: Sequence[str], values: Mapping[str, Any], allow_sensitive: bool
) -> dict[str, Any]:
    """The granted fields of one record, personal values masked unless the grant allows them."""
    shown: dict[str, Any] = {}
    for name in fields:
        spec = schema.field(name)
        if spec is None:
            continue
        value = values.get(name)
        shown[name] = mask(spec, value) if spec.is_personal and not allow_sensitive else value
    return shown


def masked_fields(schema: ResourceSchema, fields: Sequence[str], allow_sensitive: bool) -> list[str]:
    if allow_sensitive:
        return []
    return [name for name in fields if (spec := schema.field(name)) is not None and spec.is_personal]


# --- verification questions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """Is the subject's ``field`` ``op`` ``value`` (among records matching ``where``, valid on ``on``)?"""

    field: str
    op: str
    value: Any
    where: Mapping[str, Any] = dataclass_field(default_factory=dict)
    on: date | None = None
    valid_from: str | None = None  # date field where a record's validity starts
    valid_to: str | None = None  # date field where it ends

    @property
    def fields_used(self) -> tuple[str, ...]:
        named = [self.field, *self.where, self.valid_from, self.valid_to]
        return tuple(dict.fromkeys(n for n in named if n))


def _invalid(name: str, message: str, **params: Any) -> ValidationFailed:
    return ValidationFailed(fields=[FieldProblem(name, message, params)])


def _canonical(spec: FieldSchema, raw: Any, where: str) -> Any:
    if isinstance(raw, bool) and spec.spec.data_type is ElementType.BOOLEAN:
        return raw
    checked = check_value(spec.spec, None if raw is None else str(raw))
    if not checked.valid or checked.value is None:
        raise _invalid(where, N_("This value does not fit the field {field}."), field=spec.name)
    return checked.value


def _comparable(value: Any, kind: ElementType) -> Any:
    """A stored value in a form that compares with a canonical question value; None if it cannot."""
    if value is None:
        return None
    if kind in NUMERIC:
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    if kind is ElementType.DATE:
        return value if isinstance(value, date) else parse_date(str(value))
    if kind is ElementType.BOOLEAN:
        return value if isinstance(value, bool) else str(value).lower() in ("true", "1", "是")
    if kind is ElementType.TAGS:
        return (
            frozenset(str(v) for v in value) if isinstance(value, list | tuple) else frozenset({str(value)})
        )
    return str(value)


@dataclass(frozen=True)
class PreparedQuestion:
    question: Question
    spec: FieldSchema
    expected: Any  # canonical value, or a frozenset for "in"
    where: tuple[tuple[FieldSchema, Any], ...]


def prepare(schema: ResourceSchema, question: Question) -> PreparedQuestion:
    """Check the question against the resource's fields and types; 422 naming what is wrong."""
    spec = schema.field(question.field)
    if spec is None:
        raise _invalid("field", N_("The resource has no field named {names}."), names=question.field)
    kind = spec.spec.data_type
    op = question.op
    if op not in OPERATORS:
        raise _invalid("op", N_("Choose one of the allowed values."))
    allowed = {
        **dict.fromkeys(NUMERIC | {ElementType.DATE}, OPERATORS - {"has"}),
        ElementType.BOOLEAN: {"=", "!="},
        ElementType.TEXT: {"=", "!=", "in"},
        ElementType.CODE: {"=", "!=", "in"},
        ElementType.TAGS: {"has", "in"},
    }[kind]
    if op not in allowed:
        raise _invalid("op", N_("This comparison does not apply to the field {field}."), field=spec.name)
    if op == "in":
        if not isinstance(question.value, list) or not question.value:
            raise _invalid("value", N_("Give a list of values."))
        expected: Any = frozenset(_comparable(_canonical(spec, v, "value"), kind) for v in question.value)
        if kind is ElementType.TAGS:
            expected = frozenset(str(v) for tags in expected for v in tags)
    elif kind is ElementType.TAGS:
        expected = str(_canonical(spec, question.value, "value")[0]) if question.value else None
        if expected is None:
            raise _invalid("value", N_("This value does not fit the field {field}."), field=spec.name)
    else:
        expected = _comparable(_canonical(spec, question.value, "value"), kind)
    where: list[tuple[FieldSchema, Any]] = []
    for name, raw in question.where.items():
        where_spec = schema.field(name)
        if where_spec is None:
            raise _invalid("where", N_("The resource has no field named {names}."), names=name)
        where.append(
            (where_spec, _comparable(_canonical(where_spec, raw, "where"), where_spec.spec.data_type))
        )
    for bound_name in (question.valid_from, question.valid_to):
        if bound_name is not None:
            bound = schema.field(bound_name)
            if bound is None or bound.spec.data_type is not ElementType.DATE:
                raise _invalid("valid_from", N_("Validity is bounded by date fields."))
    return PreparedQuestion(question, spec, expected, tuple(where))


def _record_answer(prepared: PreparedQuestion, values: Mapping[str, Any]) -> str | None:
    """yes / no / unknown for one record, or None when the record does not match where/validity."""
    question = prepared.question
    for where_spec, expected in prepared.where:
        actual = _comparable(values.get(where_spec.name), where_spec.spec.data_type)
        if actual is None:
            return UNKNOWN
        if actual != expected:
            return None
    if question.on is not None:
        start = (
            _comparable(values.get(question.valid_from), ElementType.DATE) if question.valid_from else None
        )
        end = _comparable(values.get(question.valid_to), ElementType.DATE) if question.valid_to else None
        if (start is not None and question.on < start) or (end is not None and question.on > end):
            return None
    actual = _comparable(values.get(prepared.spec.name), prepared.spec.spec.data_type)
    if actual is None:
        return UNKNOWN
    return YES if _holds(question.op, actual, prepared.expected) else NO


def _holds(op: str, actual: Any, expected: Any) -> bool:
    if op == "has":
        return bool(expected in actual)
    if op == "in":
        return bool(actual & expected) if isinstance(actual, frozenset) else bool(actual in expected)
    if op in ("=", "!="):
        return bool(actual == expected) == (op == "=")
    try:
        if op == ">=":
            return bool(actual >= expected)
        if op == ">":
            return bool(actual > expected)
        if op == "<=":
            return bool(actual <= expected)
        return bool(actual < expected)
    except TypeError:
        return False


def answer(prepared: PreparedQuestion, records: Sequence[Mapping[str, Any]], full_coverage: bool) -> str:
    results = [r for r in (_record_answer(prepared, values) for values in records) if r is not None]
    if not results:
        return NO if full_coverage else UNKNOWN
    if YES in results:
        return YES
    if all(r == NO for r in results):
        return NO
    return UNKNOWN
