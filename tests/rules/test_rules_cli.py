"""``tongban rules check`` and ``tongban rules eval`` on real files, the rule file format and
the entity JSON reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import tongban.demo
from tongban.cli import app
from tongban.kernel.errors import ValidationFailed
from tongban.rules import ast
from tongban.rules.entity import entity_from_json
from tongban.rules.errors import RuleInvalid
from tongban.rules.files import line_column, parse_rule_text

runner = CliRunner()
RULES = Path(tongban.demo.__file__).parent / "rules"
E1 = next(RULES.glob("e01_*.rules"))


def write(tmp_path: Path, name: str, content: str | dict[str, Any]) -> Path:
    path = tmp_path / name
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ check


@pytest.mark.parametrize("path", sorted(RULES.glob("*.rules")), ids=lambda p: p.name)
def test_check_accepts_every_demo_rule_file(path: Path) -> None:
    result = runner.invoke(app, ["rules", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"OK {path}")


def test_check_reports_each_problem_with_a_caret(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.rules", "# 测试\ntitle: 坏规则\ncondition:\n  turnover[last_year] >= 2000万\n"
                                        "amount: 20万\n")
    result = runner.invoke(app, ["rules", "check", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{path}:4:3: rules.unknown_attribute: ")
    assert "turnover" in lines[0]
    assert lines[-2] == "      turnover[last_year] >= 2000万"
    assert lines[-1] == "      " + "^" * len("turnover[last_year]")


def test_check_reports_syntax_errors_in_the_amount(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.rules", "condition: true\namount: min(10% * rd_expense[last_year],\n")
    result = runner.invoke(app, ["rules", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:2:" in result.output
    assert "rules.syntax" in result.output
    assert "^" in result.output


def test_check_without_condition(tmp_path: Path) -> None:
    result = runner.invoke(app, ["rules", "check", str(write(tmp_path, "x.rules", "amount: 20万\n"))])
    assert result.exit_code == 1
    assert "rules.file" in result.output


# ------------------------------------------------------------------ eval


FIRM = {"registered_region": "思明区", "tax_region": "3502", "industry": "C3911",
        "revenue": {"2023": 18000000, "2024": "21000000.50"},
        "_sources": {"revenue@2024": {"department": "税务局", "resource": "企业年度纳税情况"}}}


def test_eval_a_rule_file_prints_json(tmp_path: Path) -> None:
    entity = write(tmp_path, "firm.json", FIRM)
    result = runner.invoke(app, ["rules", "eval", "--file", str(E1), "--entity", str(entity),
                                 "--at", "2025-06-01", "--explain"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["status"] == "eligible"
    assert data["amount"] == {"low": "200000.00", "high": "200000.00"}
    assert data["deciding"] == []
    assert len(data["atoms"]) == 5
    assert data["explanation"][0] == "结论：符合条件"
    revenue = data["atoms"][3]["columns"][0]
    assert revenue["value"] == "21000000.50"
    assert revenue["source"]["department"] == "税务局"


def test_eval_condition_text_likely(tmp_path: Path) -> None:
    entity = write(tmp_path, "firm.json", {"qualifications": [{"tag": "高企", "since": "2023-01-01"}]})
    result = runner.invoke(app, ["rules", "eval", "--condition", "has(qualifications, 高新技术企业)",
                                 "--amount", "min(10% * rd_expense[last_year], 100万)",
                                 "--entity", str(entity), "--at", "2025-06-01"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["status"], data["amount"], data["deciding"]) == (
        "likely", {"low": "0.00", "high": "1000000.00"}, ["rd_expense@2024"])


def test_eval_reports_bad_rule_text_and_bad_entities(tmp_path: Path) -> None:
    entity = write(tmp_path, "firm.json", {"revenue": {"2024": "lots"}, "colour": "red"})
    result = runner.invoke(app, ["rules", "eval", "--condition", "revenue[last_year] >= 1",
                                 "--entity", str(entity)])
    assert result.exit_code == 1
    assert "revenue.2024" in result.output and "colour" in result.output
    assert "Traceback" not in result.output
    good = write(tmp_path, "good.json", {})
    result = runner.invoke(app, ["rules", "eval", "--condition", "revenue >=", "--entity", str(good)])
    assert result.exit_code == 1
    assert "rules.syntax" in result.output
    result = runner.invoke(app, ["rules", "eval", "--entity", str(good)])
    assert result.exit_code == 1
    not_json = write(tmp_path, "broken.json", "{")
    result = runner.invoke(app, ["rules", "eval", "--file", str(E1), "--entity", str(not_json)])
    assert result.exit_code == 1


# ------------------------------------------------------------------ rule files


def test_rule_file_sections_metadata_and_file_offsets() -> None:
    text = ("# comment\ntitle: 标题\nclause: 条款原文\ncondition:\n  revenue[last_year] >= 2000万  # 注释\n"
            "  and not serious_dishonesty\namount:\n  20万\n")
    parsed = parse_rule_text(text)
    assert (parsed.title, parsed.clause) == ("标题", "条款原文")
    assert isinstance(parsed.rule.condition, ast.And)
    span = parsed.rule.condition.args[0].span
    assert span is not None and line_column(text, span.start) == (5, 3)
    assert parsed.rule.amount == ast.Number(__import__("decimal").Decimal(200000))


def test_rule_file_problems() -> None:
    with pytest.raises(RuleInvalid) as error:
        parse_rule_text("stray text\ncondition: true\ncondition: false\n")
    codes = [p.code for p in error.value.problems]
    assert codes == ["rules.file", "rules.file"]


# ------------------------------------------------------------------ entity JSON


def test_entity_json_to_row() -> None:
    entity = entity_from_json({
        "registered_region": "思明区", "industry": "制造业", "enterprise_size": "小型企业",
        "established_on": "2023-05-01", "serious_dishonesty": False,
        "revenue": {"2023": 18000000, "2024": "21000000.50", "2022": None},
        "employees@2024": 12,
        "qualifications": [{"tag": "高新技术企业", "since": "2023-01-01", "until": "2025-12-31"}],
        "export_share": {"2024": 0.25},
        "name": "厦门某某科技有限公司", "_note": "ignored",
    })
    row = entity.row
    assert row["registered_region"] == "350203"
    assert row["industry"] == "C"
    assert row["enterprise_size"] == "small"
    assert row["revenue@2023"] == 1_800_000_000
    assert row["revenue@2024"] == 2_100_000_050
    assert "revenue@2022" not in row
    assert row["employees@2024"] == 12
    assert row["qualifications"] is True
    assert str(row["qualifications#high_tech.since"]) == "2023-01-01"
    assert row["export_share@2024"] == 0.25


def test_empty_qualifications_are_known_and_absent_ones_unknown() -> None:
    assert entity_from_json({"qualifications": []}).row == {"qualifications": True}
    assert entity_from_json({"qualifications": None}).row == {}


@pytest.mark.parametrize(("data", "field"), [
    ({"revenue": {"2024": "1.001"}}, "revenue.2024"),
    ({"revenue": {"2024": -1}}, "revenue.2024"),
    ({"revenue": 5}, "revenue"),
    ({"revenue": {"24": 5}}, "revenue.24"),
    ({"registered_capital@2024": 5}, "registered_capital@2024"),
    ({"employees": {"2024": 1.5}}, "employees.2024"),
    ({"registered_region": "火星"}, "registered_region"),
    ({"industry": "ZZ"}, "industry"),
    ({"enterprise_size": "巨型"}, "enterprise_size"),
    ({"qualifications": [{"tag": "不存在的称号", "since": "2023-01-01"}]}, "qualifications[0]"),
    ({"qualifications": [{"tag": "高企"}]}, "qualifications[0]"),
    ({"established_on": "2023-13-01"}, "established_on"),
    ({"serious_dishonesty": "no"}, "serious_dishonesty"),
    ({"turnover": 1}, "turnover"),
])
def test_bad_entity_input_names_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        entity_from_json(data)
    assert [p.field for p in error.value.fields] == [field]
