"""附件1-style tables over any set of parents: each child's figure (its own approved form, else its children's
sum, else published figures), ranked by an indicator, with its coverage; a constant number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from suiqian.accounts.scope import OutOfScope, Scope
from suiqian.divisions.models import Division
from suiqian.lib.tabular import Column, Table

from .models import DataValue, Indicator, NationalRatio, PublishedValue, Report
from .queries import HUNDRED, default_indicator, percent
from .rollups import Coverage, children_coverage, children_sums, unit_keys

CHILD_LABELS = {Division.Level.NATIONAL: "省（区、市）", Division.Level.PROVINCE: "市"}


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


def children_values(parent_ids, year: int, fields: list[str]) -> tuple[dict[int, _Found], dict[int, set[str]]]:
    """For each child of the parents: its values, their basis and coverage — its own approved form,
    else the sum of its children's approved forms, else published figures, else the sum of its children's
    published figures (附件1 gives cities: a province's row in 教育部's table); and per parent, the documents
    those published figures come from. Five queries for any number of parents."""
    own: dict[int, dict[str, int]] = defaultdict(dict)
    for unit_id, code, value in DataValue.objects.filter(
            report__year=year, report__status=Report.Status.APPROVED, report__unit__parent_id__in=parent_ids,
            field__in=fields, value__isnull=False).values_list("report__unit_id", "field", "value"):
        own[unit_id][code] = value
    child_ids = Division.objects.filter(parent_id__in=parent_ids).values("pk")
    below = children_sums(year, child_ids, fields)
    coverage = children_coverage(year, child_ids)
    # Every published figure of the year two levels down is read, not only the indicator's: a year has a
    # handful, and the documents they come from are the table's sources whatever the indicator.
    wanted = set(fields)
    sources: dict[int, set[str]] = defaultdict(set)
    published: dict[int, dict[str, int]] = defaultdict(dict)
    for parent_id, unit_id, code, value, source in PublishedValue.objects.filter(
            year=year, unit__parent_id__in=parent_ids).values_list("unit__parent_id", "unit_id", "field", "value",
                                                                   "source"):
        sources[parent_id].add(source)
        if code in wanted:
            published[unit_id][code] = value
    published_below: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for parent_id, unit_id, code, value, source in PublishedValue.objects.filter(
            year=year, unit__parent__parent_id__in=parent_ids).values_list("unit__parent__parent_id",
                                                                           "unit__parent_id", "field", "value",
                                                                           "source"):
        sources[parent_id].add(source)
        if code in wanted:
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
    return out, sources



def _rank_key(row: IndicatorRow):
    return (-(Decimal(row.numerator) / row.denominator if row.denominator else 0), row.unit.code)


def indicator_tables(scope: Scope, parents, year: int, indicator: Indicator | None = None
                     ) -> dict[int, IndicatorTable]:
    """附件1 for each parent's children in `year`, ranked by the indicator (descending), each row and the
    total with its coverage. A constant number of queries, whatever the number of parents."""
    ids = unit_keys(parents)
    parents = list(parents)
    if not all(scope.sees(p) for p in parents):
        raise OutOfScope("单位不存在或不在您的权限范围内")
    indicator = indicator or default_indicator(year)
    national = NationalRatio.objects.filter(year=year).first()
    national_value = national.ratio if national else None
    found, sources = children_values(ids, year, indicator.fields if indicator else [])
    if not indicator:
        found = {}
    children: dict[int, list[Division]] = defaultdict(list)
    for child in scope.units().filter(parent_id__in=ids).existing_in(year).order_by("code"):
        children[child.parent_id].append(child)
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
