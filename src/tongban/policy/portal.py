"""The enterprise portal "我的政策": what the logged-in enterprise is matched to, why, what is
missing, what it almost qualifies for, and when windows open and close.

Only an enterprise user (``PORTAL_USE`` with a USCC) reads it, and only about its own enterprise.
The list reads the stored matches (``matching.matches_of_subject``) of live versions; the
explanation and the near misses evaluate the live rules *now* against the enterprise's current
profile (``profiles.service.compute``), which is the platform's own use of shared data: it is
logged in the access log ("who used my data") under the platform's grants.

Compiled rules of the live items are kept in-process per set of live versions and evaluation
date (``_live_set``): every distinct atom is compiled once and decided once per request.
"""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tongban.kernel import i18n
from tongban.kernel.clock import today
from tongban.kernel.errors import N_, FieldProblem, NotFound, PermissionDenied, ValidationFailed
from tongban.kernel.permissions import Actor, Permission, require
from tongban.policy import domain, matching
from tongban.policy.domain import ItemState, WindowState
from tongban.policy.models import ItemVersion, Match, Policy, PolicyItem
from tongban.rules.evaluate import AmountRange
from tongban.rules.explain import money_text

SORTS = ("amount", "closing")
FILTERS = ("all", "eligible", "likely", "closing_soon")
JUST_PUBLISHED_DAYS = 7
MAX_MONTHS = 12
USE_LABEL = "我的政策（平台）"
PROFILE_PAGE = "/portal/profile"
CORRECTION_FORM = "/portal/corrections/new"

STATUS_LABELS = {
    "eligible": N_("Eligible"),
    "likely": N_("Likely eligible"),
    "ineligible": N_("Not eligible"),
}


# --- who may look ---------------------------------------------------------------------------------


def own_subject(actor: Actor, subject: str | None = None) -> str:
    """The actor's enterprise; ``PermissionDenied`` for anyone else or about another enterprise."""
    require(actor, Permission.PORTAL_USE)
    if not actor.uscc:
        raise PermissionDenied(N_("Only an enterprise has policies matched to it."))
    if subject is not None and subject.strip().upper() != actor.uscc:
        raise PermissionDenied(
            N_("You can only see your own enterprise's policies."), code="other_enterprise"
        )
    return actor.uscc


# --- what is shown of an item ---------------------------------------------------------------------


@dataclass(frozen=True)
class PortalItem:
    """A live item as the enterprise sees it, with its status for the enterprise."""

    item_id: int
    version_id: int
    code: str
    title: str
    summary: str
    policy_title: str
    issuer: str
    status: str  # eligible, likely (ineligible only on the explanation page)
    amount_low: int | None  # fen; None: no amount formula
    amount_high: int | None  # fen; None: unbounded (or no formula)
    has_amount: bool
    window_opens: date | None
    window_closes: date | None
    window: WindowState
    support_types: tuple[str, ...]
    no_application: bool
    exclusive_group: str
    just_published: bool
    open_atoms: tuple[str, ...] = ()
    best_in_group: bool = True  # the one that counts among its exclusion group (就高不重复)
    group_size: int = 1  # matched items sharing its exclusion group

    @property
    def closing_soon(self) -> bool:
        return self.window is WindowState.CLOSING_SOON

    @property
    def rank_amount(self) -> int:
        """Ranges rank by their low end; no formula ranks as nothing."""
        return self.amount_low or 0


def amount_text(low: int | None, high: int | None, has_amount: bool, language: str | None = None) -> str:
    """'20万元', '10万元 ～ 30万元', '不少于10万元'; '' when the item has no amount formula."""
    lang = language or i18n.current_language.get()
    if not has_amount or low is None:
        return ""
    if high == low:
        return money_text(low, lang)
    zh = lang.startswith("zh")
    if high is None:
        if low == 0:
            return "金额待定" if zh else "amount to be determined"
        return f"不少于{money_text(low, lang)}" if zh else f"at least {money_text(low, lang)}"
    return f"{money_text(low, lang)} ～ {money_text(high, lang)}"


@dataclass(frozen=True)
class Shown:
    """The display fields of a live version (plain values, cacheable)."""

    item_id: int
    version_id: int
    code: str
    title: str
    summary: str
    policy_title: str
    issuer: str
    window_opens: date | None
    window_closes: date | None
    support_types: tuple[str, ...]
    no_application: bool
    exclusive_group: str
    published_at: datetime | None
    materials: tuple[str, ...]


SHOWN_COLUMNS = (
    PolicyItem.id,
    ItemVersion.id,
    PolicyItem.code,
    ItemVersion.title,
    ItemVersion.summary,
    Policy.title,
    Policy.issuer,
    ItemVersion.window_opens,
    ItemVersion.window_closes,
    ItemVersion.support_types,
    ItemVersion.no_application,
    ItemVersion.exclusive_group,
    ItemVersion.published_at,
    ItemVersion.materials,
)


def shown_of(values: Sequence[Any]) -> Shown:
    return Shown(
        item_id=values[0],
        version_id=values[1],
        code=values[2],
        title=values[3],
        summary=values[4] or "",
        policy_title=values[5],
        issuer=values[6],
        window_opens=values[7],
        window_closes=values[8],
        support_types=tuple(values[9] or ()),
        no_application=bool(values[10]),
        exclusive_group=values[11] or "",
        published_at=values[12],
        materials=tuple(values[13] or ()),
    )


def portal_item(
    shown: Shown,
    status: str,
    amount: AmountRange | None,
    has_amount: bool,
    at: date,
    open_atoms: Sequence[str] = (),
) -> PortalItem:
    published = shown.published_at
    fresh = published is not None and (at - published.date()).days < JUST_PUBLISHED_DAYS
    return PortalItem(
        item_id=shown.item_id,
        version_id=shown.version_id,
        code=shown.code,
        title=shown.title,
        summary=shown.summary,
        policy_title=shown.policy_title,
        issuer=shown.issuer,
        status=status,
        amount_low=amount.low_fen if amount is not None else None,
        amount_high=amount.high_fen if amount is not None else None,
        has_amount=has_amount,
        window_opens=shown.window_opens,
        window_closes=shown.window_closes,
        window=domain.window_state(shown.window_opens, shown.window_closes, at),
        support_types=shown.support_types,
        no_application=shown.no_application,
        exclusive_group=shown.exclusive_group,
        just_published=fresh,
        open_atoms=tuple(open_atoms),
    )


# --- the list ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MyPolicies:
    subject: str
    sort: str
    filter: str
    support_type: str
    items: list[PortalItem]  # filtered, ranked, exclusion groups together (best first)
    counts: dict[str, int]  # per filter tab, over every match
    groups: dict[str, tuple[str, ...]]  # exclusion group → codes of the matched items in it
    live_items: int  # live items the enterprise could be matched to (for the empty state)
    total_low_fen: int  # sum of low amounts of the items that count (best of each group)


def _check_choice(name: str, value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValidationFailed(
            fields=[FieldProblem(name, N_("Choose one of: {choices}."), {"choices": ", ".join(allowed)})]
        )
    return value


def _matched(session: Session, subject: str, at: date) -> list[PortalItem]:
    """The enterprise's matches of live items with the live versions' display fields (2 queries)."""
    found = matching.matches_of_subject(session, subject)
    if not found:
        return []
    statement = (
        select(*SHOWN_COLUMNS)
        .join(PolicyItem, PolicyItem.live_version_id == ItemVersion.id)
        .join(Policy, Policy.id == PolicyItem.policy_id)
        .where(ItemVersion.id.in_({m.version_id for m in found}))
    )
    shown = {row[1]: shown_of(row) for row in session.execute(statement)}
    items: list[PortalItem] = []
    for match in found:
        version = shown.get(match.version_id)
        if version is None:
            continue
        has_amount = match.amount_low is not None
        amount = AmountRange(match.amount_low, match.amount_high) if match.amount_low is not None else None
        items.append(portal_item(version, match.status, amount, has_amount, at, match.open_atoms or ()))
    return mark_groups(items)


def mark_groups(items: list[PortalItem]) -> list[PortalItem]:
    winners = domain.exclusive_winners({i.code: (i.exclusive_group, i.rank_amount) for i in items})
    sizes: dict[str, int] = {}
    for item in items:
        if item.exclusive_group:
            sizes[item.exclusive_group] = sizes.get(item.exclusive_group, 0) + 1
    return [
        _replace(i, best_in_group=i.code in winners, group_size=sizes.get(i.exclusive_group, 1))
        for i in items
    ]


def _replace(item: PortalItem, **changes: Any) -> PortalItem:
    return replace(item, **changes)


def rank(items: Sequence[PortalItem], sort: str) -> list[PortalItem]:
    """By amount (high first, ranges by their low end) or by closing date (soonest first, open-ended
    last); items of an exclusion group together at the place of their best one, best first."""
    far = date.max
    if sort == "amount":
        ranked = sorted(items, key=lambda i: (-i.rank_amount, i.window_closes or far, i.code))
    else:
        ranked = sorted(items, key=lambda i: (i.window_closes or far, -i.rank_amount, i.code))
    members: dict[str, list[PortalItem]] = {}
    for item in ranked:
        if item.exclusive_group:
            members.setdefault(item.exclusive_group, []).append(item)
    out: list[PortalItem] = []
    placed: set[str] = set()
    for item in ranked:
        if item.code in placed:
            continue
        group = members.get(item.exclusive_group, [item]) if item.exclusive_group else [item]
        ordered = sorted(group, key=lambda i: not i.best_in_group)  # stable: rank order otherwise
        out.extend(ordered)
        placed.update(i.code for i in ordered)
    return out


def _keep(item: PortalItem, filter_: str, support_type: str) -> bool:
    if support_type and support_type not in item.support_types:
        return False
    if filter_ == "eligible":
        return item.status == "eligible"
    if filter_ == "likely":
        return item.status == "likely"
    if filter_ == "closing_soon":
        return item.closing_soon
    return True


def my_policies(
    session: Session,
    actor: Actor,
    sort: str = "amount",
    filter: str = "all",
    *,
    support_type: str = "",
    subject: str | None = None,
) -> MyPolicies:
    """The enterprise's current matches of live items, ranked and filtered."""
    uscc = own_subject(actor, subject)
    _check_choice("sort", sort, SORTS)
    _check_choice("filter", filter, FILTERS)
    if support_type:
        _check_choice("support_type", support_type, tuple(domain.SUPPORT_TYPES))
    at = today()
    items = _matched(session, uscc, at)
    counts = {name: sum(1 for i in items if _keep(i, name, "")) for name in FILTERS}
    groups: dict[str, list[str]] = {}
    for item in items:
        if item.exclusive_group and item.group_size > 1:
            groups.setdefault(item.exclusive_group, []).append(item.code)
    live = session.scalar(
        select(func.count()).select_from(PolicyItem).where(PolicyItem.state == ItemState.PUBLISHED)
    )
    total = sum(i.rank_amount for i in items if i.best_in_group)
    return MyPolicies(
        subject=uscc,
        sort=sort,
        filter=filter,
        support_type=support_type,
        items=rank([i for i in items if _keep(i, filter, support_type)], sort),
        counts=counts,
        groups={g: tuple(sorted(codes)) for g, codes in groups.items()},
        live_items=live or 0,
        total_low_fen=total,
    )


def live_versions(session: Session) -> list[tuple[int, int, datetime | None, datetime | None]]:
    statement = (
        select(PolicyItem.id, ItemVersion.id, ItemVersion.published_at, ItemVersion.created_at)
        .join(ItemVersion, ItemVersion.id == PolicyItem.live_version_id)
        .where(PolicyItem.state == ItemState.PUBLISHED)
        .order_by(PolicyItem.id)
    )
    return [tuple(row) for row in session.execute(statement)]  # type: ignore[misc]


def get_live(session: Session, code: str) -> tuple[PolicyItem, ItemVersion, Shown]:
    """A live item by code; ``NotFound`` for an unknown code or an item no longer published."""
    statement = (
        select(PolicyItem, ItemVersion, *SHOWN_COLUMNS)
        .join(ItemVersion, ItemVersion.id == PolicyItem.live_version_id)
        .join(Policy, Policy.id == PolicyItem.policy_id)
        .where(PolicyItem.code == code.strip()[:40], PolicyItem.state == ItemState.PUBLISHED)
    )
    found = session.execute(statement).first()
    if found is None:
        raise NotFound(N_("There is no such published policy item."), code="item_not_found")
    return found[0], found[1], shown_of(found[2:])


def record_view(
    session: Session, actor: Actor, code: str, link_token: str | None = None, *, link_key: str | None = None
) -> bool:
    """The enterprise opened the item's page (funnel step "viewed", once per version), and if it
    came from a notification link, that link was opened; True when "viewed" is new. Only a match
    counts: the funnel follows matched enterprises."""
    from tongban.policy import delivery

    uscc = own_subject(actor)
    if link_token:
        delivery.opened_from_link(session, link_token[:200], key=link_key)
    item, version, _ = get_live(session, code)
    matched = session.scalar(
        select(Match.id).where(
            Match.subject == uscc, Match.item_id == item.id, Match.version_id == version.id
        )
    )
    if matched is None:
        return False
    return delivery.record_step(session, item.id, version.id, uscc, "viewed")


# --- calendar ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarEvent:
    day: date
    kind: str  # opens or closes
    item: PortalItem


@dataclass(frozen=True)
class CalendarMonth:
    year: int
    month: int
    weeks: list[list[date | None]]  # Monday first; None outside the month


@dataclass(frozen=True)
class Calendar:
    start: date
    end: date
    today: date
    days: dict[date, list[CalendarEvent]]
    months: list[CalendarMonth]


def calendar(session: Session, actor: Actor, months: int = 3, *, subject: str | None = None) -> Calendar:
    """Opening and closing dates of the matched items, by day, from the first of this month over
    ``months`` months."""
    uscc = own_subject(actor, subject)
    if not 1 <= months <= MAX_MONTHS:
        raise ValidationFailed(
            fields=[FieldProblem("months", N_("Between 1 and {limit}."), {"limit": MAX_MONTHS})]
        )
    at = today()
    start = at.replace(day=1)
    shown: list[CalendarMonth] = []
    year, month = start.year, start.month
    for _ in range(months):
        weeks = [
            [date(year, month, d) if d else None for d in week]
            for week in month_calendar.Calendar(firstweekday=0).monthdayscalendar(year, month)
        ]
        shown.append(CalendarMonth(year, month, weeks))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    end = date(year, month, 1) - timedelta(days=1)
    days: dict[date, list[CalendarEvent]] = {}
    for item in mark_groups(_matched(session, uscc, at)):
        for kind, day in (("opens", item.window_opens), ("closes", item.window_closes)):
            if day is not None and start <= day <= end:
                days.setdefault(day, []).append(CalendarEvent(day, kind, item))
    for events in days.values():
        events.sort(key=lambda e: (e.kind != "closes", e.item.code))
    return Calendar(start, end, at, dict(sorted(days.items())), shown)
