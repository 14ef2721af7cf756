"""Reads of the 教育事业统计: a unit's figures, roll-ups, and where 附件3 differs from them."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass

from django.urls import reverse

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.lib.tabular import Column, Table
from suiqian.lib.todo import ToDo
from suiqian.reporting import rules as rule_engine
from suiqian.reporting.models import FormDefinition, Report
from suiqian.reporting.queries import current_values, fields_of
from suiqian.rosters.queries import compare_with_summary

from .figures import figures
from .models import EduStatistics, EduStatisticsValue

SUPPLIER = "edu_statistics"
# Figures count once their county has reported them (上报), as a form's previous year does.
REPORTED = (EduStatistics.Status.SUBMITTED, EduStatistics.Status.APPROVED)


def record_of(unit: Division, year: int) -> EduStatistics | None:
    return EduStatistics.objects.filter(unit=unit, year=year).first()


def counties_under(unit: Division, year: int) -> list[Division]:
    return list(Division.objects.under(unit).filter(level=Division.Level.COUNTY).existing_in(year).order_by("code"))


def reported_by_county(year: int, units) -> dict[int, dict[str, int]]:
    """County id → its reported figures with totals, for the counties given that have reported all of them."""
    raw: dict[int, dict[str, int | None]] = defaultdict(dict)
    for v in EduStatisticsValue.objects.filter(record__year=year, record__status__in=REPORTED,
                                               record__unit__in=units).values("record__unit_id", "field", "value"):
        raw[v["record__unit_id"]][v["field"]] = v["value"]
    spec = figures()
    out = {}
    for unit_id, values in raw.items():
        full = spec.with_totals(values)
        if all(v is not None for v in full.values()):
            out[unit_id] = full
    return out


@dataclass
class UnitFigures:
    """A unit's statistics: a county's own, or the sum of its counties' once every one has reported."""

    unit: Division
    year: int
    values: dict[str, int]
    reported: int  # counties whose figures are in
    expected: int

    @property
    def complete(self) -> bool:
        return self.expected > 0 and self.reported == self.expected


def _summed(unit: Division, year: int, counties: list[int], by_county: dict[int, dict[str, int]]) -> UnitFigures:
    reported = [by_county[c] for c in counties if c in by_county]
    values: dict[str, int] = {}
    if reported and len(reported) == len(counties):
        for figures_of_county in reported:
            for code, value in figures_of_county.items():
                values[code] = values.get(code, 0) + value
    return UnitFigures(unit, year, values, len(reported), len(counties))


def unit_figures(unit: Division, year: int) -> UnitFigures:
    counties = [c.pk for c in counties_under(unit, year)]
    return _summed(unit, year, counties, reported_by_county(year, counties))


class FiguresIndex:
    """Every county's reported figures of a year, read once, for tables over many units."""

    def __init__(self, year: int):
        self.year = year
        self.counties = list(Division.objects.filter(level=Division.Level.COUNTY).existing_in(year)
                             .values_list("pk", "path"))
        self.by_county = reported_by_county(year, [pk for pk, _ in self.counties])

    def for_form(self, unit: Division) -> dict[str, int]:
        """As `figures_for_form`, without a query."""
        below = [pk for pk, path in self.counties if path.startswith(unit.path)]
        found = _summed(unit, self.year, below, self.by_county)
        return found.values if found.complete else {}


def figures_for_form(unit: Division, year: int) -> dict[str, int]:
    """What 附件3's rules hold a unit's form against: empty while any county below has not reported."""
    found = unit_figures(unit, year)
    return found.values if found.complete else {}


# --- a county's page and a roll-up page ---------------------------------------------------------

@dataclass
class FigureRow:
    code: str
    label: str
    value: int | None
    total: bool = False
    raw: str | None = None  # what was typed, shown back when it could not be saved
    error: str = ""


def figure_rows(values: dict[str, int | None], raw: dict | None = None, errors: dict | None = None) -> list[FigureRow]:
    spec = figures()
    full = spec.with_totals(values)
    raw, errors = raw or {}, errors or {}
    return [*(FigureRow(f.code, f.label, full.get(f.code), raw=raw.get(f.code), error=errors.get(f.code, ""))
              for f in spec.fields),
            *(FigureRow(t.code, t.label, full.get(t.code), True) for t in spec.totals)]


@dataclass
class CountyLine:
    unit: Division
    record: EduStatistics | None
    values: dict[str, int | None]

    @property
    def status_label(self) -> str:
        return self.record.get_status_display() if self.record else "未填报"

    @property
    def cells(self) -> list[int | None]:
        """The figures in the order of `figure_rows`."""
        return [self.values.get(r.code) for r in figure_rows({})]


def county_lines(scope: Scope, unit: Division, year: int) -> list[CountyLine]:
    """Every county under `unit` with its record as it stands (any status), for a roll-up page."""
    counties = [c for c in counties_under(unit, year) if scope.sees(c)]
    records = {r.unit_id: r for r in EduStatistics.objects.filter(unit__in=counties, year=year)
               .prefetch_related("values")}
    spec = figures()
    return [CountyLine(c, records.get(c.pk), spec.with_totals(records[c.pk].value_map()) if c.pk in records else {})
            for c in counties]


def history(record: EduStatistics) -> list:
    spec = figures()
    status = dict(EduStatistics.Status.choices)
    return [{"at": e.at, "user": e.user, "action": e.get_action_display(), "from": status.get(e.from_status, "未填报"),
             "to": status.get(e.to_status, ""), "comment": e.comment,
             "changes": [(spec.label(c["field"]), c["old"], c["new"]) for c in e.changes]}
            for e in record.events.select_related("user")]


# --- where 附件3 differs from the statistics ---------------------------------------------------

@dataclass
class Difference:
    unit: Division
    report: Report
    field: str
    label: str
    typed: int
    statistics: int
    explanation: str

    @property
    def difference(self) -> int:
        return self.typed - self.statistics

    @property
    def city(self) -> Division | None:
        return self.unit.parent if self.unit.level == Division.Level.COUNTY else None


def forms_held_against_statistics(year: int) -> list[tuple[FormDefinition, str, list]]:
    """Forms of `year` with the statistics as a source: (form, source code, the rules that name it)."""
    out = []
    for form in FormDefinition.objects.filter(year=year):
        for source in form.parsed.sources:
            if source.supplier == SUPPLIER:
                rules = [r for r in form.parsed.rules if r.for_each_field and source.code in r.names]
                out.append((form, source.code, rules))
    return out


def _reported_forms(scope: Scope, form: FormDefinition, city: Division | None):
    qs = scope.filter(Report.objects.filter(form=form, status__in=REPORTED))
    if city is not None:
        qs = qs.filter(unit__path__startswith=city.path)
    return qs.select_related("form", "unit", "unit__parent").prefetch_related("values").order_by("unit__code")


def differences(scope: Scope, year: int, *, city: Division | None = None, field: str = "",
                level: int | None = None) -> list[Difference]:
    """Every field of a reported (已上报 / 已审核) 附件3 in scope whose statistics rule fails."""
    out = []
    index = FiguresIndex(year)
    for form, source, rules in forms_held_against_statistics(year):
        spec = dataclasses.replace(form.parsed, rules=tuple(rules))
        for report in _reported_forms(scope, form, city):
            if level is not None and report.unit.level != level:
                continue
            stats = index.for_form(report.unit)
            if not stats:
                continue
            values = report.value_map()
            codes = [f.code for f in fields_of(form, report.unit)]
            for finding in rule_engine.evaluate(spec, values, fields=codes, sources={source: stats}):
                code = finding.fields[0]
                if field and code != field:
                    continue
                out.append(Difference(report.unit, report, code, spec.field(code).label, values[code], stats[code],
                                      report.explanations.get(finding.key, "")))
    return out


def differing_counts(scope: Scope, year: int) -> dict[Division, int]:
    """Unit → how many of its 附件3 fields differ from its statistics (the early-warning list's count)."""
    counts: dict[Division, int] = defaultdict(int)
    for d in differences(scope, year):
        counts[d.unit] += 1
    return dict(counts)


def compared_fields(year: int) -> list[tuple[str, str]]:
    """(code, label) of the 附件3 fields that have a statistics counterpart, in the form's order."""
    codes = {*figures().field_codes, *(t.code for t in figures().totals)}
    seen, out = set(), []
    for form, _, _ in forms_held_against_statistics(year):
        for f in form.parsed.fields:
            if f.code in codes and f.code not in seen:
                seen.add(f.code)
                out.append((f.code, f.label))
    return out


def differences_table(year: int, rows: list[Difference], *, full: bool = True) -> Table:
    """The table as exported; `full=False` gives the command's six columns."""
    columns = [Column("区划代码", width=10), Column("单位", width=16), Column("项目", width=40),
               Column("附件3", "#,##0"), Column("教育事业统计", "#,##0"), Column("差", "#,##0", 10)]
    if full:
        columns += [Column("所属市", width=12), Column("状态", width=10), Column("说明", width=50)]
    values = []
    for d in rows:
        line = [d.unit.code, d.unit.name, d.label, d.typed, d.statistics, d.difference]
        if full:
            line += [d.city.name if d.city else "", d.report.get_status_display(), d.explanation]
        values.append(line)
    return Table(f"{year}年附件3与教育事业统计不一致的单位", columns, values)


# --- rosters, 附件3 and the statistics side by side ------------------------------------------------

@dataclass
class ThreeWayRow:
    code: str
    label: str
    from_rosters: int | None  # None while no roster of the term is in
    typed: int | None
    statistics: int | None

    @property
    def mismatches(self) -> list[str]:
        """The pairs that disagree, among the figures that are there."""
        pairs = [("名册", self.from_rosters, "附件3", self.typed), ("附件3", self.typed, "统计", self.statistics),
                 ("名册", self.from_rosters, "统计", self.statistics)]
        return [f"{a}≠{b}" for a, x, b, y in pairs if x is not None and y is not None and x != y]

    @property
    def complete(self) -> bool:
        return None not in (self.from_rosters, self.typed, self.statistics)


def three_way(scope: Scope, unit: Division, term) -> tuple[object, UnitFigures, list[ThreeWayRow]]:
    """Rosters, 附件3 and the statistics of the term's school year for a unit: (roster comparison, figures, rows)."""
    comparison = compare_with_summary(scope, unit, term)
    stats = unit_figures(unit, term.school_year_start)
    rostered = comparison.counts.counties_reported > 0
    rows = [ThreeWayRow(r.code, r.label, r.from_rosters if rostered else None, r.typed, stats.values.get(r.code))
            for r in comparison.rows]
    return comparison, stats, rows


def years() -> list[int]:
    """Years with a form held against the statistics or with statistics entered, latest first."""
    found = {f.year for f in FormDefinition.objects.all() if any(s.supplier == SUPPLIER for s in f.parsed.sources)}
    found |= set(EduStatistics.objects.values_list("year", flat=True).distinct())
    return sorted(found, reverse=True)


def year_of(text: str | None) -> int | None:
    """The year a page or command asks for; None for anything that is not a plausible year."""
    return int(text) if text and text.isdigit() and 2000 <= int(text) <= 2100 else None


@dataclass
class AgainstForm:
    form: FormDefinition
    rows: list[tuple]  # (label, 附件3, statistics, difference or None)


def against_form(unit: Division, year: int) -> AgainstForm | None:
    """A unit's 附件3 as it stands beside its statistics, field by field."""
    forms = forms_held_against_statistics(year)
    if not forms:
        return None
    form = forms[0][0]
    typed, stats = current_values(form, unit), figures_for_form(unit, year)
    rows = []
    for code, label in compared_fields(year):
        a, b = typed.get(code), stats.get(code)
        rows.append((label, a, b, None if a is None or b is None else a - b))
    return AgainstForm(form, rows)


def attention(scope: Scope) -> list[ToDo]:
    """The home page's to-do items: the county's own figures to fill or fix, the counties' to review."""
    year = latest_year()
    if scope.is_system or year is None:
        return []
    items = []
    unit = scope.unit
    if scope.may_fill_statistics(unit):
        record = record_of(unit, year)
        if record is None or record.is_editable:
            state = "未填报" if record is None else record.get_status_display()
            reason = f"：{record.return_reason}" if record and record.status == EduStatistics.Status.RETURNED else ""
            items.append(ToDo(f"填报 {year} 年教育事业统计（{state}{reason}）",
                              reverse("edustats_unit", args=[unit.code]) + f"?year={year}"))
    for record in EduStatistics.objects.filter(unit__parent=unit, year=year, status=EduStatistics.Status.SUBMITTED
                                               ).select_related("unit").order_by("unit__code"):
        if scope.may_review(record.unit):
            items.append(ToDo(f"审核{record.unit.name}上报的 {year} 年教育事业统计",
                              reverse("edustats_unit", args=[record.unit.code]) + f"?year={year}"))
    return items


def latest_year() -> int | None:
    found = years()
    return found[0] if found else None
