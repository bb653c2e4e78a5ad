"""Pure rules of the organisation tree: code formats, levels and what may sit under what."""

from __future__ import annotations

import re
import unicodedata

from tongban.kernel.errors import N_, FieldProblem, ValidationFailed
from tongban.kernel.orgs.models import OrgKind, RegionLevel

NATIONAL_CODE = "000000"
_REGION_CODE = re.compile(r"^\d{6}$")
_DEPARTMENT_SUFFIX = re.compile(r"^[A-Z0-9]{2,20}$")
_LEVEL_ORDER = [RegionLevel.NATIONAL, RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY]
MAX_NAME_LENGTH = 100


def region_level(code: str) -> RegionLevel:
    """Level of a GB/T 2260 code: 350000 province, 350200 city, 350203 county."""
    if not _REGION_CODE.match(code):
        raise ValidationFailed(fields=[FieldProblem("code", N_("A region code is six digits (GB/T 2260)."))])
    if code == NATIONAL_CODE:
        return RegionLevel.NATIONAL
    if code[2:] == "0000":
        return RegionLevel.PROVINCE
    if code[4:] == "00":
        return RegionLevel.CITY
    return RegionLevel.COUNTY


def code_prefix(code: str) -> str:
    """The significant digits of a region code: 350000→35, 350200→3502, 350203→350203."""
    level = region_level(code)
    return {RegionLevel.NATIONAL: "", RegionLevel.PROVINCE: code[:2], RegionLevel.CITY: code[:4]}.get(
        level, code
    )


def check_region_placement(code: str, parent_code: str | None, parent_kind: OrgKind | None) -> RegionLevel:
    """A region sits below a region of a higher level whose code contains it."""
    level = region_level(code)
    if parent_code is None:
        return level  # a root: the nation, or a province or city installed on its own
    if parent_kind is not OrgKind.REGION:
        raise ValidationFailed(
            fields=[FieldProblem("parent_id", N_("A region can only be placed under a region."))]
        )
    parent_level = region_level(parent_code)
    if _LEVEL_ORDER.index(level) <= _LEVEL_ORDER.index(parent_level):
        raise ValidationFailed(
            fields=[FieldProblem("code", N_("A region must be of a lower level than its parent."))]
        )
    if not code.startswith(code_prefix(parent_code)):
        raise ValidationFailed(
            fields=[
                FieldProblem(
                    "code",
                    N_("Region {code} does not lie within {parent}."),
                    {"code": code, "parent": parent_code},
                )
            ]
        )
    return level


def skipped_codes(code: str, parent_code: str) -> list[str]:
    """Codes of the regions that would lie between a region and the parent chosen for it.

    350203 under 350000 skips 350200; 350200 under 000000 skips 350000. GB/T 2260 itself hangs
    the districts of a 直辖市 and the 省直辖县级行政区划 directly under their province, so a
    skipped level is only wrong when the region in between exists.
    """
    level, parent_level = region_level(code), region_level(parent_code)
    skipped = []
    if parent_level is RegionLevel.NATIONAL and level in (RegionLevel.CITY, RegionLevel.COUNTY):
        skipped.append(code[:2] + "0000")
    if parent_level in (RegionLevel.NATIONAL, RegionLevel.PROVINCE) and level is RegionLevel.COUNTY:
        skipped.append(code[:4] + "00")
    return skipped


def department_code(region_code: str, suffix: str) -> str:
    suffix = suffix.strip().upper()
    if not _DEPARTMENT_SUFFIX.match(suffix):
        raise ValidationFailed(
            fields=[
                FieldProblem(
                    "code", N_("A department code is 2 to 20 capital letters or digits, e.g. SCJGJ.")
                )
            ]
        )
    return f"{region_code}-{suffix}"


def has_control_characters(text: str) -> bool:
    """NUL and other control characters are never part of a name (PostgreSQL refuses NUL)."""
    return any(unicodedata.category(char) == "Cc" for char in text)


def clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationFailed(fields=[FieldProblem("name", N_("A name is required."))])
    if has_control_characters(cleaned):
        raise ValidationFailed(fields=[FieldProblem("name", N_("This value is not valid."))])
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ValidationFailed(
            fields=[
                FieldProblem("name", N_("A name has at most {limit} characters."), {"limit": MAX_NAME_LENGTH})
            ]
        )
    return cleaned
