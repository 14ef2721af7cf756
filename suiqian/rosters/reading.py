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
import logging
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import polars as pl

from suiqian.lib.files import ROSTER_WORKBOOK, DocumentTypeError, check_spreadsheet

from .columns import COLUMNS, HEADER

BLOCK_BYTES = 2 << 20  # ~23,000 rows of a typical roster: two batches in flight keep an import near 260 MB
SHEET_BATCH_ROWS = 50_000
SNIFF_BYTES = 1 << 20
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
UTF8_BOM = codecs.BOM_UTF8
# Spreadsheets are read whole into memory (openpyxl needs to seek): these bound what a small
# file may inflate to. A million-row roster's sheet XML is about 250 MB.
MAX_SPREADSHEET_BYTES = 100 * 1024 * 1024
MAX_XLSX_UNZIPPED = 600 * 1024 * 1024
MAX_XLSX_SHARED_STRINGS = 150 * 1024 * 1024
MAX_XLSX_RATIO = 200

Opener = Callable[[], BinaryIO]


class Meter:
    """How far a reader has got: bytes of a CSV, rows of a sheet (`total` 0 when unknown)."""

    def __init__(self):
        self.done = 0
        self.total = 0

    @property
    def percent(self) -> int:
        return min(99, 100 * self.done // self.total) if self.total else 0


class RosterFileError(ValueError):
    """The file as a whole cannot be read as a roster (the message says why, in Chinese)."""


logger = logging.getLogger(__name__)


def kind_of(head: bytes) -> str:
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if head.startswith(XLS_MAGIC):
        return "xls"
    return "csv"


def file_kind(path: Path) -> str:
    with open(path, "rb") as f:
        return kind_of(f.read(8))


def read_batches(path: Path, opener: Opener | None = None, meter: Meter | None = None) -> Iterator[pl.DataFrame]:
    """Batches of rows as text, columns named as in `COLUMNS`, plus `row`: the row number Excel shows.

    `opener` gives a fresh binary stream of the file each time it is called (a sealed upload
    is opened through it); by default the file at `path` is opened as it is."""
    opener = opener or (lambda: open(path, "rb"))
    meter = meter or Meter()
    with opener() as f:
        kind = kind_of(f.read(8))
    if kind in ("xlsx", "xls"):
        data = _spreadsheet_bytes(opener, kind)
        try:
            check_spreadsheet(data, ROSTER_WORKBOOK)  # the shared decompression limits of every upload
        except DocumentTypeError as e:
            raise RosterFileError(str(e)) from e
        rows = _xlsx_rows(data, meter) if kind == "xlsx" else _xls_rows(data, meter)
        return _sheet_batches(within_parse_time(rows, ROSTER_WORKBOOK.max_seconds), meter)
    return _csv_batches(opener, meter)


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


UNBALANCED_QUOTES = ("CSV 文件中的引号不配对（某个字段以英文引号开头却没有结束引号），无法确定行的边界。"
                     "请检查文件，或用 Excel 另存为 CSV 后重新上传")


def last_record_end(data: bytes) -> int:
    """Where the last whole record of `data` ends: after the last line feed with an even number of
    quotes before it (a line feed inside a quoted field does not end a record); 0 if none.

    Linear in len(data): quotes are counted once, then subtracted line by line walking back
    (counting from the start again for every candidate line end was quadratic)."""
    cut = data.rfind(b"\n") + 1
    quotes = data.count(b'"', 0, cut)
    while cut and quotes % 2:
        previous = data.rfind(b"\n", 0, cut - 1) + 1
        quotes -= data.count(b'"', previous, cut)
        cut = previous
    return cut


def _blocks(f, size: int) -> Iterator[bytes]:
    """Blocks of whole lines. A cut inside a quoted field waits for the next line end, but a quoted
    field is never longer than a block: a stray quote is refused at once, not carried forward
    block after block (which held the rest of the file and rescanned it each time)."""
    rest = b""
    while block := f.read(size):
        data = rest + block
        cut = last_record_end(data)
        if cut == 0:
            if len(data) > size:
                raise RosterFileError(UNBALANCED_QUOTES)
            rest = data
            continue
        yield data[:cut]
        rest = data[cut:]
    if rest.count(b'"') % 2:
        raise RosterFileError(UNBALANCED_QUOTES)
    if rest.strip():
        yield rest + b"\n"


def _csv_batches(opener: Opener, meter: Meter) -> Iterator[pl.DataFrame]:
    with opener() as f:
        encoding = sniff_encoding(f.read(SNIFF_BYTES))
    with opener() as f:
        header_line = f.readline()
        if encoding == "utf-8":
            header_line = header_line.removeprefix(UTF8_BOM)
        header_text = _decode(header_line, encoding)
        names = column_names(next(iter(_csv_text_rows(header_text)), []))
        header_utf8 = ",".join(n or f"_unused_{i}" for i, n in enumerate(names)).encode() + b"\n"
        next_row = 2
        meter.done = len(header_line)
        for block in _blocks(f, BLOCK_BYTES):
            meter.done += len(block)
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
        # The parser's own words are English and about its internals: the log keeps them, the user gets what to do.
        logger.warning("roster CSV refused by the parser: %s", str(e).splitlines()[0][:200])
        raise RosterFileError("CSV 文件格式有误，无法解析：请检查分隔符、引号和每行的列数是否与表头一致，"
                              "或另存为 .xlsx 后上传") from e


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


def _spreadsheet_bytes(opener: Opener, kind: str) -> bytes:
    """The whole spreadsheet, after checking what it may inflate to."""
    with opener() as f:
        data = f.read(MAX_SPREADSHEET_BYTES + 1)
    if len(data) > MAX_SPREADSHEET_BYTES:
        raise RosterFileError(f"Excel 名册超过 {MAX_SPREADSHEET_BYTES >> 20} MB：请另存为 CSV 后上传，或按县区拆分")
    if kind == "xlsx":
        check_xlsx_inflation(data)
    return data


def check_xlsx_inflation(data: bytes) -> None:
    """Refuse an .xlsx whose parts inflate beyond what a roster needs (a zip bomb, or one huge
    shared string: openpyxl holds the shared strings in memory). zipfile never inflates a
    member past its declared size, so the declared sizes bound the real ones."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except zipfile.BadZipFile as e:
        raise RosterFileError("无法读取 Excel 文件（.xlsx），文件可能已损坏") from e
    too_big = "Excel 文件解压后的内容异常大（可能是压缩炸弹），已拒绝处理；请另存为 CSV 后上传"
    if sum(i.file_size for i in infos) > MAX_XLSX_UNZIPPED:
        raise RosterFileError(too_big)
    for info in infos:
        if info.filename.endswith("sharedStrings.xml") and info.file_size > MAX_XLSX_SHARED_STRINGS:
            raise RosterFileError(too_big)
        if info.file_size > (1 << 20) and info.file_size > MAX_XLSX_RATIO * max(info.compress_size, 1):
            raise RosterFileError(too_big)


def within_parse_time(rows: Iterator[list], seconds: float) -> Iterator[list]:
    """The rows, refused once reading them (opening the workbook included, the checks and writes between
    rows not) has taken longer than `seconds`: a workbook built to parse for hours stops the import."""
    rows = iter(rows)
    spent = 0.0
    while True:
        started = time.monotonic()
        try:
            row = next(rows)
        except StopIteration:
            return
        spent += time.monotonic() - started
        if spent > seconds:
            raise RosterFileError(f"读取 Excel 名册超过 {int(seconds // 60)} 分钟，已停止（文件过大或结构异常）；"
                                  "请另存为 CSV 后上传，或按县区拆分")
        yield row


def _xlsx_rows(data: bytes, meter: Meter) -> Iterator[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 — openpyxl raises many kinds for a damaged file
        raise RosterFileError("无法读取 Excel 文件（.xlsx），文件可能已损坏") from e
    try:
        sheet = workbook.worksheets[0]
        meter.total = sheet.max_row or 0  # from the sheet's dimension tag, when the writer set one
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def _xls_rows(data: bytes, meter: Meter) -> Iterator[list]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as e:  # noqa: BLE001
        raise RosterFileError("无法读取 Excel 文件（.xls），文件可能已损坏") from e
    meter.total = sheet.height
    yield from sheet.iter_rows()


def _sheet_batches(rows: Iterator[list], meter: Meter) -> Iterator[pl.DataFrame]:
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
            meter.done = next_row
            batch = {n: [] for _, n in used}
    if batch[used[0][1]]:
        yield _tidy(pl.DataFrame(batch, schema={n: pl.String for _, n in used}), next_row)
