"""The demo city's policies (政策): ten policy documents of 厦门市 and 海沧区 broken into items,
published through the publishing service, matched against every enterprise and delivered.

The data is one JSON file per policy under ``demo/policies/``: the document (title, 文号 with
``{year}`` for the year of issue, issuing authority, region, level, full text as a list of
paragraphs) and its items. Dates are days relative to the demo's today (``kernel.clock``), so
that whenever the demo is loaded some windows are open, some closing soon, one or two not yet
open, and none closed. An item's rule is either its own ``condition``/``amount`` text or a
``rule_file`` of ``demo/rules/`` (the clauses of policy-examples.md, E1–E10), read from there.

All items are registered as 厦门市工业和信息化局 (350200-GXJ): it is the only demo department
with two policy officers, and a version needs a drafter and another officer to approve it. The
document's ``issuer`` names the real issuing authorities; ``handling`` names the department that
handles applications.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tongban.db import transaction
from tongban.kernel.accounts import service as accounts
from tongban.kernel.accounts.models import User
from tongban.kernel.clock import today
from tongban.kernel.orgs import service as orgs
from tongban.kernel.permissions import Actor
from tongban.policy import service
from tongban.policy.domain import ItemFields, PolicyFields, PolicyLevel
from tongban.policy.models import Policy
from tongban.rules.files import sections

POLICY_DIR = Path(__file__).parent / "policies"
RULES_DIR = Path(__file__).parent / "rules"
DRAFTER = "policy_officer"
REVIEWER = "policy_reviewer"
REVIEW_NOTE = "条件与金额已核对原文，同意发布。"
SEND_ROUNDS = 200  # at most this many batches of notifications per demo run

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoItem:
    """One item of a demo policy, with its dates resolved against a day."""

    title: str
    fields: ItemFields
    handling: str
    rule_file: str


@dataclass(frozen=True)
class DemoPolicy:
    key: str
    fields: PolicyFields
    items: tuple[DemoItem, ...]


@dataclass(frozen=True)
class DemoPolicies:
    """What one run of the demo step did."""

    policies: int  # policies in the data
    created: int  # policies registered now (the rest existed: same 文号)
    items_published: int  # items published now
    items_live: int  # live items after the run
    match_run_id: int | None
    matches: int  # eligible and likely pairs stored by the run
    notifications_sent: int


def _day(base: date, offset: Any) -> date | None:
    return None if offset is None else base + timedelta(days=int(offset))


def _text(value: str | list[str]) -> str:
    return "\n".join(value) if isinstance(value, list) else value


@cache
def rule_file_texts(name: str) -> tuple[str, str]:
    """A rule file's condition and amount texts (comments and indentation as written)."""
    text = (RULES_DIR / name).read_text("utf-8")
    found, problems = sections(text)
    if problems or "condition" not in found:
        raise ValueError(f"rule file {name} has no well-formed condition section")

    def part(key: str) -> str:
        if key not in found:
            return ""
        start, end = found[key]
        return textwrap.dedent(text[start:end].strip("\n")).strip()

    return part("condition"), part("amount")


def _item(raw: dict[str, Any], base: date) -> DemoItem:
    rule_file = str(raw.get("rule_file", ""))
    if rule_file:
        condition, amount = rule_file_texts(rule_file)
    else:
        condition, amount = _text(raw["condition"]).strip(), _text(raw.get("amount", "")).strip()
    budget = raw.get("budget_wan")
    fields = ItemFields(
        title=raw["title"],
        summary=_text(raw["summary"]),
        condition_text=condition,
        amount_text=amount,
        support_types=tuple(raw["support_types"]),
        industries=tuple(raw.get("industries", ())),
        sizes=tuple(raw.get("sizes", ())),
        window_opens=_day(base, raw.get("opens")),
        window_closes=_day(base, raw.get("closes")),
        handling_org_id=None,
        materials=tuple(raw.get("materials", ())),
        exclusive_group=raw.get("exclusive_group", ""),
        annual_budget_fen=None if budget is None else int(budget) * 10_000 * 100,
        no_application=bool(raw.get("no_application", False)),
    )
    return DemoItem(raw["title"], fields, raw.get("handling", ""), rule_file)


def _policy(path: Path, base: date) -> DemoPolicy:
    raw = json.loads(path.read_text("utf-8"))
    issued = _day(base, raw["issued"])
    assert issued is not None
    fields = PolicyFields(
        title=raw["title"],
        doc_number=raw["doc_number"].format(year=issued.year),
        issuer=raw["issuer"],
        region_code=raw["region"],
        level=PolicyLevel(raw["level"]),
        issued_on=issued,
        effective_on=_day(base, raw["effective"]),
        expires_on=_day(base, raw.get("expires")),
        full_text=_text(raw["full_text"]),
        source_url=raw.get("source_url", ""),
    )
    return DemoPolicy(path.stem, fields, tuple(_item(item, base) for item in raw["items"]))


def load_demo_policies(on: date | None = None) -> list[DemoPolicy]:
    """The demo policies with their dates placed around ``on`` (default: today), in file order."""
    base = on or today()
    return [_policy(path, base) for path in sorted(POLICY_DIR.glob("*.json"))]


def _officer(session: Session, username: str) -> Actor:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise LookupError(f"the demo account {username} is missing: run the demo's account step first")
    return accounts.actor_for_user(session, user, request_id=f"demo-{username}")


def _publish(session: Session, policy: DemoPolicy) -> int:
    """Register the policy and every item; the drafter submits, the reviewer approves."""
    drafter, reviewer = _officer(session, DRAFTER), _officer(session, REVIEWER)
    created = service.create_policy(session, drafter, policy.fields)
    for item in policy.items:
        handling = orgs.get_by_code(session, item.handling).id if item.handling else None
        fields = ItemFields(**{**item.fields.__dict__, "handling_org_id": handling})
        version = service.create_item(session, drafter, created.id, fields)
        service.submit(session, drafter, version.id)
        service.approve(session, reviewer, version.id, REVIEW_NOTE)
    return len(policy.items)


def publish_policies(
    session_factory: sessionmaker[Session], progress: Progress | None = None
) -> tuple[int, int, int]:
    """Register and publish the demo policies whose 文号 is not there yet, one transaction per
    policy. Returns (policies in the data, policies created, items published)."""
    policies = load_demo_policies()
    created = published = 0
    for policy in policies:
        with transaction(session_factory) as session:
            exists = session.scalar(select(Policy.id).where(Policy.doc_number == policy.fields.doc_number))
            if exists is not None:
                continue
            published += _publish(session, policy)
            created += 1
        if progress is not None:
            progress(f"{policy.fields.doc_number} {policy.fields.title}: {len(policy.items)}")
    return len(policies), created, published


def publish_demo_policies(
    session_factory: sessionmaker[Session], progress: Progress | None = None
) -> DemoPolicies:
    """Publish the demo policies (idempotent: a 文号 already registered is skipped), match every
    enterprise of the latest snapshot against every live item, and send the notifications due."""
    from tongban.notify import outbox
    from tongban.policy import matching
    from tongban.policy.models import MatchRun

    total, created, published = publish_policies(session_factory, progress)
    run_id = matching.run(session_factory, "demo")
    with session_factory() as session:
        run = session.get(MatchRun, run_id)
        matches = run.matches if run is not None else 0
        live = len(service.live_items(session))
    if progress is not None:
        progress(f"matching run {run_id}: {matches} matches")
    sent = 0
    for _ in range(SEND_ROUNDS):
        batch = outbox.send_due(session_factory)
        sent += batch
        if batch == 0:
            break
    return DemoPolicies(total, created, published, live, run_id, matches, sent)
