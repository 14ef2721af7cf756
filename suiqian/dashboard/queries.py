"""Reads for the dashboards: everything a chart shows, within the viewer's scope, each figure with its coverage."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

from suiqian.accounts.scope import OutOfScope, Scope
from suiqian.divisions.models import Division
from suiqian.lib.tabular import Column, Table
from suiqian.notices.queries import dashboard_completeness
from suiqian.reporting.models import FormDefinition, Indicator, NationalRatio, PublishedValue, Report
from suiqian.reporting.queries import default_indicator, years_with_data
from suiqian.reporting.rankings import IndicatorRow, IndicatorTable, indicator_table
from suiqian.supervision.models import KeySupervisionListing


@dataclass
class Bar:
    code: str
    name: str
    numerator: int | None
    denominator: int | None
    ratio: float | None
    against_national: str
    key_listed: bool
    basis: str
    included: int | None
    expected: int | None
    complete: bool
    coverage: str


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _bar(row: IndicatorRow, listed: set[str]) -> Bar:
    cover = row.coverage
    return Bar(row.unit.code, row.name, row.numerator, row.denominator, _float(row.ratio), row.against_national,
               row.unit.code in listed, row.basis, cover.included if cover else None,
               cover.expected if cover else None, row.complete, cover.text if cover else "")


def own_row(scope: Scope, unit: Division, year: int, indicator: Indicator | None,
            table: IndicatorTable | None = None) -> IndicatorRow | None:
    """The unit's own figure, as the level above counts it: its row in its parent's table (its own approved
    form, else the sum of its approved children, else a published figure); the top unit's table total.

    A unit's user may not see its parent: the parent's table is read with the platform's scope and only
    the unit's own row is kept."""
    if unit.parent_id is None or unit.level <= Division.Level.PROVINCE:
        # A province fills no form: its figure is its own table's total (under 教育部 too).
        return (table or indicator_table(scope, unit, year, indicator)).total
    parent_table = indicator_table(Scope.system(), unit.parent, year, indicator)
    return next((r for r in parent_table.rows if r.unit.pk == unit.pk), None)


def children_bars(scope: Scope, unit: Division, year: int, indicator: Indicator | None = None,
                  table: IndicatorTable | None = None) -> list[Bar]:
    """The units directly below `unit` (a county: itself), ranked by the indicator."""
    indicator = indicator or default_indicator(year)
    listed = set(KeySupervisionListing.objects.filter(year__lte=year).values_list("unit__code", flat=True))
    if unit.level == Division.Level.COUNTY:
        row = own_row(scope, unit, year, indicator)
        rows = [row] if row and row.has_data else []
    else:
        rows = (table or indicator_table(scope, unit, year, indicator)).rows
    return [_bar(r, listed) for r in rows]


def _point(year: int, row: IndicatorRow | None, indicator: Indicator | None, national: dict) -> dict:
    cover = row.coverage if row else None
    return {"year": year, "ratio": _float(row.ratio) if row else None, "national": national.get(year),
            "indicator": indicator.label if indicator else "", "complete": row.complete if row else True,
            "included": cover.included if cover else None, "expected": cover.expected if cover else None,
            "coverage": cover.text if cover else ""}


def trend(scope: Scope, unit: Division, known: dict[int, tuple] | None = None) -> list[dict]:
    """The unit's ratio for every year with data, beside the national ratio, each point with its coverage.

    `known`: year → (row, indicator) already read by the caller, not read again."""
    national = {n.year: float(n.ratio) for n in NationalRatio.objects.all()}
    points = []
    for year in sorted(years_with_data(Scope.system())):
        if known and year in known:
            row, indicator = known[year]
        else:
            indicator = default_indicator(year)
            row = own_row(scope, unit, year, indicator)
        points.append(_point(year, row, indicator, national))
    return points


def empty_reason(scope: Scope, unit: Division, year: int) -> str:
    """Why a year shows nothing: 无此年数据 / 未上报 / 未审核."""
    below = Report.objects.filter(year=year, unit__path__startswith=unit.path)
    if unit.level != Division.Level.COUNTY:
        below = below.exclude(unit=unit)
    statuses = set(scope.filter(below).values_list("status", flat=True))
    if Report.Status.SUBMITTED in statuses:
        return "未审核：已上报的表尚待上级审核通过"
    if statuses:
        return "未上报：填报尚未完成或已退回修改"
    if FormDefinition.objects.filter(year=year).exists():
        return "未上报：本年尚无单位上报"
    if PublishedValue.objects.filter(year=year).exists():
        return "未上报：本年只有公布的汇总数，没有下级明细"
    return "无此年数据"


def _headline(unit: Division, year: int, total: IndicatorRow | None, points: list[dict], scope: Scope,
              indicator: Indicator | None) -> dict:
    previous = next((p for p in points if p["year"] == year - 1), None)
    change = None
    if total is not None and total.ratio is not None and previous and previous["ratio"] is not None:
        change = round(float(total.ratio) - previous["ratio"], 2)
    progress = None
    blocks = [b for b in dashboard_completeness(scope, unit) if b.expected]
    if blocks:
        b = blocks[0]
        progress = {"notice": b.requirement.notice.wenhao, "item": b.requirement.title,
                    "submitted": b.on_time + b.late, "expected": b.expected, "approved": b.approved}
    return {
        "children": total.denominator if total else None,
        "children_label": indicator.denominator_label if indicator else "",
        "ratio": _float(total.ratio) if total else None,
        "change": change,
        "change_comparable": bool(previous and indicator and previous["indicator"] == indicator.label),
        "gap": _float(total.gap) if total else None,
        "complete": total.complete if total else True,
        "coverage": total.coverage.text if total and total.coverage else "",
        "progress": progress,
    }


def dashboard_data(scope: Scope, unit: Division, year: int) -> dict:
    if not scope.sees(unit):
        raise OutOfScope("单位不存在或不在您的权限范围内")
    indicator = default_indicator(year)
    national = NationalRatio.objects.filter(year=year).first()
    table = None if unit.level == Division.Level.COUNTY else indicator_table(scope, unit, year, indicator)
    bars = children_bars(scope, unit, year, indicator, table)
    total = own_row(scope, unit, year, indicator, table)
    points = trend(scope, unit, {year: (total, indicator)})
    has_data = any(b.ratio is not None for b in bars)
    parent = unit.parent if unit.parent_id and scope.sees(unit.parent) else None
    rows_total = table.total if table else total
    return {
        "rows_total": None if rows_total is None else {
            "numerator": rows_total.numerator, "denominator": rows_total.denominator,
            "ratio": _float(rows_total.ratio), "complete": rows_total.complete,
            "included": rows_total.coverage.included if rows_total.coverage else None,
            "expected": rows_total.coverage.expected if rows_total.coverage else None},
        "unit": {"code": unit.code, "name": unit.name, "level": unit.level,
                 "parent": parent.code if parent else None},
        "year": year,
        "indicator": indicator.label if indicator else "",
        "labels": {"numerator": indicator.numerator_label if indicator else "",
                   "denominator": indicator.denominator_label if indicator else "",
                   "child": {1: "市", 2: "县（市、区）"}.get(unit.level, "本单位"),
                   "detail": {1: "分市明细", 2: "分县明细"}.get(unit.level, "本单位明细")},
        "national": float(national.ratio) if national else None,
        "total": None if total is None else {
            "numerator": total.numerator, "denominator": total.denominator, "ratio": _float(total.ratio),
            "against_national": total.against_national, "complete": total.complete, "basis": total.basis,
            "included": total.coverage.included if total.coverage else None,
            "expected": total.coverage.expected if total.coverage else None,
            "coverage": total.coverage.text if total.coverage else ""},
        "empty": "" if has_data else empty_reason(scope, unit, year),
        "bars": [asdict(b) for b in bars],
        "trend": points,
        "headline": _headline(unit, year, total, points, scope, indicator),
    }


def trend_table(scope: Scope, unit: Division) -> Table:
    """The trend chart's table, for Excel."""
    rows = [[p["year"], p["ratio"] / 100 if p["ratio"] is not None else None,
             p["national"] / 100 if p["national"] is not None else None,
             p["included"], p["expected"], "" if p["complete"] else "不完整", p["indicator"]]
            for p in trend(scope, unit)]
    return Table(f"{unit.name}历年随迁子女公办学校就读比例", [
        Column("年份", width=8), Column(f"{unit.name}比例", "0.00%", 14), Column("全国比例", "0.00%", 12),
        Column("已纳入下级数", "0", 12), Column("下级总数", "0", 10), Column("完整性", width=10),
        Column("指标口径", width=48)], rows)

