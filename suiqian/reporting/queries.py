"""Reads of the reporting engine: values, checks, roll-ups and 附件1-style tables."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, Sum

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.lib.tabular import Column, Table

from . import rules as rule_engine
from . import suppliers
from .models import DataValue, FormDefinition, Indicator, NationalRatio, PublishedValue, Report

HUNDRED = Decimal(100)
LEVEL_NAMES = {Division.Level.NATIONAL: "national", Division.Level.PROVINCE: "province", Division.Level.CITY: "city",
               Division.Level.COUNTY: "county"}
CHILD_LABELS = {Division.Level.NATIONAL: "省（区、市）", Division.Level.PROVINCE: "市"}


def percent(numerator: int, denominator: int) -> Decimal | None:
    """Share as a percentage with two decimals, rounded half up as the notice prints it."""
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def level_of(unit: Division) -> str:
    return LEVEL_NAMES[unit.level]


# --- one unit's form -----------------------------------------------------------------

def fields_of(form: FormDefinition, unit: Division):
    return form.parsed.fields_at(level_of(unit))


def computed_value(form: FormDefinition, unit: Division, spec_field) -> int | None:
    """Values the platform knows itself: the count of units below, or what another module supplies."""
    if spec_field.aggregation == "count_children":
        return Division.objects.filter(parent=unit).existing_in(form.year).count()
    if spec_field.aggregation == "supplied" and suppliers.is_registered(spec_field.supplier):
        return suppliers.supply(spec_field.supplier, unit, form.year)
    return None


def is_computed(spec_field) -> bool:
    return spec_field.aggregation == "count_children" or (
        spec_field.aggregation == "supplied" and suppliers.is_registered(spec_field.supplier))


def editable_fields(form: FormDefinition, unit: Division):
    return [f for f in fields_of(form, unit) if not is_computed(f)]


def report_of(form: FormDefinition, unit: Division) -> Report | None:
    return Report.objects.filter(form=form, unit=unit, year=form.year).first()


def current_values(form: FormDefinition, unit: Division) -> dict[str, int | None]:
    """What the unit's form holds now: stored values, with computed fields always fresh."""
    report = report_of(form, unit)
    values = report.value_map() if report else {}
    for f in fields_of(form, unit):
        if is_computed(f):
            values[f.code] = computed_value(form, unit, f)
    return values


def previous_values(form: FormDefinition, unit: Division) -> dict[str, int | None]:
    """The same unit's values a year earlier, from any form (codes stay across years) or a publication."""
    year = form.year - 1
    values = {p.field: p.value for p in PublishedValue.objects.filter(unit=unit, year=year)}
    reported = DataValue.objects.filter(report__unit=unit, report__year=year,
                                        report__status__in=[Report.Status.APPROVED, Report.Status.SUBMITTED])
    values.update({v.field: v.value for v in reported})
    return values


def second_sources(form: FormDefinition, unit: Division) -> dict[str, dict[str, int]]:
    """Each second source's figures for the unit's form (source code → field code → figure)."""
    return {s.code: suppliers.source_values(s.supplier, unit, form.year) for s in form.parsed.sources}


def run_rules(form: FormDefinition, unit: Division, values: dict,
              sources: dict[str, dict[str, int]] | None = None) -> list[rule_engine.Finding]:
    level_codes = [f.code for f in fields_of(form, unit)]
    if sources is None:
        sources = second_sources(form, unit)
    return rule_engine.evaluate(form.parsed, values, previous_values(form, unit), fields=level_codes,
                                sources=sources)


@dataclass
class CheckResult:
    missing: list = field(default_factory=list)
    errors: list[rule_engine.Finding] = field(default_factory=list)
    warnings: list[rule_engine.Finding] = field(default_factory=list)

    @property
    def cells(self) -> dict[str, str]:
        """Field code → 'error' / 'warning', for marking cells."""
        marks = {}
        for w in self.warnings:
            for code in w.fields:
                marks[code] = "warning"
        for e in self.errors:
            for code in e.fields:
                marks[code] = "error"
        return marks


def check_values(form: FormDefinition, unit: Division, values: dict, *, completeness: bool = True,
                 sources: dict[str, dict[str, int]] | None = None) -> CheckResult:
    findings = run_rules(form, unit, values, sources)
    missing = [f for f in fields_of(form, unit) if values.get(f.code) is None] if completeness else []
    return CheckResult(missing=missing, errors=[f for f in findings if f.severity == "error"],
                       warnings=[f for f in findings if f.severity == "warning"])


def check_report(report: Report) -> CheckResult:
    return check_values(report.form, report.unit, current_values(report.form, report.unit))


def changes_since_return(report: Report) -> dict[str, tuple]:
    """Fields whose value differs from the version the reviewer returned: code → (old, new)."""
    if not report.returned_values:
        return {}
    now = report.value_map()
    return {code: (report.returned_values.get(code), now.get(code))
            for code in set(now) | set(report.returned_values)
            if report.returned_values.get(code) != now.get(code)}


@dataclass
class HistoryEntry:
    at: object
    user: object
    action_label: str
    from_label: str
    to_label: str
    comment: str
    changes: list[tuple]
    cell_comments: list[tuple]

    def get_action_display(self) -> str:
        return self.action_label


def history(report: Report) -> list[HistoryEntry]:
    """The form's events with field labels and status names, oldest first."""
    spec = report.form.parsed
    label = {f.code: f.label for f in spec.fields}
    status = dict(Report.Status.choices)
    return [HistoryEntry(e.at, e.user, e.get_action_display(), status.get(e.from_status, "未填报"),
                         status.get(e.to_status, ""), e.comment,
                         [(label.get(c["field"], c["field"]), c["old"], c["new"]) for c in e.changes],
                         [(label.get(k, k), v) for k, v in e.cell_comments.items()])
            for e in report.events.select_related("user")]


# --- roll-up ---------------------------------------------------------------------------

@dataclass
class ChildStatus:
    unit: Division
    report: Report | None

    @property
    def status_label(self) -> str:
        return self.report.get_status_display() if self.report else "未填报"

    @property
    def approved(self) -> bool:
        return self.report is not None and self.report.status == Report.Status.APPROVED


@dataclass
class Rollup:
    unit: Division
    form: FormDefinition
    values: dict[str, int | None]
    children: list[ChildStatus]

    @property
    def pending(self) -> list[ChildStatus]:
        """Units below whose form is missing or not yet approved."""
        return [c for c in self.children if not c.approved]


def approved_sums_by_parent(year: int, parent_of: dict[int, int],
                            fields: list[str] | None = None) -> dict[int, dict[str, int]]:
    """Sum of the approved values of the units in `parent_of` (unit id → parent id), per parent.

    One query filtered on the report's own unit index — a path prefix or a join on the parent
    makes SQLite scan the whole year — then folded by parent here (a parent has tens of children)."""
    qs = DataValue.objects.filter(report__year=year, report__status=Report.Status.APPROVED,
                                  report__unit_id__in=list(parent_of), value__isnull=False)
    if fields is not None:
        qs = qs.filter(field__in=fields)
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in qs.values("report__unit_id", "field").annotate(total=Sum("value")).order_by():
        out[parent_of[row["report__unit_id"]]][row["field"]] += row["total"]
    return {parent: dict(sums) for parent, sums in out.items()}


def _summed_units(form: FormDefinition, unit: Division, children: list[Division]) -> dict[int, int]:
    """Whose approved forms make up `unit`'s sums (unit id → unit.pk): its children's, and for a child that
    fills nothing at its level (a province under 教育部) that child's children's instead."""
    passing_on = [c for c in children if not fields_of(form, c)]
    units = {c.pk: unit.pk for c in children if c not in passing_on}
    if passing_on:
        below = Division.objects.filter(parent__in=passing_on).existing_in(form.year).values_list("pk", flat=True)
        units.update(dict.fromkeys(below, unit.pk))
    return units


def rollup(scope: Scope, unit: Division, form: FormDefinition) -> Rollup:
    """A unit's values summed from its children's approved forms, with who is missing."""
    if not scope.sees(unit):
        raise PermissionError("不在权限范围内")
    children = list(Division.objects.filter(parent=unit).existing_in(form.year))
    reports = {r.unit_id: r for r in Report.objects.filter(form=form, unit__in=children)
               .only("unit_id", "status", "submitted_at", "form_id")}
    sums = approved_sums_by_parent(form.year, _summed_units(form, unit, children)).get(unit.pk, {})
    values = {}
    for f in form.parsed.fields:
        if f.aggregation == "sum":
            values[f.code] = sums.get(f.code)
        elif is_computed(f):
            values[f.code] = computed_value(form, unit, f)
    return Rollup(unit, form, values, [ChildStatus(c, reports.get(c.pk)) for c in children])


# --- 附件1 tables over an indicator ----------------------------------------------------

@dataclass
class IndicatorRow:
    unit: Division | None
    name: str
    numerator: int | None
    denominator: int | None
    national_ratio: Decimal | None = None
    basis: str = ""  # where the numbers come from: 已审核填报 / 下级汇总 / 公布数据

    @property
    def has_data(self) -> bool:
        return self.denominator is not None and self.numerator is not None

    @property
    def ratio(self) -> Decimal | None:
        return percent(self.numerator, self.denominator) if self.has_data else None

    @property
    def ratio_text(self) -> str:
        return "" if self.ratio is None else f"{self.ratio}%"

    @property
    def against_national(self) -> str:
        """'above' / 'below' / 'equal' / '' against the national ratio, compared on exact counts."""
        if not self.has_data or not self.denominator or self.national_ratio is None:
            return ""
        exact = Decimal(self.numerator) * HUNDRED / Decimal(self.denominator)
        if exact > self.national_ratio:
            return "above"
        return "below" if exact < self.national_ratio else "equal"

    @property
    def against_national_text(self) -> str:
        return {"above": "高于全国", "below": "低于全国", "equal": "持平", "": ""}[self.against_national]


@dataclass
class IndicatorTable:
    parent: Division
    year: int
    indicator: Indicator
    rows: list[IndicatorRow]
    total: IndicatorRow
    national_ratio: NationalRatio | None
    sources: list[str]

    @property
    def child_label(self) -> str:
        return CHILD_LABELS.get(self.parent.level, "县（市、区）")

    @property
    def title(self) -> str:
        return f"{self.parent.name}{self.year}年义务教育阶段随迁子女入学情况统计表"

    def as_table(self) -> Table:
        ind = self.indicator
        columns = [Column(self.child_label, width=16), Column(ind.denominator_label, "#,##0", 16),
                   Column(ind.numerator_label, "#,##0", 18), Column("公办学校就读比例", "0.00%", 16),
                   Column("与全国比例比较", width=14), Column("区划代码", width=10), Column("数据依据", width=12)]
        values, texts = [], []
        for row in [*self.rows, self.total]:
            code = row.unit.code if row.unit else ""
            fraction = None if row.ratio is None else row.ratio / HUNDRED
            values.append([row.name, row.denominator, row.numerator, fraction, row.against_national_text, code,
                           row.basis])
            texts.append([row.name, row.denominator, row.numerator, row.ratio_text, row.against_national_text,
                          code, row.basis])
        return Table(self.title, columns, values, csv_rows=texts, bold_last_row=True)


def _sum_fields(values: dict[str, int], codes: list[str]) -> int | None:
    if any(values.get(c) is None for c in codes):
        return None
    return sum(values[c] for c in codes)


def unit_values(parent: Division, year: int, fields: list[str]) -> dict[int, tuple[dict[str, int], str]]:
    """For each child of `parent`: its values and their basis, preferring its own approved form,
    then the sum of its children's approved forms, then published figures, then the sum of its children's
    published figures (附件1 gives cities: a province's row in 教育部's table). A fixed number of queries."""
    grandchildren = dict(Division.objects.filter(parent__parent=parent).values_list("pk", "parent_id"))
    own: dict[int, dict[str, int]] = defaultdict(dict)
    for v in DataValue.objects.filter(report__year=year, report__status=Report.Status.APPROVED,
                                      report__unit__parent=parent, field__in=fields, value__isnull=False
                                      ).values("report__unit_id", "field", "value"):
        own[v["report__unit_id"]][v["field"]] = v["value"]
    below = approved_sums_by_parent(year, grandchildren, fields)
    published: dict[int, dict[str, int]] = defaultdict(dict)
    for p in PublishedValue.objects.filter(year=year, unit__parent=parent, field__in=fields
                                           ).values("unit_id", "field", "value"):
        published[p["unit_id"]][p["field"]] = p["value"]
    published_below: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for p in PublishedValue.objects.filter(year=year, unit_id__in=list(grandchildren), field__in=fields
                                           ).values("unit_id", "field", "value"):
        published_below[grandchildren[p["unit_id"]]][p["field"]] += p["value"]
    out = {}
    for unit_id in set(own) | set(below) | set(published) | set(published_below):
        for basis, source in (("已审核填报", own), ("下级汇总", below), ("公布数据", published),
                              ("公布数据汇总", published_below)):
            if all(source.get(unit_id, {}).get(f) is not None for f in fields):
                out[unit_id] = (source[unit_id], basis)
                break
    return out


def indicators_for_year(year: int) -> list[Indicator]:
    """Indicators that have data in `year`, in their file order."""
    fields_with_data = set(PublishedValue.objects.filter(year=year).values_list("field", flat=True).distinct())
    fields_with_data |= set(DataValue.objects.filter(report__year=year, report__status=Report.Status.APPROVED)
                            .values_list("field", flat=True).distinct())
    return [i for i in Indicator.objects.all() if set(i.fields) <= fields_with_data]


def indicator_table(scope: Scope, parent: Division, year: int, indicator: Indicator | None = None) -> IndicatorTable:
    """附件1 for `parent`'s children in `year`: ranked by the indicator, descending; the total row summed."""
    if not scope.sees(parent):
        raise PermissionError("不在权限范围内")
    if indicator is None:
        available = indicators_for_year(year)
        indicator = available[0] if available else Indicator.objects.first()
    national = NationalRatio.objects.filter(year=year).first()
    national_value = national.ratio if national else None
    values = unit_values(parent, year, indicator.fields) if indicator else {}
    rows = []
    for child in scope.units().filter(parent=parent).existing_in(year):
        found, basis = values.get(child.pk, ({}, ""))
        numerator = _sum_fields(found, indicator.numerator) if indicator else None
        denominator = _sum_fields(found, indicator.denominator) if indicator else None
        rows.append(IndicatorRow(child, child.name, numerator, denominator, national_value, basis))
    with_data = sorted((r for r in rows if r.has_data),
                       key=lambda r: (-(Decimal(r.numerator) / r.denominator if r.denominator else 0), r.unit.code))
    total = IndicatorRow(parent, parent.name,
                         sum(r.numerator for r in with_data) if with_data else None,
                         sum(r.denominator for r in with_data) if with_data else None, national_value, "合计")
    below = Q(unit__parent=parent) | Q(unit__parent__parent=parent)
    sources = sorted(set(PublishedValue.objects.filter(below, year=year).values_list("source", flat=True)))
    return IndicatorTable(parent, year, indicator, with_data + [r for r in rows if not r.has_data], total,
                          national, sources)


def requested_year(scope: Scope, text: str | None, default: int) -> int:
    """The year a page asks for, else the latest year with data in scope, else `default`."""
    if text and text.isdigit():
        return int(text)
    return (years_with_data(scope) or [default])[0]


def years_with_data(scope: Scope) -> list[int]:
    years = set(scope.filter(PublishedValue.objects.all()).values_list("year", flat=True))
    years |= set(scope.filter(Report.objects.filter(status=Report.Status.APPROVED)).values_list("year", flat=True))
    return sorted(years, reverse=True)


# --- what a form page shows ----------------------------------------------------------

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
        return self.may_fill and self.report is not None and self.report.is_editable

    @property
    def version(self) -> int:
        return self.report.version if self.report else 0


def form_page(scope: Scope, form: FormDefinition, unit: Division, values_override: dict | None = None,
              raw_inputs: dict | None = None, input_errors: dict | None = None) -> FormPage:
    if not scope.sees(unit):
        raise PermissionError("不在权限范围内")
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


def forms_for(scope: Scope):
    return FormDefinition.objects.all()


def attention(scope: Scope) -> list[dict]:
    """What awaits the user: forms to fill or fix, and submissions to review."""
    if scope.is_system:
        return []
    items = []
    unit = scope.unit
    for form in FormDefinition.objects.all():
        if scope.may_fill(unit) and fields_of(form, unit):
            report = report_of(form, unit)
            if report is None or report.status == Report.Status.DRAFT:
                items.append({"text": f"填报《{form.title}》（{'未填报' if report is None else '草稿'}）",
                              "form": form, "unit": unit})
            elif report.status == Report.Status.RETURNED:
                items.append({"text": f"《{form.title}》已被退回：{report.return_reason}", "form": form, "unit": unit})
        if scope.has_role("reviewer"):
            for report in Report.objects.filter(form=form, unit__parent=unit, status=Report.Status.SUBMITTED
                                                ).select_related("unit"):
                items.append({"text": f"审核{report.unit.name}上报的《{form.title}》", "form": form,
                              "unit": report.unit})
    return items


# --- rules over a subtree ------------------------------------------------------------

@dataclass
class SubtreeFinding:
    unit: Division
    status_label: str
    severity: str
    message: str
    fields: tuple[str, ...]


def batch_check(scope: Scope, form: FormDefinition, unit: Division) -> list[SubtreeFinding]:
    """Every form filled under `unit` (itself included) run through completeness and the rules."""
    if not scope.sees(unit):
        raise PermissionError("不在权限范围内")
    out = []
    reports = scope.filter(Report.objects.filter(form=form, unit__path__startswith=unit.path)
                           ).select_related("unit", "form").order_by("unit__code")
    for report in reports:
        check = check_report(report)
        label = report.get_status_display()
        if check.missing:
            out.append(SubtreeFinding(report.unit, label, "error",
                                      f"{len(check.missing)} 项未填写：" + "、".join(f.label for f in check.missing),
                                      tuple(f.code for f in check.missing)))
        for f in [*check.errors, *check.warnings]:
            out.append(SubtreeFinding(report.unit, label, f.severity, f.message, f.fields))
    return out
