"""What the publishing workbench pages share: reading the item form (dates, money in yuan → fen
exactly, lists), showing money, labels of states and fields, the template context."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from starlette.datastructures import FormData

from tongban.kernel.errors import N_, FieldProblem, ValidationFailed
from tongban.kernel.i18n import current_language, translate
from tongban.policy import domain
from tongban.policy.domain import ItemFields, PolicyFields, PolicyLevel

_Fields = TypeVar("_Fields", ItemFields, PolicyFields)

_MONEY = re.compile(r"(\d+(?:\.\d+)?)\s*([万亿]?)\s*元?")
_UNITS = {"": Decimal(1), "万": Decimal(10_000), "亿": Decimal(100_000_000)}
MAX_FEN = 10**17

FIELD_LABELS: dict[str, str] = {
    "title": N_("Title"),
    "summary": N_("Summary"),
    "condition_text": N_("Conditions"),
    "amount_text": N_("Amount"),
    "support_types": N_("Support types"),
    "industries": N_("Industries"),
    "sizes": N_("Enterprise sizes"),
    "window_opens": N_("Applications open"),
    "window_closes": N_("Applications close"),
    "handling_org_id": N_("Handling department"),
    "materials": N_("Required materials"),
    "exclusive_group": N_("Exclusion group"),
    "annual_budget_fen": N_("Annual budget"),
    "no_application": N_("Granted without applying (免申即享)"),
}


def yuan(fen: int | None) -> str:
    """An amount for people: 20万元, 1.5亿元, 1,234.56元 (English: 200,000 yuan)."""
    if fen is None:
        return "—"
    value = Decimal(fen) / 100
    if current_language.get() == "zh-CN":
        if fen and fen % 1_000_000_000 == 0 and abs(fen) >= 10_000_000_000:
            return _plain(value / 100_000_000) + "亿元"
        if fen and fen % 100_000 == 0 and abs(fen) >= 1_000_000:
            return _plain(value / 10_000) + "万元"
        return f"{value:,.2f}".removesuffix(".00") + "元"
    return f"{value:,.2f}".removesuffix(".00") + " yuan"


def _plain(value: Decimal) -> str:
    text = format(value, ",f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_yuan(text: str, field: str) -> int | None:
    """Yuan as typed (500000, 50万, 1.5亿, 1,000.50) → fen exactly; empty → None."""
    cleaned = text.strip().replace(",", "").replace("，", "")
    if not cleaned:
        return None
    match = _MONEY.fullmatch(cleaned)
    problem = FieldProblem(field, N_("Enter an amount in yuan, such as 500000 or 50万."))
    if match is None:
        raise ValidationFailed(fields=[problem])
    try:
        fen = Decimal(match.group(1)) * _UNITS[match.group(2)] * 100
    except InvalidOperation:
        raise ValidationFailed(fields=[problem]) from None
    if fen != fen.to_integral_value() or fen > MAX_FEN:
        raise ValidationFailed(
            fields=[FieldProblem(field, N_("Enter an amount in whole fen (at most two decimals)."))]
        )
    return int(fen)


def budget_text(fen: int | None) -> str:
    if fen is None:
        return ""
    value = Decimal(fen) / 100
    return f"{value:f}".removesuffix(".00")


def parse_date(text: str, field: str, problems: list[FieldProblem]) -> date | None:
    cleaned = text.strip()
    if not cleaned:
        return None
    try:
        return date.fromisoformat(cleaned)
    except ValueError:
        problems.append(FieldProblem(field, N_("Enter a date as YYYY-MM-DD.")))
        return None


def _text(form: FormData, name: str, limit: int) -> str:
    value = form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _codes(text: str) -> tuple[str, ...]:
    return tuple(part for part in re.split(r"[\s,，、;；]+", text) if part)


def item_values(form: FormData) -> dict[str, Any]:
    """The item form as typed, to show again."""
    return {
        "title": _text(form, "title", 400),
        "summary": _text(form, "summary", domain.TEXT_LIMIT),
        "condition_text": _text(form, "condition_text", 20_000),
        "amount_text": _text(form, "amount_text", 20_000),
        "support_types": [v for v in form.getlist("support_types") if isinstance(v, str)][:20],
        "industries": _text(form, "industries", 1000),
        "sizes": [v for v in form.getlist("sizes") if isinstance(v, str)][:10],
        "window_opens": _text(form, "window_opens", 20),
        "window_closes": _text(form, "window_closes", 20),
        "handling_org_id": _text(form, "handling_org_id", 12),
        "materials": _text(form, "materials", 20_000),
        "exclusive_group": _text(form, "exclusive_group", 100),
        "annual_budget": _text(form, "annual_budget", 40),
        "no_application": form.get("no_application") == "1",
    }


def item_fields(values: dict[str, Any]) -> ItemFields:
    """The form's values as ``ItemFields``; unreadable dates and amounts are field problems."""
    problems: list[FieldProblem] = []
    opens = parse_date(values["window_opens"], "window_opens", problems)
    closes = parse_date(values["window_closes"], "window_closes", problems)
    budget: int | None = None
    try:
        budget = parse_yuan(values["annual_budget"], "annual_budget")
    except ValidationFailed as error:
        problems += error.fields
    handling = values["handling_org_id"].strip()
    if handling and not handling.isdigit():
        problems.append(FieldProblem("handling_org_id", N_("Choose a department from the list.")))
    fields = ItemFields(
        title=values["title"],
        summary=values["summary"],
        condition_text=values["condition_text"],
        amount_text=values["amount_text"],
        support_types=tuple(values["support_types"]),
        industries=_codes(values["industries"]),
        sizes=tuple(values["sizes"]),
        window_opens=opens,
        window_closes=closes,
        handling_org_id=int(handling) if handling.isdigit() and len(handling) <= 10 else None,
        materials=_lines(values["materials"]),
        exclusive_group=values["exclusive_group"],
        annual_budget_fen=budget,
        no_application=bool(values["no_application"]),
    )
    _refuse_all(problems, domain.check_item, fields)
    return fields


def _refuse_all(problems: list[FieldProblem], check: Callable[[_Fields], object], fields: _Fields) -> None:
    """Raise the form's own problems together with the domain check's, each on its field."""
    try:
        check(fields)
    except ValidationFailed as error:
        problems += error.fields
    if problems:
        raise ValidationFailed(fields=problems)


def values_of_version(version: Any) -> dict[str, Any]:
    return {
        "title": version.title,
        "summary": version.summary,
        "condition_text": version.condition_text,
        "amount_text": version.amount_text,
        "support_types": list(version.support_types),
        "industries": ", ".join(version.industries),
        "sizes": list(version.sizes),
        "window_opens": version.window_opens.isoformat() if version.window_opens else "",
        "window_closes": version.window_closes.isoformat() if version.window_closes else "",
        "handling_org_id": str(version.handling_org_id or ""),
        "materials": "\n".join(version.materials),
        "exclusive_group": version.exclusive_group,
        "annual_budget": budget_text(version.annual_budget_fen),
        "no_application": version.no_application,
    }


def policy_values(form: FormData) -> dict[str, Any]:
    return {
        name: _text(form, name, limit)
        for name, limit in (
            ("title", 400),
            ("doc_number", 200),
            ("issuer", 300),
            ("region_code", 20),
            ("level", 20),
            ("issued_on", 20),
            ("effective_on", 20),
            ("expires_on", 20),
            ("full_text", domain.TEXT_LIMIT + 1),
            ("source_url", 600),
        )
    }


def policy_fields(values: dict[str, Any]) -> PolicyFields:
    problems: list[FieldProblem] = []
    dates = {
        name: parse_date(values[name], name, problems) for name in ("issued_on", "effective_on", "expires_on")
    }
    level = values["level"]
    if level not in {lv.value for lv in PolicyLevel}:
        problems.append(FieldProblem("level", N_("Choose one of the allowed values.")))
        level = PolicyLevel.MUNICIPAL.value
    fields = PolicyFields(
        title=values["title"],
        doc_number=values["doc_number"],
        issuer=values["issuer"],
        region_code=values["region_code"],
        level=PolicyLevel(level),
        full_text=values["full_text"],
        source_url=values["source_url"],
        **dates,
    )
    _refuse_all(problems, domain.check_policy, fields)
    return fields


def values_of_policy(policy: Any) -> dict[str, Any]:
    return {
        "title": policy.title,
        "doc_number": policy.doc_number,
        "issuer": policy.issuer,
        "region_code": policy.region_code,
        "level": policy.level.value,
        "issued_on": policy.issued_on.isoformat() if policy.issued_on else "",
        "effective_on": policy.effective_on.isoformat() if policy.effective_on else "",
        "expires_on": policy.expires_on.isoformat() if policy.expires_on else "",
        "full_text": policy.full_text,
        "source_url": policy.source_url,
    }


def common() -> dict[str, Any]:
    """Labels every publishing page may show."""
    return {
        "layout": "workbench",
        "yuan": yuan,
        "version_labels": {s.value: translate(label) for s, label in domain.VERSION_LABELS.items()},
        "item_labels": {s.value: translate(label) for s, label in domain.ITEM_LABELS.items()},
        "level_labels": {s.value: translate(label) for s, label in domain.LEVEL_LABELS.items()},
        "support_labels": {k: translate(label) for k, label in domain.SUPPORT_TYPES.items()},
        "field_labels": {k: translate(label) for k, label in FIELD_LABELS.items()},
    }
