"""Policies and items (政策 / 政策条款): the pure rules of publishing.

An item's content lives in versions. A version is a *draft* while its author edits it; the author
*submits* it for review (*in_review*); another officer of the issuing department *approves* it,
which publishes it (*published*) and marks the version it replaces *superseded*, or *rejects* it
with a reason (*rejected*: the author edits it again as a draft). A published item can be
*withdrawn* (its live version becomes *withdrawn*); it *expires* by itself when its application
window or the policy's validity ends. Every other move is refused with ``InvalidTransition``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from tongban.kernel.errors import N_, FieldProblem, InvalidTransition, PermissionDenied, ValidationFailed


class VersionState(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    REJECTED = "rejected"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class ItemState(enum.StrEnum):
    """The item as the public sees it: not yet published, live, withdrawn or expired."""

    UNPUBLISHED = "unpublished"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class Action(enum.StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"
    SUPERSEDE = "supersede"


TRANSITIONS: dict[tuple[VersionState, Action], VersionState] = {
    (VersionState.DRAFT, Action.EDIT): VersionState.DRAFT,
    (VersionState.REJECTED, Action.EDIT): VersionState.DRAFT,
    (VersionState.DRAFT, Action.SUBMIT): VersionState.IN_REVIEW,
    (VersionState.IN_REVIEW, Action.APPROVE): VersionState.PUBLISHED,
    (VersionState.IN_REVIEW, Action.REJECT): VersionState.REJECTED,
    (VersionState.PUBLISHED, Action.WITHDRAW): VersionState.WITHDRAWN,
    (VersionState.PUBLISHED, Action.EXPIRE): VersionState.EXPIRED,
    (VersionState.PUBLISHED, Action.SUPERSEDE): VersionState.SUPERSEDED,
}

VERSION_LABELS: dict[VersionState, str] = {
    VersionState.DRAFT: N_("Draft"),
    VersionState.IN_REVIEW: N_("In review"),
    VersionState.REJECTED: N_("Returned"),
    VersionState.PUBLISHED: N_("Published"),
    VersionState.SUPERSEDED: N_("Superseded"),
    VersionState.WITHDRAWN: N_("Withdrawn"),
    VersionState.EXPIRED: N_("Expired"),
}

ITEM_LABELS: dict[ItemState, str] = {
    ItemState.UNPUBLISHED: N_("Not published"),
    ItemState.PUBLISHED: N_("Published"),
    ItemState.WITHDRAWN: N_("Withdrawn"),
    ItemState.EXPIRED: N_("Expired"),
}


class PolicyLevel(enum.StrEnum):
    NATIONAL = "national"
    PROVINCIAL = "provincial"
    MUNICIPAL = "municipal"
    DISTRICT = "district"


LEVEL_LABELS: dict[PolicyLevel, str] = {
    PolicyLevel.NATIONAL: N_("National"),
    PolicyLevel.PROVINCIAL: N_("Provincial"),
    PolicyLevel.MUNICIPAL: N_("Municipal"),
    PolicyLevel.DISTRICT: N_("District"),
}

# Support types (扶持方式) an item can be tagged with; the keys are stable, the labels translate.
SUPPORT_TYPES: dict[str, str] = {
    "subsidy": N_("Financial subsidy"),  # 资金补贴
    "tax": N_("Tax incentive"),  # 税收优惠
    "talent": N_("Talent"),  # 人才
    "finance": N_("Financing"),  # 融资
    "land": N_("Land"),  # 用地
    "honour": N_("Honour or qualification"),  # 荣誉资质
    "employment": N_("Employment"),  # 就业稳岗
    "innovation": N_("Innovation"),  # 科技创新
}


class WindowState(enum.StrEnum):
    """Where today stands against an item's application window."""

    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSING_SOON = "closing_soon"
    CLOSED = "closed"


WINDOW_LABELS: dict[WindowState, str] = {
    WindowState.UPCOMING: N_("Not yet open"),
    WindowState.OPEN: N_("Open"),
    WindowState.CLOSING_SOON: N_("Closing soon"),
    WindowState.CLOSED: N_("Closed"),
}

CLOSING_SOON_DAYS = 14  # calendar days before the window closes
TITLE_LIMIT = 300
TEXT_LIMIT = 200_000
NOTE_LIMIT = 2000
MATERIALS_LIMIT = 30


class ItemClosed(InvalidTransition):
    default_code = "policy_item_state"
    default_message = N_("This version cannot be changed that way now (it is {state}).")


class SelfReview(PermissionDenied):
    default_code = "policy_self_review"
    default_message = N_("Another officer of the issuing department must review an item you submitted.")


def next_state(current: VersionState, action: Action) -> VersionState:
    """The state after ``action``; ``ItemClosed`` when the move is not allowed from ``current``."""
    target = TRANSITIONS.get((current, action))
    if target is None:
        raise ItemClosed(state=current.value, action=action.value)
    return target


def check_reviewer(submitted_by: int | None, reviewer: int | None) -> None:
    """The four-eyes rule: the reviewer is not the person who submitted the version."""
    if submitted_by is not None and submitted_by == reviewer:
        raise SelfReview()


def window_state(opens: date | None, closes: date | None, today: date) -> WindowState:
    """No opening date: open from publication; no closing date: open until withdrawn or expired."""
    if opens is not None and today < opens:
        return WindowState.UPCOMING
    if closes is not None and today > closes:
        return WindowState.CLOSED
    if closes is not None and (closes - today).days <= CLOSING_SOON_DAYS:
        return WindowState.CLOSING_SOON
    return WindowState.OPEN


def is_expired(window_closes: date | None, policy_expires: date | None, today: date) -> bool:
    """A published item expires the day after its window closes or its policy stops applying."""
    ends = [d for d in (window_closes, policy_expires) if d is not None]
    return bool(ends) and today > min(ends)


@dataclass(frozen=True)
class PolicyFields:
    """What an officer enters about a policy document."""

    title: str
    doc_number: str
    issuer: str
    region_code: str
    level: PolicyLevel
    issued_on: date | None
    effective_on: date | None
    expires_on: date | None
    full_text: str
    source_url: str = ""


def check_policy(fields: PolicyFields) -> PolicyFields:
    """Required fields present, dates in order, texts within limits; all problems at once."""
    problems: list[FieldProblem] = []
    if not fields.title.strip():
        problems.append(FieldProblem("title", N_("Enter the policy's title.")))
    elif len(fields.title) > TITLE_LIMIT:
        problems.append(FieldProblem("title", N_("At most {limit} characters."), {"limit": TITLE_LIMIT}))
    if not fields.issuer.strip():
        problems.append(FieldProblem("issuer", N_("Enter the issuing authority.")))
    if len(fields.full_text) > TEXT_LIMIT:
        problems.append(FieldProblem("full_text", N_("At most {limit} characters."), {"limit": TEXT_LIMIT}))
    if fields.source_url and not fields.source_url.startswith(("https://", "http://")):
        problems.append(FieldProblem("source_url", N_("Enter a web address starting with https://.")))
    if fields.effective_on and fields.expires_on and fields.expires_on < fields.effective_on:
        problems.append(FieldProblem("expires_on", N_("The policy cannot expire before it takes effect.")))
    if fields.issued_on and fields.effective_on and fields.effective_on < fields.issued_on:
        problems.append(
            FieldProblem("effective_on", N_("A policy takes effect on or after its date of issue."))
        )
    if problems:
        raise ValidationFailed(fields=problems)
    return PolicyFields(
        title=fields.title.strip(),
        doc_number=fields.doc_number.strip(),
        issuer=fields.issuer.strip(),
        region_code=fields.region_code.strip(),
        level=fields.level,
        issued_on=fields.issued_on,
        effective_on=fields.effective_on,
        expires_on=fields.expires_on,
        full_text=fields.full_text.strip(),
        source_url=fields.source_url.strip(),
    )


@dataclass(frozen=True)
class ItemFields:
    """What an officer enters about an item (the rule texts are checked by the rules engine)."""

    title: str
    summary: str
    condition_text: str
    amount_text: str
    support_types: tuple[str, ...]
    industries: tuple[str, ...]
    sizes: tuple[str, ...]
    window_opens: date | None
    window_closes: date | None
    handling_org_id: int | None
    materials: tuple[str, ...]
    exclusive_group: str
    annual_budget_fen: int | None
    no_application: bool


def check_item(fields: ItemFields) -> ItemFields:
    """Everything but the rule texts; all problems at once, each on its field."""
    problems: list[FieldProblem] = []
    if not fields.title.strip():
        problems.append(FieldProblem("title", N_("Enter the item's title.")))
    elif len(fields.title) > TITLE_LIMIT:
        problems.append(FieldProblem("title", N_("At most {limit} characters."), {"limit": TITLE_LIMIT}))
    if len(fields.summary) > TEXT_LIMIT:
        problems.append(FieldProblem("summary", N_("At most {limit} characters."), {"limit": TEXT_LIMIT}))
    unknown = sorted(set(fields.support_types) - set(SUPPORT_TYPES))
    if unknown:
        problems.append(
            FieldProblem("support_types", N_("Unknown support type: {value}."), {"value": unknown[0]})
        )
    if fields.window_opens and fields.window_closes and fields.window_closes < fields.window_opens:
        problems.append(FieldProblem("window_closes", N_("The window cannot close before it opens.")))
    if fields.annual_budget_fen is not None and fields.annual_budget_fen < 0:
        problems.append(FieldProblem("annual_budget", N_("The budget cannot be negative.")))
    materials = tuple(m.strip() for m in fields.materials if m.strip())
    if len(materials) > MATERIALS_LIMIT:
        problems.append(
            FieldProblem("materials", N_("At most {limit} materials."), {"limit": MATERIALS_LIMIT})
        )
    if len(fields.exclusive_group) > 60:
        problems.append(FieldProblem("exclusive_group", N_("At most {limit} characters."), {"limit": 60}))
    if problems:
        raise ValidationFailed(fields=problems)
    return ItemFields(
        title=fields.title.strip(),
        summary=fields.summary.strip(),
        condition_text=fields.condition_text.strip(),
        amount_text=fields.amount_text.strip(),
        support_types=tuple(dict.fromkeys(fields.support_types)),
        industries=tuple(dict.fromkeys(i.strip() for i in fields.industries if i.strip())),
        sizes=tuple(dict.fromkeys(s.strip() for s in fields.sizes if s.strip())),
        window_opens=fields.window_opens,
        window_closes=fields.window_closes,
        handling_org_id=fields.handling_org_id,
        materials=materials,
        exclusive_group=fields.exclusive_group.strip(),
        annual_budget_fen=fields.annual_budget_fen,
        no_application=fields.no_application,
    )


def require_reason(text: str) -> str:
    """A rejection or a withdrawal says why."""
    reason = text.strip()
    if not reason:
        raise ValidationFailed(fields=[FieldProblem("reason", N_("Say why."))])
    if len(reason) > NOTE_LIMIT:
        raise ValidationFailed(
            fields=[FieldProblem("reason", N_("At most {limit} characters."), {"limit": NOTE_LIMIT})]
        )
    return reason


def exclusive_winners(amounts: dict[str, tuple[str, int]]) -> set[str]:
    """Mutual exclusion "就高不重复": of items sharing an exclusion group, only the one with the
    highest amount counts (ties: the smallest item code). ``amounts`` maps item code to
    (group, amount in fen); items without a group always count."""
    best: dict[str, tuple[int, str]] = {}
    for code, (group, fen) in amounts.items():
        if not group:
            continue
        current = best.get(group)
        if current is None or (-fen, code) < (-current[0], current[1]):
            best[group] = (fen, code)
    return {code for code, (group, _) in amounts.items() if not group or best[group][1] == code}
