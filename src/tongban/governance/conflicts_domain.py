"""Which value counts when departments disagree: pure resolution rules (no session).

The same subject and data element can hold different current values in two resources (the
registered address at 市场监管 and at 税务; the headcount at 人社 and at 统计). Each element has a
resolution rule; ``choose`` applies it to the candidates and says why, so that a profile can show
the resolved value with its reason. The governance service stores the rules and the stewards'
manual decisions; profiles call ``choose`` (or its bulk equivalent, which must agree with it).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tongban.kernel.errors import N_


class ResolutionKind(enum.StrEnum):
    AUTHORITATIVE = "authoritative"  # the named resource's value wins when it has one
    MOST_RECENT = "most_recent"  # the value recorded last wins
    MANUAL = "manual"  # a steward decides per subject; undecided means unknown


@dataclass(frozen=True)
class ResolutionRule:
    kind: ResolutionKind = ResolutionKind.MOST_RECENT
    authoritative_resource: str | None = None  # resource code, for AUTHORITATIVE


@dataclass(frozen=True)
class Candidate:
    """One resource's current value of the element for the subject."""

    value: object
    resource_code: str
    department: str
    recorded_at: datetime  # valid_from of the record version holding it


class Reason(enum.StrEnum):
    SINGLE_SOURCE = "single_source"
    AGREE = "agree"
    AUTHORITATIVE = "authoritative"
    MOST_RECENT = "most_recent"
    MANUAL_DECISION = "manual_decision"
    AWAITING_DECISION = "awaiting_decision"


REASON_LABELS: dict[Reason, str] = {
    Reason.SINGLE_SOURCE: N_("Only one department holds this value."),
    Reason.AGREE: N_("The departments holding this value agree."),
    Reason.AUTHORITATIVE: N_("Departments disagree; the authoritative source's value is used."),
    Reason.MOST_RECENT: N_("Departments disagree; the most recently recorded value is used."),
    Reason.MANUAL_DECISION: N_("Departments disagree; a data steward decided which value is right."),
    Reason.AWAITING_DECISION: N_("Departments disagree and a data steward has not decided yet: unknown."),
}


@dataclass(frozen=True)
class Choice:
    value: object | None  # None: unknown (an undecided manual conflict, or no candidate)
    source: Candidate | None
    conflict: bool  # the candidates hold more than one distinct value
    reason: Reason


def _same(a: object, b: object) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.strip() == b.strip()
    return a == b


def choose(
    candidates: Sequence[Candidate], rule: ResolutionRule, decided: Candidate | None = None
) -> Choice | None:
    """The value to use among the candidates (None when there is none). ``decided`` is a steward's
    manual decision for this subject and element, if one was made."""
    present = [c for c in candidates if c.value is not None]
    if not present:
        return None
    latest = max(present, key=lambda c: (c.recorded_at, c.resource_code))
    if len(present) == 1:
        return Choice(latest.value, latest, False, Reason.SINGLE_SOURCE)
    if all(_same(c.value, present[0].value) for c in present[1:]):
        return Choice(latest.value, latest, False, Reason.AGREE)
    if decided is not None:
        return Choice(decided.value, decided, True, Reason.MANUAL_DECISION)
    if rule.kind is ResolutionKind.AUTHORITATIVE:
        chosen = next((c for c in present if c.resource_code == rule.authoritative_resource), None)
        if chosen is not None:
            return Choice(chosen.value, chosen, True, Reason.AUTHORITATIVE)
        return Choice(latest.value, latest, True, Reason.MOST_RECENT)
    if rule.kind is ResolutionKind.MANUAL:
        return Choice(None, None, True, Reason.AWAITING_DECISION)
    return Choice(latest.value, latest, True, Reason.MOST_RECENT)
