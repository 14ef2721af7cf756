"""Tables as CSV and as styled xlsx — the two shapes every export of the platform takes."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

CJK_FONT = "宋体"
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value):
    """Keep spreadsheet programs from running a text cell as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


_SHEET_FORBIDDEN = re.compile(r"[\\/?*\[\]:]")


def sheet_title(text: str) -> str:
    """A worksheet name Excel accepts: no \\ / ? * [ ] :, not edged with apostrophes, at most 31 characters."""
    title = _SHEET_FORBIDDEN.sub("_", text or "").strip("'")[:31].strip()
    return title or "表"


@dataclass
class Column:
    title: str
    number_format: str | None = None  # xlsx format, e.g. "0.00%" (value then is a fraction)
    width: int = 14


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    csv_rows: list[list] | None = None  # text as the CSV should show it, when it differs from the values
    bold_last_row: bool = False

    def to_csv(self, *, bom: bool = False) -> str:
        out = io.StringIO()
        if bom:
            out.write("\ufeff")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([c.title for c in self.columns])
        for row in self.csv_rows if self.csv_rows is not None else self.rows:
            writer.writerow([neutralize("" if v is None else v) for v in row])
        return out.getvalue()

    def to_xlsx(self) -> bytes:
        wb = Workbook()
        ws = wb.active
        ws.title = sheet_title(self.title)
        thin = Side(style="thin")
        border = Border(left=thin, right=thin, top=thin, bottom=thin)
        ncols = len(self.columns)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
        ws.cell(1, 1, neutralize(self.title)).font = Font(name=CJK_FONT, size=14, bold=True)
        ws.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
        ws.row_dimensions[1].height = 28
        for i, col in enumerate(self.columns, start=1):
            cell = ws.cell(2, i, neutralize(col.title))
            cell.font = Font(name=CJK_FONT, bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = border
            ws.column_dimensions[get_column_letter(i)].width = col.width
        for r, row in enumerate(self.rows, start=3):
            last = self.bold_last_row and r == len(self.rows) + 2
            for i, (col, value) in enumerate(zip(self.columns, row), start=1):
                if isinstance(value, Decimal):
                    value = float(value)
                cell = ws.cell(r, i, neutralize(value))
                cell.font = Font(name=CJK_FONT, bold=last)
                cell.border = border
                if col.number_format:
                    cell.number_format = col.number_format
        ws.freeze_panes = "A3"
        ws.print_title_rows = "1:2"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
