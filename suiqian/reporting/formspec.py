"""Form definitions are data: a YAML file per form, parsed and checked here.

A file that does not hold together (unknown field in the layout, a rule naming a
field that does not exist, a layout row that does not fill the grid) is refused
with every problem listed, before anything reaches the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import rules as rule_engine

FORMS_DIR = Path(__file__).parent / "forms"
LEVELS = ("national", "province", "city", "county")
AGGREGATIONS = ("sum", "count_children", "supplied", "none")
SEVERITIES = ("error", "warning")
PART_LABELS = {"primary": "小学", "junior": "初中", "total": "合计"}


class FormSpecError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("表单定义有误：\n" + "\n".join(f"- {p}" for p in problems))


@dataclass(frozen=True)
class FieldSpec:
    code: str
    label: str
    levels: tuple[str, ...]
    aggregation: str = "sum"
    supplier: str | None = None
    group: str | None = None
    part: str | None = None
    definition: str = ""  # 口径: what the number counts, shown beside the field

    def entered_at(self, level: str) -> bool:
        return level in self.levels


@dataclass(frozen=True)
class RuleSpec:
    code: str
    expr: str
    severity: str
    message: str
    for_each_field: bool = False
    names: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SourceSpec:
    """A second record of some of the form's figures, named in rules by its code (e.g. `statistics`)."""

    code: str
    label: str
    supplier: str


@dataclass(frozen=True)
class LayoutCell:
    row: int  # 0-based grid position within the table
    col: int
    rowspan: int = 1
    colspan: int = 1
    text: str = ""
    field: str | None = None
    number: bool = False


@dataclass(frozen=True)
class FormSpec:
    code: str
    year: int
    title: str
    source: str
    header: tuple[dict, ...]
    notes: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    groups: tuple[dict, ...]
    column_widths: tuple[int, ...]
    cells: tuple[LayoutCell, ...]
    n_rows: int
    rules: tuple[RuleSpec, ...]
    sources: tuple[SourceSpec, ...] = ()
    raw: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def field_codes(self) -> list[str]:
        return [f.code for f in self.fields]

    def field(self, code: str) -> FieldSpec:
        return self._by_code[code]

    @property
    def _by_code(self) -> dict[str, FieldSpec]:
        return {f.code: f for f in self.fields}

    def fields_at(self, level: str) -> list[FieldSpec]:
        return [f for f in self.fields if f.entered_at(level)]

    def cell_of(self, code: str) -> LayoutCell:
        return next(c for c in self.cells if c.field == code)

    def rows(self) -> list[list[LayoutCell]]:
        """Cells grouped by the grid row they start in, for an HTML table."""
        out: list[list[LayoutCell]] = [[] for _ in range(self.n_rows)]
        for c in self.cells:
            out[c.row].append(c)
        return out


def _place(rows: list[list[dict]], width: int, problems: list[str]) -> tuple[list[LayoutCell], int]:
    """Place cells on a grid as an HTML table would, honouring rowspans from rows above."""
    occupied: set[tuple[int, int]] = set()
    cells: list[LayoutCell] = []
    for r, row in enumerate(rows):
        c = 0
        for item in row:
            while (r, c) in occupied:
                c += 1
            rs, cs = int(item.get("rowspan", 1)), int(item.get("colspan", 1))
            for dr in range(rs):
                for dc in range(cs):
                    occupied.add((r + dr, c + dc))
            cells.append(LayoutCell(r, c, rs, cs, str(item.get("text", "")), item.get("field"),
                                    bool(item.get("number", False))))
            c += cs
        filled = sum(1 for (rr, _) in occupied if rr == r)
        if filled != width:
            problems.append(f"版式第 {r + 1} 行占 {filled} 列，应为 {width} 列")
    return cells, len(rows)


def parse_form_spec(data: dict) -> FormSpec:
    problems: list[str] = []
    for key in ("code", "year", "title", "fields", "layout"):
        if key not in data:
            problems.append(f"缺少 {key}")
    if problems:
        raise FormSpecError(problems)
    fields = []
    for f in data["fields"]:
        spec = FieldSpec(code=f["code"], label=f["label"], levels=tuple(f.get("levels", ())),
                         aggregation=f.get("aggregation", "sum"), supplier=f.get("supplier"),
                         group=f.get("group"), part=f.get("part"),
                         definition=str(f.get("definition", "")).strip())
        if not spec.code.isidentifier():
            problems.append(f"字段代码 {spec.code!r} 只能由字母、数字和下划线组成")
        if not spec.levels or set(spec.levels) - set(LEVELS):
            problems.append(f"字段 {spec.code} 的 levels 无效：{spec.levels}")
        if spec.aggregation not in AGGREGATIONS:
            problems.append(f"字段 {spec.code} 的汇总方式无效：{spec.aggregation}")
        if spec.aggregation == "supplied" and not spec.supplier:
            problems.append(f"字段 {spec.code} 由其他模块提供，但没有写 supplier")
        fields.append(spec)
    codes = [f.code for f in fields]
    duplicates = {c for c in codes if codes.count(c) > 1}
    if duplicates:
        problems.append(f"字段代码重复：{', '.join(sorted(duplicates))}")
    layout = data["layout"]
    widths = tuple(layout.get("columns", ()))
    cells, n_rows = _place(layout.get("rows", []), len(widths), problems)
    in_layout = [c.field for c in cells if c.field]
    for code in in_layout:
        if code not in codes:
            problems.append(f"版式引用了不存在的字段 {code}")
    for code in set(codes) - set(in_layout):
        problems.append(f"字段 {code} 没有出现在版式中")
    for code in {c for c in in_layout if in_layout.count(c) > 1}:
        problems.append(f"字段 {code} 在版式中出现了多次")
    sources = _parse_sources(data.get("sources", []), problems)
    rules = []
    for r in data.get("rules", []):
        for_each = bool(r.get("for_each_field", False))
        allowed = {"value", "previous", *(s.code for s in sources)} if for_each else set(codes)
        try:
            names = rule_engine.check_expression(r["expr"], allowed)
        except rule_engine.RuleSyntaxError as e:
            problems.append(f"规则 {r.get('code')}：{e}")
            continue
        if r.get("severity") not in SEVERITIES:
            problems.append(f"规则 {r.get('code')} 的严重程度应为 error 或 warning")
        rules.append(RuleSpec(r["code"], r["expr"], r.get("severity", "error"), r["message"], for_each,
                              frozenset(names)))
    if problems:
        raise FormSpecError(problems)
    return FormSpec(code=data["code"], year=int(data["year"]), title=data["title"], source=data.get("source", ""),
                    header=tuple(data.get("header", ())), notes=tuple(data.get("notes", ())),
                    fields=tuple(fields), groups=tuple(data.get("groups", ())), column_widths=widths,
                    cells=tuple(cells), n_rows=n_rows, rules=tuple(rules), sources=tuple(sources), raw=data)


def _parse_sources(entries: list[dict], problems: list[str]) -> list[SourceSpec]:
    sources = []
    for entry in entries:
        source = SourceSpec(str(entry.get("code", "")), str(entry.get("label", "")), str(entry.get("supplier", "")))
        if not source.code.isidentifier() or source.code in ("value", "previous"):
            problems.append(f"第二数据来源的代码 {source.code!r} 无效")
        if not source.label or not source.supplier:
            problems.append(f"第二数据来源 {source.code} 缺少 label 或 supplier")
        sources.append(source)
    return sources


def read_form_file(path: Path) -> FormSpec:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise FormSpecError([f"{Path(path).name} 不是有效的 YAML：{e}"]) from e
    return parse_form_spec(data)
