"""Workbench pages of policy items: the item form with the condition builder, one item with its
versions (each old version readable), submit and withdraw.

Without JavaScript the officer types the rule texts and the server checks them on save: a draft
is kept even when its rule does not check yet, and the form comes back with the problems beside
the fields; submitting requires that the rule checks.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tongban.kernel.codes import enterprise
from tongban.kernel.errors import DomainError, FieldProblem, ValidationFailed
from tongban.kernel.i18n import translate
from tongban.kernel.orgs import service as orgs
from tongban.kernel.permissions import Actor, Permission, require
from tongban.policy import page_common, rule_tools, service, workbench
from tongban.policy.domain import ItemClosed
from tongban.policy.models import ItemVersion, Policy, PolicyItem
from tongban.profiles.attributes import builtin_registry
from tongban.rules.errors import RuleInvalid
from tongban.rules.printer import describe_zh
from tongban.web.deps import DB, CurrentActor, Id
from tongban.web.forms import FORM_ERRORS, rerender_with_error
from tongban.web.templating import render

router = APIRouter(include_in_schema=False)

FORM = "policy/workbench/item_form.html"
RULE_FIELDS = {"condition": "condition_text", "amount": "amount_text"}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _form_context(
    db: DB, policy: Policy, values: dict[str, Any], action: str, item: PolicyItem | None = None
) -> dict[str, Any]:
    checked = (
        rule_tools.check_texts(values["condition_text"], values["amount_text"])
        if values["condition_text"].strip()
        else None
    )
    return page_common.common() | {
        "policy": policy,
        "item": item,
        "values": values,
        "action": action,
        "sizes": enterprise.sizes(),
        "departments": workbench.departments(db),
        "checked": checked,
        "rule_problems": checked.problems if checked else [],
    }


def _rule_errors(problems: list[rule_tools.Problem]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(RULE_FIELDS.get(problem.part, "condition_text"), []).append(problem.message)
    return errors


def _empty_values() -> dict[str, Any]:
    return {
        "title": "",
        "summary": "",
        "condition_text": "",
        "amount_text": "",
        "support_types": [],
        "industries": "",
        "sizes": [],
        "window_opens": "",
        "window_closes": "",
        "handling_org_id": "",
        "materials": "",
        "exclusive_group": "",
        "annual_budget": "",
        "no_application": False,
    }


def _render_form(request: Request, context: dict[str, Any], status: int = 200, notice: str = "") -> Response:
    errors = _rule_errors(context["rule_problems"])
    return render(request, FORM, context | {"errors": errors, "notice": notice}, status_code=status)


@router.get("/workbench/policies/{policy_id}/items/new")
def item_new(request: Request, db: DB, actor: CurrentActor, policy_id: Id) -> Response:
    require(actor, Permission.POLICY_DRAFT)
    policy = workbench.readable_policy(db, actor, policy_id)
    context = _form_context(db, policy, _empty_values(), f"/workbench/policies/{policy.id}/items/new")
    return render(request, FORM, context)


def _saved(request: Request, db: DB, policy: Policy, item: PolicyItem, values: dict[str, Any]) -> Response:
    """After saving: the item page, or the form again when the rule texts have problems."""
    context = _form_context(db, policy, values, f"/workbench/policy-items/{item.id}/edit", item)
    if context["rule_problems"]:
        notice = translate(
            "The draft is saved. Fix the problems in the rule before submitting it for review."
        )
        return _render_form(request, context, notice=notice)
    return _see_other(f"/workbench/policy-items/{item.id}")


@router.post("/workbench/policies/{policy_id}/items/new")
async def item_create(request: Request, db: DB, actor: CurrentActor, policy_id: Id) -> Response:
    values = page_common.item_values(await request.form())
    policy = workbench.readable_policy(db, actor, policy_id)
    try:
        version = service.create_item(db, actor, policy.id, page_common.item_fields(values))
    except FORM_ERRORS as error:
        db.rollback()
        policy = workbench.readable_policy(db, actor, policy_id)
        context = _form_context(db, policy, values, f"/workbench/policies/{policy_id}/items/new")
        return _rerender(request, context, error)
    return _saved(request, db, policy, service.get_item(db, version.item_id), values)


def _rerender(request: Request, context: dict[str, Any], error: DomainError) -> Response:
    """Field problems and rule problems together, beside their fields."""
    rule_errors = _rule_errors(context["rule_problems"])
    extra = [FieldProblem(f, m) for f, messages in rule_errors.items() for m in messages]
    if isinstance(error, ValidationFailed) and not isinstance(error, RuleInvalid):
        error = ValidationFailed(fields=[*error.fields, *extra])
    return rerender_with_error(request, FORM, context, error)


# --- one item ---------------------------------------------------------------------------------


def _describe(version: ItemVersion) -> tuple[str, str]:
    rule = service.rule_of(version)
    if rule is None:
        return "", ""
    registry = builtin_registry()
    amount = describe_zh(rule.amount, registry) if rule.amount is not None else ""
    return describe_zh(rule.condition, registry), amount


def _item_context(db: DB, actor: Actor, item: PolicyItem) -> dict[str, Any]:
    versions = service.versions_of(db, item.id)
    open_version = next((v for v in versions if v.state in service.OPEN_STATES), None)
    live = service.live_version(db, item)
    shown = open_version or live or versions[-1]
    description, amount_description = _describe(shown)
    org_path = orgs.get(db, item.org_id).path
    return page_common.common() | {
        "item": item,
        "policy": service.get_policy(db, item.policy_id),
        "versions": versions,
        "version": shown,
        "open_version": open_version,
        "live": live,
        "description": description,
        "amount_description": amount_description,
        "handling": orgs.get(db, shown.handling_org_id).name if shown.handling_org_id else "",
        "size_names": {s.code: s.zh for s in enterprise.sizes()},
        "may_draft": actor.has(Permission.POLICY_DRAFT) and actor.can_act_for(org_path),
        "may_review": actor.has(Permission.POLICY_REVIEW) and actor.can_act_for(org_path),
    }


@router.get("/workbench/policy-items/{item_id}")
def item_detail(request: Request, db: DB, actor: CurrentActor, item_id: Id) -> Response:
    item = workbench.readable_item(db, actor, item_id)
    return render(request, "policy/workbench/item_detail.html", _item_context(db, actor, item))


@router.get("/workbench/policy-items/{item_id}/versions/{number}")
def version_detail(request: Request, db: DB, actor: CurrentActor, item_id: Id, number: Id) -> Response:
    version = workbench.version_by_number(db, actor, item_id, number)
    item = service.get_item(db, item_id)
    description, amount_description = _describe(version)
    context = page_common.common() | {
        "item": item,
        "policy": service.get_policy(db, item.policy_id),
        "version": version,
        "description": description,
        "amount_description": amount_description,
        "handling": orgs.get(db, version.handling_org_id).name if version.handling_org_id else "",
        "size_names": {s.code: s.zh for s in enterprise.sizes()},
    }
    return render(request, "policy/workbench/version.html", context)


@router.get("/workbench/policy-items/{item_id}/edit")
def item_edit(request: Request, db: DB, actor: CurrentActor, item_id: Id) -> Response:
    require(actor, Permission.POLICY_DRAFT)
    item = workbench.readable_item(db, actor, item_id)
    versions = service.versions_of(db, item.id)
    source = service.open_version(db, item.id) or service.live_version(db, item) or versions[-1]
    policy = service.get_policy(db, item.policy_id)
    context = _form_context(
        db, policy, page_common.values_of_version(source), f"/workbench/policy-items/{item.id}/edit", item
    )
    return render(request, FORM, context | {"errors": _rule_errors(context["rule_problems"])})


@router.post("/workbench/policy-items/{item_id}/edit")
async def item_save(request: Request, db: DB, actor: CurrentActor, item_id: Id) -> Response:
    values = page_common.item_values(await request.form())
    item = workbench.readable_item(db, actor, item_id)
    policy = service.get_policy(db, item.policy_id)
    try:
        service.edit_item(db, actor, item.id, page_common.item_fields(values))
    except FORM_ERRORS as error:
        db.rollback()
        item = workbench.readable_item(db, actor, item_id)
        policy = service.get_policy(db, item.policy_id)
        context = _form_context(db, policy, values, f"/workbench/policy-items/{item_id}/edit", item)
        return _rerender(request, context, error)
    return _saved(request, db, policy, item, values)


@router.post("/workbench/policy-items/{item_id}/submit")
def item_submit(request: Request, db: DB, actor: CurrentActor, item_id: Id) -> Response:
    item = workbench.readable_item(db, actor, item_id)
    version = service.open_version(db, item.id)
    if version is None:
        raise ItemClosed(state=item.state.value)
    try:
        service.submit(db, actor, version.id)
    except RuleInvalid as error:
        db.rollback()
        item = workbench.readable_item(db, actor, item_id)
        version = service.get_version(db, version.id)
        policy = service.get_policy(db, item.policy_id)
        context = _form_context(
            db,
            policy,
            page_common.values_of_version(version),
            f"/workbench/policy-items/{item.id}/edit",
            item,
        )
        notice = translate(error.message, **error.params)
        return _render_form(request, context, status=422, notice=notice)
    return _see_other(f"/workbench/policy-items/{item.id}?submitted=1")


@router.post("/workbench/policy-items/{item_id}/withdraw")
async def item_withdraw(request: Request, db: DB, actor: CurrentActor, item_id: Id) -> Response:
    form = await request.form()
    reason = str(form.get("reason", ""))[:4000]
    try:
        service.withdraw(db, actor, item_id, reason)
    except FORM_ERRORS as error:
        db.rollback()
        item = workbench.readable_item(db, actor, item_id)
        context = _item_context(db, actor, item) | {"reason": reason}
        return rerender_with_error(request, "policy/workbench/item_detail.html", context, error)
    return _see_other(f"/workbench/policy-items/{item_id}")
