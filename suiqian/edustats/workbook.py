"""The import template: one row per county-level unit, its 区划代码 and name, the figures' columns empty."""

from __future__ import annotations

import io

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from suiqian.divisions.models import Division
from suiqian.lib.tabular import CJK_FONT

from .figures import figures
from .services import CODE_HEADING

SHEET_TITLE = "教育事业统计"
NOTES = (
    "每个县级单位一行：区划代码决定是哪个单位，单位名称、所属市只供核对。",
    "八个数字为该年教育事业统计中义务教育阶段的人数（非负整数）；合计由平台计算，不需填写。",
    "一行的数字要么全部填写，要么全部留空（留空表示本次不导入该单位）。",
    "导入时任何一格有误都不会保存任何数据，并逐格列出问题（工作表、单元格、问题）。",
    "已上报或已审核的单位不能通过导入修改，需上级退回后再导入。",
    "支持 .xlsx 和 .xls；请勿改动第 1 行表头。",
)


def render_template(units: list[Division], year: int | None = None,
                    values: dict[int, dict[str, int | None]] | None = None) -> bytes:
    spec = figures()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    headings = [CODE_HEADING, "单位名称", "所属市", *(f.label for f in spec.fields)]
    for col, heading in enumerate(headings, start=1):
        cell = ws.cell(1, col, heading)
        cell.font = Font(name=CJK_FONT, bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = 12 if col <= 3 else 18
    ws.row_dimensions[1].height = 48
    validation = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                showErrorMessage=True, errorTitle="请填写数字", error="请填写不小于 0 的整数（人数）。")
    ws.add_data_validation(validation)
    first_figure, last = 4, 3 + len(spec.fields)
    for row, unit in enumerate(units, start=2):
        ws.cell(row, 1, unit.code).number_format = "@"
        ws.cell(row, 2, unit.name)
        ws.cell(row, 3, unit.parent.name if unit.parent else "")
        for col, f in enumerate(spec.fields, start=first_figure):
            cell = ws.cell(row, col, (values or {}).get(unit.pk, {}).get(f.code))
            cell.number_format = "#,##0"
    if units:
        validation.add(f"{get_column_letter(first_figure)}2:{get_column_letter(last)}{len(units) + 1}")
    ws.freeze_panes = "D2"
    notes = wb.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 100
    title = f"{year} 年{spec.title}导入模板" if year else f"{spec.title}导入模板"
    notes.cell(1, 1, title).font = Font(name=CJK_FONT, size=14, bold=True)
    for row, text in enumerate(NOTES, start=2):
        notes.cell(row, 1, f"{row - 1}. {text}").font = Font(name=CJK_FONT)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
