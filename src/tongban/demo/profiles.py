"""Profiles in the demo: the platform (厦门市大数据管理局) asks for the data profiles read — like any
consumer, through sharing requests that the providers grant — then every enterprise's profile is
built and the columnar snapshot written."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tongban.catalog import resources
from tongban.catalog.models import SharingType
from tongban.catalog.schema import schema_of
from tongban.db import transaction
from tongban.exchange import sharing
from tongban.kernel.errors import NotFound
from tongban.kernel.orgs import service as orgs
from tongban.kernel.permissions import Actor
from tongban.profiles import service, snapshot
from tongban.profiles.domain import SourceSpec
from tongban.profiles.sources import builtin_sources, plan, platform_grants, seed_sources

PLATFORM_ORG = "350200-DSJJ"
PURPOSE = "企业画像（一企一档）：惠企政策精准匹配、申报预填和免申即享资格核验"
LEGAL_BASIS = "《政务信息资源共享管理暂行办法》（国发〔2016〕51号）；《福建省大数据发展条例》"
BATCH = 500


def grant_platform(session: Session, actor: Actor, platform_org: str = PLATFORM_ORG) -> dict[str, str]:
    """Ask, as the platform, for the fields the attribute sources read; providers approve. Returns
    the outcome per resource code (granted, already, not_shared, missing)."""
    seed_sources(session)
    consumer = orgs.get_by_code(session, platform_org)
    asking = replace(actor, org_id=consumer.id, label="企业画像（平台）")
    wanted: dict[str, list[str]] = {}
    for item in builtin_sources():
        spec = SourceSpec.from_dict(item)
        wanted.setdefault(spec.resource, []).extend(spec.fields_read)
    outcome: dict[str, str] = {}
    for code, names in sorted(wanted.items()):
        try:
            resource = resources.lookup(session, code, published=True)
        except NotFound:  # a city without this resource
            outcome[code] = "missing"
            continue
        if resource.sharing_type is SharingType.NOT_SHARED:
            outcome[code] = "not_shared"
            continue
        fields = [n for n in dict.fromkeys(names) if schema_of(resource).field(n) is not None]
        held = platform_grants(session, [resource.id]).get(resource.id)
        if held is not None and set(fields) <= set(held.fields):
            outcome[code] = "already"
            continue
        request = sharing.request_sharing(
            session, asking, sharing.RequestInput(code, PURPOSE, LEGAL_BASIS, fields, serves="惠企政策精准送")
        )
        if request.status.value == "pending":
            sharing.approve(session, actor, request.id, sharing.Decision())
        outcome[code] = "granted"
    session.flush()
    return outcome


def build_all(factory: sessionmaker[Session], batch: int = BATCH) -> int:
    """Link related records and refresh every enterprise's profile, a batch per transaction."""
    with transaction(factory) as session:
        plan_ = plan(session)
        service.link_related(session, [r for r in plan_.readable if r.spec.subject_field])
        subjects = service.all_subjects(session, plan_)
    for start in range(0, len(subjects), batch):
        with transaction(factory) as session:
            for subject in subjects[start : start + batch]:
                service.refresh_subject(session, subject)
    return len(subjects)


def prepare_profiles(
    session_factory: sessionmaker[Session], actor: Actor, snapshot_dir: Path | None = None
) -> dict[str, Any]:
    """Grants for the platform, every profile built, and a snapshot (under ``snapshot_dir``,
    default ``<data_dir>/profiles/snapshots``). Returns a summary for the demo's report."""
    with transaction(session_factory) as session:
        grants = grant_platform(session, actor)
    built = build_all(session_factory)
    if snapshot_dir is None:
        from tongban.config import get_settings

        snapshot_dir = get_settings().data_dir / "profiles" / "snapshots"  # as jobs.snapshot_root()
    result = snapshot.build_snapshot(session_factory, snapshot_dir, label="demo")
    return {
        "grants": grants,
        "profiles": built,
        "snapshot": str(result.path),
        "snapshot_rows": result.rows,
        "snapshot_seconds": round(result.seconds, 2),
    }
