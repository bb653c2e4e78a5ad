"""Pages of the access log: "who used my data" in the portal, the auditor's view in the workbench."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from tongban.exchange import sharing, usage
from tongban.exchange.models import AccessKind, AccessLogEntry
from tongban.kernel.errors import N_
from tongban.kernel.i18n import format_datetime, translate
from tongban.kernel.orgs import service as orgs
from tongban.kernel.orgs.models import OrgKind
from tongban.kernel.permissions import Permission, require
from tongban.web.deps import DB, MAX_ID, CurrentActor, PageNumber
from tongban.web.excel import xlsx_response
from tongban.web.forms import optional_int
from tongban.web.templating import render

router = APIRouter(include_in_schema=False)

KIND_LABELS = {
    AccessKind.READ.value: N_("Read one record"),
    AccessKind.BULK.value: N_("Bulk read"),
    AccessKind.CHANGES.value: N_("Read changes"),
    AccessKind.VERIFY.value: N_("Verification (no data returned)"),
    AccessKind.PLATFORM.value: N_("Platform use"),
}
PLATFORM = N_("The platform (matching, pre-filling)")
UNKNOWN_CALLER = N_("Unidentified caller")


def _names(db: DB, entries: list[AccessLogEntry]) -> dict[str, dict[int, str]]:
    return sharing.labels(
        db,
        [e.resource_id for e in entries if e.resource_id is not None],
        [e.consumer_org_id for e in entries if e.consumer_org_id is not None],
    )


def _who(entry: AccessLogEntry, names: dict[str, dict[int, str]]) -> str:
    if entry.consumer_org_id is not None:
        return names["orgs"].get(entry.consumer_org_id, "")
    return translate(PLATFORM) if entry.kind is AccessKind.PLATFORM else translate(UNKNOWN_CALLER)


@router.get("/portal/usage")
def my_usage(request: Request, db: DB, actor: CurrentActor, page: PageNumber = 1) -> Response:
    result = usage.my_usage(db, actor, page=page)
    names = _names(db, result.items)
    return render(
        request,
        "exchange/usage.html",
        {
            "layout": "portal",
            "result": result,
            "names": names,
            "who": {e.id: _who(e, names) for e in result.items},
            "kind_labels": KIND_LABELS,
        },
    )


def _filters(
    consumer: str | None,
    resource: str | None,
    purpose: str | None,
    since: str | None,
    until: str | None,
    outcome: str | None,
) -> usage.LogFilter:
    def day(value: str | None) -> date | None:
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            return None

    def ident(value: str | None) -> int | None:
        number = optional_int(value)
        return None if number is None else number if 1 <= number <= MAX_ID else 0  # 0 matches nothing

    return usage.LogFilter(
        consumer_org_id=ident(consumer),
        resource_id=ident(resource),
        purpose=purpose or None,
        since=day(since),
        until=day(until),
        outcome=outcome or None,
    )


Text = Query(default=None, max_length=200)


@router.get("/workbench/access-log")
def access_log(
    request: Request,
    db: DB,
    actor: CurrentActor,
    consumer: str | None = Text,
    resource: str | None = Text,
    purpose: str | None = Text,
    since: str | None = Text,
    until: str | None = Text,
    outcome: str | None = Text,
    page: PageNumber = 1,
) -> Response:
    filters = _filters(consumer, resource, purpose, since, until, outcome)
    result = usage.list_entries(db, actor, filters, page=page)
    flags = usage.unusual_volume(db, actor)
    names = _names(db, result.items)
    flag_names = sharing.labels(db, [], [f.consumer_org_id for f in flags if f.consumer_org_id is not None])
    params = {
        "consumer": consumer or "",
        "resource": resource or "",
        "purpose": purpose or "",
        "since": since or "",
        "until": until or "",
        "outcome": outcome or "",
    }
    return render(
        request,
        "exchange/access_log.html",
        {
            "layout": "workbench",
            "result": result,
            "names": names,
            "who": {e.id: _who(e, names) for e in result.items},
            "flags": flags,
            "flag_names": flag_names["orgs"],
            "kind_labels": KIND_LABELS,
            "departments": orgs.list_orgs(
                db, actor, kind=OrgKind.DEPARTMENT, include_inactive=False, page_size=200
            ).items
            if actor.has(Permission.ORG_READ)
            else [],
            "params": params,
            "query": "".join(f"&{k}={v}" for k, v in params.items() if v),
        },
    )


@router.get("/workbench/access-log.xlsx")
def access_log_export(
    db: DB,
    actor: CurrentActor,
    consumer: str | None = Text,
    resource: str | None = Text,
    purpose: str | None = Text,
    since: str | None = Text,
    until: str | None = Text,
    outcome: str | None = Text,
) -> Response:
    require(actor, Permission.ACCESS_LOG_READ)
    entries = usage.export_entries(db, actor, _filters(consumer, resource, purpose, since, until, outcome))
    names = _names(db, entries)
    rows: list[list[Any]] = [
        [
            e.seq,
            format_datetime(e.occurred_at),
            _who(e, names),
            e.actor_label,
            names["resources"].get(e.resource_id or 0, ""),
            e.purpose,
            "、".join(e.fields),
            e.subject_count,
            translate(KIND_LABELS[e.kind.value]),
            e.outcome,
        ]
        for e in entries
    ]
    header = [
        translate(h)
        for h in (
            N_("No."),
            N_("Time"),
            N_("Department"),
            N_("Application"),
            N_("Resource"),
            N_("Purpose"),
            N_("Fields"),
            N_("Subjects"),
            N_("Kind"),
            N_("Outcome"),
        )
    ]
    return xlsx_response("access-log.xlsx", translate("Data use records"), header, rows)
