"""The explanation behind "我的政策": the live rules evaluated now against the enterprise's current
profile — why it qualifies or what is missing, each condition with the values it read and their
sources, and the items it almost qualifies for (near misses).

Reading the profile is the platform's own use of shared data: the resources read are logged in
the access log under the platform's grants (``profiles.rules_rows.rules_profile``), so the enterprise sees
it in "who used my data". Compiled rules of the live items are kept in-process per set of live
versions and evaluation date: every distinct atom is compiled once and decided once per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tongban.kernel import i18n
from tongban.kernel.clock import today
from tongban.kernel.errors import N_, NotFound
from tongban.kernel.permissions import Actor
from tongban.policy.domain import ItemState
from tongban.policy.models import ItemVersion, Match, Policy, PolicyItem
from tongban.policy.portal import (
    SHOWN_COLUMNS,
    PortalItem,
    Shown,
    get_live,
    live_versions,
    own_subject,
    portal_item,
    shown_of,
)
from tongban.profiles import rules_rows
from tongban.profiles.attributes import builtin_registry
from tongban.profiles.rules_rows import RulesProfile
from tongban.rules import ast
from tongban.rules.evaluate import CompiledRule, Evaluation, Status, combiner, negated_atoms
from tongban.rules.evaluate import evaluate as evaluate_rule
from tongban.rules.evaluate_amounts import AmountCompiler
from tongban.rules.explain import (
    atom_lines,
    column_label,
    explain_lines,
    near_miss_message,
    value_text,
)
from tongban.rules.near_miss import near_miss
from tongban.rules.scalars import Cond, Kleene

USE_LABEL = "我的政策（平台）"
PROFILE_PAGE = "/portal/profile"
CORRECTION_FORM = "/portal/corrections/new"


# --- compiled live rules ------------------------------------------------------------------------------


@dataclass
class _Live:
    shown: Shown
    rule: ast.Rule
    positions: tuple[int, ...]  # of its atoms in the shared list
    helpful: tuple[int, ...]  # of those, the atoms whose truth helps (not only under not)
    combine: Any
    compiled: CompiledRule | None = None


@dataclass
class _LiveSet:
    at: date
    compiler: AmountCompiler
    tests: list[Cond]
    atoms: list[ast.Node]
    items: dict[int, _Live]

    def compiled(self, live: _Live) -> CompiledRule:
        if live.compiled is None:
            live.compiled = CompiledRule(live.rule, self.compiler.registry, self.at)
        return live.compiled


_live_cache: dict[tuple[Any, ...], _LiveSet] = {}


def _engine_key(session: Session) -> tuple[str, int]:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return str(engine.url), id(engine)


def _live_set(session: Session, at: date) -> _LiveSet:
    """Every live item with a rule, its atoms compiled once across items (kept while the live
    versions and the date stay the same)."""
    versions = live_versions(session)
    key = (_engine_key(session), tuple(versions), at)
    found = _live_cache.get(key)
    if found is not None:
        return found
    registry = builtin_registry()
    compiler = AmountCompiler(registry, at)
    statement = (
        select(*SHOWN_COLUMNS, ItemVersion.rule)
        .join(PolicyItem, PolicyItem.live_version_id == ItemVersion.id)
        .join(Policy, Policy.id == PolicyItem.policy_id)
        .where(PolicyItem.state == ItemState.PUBLISHED)
    )
    index: dict[str, int] = {}
    tests: list[Cond] = []
    atoms: list[ast.Node] = []
    items: dict[int, _Live] = {}
    for row in session.execute(statement):
        if not row[-1]:
            continue
        tree = cast(dict[str, Any], row[-1])
        rule = ast.Rule.from_json(tree)
        negated = negated_atoms(rule.condition)
        positions: list[int] = []
        helpful: list[int] = []
        for atom in ast.atoms(rule.condition):
            canonical = ast.canonical_key(atom)
            if canonical not in index:
                index[canonical] = len(tests)
                tests.append(compiler.condition(atom))
                atoms.append(atom)
            positions.append(index[canonical])
            if canonical not in negated:
                helpful.append(index[canonical])
        shown = shown_of(row[:-1])
        items[shown.item_id] = _Live(
            shown, rule, tuple(positions), tuple(dict.fromkeys(helpful)), combiner(rule.condition, index)
        )
    built = _LiveSet(at, compiler, tests, atoms, items)
    _live_cache.clear()
    _live_cache[key] = built
    return built


# --- the enterprise's profile, as the platform uses it ---------------------------------------------


def _profile(session: Session, actor: Actor, subject: str, at: date) -> RulesProfile:
    """The enterprise's current profile with each value's source; the read is logged as the
    platform's use ("who used my data")."""
    return rules_rows.rules_profile(session, subject, at, label=USE_LABEL, request_id=actor.request_id or "")


# --- near misses ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NearMiss:
    item: PortalItem  # status and amount: what the enterprise would get with the change
    message: str  # "营业收入还差210万元"
    column: str
    attribute: str
    gap: Any


def _one_change(live: _Live, values: list[Kleene]) -> list[int]:
    """Atoms (shared positions) whose truth alone would lift the item from false."""
    rescuing: list[int] = []
    for position in live.helpful:
        if values[position] is not False:
            continue
        values[position] = True
        if live.combine(values) is not False:
            rescuing.append(position)
        values[position] = False
    return rescuing


def near_misses(
    session: Session,
    actor: Actor,
    limit: int = 10,
    *,
    subject: str | None = None,
    language: str | None = None,
) -> list[NearMiss]:
    """Live items the enterprise is not matched to but would be with one figure changed (a single
    failing threshold), with the change in words; ranked by the amount it would then get."""
    uscc = own_subject(actor, subject)
    lang = language or i18n.current_language.get()
    at = today()
    live = _live_set(session, at)
    if not live.items:
        return []
    matched = set(session.scalars(select(Match.item_id).where(Match.subject == uscc)))
    profile = _profile(session, actor, uscc, at)
    row = profile.row
    values: list[Kleene] = [test(row, 0) for test in live.tests]
    found: list[NearMiss] = []
    for item_id, item in live.items.items():
        if item_id in matched or item.combine(values) is not False:
            continue
        for position in _one_change(item, values):
            miss = near_miss(live.atoms[position], live.compiler, row)
            if miss is None:
                continue
            changed = dict(row)
            changed[miss["column"]] = miss["needed"]
            status, amount = live.compiled(item).decide(changed)
            if status is Status.INELIGIBLE:
                continue
            evaluation = _message_context(live, item)
            shown = portal_item(item.shown, status.value, amount, item.rule.amount is not None, at)
            found.append(
                NearMiss(
                    shown,
                    near_miss_message(miss, evaluation, lang),
                    miss["column"],
                    miss["attribute"],
                    miss["gap"],
                )
            )
            break
    found.sort(key=lambda n: (-n.item.rank_amount, n.item.code))
    return found[: max(0, limit)]


def _message_context(live: _LiveSet, item: _Live) -> Evaluation:
    """What ``near_miss_message`` reads of an evaluation: the registry and the date."""
    return Evaluation(Status.INELIGIBLE, None, (), (), item.rule, live.at, live.compiler.registry)


# --- one item, explained ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueLine:
    """One value a condition read: what it is, where it came from, what the enterprise can do."""

    column: str
    label: str
    value: str
    known: bool
    department: str
    resource: str
    field: str
    provide_url: str  # declare it yourself (no department provides it)
    dispute_url: str  # dispute it with the department that provides it


@dataclass(frozen=True)
class ConditionLine:
    value: Kleene
    mark: str  # ✓ ✗ ?
    text: str
    values: tuple[ValueLine, ...]
    near_miss: str


@dataclass(frozen=True)
class MyItem:
    item: PortalItem  # status now (may be ineligible), amount
    matched: bool  # stored among the enterprise's matches
    conditions: list[ConditionLine]
    lines: list[str]  # the whole explanation (verdict, conditions, missing data, amount)
    missing: list[ValueLine]  # unknown values that would decide a likely item
    near_miss: str  # the first near miss in words, if any
    materials: tuple[str, ...]
    evaluated_on: date


def _year_of(column: str) -> int | None:
    _, _, year = column.partition("@")
    return int(year) if year.isdigit() else None


def _value_line(
    subject: str, profile: RulesProfile, column: str, attribute: str, value: object, at: date, language: str
) -> ValueLine:
    registry = builtin_registry()
    found = registry.get(attribute)
    kind = found.type.value if found else "number"
    code_list = found.code_list if found else None
    source = (
        profile.sources.get(column)
        or profile.sources.get(column.split("#", 1)[0])
        or (profile.sources.get(attribute) or {})
    )
    known = value is not None
    year = _year_of(column)
    provide = ""
    if not known and attribute not in profile.held and kind != "tags":
        params: dict[str, Any] = {"attribute": attribute}
        if year is not None:
            params["year"] = year
        provide = f"{PROFILE_PAGE}?{urlencode(params)}#declared"
    dispute = ""
    if source.get("resource") and (known or attribute in profile.held):
        query: dict[str, Any] = {
            "subject": subject,
            "resource": source["resource"],
            "field": source.get("field", ""),
            "attribute": attribute,
        }
        if year is not None:
            query["year"] = year
        dispute = f"{CORRECTION_FORM}?{urlencode(query)}"
    shown = "✓" if value is True else ("✗" if value is False and kind == "tags" else "")
    return ValueLine(
        column=column,
        label=column_label(column, registry, at.year, language),
        value=shown or value_text(value, kind, language, code_list),
        known=known,
        department=str(source.get("department", "")),
        resource=str(source.get("resource", "")),
        field=str(source.get("field", "")),
        provide_url=provide,
        dispute_url=dispute,
    )


def my_item(
    session: Session, actor: Actor, code: str, *, subject: str | None = None, language: str | None = None
) -> MyItem:
    """Why the enterprise qualifies for a live item, or what is missing: the live rule evaluated
    now against its current profile, each condition with the values read and their sources."""
    uscc = own_subject(actor, subject)
    lang = language or i18n.current_language.get()
    at = today()
    item, version, shown = get_live(session, code)
    if not version.rule:
        raise NotFound(N_("There is no such published policy item."), code="item_not_found")
    rule = ast.Rule.from_json(version.rule)
    profile = _profile(session, actor, uscc, at)
    evaluation = evaluate_rule(rule, profile.row, at, sources=profile.sources)
    conditions: list[ConditionLine] = []
    first_miss = ""
    texts = atom_lines(evaluation.atoms, evaluation, lang)
    for result, text in zip(evaluation.atoms, texts, strict=True):
        values = tuple(
            _value_line(uscc, profile, c.column, c.attribute, c.value, at, lang)
            for c in result.columns
            if "#" not in c.column
        )
        miss = near_miss_message(result.near_miss, evaluation, lang) if result.near_miss else ""
        first_miss = first_miss or miss
        conditions.append(ConditionLine(result.value, text[:1], text[2:], values, miss))
    missing = [
        _value_line(uscc, profile, column, column.split("@", 1)[0].split("#", 1)[0], None, at, lang)
        for column in evaluation.deciding
    ]
    stored = session.scalar(
        select(Match).where(Match.subject == uscc, Match.item_id == item.id, Match.version_id == version.id)
    )
    shown_item = portal_item(
        shown,
        evaluation.status.value,
        evaluation.amount,
        rule.amount is not None,
        at,
        stored.open_atoms if stored else (),
    )
    return MyItem(
        item=shown_item,
        matched=stored is not None,
        conditions=conditions,
        lines=explain_lines(evaluation, lang, profile.sources),
        missing=missing,
        near_miss=first_miss if evaluation.status is Status.INELIGIBLE else "",
        materials=shown.materials,
        evaluated_on=at,
    )
