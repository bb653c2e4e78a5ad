"""Errors of rule text and trees: each with a stable code, a translatable message and the span
of text it concerns (None for a tree that did not come from text)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tongban.kernel.errors import ValidationFailed
from tongban.rules.ast import Span


@dataclass(frozen=True)
class RuleProblem:
    """One problem in a rule. ``message`` is an English msgid with ``{name}`` placeholders."""

    code: str
    message: str
    span: Span | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self, translate: Any = None) -> dict[str, Any]:
        text = translate(self.message, **self.params) if translate else self.message.format(**self.params)
        out: dict[str, Any] = {"code": self.code, "message": text}
        if self.span is not None:
            out["start"], out["end"] = self.span.start, self.span.end
        return out


class RuleInvalid(ValidationFailed):
    """A rule that does not parse or does not type-check; ``problems`` says where and why."""

    default_code = "rules.invalid"

    def __init__(self, problems: list[RuleProblem], text: str | None = None) -> None:
        first = problems[0]
        super().__init__(first.message, code=first.code, **first.params)
        self.problems = problems
        self.text = text
