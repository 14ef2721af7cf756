"""The paper form as an Excel workbook: a protected template to download, filled or empty.

Every input cell carries a workbook-level defined name equal to its field code, so a
filled .xlsx is read by name (excel_import.py) and survives rows or columns a user
inserted after lifting the (password-less) protection.
"""

from __future__ import annotations

import io
import math
import re

import openpyxl
from openpyxl.styles import Alignment, Border, Font, Protection, Side
from openpyxl.utils import absolute_coordinate, get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties

from .formspec import FormSpec, LayoutCell

SHEET_TITLE = "汇总表"
MARKER_NAME = "suiqian_form"
TABLE_FIRST_ROW = 4  # title, header line, a blank row, then the table
FONT_NAME = "宋体"

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTRED = Alignment(horizontal="center", vertical="center", wrap_text=True)
_FONT = Font(name=FONT_NAME, size=11)
_LINE_POINTS = 14.5
# Excel reads these as cell references (A1 or R1C1), so a defined name cannot take them.
_CELL_LIKE = re.compile(r"^([A-Za-z]{1,3}\d+|[RrCc]|[Rr]\d*[Cc]\d*)$")


def cell_address(spec: FormSpec, field_code: str) -> str:
    """Where a field's input cell sits in the rendered template, e.g. "C4"."""
    cell = _input_cells(spec)[field_code]
    return f"{get_column_letter(cell.col + 1)}{TABLE_FIRST_ROW + cell.row}"


def render_form_workbook(spec: FormSpec, *, values: dict[str, int | None] | None = None, unit_name: str = "",
                         filler: str = "", filled_on: str = "") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    _set_column_widths(ws, spec)
    _set_font(ws, spec)
    _write_title(ws, spec)
    _write_header(ws, spec, unit_name, filler, filled_on)
    _write_table(ws, spec)
    _write_notes(ws, spec)
    _add_inputs(wb, ws, spec, values or {})
    _add_marker(wb, spec)
    _set_print(ws, spec)
    _protect(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _input_cells(spec: FormSpec) -> dict[str, LayoutCell]:
    return {c.field: c for c in spec.cells if c.field}


def _width(spec: FormSpec) -> int:
    return len(spec.column_widths)


def _last_column(spec: FormSpec) -> str:
    return get_column_letter(_width(spec))


def _last_row(spec: FormSpec) -> int:
    return TABLE_FIRST_ROW + spec.n_rows - 1 + len(spec.notes)


def _set_font(ws, spec: FormSpec) -> None:
    # Blank cells too, as the whole area is printed; the title then sets its own larger font.
    for row in ws.iter_rows(min_row=1, max_row=_last_row(spec), max_col=_width(spec)):
        for cell in row:
            cell.font = _FONT


def _set_column_widths(ws, spec: FormSpec) -> None:
    for i, width in enumerate(spec.column_widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def _merge(ws, row: int, col: int, rowspan: int = 1, colspan: int = 1):
    """The top-left cell of the range; merging first so the styles land on the surviving cell."""
    if rowspan > 1 or colspan > 1:
        ws.merge_cells(start_row=row, start_column=col, end_row=row + rowspan - 1, end_column=col + colspan - 1)
    return ws.cell(row=row, column=col)


def _write_title(ws, spec: FormSpec) -> None:
    cell = _merge(ws, 1, 1, colspan=_width(spec))
    cell.value = spec.title
    cell.font = Font(name=FONT_NAME, size=16, bold=True)
    cell.alignment = _CENTRED
    ws.row_dimensions[1].height = 32


def _header_label(spec: FormSpec, code: str, default: str) -> str:
    return next((h["label"] for h in spec.header if h.get("code") == code), default)


def _write_header(ws, spec: FormSpec, unit_name: str, filler: str, filled_on: str) -> None:
    # Blank values leave room to write by hand on the printed form.
    left_span = _width(spec) // 2 + 1
    left = _merge(ws, 2, 1, colspan=left_span)
    left.value = f"{_header_label(spec, 'stamp', '填报单位')}：{unit_name}"
    right = _merge(ws, 2, left_span + 1, colspan=_width(spec) - left_span)
    right.value = (f"{_header_label(spec, 'filler', '填报人')}：{filler or ' ' * 12}  "
                   f"{_header_label(spec, 'filled_on', '填报时间')}：{filled_on or ' ' * 12}")
    left.alignment = Alignment(horizontal="left", vertical="center")
    right.alignment = Alignment(horizontal="right", vertical="center")
    ws.row_dimensions[2].height = 24


def _write_table(ws, spec: FormSpec) -> None:
    for layout in spec.cells:
        row, col = TABLE_FIRST_ROW + layout.row, layout.col + 1
        cell = _merge(ws, row, col, layout.rowspan, layout.colspan)
        cell.value = layout.text or None
        cell.alignment = _CENTRED
        _border_range(ws, row, col, layout.rowspan, layout.colspan)
    for r, height in enumerate(_table_row_heights(spec)):
        ws.row_dimensions[TABLE_FIRST_ROW + r].height = height


def _border_range(ws, row: int, col: int, rowspan: int, colspan: int) -> None:
    # Every cell of a merged range needs its own border, or Excel draws gaps along the edges.
    for r in range(row, row + rowspan):
        for c in range(col, col + colspan):
            ws.cell(row=r, column=c).border = _BORDER


def _lines(text: str, width: float) -> int:
    """Lines a wrapped text takes in a column `width` characters wide; CJK glyphs are two wide."""
    display = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
    return max(1, math.ceil(display / max(width - 1, 1)))


def _table_row_heights(spec: FormSpec) -> list[float]:
    # openpyxl cannot autofit, and a printed form must not cut its labels.
    heights = [_LINE_POINTS * 2] * spec.n_rows
    for c in spec.cells:
        width = sum(spec.column_widths[c.col:c.col + c.colspan])
        per_row = (_lines(c.text, width) * _LINE_POINTS + 8) / c.rowspan
        for r in range(c.row, c.row + c.rowspan):
            heights[r] = max(heights[r], per_row)
    return heights


def _write_notes(ws, spec: FormSpec) -> None:
    for row, note in enumerate(spec.notes, start=TABLE_FIRST_ROW + spec.n_rows):
        cell = _merge(ws, row, 1, colspan=_width(spec))
        cell.value = note
        cell.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
        ws.row_dimensions[row].height = _lines(note, sum(spec.column_widths)) * _LINE_POINTS + 4


def _check_name(code: str) -> None:
    if _CELL_LIKE.match(code):
        raise ValueError(f"字段代码 {code} 会被 Excel 当作单元格地址，不能用作名称，请在表单定义中改名")


def _add_inputs(wb, ws, spec: FormSpec, values: dict) -> None:
    validation = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                showErrorMessage=True, errorStyle="stop", errorTitle="请填写数字",
                                error="请填写不小于 0 的整数（人数或个数），不要填写小数、负数或文字。")
    ws.add_data_validation(validation)
    for code, layout in _input_cells(spec).items():
        _check_name(code)
        address = cell_address(spec, code)
        cell = ws[address]
        cell.value = values.get(code)
        cell.number_format = "#,##0"
        _unlock_range(ws, TABLE_FIRST_ROW + layout.row, layout.col + 1, layout.rowspan, layout.colspan)
        validation.add(address)
        wb.defined_names.add(DefinedName(code, attr_text=f"{quote_sheetname(ws.title)}!{absolute_coordinate(address)}"))


def _unlock_range(ws, row: int, col: int, rowspan: int, colspan: int) -> None:
    for r in range(row, row + rowspan):
        for c in range(col, col + colspan):
            ws.cell(row=r, column=c).protection = Protection(locked=False)


def _add_marker(wb, spec: FormSpec) -> None:
    # A constant name ="summary-2021" survives re-saving in Excel and WPS, unlike a title a user may retype.
    wb.defined_names.add(DefinedName(MARKER_NAME, attr_text=f'"{spec.code}"', hidden=True))


def _set_print(ws, spec: FormSpec) -> None:
    ws.print_area = f"A1:{_last_column(spec)}{_last_row(spec)}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True


def _protect(ws) -> None:
    ws.protection.sheet = True
    # Widening a column to read a label changes nothing the reader relies on.
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
