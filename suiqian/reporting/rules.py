"""Validation rules: expressions over field codes, evaluated with simpleeval — never eval()."""

from __future__ import annotations

import ast
import threading
from dataclasses import dataclass

from simpleeval import InvalidExpression, SimpleEval

FUNCTIONS = {"abs": abs, "min": min, "max": max}
# The only syntax a rule may use: arithmetic, comparisons, and/or/not, names, numbers, the functions above.
ALLOWED_NODES = (ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Name, ast.Constant, ast.Call,
                 ast.Load, ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd, ast.Add, ast.Sub, ast.Mult, ast.Div,
                 ast.Mod, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)


class RuleSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class RuleViolation:
    rule: str
    severity: str  # "error" | "warning"
    message: str
    fields: tuple[str, ...]

    @property
    def key(self) -> str:
        """Identifies a warning across saves, so a written explanation stays attached to it."""
        return f"{self.rule}:{','.join(self.fields)}"


def check_expression(expr: str, allowed: set[str]) -> set[str]:
    """Parse `expr` and return the names it uses; refuse unknown names and anything but an expression."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as e:
        raise RuleSyntaxError(f"表达式语法错误：{expr}") from e
    foreign = sorted({type(n).__name__ for n in ast.walk(tree) if not isinstance(n, ALLOWED_NODES)})
    if foreign:
        raise RuleSyntaxError(f"表达式中有不允许的语法（{', '.join(foreign)}）：{expr}")
    if any(isinstance(n, ast.Constant) and not isinstance(n.value, (int, float)) for n in ast.walk(tree)):
        raise RuleSyntaxError(f"表达式中只能有数字常量：{expr}")
    if any(isinstance(n, ast.Call) and not isinstance(n.func, ast.Name) for n in ast.walk(tree)):
        raise RuleSyntaxError(f"不允许的函数调用：{expr}")
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - called
    if called - set(FUNCTIONS):
        raise RuleSyntaxError(f"不允许的函数：{', '.join(sorted(called - set(FUNCTIONS)))}")
    unknown = names - allowed
    if unknown:
        raise RuleSyntaxError(f"表达式引用了不存在的字段：{', '.join(sorted(unknown))}")
    return names


_parsed: dict[str, ast.AST] = {}
_parse_lock = threading.Lock()


def _parsed_once(expr: str) -> ast.AST:
    """ast.parse is not thread-safe on CPython 3.11 (python/cpython#106905): parse each rule once, under a lock."""
    with _parse_lock:
        if expr not in _parsed:
            _parsed[expr] = SimpleEval.parse(expr)
        return _parsed[expr]


def _holds(expr: str, names: dict) -> bool:
    try:
        return bool(SimpleEval(names=names, functions=FUNCTIONS).eval(expr, previously_parsed=_parsed_once(expr)))
    except (InvalidExpression, ZeroDivisionError, TypeError):
        return False


def evaluate(spec, values: dict[str, int | None], previous: dict[str, int | None] | None = None,
             fields: list[str] | None = None, sources: dict[str, dict[str, int]] | None = None) -> list[RuleViolation]:
    """Run the form's rules. A rule with an empty field is skipped: completeness is checked on its own.

    A for-each-field rule sees `value`, `previous` and each second source's figure for the field
    by the source's code; it is skipped for a field where any name it uses has no figure."""
    previous, sources = previous or {}, sources or {}
    in_scope = set(fields) if fields is not None else set(values)
    findings = []
    for rule in spec.rules:
        if rule.for_each_field:
            for code in spec.field_codes:
                names = {"value": values.get(code), "previous": previous.get(code),
                         **{source: figures.get(code) for source, figures in sources.items()}}
                if code not in in_scope or any(names.get(n) is None for n in rule.names | {"value"}):
                    continue
                if not _holds(rule.expr, {n: names[n] for n in rule.names}):
                    message = rule.message.format(label=spec.field(code).label, **names)
                    findings.append(RuleViolation(rule.code, rule.severity, message, (code,)))
            continue
        if not rule.names <= in_scope or any(values.get(n) is None for n in rule.names):
            continue
        if not _holds(rule.expr, {n: values[n] for n in rule.names}):
            findings.append(RuleViolation(rule.code, rule.severity, rule.message, tuple(sorted(rule.names))))
    return findings
