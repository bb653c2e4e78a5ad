"""Pure rules of the resource catalog (GB/T 21063): what a valid registration is, codes, states.

A registration arrives as a ``ResourceDraft`` (metadata and fields, elements named by key).
``check_draft`` refuses it with every faulty field named; ``check_record_key_kept`` refuses an
edit of a published resource that would change how its records are keyed. No I/O here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from tongban.catalog.domain import unit_factor
from tongban.catalog.models import (
    OpenType,
    Resource,
    ResourceStatus,
    ResourceType,
    Sensitivity,
    SharingType,
    SubjectKind,
    UpdateCycle,
)
from tongban.kernel.errors import N_, FieldProblem, InvalidTransition, ValidationFailed

MAX_FIELDS = 300
NAME_LIMIT = 200
FIELD_NAME_LIMIT = 100
TEXT_LIMIT = 4000
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]{2,59}$")
CODE_SEQUENCE = re.compile(r"-(\d{4,})$")
PERSONAL = frozenset({Sensitivity.PERSONAL, Sensitivity.SENSITIVE_PERSONAL})

RESOURCE_TYPE_LABELS = {
    ResourceType.BASE: N_("Base resource"),
    ResourceType.THEME: N_("Theme resource"),
    ResourceType.DEPARTMENT: N_("Department resource"),
}
SUBJECT_KIND_LABELS = {
    SubjectKind.USCC: N_("Enterprises and organisations (unified social credit code)"),
    SubjectKind.RIC: N_("Persons (resident ID number)"),
    SubjectKind.NONE: N_("No subject (statistics, lists)"),
}
SHARING_TYPE_LABELS = {
    SharingType.UNCONDITIONAL: N_("Unconditional sharing"),
    SharingType.CONDITIONAL: N_("Conditional sharing"),
    SharingType.NOT_SHARED: N_("Not shared"),
}
OPEN_TYPE_LABELS = {
    OpenType.OPEN: N_("Open to the public without conditions"),
    OpenType.CONDITIONAL: N_("Open to the public on conditions"),
    OpenType.NOT_OPEN: N_("Not open to the public"),
}
UPDATE_CYCLE_LABELS = {
    UpdateCycle.REALTIME: N_("Real time"),
    UpdateCycle.DAILY: N_("Daily"),
    UpdateCycle.WEEKLY: N_("Weekly"),
    UpdateCycle.MONTHLY: N_("Monthly"),
    UpdateCycle.QUARTERLY: N_("Quarterly"),
    UpdateCycle.YEARLY: N_("Yearly"),
    UpdateCycle.IRREGULAR: N_("Irregularly"),
}
STATUS_LABELS = {
    ResourceStatus.DRAFT: N_("Draft"),
    ResourceStatus.PUBLISHED: N_("Published"),
    ResourceStatus.RETIRED: N_("Retired"),
}
KEY_FIELDS_FIXED = N_(
    "The subject and key fields of a published resource cannot change; register a new resource instead."
)
CODE_RULE = N_(
    "A resource code is 3 to 60 letters, digits or - _ . /, not only digits, e.g. 350200-SWJ-0001."
)
# The identifier validator a subject field's element must carry, per subject kind.
SUBJECT_VALIDATORS = {SubjectKind.USCC: "uscc", SubjectKind.RIC: "ric"}


@dataclass(frozen=True)
class FieldDraft:
    """One field (信息项) as the steward describes it; the element is named by key or identifier."""

    name: str
    element: str
    is_key: bool = False
    is_subject: bool = False
    required: bool = False
    description: str = ""
    unit: str = ""  # the unit the provider writes values in, when not the element's


@dataclass(frozen=True)
class ResourceDraft:
    """A resource's metadata and fields as registered or edited, before it is stored."""

    name: str
    abstract: str
    resource_type: str
    subject_kind: str
    sharing_type: str
    open_type: str
    update_cycle: str
    sharing_condition: str = ""
    full_coverage: bool = False
    fields: tuple[FieldDraft, ...] = field(default_factory=tuple)

    def cleaned(self) -> ResourceDraft:
        """Surrounding blanks removed; fields with neither name nor element dropped."""
        fields = tuple(
            FieldDraft(
                f.name.strip(),
                f.element.strip(),
                f.is_key,
                f.is_subject,
                f.required,
                f.description.strip(),
                f.unit.strip(),
            )
            for f in self.fields
            if f.name.strip() or f.element.strip()
        )
        return ResourceDraft(
            name=self.name.strip(),
            abstract=self.abstract.strip(),
            resource_type=self.resource_type.strip(),
            subject_kind=self.subject_kind.strip(),
            sharing_type=self.sharing_type.strip(),
            open_type=self.open_type.strip(),
            update_cycle=self.update_cycle.strip(),
            sharing_condition=self.sharing_condition.strip(),
            full_coverage=self.full_coverage,
            fields=fields,
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["fields"] = [asdict(f) for f in self.fields]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResourceDraft:
        values = dict(data)
        values["fields"] = tuple(FieldDraft(**f) for f in values.get("fields", []))
        return cls(**values)


@dataclass(frozen=True)
class ElementFacts:
    """What the rules need to know about a data element a field binds to."""

    key: str
    active: bool
    validator: str | None
    sensitivity: Sensitivity
    unit: str = ""


def _choice(problems: list[FieldProblem], name: str, value: str, allowed: Iterable[str]) -> None:
    if value not in set(allowed):
        problems.append(FieldProblem(name, N_("Choose one of the allowed values.")))


def _text(problems: list[FieldProblem], name: str, value: str, limit: int, *, required: bool) -> None:
    if required and not value:
        problems.append(FieldProblem(name, N_("This field is required.")))
    elif len(value) > limit:
        problems.append(FieldProblem(name, N_("At most {limit} characters."), {"limit": limit}))
    elif "\x00" in value:
        problems.append(FieldProblem(name, N_("This value is not valid.")))


def _check_metadata(draft: ResourceDraft, problems: list[FieldProblem]) -> None:
    _text(problems, "name", draft.name, NAME_LIMIT, required=True)
    _text(problems, "abstract", draft.abstract, TEXT_LIMIT, required=True)
    _choice(problems, "resource_type", draft.resource_type, (t.value for t in ResourceType))
    _choice(problems, "subject_kind", draft.subject_kind, (k.value for k in SubjectKind))
    _choice(problems, "sharing_type", draft.sharing_type, (s.value for s in SharingType))
    _choice(problems, "open_type", draft.open_type, (o.value for o in OpenType))
    _choice(problems, "update_cycle", draft.update_cycle, (c.value for c in UpdateCycle))
    _text(problems, "sharing_condition", draft.sharing_condition, TEXT_LIMIT, required=False)
    if (
        draft.sharing_type in (SharingType.CONDITIONAL, SharingType.NOT_SHARED)
        and not draft.sharing_condition
    ):
        problems.append(
            FieldProblem(
                "sharing_condition",
                N_("State the sharing condition, or why it is not shared, with the legal basis."),
            )
        )
    if draft.sharing_type == SharingType.NOT_SHARED and draft.open_type != OpenType.NOT_OPEN:
        problems.append(
            FieldProblem(
                "open_type",
                N_("A resource that is not shared between departments is not open to the public."),
            )
        )


def _check_field(
    index: int,
    item: FieldDraft,
    facts: ElementFacts | None,
    kept: frozenset[str],
    problems: list[FieldProblem],
) -> None:
    prefix = f"fields.{index}"
    _text(problems, f"{prefix}.name", item.name, FIELD_NAME_LIMIT, required=True)
    _text(problems, f"{prefix}.description", item.description, TEXT_LIMIT, required=False)
    if not item.element:
        problems.append(FieldProblem(f"{prefix}.element", N_("Choose the data element this field binds to.")))
    elif facts is None:
        problems.append(
            FieldProblem(
                f"{prefix}.element", N_("There is no data element {element}."), {"element": item.element}
            )
        )
    elif item.unit and unit_factor(item.unit, facts.unit) is None:
        problems.append(
            FieldProblem(
                f"{prefix}.unit",
                N_("Values in {unit} cannot be converted to the element's unit {element_unit}."),
                {"unit": item.unit, "element_unit": facts.unit or "—"},
            )
        )
    elif not facts.active and facts.key not in kept:
        problems.append(
            FieldProblem(
                f"{prefix}.element",
                N_("The data element {element} is retired and cannot be bound anew."),
                {"element": item.element},
            )
        )


def _check_subject(
    draft: ResourceDraft, facts: list[ElementFacts | None], problems: list[FieldProblem]
) -> None:
    subjects = [i for i, f in enumerate(draft.fields) if f.is_subject]
    try:
        kind = SubjectKind(draft.subject_kind)
    except ValueError:
        return  # already reported
    if kind is SubjectKind.NONE:
        for i in subjects:
            problems.append(
                FieldProblem(
                    f"fields.{i}.is_subject", N_("A resource without a subject kind has no subject field.")
                )
            )
        return
    if not subjects:
        problems.append(
            FieldProblem(
                "fields", N_("Mark exactly one field as the subject identifier (USCC or resident ID).")
            )
        )
        return
    for i in subjects[1:]:
        problems.append(
            FieldProblem(f"fields.{i}.is_subject", N_("Only one field holds the subject identifier."))
        )
    element = facts[subjects[0]]
    expected = SUBJECT_VALIDATORS[kind]
    if element is not None and element.validator != expected:
        message = (
            N_("The subject field of an enterprise resource binds to a unified social credit code element.")
            if kind is SubjectKind.USCC
            else N_("The subject field of a person resource binds to a resident ID number element.")
        )
        problems.append(FieldProblem(f"fields.{subjects[0]}.element", message))


def check_draft(
    draft: ResourceDraft,
    elements: Mapping[str, ElementFacts],
    *,
    kept_elements: frozenset[str] = frozenset(),
) -> None:
    """Refuse a registration that cannot work, naming every faulty field.

    ``elements`` maps the names used in the draft (key or identifier) to their facts;
    ``kept_elements`` are keys of elements the published version already binds, which stay
    allowed after the element was retired.
    """
    draft = draft.cleaned()
    problems: list[FieldProblem] = []
    _check_metadata(draft, problems)
    if not draft.fields:
        problems.append(FieldProblem("fields", N_("A resource has at least one field.")))
    if len(draft.fields) > MAX_FIELDS:
        problems.append(
            FieldProblem("fields", N_("A resource has at most {limit} fields."), {"limit": MAX_FIELDS})
        )
    facts = [elements.get(f.element) for f in draft.fields]
    seen: set[str] = set()
    for index, item in enumerate(draft.fields):
        _check_field(index, item, facts[index], kept_elements, problems)
        if item.name and item.name in seen:
            problems.append(
                FieldProblem(
                    f"fields.{index}.name", N_("Another field is already called {name}."), {"name": item.name}
                )
            )
        seen.add(item.name)
    _check_subject(draft, facts, problems)
    if draft.open_type == OpenType.OPEN and any(f is not None and f.sensitivity in PERSONAL for f in facts):
        problems.append(
            FieldProblem(
                "open_type",
                N_("A resource with personal information cannot be open to the public without conditions."),
            )
        )
    if problems:
        raise ValidationFailed(fields=problems)


def record_key_of(draft: ResourceDraft) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The subject kind and the (name, element) of the fields that key a record."""
    return draft.subject_kind, tuple((f.name, f.element) for f in draft.fields if f.is_key or f.is_subject)


def check_record_key_kept(
    published: tuple[str, tuple[tuple[str, str], ...]], edited: tuple[str, tuple[tuple[str, str], ...]]
) -> None:
    """Records in the hub are keyed by the subject and key fields: once published, they stay."""
    problems: list[FieldProblem] = []
    if published[0] != edited[0]:
        problems.append(
            FieldProblem("subject_kind", N_("The subject kind of a published resource cannot change."))
        )
    if set(published[1]) != set(edited[1]):
        problems.append(
            FieldProblem(
                "fields",
                KEY_FIELDS_FIXED,
            )
        )
    if problems:
        raise ValidationFailed(fields=problems)


def check_code(code: str) -> None:
    if not CODE.match(code) or code.isdigit():
        raise ValidationFailed(
            fields=[
                FieldProblem(
                    "code",
                    CODE_RULE,
                )
            ]
        )


def next_code(department_code: str, existing: Iterable[str]) -> str:
    """The department's next automatic code: '350200-SWJ-0007' after '…-0006'."""
    prefix = f"{department_code}-"
    numbers = [
        int(match.group(1))
        for code in existing
        if code.startswith(prefix)
        and (match := CODE_SEQUENCE.search(code))
        and code == prefix + match.group(1)
    ]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


# --- the stored resource as a draft, and as a snapshot -------------------------------------


def live_draft(resource: Resource) -> ResourceDraft:
    """The resource's stored row and fields as a draft (the published shape, once published)."""
    return ResourceDraft(
        name=resource.name,
        abstract=resource.abstract,
        resource_type=resource.resource_type.value,
        subject_kind=resource.subject_kind.value,
        sharing_type=resource.sharing_type.value,
        open_type=resource.open_type.value,
        update_cycle=resource.update_cycle.value,
        sharing_condition=resource.sharing_condition,
        full_coverage=resource.full_coverage,
        fields=tuple(
            FieldDraft(f.name, f.element.key, f.is_key, f.is_subject, f.required, f.description, f.unit)
            for f in resource.fields
        ),
    )


def working_draft(resource: Resource) -> ResourceDraft:
    """What an edit form starts from: the pending edit, or else the stored resource."""
    return ResourceDraft.from_json(resource.pending) if resource.pending else live_draft(resource)


def snapshot_of(resource: Resource) -> dict[str, Any]:
    """The resource's metadata and fields as published, with each field's element."""
    return {
        "code": resource.code,
        "name": resource.name,
        "provider": {
            "id": resource.provider.id,
            "code": resource.provider.code,
            "name": resource.provider.name,
        },
        "abstract": resource.abstract,
        "resource_type": resource.resource_type.value,
        "subject_kind": resource.subject_kind.value,
        "sharing_type": resource.sharing_type.value,
        "sharing_condition": resource.sharing_condition,
        "open_type": resource.open_type.value,
        "update_cycle": resource.update_cycle.value,
        "full_coverage": resource.full_coverage,
        "version": resource.version,
        "fields": [
            {
                "position": f.position,
                "name": f.name,
                "element": f.element.key,
                "element_identifier": f.element.identifier,
                "element_name": f.element.name_zh,
                "data_type": f.element.data_type.value,
                "sensitivity": f.element.sensitivity.value,
                "is_key": f.is_key,
                "is_subject": f.is_subject,
                "required": f.required,
                "description": f.description,
                "unit": f.unit,
            }
            for f in resource.fields
        ],
    }


# --- states -----------------------------------------------------------------------------------


def ensure_editable(status: ResourceStatus) -> None:
    if status is ResourceStatus.RETIRED:
        raise InvalidTransition(N_("A retired resource cannot be changed."), code="resource_retired")


def ensure_publishable(status: ResourceStatus, has_pending: bool) -> None:
    ensure_editable(status)
    if status is ResourceStatus.PUBLISHED and not has_pending:
        raise InvalidTransition(
            N_("There are no changes to publish: this version is already published."),
            code="nothing_to_publish",
        )


def ensure_retirable(status: ResourceStatus) -> None:
    if status is ResourceStatus.RETIRED:
        raise InvalidTransition(N_("This resource is already retired."), code="resource_retired")
