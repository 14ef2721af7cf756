"""What an uploaded file really is, judged by its content and not its name, and how far it may be unpacked.

Every upload kind (PDF, .docx, .xlsx, .xls, text) passes `check_limits` before any parser sees it:
compressed members are inflated here as a stream, a bounded chunk at a time, so a small file that
claims or hides gigabytes is refused after reading at most the limit — never held in memory.
`run_limited` then parses in a child process with a memory and time ceiling, for what the cheap
checks cannot bound (a parser's own appetite).
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
ALLOWED_LABEL = ".docx、.pdf、.txt、扫描图片 .jpg/.png"
MiB = 1024 * 1024
_CHUNK = 1 * MiB
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
ZIP_MAGIC = b"PK\x03\x04"
PDF_MAGIC = b"%PDF-"
IMAGE_MAGICS = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}


class DocumentTypeError(ValueError):
    """The upload is refused; the message (Chinese) is shown to the user as it is."""


class LimitExceeded(DocumentTypeError):
    pass


@dataclass(frozen=True)
class Limits:
    """How far one kind of upload may unpack. Ratios are checked only on members past `ratio_from` bytes:
    real XML compresses 5–30 times, a bomb thousands of times."""

    max_bytes: int
    max_unzipped: int
    max_members: int = 10_000
    max_ratio: int = 200
    ratio_from: int = 4 * MiB
    member_caps: dict = field(default_factory=dict)  # member name → its own cap (e.g. shared strings)
    max_pages: int = 1000
    max_stream: int = 64 * MiB  # one inflated PDF stream (a page's content, an image, an object stream)
    max_seconds: float = 120.0  # parse time in `run_limited`
    max_memory: int = 768 * MiB  # extra address space a parse may take in `run_limited`


# One place for every kind's limits; the callers name the kind, not the numbers.
DOCUMENT = Limits(max_bytes=MAX_DOCUMENT_BYTES, max_unzipped=100 * MiB)
# Read while the user waits: a parse that takes longer than this is a hostile or broken file.
FORM_WORKBOOK = Limits(max_bytes=10 * MiB, max_unzipped=100 * MiB, max_seconds=30.0)
NOTICE_ATTACHMENT = Limits(max_bytes=MAX_DOCUMENT_BYTES, max_unzipped=200 * MiB)
# A million-row roster is a few hundred MB of sheet XML; the shared strings are what a reader holds in memory.
# Read by the background worker, a row at a time: a national county's roster may take minutes, not an hour.
ROSTER_WORKBOOK = Limits(max_bytes=200 * MiB, max_unzipped=1536 * MiB, max_ratio=100,
                         member_caps={"xl/sharedStrings.xml": 192 * MiB}, max_seconds=600.0)


# --- checks ------------------------------------------------------------------------------

def upload_size(upload) -> int:
    if isinstance(upload, (bytes, bytearray)):
        return len(upload)
    return upload.stat().st_size if isinstance(upload, Path) else upload.size


def read_upload(upload, limits: Limits, what: str = "文件") -> bytes:
    """The bytes of an upload — a Django UploadedFile from a page or the API, a file named on the command line,
    or bytes — refused past the kind's size before anything is read. Services call this, so the limit holds for
    every caller."""
    if upload_size(upload) > limits.max_bytes:
        raise LimitExceeded(f"{what}超过 {limits.max_bytes // MiB} MB，请检查是否选错了文件")
    if isinstance(upload, (bytes, bytearray)):
        return bytes(upload)
    return upload.read_bytes() if isinstance(upload, Path) else upload.read()


def check_limits(source: bytes | str | Path, limits: Limits) -> str:
    """The content kind ('zip', 'pdf', 'ole', 'other') after refusing what exceeds `limits`."""
    data = source if isinstance(source, bytes) else None
    path = None if data is not None else Path(source)
    size = len(data) if data is not None else path.stat().st_size
    if size > limits.max_bytes:
        raise LimitExceeded(f"文件超过 {limits.max_bytes // MiB} MB")
    if data is not None:
        head = data[:8]
    else:
        with path.open("rb") as f:
            head = f.read(8)
    if head.startswith(ZIP_MAGIC):
        with (io.BytesIO(data) if data is not None else path.open("rb")) as f:
            check_zip(f, limits)
        return "zip"
    if head.startswith(PDF_MAGIC):
        check_pdf(data if data is not None else path.read_bytes(), limits)
        return "pdf"
    # .xls and other OLE files are not compressed: what they hold is bounded by their size.
    return "ole" if head.startswith(OLE_MAGIC) else "other"


def check_spreadsheet(source: bytes | str | Path, limits: Limits = ROSTER_WORKBOOK) -> None:
    """For the roster reader (and any .xlsx/.xls reader): refuse a workbook that unpacks past `limits`."""
    check_limits(source, limits)


def check_zip(f, limits: Limits) -> None:
    try:
        archive = zipfile.ZipFile(f)
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise DocumentTypeError("文件已损坏，无法打开") from e
    with archive:
        if len(members) > limits.max_members:
            raise LimitExceeded("文件包含的部件过多，已拒绝处理（可能是恶意压缩文件）")
        if sum(m.file_size for m in members) > limits.max_unzipped:
            raise _too_big(limits.max_unzipped)
        total = 0
        for member in members:
            total += _inflated_size(archive, member, limits, limits.max_unzipped - total)


def _inflated_size(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: Limits, room: int) -> int:
    """Inflate one member as a stream and count; the declared sizes may lie, the stream cannot."""
    cap = min(room, limits.member_caps.get(member.filename, room))
    size = 0
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > cap:
                    raise _too_big(cap)
                if size > limits.ratio_from and size > limits.max_ratio * max(member.compress_size, 1):
                    raise LimitExceeded("文件的压缩比异常（可能是恶意压缩文件），已拒绝处理")
    except LimitExceeded:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError,
            zlib.error) as e:
        raise DocumentTypeError("文件已损坏，无法解压") from e
    return size


def _too_big(cap: int) -> LimitExceeded:
    return LimitExceeded(f"文件解压后的内容异常大（超过 {cap // MiB} MB），已拒绝处理")


_STREAM = re.compile(rb"stream\r?\n")
_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def check_pdf(data: bytes, limits: Limits) -> int:
    """The page count of a PDF, after inflating each deflated stream under a cap (a lying or huge stream
    is refused). Streams are found in the raw bytes, so object streams and broken cross-references are
    covered too."""
    pages = len(_PAGE.findall(data))
    if pages > limits.max_pages:
        raise LimitExceeded(f"PDF 超过 {limits.max_pages} 页，请拆分后上传")
    total = 0
    for match in _STREAM.finditer(data):
        inflated = _bounded_inflate(data, match.end(), limits.max_stream)
        total += inflated
        if total > limits.max_unzipped:
            raise _too_big(limits.max_unzipped)
    return pages


def _bounded_inflate(data: bytes, start: int, cap: int) -> int:
    """Bytes a zlib stream starting at `start` inflates to, refusing past `cap`; 0 when it is not zlib."""
    inflater = zlib.decompressobj()
    size, position = 0, start
    try:
        while position < len(data) and not inflater.eof:
            piece = data[position:position + 64 * 1024]
            position += len(piece)
            out = inflater.decompress(piece, _CHUNK)
            size += len(out)
            while inflater.unconsumed_tail and size <= cap:
                out = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
                size += len(out)
            if size > cap:
                raise LimitExceeded(f"PDF 中的内容解压后异常大（超过 {cap // MiB} MB），已拒绝处理")
    except zlib.error:
        return size  # not deflated (or damaged): the parser will say so
    return size


def pdf_pages(data: bytes) -> int:
    return len(_PAGE.findall(data))


# --- what a document is ------------------------------------------------------------------

def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False
    return "word/document.xml" in names and "[Content_Types].xml" in names


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def sniff_document_type(data: bytes, limits: Limits = DOCUMENT) -> str:
    """'pdf', 'docx', 'txt', or 'jpg' / 'png' for a scan; DocumentTypeError for anything else, whatever its name
    says, or past `limits` (a scan's pixels are limited where it is read, by the OCR)."""
    if not data:
        raise DocumentTypeError("文件是空的")
    if len(data) > limits.max_bytes:
        raise LimitExceeded(f"文件超过 {limits.max_bytes // MiB} MB")
    for magic, kind in IMAGE_MAGICS.items():
        if data.startswith(magic):
            return kind
    if data.startswith(ZIP_MAGIC) and not _is_docx(data):  # its directory alone says so, nothing inflated
        raise DocumentTypeError(f"文件不是 Word 文档（仅支持 {ALLOWED_LABEL}）")
    kind = check_limits(data, limits)
    if kind in ("pdf", "zip"):
        return "docx" if kind == "zip" else "pdf"
    if kind == "ole":
        raise DocumentTypeError("不支持旧版 .doc 格式，请另存为 .docx 或 .pdf 后上传")
    if _is_text(data):
        return "txt"
    raise DocumentTypeError(f"无法识别的文件类型（仅支持 {ALLOWED_LABEL}），请检查是否选错了文件")


ATTACHMENT_KINDS = {"pdf": "PDF", "docx": "Word", "txt": "文本", "xlsx": "Excel", "xls": "Excel"}
ATTACHMENT_LABEL = ".pdf、.docx、.xlsx、.xls、.txt"


def sniff_attachment_type(data: bytes, limits: Limits = NOTICE_ATTACHMENT) -> str:
    """A notice attachment: a document or a workbook (the notice's 附件 tables); nothing executable."""
    if not data:
        raise DocumentTypeError("附件是空的")
    kind = check_limits(data, limits)
    if kind == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return "xlsx"
    if kind == "ole":
        return "xls"  # an old Office file; its content is not unpacked
    try:
        return sniff_document_type(data, limits)
    except DocumentTypeError as e:
        raise DocumentTypeError(f"附件类型不受支持（仅支持 {ATTACHMENT_LABEL}）") from e


# --- parsing under a ceiling ---------------------------------------------------------------

class ParseLimitError(LimitExceeded):
    pass


def run_limited(function: str, data: bytes, *args, limits: Limits) -> object:
    """`function` ("package.module:name") applied to `data` and `args` in a child process whose memory and
    time are capped; its result must be JSON. Raises ParseLimitError past a limit, DocumentTypeError with
    the child's message when the function raised a ValueError (the parsers' refusal type)."""
    request = json.dumps({"function": function, "args": list(args), "memory": limits.max_memory}).encode()
    try:
        done = subprocess.run([sys.executable, "-m", "suiqian.lib.sandbox"],
                              input=len(request).to_bytes(8, "big") + request + data,
                              capture_output=True, timeout=limits.max_seconds, env=_child_env())
    except subprocess.TimeoutExpired as e:
        raise ParseLimitError(f"文件处理超过 {int(limits.max_seconds)} 秒，已停止（文件过大或结构异常）") from e
    try:
        answer = json.loads(done.stdout or b"{}")
    except ValueError:
        answer = {}
    if "result" in answer:
        return answer["result"]
    if answer.get("refused"):
        raise DocumentTypeError(answer["refused"])
    if answer.get("memory") or done.returncode < 0 or b"MemoryError" in done.stderr:
        raise ParseLimitError("文件处理所需内存超过上限，已停止（文件过大或结构异常）")
    raise RuntimeError(f"sandboxed parse failed: {done.stderr.decode(errors='replace')[-2000:]}")


def _child_env() -> dict:
    keep = ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "HOME")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env
