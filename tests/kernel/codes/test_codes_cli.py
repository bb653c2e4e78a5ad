"""``tongban codes …`` commands, run through Typer's test runner."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tongban.kernel.codes.cli import codes_app

runner = CliRunner()


@pytest.mark.parametrize(
    ("kind", "value", "shown"),
    [
        ("uscc", "914403001922038216", "914403001922038216"),
        ("ric", "11010519491231002x", "11010519491231002X"),
        ("mobile", "+86 138 0013 8000", "13800138000"),
        ("orgcode", "19220382-1", "192203821"),
    ],
)
def test_validate_valid(kind: str, value: str, shown: str) -> None:
    result = runner.invoke(codes_app, ["validate", kind, value])
    assert result.exit_code == 0
    assert result.output.strip() == f"有效 / valid: {shown}"


def test_validate_invalid_prints_chinese_then_english() -> None:
    result = runner.invoke(codes_app, ["validate", "uscc", "914403001922038217"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "无效：校验码应为 6，而不是 7。 / invalid: The check character should be 6, not 7."
    )


@pytest.mark.parametrize(
    ("kind", "value"),
    [("ric", "99010519491231002X"), ("mobile", "12345"), ("orgcode", "D2143569-1")],
)
def test_validate_invalid(kind: str, value: str) -> None:
    result = runner.invoke(codes_app, ["validate", kind, value])
    assert result.exit_code == 1
    assert result.output.startswith("无效：") and " / invalid: " in result.output


def test_validate_unknown_kind_is_a_usage_error() -> None:
    assert runner.invoke(codes_app, ["validate", "passport", "E1"]).exit_code == 2


def test_regions_lookup() -> None:
    result = runner.invoke(codes_app, ["regions", "lookup", "思明"])
    assert result.exit_code == 0
    assert "350203  福建省厦门市思明区" in result.output
    retired = runner.invoke(codes_app, ["regions", "lookup", "350204"])
    assert retired.exit_code == 0 and "retired 2003 → 350203" in retired.output
    missing = runner.invoke(codes_app, ["regions", "lookup", "不存在的地方"])
    assert missing.exit_code == 1


def test_industries_lookup() -> None:
    result = runner.invoke(codes_app, ["industries", "lookup", "3911"])
    assert result.exit_code == 0
    assert "C 制造业 > 39 计算机、通信和其他电子设备制造业 > 391 计算机制造" in result.output
    unlisted = runner.invoke(codes_app, ["industries", "lookup", "3511"])
    assert unlisted.exit_code == 0 and "C 制造业 > 35 专用设备制造业" in unlisted.output
    assert runner.invoke(codes_app, ["industries", "lookup", "不存在"]).exit_code == 1


def test_holidays() -> None:
    result = runner.invoke(codes_app, ["holidays", "2025"])
    assert result.exit_code == 0
    assert "放假 国庆节、中秋节: 2025年10月1日—2025年10月8日，共8天" in result.output
    assert "上班 2025年10月11日（六）" in result.output
    assert "PROVISIONAL" in runner.invoke(codes_app, ["holidays", "2027"]).output
    assert runner.invoke(codes_app, ["holidays", "1999"]).exit_code == 1
