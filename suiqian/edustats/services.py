"""Writes of the 教育事业统计: entering figures, importing a table of counties, and the review workflow.

The workflow is the form's (reporting.services): the same statuses, errors, events and
audit actions. It is written again here only because a form's steps are bound to its
Report row; the rules of who may act come from the Scope as they do there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from openpyxl.utils import get_column_letter

from suiqian.accounts import audit
from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.lib.files import FORM_WORKBOOK, DocumentTypeError, read_upload
from suiqian.reporting import excel_import, review
from suiqian.reporting import rules as rule_engine
from suiqian.reporting.numbers import CountError, parse_count
from suiqian.reporting.services import (ImportFailed, ImportProblem, InputErrors, Locked, NotAllowed, ReportError,
                                        RulesFailed, Stale)

from .figures import figures
from .models import EduStatistics, EduStatisticsEvent, EduStatisticsValue

# The form's errors are this module's too: views and commands catch one family, with the same messages' shape.
__all__ = ["ImportFailed", "InputErrors", "Locked", "NotAllowed", "ReportError", "RulesFailed", "Stale"]

MAX_TABLE_ROWS = 5000  # the country has about 2,850 county-level units
MAX_TABLE_COLUMNS = 60
CODE_HEADING = "区划代码"
TARGET = "教育事业统计"
Action = EduStatisticsEvent.Action
Status = EduStatistics.Status


# --- entering figures ------------------------------------------------------------------------

def parse_inputs(raw: dict) -> tuple[dict[str, int | None], dict[str, str]]:
    values, errors = {}, {}
    for f in figures().fields:
        if f.code not in raw:
            continue
        try:
            values[f.code] = parse_count(raw[f.code], f.label)
        except CountError as e:
            errors[f.code] = str(e)
    return values, errors


def rule_errors(values: dict[str, int | None]) -> list[rule_engine.RuleViolation]:
    return [f for f in rule_engine.evaluate(figures(), values) if f.severity == "error"]


def require_fill(scope: Scope, unit: Division) -> None:
    if not scope.may_fill_statistics(unit):
        raise NotAllowed("您没有填报该单位教育事业统计的权限")


def record_to_fill(scope: Scope, unit: Division, year: int) -> EduStatistics:
    """The record a filler acts on; who may comes before whether it exists."""
    require_fill(scope, unit)
    return _existing(unit, year)


def record_to_review(scope: Scope, unit: Division, year: int) -> EduStatistics:
    if not scope.may_review(unit):
        raise NotAllowed("只有上级单位的审核员可以审核该统计")
    return _existing(unit, year)


def _existing(unit: Division, year: int) -> EduStatistics:
    record = EduStatistics.objects.filter(unit=unit, year=year).first()
    if record is None:
        raise ReportError("该单位尚未填写教育事业统计")
    return record


def _lock_record(unit: Division, year: int) -> EduStatistics:
    record, _ = EduStatistics.objects.get_or_create(unit=unit, year=year)
    return EduStatistics.objects.select_for_update().select_related("unit").get(pk=record.pk)


@transaction.atomic
def save_figures(scope: Scope, user, unit: Division, year: int, raw: dict, *, expected_version: int | None = None,
                 action: str = Action.SAVE) -> EduStatistics:
    """Save the figures typed or imported. Any bad input refuses the whole save."""
    require_fill(scope, unit)
    if not unit.existed_in(year):
        raise ReportError(f"{unit.name}在 {year} 年不存在")
    values, errors = parse_inputs(raw)
    if errors:
        raise InputErrors(errors)
    record = _lock_record(unit, year)
    if not record.is_editable:
        raise Locked(f"该单位 {year} 年的教育事业统计{record.get_status_display()}，已锁定，不能修改")
    if expected_version is not None and expected_version != record.version:
        raise Stale("该统计已被他人修改，请刷新页面后重新填写")
    old = record.value_map()
    changes = [{"field": code, "old": old.get(code), "new": new} for code, new in values.items() if old.get(code) != new]
    EduStatisticsValue.objects.bulk_create(
        [EduStatisticsValue(record=record, field=c["field"], value=c["new"]) for c in changes],
        update_conflicts=True, unique_fields=["record", "field"], update_fields=["value"])
    if changes or record.status != Status.DRAFT:
        from_status = record.status
        record.status = Status.DRAFT
        record.version += 1
        record.save()
        EduStatisticsEvent.objects.create(record=record, user=user, action=action, from_status=from_status,
                                          to_status=record.status, changes=changes)
        audit.record(audit.Action.IMPORT if action == Action.IMPORT else audit.Action.DATA_CHANGED, user=user,
                     unit=unit, target=f"{year}年{TARGET}", detail={"changes": changes})
    return record


# --- the workflow --------------------------------------------------------------------------

@transaction.atomic
def submit(scope: Scope, user, record: EduStatistics) -> EduStatistics:
    """上报: every figure filled and no rule broken."""
    require_fill(scope, record.unit)
    record = EduStatistics.objects.select_for_update().select_related("unit").get(pk=record.pk)
    if record.status == Status.SUBMITTED:
        raise Locked("该统计已上报，请勿重复上报")
    if not record.is_editable:
        raise Locked(f"该统计{record.get_status_display()}，不能上报")
    values = record.value_map()
    missing = [f.label for f in figures().fields if values.get(f.code) is None]
    if missing:
        raise RulesFailed([], "以下项目未填写：" + "、".join(missing))
    errors = rule_errors(values)
    if errors:
        raise RulesFailed(errors, "有错误未改正，不能上报：" + "；".join(f.message for f in errors))
    _step(record, user, Action.SUBMIT)
    return record


def _step(record: EduStatistics, user, action: str, reason: str = "") -> None:
    to_status = review.next_status(record.status, record.get_status_display(), action, what="该统计", error=Locked)
    review.record_step(record, user, action, to_status, target=f"{record.year}年{TARGET}", comment=reason,
                       **({"return_reason": reason} if action != Action.SUBMIT else {}))


def _review(scope: Scope, user, record: EduStatistics, action: str, reason: str = "") -> EduStatistics:
    """审核通过, 退回 or 解锁 by the reviewer of the unit above, under the row lock."""
    reason = review.reason_for(action, reason, ReportError)
    if not scope.may_review(record.unit):
        raise NotAllowed("只有上级单位的审核员可以审核该统计")
    record = EduStatistics.objects.select_for_update().select_related("unit").get(pk=record.pk)
    _step(record, user, action, reason)
    return record


@transaction.atomic
def approve(scope: Scope, user, record: EduStatistics) -> EduStatistics:
    return _review(scope, user, record, Action.APPROVE)


@transaction.atomic
def return_(scope: Scope, user, record: EduStatistics, reason: str) -> EduStatistics:
    return _review(scope, user, record, Action.RETURN, reason)


@transaction.atomic
def unlock(scope: Scope, user, record: EduStatistics, reason: str) -> EduStatistics:
    return _review(scope, user, record, Action.UNLOCK, reason)


# --- importing a table of counties -----------------------------------------------------------

@dataclass
class _Row:
    number: int  # as Excel shows it
    unit: Division
    values: dict[str, int]


def _heading(value) -> str:
    return re.sub(r"\s+", "", str(value or ""))


def _columns(grid: excel_import.SheetGrid, problems: list[ImportProblem]) -> dict[str, int]:
    """Heading → column index, for the code column and every figure; missing ones become problems."""
    header = [_heading(v) for v in (grid.rows[0] if grid.rows else [])]
    wanted = {CODE_HEADING: CODE_HEADING, **{f.code: _heading(f.label) for f in figures().fields}}
    found = {}
    for key, heading in wanted.items():
        if heading in header:
            found[key] = header.index(heading)
        else:
            problems.append(ImportProblem(grid.sheet, "第 1 行", heading, f"表头缺少“{heading}”列，请使用本平台下载的模板"))
    return found


def _code_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() if value is not None else ""


def _cell(grid: excel_import.SheetGrid, row: int, col: int) -> str:
    return f"{get_column_letter(col + 1)}{row}"


def _read_rows(scope: Scope, year: int, grid: excel_import.SheetGrid, columns: dict[str, int],
               problems: list[ImportProblem]) -> list[_Row]:
    counties = {d.code: d for d in Division.objects.existing_in(year).filter(level=Division.Level.COUNTY)
                .order_by("valid_to")}  # a current unit wins over a former one with the same code
    seen: dict[str, int] = {}
    out = []
    spec = figures()
    for index, cells in enumerate(grid.rows[1:], start=2):
        def at(key):
            col = columns[key]
            return cells[col] if col < len(cells) else None
        raw = {f.code: at(f.code) for f in spec.fields}
        code = _code_text(at(CODE_HEADING))
        code_cell = _cell(grid, index, columns[CODE_HEADING])
        if all(v is None for v in raw.values()):
            continue  # a unit whose figures are not in this file
        if not code:
            problems.append(ImportProblem(grid.sheet, code_cell, CODE_HEADING, "填写了数字，但没有区划代码"))
            continue
        unit = counties.get(code)
        if unit is None:
            problems.append(ImportProblem(grid.sheet, code_cell, CODE_HEADING,
                                          f"区划代码 {code} 不是 {year} 年的县级单位"))
            continue
        if not scope.may_fill_statistics(unit):
            problems.append(ImportProblem(grid.sheet, code_cell, CODE_HEADING,
                                          f"您没有填报{unit.name}（{code}）教育事业统计的权限"))
            continue
        if code in seen:
            problems.append(ImportProblem(grid.sheet, code_cell, CODE_HEADING, f"{unit.name}与第 {seen[code]} 行重复"))
            continue
        seen[code] = index
        values, ok = {}, True
        for f in spec.fields:
            where = _cell(grid, index, columns[f.code])
            try:
                values[f.code] = parse_count(raw[f.code], f.label)
            except CountError as e:
                problems.append(ImportProblem(grid.sheet, where, f.label, f"{unit.name}：{e}"))
                ok = False
                continue
            if values[f.code] is None:
                problems.append(ImportProblem(grid.sheet, where, f.label, f"{unit.name}：“{f.label}”未填写"))
                ok = False
        if not ok:
            continue
        for finding in rule_errors(values):
            for code in (c for c in spec.field_codes if c in finding.fields):
                problems.append(ImportProblem(grid.sheet, _cell(grid, index, columns[code]), spec.field(code).label,
                                              f"{unit.name}：{finding.message}"))
            ok = False
        if ok:
            out.append(_Row(index, unit, values))
    return out


def _refuse_locked(rows: list[_Row], year: int, grid: excel_import.SheetGrid, columns: dict[str, int],
                   problems: list[ImportProblem]) -> list[_Row]:
    """A locked record may appear unchanged (the same table re-imported); a change to it is refused."""
    records = {r.unit_id: r for r in EduStatistics.objects.filter(unit__in=[row.unit for row in rows], year=year)
               .prefetch_related("values")}
    changed = []
    for row in rows:
        record = records.get(row.unit.pk)
        same = record is not None and all(record.value_map().get(k) == v for k, v in row.values.items())
        if same and record.status == Status.DRAFT:
            continue
        if record is not None and not record.is_editable:
            if not same:
                problems.append(ImportProblem(grid.sheet, _cell(grid, row.number, columns[CODE_HEADING]), CODE_HEADING,
                                              f"{row.unit.name}的统计{record.get_status_display()}，已锁定，不能修改"))
            continue
        changed.append(row)
    return changed


def import_table(scope: Scope, user, year: int, upload, filename: str) -> list[EduStatistics]:
    """Read a filled template (an upload, a path or bytes; one row per county), check every cell, and save all
    or nothing."""
    try:
        data = read_upload(upload, FORM_WORKBOOK)
    except DocumentTypeError as e:
        raise ReportError(str(e)) from e
    try:
        grid = excel_import.read_table_workbook_within_limits(data, filename, max_rows=MAX_TABLE_ROWS + 1,
                                                       max_cols=MAX_TABLE_COLUMNS)
    except excel_import.WorkbookError as e:
        raise ReportError(str(e)) from e
    problems: list[ImportProblem] = []
    columns = _columns(grid, problems)
    if problems:
        raise ImportFailed(problems)
    if len(grid.rows) > MAX_TABLE_ROWS:
        raise ReportError(f"文件超过 {MAX_TABLE_ROWS} 行，请只保留县级单位各一行")
    rows = _read_rows(scope, year, grid, columns, problems)
    if not rows and not problems:
        raise ReportError("文件中没有填写任何单位的数字")
    rows = _refuse_locked(rows, year, grid, columns, problems)
    if problems:
        raise ImportFailed(problems)
    with transaction.atomic():
        return [save_figures(scope, user, row.unit, year, row.values, action=Action.IMPORT) for row in rows]
