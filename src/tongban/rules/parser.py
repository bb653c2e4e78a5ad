"""The text form of conditions and amounts (docs/rules.md §1) → syntax trees (``rules.ast``).

The grammar is ``grammar.lark`` (LALR). The parser keeps literals as written: region, industry,
code-list and tag values are the raw strings of the text (厦门市, 3502, 小型, 高新技术企业);
``rules.typecheck`` resolves them to codes. Every node carries the span of text it came from.

Conventions the printer (``rules.printer``) mirrors:

- a minus sign before a number or percentage folds into it: ``-5`` is ``Number(-5)``; before
  anything else it is ``0 - x``: ``-x`` is ``Arith("-", Number(0), x)``;
- ``a and b and c`` is one ``And`` of three; a parenthesised ``(a and b) and c`` stays nested;
- a parenthesised expression gets the span of its content (without the parentheses).

Syntax errors raise ``RuleInvalid`` with one ``rules.syntax`` problem saying what was expected
near which text.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from tongban.kernel.errors import N_
from tongban.rules import ast
from tongban.rules.errors import RuleInvalid, RuleProblem

SYNTAX = "rules.syntax"

MSG_EMPTY = N_("The rule is empty.")
MSG_UNEXPECTED = N_("Unexpected “{found}” after “{near}”; expected {expected}.")
MSG_UNEXPECTED_START = N_("Unexpected “{found}” at the start; expected {expected}.")
MSG_EARLY_END = N_("The text ends too early after “{near}”; expected {expected}.")
MSG_OPERAND = N_("Unexpected “{found}” after “{near}”; expected a number, an attribute or a function.")
MSG_OPERAND_START = N_("Unexpected “{found}” at the start; expected a number, an attribute or a function.")
MSG_OPERAND_END = N_("The text ends too early after “{near}”; expected a number, an attribute or a function.")
MSG_IF_PARENS = N_("Put “if … then … else …” in parentheses when it is part of a calculation.")
MSG_BAD_CHARACTER = N_("Unexpected character “{found}” after “{near}”.")
MSG_BAD_CHARACTER_START = N_("Unexpected character “{found}” at the start.")
MSG_BAD_DATE = N_("“{text}” is not a valid date (write YYYY-MM-DD).")
MSG_BAD_PERIOD = N_(
    "“{text}” is not a period: write this_year, last_year, year_before or a negative whole number "
    "of years such as -3."
)
MSG_BAD_WINDOW = N_("“{text}” is not a number of years: write a whole number, as in last 3 years.")
MSG_BAD_VALUE = N_("“{text}” is not a code: write a code such as 3502 or C39, a name, or a quoted text.")
MSG_BAD_STEP = N_("“{text}” cannot start a tier step: write a number such as 1000万 before the colon.")

# how the expected terminals are shown in a syntax error
_EXPECTED_NAMES: dict[str, str] = {
    "NAME": "name",
    "NUMBER": "number",
    "DATE": "YYYY-MM-DD",
    "CODE": "code",
    "CJK_WORD": "name",
    "STRING": '"text"',
    "CMP": "< <= > >= = !=",
    "ADDOP": "+ -",
    "MULOP": "* /",
    "$END": "end of text",
    "_COMMA": ",",
    "_LPAR": "(",
    "_RPAR": ")",
    "_COLON": ":",
}
_SKIPPED_EXPECTED = frozenset({"_OR_ZH", "_AND_ZH", "_NOT_ZH"})
_NEAR = 20  # characters of text shown before an error


class RuleSyntaxError(Exception):
    """Raised inside the tree conversion; becomes RuleInvalid."""

    def __init__(self, message: str, span: ast.Span, **params: Any) -> None:
        super().__init__(message)
        self.problem = RuleProblem(SYNTAX, message, span, params)


@cache
def _parser() -> Lark:
    grammar = resources.files("tongban.rules").joinpath("grammar.lark").read_text("utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


# ---------------------------------------------------------------- public API


def parse_expression(text: str) -> ast.Node:
    """Parse a condition or value expression; RuleInvalid (rules.syntax) if it does not parse."""
    if not text.strip():
        raise RuleInvalid([RuleProblem(SYNTAX, MSG_EMPTY, ast.Span(0, len(text)))], text)
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as error:
        raise RuleInvalid([_problem(text, error)], text) from None
    except LarkError as error:  # pragma: no cover - lark raises UnexpectedInput for bad input
        raise RuleInvalid([RuleProblem(SYNTAX, MSG_EMPTY, ast.Span(0, len(text)))], text) from error
    try:
        return _convert(tree.children[0], text)
    except RuleSyntaxError as error:
        raise RuleInvalid([error.problem], text) from None


def parse_condition(text: str) -> ast.Node:
    """Parse an eligibility condition (the type checker verifies it is boolean)."""
    return parse_expression(text)


def parse_amount(text: str) -> ast.Node:
    """Parse an amount formula (the type checker verifies it is money)."""
    return parse_expression(text)


def parse_rule(condition_text: str, amount_text: str | None = None) -> ast.Rule:
    """Parse an item's condition and optional amount (None or blank: no amount).

    Problems of both texts are reported together; each has ``params["part"]`` set to
    ``"condition"`` or ``"amount"`` saying which text its span refers to.
    """
    problems: list[RuleProblem] = []
    condition: ast.Node | None = None
    amount: ast.Node | None = None
    try:
        condition = parse_condition(condition_text)
    except RuleInvalid as error:
        problems += [_with_part(p, "condition") for p in error.problems]
    if amount_text is not None and amount_text.strip():
        try:
            amount = parse_amount(amount_text)
        except RuleInvalid as error:
            problems += [_with_part(p, "amount") for p in error.problems]
    if problems or condition is None:
        raise RuleInvalid(problems, condition_text)
    return ast.Rule(condition, amount)


def _with_part(problem: RuleProblem, part: str) -> RuleProblem:
    return RuleProblem(problem.code, problem.message, problem.span, {**problem.params, "part": part})


# ---------------------------------------------------------------- errors


def _near(text: str, position: int) -> str:
    before = text[:position].rstrip()
    if len(before) > _NEAR:
        before = "…" + before[-_NEAR:]
    return " ".join(before.split())


def _expected(names: set[str] | frozenset[str]) -> str:
    parser = _parser()
    shown: list[str] = []
    for name in sorted(names):
        if name in _SKIPPED_EXPECTED:
            continue
        label = _EXPECTED_NAMES.get(name)
        if label is None:
            try:
                pattern = parser.get_terminal(name).pattern
            except KeyError:
                label = name.lower().strip("_")
            else:
                label = pattern.value if isinstance(pattern, PatternStr) else name.lower().strip("_")
        if label not in shown:
            shown.append(label)
    # keywords and punctuation first, in a stable order
    shown.sort(key=lambda s: (s == "end of text", len(s) > 1 and s.isalpha(), s))
    return " ".join(f"“{s}”" for s in shown[:12]) + (" …" if len(shown) > 12 else "")


def _only_comments(text: str) -> bool:
    try:
        return next(iter(_parser().lex(text)), None) is None
    except UnexpectedInput:
        return False


def _problem(text: str, error: UnexpectedInput) -> RuleProblem:
    if isinstance(error, UnexpectedCharacters):
        position = error.pos_in_stream if error.pos_in_stream is not None else 0
        found = text[position] if position < len(text) else ""
        near = _near(text, position)
        return RuleProblem(
            SYNTAX, MSG_BAD_CHARACTER if near else MSG_BAD_CHARACTER_START, ast.Span(position, position + 1),
            {"found": found, "near": near},
        )
    if isinstance(error, UnexpectedToken) and error.token.type == "$END" and _only_comments(text):
        return RuleProblem(SYNTAX, MSG_EMPTY, ast.Span(0, len(text)))
    expected: set[str] = set()
    if isinstance(error, UnexpectedToken):
        expected = set(error.accepts or error.expected)
    elif isinstance(error, UnexpectedEOF):
        expected = set(error.expected)
    operand = {"NAME", "NUMBER", "DATE"} <= expected
    if isinstance(error, UnexpectedToken) and error.token.type != "$END":
        token: Token = error.token
        start = token.start_pos if token.start_pos is not None else len(text)
        end = token.end_pos if token.end_pos is not None else start
        near = _near(text, start)
        params = {"found": str(token.value), "near": near, "expected": _expected(expected)}
        previous = (error.token_history or [None])[-1]
        if previous is not None and previous.type == "NAME" and previous.value == "if":
            return RuleProblem(SYNTAX, MSG_IF_PARENS, _span(previous), params)
        if operand:
            message = MSG_OPERAND if near else MSG_OPERAND_START
        else:
            message = MSG_UNEXPECTED if near else MSG_UNEXPECTED_START
        return RuleProblem(SYNTAX, message, ast.Span(start, end), params)
    end = len(text.rstrip())
    return RuleProblem(
        SYNTAX, MSG_OPERAND_END if operand else MSG_EARLY_END, ast.Span(end, len(text)),
        {"near": _near(text, end), "expected": _expected(expected)},
    )


# ---------------------------------------------------------------- tree → ast


def _span(item: Tree[Token] | Token) -> ast.Span:
    if isinstance(item, Token):
        return ast.Span(item.start_pos or 0, item.end_pos or 0)
    meta = item.meta
    if getattr(meta, "empty", True):
        return ast.Span(0, 0)
    return ast.Span(meta.start_pos, meta.end_pos)


def _decimal(token: Token) -> tuple[Decimal, str]:
    """The value and unit ('', '万', '亿', '%') of a NUMBER token."""
    text = str(token)
    unit = text[-1] if text[-1] in "万亿%" else ""
    value = Decimal(text[:-1] if unit else text)
    if unit == "万":
        value *= 10_000
    elif unit == "亿":
        value *= 100_000_000
    if unit in ("万", "亿") and value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    return value, unit


def _integer(token: Token, message: str) -> int:
    text = str(token)
    if not text.isdigit():
        raise RuleSyntaxError(message, _span(token), text=text)
    return int(text)


def _period(tree: Tree[Token]) -> int:
    match tree.data:
        case "this_year":
            return 0
        case "last_year":
            return -1
        case "year_before":
            return -2
    tokens = [t for t in tree.children if isinstance(t, Token)]
    number = _integer(tokens[-1], MSG_BAD_PERIOD)
    return -number if len(tokens) == 2 else number


def _window(tree: Tree[Token]) -> ast.Window:
    match tree.data:
        case "w_last_year":
            return ast.Window(-1, -1)
        case "w_this_year":
            return ast.Window(0, 0)
        case "w_last":
            token = tree.children[0]
            assert isinstance(token, Token)
            return ast.Window(-_integer(token, MSG_BAD_WINDOW), -1)
    start, end = (_period(_tree(c)) for c in tree.children)
    return ast.Window(start, end)


def _value(tree: Tree[Token]) -> str:
    token = tree.children[0]
    assert isinstance(token, Token)
    text = str(token)
    if token.type == "STRING":
        return _unquote(text)
    if token.type == "NUMBER" and not text.isdigit():
        raise RuleSyntaxError(MSG_BAD_VALUE, _span(token), text=text)
    return text


def _unquote(text: str) -> str:
    out: list[str] = []
    chars = iter(text[1:-1])
    for char in chars:
        out.append(next(chars, "\\") if char == "\\" else char)
    return "".join(out)


def _tree(item: Tree[Token] | Token) -> Tree[Token]:
    assert isinstance(item, Tree)
    return item


def _token(item: Tree[Token] | Token) -> Token:
    assert isinstance(item, Token)
    return item


def _step(tree: Tree[Token], text: str) -> ast.TierStep:
    *tokens, amount = tree.children
    number = _token(tokens[-1])
    value, unit = _decimal(number)
    if unit == "%":
        raise RuleSyntaxError(MSG_BAD_STEP, _span(number), text=str(number))
    return ast.TierStep(-value if len(tokens) == 2 else value, _convert(amount, text))


def _convert(item: Tree[Token] | Token, text: str) -> ast.Node:
    tree = _tree(item)
    span = _span(tree)
    kids = tree.children

    def node(index: int) -> ast.Node:
        return _convert(kids[index], text)

    def nodes(items: list[Tree[Token] | Token]) -> tuple[ast.Node, ...]:
        return tuple(_convert(k, text) for k in items)

    match tree.data:
        case "or_" | "and_":
            if len(kids) == 1:
                return node(0)
            cls = ast.Or if tree.data == "or_" else ast.And
            return cls(nodes(kids), span=span)
        case "not_":
            return ast.Not(node(0), span=span)
        case "paren":
            return node(0)
        case "compare":
            operator = {"≤": "<=", "≥": ">=", "≠": "!="}.get(str(kids[1]), str(kids[1]))
            return ast.Compare(operator, node(0), node(2), span=span)  # type: ignore[arg-type]
        case "between":
            return ast.Between(node(0), node(1), node(2), span=span)
        case "within" | "in_":
            codes = tuple(_value(_tree(v)) for v in _tree(kids[1]).children)
            cls2 = ast.Within if tree.data == "within" else ast.In
            return cls2(node(0), codes, span=span)
        case "if_":
            return ast.If(node(0), node(1), node(2), span=span)
        case "arith":
            operator = {"×": "*", "÷": "/"}.get(str(kids[1]), str(kids[1]))
            return ast.Arith(operator, node(0), node(2), span=span)  # type: ignore[arg-type]
        case "neg":
            inner = node(0)
            if isinstance(inner, ast.Number):
                return ast.Number(-inner.value, span=span)
            if isinstance(inner, ast.Percent):
                return ast.Percent(-inner.value, span=span)
            return ast.Arith("-", ast.Number(Decimal(0), span=ast.Span(span.start, span.start + 1)), inner,
                             span=span)
        case "number":
            value, unit = _decimal(_token(kids[0]))
            return ast.Percent(value, span=span) if unit == "%" else ast.Number(value, span=span)
        case "date":
            try:
                return ast.DateLiteral(date.fromisoformat(str(kids[0])), span=span)
            except ValueError:
                raise RuleSyntaxError(MSG_BAD_DATE, span, text=str(kids[0])) from None
        case "true" | "false":
            return ast.BoolLiteral(tree.data == "true", span=span)
        case "attr":
            period = _period(_tree(kids[1])) if len(kids) > 1 else None
            return ast.Attr(str(kids[0]), period, span=span)
        case "min_" | "max_":
            return ast.Extremum("min" if tree.data == "min_" else "max", nodes(kids), span=span)
        case "growth":
            if len(kids) == 1:
                return ast.Growth(str(kids[0]), span=span)
            return ast.Growth(str(kids[0]), _period(_tree(kids[1])), _period(_tree(kids[2])), span=span)
        case "years_since":
            return ast.YearsSince(node(0), span=span)
        case "sum_years":
            return ast.SumYears(str(kids[0]), _window(_tree(kids[1])), span=span)
        case "count_years":
            return ast.CountYears(node(0), _window(_tree(kids[1])), span=span)
        case "tiers" | "rank_tiers":
            steps = tuple(_step(_tree(k), text) for k in kids[1:])
            return ast.Tiers(node(0), steps, "amount" if tree.data == "tiers" else "rank", span=span)
        case "above":
            return ast.Above(node(0), node(1), span=span)
        case "up_to":
            return ast.UpTo(node(0), span=span)
        case "has":
            return ast.Has(str(kids[0]), _value(_tree(kids[1])), span=span)
        case "gained":
            return ast.Gained(str(kids[0]), _value(_tree(kids[1])), _window(_tree(kids[2])), span=span)
        case "first_time":
            return ast.FirstTime(node(0), _period(_tree(kids[1])), span=span)
        case "all_years":
            return ast.AllYears(node(0), _window(_tree(kids[1])), span=span)
        case "any_year":
            return ast.AnyYear(node(0), _window(_tree(kids[1])), span=span)
    raise AssertionError(f"unhandled grammar rule {tree.data}")  # pragma: no cover
