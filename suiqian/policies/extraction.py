"""Paragraphs of an uploaded 实施细则: .docx, .pdf with a text layer, or plain text (UTF-8 or GBK).

The type is told by content, never by the file name. Blank paragraphs are dropped, so paragraph
i (numbered i + 1) is the i-th paragraph that has text — what a reader counts.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree

MAX_DOCX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_DOCX_ENTRIES = 10_000
DOCUMENT_XML = "word/document.xml"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
IMAGE_MAGICS = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Control characters other than tab, newline, carriage return and form feed mark binary data.
BINARY_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
PDF_UNMAPPED_GLYPH = re.compile(r"\(cid:\d+\)")
LINE_BREAKS = re.compile(r"\r\n|\r|\n|\f|\u2028|\u2029")


class ExtractionError(ValueError):
    """The file cannot be read as a 实施细则; the message (Chinese) is shown to the user."""


class NeedsRecognition(ExtractionError):
    """A scan: an image-only PDF or a photo, to be read by OCR (policies.ocr) before it can be checked."""


def extract_paragraphs(data: bytes, filename: str) -> list[str]:
    """The text paragraphs of `data`; ExtractionError if it is unreadable, corrupt or unsupported."""
    name = filename or "文件"
    if not data or not data.strip():
        raise ExtractionError(f"「{name}」是空文件。")
    if data[:1024].find(PDF_MAGIC) >= 0:
        paragraphs = _pdf_paragraphs(data, name)
    elif data.startswith(ZIP_MAGIC):
        paragraphs = _docx_paragraphs(data, name)
    elif data.startswith(IMAGE_MAGICS):
        raise NeedsRecognition(f"「{name}」是图片，需文字识别（OCR）后才能审查。")
    elif data.startswith(OLE2_MAGIC):
        raise ExtractionError(f"「{name}」是旧版 Word（.doc）或其他 Office 文件，请另存为 .docx 或 PDF 后再上传。")
    else:
        paragraphs = _text_paragraphs(data, name)
    if not paragraphs:
        raise ExtractionError(f"「{name}」中没有文字。")
    return paragraphs


# --- plain text --------------------------------------------------------------------------

def _text_paragraphs(data: bytes, name: str) -> list[str]:
    text = decode_text(data)
    if text is None:
        raise ExtractionError(f"无法识别「{name}」的格式：它不是 Word（.docx）、PDF，也不是 UTF-8 或 GBK 编码的文本文件。")
    return _non_blank(LINE_BREAKS.split(text))


def decode_text(data: bytes) -> str | None:
    """Text in UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030; None for binary data."""
    if data.startswith(UTF16_BOMS):
        candidates = [("utf-16", data)]
    elif data.startswith(UTF8_BOM):
        candidates = [("utf-8", data[len(UTF8_BOM):])]
    elif b"\x00" in data:
        return None
    else:
        # GB18030 is a superset of GBK that every GBK file also decodes in.
        candidates = [("utf-8", data), ("gb18030", data)]
    for encoding, payload in candidates:
        try:
            text = payload.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not BINARY_CONTROLS.search(text):
            return text
    return None


def _non_blank(lines) -> list[str]:
    return [line.rstrip() for line in lines if line.strip()]


# --- docx --------------------------------------------------------------------------------

def _docx_paragraphs(data: bytes, name: str) -> list[str]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ExtractionError(f"「{name}」已损坏，无法作为 Word 文档打开。") from e
    with archive:
        names = {entry.filename for entry in entries}
        if DOCUMENT_XML not in names:
            raise ExtractionError(f"「{name}」是压缩包而不是 Word（.docx）文档：其中没有 {DOCUMENT_XML}。")
        if len(entries) > MAX_DOCX_ENTRIES or sum(e.file_size for e in entries) > MAX_DOCX_UNCOMPRESSED:
            raise ExtractionError(f"「{name}」解压后超过 50 MB，已拒绝处理（可能是恶意压缩文件）。")
        try:
            # zipfile stops at the declared size and checks the CRC, so a lying header cannot
            # inflate past the limit checked above.
            xml = archive.read(DOCUMENT_XML)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError) as e:
            raise ExtractionError(f"「{name}」已损坏，无法读取正文。") from e
    return _document_xml_paragraphs(xml, name)


def _document_xml_paragraphs(xml: bytes, name: str) -> list[str]:
    # A Word document never has a DTD; refusing one rules out entity expansion attacks.
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise ExtractionError(f"「{name}」的正文含有不允许的 XML 声明，已拒绝处理。")
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as e:
        raise ExtractionError(f"「{name}」已损坏：正文不是有效的 XML。") from e
    body = root.find(f"{W}body")
    if body is None:
        raise ExtractionError(f"「{name}」已损坏：找不到正文。")
    paragraphs: list[str] = []
    _collect_paragraphs(body, paragraphs)
    return _non_blank(paragraphs)


def _collect_paragraphs(element, out: list[str]) -> None:
    """Paragraphs in document order, table cells included; a text box inside a paragraph comes
    out as its own paragraphs after the one holding it."""
    if element.tag == f"{W}p":
        nested: list[str] = []
        out.append("".join(_paragraph_text(element, nested)))
        out.extend(nested)
        return
    for child in element:
        _collect_paragraphs(child, out)


def _paragraph_text(element, nested: list[str]):
    for child in element:
        tag = child.tag
        if tag == f"{W}t":
            yield child.text or ""
        elif tag == f"{W}tab":
            yield "\t"
        elif tag in (f"{W}br", f"{W}cr"):
            yield "\n"
        elif tag == f"{W}p":
            _collect_paragraphs(child, nested)
        elif tag not in (f"{W}delText", f"{W}instrText"):
            yield from _paragraph_text(child, nested)


# --- pdf ---------------------------------------------------------------------------------

def _pdf_paragraphs(data: bytes, name: str) -> list[str]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    lines: list[PdfLine] = []
    try:
        for page in extract_pages(io.BytesIO(data), laparams=LAParams()):
            lines.extend(_page_lines(page))
    except (PDFPasswordIncorrect, PDFEncryptionError) as e:
        raise ExtractionError(f"「{name}」是加密的 PDF，请上传未加密的文件。") from e
    except Exception as e:  # noqa: BLE001 — a hostile or broken PDF can fail anywhere inside pdfminer
        raise ExtractionError(f"「{name}」已损坏，无法作为 PDF 读取。") from e
    mark_layout(lines)
    paragraphs = _non_blank(_join_paragraphs(lines))
    if not paragraphs:
        raise NeedsRecognition(f"「{name}」没有文字层（扫描件），需文字识别（OCR）后才能审查。")
    return paragraphs


class PdfLine:
    """One visual line of a page, with what paragraph joining needs to know about its position."""

    def __init__(self, text: str, x0: float, x1: float, top: float, height: float):
        self.text, self.x0, self.x1, self.top, self.height = text, x0, x1, top, height
        self.indented = False
        self.short = False  # ends well before the right margin: the last line of a paragraph


def _page_lines(page) -> list[PdfLine]:
    """The page's text lines top to bottom; pieces on one baseline become one line."""
    from pdfminer.layout import LTTextBox

    pieces = []
    for box in page:
        if isinstance(box, LTTextBox):
            for line in box:
                text = PDF_UNMAPPED_GLYPH.sub("", line.get_text()).strip()
                if text:
                    pieces.append(PdfLine(text, line.x0, line.x1, line.y1, max(line.height, 1.0)))
    pieces.sort(key=lambda p: (-p.top, p.x0))
    lines: list[PdfLine] = []
    for piece in pieces:
        last = lines[-1] if lines else None
        if last and abs(last.top - piece.top) < piece.height / 2:
            gap = " " if piece.x0 - last.x1 > piece.height / 2 else ""
            last.text, last.x1 = last.text + gap + piece.text, piece.x1
        else:
            lines.append(piece)
    return lines


def mark_layout(lines: list[PdfLine]) -> None:
    """Indented and short lines, against the text margins of the whole document (a last page of
    short lines alone would show no right margin)."""
    if not lines:
        return
    left, right = min(line.x0 for line in lines), max(line.x1 for line in lines)
    for line in lines:
        # Chinese glyphs are about as wide as the font is high: 首行缩进 is two of them.
        line.indented = line.x0 - left > line.height
        line.short = right - line.x1 > 1.5 * line.height


def _join_paragraphs(lines: list[PdfLine]) -> list[str]:
    """A line starts a paragraph when it is indented or the line before it stopped short;
    otherwise it continues the paragraph, across a page break too."""
    paragraphs: list[str] = []
    previous = None
    for line in lines:
        if previous is None or line.indented or previous.short:
            paragraphs.append(line.text)
        else:
            paragraphs[-1] = _join_lines(paragraphs[-1], line.text)
        previous = line
    return paragraphs


def _join_lines(before: str, after: str) -> str:
    """Wrapped Chinese lines join without a space; wrapped Latin words need one."""
    if before and before[-1].isascii() and before[-1].isalnum() and after[0].isascii() and after[0].isalnum():
        return f"{before} {after}"
    return before + after
