"""Reads for the dashboards: everything a chart shows, within the viewer's scope."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.reporting.models import Indicator, NationalRatio
from suiqian.reporting.queries import indicator_table, indicators_for_year, years_with_data
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


def _indicator(year: int) -> Indicator | None:
    available = indicators_for_year(year)
    return available[0] if available else Indicator.objects.first()


def _ratio(row) -> float | None:
    return None if row.ratio is None else float(row.ratio)


def children_bars(scope: Scope, unit: Division, year: int, indicator: Indicator | None = None) -> list[Bar]:
    """The units directly below `unit` (a county: itself), ranked by the indicator."""
    indicator = indicator or _indicator(year)
    listed = set(KeySupervisionListing.objects.filter(year__lte=year).values_list("unit__code", flat=True))
    if unit.level == Division.Level.COUNTY:
        parent_table = indicator_table(Scope.system(), unit.parent, year, indicator) if unit.parent else None
        rows = [r for r in (parent_table.rows if parent_table else []) if r.unit.pk == unit.pk]
    else:
        rows = indicator_table(scope, unit, year, indicator).rows
    return [Bar(r.unit.code, r.name, r.numerator, r.denominator, _ratio(r), r.against_national,
                r.unit.code in listed, r.basis) for r in rows]


def trend(scope: Scope, unit: Division) -> list[dict]:
    """The unit's ratio for every year with data, beside the national ratio."""
    national = {n.year: float(n.ratio) for n in NationalRatio.objects.all()}
    points = []
    for year in sorted(years_with_data(Scope.system())):
        indicator = _indicator(year)
        if unit.parent is None or unit.level <= Division.Level.PROVINCE:
            table = indicator_table(scope, unit, year, indicator)
            row = table.total
        else:
            table = indicator_table(Scope.system(), unit.parent, year, indicator)
            row = next((r for r in table.rows if r.unit.pk == unit.pk), None)
        points.append({"year": year, "ratio": _ratio(row) if row else None, "national": national.get(year),
                       "indicator": indicator.label if indicator else ""})
    return points


def dashboard_data(scope: Scope, unit: Division, year: int) -> dict:
    if not scope.sees(unit):
        raise PermissionError("不在权限范围内")
    indicator = _indicator(year)
    national = NationalRatio.objects.filter(year=year).first()
    return {
        "unit": {"code": unit.code, "name": unit.name, "level": unit.level},
        "year": year,
        "indicator": indicator.label if indicator else "",
        "national": float(national.ratio) if national else None,
        "bars": [asdict(b) for b in children_bars(scope, unit, year, indicator)],
        "trend": trend(scope, unit),
    }
