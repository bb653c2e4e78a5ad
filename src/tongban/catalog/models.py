"""Data elements: the standard definitions every catalog field binds to."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tongban.db import Base, UTCDateTime, str_enum
from tongban.kernel.clock import now


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
