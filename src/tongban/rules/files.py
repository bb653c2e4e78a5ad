"""Rule files: a policy item's condition and amount as UTF-8 text (``*.rules``).

    # 对注册地和纳税地均在本市、上年度主营业务收入首次达到2000万元的工业企业 …
    title: 首次规上奖励
    clause: 厦门市促进工业稳增长若干措施 第三条
    condition:
      registered_region within 厦门市 and tax_region within 厦门市
      and first_time(revenue >= 2000万, last_year)
    amount: 20万

A section starts with ``condition:`` or ``amount:`` at the start of a line; its text is the rest
of that line and the lines that follow until the next section. ``title:`` and ``clause:`` are
one-line metadata. ``#`` starts a comment. The section texts are parsed with every character
outside the section blanked out, so spans in problems are offsets into the file itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tongban.kernel.errors import N_
from tongban.profiles.attributes import AttributeRegistry, builtin_registry
from tongban.rules import ast
from tongban.rules.errors import RuleInvalid, RuleProblem

MSG_NO_CONDITION = N_("The rule file has no condition: section.")
MSG_TWICE = N_("The section {section}: appears more than once.")
MSG_STRAY = N_("Text outside any section: start the rule with condition: or amount:.")
MSG_UNREADABLE = N_("The rule file cannot be read as UTF-8 text: {error}")

_HEADER = re.compile(r"^(title|clause|condition|amount)[ \t]*:", re.MULTILINE)
FILE_CODE = "rules.file"


@dataclass(frozen=True)
class RuleFile:
    text: str
    rule: ast.Rule
    title: str | None = None
    clause: str | None = None
    path: Path | None = None


def _blank_outside(text: str, start: int, end: int) -> str:
    """The text with every character outside [start, end) replaced by a space (newlines kept)."""
    def blank(part: str) -> str:
        return re.sub(r"[^\n]", " ", part)

    return blank(text[:start]) + text[start:end] + blank(text[end:])


def sections(text: str) -> tuple[dict[str, tuple[int, int]], list[RuleProblem]]:
    """Section name → (start, end) offsets of its text in the file, and layout problems."""
    found: dict[str, tuple[int, int]] = {}
    problems: list[RuleProblem] = []
    headers = list(_HEADER.finditer(text))
    before = text[: headers[0].start()] if headers else text
    for match in re.finditer(r"^[^#\n]*\S[^\n]*$", before, re.MULTILINE):
        if match.group().strip() and not match.group().lstrip().startswith("#"):
            problems.append(RuleProblem(FILE_CODE, MSG_STRAY, ast.Span(match.start(), match.end())))
            break
    for i, header in enumerate(headers):
        name = header.group(1)
        start = header.end()
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        if name in ("title", "clause"):
            end = text.find("\n", start)
            end = len(text) if end < 0 else end
        if name in found:
            problems.append(RuleProblem(FILE_CODE, MSG_TWICE, ast.Span(header.start(), header.end()),
                                        {"section": name}))
            continue
        found[name] = (start, end)
    return found, problems


def _meta(text: str, where: tuple[int, int] | None) -> str | None:
    if where is None:
        return None
    value = text[where[0]:where[1]].strip()
    return value or None


def parse_rule_text(text: str, registry: AttributeRegistry | None = None,
                    path: Path | None = None) -> RuleFile:
    """Parse and type-check a rule file's text; RuleInvalid with every problem (spans are file offsets)."""
    from tongban.rules.parser import parse_expression
    from tongban.rules.typecheck import check_rule

    found, problems = sections(text)
    if "condition" not in found:
        problems.append(RuleProblem(FILE_CODE, MSG_NO_CONDITION, ast.Span(0, 0)))
    parsed: dict[str, ast.Node] = {}
    texts: dict[str, str] = {}
    for name in ("condition", "amount"):
        if name not in found:
            continue
        start, end = found[name]
        if name == "amount" and not _strip_comments(text[start:end]).strip():
            continue
        texts[name] = _blank_outside(text, start, end)
        try:
            parsed[name] = parse_expression(texts[name])
        except RuleInvalid as error:
            problems += [_in_section(p, text, start, end) for p in error.problems]
    if problems or "condition" not in parsed:
        raise RuleInvalid(problems or [RuleProblem(FILE_CODE, MSG_NO_CONDITION)], text)
    rule = check_rule(ast.Rule(parsed["condition"], parsed.get("amount")), registry or builtin_registry(),
                      condition_text=texts.get("condition"), amount_text=texts.get("amount"))
    return RuleFile(text, rule, _meta(text, found.get("title")), _meta(text, found.get("clause")), path)


def _strip_comments(text: str) -> str:
    return re.sub(r"#[^\n]*", "", text)


def _in_section(problem: RuleProblem, text: str, start: int, end: int) -> RuleProblem:
    """Keep a problem's span inside its section: an error at the blanked-out tail of the file
    ("the text ends too early") points just after the section's last character."""
    last = start + len(_strip_comments(text[start:end]).rstrip())
    span = problem.span
    if span is None:
        span = ast.Span(start, end)
    elif span.start > last:
        span = ast.Span(last, last)
    return RuleProblem(problem.code, problem.message, span, problem.params)


def read_rule_file(path: Path, registry: AttributeRegistry | None = None) -> RuleFile:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RuleInvalid([RuleProblem(FILE_CODE, MSG_UNREADABLE, None, {"error": str(error)})]) from None
    try:
        return parse_rule_text(text, registry, path)
    except RuleInvalid as error:
        error.text = text
        raise


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of an offset."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column
