"""JSON routes of the public policy library: search, item pages, calculator (/api/v1/library).

Public: no token or log-in needed. Only live (published) items are shown; a withdrawn or expired
item answers 410 problem+json, a bad filter or figure 422 with the field's reason.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, Field

from tongban.kernel.i18n import current_language
from tongban.policy import library, library_calculator
from tongban.policy.library import LibraryFilters
from tongban.web.deps import DB, PageNumber

router = APIRouter(prefix="/api/v1/library", tags=["policy library"])

Text = Annotated[str, Query(max_length=200)]
Code = Annotated[str, Path(max_length=40)]


class HitOut(BaseModel):
    code: str = Field(description="Public code of the item (ZC-2026-0001).")
    title: str
    summary: str
    policy_id: int
    policy_title: str
    doc_number: str = Field(description="Document number (文号) of the policy.")
    region_code: str = Field(description="GB/T 2260 code of the policy's region.")
    department: str = Field(description="Issuing department.")
    support_types: list[str] = Field(description="Keys of the support types (subsidy, tax …).")
    amount: str = Field(description="The amount formula in plain words.")
    window_state: str = Field(description="upcoming, open, closing_soon or closed (today).")
    window_opens: date | None
    window_closes: date | None
    no_application: bool = Field(description="免申即享: granted without applying.")


class FacetOut(BaseModel):
    value: str
    label: str
    count: int = Field(description="Results if this value were chosen (the other filters kept).")
    selected: bool


class SearchOut(BaseModel):
    items: list[HitOut]
    total: int
    page: int
    pages: int
    facets: dict[str, list[FacetOut]] = Field(
        description="By dimension: region, department, industry, support_type, size, window, no_application."
    )


class LinkOut(BaseModel):
    code: str
    title: str


class ItemOut(BaseModel):
    code: str
    title: str
    summary: str
    version: int = Field(description="Number of the live version.")
    policy_id: int
    policy_title: str
    doc_number: str
    issuer: str
    region: str
    department: str
    handling_department: str
    conditions: str = Field(description="The conditions in plain words, generated from the rule.")
    condition_text: str = Field(description="The conditions in the rules language.")
    amount: str = Field(description="The amount in plain words.")
    amount_text: str = Field(description="The amount formula in the rules language.")
    support_types: list[str]
    industries: list[str]
    sizes: list[str]
    materials: list[str]
    window_state: str
    window_opens: date | None
    window_closes: date | None
    no_application: bool
    same_policy: list[LinkOut]
    exclusive_with: list[LinkOut] = Field(description="Items not paid together with this one (就高不重复).")


class FieldOut(BaseModel):
    name: str
    label: str
    kind: str
    unit: str
    hint: str
    options: list[list[str]]


class CalcOut(BaseModel):
    code: str
    title: str
    evaluated_on: date
    status: str = Field(description="eligible, likely or ineligible.")
    amount_low: str | None = Field(description="Lowest amount in yuan (two decimals).")
    amount_high: str | None = Field(description="Highest amount in yuan; null when unbounded.")
    amount: str = Field(description="The amount in words.")
    explanation: list[str]
    near_misses: list[str] = Field(description="What would pass a failed threshold: 营业收入还差100万元.")
    deciding: list[str] = Field(description="Missing figures that would decide a likely result.")
    fields: list[FieldOut] = Field(description="The calculator's fields.")


def _language() -> str:
    return current_language.get()


@router.get(
    "/items",
    response_model=SearchOut,
    summary="Search the live policy items",
    description=(
        "Chinese full-text search (every word of q must match; ranked by relevance, then closing date) "
        "with filters: region (the policy's region within it: a city includes its districts), department "
        "(issuing organisation id), industry (GB/T 4754 code or name), support_type, size, window "
        "(open, closing_soon, closed, upcoming) and no_application. Facet counts for every dimension."
    ),
)
def search_items(
    db: DB,
    q: Text = "",
    region: Text = "",
    department: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    industry: Text = "",
    support_type: Text = "",
    size: Text = "",
    window: Text = "",
    no_application: bool = False,
    page: PageNumber = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchOut:
    filters = LibraryFilters(region, department, industry, support_type, size, window, no_application)
    result = library.search(db, q, filters, page, page_size, _language())
    return SearchOut(
        items=[
            HitOut(
                **{
                    **hit.__dict__,
                    "support_types": list(hit.support_types),
                    "window_state": hit.window_state.value,
                }
            )
            for hit in result.items
        ],
        total=result.total,
        page=result.page,
        pages=result.pages,
        facets={k: [FacetOut(**f.__dict__) for f in v] for k, v in result.facets.items()},
    )


@router.get(
    "/items/{code}",
    response_model=ItemOut,
    summary="One live policy item",
    description="The live version with its conditions in plain words; 410 when withdrawn or expired.",
)
def get_item(db: DB, code: Code) -> ItemOut:
    page = library.item_page(db, code, _language())
    version, policy = page.version, page.policy
    return ItemOut(
        code=page.item.code,
        title=version.title,
        summary=version.summary,
        version=version.number,
        policy_id=policy.id,
        policy_title=policy.title,
        doc_number=policy.doc_number,
        issuer=policy.issuer,
        region=page.region,
        department=page.department,
        handling_department=page.handling_department,
        conditions=page.conditions,
        condition_text=version.condition_text,
        amount=page.amount,
        amount_text=version.amount_text,
        support_types=list(version.support_types),
        industries=list(version.industries),
        sizes=list(version.sizes),
        materials=list(version.materials),
        window_state=page.window_state.value,
        window_opens=version.window_opens,
        window_closes=version.window_closes,
        no_application=version.no_application,
        same_policy=[LinkOut(code=x.code, title=x.title) for x in page.same_policy],
        exclusive_with=[LinkOut(code=x.code, title=x.title) for x in page.exclusive_with],
    )


@router.post(
    "/items/{code}/calculate",
    response_model=CalcOut,
    summary="Calculate eligibility and amount for entered figures",
    description=(
        "The body maps the calculator's field names (see `fields` in the answer, e.g. `revenue@2025`, "
        "`registered_region`, `qualifications#high_tech`) to values: money in yuan or with 万/亿, ratios "
        "as percentages, yes/no for qualifications and flags. An absent or empty field is unknown (never "
        "zero): the result is then `likely` with the figures that would decide it. Nothing is stored."
    ),
)
def calculate(
    db: DB,
    code: Code,
    figures: Annotated[dict[str, Any], Body(description="Field name → value.")],
) -> CalcOut:
    language = _language()
    result = library_calculator.calculate(db, code, figures, language)
    amount = result.amount.to_json() if result.amount is not None else {"low": None, "high": None}
    return CalcOut(
        code=result.code,
        title=result.title,
        evaluated_on=result.at,
        status=result.status.value,
        amount_low=amount["low"],
        amount_high=amount["high"],
        amount=result.amount_text,
        explanation=result.lines,
        near_misses=result.near_misses,
        deciding=result.deciding,
        fields=[
            FieldOut(
                name=f.name,
                label=f.label,
                kind=f.kind,
                unit=f.unit,
                hint=f.hint,
                options=[list(o) for o in f.options],
            )
            for f in result.fields
        ],
    )
