"""Reading filled copies of the form's workbook, and plain one-table workbooks, from untrusted uploads.

A filled .xlsx is read by the defined names the template gives its input cells. A .xls has
no names that calamine can read, so it is recognised by its title and read at the layout addresses.

Uploads are untrusted: size, extension and the zip's members are checked before any
parser sees the bytes, external links are refused, and the reader returns raw cell
values for the caller to parse (see numbers.parse_count).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

import openpyxl
import python_calamine
from openpyxl.utils import coordinate_to_tuple

from suiqian.lib.files import FORM_WORKBOOK, DocumentTypeError, LimitExceeded, check_limits, run_limited

from .excel import MARKER_NAME, SHEET_TITLE, cell_address
from .formspec import FormSpec, parse_form_spec

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
# Deflate cannot reach a high ratio on a small member, and a small member cannot hurt;
# only large members are held to the ratio, so ordinary repetitive XML is never refused.
RATIO_CHECKED_FROM_BYTES = 1024 * 1024
# A name pointing further away than this is not one of ours; reading up to it would make
# the read-only reader generate millions of empty cells.
MAX_NAMED_ROW, MAX_NAMED_COL = 1000, 100

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EXTENSIONS = (".xlsx", ".xls")

CORRUPT = "文件已损坏或不是 Excel 文件（.xlsx / .xls），请重新下载模板填写后上传"
BOMB = "文件解压后的内容异常大（可能是恶意构造的文件），已拒绝处理；请上传从本平台下载并填写的模板"
EXTERNAL_LINKS = "文件包含外部链接，请另存为不含链接的文件后再上传"
PASSWORD = "文件设置了打开密码，请取消密码后再上传"
FORMULA_WITHOUT_RESULT = "公式没有计算结果，请直接填写数字"


class WorkbookError(ValueError):
    """The file as a whole cannot be used; the message is shown to the user as is."""


@dataclass(frozen=True)
class CellProblem:
    sheet: str
    cell: str
    field: str
    message: str


@dataclass
class WorkbookReading:
    values: dict[str, object]
    problems: list[CellProblem]


# --- uploads read within limits -----------------------------------------------------------
# An upload is parsed while its user waits: in a child process whose parse time and memory are capped
# (FORM_WORKBOOK), so a workbook built to take minutes or gigabytes is refused and the server goes on.

def read_form_workbook_within_limits(spec_data: dict, data: bytes, filename: str) -> WorkbookReading:
    """read_form_workbook for an upload: `spec_data` is the form's stored definition."""
    answer = _within_limits("suiqian.reporting.excel_import:form_reading_as_json", data, spec_data, filename)
    return WorkbookReading(answer["values"], [CellProblem(**p) for p in answer["problems"]])


def read_table_workbook_within_limits(data: bytes, filename: str, *, max_rows: int, max_cols: int) -> SheetGrid:
    answer = _within_limits("suiqian.reporting.excel_import:table_reading_as_json", data, filename, max_rows, max_cols)
    return SheetGrid(answer["sheet"], answer["rows"])


def _within_limits(function: str, data: bytes, *args) -> dict:
    try:
        return run_limited(function, data, *args, limits=FORM_WORKBOOK)
    except DocumentTypeError as e:  # the reader's own refusal in the child, or a time or memory limit
        raise WorkbookError(str(e)) from e


def form_reading_as_json(data: bytes, spec_data: dict, filename: str) -> dict:
    """The child side of read_form_workbook_within_limits."""
    reading = read_form_workbook(parse_form_spec(spec_data), data, filename)
    return {"values": {code: _json_value(v) for code, v in reading.values.items()},
            "problems": [vars(p) for p in reading.problems]}


def table_reading_as_json(data: bytes, filename: str, max_rows: int, max_cols: int) -> dict:
    """The child side of read_table_workbook_within_limits."""
    grid = read_table_workbook(data, filename, max_rows=max_rows, max_cols=max_cols)
    return {"sheet": grid.sheet, "rows": [[_json_value(v) for v in row] for row in grid.rows]}


def _json_value(value):
    """A cell's value as JSON carries it; a date or anything else odd in a number cell travels as its text."""
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


def read_form_workbook(spec: FormSpec, data: bytes, filename: str) -> WorkbookReading:
    _check_upload(data, filename)
    # The content decides the reader: a .xlsx renamed .xls must still pass the zip checks.
    if data.startswith(ZIP_MAGIC):
        return _read_xlsx(spec, data)
    if data.startswith(OLE_MAGIC):
        return _read_xls(spec, data)
    raise WorkbookError(CORRUPT)


def _check_upload(data: bytes, filename: str) -> None:
    if len(data) > MAX_UPLOAD_BYTES:
        raise WorkbookError(f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB，请确认上传的是填写好的模板文件")
    suffix = PurePath(filename).suffix.lower()
    if suffix not in EXTENSIONS:
        shown = f"“{suffix}”" if suffix else "没有扩展名的"
        raise WorkbookError(f"不支持{shown}文件，请上传 Excel 文件（.xlsx 或 .xls）")


def _not_template(spec: FormSpec) -> WorkbookError:
    return WorkbookError(f"该文件不是《{spec.title}》模板，请在本页下载模板，填写后再上传")


def _same_title(spec: FormSpec, value: object) -> bool:
    # Users retype titles with or without the space in "2021 年".
    return isinstance(value, str) and "".join(value.split()) == "".join(spec.title.split())


def _clean(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        return None
    return value


# --- .xlsx --------------------------------------------------------------------------------


def _read_xlsx(spec: FormSpec, data: bytes) -> WorkbookReading:
    _check_zip(data)
    wb = _open_xlsx(data, data_only=True)
    try:
        if wb._external_links:
            raise WorkbookError(EXTERNAL_LINKS)
        _check_xlsx_template(spec, wb)
        places = _input_places(spec, wb)
        cells = _cells_at(wb, places)
    finally:
        wb.close()
    reading = WorkbookReading(values={}, problems=[])
    for code, cell in cells.items():
        reading.values[code] = _xlsx_value(cell, code, places[code], reading.problems)
    _flag_formulas_without_results(data, places, reading)
    return reading


def _check_zip(data: bytes) -> None:
    """Refuses zip bombs from the central directory alone, before anything is inflated.

    zipfile never inflates a member past its declared size, so the declared sizes bound
    what openpyxl can be made to read.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except Exception as e:  # untrusted bytes: any failure to parse means the file is unusable
        raise WorkbookError(CORRUPT) from e
    if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES or any(map(_overcompressed, members)):
        raise WorkbookError(BOMB)
    try:
        check_limits(data, FORM_WORKBOOK)  # the same streamed inflation check as every other upload
    except LimitExceeded as e:
        raise WorkbookError(BOMB) from e
    except DocumentTypeError as e:
        raise WorkbookError(CORRUPT) from e


def _overcompressed(member: zipfile.ZipInfo) -> bool:
    if member.file_size < RATIO_CHECKED_FROM_BYTES:
        return False
    return member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)


def _open_xlsx(data: bytes, *, data_only: bool):
    # Read-only streams the sheet XML instead of building every cell in memory.
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only, keep_links=True)
    except Exception as e:  # openpyxl raises many kinds of error on malformed parts
        raise WorkbookError(CORRUPT) from e


def _worksheets(wb) -> dict[str, object]:
    """Sheets with cells, by title; a chartsheet has none to read."""
    return {ws.title: ws for ws in wb.worksheets}


def _main_sheet(wb):
    sheets = _worksheets(wb)
    return sheets.get(SHEET_TITLE) or next(iter(sheets.values()), None)


def _check_xlsx_template(spec: FormSpec, wb) -> None:
    marker = wb.defined_names.get(MARKER_NAME)
    if marker is not None:
        # Next year's template reuses field codes, so its marker must not be overlooked.
        if marker.attr_text != f'"{spec.code}"':
            raise _not_template(spec)
        return
    sheet = _main_sheet(wb)
    if sheet is None:
        raise _not_template(spec)
    title = _cells_in(sheet, {"A1"})["A1"].value
    if not _same_title(spec, title) and not any(code in wb.defined_names for code in spec.field_codes):
        raise _not_template(spec)


def _input_places(spec: FormSpec, wb) -> dict[str, tuple[str, str]]:
    """Field code → (sheet title, cell), by defined name or else at the layout address."""
    main = _main_sheet(wb).title
    return {code: _named_cell(wb, code) or (main, cell_address(spec, code)) for code in spec.field_codes}


def _named_cell(wb, code: str) -> tuple[str, str] | None:
    name = wb.defined_names.get(code)
    if name is None or name.type != "RANGE":
        return None
    for sheet, ref in name.destinations:
        top_left = ref.replace("$", "").split(":")[0]
        if sheet in _worksheets(wb) and _within_reach(top_left):
            return sheet, top_left
    return None


def _within_reach(coordinate: str) -> bool:
    try:
        row, col = coordinate_to_tuple(coordinate)
    except (ValueError, TypeError):
        return False
    return row <= MAX_NAMED_ROW and col <= MAX_NAMED_COL


def _cells_at(wb, places: dict[str, tuple[str, str]]) -> dict[str, object]:
    by_sheet: dict[str, set[str]] = {}
    for sheet, coordinate in places.values():
        by_sheet.setdefault(sheet, set()).add(coordinate)
    sheets = _worksheets(wb)
    found = {sheet: _cells_in(sheets[sheet], coordinates) for sheet, coordinates in by_sheet.items()}
    return {code: found[sheet][coordinate] for code, (sheet, coordinate) in places.items()}


def _cells_in(ws, coordinates: set[str]) -> dict[str, object]:
    """One pass over the box holding the wanted cells: a read-only sheet re-parses from the top on every lookup."""
    wanted = {coordinate_to_tuple(c): c for c in coordinates}
    rows, cols = [r for r, _ in wanted], [c for _, c in wanted]
    out = {}
    box = ws.iter_rows(min_row=min(rows), max_row=max(rows), min_col=min(cols), max_col=max(cols))
    try:
        for r, row in enumerate(box, start=min(rows)):
            for c, cell in enumerate(row, start=min(cols)):
                if (r, c) in wanted:
                    out[wanted[(r, c)]] = cell
    except Exception as e:  # the sheet XML is parsed only now, so a garbled sheet fails here
        raise WorkbookError(CORRUPT) from e
    return out


def _xlsx_value(cell, code: str, place: tuple[str, str], problems: list[CellProblem]) -> object:
    if getattr(cell, "data_type", None) == "e":
        problems.append(CellProblem(place[0], place[1], code, f"单元格是错误值 {cell.value}，请直接填写数字"))
        return None
    return _clean(cell.value)


def _flag_formulas_without_results(data: bytes, places: dict[str, tuple[str, str]], reading: WorkbookReading) -> None:
    # data_only shows an uncalculated formula as an empty cell; only the formulas view tells them apart.
    reported = {p.field for p in reading.problems}
    empty = {code: places[code] for code, value in reading.values.items() if value is None and code not in reported}
    if not empty:
        return
    wb = _open_xlsx(data, data_only=False)
    try:
        cells = _cells_at(wb, empty)
    finally:
        wb.close()
    for code, cell in cells.items():
        if getattr(cell, "data_type", None) == "f":
            sheet, coordinate = empty[code]
            reading.problems.append(CellProblem(sheet, coordinate, code, FORMULA_WITHOUT_RESULT))


# --- .xls ---------------------------------------------------------------------------------


def _read_xls(spec: FormSpec, data: bytes) -> WorkbookReading:
    rows = _xls_rows(data, max(_layout_rows(spec)))
    if not _same_title(spec, _at(rows, 1, 1)):
        raise _not_template(spec)
    values = {code: _clean(_at(rows, *coordinate_to_tuple(cell_address(spec, code)))) for code in spec.field_codes}
    return WorkbookReading(values=values, problems=[])


def _layout_rows(spec: FormSpec) -> list[int]:
    return [1] + [coordinate_to_tuple(cell_address(spec, code))[0] for code in spec.field_codes]


def _xls_rows(data: bytes, nrows: int) -> list[list]:
    """The first `nrows` rows of the main sheet, padded from A1 so indexes are sheet positions."""
    try:
        with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
            name = SHEET_TITLE if SHEET_TITLE in book.sheet_names else book.sheet_names[0]
            return book.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=nrows)
    except python_calamine.PasswordError as e:
        raise WorkbookError(PASSWORD) from e
    except Exception as e:  # calamine reports malformed BIFF in many ways
        raise WorkbookError(CORRUPT) from e


def _at(rows: list[list], row: int, col: int) -> object:
    """The value at a 1-based position; calamine leaves out rows and columns past the last filled cell."""
    if row > len(rows) or col > len(rows[row - 1]):
        return None
    return rows[row - 1][col - 1]


# --- a plain table (one row per unit) -------------------------------------------------------


@dataclass
class SheetGrid:
    sheet: str
    rows: list[list]  # from A1; rows and columns past the last filled cell may be missing


def read_table_workbook(data: bytes, filename: str, *, max_rows: int, max_cols: int) -> SheetGrid:
    """The first sheet of an uploaded .xlsx/.xls as a grid of raw values, after the same checks as a form.

    For imports laid out as a table with a header row; the caller finds its columns by heading."""
    _check_upload(data, filename)
    if data.startswith(ZIP_MAGIC):
        _check_zip(data)
        wb = _open_xlsx(data, data_only=True)
        try:
            if wb._external_links:
                raise WorkbookError(EXTERNAL_LINKS)
            ws = next(iter(_worksheets(wb).values()), None)
            if ws is None:
                raise WorkbookError(CORRUPT)
            try:
                rows = [list(r) for r in ws.iter_rows(max_row=max_rows, max_col=max_cols, values_only=True)]
            except Exception as e:  # the sheet XML is parsed only now
                raise WorkbookError(CORRUPT) from e
            return SheetGrid(ws.title, [[_clean(v) for v in r] for r in rows])
        finally:
            wb.close()
    if data.startswith(OLE_MAGIC):
        try:
            with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
                name = book.sheet_names[0]
                rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=max_rows)
        except python_calamine.PasswordError as e:
            raise WorkbookError(PASSWORD) from e
        except Exception as e:  # calamine reports malformed BIFF in many ways
            raise WorkbookError(CORRUPT) from e
        return SheetGrid(name, [[_clean(v) for v in r[:max_cols]] for r in rows])
    raise WorkbookError(CORRUPT)

