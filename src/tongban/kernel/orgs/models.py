"""Organisation tree: regions by GB/T 2260 code, departments under regions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tongban.db import Base, UTCDateTime, str_enum
from tongban.kernel.clock import now


class OrgKind(StrEnum):
    REGION = "region"
    DEPARTMENT = "department"


class RegionLevel(StrEnum):
    NATIONAL = "national"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(
        String(40), unique=True, doc="GB/T 2260 code (region) or region code + '-' + short code (department)."
    )
    name: Mapped[str] = mapped_column(String(100), doc="Official Chinese name.")
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind), doc="Region or department.")
    level: Mapped[RegionLevel] = mapped_column(
        str_enum(RegionLevel), doc="Administrative level; a department takes its region's."
    )
    region_code: Mapped[str] = mapped_column(
        String(6),
        index=True,
        doc="GB/T 2260 code of the region itself or of the region the department serves.",
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), index=True, doc="Parent region; empty only for the root."
    )
    path: Mapped[str] = mapped_column(
        String(400), index=True, doc="Materialised path of ids, '/1/4/9/', for subtree scoping."
    )
    active: Mapped[bool] = mapped_column(
        default=True, doc="Inactive organisations keep their history but their users cannot log in."
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When it was created.")
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=now, onupdate=now, doc="When it last changed."
    )
