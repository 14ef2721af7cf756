"""Roll-ups and 附件1-style tables over any set of units, set-based."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, QuerySet, Sum

from suiqian.accounts.scope import OutOfScope, Scope
from suiqian.divisions.models import Division
from suiqian.lib.tabular import Column, Table

from .models import DataValue, FormDefinition, Indicator, NationalRatio, PublishedValue, Report
from .queries import HUNDRED, LEVEL_NAMES, computed_value, default_indicator, is_computed, percent

CHILD_LABELS = {Division.Level.NATIONAL: "省（区、市）", Division.Level.PROVINCE: "市"}


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

