"""The statistics' figures as data (figures.yaml): what is entered, what is summed, what must hold."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from suiqian.reporting import rules as rule_engine
from suiqian.reporting.formspec import FieldSpec, FormSpecError, RuleSpec

FIGURES_FILE = Path(__file__).parent / "figures.yaml"


@dataclass(frozen=True)
class Total:
    code: str
    label: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class FiguresSpec:
    """Shaped like a form's spec where the rule engine looks (rules, field_codes, field())."""

    title: str
    fields: tuple[FieldSpec, ...]
    totals: tuple[Total, ...]
    rules: tuple[RuleSpec, ...]

    @property
    def field_codes(self) -> list[str]:
        return [f.code for f in self.fields]

    def field(self, code: str) -> FieldSpec:
        return next(f for f in self.fields if f.code == code)

    def label(self, code: str) -> str:
        return next((x.label for x in [*self.fields, *self.totals] if x.code == code), code)

    def with_totals(self, values: dict[str, int | None]) -> dict[str, int | None]:
        """The entered figures and their totals (a total is empty while one of its parts is)."""
        out = {code: values.get(code) for code in self.field_codes}
        for total in self.totals:
            parts = [out.get(p) for p in total.parts]
            out[total.code] = None if any(p is None for p in parts) else sum(parts)
        return out


def parse_figures(data: dict) -> FiguresSpec:
    problems = []
    fields = tuple(FieldSpec(code=f["code"], label=f["label"], levels=("county",)) for f in data["fields"])
    codes = {f.code for f in fields}
    totals = tuple(Total(t["code"], t["label"], tuple(t["sum"])) for t in data.get("totals", []))
    for total in totals:
        if set(total.parts) - codes:
            problems.append(f"合计 {total.code} 引用了不存在的项目：{', '.join(sorted(set(total.parts) - codes))}")
    rules = []
    for r in data.get("rules", []):
        try:
            names = rule_engine.check_expression(r["expr"], codes)
        except rule_engine.RuleSyntaxError as e:
            problems.append(f"规则 {r.get('code')}：{e}")
            continue
        rules.append(RuleSpec(r["code"], r["expr"], r.get("severity", "error"), r["message"], False, frozenset(names)))
    if problems:
        raise FormSpecError(problems)
    return FiguresSpec(data["title"], fields, totals, tuple(rules))


@cache
def figures() -> FiguresSpec:
    return parse_figures(yaml.safe_load(FIGURES_FILE.read_text(encoding="utf-8")))
