"""``tongban rules …``: check rule files and evaluate a rule for one entity from the command line.

    tongban rules check e01.rules
    tongban rules eval --file e01.rules --entity firm.json [--at 2025-06-01] [--explain]
    tongban rules eval --condition "revenue[last_year] >= 2000万" --amount "20万" --entity firm.json
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from tongban.kernel.errors import DomainError
from tongban.kernel.i18n import translate
from tongban.profiles.attributes import builtin_registry
from tongban.rules import ast
from tongban.rules.errors import RuleInvalid, RuleProblem
from tongban.rules.files import line_column, read_rule_file

rules_app = typer.Typer(
    help="Policy rules: check rule files, evaluate for one enterprise / 政策规则", no_args_is_help=True
)


def _message(problem: RuleProblem, language: str) -> str:
    return translate(problem.message, language=language, **problem.params)


def render_problems(error: RuleInvalid, text: str | None, name: str) -> str:
    """Each problem: code, message in Chinese and English, line:column and a caret under the span."""
    lines: list[str] = []
    for problem in error.problems:
        zh, en = _message(problem, "zh-CN"), _message(problem, "en")
        where = name
        span = problem.span
        if span is not None and text is not None:
            line, column = line_column(text, span.start)
            where = f"{name}:{line}:{column}"
        lines.append(f"{where}: {problem.code}: {zh}")
        if en != zh:
            lines.append(f"    {en}")
        if span is not None and text is not None:
            start = text.rfind("\n", 0, span.start) + 1
            stop = text.find("\n", span.start)
            stop = len(text) if stop < 0 else stop
            source = text[start:stop]
            width = max(1, min(span.end, stop) - span.start)
            lines.append(f"    {source}")
            column = span.start - start
            lines.append("    " + _pad(source[:column]) + _caret(source[column:][:width]))
    return "\n".join(lines)


def _is_wide(character: str) -> bool:
    return ord(character) >= 0x1100 and not 0xFF61 <= ord(character) <= 0xFFDC


def _pad(prefix: str) -> str:
    """Spaces as wide as ``prefix`` on a terminal (CJK characters take two columns)."""
    return "".join("\t" if c == "\t" else "  " if _is_wide(c) else " " for c in prefix)


def _caret(marked: str) -> str:
    return "".join("^^" if _is_wide(c) else "^" for c in marked) or "^"


def _fail(text: str) -> NoReturn:
    typer.echo(text, err=True)
    raise typer.Exit(1)


def _explain_domain(error: DomainError) -> str:
    zh = translate(error.message, language="zh-CN", **error.params)
    en = translate(error.message, language="en", **error.params)
    lines = [zh if zh == en else f"{zh} / {en}"]
    for problem in error.fields:
        zh = translate(problem.message, language="zh-CN", **problem.params)
        en = translate(problem.message, language="en", **problem.params)
        lines.append(f"  - {problem.field}: {zh}" + ("" if zh == en else f" / {en}"))
    return "\n".join(lines)


@rules_app.command("check")
def check_command(file: Annotated[Path, typer.Argument(help="A rule file (*.rules).")]) -> None:
    """Type-check a rule file: exit 0 with a summary, or 1 listing each problem with its place."""
    try:
        parsed = read_rule_file(file)
    except RuleInvalid as error:
        _fail(render_problems(error, error.text, str(file)))
    rule = parsed.rule
    atoms = len(ast.atoms(rule.condition))
    amount = "有金额公式 / with amount" if rule.amount is not None else "无金额公式 / no amount"
    title = f" {parsed.title}" if parsed.title else ""
    typer.echo(f"OK {file}{title}: {atoms} 个条件 / conditions, {amount}")


@rules_app.command("eval")
def eval_command(
    entity: Annotated[Path, typer.Option(help="The entity as JSON (money in yuan).")],
    file: Annotated[Path | None, typer.Option(help="A rule file instead of --condition/--amount.")] = None,
    condition: Annotated[str | None, typer.Option(help="Condition text.")] = None,
    amount: Annotated[str | None, typer.Option(help="Amount formula text.")] = None,
    at: Annotated[str | None, typer.Option(help="Evaluation date YYYY-MM-DD (default today).")] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Add the explanation in Chinese.")] = False,
    language: Annotated[str, typer.Option(help="Language of the explanation: zh-CN or en.")] = "zh-CN",
) -> None:
    """Evaluate a rule for one entity and print the result as JSON."""
    from tongban.kernel.clock import today
    from tongban.rules.entity import read_entity
    from tongban.rules.evaluate import evaluate
    from tongban.rules.explain import explain_lines

    if (file is None) == (condition is None):
        _fail("请给出 --file 或 --condition 之一 / give either --file or --condition")
    try:
        when = date.fromisoformat(at) if at else today()
    except ValueError:
        _fail(f"日期格式应为 YYYY-MM-DD / --at must be YYYY-MM-DD: {at}")
    registry = builtin_registry()
    try:
        if file is not None:
            rule = read_rule_file(file, registry).rule
        else:
            rule = _rule_from_text(condition or "", amount)
    except RuleInvalid as error:
        _fail(render_problems(error, error.text, str(file) if file else "--condition/--amount"))
    try:
        data = read_entity(entity, registry)
    except DomainError as error:
        _fail(_explain_domain(error))
    try:
        result = evaluate(rule, data.row, when, registry, data.sources)
    except RuleInvalid as error:
        _fail(render_problems(error, None, str(file) if file else "--condition/--amount"))
    output = result.to_json(language)
    output["at"] = when.isoformat()
    if explain:
        output["explanation"] = explain_lines(result, language)
    typer.echo(json.dumps(output, ensure_ascii=False, indent=2))


def _rule_from_text(condition: str, amount: str | None) -> ast.Rule:
    """Parse and check --condition/--amount; problems point into "condition\\namount"."""
    from tongban.rules.files import parse_rule_text

    text = f"condition: {condition}\n" + (f"amount: {amount}\n" if amount else "")
    try:
        return parse_rule_text(text).rule
    except RuleInvalid as error:
        error.text = text
        raise
