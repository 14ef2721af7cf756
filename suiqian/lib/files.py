"""What an uploaded document really is, judged by its content and not its name."""

from __future__ import annotations

import io
import zipfile

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_DOCX_UNZIPPED = 100 * 1024 * 1024
ALLOWED_LABEL = ".docx、.pdf、.txt、扫描图片 .jpg/.png"


class DocumentTypeError(ValueError):
    pass


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            if sum(i.file_size for i in z.infolist()) > MAX_DOCX_UNZIPPED:
                raise DocumentTypeError("文件解压后的内容异常大，已拒绝处理")
            return "word/document.xml" in names and "[Content_Types].xml" in names
    except zipfile.BadZipFile:
        return False


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


def sniff_document_type(data: bytes) -> str:
    """'pdf', 'docx', 'txt', or 'jpg' / 'png' for a scan; DocumentTypeError for anything else, whatever its name says."""
    if not data:
        raise DocumentTypeError("文件是空的")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentTypeError("文件超过 20 MB")
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"PK\x03\x04"):
        if _is_docx(data):
            return "docx"
        raise DocumentTypeError(f"文件不是 Word 文档（仅支持 {ALLOWED_LABEL}）")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DocumentTypeError("不支持旧版 .doc 格式，请另存为 .docx 或 .pdf 后上传")
    if _is_text(data):
        return "txt"
    raise DocumentTypeError(f"无法识别的文件类型（仅支持 {ALLOWED_LABEL}），请检查是否选错了文件")
