"""Reading a roster file in batches, whatever its format, never holding the whole file.

CSV (UTF-8 with or without BOM, or GBK/GB18030, as Excel and 学籍系统 export it) is cut
into blocks at line ends and each block parsed by polars; a GBK block is re-encoded to
UTF-8 on the way, which is safe because a GBK trail byte is never a line feed. .xlsx is
streamed by openpyxl's read-only reader; .xls (at most 65,536 rows by its format) by
calamine. The format is judged by the content, not the file name.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from suiqian.lib.files import ROSTER_WORKBOOK, DocumentTypeError, check_spreadsheet

from .columns import COLUMNS, HEADER

BLOCK_BYTES = 8 << 20  # ~90,000 rows of a typical roster
SHEET_BATCH_ROWS = 50_000
SNIFF_BYTES = 1 << 20
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
UTF8_BOM = codecs.BOM_UTF8


class RosterFileError(ValueError):
    """The file as a whole cannot be read as a roster (the message says why, in Chinese)."""


def file_kind(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if head.startswith(XLS_MAGIC):
        return "xls"
    return "csv"


def read_batches(path: Path) -> Iterator[pl.DataFrame]:
    """Batches of rows as text, columns named as in `COLUMNS`, plus `row`: the row number Excel shows."""
    kind = file_kind(path)
    if kind in ("xlsx", "xls"):
        try:
            check_spreadsheet(path, ROSTER_WORKBOOK)  # the shared decompression limits of every upload
        except DocumentTypeError as e:
            raise RosterFileError(str(e)) from e
    if kind == "xlsx":
        return _sheet_batches(_xlsx_rows(path))
    if kind == "xls":
        return _sheet_batches(_xls_rows(path))
    return _csv_batches(path)


# --- header --------------------------------------------------------------------------------

def column_names(header: list) -> list[str]:
    """Internal names for the header's columns (None for columns the roster does not use)."""
    titles = [("" if h is None else str(h)).replace("\ufeff", "").strip() for h in header]
    missing = [h for h in HEADER if h not in titles]
    if missing:
        raise RosterFileError(f"表头缺少列：{'、'.join(missing)}。表头应为：{','.join(HEADER)}（顺序不限）")
    repeated = sorted({h for h in titles if h in COLUMNS and titles.count(h) > 1})
    if repeated:
        raise RosterFileError(f"表头中的列重复：{'、'.join(repeated)}")
    return [COLUMNS.get(t) for t in titles]


def _tidy(df: pl.DataFrame, first_row: int, *, strip: bool = True) -> pl.DataFrame:
    """Keep the roster's columns, trim spaces, drop blank lines, number the rows."""
    df = df.with_row_index("row", offset=first_row).with_columns(pl.col("row").cast(pl.Int64))
    names = list(COLUMNS.values())
    columns = [pl.col(n).cast(pl.String) for n in names]
    df = df.select("row", *[c.str.strip_chars() for c in columns] if strip else columns)
    return df.filter(~pl.all_horizontal(pl.col(n).is_null() | (pl.col(n) == "") for n in names))


# --- CSV -----------------------------------------------------------------------------------

def sniff_encoding(head: bytes) -> str:
    if head.startswith(UTF8_BOM):
        return "utf-8"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"  # a superset of GBK and GB2312
    return "utf-8"


def _blocks(f, size: int) -> Iterator[bytes]:
    """Blocks of whole lines. A cut inside a quoted field (odd number of quotes) waits for the next line end."""
    rest = b""
    while block := f.read(size):
        data = rest + block
        cut = data.rfind(b"\n") + 1
        while cut and data.count(b'"', 0, cut) % 2:
            cut = data.rfind(b"\n", 0, cut - 1) + 1
        if cut == 0:
            rest = data
            continue
        yield data[:cut]
        rest = data[cut:]
    if rest.strip():
        yield rest + b"\n"


def _csv_batches(path: Path) -> Iterator[pl.DataFrame]:
    with open(path, "rb") as f:
        encoding = sniff_encoding(f.read(SNIFF_BYTES))
        f.seek(0)
        header_line = f.readline()
        if encoding == "utf-8":
            header_line = header_line.removeprefix(UTF8_BOM)
        header_text = _decode(header_line, encoding)
        names = column_names(next(iter(_csv_text_rows(header_text)), []))
        header_utf8 = ",".join(n or f"_unused_{i}" for i, n in enumerate(names)).encode() + b"\n"
        next_row = 2
        for block in _blocks(f, BLOCK_BYTES):
            body = block if encoding == "utf-8" else _decode(block, encoding).encode()
            df = _parse_block(header_utf8 + body, len(names))
            yield _tidy(df, next_row, strip=has_padding(body))
            next_row += df.height


# Spaces that may pad a value: ASCII space and tab (found by memchr) and the ideographic space.
_PADDING = (b" ", b"\t", "\u3000".encode())


def has_padding(block: bytes) -> bool:
    """Whether any value of the block may need trimming. Machine-written files have none, and
    trimming a million rows' nine columns costs half a second where this search costs a tenth."""
    return any(p in block for p in _PADDING)


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        raise RosterFileError("文件编码无法识别：请另存为 UTF-8 或 GBK 编码的 CSV 文件") from e


def _csv_text_rows(text: str) -> Iterator[list[str]]:
    import csv

    return csv.reader(io.StringIO(text))


def _parse_block(data: bytes, n_columns: int) -> pl.DataFrame:
    try:
        return pl.read_csv(io.BytesIO(data), infer_schema=False, has_header=True, truncate_ragged_lines=True,
                           raise_if_empty=False)
    except pl.exceptions.ComputeError as e:
        if "utf-8" in str(e).lower() or "utf8" in str(e).lower():
            raise RosterFileError("文件编码无法识别：请另存为 UTF-8 或 GBK 编码的 CSV 文件") from e
        raise RosterFileError(f"CSV 文件格式有误，无法解析：{str(e).splitlines()[0][:200]}") from e


# --- spreadsheets --------------------------------------------------------------------------

def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(path: Path) -> Iterator[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 — openpyxl raises many kinds for a damaged file
        raise RosterFileError("无法读取 Excel 文件（.xlsx），文件可能已损坏") from e
    try:
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()


def _xls_rows(path: Path) -> Iterator[list]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as e:  # noqa: BLE001
        raise RosterFileError("无法读取 Excel 文件（.xls），文件可能已损坏") from e
    yield from sheet.iter_rows()


def _sheet_batches(rows: Iterator[list]) -> Iterator[pl.DataFrame]:
    rows = iter(rows)
    header_row = 1
    for header in rows:
        if any(v not in (None, "") for v in header):
            break
        header_row += 1
    else:
        raise RosterFileError("文件是空的：没有表头")
    names = column_names(list(header))
    used = [(i, n) for i, n in enumerate(names) if n]
    batch: dict[str, list] = {n: [] for _, n in used}
    next_row = header_row + 1
    for row in rows:
        for i, name in used:
            batch[name].append(_cell_text(row[i]) if i < len(row) else None)
        if len(batch[used[0][1]]) >= SHEET_BATCH_ROWS:
            yield _tidy(pl.DataFrame(batch, schema={n: pl.String for _, n in used}), next_row)
            next_row += SHEET_BATCH_ROWS
            batch = {n: [] for _, n in used}
    if batch[used[0][1]]:
        yield _tidy(pl.DataFrame(batch, schema={n: pl.String for _, n in used}), next_row)
