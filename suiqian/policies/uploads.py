"""A 实施细则 checked on its own, outside any submission (the API's policy check): the same limits as a county's
upload, and the same child process as the worker's, so a hostile or 400-page file cannot hold the server."""

from __future__ import annotations

from suiqian.lib.files import DOCUMENT, DocumentTypeError, check_limits, read_upload, run_limited

from .checker import check_paragraphs
from .extraction import ExtractionError

MAX_TEXT_CHARS = 200_000


def check_upload(upload, filename: str) -> dict:
    """{"paragraphs": n, "findings": [...]} for an uploaded document; ExtractionError (Chinese) if refused."""
    try:
        data = read_upload(upload, DOCUMENT)
        check_limits(data, DOCUMENT)
        checked = run_limited("suiqian.policies.checker:check_document", data, filename, limits=DOCUMENT)
    except DocumentTypeError as e:
        raise ExtractionError(str(e)) from e
    if checked.get("needs_recognition"):
        raise ExtractionError("这是扫描件（没有文字层）：请在报送页面上传，由后台文字识别后审查")
    return {"paragraphs": len(checked["paragraphs"]), "findings": checked["findings"]}


def check_text(text: str) -> dict:
    """The same for text given directly, one paragraph a line."""
    text = (text or "").strip()
    if not text:
        raise ExtractionError("请上传文件或填写正文")
    if len(text) > MAX_TEXT_CHARS:
        raise ExtractionError("正文过长（不超过 20 万字）")
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    return {"paragraphs": len(paragraphs), "findings": [f.to_dict() for f in check_paragraphs(paragraphs)]}
