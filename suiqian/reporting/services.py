"""Writes of the reporting engine: loading forms and reference data, and the review workflow.

Each workflow action takes the acting scope and user, checks, writes inside a
transaction with the report row locked, records an event, and raises a
ReportError with a message in Chinese. Views, the API and commands all call these.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import yaml
from django.db import transaction

from suiqian.accounts import audit
from suiqian.accounts.scope import Refused, Scope
from suiqian.divisions.models import Division
from suiqian.lib import labels
from suiqian.lib.files import FORM_WORKBOOK, DocumentTypeError, read_upload

from . import queries, rankings, review
from .formspec import FORMS_DIR, FormSpecError, read_form_file
from .models import DataValue, FormDefinition, Indicator, NationalRatio, PublishedValue, Report, ReportEvent
from .numbers import CountError, parse_count
from .queries import percent
from .rules import RuleViolation

REFERENCE_DIR = Path(__file__).parent / "data" / "reference"
INDICATORS_FILE = Path(__file__).parent / "indicators.yaml"


# --- errors -----------------------------------------------------------------------

class ReportError(Exception):
    """A domain error whose message is shown to the user as it is."""


class NotAllowed(Refused, ReportError):
    pass


class Locked(ReportError):
    pass


class Stale(ReportError):
    pass


class InputErrors(ReportError):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("；".join(errors.values()))


class RulesFailed(ReportError):
    def __init__(self, findings: list[RuleViolation], message: str):
        self.findings = findings
        super().__init__(message)


@dataclass(frozen=True)
class ImportProblem:
    sheet: str
    cell: str
    field: str
    message: str

    @property
    def item(self) -> str:
        """The field in words, as the paper names it: users never see its code."""
        return labels.label("field", self.field, "") if self.field else ""


class IncompleteRollup(ReportError):
    """A roll-up whose units below are not all approved: it goes up only with a written reason."""


class ImportFailed(ReportError):
    def __init__(self, problems: list[ImportProblem]):
        self.problems = problems
        super().__init__(f"文件中有 {len(problems)} 处错误，未保存任何数据")


class ReferenceDataError(ValueError):
    pass


# --- loading forms and indicators ----------------------------------------------------

def load_form(path: Path) -> FormDefinition:
    """Load one form file; refuse it if it would drop a field that already holds data."""
    spec = read_form_file(path)
    raw = spec.raw
    checksum = hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    existing = FormDefinition.objects.filter(code=spec.code).first()
    if existing:
        used = set(DataValue.objects.filter(report__form=existing).values_list("field", flat=True).distinct())
        dropped = used - set(spec.field_codes)
        if dropped:
            raise FormSpecError([f"已有数据的字段不能删除：{', '.join(sorted(dropped))}"])
    form, _ = FormDefinition.objects.update_or_create(
        code=spec.code, defaults={"year": spec.year, "title": spec.title, "spec": raw, "checksum": checksum})
    return form


def load_indicators(path: Path = INDICATORS_FILE) -> int:
    entries = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    for position, entry in enumerate(entries):
        Indicator.objects.update_or_create(code=entry["code"], defaults={
            "label": entry["label"], "note": entry.get("note", ""), "numerator": list(entry["numerator"]),
            "denominator": list(entry["denominator"]), "numerator_label": entry["columns"]["numerator"],
            "denominator_label": entry["columns"]["denominator"], "position": position})
    return len(entries)


@transaction.atomic
def load_all_forms(directory: Path = FORMS_DIR) -> list[FormDefinition]:
    forms = [load_form(p) for p in sorted(directory.glob("*.yaml"))]
    load_indicators()
    return forms


# --- reference data --------------------------------------------------------------------

def _check_printed_ratio(name: str, migrant: int, public: int, printed: str | None) -> None:
    if printed is None:
        return
    computed = f"{percent(public, migrant)}%"
    if computed != printed:
        raise ReferenceDataError(f"{name}：按原始人数计算的比例 {computed} 与文件所印 {printed} 不符")


@transaction.atomic
def load_published_enrollment(path: Path) -> int:
    """Load a published table of counts (附件1). Every printed ratio and total is re-checked first."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    year, source, columns = int(data["year"]), data["source"], data["fields"]
    parent = Division.objects.existing_in(year).get(code=data["parent"])
    rows = data["rows"]
    for row in rows:
        _check_printed_ratio(row["name"], row["migrant_children"], row["public_school"], row.get("printed_ratio"))
    total = data.get("total")
    if total:
        for key in ("migrant_children", "public_school"):
            summed = sum(r[key] for r in rows)
            if summed != total[key]:
                raise ReferenceDataError(f"合计行 {key} 为 {total[key]}，各行之和为 {summed}")
        _check_printed_ratio(total["name"], total["migrant_children"], total["public_school"],
                             total.get("printed_ratio"))
    for row in rows:
        unit = Division.objects.existing_in(year).filter(path__startswith=parent.path).get(code=row["unit"])
        if unit.name != row["name"]:
            raise ReferenceDataError(f"区划代码 {row['unit']} 是{unit.name}，文件写的是{row['name']}")
        for column, field in columns.items():
            PublishedValue.objects.update_or_create(unit=unit, year=year, field=field,
                                                    defaults={"value": row[column], "source": source})
    return len(rows)


@transaction.atomic
def load_national_ratios(path: Path) -> int:
    entries = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    for entry in entries:
        NationalRatio.objects.update_or_create(
            year=int(entry["year"]), defaults={"ratio": Decimal(entry["ratio"]), "source": entry["source"]})
    return len(entries)


def load_reference_data() -> dict[str, int]:
    return {
        "published": sum(load_published_enrollment(p) for p in sorted(REFERENCE_DIR.glob("enrollment-*.yaml"))),
        "national": load_national_ratios(REFERENCE_DIR / "national-ratio.yaml"),
    }


# --- entering values -----------------------------------------------------------------

def parse_inputs(form: FormDefinition, unit: Division, raw: dict) -> tuple[dict[str, int | None], dict[str, str]]:
    """Parse every editable field the unit's level enters; return values and per-field errors."""
    values, errors = {}, {}
    for field in queries.editable_fields(form, unit):
        if field.code not in raw:
            continue
        try:
            values[field.code] = parse_count(raw[field.code], field.label)
        except CountError as e:
            errors[field.code] = str(e)
    return values, errors


def _lock_report(form: FormDefinition, unit: Division) -> Report:
    report, _ = Report.objects.get_or_create(form=form, unit=unit, year=form.year)
    return Report.objects.select_for_update().select_related("form", "unit").get(pk=report.pk)


def require_fill(scope: Scope, unit: Division) -> None:
    if not scope.may_fill(unit):
        raise NotAllowed("您没有为该单位填报的权限")


@transaction.atomic
def save_values(scope: Scope, user, form: FormDefinition, unit: Division, raw: dict, *,
                expected_version: int | None = None, action: str = ReportEvent.Action.SAVE) -> Report:
    """Save what the user entered. Any bad input refuses the whole save: nothing is half-saved."""
    require_fill(scope, unit)
    values, errors = parse_inputs(form, unit, raw)
    if errors:
        raise InputErrors(errors)
    report = _lock_report(form, unit)
    if not report.is_editable:
        raise Locked(f"该表{report.get_status_display()}，已锁定，不能修改")
    if expected_version is not None and expected_version != report.version:
        raise Stale("该表已被他人修改，请刷新页面后重新填写")
    old = report.value_map()
    changes = [{"field": code, "old": old.get(code), "new": new} for code, new in values.items()
               if old.get(code) != new]
    # One statement for the whole form, not one round trip per field.
    DataValue.objects.bulk_create([DataValue(report=report, field=c["field"], value=c["new"]) for c in changes],
                                  update_conflicts=True, unique_fields=["report", "field"], update_fields=["value"])
    from_status = report.status
    if changes or report.status != Report.Status.DRAFT:
        report.status = Report.Status.DRAFT
        report.version += 1
        report.save()
        ReportEvent.objects.create(report=report, user=user, action=action, from_status=from_status,
                                   to_status=report.status, changes=changes)
        audit.record(audit.Action.IMPORT if action == ReportEvent.Action.IMPORT else audit.Action.DATA_CHANGED,
                     user=user, unit=unit, target=form.title, detail={"changes": changes})
    return report


@transaction.atomic
def submit_report(scope: Scope, user, report: Report, explanations: dict[str, str] | None = None,
                  incomplete_reason: str = "") -> Report:
    """上报: every field filled, no rule error, every warning explained; a roll-up missing units below it
    only with a written reason, which the reviewer above sees beside the numbers."""
    require_fill(scope, report.unit)
    report = Report.objects.select_for_update().select_related("form", "unit").get(pk=report.pk)
    if report.status == Report.Status.SUBMITTED:
        raise Locked("该表已上报，请勿重复上报")
    if not report.is_editable:
        raise Locked(f"该表{report.get_status_display()}，不能上报")
    check = queries.check_report(report)
    if check.missing:
        raise RulesFailed([], "以下项目未填写：" + "、".join(f.label for f in check.missing))
    if check.errors:
        raise RulesFailed(check.errors, "有错误未改正，不能上报：" + "；".join(f.message for f in check.errors))
    explanations = {k: v.strip() for k, v in (explanations or {}).items() if v and v.strip()}
    unexplained = [w for w in check.warnings if w.key not in explanations]
    if unexplained:
        raise RulesFailed(unexplained, "以下警告需要填写说明后才能上报：" + "；".join(w.message for w in unexplained))
    coverage = _rollup_coverage(report)
    reason = (incomplete_reason or "").strip()
    if coverage is not None and not coverage.complete and not reason:
        raise IncompleteRollup(f"下级尚未全部审核通过（{coverage.text}），本表的汇总不完整："
                               "确需现在上报，请勾选确认并填写原因")
    incomplete = coverage is not None and not coverage.complete
    _step(report, user, ReportEvent.Action.SUBMIT,
          comment=f"汇总不完整（{coverage.text}）：{reason}" if incomplete else "",
          explanations={w.key: explanations[w.key] for w in check.warnings},
          incomplete_reason=reason if incomplete else "",
          submitted_coverage={"included": coverage.included, "expected": coverage.expected}
          if coverage is not None else {})
    return report


def _rollup_coverage(report: Report) -> rankings.Coverage | None:
    """How many units below a city's or province's form include, counting approved reports; None for a county."""
    if report.unit.level == Division.Level.COUNTY:
        return None
    return rankings.rollups(Scope.system(), report.form, [report.unit])[report.unit.pk].coverage


def _step(report: Report, user, action: str, *, comment: str = "", event_fields: dict | None = None, **fields) -> None:
    """One step of the review state machine (review.py) on a report locked by the caller."""
    to_status = review.next_status(report.status, report.get_status_display(), action, what="该表", error=Locked)
    review.record_step(report, user, action, to_status, target=report.form.title, comment=comment,
                       event_fields=event_fields, **fields)


def _review(scope: Scope, report: Report, action: str, reason: str = "") -> tuple[Report, str]:
    """The reviewer of the unit above takes the report under the row lock; the reason is checked first."""
    reason = review.reason_for(action, reason, ReportError)
    if not scope.may_review(report.unit):
        raise NotAllowed("只有上级单位的审核员可以审核该表")
    return Report.objects.select_for_update().select_related("form", "unit").get(pk=report.pk), reason


@transaction.atomic
def approve_report(scope: Scope, user, report: Report) -> Report:
    report, _ = _review(scope, report, ReportEvent.Action.APPROVE)
    _step(report, user, ReportEvent.Action.APPROVE, return_reason="", cell_comments={})
    return report


@transaction.atomic
def return_report(scope: Scope, user, report: Report, reason: str, cell_comments: dict[str, str] | None = None):
    """退回 with a reason, and optionally comments pinned on single cells."""
    report, reason = _review(scope, report, ReportEvent.Action.RETURN, reason)
    fields = set(report.form.parsed.field_codes)
    comments = {k: v.strip() for k, v in (cell_comments or {}).items() if k in fields and v and v.strip()}
    _step(report, user, ReportEvent.Action.RETURN, comment=reason, event_fields={"cell_comments": comments},
          return_reason=reason, cell_comments=comments, returned_values=report.value_map())
    return report


@transaction.atomic
def unlock_report(scope: Scope, user, report: Report, reason: str) -> Report:
    """Reopen an approved form: only its reviewer, and only with a reason."""
    report, reason = _review(scope, report, ReportEvent.Action.UNLOCK, reason)
    _step(report, user, ReportEvent.Action.UNLOCK, comment=reason, return_reason=reason,
          returned_values=report.value_map(), cell_comments={})
    return report


# --- Excel import --------------------------------------------------------------------

def import_workbook(scope: Scope, user, form: FormDefinition, unit: Division, upload, filename: str) -> Report:
    """Read a filled template (an upload, a path or bytes), check every cell and every rule, and save only if
    nothing is wrong."""
    from . import excel, excel_import

    require_fill(scope, unit)
    spec = form.parsed
    try:
        data = read_upload(upload, FORM_WORKBOOK)
        reading = excel_import.read_form_workbook_within_limits(form.spec, data, filename)
    except (DocumentTypeError, excel_import.WorkbookError) as e:
        raise ReportError(str(e)) from e
    sheet = excel.SHEET_TITLE
    problems = [ImportProblem(p.sheet, p.cell, p.field, p.message) for p in reading.problems]
    editable = {f.code for f in queries.editable_fields(form, unit)}
    raw = {code: value for code, value in reading.values.items() if code in editable}
    values, errors = parse_inputs(form, unit, raw)
    for code, message in errors.items():
        problems.append(ImportProblem(sheet, excel.cell_address(spec, code), code, message))
    merged = {**queries.current_values(form, unit), **values}
    for finding in queries.run_rules(form, unit, merged):
        if finding.severity == "error":
            for code in finding.fields:
                problems.append(ImportProblem(sheet, excel.cell_address(spec, code), code, finding.message))
    if problems:
        raise ImportFailed(problems)
    return save_values(scope, user, form, unit, raw, action=ReportEvent.Action.IMPORT)
