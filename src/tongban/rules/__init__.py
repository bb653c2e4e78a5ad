"""The condition and amount language of policy items: syntax tree, parser and printer, type
checker, single-entity evaluator with explanations, population engine and SQL compiler.
The meaning of every construct is written once, in docs/rules.md."""
