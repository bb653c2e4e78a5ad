"""Data elements (the standard definitions every field binds to) and data resources (the catalog)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tongban.db import Base, UTCDateTime, str_enum
from tongban.kernel.clock import now
from tongban.kernel.orgs.models import Organisation


class ElementType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    MONEY = "money"
    RATIO = "ratio"
    DATE = "date"
    BOOLEAN = "boolean"
    CODE = "code"
    TAGS = "tags"


class Sensitivity(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    PERSONAL = "personal"
    SENSITIVE_PERSONAL = "sensitive_personal"


class DataElement(Base):
    __tablename__ = "data_elements"

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(
        String(20), unique=True, doc="Catalog identifier, DE + five digits."
    )
    key: Mapped[str] = mapped_column(
        String(60), unique=True, doc="Machine name used by code and rules, e.g. uscc."
    )
    name_zh: Mapped[str] = mapped_column(String(100), index=True, doc="Chinese name.")
    name_en: Mapped[str] = mapped_column(String(150), doc="English name.")
    definition: Mapped[str] = mapped_column(Text, doc="What the element means, in Chinese.")
    data_type: Mapped[ElementType] = mapped_column(str_enum(ElementType), doc="Value type.")
    format: Mapped[str] = mapped_column(
        String(40), default="", doc="Representation, e.g. c18, n..15,2, YYYY-MM-DD."
    )
    max_length: Mapped[int | None] = mapped_column(doc="Longest text value, when limited.")
    unit: Mapped[str] = mapped_column(String(20), default="", doc="Unit of measure, e.g. 元, 人.")
    code_list: Mapped[str | None] = mapped_column(String(40), doc="Code list the values come from.")
    validator: Mapped[str | None] = mapped_column(
        String(20), doc="Identifier validator: uscc, ric, mobile, orgcode."
    )
    sensitivity: Mapped[Sensitivity] = mapped_column(
        str_enum(Sensitivity), doc="Public, internal, personal or sensitive personal."
    )
    standard_ref: Mapped[str] = mapped_column(
        String(100), default="", doc="Standard it follows, e.g. GB 32100-2015."
    )
    version: Mapped[int] = mapped_column(default=1, doc="Raised on every change.")
    active: Mapped[bool] = mapped_column(
        default=True, doc="Retired elements stay readable but cannot be bound anew."
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When it was added.")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now, doc="Last change.")


class ResourceType(StrEnum):
    """GB/T 21063 resource classes: 基础 / 主题 / 部门."""

    BASE = "base"
    THEME = "theme"
    DEPARTMENT = "department"


class SharingType(StrEnum):
    UNCONDITIONAL = "unconditional"  # 无条件共享
    CONDITIONAL = "conditional"  # 有条件共享
    NOT_SHARED = "not_shared"  # 不予共享


class OpenType(StrEnum):
    OPEN = "open"  # 无条件开放
    CONDITIONAL = "conditional"  # 有条件开放
    NOT_OPEN = "not_open"  # 不予开放


class SubjectKind(StrEnum):
    USCC = "uscc"  # about enterprises and other organisations
    RIC = "ric"  # about persons
    NONE = "none"  # not about a subject (statistics, lists)


class UpdateCycle(StrEnum):
    REALTIME = "realtime"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    IRREGULAR = "irregular"


class ResourceStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class Resource(Base):
    """A data resource of the catalog (政务信息资源目录), held by one provider department."""

    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True, doc="Resource code, e.g. 350200-SCJGJ-0001.")
    name: Mapped[str] = mapped_column(String(200), index=True, doc="Resource name (资源名称).")
    provider_org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id"), index=True, doc="Department that provides it."
    )
    abstract: Mapped[str] = mapped_column(Text, default="", doc="Resource abstract (资源摘要).")
    resource_type: Mapped[ResourceType] = mapped_column(
        str_enum(ResourceType), doc="基础, 主题 or 部门 resource."
    )
    subject_kind: Mapped[SubjectKind] = mapped_column(
        str_enum(SubjectKind), doc="What the records are about."
    )
    sharing_type: Mapped[SharingType] = mapped_column(
        str_enum(SharingType), index=True, doc="Sharing type (共享类型)."
    )
    sharing_condition: Mapped[str] = mapped_column(
        Text, default="", doc="Condition of conditional sharing, or why not shared."
    )
    open_type: Mapped[OpenType] = mapped_column(str_enum(OpenType), doc="Open-data attribute (开放属性).")
    update_cycle: Mapped[UpdateCycle] = mapped_column(
        str_enum(UpdateCycle), doc="How often the provider updates it."
    )
    full_coverage: Mapped[bool] = mapped_column(
        default=False, doc="Holds every subject of its kind: no record means none."
    )
    status: Mapped[ResourceStatus] = mapped_column(
        str_enum(ResourceStatus), default=ResourceStatus.DRAFT, index=True, doc="Draft, published or retired."
    )
    version: Mapped[int] = mapped_column(default=1, doc="Raised on every published change.")
    search_text: Mapped[str] = mapped_column(
        Text, default="", doc="jieba tokens of name, abstract and field names, for full-text search."
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When it was registered.")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now, doc="Last change.")
    published_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), doc="When the current version was published."
    )
    pending: Mapped[dict[str, Any] | None] = mapped_column(
        JSON,
        doc="Edits of a published resource not yet published (metadata and fields); the live row stays as published.",
    )

    fields: Mapped[list[ResourceField]] = relationship(
        back_populates="resource",
        order_by="ResourceField.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    provider: Mapped[Organisation] = relationship(lazy="selectin", viewonly=True)


class ResourceField(Base):
    """One field (信息项) of a resource, bound to a data element."""

    __tablename__ = "resource_fields"
    __table_args__ = (UniqueConstraint("resource_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), index=True, doc="Its resource."
    )
    position: Mapped[int] = mapped_column(doc="Order in the resource.")
    name: Mapped[str] = mapped_column(
        String(100), doc="Column name as the provider's system calls it, e.g. 营业收入."
    )
    element_id: Mapped[int] = mapped_column(
        ForeignKey("data_elements.id"), index=True, doc="The data element it binds to."
    )
    is_key: Mapped[bool] = mapped_column(
        default=False, doc="Part of the record key (with the subject, e.g. the year)."
    )
    is_subject: Mapped[bool] = mapped_column(
        default=False, doc="Holds the subject identifier (USCC or resident ID)."
    )
    required: Mapped[bool] = mapped_column(default=False, doc="A row without it is quarantined.")
    unit: Mapped[str] = mapped_column(
        String(20),
        default="",
        doc="Unit the provider writes values in, when not the element's (万元 for 元).",
    )
    description: Mapped[str] = mapped_column(Text, default="", doc="Notes on the field in this resource.")

    resource: Mapped[Resource] = relationship(back_populates="fields")
    element: Mapped[DataElement] = relationship(lazy="joined")


class ResourceVersion(Base):
    """The metadata of a resource as published, kept for every version."""

    __tablename__ = "resource_versions"
    __table_args__ = (UniqueConstraint("resource_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), index=True, doc="Its resource."
    )
    version: Mapped[int] = mapped_column(doc="Version number.")
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, doc="Metadata and fields as published.")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When.")
    published_by: Mapped[str] = mapped_column(String(100), doc="Who.")
