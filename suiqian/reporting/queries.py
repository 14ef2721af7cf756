"""Reads of the reporting engine: values, checks, roll-ups and 附件1-style tables."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, QuerySet, Sum
from django.urls import reverse

from suiqian.accounts.scope import OutOfScope, Scope
from suiqian.divisions.models import Division
from suiqian.lib.tabular import Column, Table
from suiqian.lib.todo import ToDo

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
#
# Set-based: the roll-ups of any set of units come from one grouped query over their
# children's approved values and one over their children's approval state, whatever the
# number of units. Every aggregate carries its coverage, so no total is shown without
# saying how many of the units below it includes.

@dataclass(frozen=True)
class Coverage:
    """How many of the units an aggregate should include it does include (counting approved reports)."""

    included: int
    expected: int
    partial: int = 0  # included units whose own figure is itself incomplete

    @property
    def complete(self) -> bool:
        return self.included >= self.expected and not self.partial

    @property
    def text(self) -> str:
        text = f"已纳入 {self.included} / 应纳入 {self.expected}"
        return text + (f"（其中 {self.partial} 个不完整）" if self.partial else "")

    @property
    def label(self) -> str:
        return "" if self.complete else "不完整"

    def as_dict(self) -> dict:
        return {"included": self.included, "expected": self.expected, "partial": self.partial,
                "complete": self.complete, "text": self.text}


NO_CHILDREN = Coverage(0, 0)


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
    coverage: Coverage
    children: list[ChildStatus] = field(default_factory=list)

    @property
    def pending(self) -> list[ChildStatus]:
        """Units below whose form is missing or not yet approved."""
        return [c for c in self.children if not c.approved]

    @property
    def complete(self) -> bool:
        return self.coverage.complete


def children_coverage(year: int, parent_ids) -> dict[int, Coverage]:
    """Per parent: its units existing in `year`, and how many of them have an approved report that year.

    Two grouped queries (units per parent; approved units per parent), not one outer join with a distinct
    count, which PostgreSQL runs several times slower. A parent without children in `year` is absent."""
    expected = dict(Division.objects.filter(parent_id__in=parent_ids).existing_in(year).order_by()
                    .values("parent_id").annotate(n=Count("pk")).values_list("parent_id", "n"))
    included = dict(Report.objects.filter(year=year, status=Report.Status.APPROVED,
                                          unit__parent_id__in=parent_ids).order_by()
                    .values("unit__parent_id").annotate(n=Count("unit_id", distinct=True))
                    .values_list("unit__parent_id", "n"))
    return {parent: Coverage(min(included.get(parent, 0), n), n) for parent, n in expected.items()}


def children_sums(year: int, parent_ids, fields=None) -> dict[int, dict[str, int]]:
    """Per parent: the sum of its children's approved values in `year`, field by field. One grouped query,
    the same GROUP BY a person would write by hand (values joined to reports and units, by parent and field)."""
    qs = DataValue.objects.filter(report__year=year, report__status=Report.Status.APPROVED,
                                  report__unit__parent_id__in=parent_ids, value__isnull=False)
    if fields is not None:
        qs = qs.filter(field__in=list(fields))
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for parent_id, code, total in (qs.order_by().values("report__unit__parent_id", "field")
                                   .annotate(total=Sum("value")).values_list("report__unit__parent_id", "field",
                                                                             "total")):
        out[parent_id][code] = total
    return out


def _ids(units):
    """The units' keys for a filter. Measured in bench/reporting.py: PostgreSQL plans a long literal IN list
    markedly worse than the same set as a subquery, SQLite the other way round; both give the same rows."""
    if isinstance(units, QuerySet) and connection.vendor == "postgresql":
        return units.order_by().values("pk")
    return [u.pk for u in units]


def rollups(scope: Scope, form: FormDefinition, units) -> dict[int, Rollup]:
    """Roll-ups of many units at once (summed fields, the count of units below, coverage): three queries
    (four when `units` is a queryset, which is also the faster way to ask for many).

    Values other modules supply are per unit and are left to `rollup` (one unit, for its form page)."""
    ids = _ids(units)
    units = list(units)
    if not all(scope.sees(u) for u in units):
        raise OutOfScope("单位不存在或不在您的权限范围内")
    sums, coverage = children_sums(form.year, ids), children_coverage(form.year, ids)
    _add_passed_on_sums(form, units, sums)
    out = {}
    for unit in units:
        found, cover = sums.get(unit.pk, {}), coverage.get(unit.pk, NO_CHILDREN)
        values = {}
        for f in form.parsed.fields:
            if f.aggregation == "sum":
                values[f.code] = found.get(f.code)
            elif f.aggregation == "count_children":
                values[f.code] = cover.expected
        out[unit.pk] = Rollup(unit, form, values, cover)
    return out


def _add_passed_on_sums(form: FormDefinition, units: list[Division], sums: dict[int, dict[str, int]]) -> None:
    """A level that fills no form of its own (a province under 教育部) passes its children's sums on up:
    教育部's roll-up adds the cities' approved forms. One more query, only where such a level is asked for."""
    passing = [u for u in units if u.level < Division.Level.COUNTY
               and not form.parsed.fields_at(LEVEL_NAMES[Division.Level(u.level + 1)])]
    if not passing:
        return
    parent_of = dict(Division.objects.filter(parent__in=passing).existing_in(form.year).values_list("pk", "parent_id"))
    for child_id, child_sums in children_sums(form.year, list(parent_of)).items():
        target = sums.setdefault(parent_of[child_id], {})
        for code, total in child_sums.items():
            target[code] = target.get(code, 0) + total


def rollup(scope: Scope, unit: Division, form: FormDefinition) -> Rollup:
    """A unit's values summed from its children's approved forms, with who is missing."""
    result = rollups(scope, form, [unit])[unit.pk]
    for f in form.parsed.fields:
        if f.aggregation == "supplied" and is_computed(f):
            result.values[f.code] = computed_value(form, unit, f)
    children = list(Division.objects.filter(parent=unit).existing_in(form.year))
    reports = {r.unit_id: r for r in Report.objects.filter(form=form, unit__in=children)
               .only("unit_id", "status", "submitted_at", "form_id")}
    result.children = [ChildStatus(c, reports.get(c.pk)) for c in children]
    return result


# --- 附件1 tables over an indicator ----------------------------------------------------

@dataclass
class IndicatorRow:
    unit: Division | None
    name: str
    numerator: int | None
    denominator: int | None
    national_ratio: Decimal | None = None
    basis: str = ""  # where the numbers come from: 已审核填报 / 下级汇总 / 公布数据 / 合计
    coverage: Coverage | None = None  # None: a unit with nothing below it (a county)

    @property
    def has_data(self) -> bool:
        return self.denominator is not None and self.numerator is not None

    @property
    def complete(self) -> bool:
        return self.coverage is None or self.coverage.complete

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

    @property
    def gap(self) -> Decimal | None:
        """Percentage points above (+) or below (−) the national ratio."""
        if self.ratio is None or self.national_ratio is None:
            return None
        return self.ratio - self.national_ratio


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
    def detail_label(self) -> str:
        return "分市明细" if self.parent.level == Division.Level.PROVINCE else "分县明细"

    @property
    def title(self) -> str:
        return f"{self.parent.name}{self.year}年义务教育阶段随迁子女入学情况统计表"

    @property
    def coverage(self) -> Coverage:
        return self.total.coverage

    def as_table(self) -> Table:
        ind = self.indicator
        columns = [Column(self.child_label, width=16), Column(ind.denominator_label, "#,##0", 22),
                   Column(ind.numerator_label, "#,##0", 24), Column("公办学校就读比例", "0.00%", 16),
                   Column("与全国比例比较", width=14), Column("区划代码", width=10), Column("数据依据", width=12),
                   Column("已纳入下级数", "0", 12), Column("下级总数", "0", 10)]
        values, texts = [], []
        for row in [*self.rows, self.total]:
            code = row.unit.code if row.unit else ""
            fraction = None if row.ratio is None else row.ratio / HUNDRED
            cover = [row.coverage.included, row.coverage.expected] if row.coverage else [None, None]
            basis = row.basis + ("（不完整）" if not row.complete and row.has_data else "")
            values.append([row.name, row.denominator, row.numerator, fraction, row.against_national_text, code,
                           basis, *cover])
            texts.append([row.name, row.denominator, row.numerator, row.ratio_text, row.against_national_text,
                          code, basis, *cover])
        return Table(self.title, columns, values, csv_rows=texts, bold_last_row=True)


def _sum_fields(values: dict[str, int], codes: list[str]) -> int | None:
    if any(values.get(c) is None for c in codes):
        return None
    return sum(values[c] for c in codes)


@dataclass
class _Found:
    values: dict[str, int]
    basis: str
    coverage: Coverage | None


def children_values(parent_ids, year: int, fields: list[str]) -> dict[int, _Found]:
    """For each child of the parents: its values, their basis and coverage — its own approved form,
    else the sum of its children's approved forms, else published figures, else the sum of its children's
    published figures (附件1 gives cities: a province's row in 教育部's table). Five queries for any number
    of parents."""
    own: dict[int, dict[str, int]] = defaultdict(dict)
    for unit_id, code, value in DataValue.objects.filter(
            report__year=year, report__status=Report.Status.APPROVED, report__unit__parent_id__in=parent_ids,
            field__in=fields, value__isnull=False).values_list("report__unit_id", "field", "value"):
        own[unit_id][code] = value
    child_ids = Division.objects.filter(parent_id__in=parent_ids).values("pk")
    below = children_sums(year, child_ids, fields)
    coverage = children_coverage(year, child_ids)
    published: dict[int, dict[str, int]] = defaultdict(dict)
    for unit_id, code, value in PublishedValue.objects.filter(
            year=year, unit__parent_id__in=parent_ids, field__in=fields).values_list("unit_id", "field", "value"):
        published[unit_id][code] = value
    published_below: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for unit_id, code, value in PublishedValue.objects.filter(
            year=year, unit__parent__parent_id__in=parent_ids, field__in=fields
            ).values_list("unit__parent_id", "field", "value"):
        published_below[unit_id][code] += value
    out = {}
    for unit_id in set(own) | set(below) | set(published) | set(published_below) | set(coverage):
        cover = coverage.get(unit_id)
        for basis, source in (("已审核填报", own), ("下级汇总", below), ("公布数据", published),
                              ("公布数据汇总", published_below)):
            if all(source.get(unit_id, {}).get(f) is not None for f in fields):
                # A published figure is the official total of the unit: it covers everything below it.
                if basis in ("公布数据", "公布数据汇总") and cover is not None:
                    cover = Coverage(cover.expected, cover.expected)
                out[unit_id] = _Found(source[unit_id], basis, cover)
                break
        else:
            out[unit_id] = _Found({}, "", cover)
    return out


def indicators_for_year(year: int) -> list[Indicator]:
    """Indicators the year can have data for — fields its forms collect or a publication gives — in file order.

    Read from the form definitions, not by scanning the year's values: every dashboard asks this."""
    fields = set(PublishedValue.objects.filter(year=year).values_list("field", flat=True).distinct())
    for spec in FormDefinition.objects.filter(year=year).values_list("spec", flat=True):
        fields |= {f["code"] for f in spec.get("fields", []) if "code" in f}
    return [i for i in Indicator.objects.all() if set(i.fields) <= fields]


def default_indicator(year: int) -> Indicator | None:
    available = indicators_for_year(year)
    return available[0] if available else Indicator.objects.first()


def _rank_key(row: IndicatorRow):
    return (-(Decimal(row.numerator) / row.denominator if row.denominator else 0), row.unit.code)


def indicator_tables(scope: Scope, parents, year: int, indicator: Indicator | None = None
                     ) -> dict[int, IndicatorTable]:
    """附件1 for each parent's children in `year`, ranked by the indicator (descending), each row and the
    total with its coverage. A constant number of queries, whatever the number of parents."""
    ids = _ids(parents)
    parents = list(parents)
    if not all(scope.sees(p) for p in parents):
        raise OutOfScope("单位不存在或不在您的权限范围内")
    indicator = indicator or default_indicator(year)
    national = NationalRatio.objects.filter(year=year).first()
    national_value = national.ratio if national else None
    found = children_values(ids, year, indicator.fields) if indicator else {}
    children: dict[int, list[Division]] = defaultdict(list)
    for child in scope.units().filter(parent_id__in=ids).existing_in(year).order_by("code"):
        children[child.parent_id].append(child)
    sources: dict[int, set[str]] = defaultdict(set)
    for parent_id, source in (PublishedValue.objects.filter(year=year, unit__parent_id__in=ids)
                              .values_list("unit__parent_id", "source").distinct()):
        sources[parent_id].add(source)
    for parent_id, source in (PublishedValue.objects.filter(year=year, unit__parent__parent_id__in=ids)
                              .values_list("unit__parent__parent_id", "source").distinct()):
        sources[parent_id].add(source)
    out = {}
    for parent in parents:
        rows = []
        for child in children[parent.pk]:
            f = found.get(child.pk) or _Found({}, "", None)
            numerator = _sum_fields(f.values, indicator.numerator) if indicator else None
            denominator = _sum_fields(f.values, indicator.denominator) if indicator else None
            rows.append(IndicatorRow(child, child.name, numerator, denominator, national_value, f.basis,
                                     f.coverage))
        with_data = sorted((r for r in rows if r.has_data), key=_rank_key)
        cover = Coverage(len(with_data), len(rows), sum(1 for r in with_data if not r.complete))
        total = IndicatorRow(parent, parent.name,
                             sum(r.numerator for r in with_data) if with_data else None,
                             sum(r.denominator for r in with_data) if with_data else None, national_value, "合计",
                             cover)
        out[parent.pk] = IndicatorTable(parent, year, indicator, with_data + [r for r in rows if not r.has_data],
                                        total, national, sorted(sources[parent.pk]))
    return out


def indicator_table(scope: Scope, parent: Division, year: int, indicator: Indicator | None = None) -> IndicatorTable:
    """附件1 for `parent`'s children in `year`: ranked by the indicator, descending; the total row summed."""
    return indicator_tables(scope, [parent], year, indicator)[parent.pk]


class YearError(ValueError):
    """A year parameter the platform cannot honour; the message says why, in Chinese."""


FIRST_YEAR, LAST_YEAR = 2000, 2100


def requested_year(scope: Scope, text: str | None) -> int:
    """The year a page asks for, else the scope's default year (the latest with data it sees).

    A year that is not a year is refused, never replaced by another."""
    text = (text or "").strip()
    if text:
        if not (text.isascii() and text.isdigit()) or not FIRST_YEAR <= int(text) <= LAST_YEAR:
            raise YearError(f"年份“{text[:20]}”无效：应为 {FIRST_YEAR}—{LAST_YEAR} 之间的四位数字")
        return int(text)
    return scope.default_year(years_with_data(scope))


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


@dataclass(frozen=True)
class FormListing:
    form: FormDefinition
    own_unit_fills: bool  # the form has fields at the level of the user's unit


def forms_for(scope: Scope) -> list[FormListing]:
    """Every form (definitions are shared), each with whether the user's own unit has a copy to open."""
    unit = scope.unit
    return [FormListing(form, unit is not None and bool(fields_of(form, unit))) for form in FormDefinition.objects.all()]


def attention(scope: Scope) -> list[ToDo]:
    """What awaits the user: forms to fill or fix, and submissions to review."""
    if scope.is_system:
        return []
    items = []
    unit = scope.unit
    for form in FormDefinition.objects.all():
        if scope.may_fill(unit) and fields_of(form, unit):
            report = report_of(form, unit)
            if report is None or report.status == Report.Status.DRAFT:
                items.append(ToDo(f"填报《{form.title}》（{'未填报' if report is None else '草稿'}）",
                                  reverse("form_page", args=[form.code, unit.code])))
            elif report.status == Report.Status.RETURNED:
                items.append(ToDo(f"《{form.title}》已被退回：{report.return_reason}",
                                  reverse("form_page", args=[form.code, unit.code])))
        if scope.may_review_children_of(unit):
            for report in Report.objects.filter(form=form, unit__parent=unit, status=Report.Status.SUBMITTED
                                                ).select_related("unit"):
                items.append(ToDo(f"审核{report.unit.name}上报的《{form.title}》",
                                  reverse("form_page", args=[form.code, report.unit.code])))
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
        raise OutOfScope("单位不存在或不在您的权限范围内")
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
