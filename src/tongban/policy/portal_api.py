"""JSON routes of "我的政策" for the logged-in enterprise (/api/v1/portal/policies).

Every answer is about the caller's own enterprise; naming another (``uscc``) is refused with 403.
Amounts are integer fen (``high`` null: unbounded) with the text people read.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from tongban.kernel.i18n import translate
from tongban.policy import portal, portal_explain
from tongban.policy.portal import PortalItem
from tongban.policy.portal_explain import ValueLine
from tongban.web.deps import DB, CurrentActor

router = APIRouter(prefix="/api/v1/portal/policies", tags=["my policies"])

USCC = Query(
    default=None, max_length=30, description="Your enterprise's USCC (optional; any other is refused)."
)


class AmountOut(BaseModel):
    low_fen: int = Field(description="Lowest amount in fen.")
    high_fen: int | None = Field(description="Highest amount in fen; null: unbounded.")
    text: str = Field(description="The amount as people read it (10万元 ～ 30万元).")


class ItemOut(BaseModel):
    code: str
    title: str
    policy: str
    issuer: str
    status: Literal["eligible", "likely", "ineligible"]
    status_label: str
    amount: AmountOut | None = Field(description="Null when the item has no amount formula.")
    window_opens: date | None
    window_closes: date | None
    window: str = Field(description="upcoming, open, closing_soon or closed.")
    support_types: list[str]
    no_application: bool = Field(description="免申即享: granted without applying.")
    exclusive_group: str = Field(description="Items of one group are not paid together (就高不重复).")
    best_in_group: bool = Field(description="The one that counts in its group (the higher amount).")
    just_published: bool
    closing_soon: bool
    open_conditions: list[str] = Field(description="For a likely match: conditions still unknown.")

    @classmethod
    def of(cls, item: PortalItem) -> ItemOut:
        amount = None
        if item.has_amount and item.amount_low is not None:
            text = portal.amount_text(item.amount_low, item.amount_high, True)
            amount = AmountOut(low_fen=item.amount_low, high_fen=item.amount_high, text=text)
        return cls(
            code=item.code,
            title=item.title,
            policy=item.policy_title,
            issuer=item.issuer,
            status=item.status,
            status_label=translate(portal.STATUS_LABELS[item.status]),
            amount=amount,
            window_opens=item.window_opens,
            window_closes=item.window_closes,
            window=item.window.value,
            support_types=list(item.support_types),
            no_application=item.no_application,
            exclusive_group=item.exclusive_group,
            best_in_group=item.best_in_group,
            just_published=item.just_published,
            closing_soon=item.closing_soon,
            open_conditions=list(item.open_atoms),
        )


class ListOut(BaseModel):
    items: list[ItemOut]
    counts: dict[str, int] = Field(description="Matches per tab: all, eligible, likely, closing_soon.")
    groups: dict[str, list[str]] = Field(description="Exclusion groups with more than one matched item.")
    live_items: int = Field(description="Published items there are.")
    total_low_fen: int = Field(description="Sum of the low amounts of the items that count.")


class ValueOut(BaseModel):
    column: str
    label: str
    value: str
    known: bool
    department: str = Field(description="Department the value comes (or would come) from.")
    resource: str = Field(description="Data resource code.")
    field: str
    provide_url: str = Field(description="Declare the value yourself (empty when a department provides it).")
    dispute_url: str = Field(description="Dispute the value with its department (corrections form).")


class ConditionOut(BaseModel):
    ok: bool | None = Field(description="true met, false not met, null unknown.")
    mark: str
    text: str
    values: list[ValueOut]
    near_miss: str


class ExplanationOut(BaseModel):
    item: ItemOut
    matched: bool = Field(description="Among your stored matches.")
    conditions: list[ConditionOut]
    missing: list[ValueOut] = Field(description="Unknown values that would decide a likely item.")
    near_miss: str = Field(description="For an item you miss: the change that would qualify you.")
    explanation: list[str]
    materials: list[str]
    evaluated_on: date


class NearMissOut(BaseModel):
    item: ItemOut
    message: str = Field(description="营业收入还差210万元")
    column: str
    attribute: str


class EventOut(BaseModel):
    day: date
    kind: Literal["opens", "closes"]
    code: str
    title: str
    status: str


class CalendarOut(BaseModel):
    start: date
    end: date
    events: list[EventOut]


def _value(v: ValueLine) -> ValueOut:
    return ValueOut(**v.__dict__)


@router.get(
    "",
    response_model=ListOut,
    summary="My matched policy items",
    description=(
        "The enterprise's current matches of live items (eligible or likely), ranked by amount (high "
        "first; ranges by their low end) or by closing date, filtered by tab and support type. Items "
        "of an exclusion group come together, the one that counts first (就高不重复)."
    ),
)
def list_mine(
    db: DB,
    actor: CurrentActor,
    sort: Literal["amount", "closing"] = "amount",
    tab: Literal["all", "eligible", "likely", "closing_soon"] = "all",
    support_type: str = Query(default="", max_length=20),
    uscc: str | None = USCC,
) -> ListOut:
    found = portal.my_policies(db, actor, sort, tab, support_type=support_type, subject=uscc)
    return ListOut(
        items=[ItemOut.of(i) for i in found.items],
        counts=found.counts,
        groups={g: list(codes) for g, codes in found.groups.items()},
        live_items=found.live_items,
        total_low_fen=found.total_low_fen,
    )


@router.get(
    "/near-misses",
    response_model=list[NearMissOut],
    summary="Items I almost qualify for",
    description=(
        "Live items the enterprise is not matched to that one changed figure would qualify it for "
        "(a single failing threshold), with the change in words, ranked by the amount it would get."
    ),
)
def list_near_misses(
    db: DB, actor: CurrentActor, limit: int = Query(default=10, ge=1, le=50), uscc: str | None = USCC
) -> list[NearMissOut]:
    found = portal_explain.near_misses(db, actor, limit, subject=uscc)
    return [
        NearMissOut(item=ItemOut.of(n.item), message=n.message, column=n.column, attribute=n.attribute)
        for n in found
    ]


@router.get(
    "/calendar",
    response_model=CalendarOut,
    summary="Opening and closing dates of my matched items",
    description="From the first day of this month over `months` months, by day.",
)
def get_calendar(
    db: DB,
    actor: CurrentActor,
    months: int = Query(default=3, ge=1, le=portal.MAX_MONTHS),
    uscc: str | None = USCC,
) -> CalendarOut:
    found = portal.calendar(db, actor, months, subject=uscc)
    events = [
        EventOut(day=e.day, kind=e.kind, code=e.item.code, title=e.item.title, status=e.item.status)
        for day_events in found.days.values()
        for e in day_events
    ]
    return CalendarOut(start=found.start, end=found.end, events=events)


@router.get(
    "/{code}",
    response_model=ExplanationOut,
    summary="Why I qualify for an item, or what is missing",
    description=(
        "The live rule evaluated now against the enterprise's current profile: status, amount, each "
        "condition met / not met / unknown with the values read, their department and resource, and "
        "links to provide a missing value or dispute a recorded one; the near miss for an item missed. "
        "Reading the profile is logged as the platform's use."
    ),
)
def explain_item(db: DB, actor: CurrentActor, code: str, uscc: str | None = USCC) -> ExplanationOut:
    found = portal_explain.my_item(db, actor, code[:40], subject=uscc)
    return ExplanationOut(
        item=ItemOut.of(found.item),
        matched=found.matched,
        conditions=[
            ConditionOut(
                ok=c.value,
                mark=c.mark,
                text=c.text,
                values=[_value(v) for v in c.values],
                near_miss=c.near_miss,
            )
            for c in found.conditions
        ],
        missing=[_value(v) for v in found.missing],
        near_miss=found.near_miss,
        explanation=found.lines,
        materials=list(found.materials),
        evaluated_on=found.evaluated_on,
    )
