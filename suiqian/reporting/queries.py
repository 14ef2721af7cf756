"""Reads of the reporting engine: one unit's values and checks, history, years and indicators with data.

Roll-ups and 附件1 tables are in rankings.py, what a form page shows in pages.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.urls import reverse

from suiqian.accounts.scope import OutOfScope, Scope
from suiqian.divisions.models import Division
from suiqian.lib.todo import ToDo

from . import rules as rule_engine
from . import suppliers
from .models import DataValue, FormDefinition, Indicator, PublishedValue, Report

HUNDRED = Decimal(100)
LEVEL_NAMES = {Division.Level.NATIONAL: "national", Division.Level.PROVINCE: "province", Division.Level.CITY: "city",
               Division.Level.COUNTY: "county"}


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
              sources: dict[str, dict[str, int]] | None = None) -> list[rule_engine.RuleViolation]:
    level_codes = [f.code for f in fields_of(form, unit)]
    if sources is None:
        sources = second_sources(form, unit)
    return rule_engine.evaluate(form.parsed, values, previous_values(form, unit), fields=level_codes,
                                sources=sources)


@dataclass
class CheckResult:
    missing: list = field(default_factory=list)
    errors: list[rule_engine.RuleViolation] = field(default_factory=list)
    warnings: list[rule_engine.RuleViolation] = field(default_factory=list)

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
