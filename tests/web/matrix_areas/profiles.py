"""Role-matrix rows of enterprise profiles: the demo enterprise's profile (one stored value, its
registered region in 思明区) and one snapshot manifest. Staff read profiles of enterprises in their
region; an enterprise its own; administrators see and rebuild the snapshot."""

from __future__ import annotations

from sqlalchemy.orm import Session
from tests.support.actors import user
from tests.support.matrix import Row, World, api, expect, page

from tongban.kernel.clock import now
from tongban.profiles.models import ProfileValue, SnapshotManifest

ENTERPRISE = expect("403", enterprise="ok", enterprise2="ok")
STAFF = expect(
    "403",
    officer="ok",
    steward="ok",
    leader="ok",
    admin="ok",
    province_admin="ok",
    fz_admin="ok",
    fz_officer="ok",
)
XIAMEN_STAFF = STAFF | {"fz_admin": "scope", "fz_officer": "scope"}
OWN_OR_XIAMEN_STAFF = XIAMEN_STAFF | {"enterprise": "ok", "enterprise2": "ok"}
MANAGERS = expect("403", admin="ok", province_admin="ok", fz_admin="ok")
USCC = "{uscc:enterprise}"

ROWS: list[Row] = [
    Row("GET", "/portal/profile", page(ENTERPRISE)),
    Row(
        "POST",
        "/portal/profile/declare",
        page(ENTERPRISE),
        form={"attribute": "net_profit", "year": "2025", "value": "1200000"},
    ),
    Row("GET", "/workbench/profiles", page(STAFF), url="/workbench/profiles?q=厦门"),
    Row("GET", "/workbench/profiles/{uscc}", page(XIAMEN_STAFF), url=f"/workbench/profiles/{USCC}"),
    Row("GET", "/workbench/profiles/snapshot", page(MANAGERS)),
    Row("POST", "/workbench/profiles/snapshot", page(MANAGERS), form={}),
    Row("GET", "/api/v1/profiles/{uscc}", api(OWN_OR_XIAMEN_STAFF), url=f"/api/v1/profiles/{USCC}"),
    Row("GET", "/api/v1/profiles/snapshot/latest", api(STAFF)),
]


def build(session: Session, world: World) -> None:
    uscc = user(session, "enterprise").uscc or ""
    session.add(
        ProfileValue(
            subject=uscc,
            attribute="registered_region",
            year=None,
            value="350203",
            source_resource="350200-SCJGJ-0001",
            source_department="厦门市市场监督管理局",
            source_field="住所所在行政区划",
            record_id=None,
            recorded_at=now(),
            reason="single_source",
        )
    )
    session.add(
        SnapshotManifest(
            path="/nonexistent/profiles.parquet",
            row_count=0,
            column_count=1,
            evaluation_date="2026-11-27",
            source_versions={},
            duration_seconds=0.0,
            built_by="matrix",
        )
    )
    session.flush()
