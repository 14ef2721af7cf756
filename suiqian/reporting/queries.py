"""Reads: the 附件1-style enrollment table for any year and level."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.lib.tabular import Column, Table

from .models import NationalRatio, PublishedEnrollment

HUNDRED = Decimal(100)


def percent(numerator: int, denominator: int) -> Decimal | None:
    """Share as a percentage with two decimals, rounded half up as the notice prints it."""
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass
class EnrollmentRow:
    unit: Division | None
    name: str
    migrant_children: int | None
    public_school: int | None
    national_ratio: Decimal | None = None

    @property
    def has_data(self) -> bool:
        return self.migrant_children is not None

    @property
    def ratio(self) -> Decimal | None:
        return percent(self.public_school, self.migrant_children) if self.has_data else None

    @property
    def ratio_text(self) -> str:
        return "" if self.ratio is None else f"{self.ratio}%"

    @property
    def against_national(self) -> str:
        """'above' / 'below' / 'equal' / '' against the national ratio, compared on exact counts."""
        if not self.has_data or not self.migrant_children or self.national_ratio is None:
            return ""
        exact = Decimal(self.public_school) * HUNDRED / Decimal(self.migrant_children)
        if exact > self.national_ratio:
            return "above"
        return "below" if exact < self.national_ratio else "equal"

    @property
    def against_national_text(self) -> str:
        return {"above": "高于全国", "below": "低于全国", "equal": "持平", "": ""}[self.against_national]


@dataclass
class EnrollmentTable:
    parent: Division
    year: int
    rows: list[EnrollmentRow]
    total: EnrollmentRow
    national_ratio: NationalRatio | None
    sources: list[str]

    @property
    def child_label(self) -> str:
        return "市" if self.parent.level == Division.Level.PROVINCE else "县（市、区）"

    @property
    def title(self) -> str:
        return f"{self.parent.name}{self.year}年义务教育阶段随迁子女入学情况统计表"

    def as_table(self) -> Table:
        columns = [Column(self.child_label, width=16), Column("随迁子女总数", "#,##0", 16),
                   Column("公办学校就读人数", "#,##0", 18), Column("公办学校就读比例", "0.00%", 16),
                   Column("与全国比例比较", width=14), Column("区划代码", width=10)]
        values, texts = [], []
        for row in [*self.rows, self.total]:
            code = row.unit.code if row.unit else ""
            fraction = None if row.ratio is None else row.ratio / HUNDRED
            values.append([row.name, row.migrant_children, row.public_school, fraction,
                           row.against_national_text, code])
            texts.append([row.name, row.migrant_children, row.public_school, row.ratio_text,
                          row.against_national_text, code])
        return Table(self.title, columns, values, csv_rows=texts, bold_last_row=True)


def _published_counts(parent: Division, year: int) -> list[PublishedEnrollment]:
    return list(PublishedEnrollment.objects.filter(year=year, unit__path__startswith=parent.path)
                .select_related("unit"))


def _sum_for(unit: Division, published: list[PublishedEnrollment]) -> tuple[int, int] | None:
    """The unit's own published counts, or else the sum of what was published below it."""
    own = [p for p in published if p.unit_id == unit.pk]
    rows = own or [p for p in published if p.unit.path.startswith(unit.path) and p.unit_id != unit.pk]
    if not rows:
        return None
    return sum(p.migrant_children for p in rows), sum(p.public_school for p in rows)


def enrollment_table(scope: Scope, parent: Division, year: int) -> EnrollmentTable:
    """附件1 for `parent`'s children in `year`: ranked by ratio, descending; total row summed."""
    if not scope.sees(parent):
        raise PermissionError("不在权限范围内")
    national = NationalRatio.objects.filter(year=year).first()
    national_value = national.ratio if national else None
    published = _published_counts(parent, year)
    children = scope.units().filter(parent=parent).existing_in(year)
    rows = []
    for child in children:
        counts = _sum_for(child, published)
        rows.append(EnrollmentRow(child, child.name, *(counts or (None, None)), national_ratio=national_value))
    with_data = sorted((r for r in rows if r.has_data),
                       key=lambda r: (-(r.public_school / r.migrant_children if r.migrant_children else 0),
                                      r.unit.code))
    without_data = [r for r in rows if not r.has_data]
    total = EnrollmentRow(parent, parent.name,
                          sum(r.migrant_children for r in with_data) if with_data else None,
                          sum(r.public_school for r in with_data) if with_data else None,
                          national_ratio=national_value)
    sources = sorted({p.source for p in published})
    return EnrollmentTable(parent, year, with_data + without_data, total, national, sources)


def years_with_data(scope: Scope) -> list[int]:
    return sorted(set(scope.filter(PublishedEnrollment.objects.all()).values_list("year", flat=True)), reverse=True)
