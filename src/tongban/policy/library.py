"""The public policy library (查看): full-text search of live items with filters and facet
counts, and the public page of an item.

Only live (published) items are public. The full-text index (``library_index``) is matched with
every word of the query (``catalog.search.query_words``: jieba's precise cut; a word the
document's search-mode cut did not produce whole matches when all its parts do) — FTS5 ``MATCH``
ranked by bm25 on SQLite, a 'simple' tsvector ranked by ts_rank on PostgreSQL, the title
weighted above the rest on both. The candidates' light columns are then filtered and counted
in Python: facet counts are "what would I get if I chose this", each dimension counted under
every other chosen filter.

Filters: the policy's region within the chosen region (a city's search includes its
districts' policies); the issuing department; the industry (an item for section C is found
from division 39 and the other way round; an item without industries is for every industry);
support type; enterprise size (an item without sizes is for every size); window state
(``domain.window_state`` today); 免申即享 only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, select, text
from sqlalchemy.orm import Session

from tongban.catalog import search as words
from tongban.kernel.clock import today
from tongban.kernel.codes import enterprise, industries, regions
from tongban.kernel.errors import N_, DomainError, FieldProblem, NotFound, ValidationFailed
from tongban.kernel.i18n import translate
from tongban.kernel.orgs.models import Organisation
from tongban.kernel.paging import MAX_PAGE, MAX_PAGE_SIZE, Page
from tongban.policy import domain, service
from tongban.policy.domain import ItemState, WindowState
from tongban.policy.library_index import index_table
from tongban.policy.models import ItemVersion, Policy, PolicyItem
from tongban.profiles.attributes import builtin_registry
from tongban.rules import ast
from tongban.rules.printer import describe_en, describe_zh

WINDOW_ORDER = {
    WindowState.CLOSING_SOON: 0,
    WindowState.OPEN: 1,
    WindowState.UPCOMING: 2,
    WindowState.CLOSED: 3,
}
FACETS = ("region", "department", "industry", "support_type", "size", "window", "no_application")


class ItemGone(DomainError):
    """The item was public once and no longer is (withdrawn or expired): HTTP 410."""

    status = 410
    default_code = "policy_item_gone"
    default_message = N_("This policy item is no longer in force ({state}).")


@dataclass(frozen=True)
class LibraryFilters:
    """What the public narrows the library by; empty values do not filter."""

    region: str = ""
    department: int | None = None
    industry: str = ""
    support_type: str = ""
    size: str = ""
    window: str = ""
    no_application: bool = False


@dataclass(frozen=True)
class LibraryHit:
    """One live item in a result list."""

    code: str
    title: str
    summary: str
    policy_id: int
    policy_title: str
    doc_number: str
    region_code: str
    department: str
    support_types: tuple[str, ...]
    amount: str
    window_state: WindowState
    window_opens: date | None
    window_closes: date | None
    no_application: bool


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass(frozen=True)
class LibraryPage(Page[LibraryHit]):
    """A page of hits with the facet counts of the whole result, by dimension."""

    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    query: str = ""


# --- filters -------------------------------------------------------------------------------------


def check_filters(filters: LibraryFilters) -> LibraryFilters:
    """Codes normalised (a region or industry may be given by name); each bad one on its field."""
    problems: list[FieldProblem] = []
    region = ""
    if filters.region.strip():
        region = regions.normalise(filters.region) or ""
        if not region:
            found = regions.lookup(filters.region.strip())
            region = found[0].code if len(found) == 1 else ""
        if not region or regions.get(region) is None:
            problems.append(FieldProblem("region", N_("There is no such region.")))
    industry = ""
    if filters.industry.strip():
        industry = industries.normalise(filters.industry) or ""
        if not industry:
            found_industries = industries.lookup(filters.industry.strip())
            industry = found_industries[0].code if len(found_industries) == 1 else ""
        if not industry or not industries.is_valid_code(industry):
            problems.append(FieldProblem("industry", N_("There is no such industry.")))
    size = ""
    if filters.size.strip():
        entry = enterprise.lookup_size(filters.size)
        if entry is None:
            problems.append(FieldProblem("size", N_("Choose one of the allowed values.")))
        else:
            size = entry.code
    support = filters.support_type.strip()
    if support and support not in domain.SUPPORT_TYPES:
        problems.append(FieldProblem("support_type", N_("Choose one of the allowed values.")))
    window = filters.window.strip()
    if window and window not in {w.value for w in WindowState}:
        problems.append(FieldProblem("window", N_("Choose one of the allowed values.")))
    if problems:
        raise ValidationFailed(fields=problems)
    return LibraryFilters(region, filters.department, industry, support, size, window, filters.no_application)


@dataclass(frozen=True)
class _Row:
    item_id: int
    code: str
    title: str
    summary: str
    policy_id: int
    policy_title: str
    doc_number: str
    region_code: str
    org_id: int
    support_types: tuple[str, ...]
    industries: tuple[str, ...]
    sizes: tuple[str, ...]
    window_state: WindowState
    window_opens: date | None
    window_closes: date | None
    no_application: bool
    rule: dict[str, Any] | None


def _region_ok(row: _Row, region: str) -> bool:
    return bool(row.region_code) and regions.is_within(row.region_code, region)


def _industry_ok(row: _Row, industry: str) -> bool:
    if not row.industries:
        return True
    return any(industries.is_within(i, industry) or industries.is_within(industry, i) for i in row.industries)


def _tests(filters: LibraryFilters) -> dict[str, Callable[[_Row], bool]]:
    """One predicate per chosen filter, by facet dimension."""
    tests: dict[str, Callable[[_Row], bool]] = {}
    if filters.region:
        tests["region"] = lambda r: _region_ok(r, filters.region)
    if filters.department is not None:
        tests["department"] = lambda r: r.org_id == filters.department
    if filters.industry:
        tests["industry"] = lambda r: _industry_ok(r, filters.industry)
    if filters.support_type:
        tests["support_type"] = lambda r: filters.support_type in r.support_types
    if filters.size:
        tests["size"] = lambda r: not r.sizes or filters.size in r.sizes
    if filters.window:
        tests["window"] = lambda r: r.window_state.value == filters.window
    if filters.no_application:
        tests["no_application"] = lambda r: r.no_application
    return tests


def _passes(row: _Row, tests: dict[str, Callable[[_Row], bool]], skip: str = "") -> bool:
    return all(test(row) for name, test in tests.items() if name != skip)


# --- full text -----------------------------------------------------------------------------------


def _fts5_phrase(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def fts5_query(query: str) -> str:
    """The FTS5 MATCH expression of a query: every word, or else all of its parts."""
    clauses = []
    for word in words.query_words(query):
        whole = _fts5_phrase(word.word)
        if len(word.parts) > 1:
            parts = " AND ".join(_fts5_phrase(p) for p in word.parts)
            clauses.append(f"({whole} OR ({parts}))")
        else:
            clauses.append(whole)
    return " AND ".join(clauses)


def _pg_query(query: str) -> ColumnElement[Any] | None:
    def one(token: str) -> ColumnElement[Any]:
        return func.plainto_tsquery(literal_column("'simple'"), token)

    combined: ColumnElement[Any] | None = None
    for word in words.query_words(query):
        clause = one(word.word)
        if len(word.parts) > 1:
            parts = one(word.parts[0])
            for part in word.parts[1:]:
                parts = parts.op("&&")(one(part))
            clause = clause.op("||")(parts)
        combined = clause if combined is None else combined.op("&&")(clause)
    return combined


def ranked_ids(session: Session, query: str) -> dict[int, float]:
    """Item id → relevance (higher is better) of the items whose index row holds every word."""
    if not words.query_words(query):
        return {}
    if session.get_bind().dialect.name == "sqlite":
        rows = session.execute(
            text(
                "SELECT item_id, bm25(policy_search, 0.0, 4.0, 1.0) FROM policy_search"
                " WHERE policy_search MATCH :q"
            ),
            {"q": fts5_query(query)},
        ).all()
        return {int(item_id): -float(score) for item_id, score in rows}  # bm25: lower is better
    tsquery = _pg_query(query)
    assert tsquery is not None
    document: ColumnElement[Any] = literal_column("policy_search.document")
    statement = select(index_table.c.item_id, func.ts_rank(document, tsquery)).where(
        document.op("@@")(tsquery)
    )
    return {int(item_id): float(rank) for item_id, rank in session.execute(statement).all()}


# --- search --------------------------------------------------------------------------------------


def _candidates(session: Session, ids: Iterable[int] | None, on: date) -> list[_Row]:
    statement = (
        select(
            PolicyItem.id,
            PolicyItem.code,
            PolicyItem.org_id,
            ItemVersion.title,
            ItemVersion.summary,
            ItemVersion.support_types,
            ItemVersion.industries,
            ItemVersion.sizes,
            ItemVersion.window_opens,
            ItemVersion.window_closes,
            ItemVersion.no_application,
            ItemVersion.rule,
            Policy.id,
            Policy.title,
            Policy.doc_number,
            Policy.region_code,
        )
        .join(ItemVersion, ItemVersion.id == PolicyItem.live_version_id)
        .join(Policy, Policy.id == PolicyItem.policy_id)
        .where(PolicyItem.state == ItemState.PUBLISHED)
    )
    if ids is not None:
        statement = statement.where(PolicyItem.id.in_(list(ids)))
    rows = []
    for r in session.execute(statement).all():
        rows.append(
            _Row(
                item_id=r[0],
                code=r[1],
                org_id=r[2],
                title=r[3],
                summary=r[4],
                support_types=tuple(r[5] or ()),
                industries=tuple(r[6] or ()),
                sizes=tuple(r[7] or ()),
                window_state=domain.window_state(r[8], r[9], on),
                window_opens=r[8],
                window_closes=r[9],
                no_application=bool(r[10]),
                rule=r[11],
                policy_id=r[12],
                policy_title=r[13],
                doc_number=r[14],
                region_code=r[15],
            )
        )
    return rows


def amount_summary(rule: ast.Rule | None, language: str) -> str:
    """The amount in plain words ('20万元', '上年度研发费用的10%，最高100万元'); '' without a formula."""
    if rule is None or rule.amount is None:
        return ""
    describe = describe_zh if language.startswith("zh") else describe_en
    return describe(rule.amount, builtin_registry())


def _org_names(session: Session, org_ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(org_ids))
    if not wanted:
        return {}
    rows = session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted)))
    return {int(i): str(n) for i, n in rows.all()}


def _sort_key(row: _Row, ranks: dict[int, float] | None) -> tuple[Any, ...]:
    closes = row.window_closes or date.max
    if ranks is not None:
        return (-ranks.get(row.item_id, 0.0), WINDOW_ORDER[row.window_state] == 3, closes, row.code)
    return (WINDOW_ORDER[row.window_state], closes, row.code)


def search(
    session: Session,
    query: str,
    filters: LibraryFilters | None = None,
    page: int = 1,
    page_size: int = 20,
    language: str = "zh-CN",
) -> LibraryPage:
    """Live items holding every word of the query (all live items for an empty query) and
    passing every filter; ranked by relevance, then closing date; with facet counts."""
    chosen = check_filters(filters or LibraryFilters())
    on = today()
    query = query.strip()[:200]
    ranks: dict[int, float] | None = None
    if words.query_words(query):
        ranks = ranked_ids(session, query)
    rows = _candidates(session, None if ranks is None else ranks.keys(), on)
    tests = _tests(chosen)
    matching = sorted((r for r in rows if _passes(r, tests)), key=lambda r: _sort_key(r, ranks))
    page = min(max(1, page), MAX_PAGE)
    page_size = min(max(1, page_size), MAX_PAGE_SIZE)
    shown = matching[(page - 1) * page_size : page * page_size]
    names = _org_names(session, [r.org_id for r in rows])
    hits = [_hit(r, names, language) for r in shown]
    facets = _facets(rows, chosen, tests, names, language)
    return LibraryPage(hits, len(matching), page, page_size, facets=facets, query=query)


def _hit(row: _Row, names: dict[int, str], language: str) -> LibraryHit:
    rule = ast.Rule.from_json(row.rule) if row.rule else None
    return LibraryHit(
        code=row.code,
        title=row.title,
        summary=row.summary,
        policy_id=row.policy_id,
        policy_title=row.policy_title,
        doc_number=row.doc_number,
        region_code=row.region_code,
        department=names.get(row.org_id, ""),
        support_types=row.support_types,
        amount=amount_summary(rule, language),
        window_state=row.window_state,
        window_opens=row.window_opens,
        window_closes=row.window_closes,
        no_application=row.no_application,
    )


def region_label(code: str) -> str:
    region = regions.get(code)
    return region.name if region else code


def industry_label(code: str, language: str = "zh-CN") -> str:
    entry = industries.get(code)
    if entry is None:
        return code
    return f"{entry.code} {entry.name}" if not language.startswith("zh") else f"{entry.name}（{entry.code}）"


def size_label(code: str, language: str = "zh-CN") -> str:
    entry = enterprise.size(code)
    if entry is None:
        return code
    return entry.zh if language.startswith("zh") else entry.en


def _facets(
    rows: list[_Row],
    chosen: LibraryFilters,
    tests: dict[str, Callable[[_Row], bool]],
    names: dict[int, str],
    language: str,
) -> dict[str, list[FacetValue]]:
    """Per dimension: each value with the number of results choosing it would give."""
    facets: dict[str, list[FacetValue]] = {}

    def count(
        dimension: str, values: Iterable[tuple[str, str]], test: Callable[[_Row, str], bool], selected: str
    ) -> None:
        base = [r for r in rows if _passes(r, tests, skip=dimension)]
        found = []
        for value, label in values:
            number = sum(1 for r in base if test(r, value))
            if number or value == selected:
                found.append(FacetValue(value, label, number, value == selected))
        facets[dimension] = found

    region_codes = sorted({r.region_code for r in rows if r.region_code} | ({chosen.region} - {""}))
    count("region", [(c, region_label(c)) for c in region_codes], _region_ok, chosen.region)
    org_ids = sorted({r.org_id for r in rows}, key=lambda i: names.get(i, ""))
    count(
        "department",
        [(str(i), names.get(i, str(i))) for i in org_ids],
        lambda r, v: str(r.org_id) == v,
        "" if chosen.department is None else str(chosen.department),
    )
    sections = sorted(
        {s for r in rows for i in r.industries if (s := industries.section_of(i))}
        | ({chosen.industry} - {""})
    )
    count("industry", [(s, industry_label(s, language)) for s in sections], _industry_ok, chosen.industry)
    count(
        "support_type",
        [(k, translate(label)) for k, label in domain.SUPPORT_TYPES.items()],
        lambda r, v: v in r.support_types,
        chosen.support_type,
    )
    count(
        "size",
        [(s.code, size_label(s.code, language)) for s in enterprise.sizes()],
        lambda r, v: not r.sizes or v in r.sizes,
        chosen.size,
    )
    count(
        "window",
        [(w.value, translate(label)) for w, label in domain.WINDOW_LABELS.items()],
        lambda r, v: r.window_state.value == v,
        chosen.window,
    )
    count(
        "no_application",
        [("1", translate(N_("No application needed (免申即享)")))],
        lambda r, v: r.no_application,
        "1" if chosen.no_application else "",
    )
    return facets


# --- the item page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemLink:
    code: str
    title: str


@dataclass(frozen=True)
class ItemPage:
    """What the public page of a live item shows."""

    item: PolicyItem
    version: ItemVersion
    policy: Policy
    rule: ast.Rule | None
    conditions: str
    amount: str
    window_state: WindowState
    department: str
    handling_department: str
    region: str
    industries: list[str]
    sizes: list[str]
    support_types: list[str]
    same_policy: list[ItemLink]
    exclusive_with: list[ItemLink]


def live_item(session: Session, code: str) -> service.LiveItem:
    """The live item with this public code; ``ItemGone`` (410) for a withdrawn or expired one,
    ``NotFound`` for one never published (drafts are not public)."""
    item = session.scalar(select(PolicyItem).where(PolicyItem.code == code.strip()))
    if item is None or item.state is ItemState.UNPUBLISHED:
        raise NotFound(N_("There is no such policy item."), code="item_not_found")
    if item.state is not ItemState.PUBLISHED:
        label = translate(domain.ITEM_LABELS[item.state])
        raise ItemGone(state=label, title=_last_title(session, item))
    found = service.live_items(session, [item.id])
    if not found:  # published without a live version: not public
        raise NotFound(N_("There is no such policy item."), code="item_not_found")
    return found[0]


def _last_title(session: Session, item: PolicyItem) -> str:
    version = service.live_version(session, item)
    return version.title if version else item.code


def item_page(session: Session, code: str, language: str = "zh-CN") -> ItemPage:
    live = live_item(session, code)
    item, version, policy, rule = live.item, live.version, live.policy, live.rule
    registry = builtin_registry()
    describe = describe_zh if language.startswith("zh") else describe_en
    names = _org_names(
        session, [item.org_id] + ([version.handling_org_id] if version.handling_org_id else [])
    )
    same_policy = [
        ItemLink(x.item.code, x.version.title)
        for x in service.live_items(session, [i.id for i in service.items_of(session, policy.id)])
        if x.item.id != item.id
    ]
    siblings: list[ItemLink] = []
    if version.exclusive_group:
        siblings = [
            ItemLink(code_, title)
            for code_, title in session.execute(
                select(PolicyItem.code, ItemVersion.title)
                .join(ItemVersion, ItemVersion.id == PolicyItem.live_version_id)
                .where(
                    PolicyItem.state == ItemState.PUBLISHED,
                    ItemVersion.exclusive_group == version.exclusive_group,
                    PolicyItem.id != item.id,
                )
                .order_by(PolicyItem.code)
            ).all()
        ]
    return ItemPage(
        item=item,
        version=version,
        policy=policy,
        rule=rule,
        conditions=describe(rule.condition, registry) if rule else "",
        amount=amount_summary(rule, language),
        window_state=domain.window_state(version.window_opens, version.window_closes, today()),
        department=names.get(item.org_id, ""),
        handling_department=names.get(version.handling_org_id or 0, "") or names.get(item.org_id, ""),
        region=region_label(policy.region_code) if policy.region_code else "",
        industries=[industry_label(i, language) for i in version.industries],
        sizes=[size_label(s, language) for s in version.sizes],
        support_types=[
            translate(domain.SUPPORT_TYPES[t]) for t in version.support_types if t in domain.SUPPORT_TYPES
        ],
        same_policy=same_policy,
        exclusive_with=siblings,
    )
