"""Reads of the rosters app. Every function takes a Scope and returns only what it may see.

For other modules: `open_cases_by_unit(scope)` (dashboards, early warning) and
`roster_counts(scope, unit, term)` (附件3's counts from the rosters).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from suiqian.accounts.scope import OutOfScope, Scope
from suiqian.divisions.models import Division
from suiqian.lib.labels import label as code_label
from suiqian.lib.tabular import Column, Table
from suiqian.reporting.models import FormDefinition
from suiqian.reporting.queries import current_values

from .models import (OPEN_STATUSES, CaseStatus, DetectionRun, DropoutCase, ImportJob, Roster, RosterEntry,
                     SchoolType, Transfer)
from .terms import PRIMARY_GRADES, Term, sorted_terms

# 附件3 fields the rosters can count, in the form's order.
COUNT_FIELDS = (
    "migrant_children_total", "migrant_worker_children_total",
    "public_school_primary", "public_school_junior", "public_school_total",
    "purchased_places_primary", "purchased_places_junior", "purchased_places_total",
)
LEVELS = (("primary", "小学"), ("junior", "初中"))


def _require_sees(scope: Scope, unit: Division) -> None:
    if not scope.sees(unit):
        raise OutOfScope("单位不存在或不在您的权限范围内")


def current_rosters(term: Term, unit: Division | None = None) -> QuerySet[Roster]:
    qs = Roster.objects.filter(term=term.code, status=Roster.Status.CURRENT)
    return qs if unit is None else qs.filter(unit__path__startswith=unit.path)


def current_entries(term: Term, unit: Division | None = None) -> QuerySet[RosterEntry]:
    return RosterEntry.objects.filter(term=term.code, roster_id__in=current_rosters(term, unit).values("pk"))


def terms_with_rosters(scope: Scope) -> list[Term]:
    codes = scope.filter(Roster.objects.filter(status=Roster.Status.CURRENT)).values_list("term", flat=True)
    return sorted_terms(set(codes))


def term_of_date(day: dt.date) -> Term:
    """The term a day falls in: fall from August, spring from February."""
    if day.month >= 8:
        return Term(day.year, "fall")
    return Term(day.year - 1, "fall") if day.month == 1 else Term(day.year, "spring")


def default_term(scope: Scope) -> Term:
    terms = terms_with_rosters(scope)
    return terms[0] if terms else term_of_date(timezone.localdate())


def term_choices(scope: Scope, asked: Term | None = None) -> list[Term]:
    """Terms with rosters, the current one and the next, and the one a page was asked for."""
    now = term_of_date(timezone.localdate())
    return sorted_terms({t.code for t in [*terms_with_rosters(scope), now, now.next, *([asked] if asked else [])]})


# --- counts ----------------------------------------------------------------------------------

@dataclass
class RosterCounts:
    unit: Division
    term: Term
    # (level "primary"/"junior", SchoolType value, migrant worker's child?) → children
    cells: Counter = field(default_factory=Counter)
    counties_reported: int = 0
    counties_total: int = 0

    def count(self, *, level: str | None = None, school_type: int | None = None,
              migrant_worker: bool | None = None) -> int:
        return sum(n for (lv, st, mw), n in self.cells.items()
                   if (level is None or lv == level) and (school_type is None or st == school_type)
                   and (migrant_worker is None or mw == migrant_worker))

    @property
    def fields(self) -> dict[str, int]:
        """The counts under 附件3's field codes."""
        out = {"migrant_children_total": self.count(),
               "migrant_worker_children_total": self.count(migrant_worker=True)}
        for prefix, school_type in (("public_school", SchoolType.PUBLIC), ("purchased_places", SchoolType.PURCHASED)):
            for level, _ in LEVELS:
                out[f"{prefix}_{level}"] = self.count(level=level, school_type=school_type, migrant_worker=True)
            out[f"{prefix}_total"] = out[f"{prefix}_primary"] + out[f"{prefix}_junior"]
        return out

    def breakdown(self) -> list[dict]:
        """Rows for the page: per level and school type, 进城务工 or not."""
        rows = []
        for level, level_label in LEVELS:
            for school_type in SchoolType:
                rows.append({"level": level_label, "school_type": school_type.label,
                             "migrant_worker": self.count(level=level, school_type=school_type, migrant_worker=True),
                             "other": self.count(level=level, school_type=school_type, migrant_worker=False)})
        return rows


def roster_counts(scope: Scope, unit: Division, term: Term | str) -> RosterCounts:
    """Children on the current rosters of `term` in `unit` and below, by level, school type and 进城务工."""
    _require_sees(scope, unit)
    term = Term.parse(term)
    primary = Q(grade__lte=PRIMARY_GRADES.stop - 1)
    rows = (current_entries(term, unit).values("school_type", "migrant_worker")
            .annotate(primary=Count("pk", filter=primary), junior=Count("pk", filter=~primary)))
    counts = RosterCounts(unit, term)
    for row in rows:
        counts.cells[("primary", row["school_type"], row["migrant_worker"])] += row["primary"]
        counts.cells[("junior", row["school_type"], row["migrant_worker"])] += row["junior"]
    counties = counties_under(unit, term)
    counts.counties_total = len(counties)
    counts.counties_reported = current_rosters(term, unit).values("unit").distinct().count()
    return counts


def counties_under(unit: Division, term: Term) -> list[Division]:
    qs = Division.objects.under(unit).filter(level=Division.Level.COUNTY).existing_in(term.year)
    return list(qs.order_by("code"))


# --- counts beside 附件3 ------------------------------------------------------------------------

@dataclass
class ComparisonRow:
    code: str
    label: str
    from_rosters: int
    typed: int | None

    @property
    def difference(self) -> int | None:
        return None if self.typed is None else self.from_rosters - self.typed

    @property
    def verdict(self) -> str:
        if self.typed is None:
            return "附件3 未填"
        return "一致" if self.difference == 0 else "不一致"


@dataclass
class Comparison:
    counts: RosterCounts
    form: object | None
    rows: list[ComparisonRow]

    @property
    def differences(self) -> int:
        return sum(1 for r in self.rows if r.verdict == "不一致")


def summary_form_for(term: Term):
    """附件3 reports the fall term's numbers (9 月开学后), so only a fall term has one."""
    if not term.is_fall:
        return None
    return FormDefinition.objects.filter(code=f"summary-{term.year}").first()


def compare_with_summary(scope: Scope, unit: Division, term: Term | str) -> Comparison:
    term = Term.parse(term)
    counts = roster_counts(scope, unit, term)
    form = summary_form_for(term)
    typed = current_values(form, unit) if form else {}
    labels = {f.code: f.label for f in form.parsed.fields} if form else {}
    fields = counts.fields
    rows = [ComparisonRow(code, labels.get(code) or code_label("field", code), fields[code], typed.get(code))
            for code in COUNT_FIELDS]
    return Comparison(counts, form, rows)


# --- roster status per county --------------------------------------------------------------------

@dataclass
class CountyRoster:
    unit: Division
    roster: Roster | None
    previous: Roster | None

    @property
    def missing(self) -> bool:
        """名册未上报: on record last term, nothing this term."""
        return self.roster is None and self.previous is not None


def county_rosters(scope: Scope, unit: Division, term: Term) -> list[CountyRoster]:
    _require_sees(scope, unit)
    now = {r.unit_id: r for r in current_rosters(term, unit).select_related("job")}
    before = {r.unit_id: r for r in current_rosters(term.previous, unit)}
    return [CountyRoster(c, now.get(c.pk), before.get(c.pk)) for c in counties_under(unit, term)]


def missing_rosters(scope: Scope, term: Term, unit: Division | None = None) -> list[Division]:
    """Counties within scope (and `unit`) with a roster for T−1 and none for T: 名册未上报, no cases from them."""
    previous = current_rosters(term.previous, unit).values("unit_id")
    present = current_rosters(term, unit).values("unit_id")
    return list(scope.units().filter(pk__in=previous).exclude(pk__in=present).order_by("code"))


# --- cases ----------------------------------------------------------------------------------------

def visible_cases(scope: Scope) -> QuerySet[DropoutCase]:
    return scope.filter(DropoutCase.objects.select_related("unit", "new_unit"))


def cases(scope: Scope, *, term: Term | None = None, unit: Division | None = None, status: str = "",
          open_only: bool = False, text: str = "") -> QuerySet[DropoutCase]:
    qs = visible_cases(scope)
    if term is not None:
        qs = qs.filter(term=term.code)
    if unit is not None:
        _require_sees(scope, unit)
        qs = qs.filter(unit__path__startswith=unit.path)
    if status:
        qs = qs.filter(status=status)
    if open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if text:
        qs = qs.filter(Q(name__contains=text) | Q(school__contains=text) | Q(id_masked__startswith=text))
    return qs


def case_for(scope: Scope, pk: int) -> DropoutCase:
    case = visible_cases(scope).filter(pk=pk).first()
    if case is None:
        raise OutOfScope("个案不存在或不在您的权限范围内")
    return case


def open_cases_by_unit(scope: Scope, *, term: Term | str | None = None, level: int = Division.Level.COUNTY
                       ) -> dict[str, int]:
    """Open cases (核查中, 确认辍学（劝返中）) per unit code, for dashboards and early warning.

    Counted at county level, or summed up to the cities (level=2) or the province (level=1).
    Units without open cases are absent.
    """
    qs = visible_cases(scope).filter(status__in=OPEN_STATUSES)
    if term is not None:
        qs = qs.filter(term=Term.parse(term).code)
    totals: Counter = Counter()
    for path, n in qs.values_list("unit__path").annotate(n=Count("pk")).values_list("unit__path", "n"):
        totals[Division.code_at_level(path, level)] += n
    return dict(totals)


def case_counts_by_status(scope: Scope, term: Term | None = None, unit: Division | None = None) -> dict[str, int]:
    qs = cases(scope, term=term, unit=unit)
    return dict(qs.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))


def visible_transfers(scope: Scope, term: Term | None = None) -> QuerySet[Transfer]:
    """Transfers either side of which is within scope."""
    qs = Transfer.objects.select_related("from_unit", "to_unit")
    if term is not None:
        qs = qs.filter(term=term.code)
    if scope.is_system:
        return qs
    return qs.filter(Q(from_unit__path__startswith=scope.root_path) | Q(to_unit__path__startswith=scope.root_path))


def latest_detection(term: Term) -> DetectionRun | None:
    return DetectionRun.objects.filter(term=term.code, status=DetectionRun.Status.DONE).first()


def active_detection(term: Term) -> DetectionRun | None:
    return DetectionRun.objects.filter(term=term.code, status__in=(DetectionRun.Status.PENDING,
                                                                   DetectionRun.Status.RUNNING)).first()


def detection_for(scope: Scope, pk: int) -> DetectionRun:
    """A comparison started by a unit within scope (the platform's own for the platform)."""
    run = DetectionRun.objects.select_related("unit", "user").filter(pk=pk).first()
    if run is None or (run.unit is None and not scope.is_system) or (run.unit and not scope.sees(run.unit)):
        raise OutOfScope("比对记录不存在或不在您的权限范围内")
    return run


CHINA = ZoneInfo("Asia/Shanghai")
CASE_COLUMNS = [Column("身份证号（已隐去部分）", width=22), Column("姓名", width=10), Column("最后在册县区代码"),
                Column("最后在册县区"), Column("最后在读学校", width=26), Column("年级", width=6),
                Column("状态", width=18), Column("转入县区代码"), Column("未在册学期", width=16), Column("发现时间（北京时间）", width=20)]


def _beijing(moment) -> str:
    """Exports carry the time the pages show: China Standard Time, not the database's UTC."""
    return timezone.localtime(moment, CHINA).strftime("%Y-%m-%d %H:%M")


def _term_label(code: str) -> str:
    return Term.parse(code).label


def cases_table(scope: Scope, term: Term, qs: QuerySet[DropoutCase], *, include_transfers: bool = False) -> Table:
    """One row per case; with `include_transfers`, transfers within the platform follow as 已转学（平台内）."""
    rows = [[c.id_masked, c.name, c.unit.code, c.unit.name, c.school, c.grade, c.get_status_display(),
             c.new_unit.code if c.new_unit else "", _term_label(c.term), _beijing(c.opened_at)]
            for c in qs]
    if include_transfers:
        label = CaseStatus.TRANSFERRED.label
        rows += [[t.id_masked, t.name, t.from_unit.code, t.from_unit.name, t.from_school, t.from_grade, label,
                  t.to_unit.code, _term_label(t.term), _beijing(t.detected_at)]
                 for t in visible_transfers(scope, term)]
    return Table(f"{term.label}疑似辍学个案", CASE_COLUMNS, rows)


# --- import jobs -----------------------------------------------------------------------------------

def jobs_of(scope: Scope, unit: Division) -> QuerySet[ImportJob]:
    """Imports by the unit, and imports by others (a city, the province) that wrote or replaced
    a roster of the unit or a county under it: every change to a roster shows in its history."""
    _require_sees(scope, unit)
    touched = Roster.objects.filter(unit__path__startswith=unit.path).values("job_id")
    return ImportJob.objects.filter(Q(unit=unit) | Q(pk__in=touched)).select_related("user", "unit").distinct()


def job_for(scope: Scope, pk: int) -> ImportJob:
    """A job of a unit within scope; jobs without a unit (operator imports) only for the platform."""
    job = ImportJob.objects.select_related("unit", "user").filter(pk=pk).first()
    if job is None or (job.unit is None and not scope.is_system) or (job.unit and not scope.sees(job.unit)):
        raise OutOfScope("导入记录不存在或不在您的权限范围内")
    return job
