import io
import zipfile

import pytest

from suiqian.policies.extraction import MAX_DOCX_UNCOMPRESSED, ExtractionError, NeedsRecognition, extract_paragraphs
from suiqian.policies.tests.documents import make_docx, make_pdf, make_scanned_pdf

TEXT = "第一条 随迁子女入学须提供计划生育证明。\n\n第二条 父母一方持有居住证且居住满半年。\n"
PARAGRAPHS = ["第一条 随迁子女入学须提供计划生育证明。", "第二条 父母一方持有居住证且居住满半年。"]


@pytest.mark.parametrize("encoded", [
    TEXT.encode("utf-8"),
    b"\xef\xbb\xbf" + TEXT.encode("utf-8"),
    TEXT.encode("gbk"),
    TEXT.replace("\n", "\r\n").encode("gbk"),
    TEXT.encode("utf-16"),
], ids=["utf-8", "utf-8-bom", "gbk", "gbk-crlf", "utf-16-bom"])
def test_it_reads_text_in_utf8_or_gbk_blank_lines_dropped(encoded):
    assert extract_paragraphs(encoded, "细则.txt") == PARAGRAPHS


def test_it_does_not_mistake_gbk_for_utf8():
    gbk = "不得要求提供户籍地无人监护证明".encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")
    assert extract_paragraphs(gbk, "a.txt") == ["不得要求提供户籍地无人监护证明"]


def test_it_numbers_docx_paragraphs_skipping_blank_ones_and_keeping_table_cells():
    data = make_docx(["第一段：总则。", "第二段：入学条件。"], blank_between=True, table_rows=["表中一段：报名材料。"])
    assert extract_paragraphs(data, "细则.docx") == ["第一段：总则。", "第二段：入学条件。", "表中一段：报名材料。"]


def test_it_reads_the_text_layer_of_a_chinese_pdf_joining_wrapped_lines():
    paragraphs = [
        "第一条 为做好进城务工人员随迁子女接受义务教育工作，根据国家和省有关规定，结合我县实际，制定本细则。",
        "第二条 父母一方持有居住证且居住满半年。",
    ]
    assert extract_paragraphs(make_pdf(paragraphs), "细则.pdf") == paragraphs


def test_it_continues_a_pdf_paragraph_across_a_page_break():
    paragraphs = ["短段落。"] * 44 + ["长" * 200, "末段。"]
    assert extract_paragraphs(make_pdf(paragraphs), "细则.pdf") == paragraphs


def test_it_detects_the_type_by_content_not_by_name():
    assert extract_paragraphs(make_pdf(["持有居住证。"]), "细则.txt") == ["持有居住证。"]
    assert extract_paragraphs(make_docx(["持有居住证。"]), "细则.pdf") == ["持有居住证。"]


def test_it_hands_a_scanned_pdf_without_text_layer_to_ocr():
    with pytest.raises(NeedsRecognition, match=r"没有文字层（扫描件），需文字识别"):
        extract_paragraphs(make_scanned_pdf(), "扫描件.pdf")


def test_it_refuses_an_exe_renamed_docx():
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(range(256)) * 4
    with pytest.raises(ExtractionError, match="无法识别「setup.docx」的格式"):
        extract_paragraphs(exe, "setup.docx")


def test_it_refuses_a_corrupt_docx():
    data = make_docx(["第一段。"])
    with pytest.raises(ExtractionError, match="已损坏"):
        extract_paragraphs(data[: len(data) // 2], "坏.docx")


def test_it_refuses_a_zip_that_is_not_a_word_document():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ExtractionError, match="没有 word/document.xml"):
        extract_paragraphs(buffer.getvalue(), "a.docx")


def test_it_refuses_a_docx_that_inflates_past_the_limit():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/media/padding.bin", b"\0" * (MAX_DOCX_UNCOMPRESSED + 1))
    assert len(buffer.getvalue()) < 1_000_000  # small on disk, huge once inflated
    with pytest.raises(ExtractionError, match="超过 50 MB"):
        extract_paragraphs(buffer.getvalue(), "炸弹.docx")


def test_it_refuses_a_docx_with_a_dtd():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", '<!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>')
    with pytest.raises(ExtractionError, match="不允许的 XML 声明"):
        extract_paragraphs(buffer.getvalue(), "a.docx")


@pytest.mark.parametrize("data, message", [
    (b"", "空文件"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "旧版 Word"),
    (b"%PDF-1.4\n garbage", "无法作为 PDF 读取"),
])
def test_it_explains_other_unreadable_files(data, message):
    with pytest.raises(ExtractionError, match=message):
        extract_paragraphs(data, "x")
