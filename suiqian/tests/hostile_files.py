"""Hostile files, made on the spot: for the tests that refuse them and for `make bench`, which times it.

Each is small on disk and huge once unpacked; they are written as streams, so making them needs no memory.
"""

from __future__ import annotations

import io
import zipfile
import zlib

GiB = 1024 ** 3
_ZEROS = b"\0" * (1024 * 1024)


def deflated(total: int, filler: bytes = _ZEROS) -> bytes:
    """zlib data that inflates to `total` bytes of `filler`."""
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(filler) for _ in range(total // len(filler))]
    return b"".join(parts) + compressor.flush()


def pdf_bomb(inflated: int = GiB) -> bytes:
    """A one-page PDF whose content stream inflates to `inflated` bytes (about 1 MB on disk for 1 GiB)."""
    stream = deflated(inflated)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _zip_with(name: str, head: bytes, filler: bytes, size: int, extra: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for member, content in extra.items():
            z.writestr(member, content)
        with z.open(name, "w", force_zip64=True) as member:
            member.write(head)
            for _ in range(size // len(filler)):
                member.write(filler)
    return buf.getvalue()


CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                 b'package/2006/content-types"></Types>')


def docx_bomb(inflated: int = GiB) -> bytes:
    """A .docx whose document.xml inflates to `inflated` bytes."""
    return _zip_with("word/document.xml", b"<w:document>", b" " * (1024 * 1024), inflated,
                     {"[Content_Types].xml": CONTENT_TYPES})


def xlsx_shared_string_bomb(inflated: int = 4 * GiB) -> bytes:
    """A roster .xlsx with one shared string of `inflated` bytes (about 700 KB on disk per GiB... less)."""
    return _zip_with("xl/sharedStrings.xml", b'<sst><si><t>', b"A" * (1024 * 1024), inflated,
                     {"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": b"<workbook/>"})


def long_pdf(pages: int, paragraph: str = "") -> bytes:
    """A real text PDF of `pages` pages of Chinese policy text (reportlab's built-in CJK font)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    text = paragraph or "随迁子女入学须提供居住证，居住证持有时间不少于三年，并提供社保缴纳证明。"
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for page in range(pages):
        c.setFont("STSong-Light", 11)
        for paragraph in range(15):  # an indented first line and a short last line: one paragraph each
            c.drawString(82, 780 - paragraph * 48, f"{page + 1}-{paragraph + 1} {text}")
            c.drawString(60, 756 - paragraph * 48, "以上为本条规定。")
        c.showPage()
    c.save()
    return out.getvalue()
