"""Reads: key-supervision lists, the early-warning list."""

from dataclasses import dataclass

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.edustats.queries import differing_counts
from suiqian.lib.tabular import Column, Table
from suiqian.notices.models import DocumentSubmission, Requirement
from suiqian.notices.queries import reporting_lapses
from suiqian.reporting.models import Indicator
from suiqian.reporting.rankings import indicator_table, indicator_tables
from suiqian.rosters.queries import open_cases_by_unit

from .models import Inspection, KeySupervisionListing, ProgressNote, PublishedRanking


def key_listings(scope: Scope, year: int):
    return scope.filter(KeySupervisionListing.objects.filter(year=year)).select_related("unit", "unit__parent")


def key_listing_years(scope: Scope) -> set[int]:
    return set(scope.filter(KeySupervisionListing.objects.all()).values_list("year", flat=True))


def key_listings_of(scope: Scope, unit):
    return scope.filter(KeySupervisionListing.objects.filter(unit=unit))


# --- early warning ----------------------------------------------------------------------------

REASONS = ("低于全国比例", "比例同比下降", "疑似辍学个案未结", "附件3与教育事业统计不一致", "逾期未报", "逾期报送")


@dataclass
class Warning:
    unit: Division
    reason: str
    value: str

    @property
    def city(self) -> Division | None:
        """The city the unit belongs to (itself, for a city)."""
        if self.unit.level == Division.Level.CITY:
            return self.unit
        return self.unit.parent if self.unit.level == Division.Level.COUNTY else None


def _parents_in_scope(scope: Scope, year: int):
    return scope.units().existing_in(year).filter(level__lt=Division.Level.COUNTY).order_by("code")


def _rows_by_unit(scope: Scope, year: int) -> dict[int, object]:
    """Every unit's 附件1 row in `year`, all tables read together (a constant number of queries)."""
    rows = {}
    for table in indicator_tables(scope, _parents_in_scope(scope, year), year).values():
        for row in table.rows:
            if row.has_data:
                rows[row.unit.pk] = row
    return rows


def early_warnings(scope: Scope, year: int, today=None, *, reason: str = "", city: str = "") -> list[Warning]:
    """A proposed supervision list: below the national ratio, falling year over year, late or missing.

    `reason` and `city` (a city's code) narrow the list."""
    current, previous = _rows_by_unit(scope, year), _rows_by_unit(scope, year - 1)
    warnings = []
    for unit_id, row in current.items():
        partial = "" if row.complete else f"；{row.coverage.text}，不完整"
        if row.against_national == "below":
            warnings.append(Warning(row.unit, "低于全国比例", f"{row.ratio}%（全国 {row.national_ratio}%）{partial}"))
        before = previous.get(unit_id)
        if before is not None and before.ratio is not None and row.ratio < before.ratio:
            warnings.append(Warning(row.unit, "比例同比下降", f"{before.ratio}% → {row.ratio}%{partial}"))
    open_cases = open_cases_by_unit(scope)
    for unit in Division.objects.filter(code__in=open_cases, valid_to__isnull=True).select_related("parent"):
        warnings.append(Warning(unit, "疑似辍学个案未结", f"{open_cases[unit.code]} 个（核查中或劝返中）"))
    for unit, count in differing_counts(scope, year).items():
        warnings.append(Warning(unit, "附件3与教育事业统计不一致", f"{count} 项（已上报的附件3）"))
    for lapse in reporting_lapses(scope, year, today):
        warnings.append(Warning(lapse.unit, "逾期未报" if not lapse.submitted else "逾期报送",
                                f"{lapse.requirement.title}（截止 {lapse.due_date:%Y-%m-%d}）"))
    own = scope.unit.pk if scope.unit else None
    chosen = [w for w in warnings if w.unit.pk != own and (not reason or w.reason == reason)
              and (not city or (w.city is not None and w.city.code == city))]
    return sorted(chosen, key=lambda w: (w.unit.code, w.reason))


def warnings_table(year: int, warnings: list[Warning], *, reason: str = "", city_name: str = "") -> Table:
    narrowed = "".join(f"（{t}）" for t in (city_name, reason) if t)
    return Table(f"{year}年预警名单{narrowed}", [
        Column("单位代码"), Column("单位名称", width=16), Column("原因", width=16), Column("数值", width=48),
        Column("所属市", width=12)],
        [[w.unit.code, w.unit.name, w.reason, w.value, w.city.name if w.city else ""] for w in warnings])


# --- key counties, inspections, rankings ---------------------------------------------------------

@dataclass
class KeyCountyStatus:
    listing: KeySupervisionListing
    plans: list  # DocumentSubmission rows: the county's own and its city's, newest first
    filed: bool  # 备案: the province approved a plan covering the county
    notes: list


def key_counties(scope: Scope, year: int) -> list[KeyCountyStatus]:
    out = []
    for listing in key_listings(scope, year):
        county = listing.unit
        plans = list(DocumentSubmission.objects.filter(
            requirement__document_type=Requirement.DocumentType.KEY_COUNTY_PLAN,
            unit__in=[county, county.parent]).select_related("unit", "requirement__notice").order_by("-submitted_at"))
        filed = any(p.status == "approved" and p.requirement.notice.issuer.level <= Division.Level.PROVINCE
                    for p in plans)
        notes = list(ProgressNote.objects.filter(unit=county, year=year).select_related("author"))
        out.append(KeyCountyStatus(listing, plans, filed, notes))
    return out


def inspections(scope: Scope):
    return scope.filter(Inspection.objects.all()).select_related("unit", "inspector").prefetch_related("sanctions")


def published_rankings(scope: Scope):
    return scope.filter(PublishedRanking.objects.all()).select_related("unit", "published_by")


def ranking_changes(scope: Scope, ranking) -> list[dict]:
    """What changed since the ranking was published: rows whose counts differ from today's data."""
    indicator = Indicator.objects.filter(code=ranking.indicator["code"]).first()
    current = {r.unit.code: r for r in indicator_table(scope, ranking.unit, ranking.year, indicator).rows}
    changes = []
    for row in ranking.rows:
        now = current.get(row["code"])
        now_values = (now.numerator, now.denominator) if now else (None, None)
        if now_values != (row["numerator"], row["denominator"]):
            changes.append({"code": row["code"], "name": row["name"], "published": row,
                            "numerator": now_values[0], "denominator": now_values[1],
                            "ratio": str(now.ratio) if now and now.ratio is not None else None})
    return changes
