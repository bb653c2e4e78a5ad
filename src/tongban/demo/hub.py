"""The synthetic city's department files as catalog resources, loaded into the hub.

Each file the generator writes (``demo.city.departments.FILES``) becomes one published
resource of its department, with the department's own column names bound to standard data
elements and its units (万元, 千元) declared, so ingest converts them. Columns without a
standard element are not part of the resource and are reported as ignored when loading.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tongban.catalog import resources
from tongban.catalog.domain import unit_factor
from tongban.catalog.models import DataElement, Resource
from tongban.catalog.resources_domain import FieldDraft, ResourceDraft
from tongban.db import transaction
from tongban.demo.city.departments import FILES, FileSpec
from tongban.demo.organisations import DemoSubjects
from tongban.exchange import loads
from tongban.exchange.models import Load
from tongban.kernel.codes.validators import validate_ric, validate_uscc
from tongban.kernel.orgs import service as orgs
from tongban.kernel.permissions import Actor

CITY = "350200"


@dataclass(frozen=True)
class Sharing:
    sharing_type: str
    condition: str = ""
    open_type: str = "not_open"


# How each department shares each file: realistic choices, including a 不予共享 resource
# (individual statistical returns may not be used for non-statistical purposes).
SHARING: dict[str, Sharing] = {
    "SCJGJ/registrations": Sharing("unconditional", open_type="open"),
    "SCJGJ/penalties": Sharing("unconditional", open_type="open"),
    "SCJGJ/patents": Sharing("unconditional"),
    "SWJ/taxpayers": Sharing("conditional", "限用于政务服务办理、惠企政策兑现和联合监管，申请时须说明事项。"),
    "SWJ/annual_returns": Sharing(
        "conditional", "涉税信息，限用于惠企政策兑现和政务服务办理，须经税务部门审核。"
    ),
    "RSJ/insured_units": Sharing("conditional", "限用于稳岗返还、就业补贴等人社政策的审核。"),
    "RSJ/persons": Sharing("conditional", "个人信息，限用于就业和社会保障业务办理，最小必要。"),
    "RSJ/hires": Sharing("conditional", "个人信息，限用于就业补贴审核，最小必要。"),
    "KJJ/high_tech": Sharing("unconditional", open_type="open"),
    "KJJ/tech_sme": Sharing("unconditional", open_type="open"),
    "GXJ/srdi": Sharing("unconditional", open_type="open"),
    "GXJ/tech_grants": Sharing("unconditional"),
    "TJJ/annual_units": Sharing(
        "not_shared",
        "《中华人民共和国统计法》第三十九条：统计调查中获得的能够识别或者推断单个统计调查对象身份的资料，"
        "不得对外提供、泄露，不得用于统计以外的目的。",
    ),
    "TJJ/above_scale": Sharing("unconditional", open_type="open"),
    "YJJ/accidents": Sharing("unconditional"),
    "FGW/serious_dishonesty": Sharing("unconditional", open_type="open"),
    "FGW/headquarters": Sharing("unconditional", open_type="open"),
}
BASE_RESOURCES = frozenset({"SCJGJ/registrations", "RSJ/persons"})
DAILY = frozenset({"SCJGJ/registrations", "SWJ/taxpayers", "RSJ/persons", "RSJ/hires"})


def resource_code(spec: FileSpec, city: str = CITY) -> str:
    """A stable code per file: 350200-SWJ-0005 (position of the file among its department's)."""
    same_department = [f for f in FILES if f.department == spec.department]
    return f"{city}-{spec.department}-{same_department.index(spec) + 1:04d}"


def draft_for(spec: FileSpec, element_units: dict[str, str]) -> ResourceDraft:
    subject_element = "uscc" if spec.subject == "enterprise" else "ric"
    subject_taken = False
    fields: list[FieldDraft] = []
    for column in spec.columns:
        if column.element is None:
            continue
        is_subject = column.element == subject_element and not subject_taken
        subject_taken = subject_taken or is_subject
        unit = column.unit or ""
        factor = unit_factor(unit, element_units.get(column.element, ""))
        fields.append(
            FieldDraft(
                name=column.name,
                element=column.element,
                is_subject=is_subject,
                is_key=not is_subject and (column.role == "key" or column.name == spec.year_column),
                unit=unit if factor is not None and factor != 1 else "",
            )
        )
    sharing = SHARING[spec.key]
    return ResourceDraft(
        name=spec.title,
        abstract=spec.description,
        resource_type="base" if spec.key in BASE_RESOURCES else "department",
        subject_kind="uscc" if spec.subject == "enterprise" else "ric",
        sharing_type=sharing.sharing_type,
        sharing_condition=sharing.condition,
        open_type=sharing.open_type,
        update_cycle="daily" if spec.key in DAILY else "yearly",
        # A list (penalties, certificates) is complete: an enterprise that is not on it has none.
        # Yearly figures are not: a missing year is unknown.
        full_coverage=spec.coverage == "listed" or spec.key in ("SCJGJ/registrations", "SWJ/taxpayers"),
        fields=tuple(fields),
    )


def publish_from_fields(
    session: Session,
    actor: Actor,
    *,
    provider_code: str,
    code: str,
    name: str,
    fields: Sequence[FieldDraft],
    sharing_type: str = "conditional",
    subject_kind: str = "uscc",
    full_coverage: bool = False,
    abstract: str = "",
) -> Resource:
    """Register and publish a resource through the catalog service — the one way the demo, the
    tests and the benchmarks make resources, so each gets its search text, snapshot and audit."""
    condition = "" if sharing_type == "unconditional" else "仅限演示和测试使用。"
    draft = ResourceDraft(
        name=name,
        abstract=abstract or name,
        resource_type="department",
        subject_kind=subject_kind,
        sharing_type=sharing_type,
        sharing_condition=condition,
        open_type="not_open",
        update_cycle="yearly",
        full_coverage=full_coverage,
        fields=tuple(fields),
    )
    provider = orgs.get_by_code(session, provider_code)
    registered = resources.register_resource(
        session, actor, provider_org_id=provider.id, draft=draft, code=code
    )
    return resources.publish_resource(session, actor, registered.id)


def register_city_resources(session: Session, actor: Actor, city: str = CITY) -> dict[str, Resource]:
    """Register and publish a resource per department file (idempotent); returns them by file key."""
    element_units = {key: unit for key, unit in session.execute(select(DataElement.key, DataElement.unit))}
    existing = {r.code: r for r in session.scalars(select(Resource))}
    registered: dict[str, Resource] = {}
    for spec in FILES:
        code = resource_code(spec, city)
        resource = existing.get(code)
        if resource is None:
            provider = orgs.get_by_code(session, f"{city}-{spec.department}")
            resource = resources.register_resource(
                session, actor, provider_org_id=provider.id, draft=draft_for(spec, element_units), code=code
            )
            resources.publish_resource(session, actor, resource.id)
        registered[spec.key] = resource
    return registered


def pick_demo_subjects(city_dir: Path) -> DemoSubjects:
    """A company with tax records and a newly hired person from the generated files."""

    def rows(key: str) -> list[dict[str, str]]:
        with (city_dir / f"{key}.csv").open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))

    taxed = {row["纳税人识别号"] for row in rows("SWJ/annual_returns")}
    company = next(
        row
        for row in rows("SCJGJ/registrations")
        if row["企业类型"] == "有限责任公司"
        and row["统一社会信用代码"] in taxed
        and validate_uscc(row["统一社会信用代码"]).valid
    )
    person = next(row for row in rows("RSJ/hires") if validate_ric(row["公民身份号码"]).valid)
    return DemoSubjects(company["统一社会信用代码"], company["企业名称"], person["公民身份号码"])


def load_city(
    session_factory: sessionmaker[Session],
    actor: Actor,
    city_dir: Path,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> list[Load]:
    """Load every department file through ingest, each in its own transaction (idempotent)."""
    done: list[Load] = []
    for spec in FILES:
        path = city_dir / f"{spec.key}.csv"

        def report(rows: int, total: int | None, title: str = spec.title) -> None:
            if progress is not None:
                progress(title, rows, total)

        with transaction(session_factory) as session:
            done.append(loads.load_file(session, actor, resource_code(spec), path, progress=report))
    return done
