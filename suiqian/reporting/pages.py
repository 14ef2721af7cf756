"""What a form page shows: each layout cell with its value, roll-up, marks and comments for this user."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from suiqian.accounts.scope import OutOfScope, Scope
from suiqian.divisions.models import Division

from .models import FormDefinition, Report
from .queries import (CheckResult, changes_since_return, check_values, current_values, editable_fields, is_computed,
                      level_of, report_of, second_sources)
from .rankings import Rollup, rollup

@dataclass
class CellView:
    """One layout cell as the page shows it to this user."""

    layout: object
    field: object | None = None
    value: int | None = None
    editable: bool = False
    entered_here: bool = False
    computed: bool = False
    prefilled: bool = False
    rollup: int | None = None
    comment: str = ""
    changed_from: object = None
    changed: bool = False
    mark: str = ""
    raw: str | None = None  # what the user typed, shown back when it could not be saved
    input_error: str = ""
    counterparts: tuple = ()  # (source label, its figure) for each second source that has this field
    explanations: tuple = ()  # what the unit wrote, on 上报, about the warnings on this field

    @property
    def shown(self):
        return self.raw if self.raw is not None else ("" if self.value is None else self.value)


@dataclass
class FormPage:
    form: FormDefinition
    unit: Division
    report: Report | None
    rows: list[list[CellView]]
    check: CheckResult
    may_fill: bool
    may_review: bool
    rollup: Rollup | None
    changes: dict

    @property
    def status_label(self) -> str:
        return self.report.get_status_display() if self.report else "未填报"

    @property
    def status(self) -> str:
        return self.report.status if self.report else "new"

    @property
    def editable(self) -> bool:
        return self.may_fill and (self.report is None or self.report.is_editable) and bool(
            editable_fields(self.form, self.unit))

    @property
    def may_submit(self) -> bool:
        # 上报 saves what is on the screen first, so an unsaved first draft may be submitted too.
        return self.editable or (self.may_fill and self.report is not None and self.report.is_editable)

    @property
    def version(self) -> int:
        return self.report.version if self.report else 0


def form_page(scope: Scope, form: FormDefinition, unit: Division, values_override: dict | None = None,
              raw_inputs: dict | None = None, input_errors: dict | None = None) -> FormPage:
    if not scope.sees(unit):
        raise OutOfScope("单位不存在或不在您的权限范围内")
    report = report_of(form, unit)
    level = level_of(unit)
    values = current_values(form, unit)
    has_children = Division.objects.filter(parent=unit).existing_in(form.year).exists()
    roll = rollup(scope, unit, form) if has_children else None
    prefilled = set()
    if roll:
        for code, total in roll.values.items():
            if values.get(code) is None and total is not None:
                values[code] = total
                prefilled.add(code)
    if values_override:
        values.update(values_override)
    may_fill = scope.may_fill(unit)
    open_for_input = may_fill and (report is None or report.is_editable)
    editable_codes = {f.code for f in editable_fields(form, unit)} if open_for_input else set()
    sources = second_sources(form, unit)
    source_labels = {s.code: s.label for s in form.parsed.sources}
    check = check_values(form, unit, values, sources=sources)
    marks = check.cells
    changes = changes_since_return(report) if report else {}
    comments = report.cell_comments if report else {}
    explained = explanations_by_field(report) if report else {}
    rows = []
    for layout_row in form.parsed.rows():
        row = []
        for cell in layout_row:
            if not cell.field:
                row.append(CellView(cell))
                continue
            f = form.parsed.field(cell.field)
            row.append(CellView(
                cell, f, values.get(f.code), editable=f.code in editable_codes, entered_here=f.entered_at(level),
                computed=is_computed(f), prefilled=f.code in prefilled,
                rollup=roll.values.get(f.code) if roll else None, comment=comments.get(f.code, ""),
                changed_from=changes.get(f.code, (None, None))[0], changed=f.code in changes,
                mark="error" if (input_errors or {}).get(f.code) else marks.get(f.code, ""),
                raw=(raw_inputs or {}).get(f.code), input_error=(input_errors or {}).get(f.code, ""),
                counterparts=tuple((source_labels[code], figures[f.code]) for code, figures in sources.items()
                                   if figures.get(f.code) is not None),
                explanations=tuple(explained.get(f.code, ()))))
        rows.append(row)
    return FormPage(form, unit, report, rows, check, may_fill, scope.may_review(unit), roll, changes)


def explanations_by_field(report: Report) -> dict[str, list[str]]:
    """Field code → the explanations whose warning named it (a warning's key ends in its fields)."""
    out: dict[str, list[str]] = defaultdict(list)
    for key, text in report.explanations.items():
        for code in key.rpartition(":")[2].split(","):
            out[code].append(text)
    return out

