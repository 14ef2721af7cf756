"""Reads: key-supervision lists, the early-warning list."""

from dataclasses import dataclass

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division

from .models import KeySupervisionListing


def key_listings(scope: Scope, year: int):
    return scope.filter(KeySupervisionListing.objects.filter(year=year)).select_related("unit", "unit__parent")


def key_listings_of(scope: Scope, unit):
    return scope.filter(KeySupervisionListing.objects.filter(unit=unit))


# --- early warning ----------------------------------------------------------------------------

@dataclass
class Warning:
    unit: Division
    reason: str
    value: str


def _parents_in_scope(scope: Scope, year: int):
    return scope.units().existing_in(year).filter(level__lt=Division.Level.COUNTY).order_by("code")


def _rows_by_unit(scope: Scope, year: int) -> dict[int, object]:
    from suiqian.reporting.queries import indicator_table

    rows = {}
    for parent in _parents_in_scope(scope, year):
        for row in indicator_table(scope, parent, year).rows:
            if row.has_data:
                rows[row.unit.pk] = row
    return rows


def early_warnings(scope: Scope, year: int, today=None) -> list[Warning]:
    """A proposed supervision list: below the national ratio, falling year over year, late or missing."""
    from suiqian.notices.queries import reporting_lapses

    current, previous = _rows_by_unit(scope, year), _rows_by_unit(scope, year - 1)
    warnings = []
    for unit_id, row in current.items():
        if row.against_national == "below":
            warnings.append(Warning(row.unit, "低于全国比例", f"{row.ratio}%（全国 {row.national_ratio}%）"))
        before = previous.get(unit_id)
        if before is not None and before.ratio is not None and row.ratio < before.ratio:
            warnings.append(Warning(row.unit, "比例同比下降", f"{before.ratio}% → {row.ratio}%"))
    for lapse in reporting_lapses(scope, year, today):
        warnings.append(Warning(lapse.unit, "逾期未报" if not lapse.submitted else "逾期报送",
                                f"{lapse.requirement.title}（截止 {lapse.due_date}）"))
    own = scope.unit.pk if scope.unit else None
    return sorted((w for w in warnings if w.unit.pk != own), key=lambda w: (w.unit.code, w.reason))
