"""Scanned 实施细则: read with Tesseract, then held to the same rules as text."""

import io

import pytest
from PIL import Image

from suiqian.policies import ocr
from suiqian.policies.checker import check_paragraphs
from suiqian.policies.extraction import NeedsRecognition, extract_paragraphs

from .scans import RULES, need_ocr, scanned_pdf, scanned_png


def codes(findings):
    return sorted({f.code for f in findings})


def test_a_stamped_scan_yields_the_findings_of_its_text():
    need_ocr()
    pages = ocr.recognize(scanned_pdf(RULES), "pdf")
    from_scan = check_paragraphs(ocr.paragraphs_of([p.to_dict() for p in pages]))
    from_text = check_paragraphs(RULES)
    assert codes(from_text)  # the text does break rules, so equality below says something
    assert codes(from_scan) == codes(from_text)


def test_a_photo_is_read_like_a_pdf_page():
    need_ocr()
    [page] = ocr.recognize(scanned_png(RULES[1:2]), "png")
    text = "".join(p.text for p in page.paragraphs)
    assert "计划生育证明" in text
    assert not page.low_quality
    # Every word knows where it stands on the page, for the review page's boxes.
    start, end, x0, y0, x1, y1, conf = page.paragraphs[0].words[0]
    assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height and 0 < conf <= 100


def test_a_scan_is_told_apart_from_a_document_with_text():
    need_ocr()
    with pytest.raises(NeedsRecognition):
        extract_paragraphs(scanned_pdf(RULES[:1], stamp=False), "扫描件.pdf")
    with pytest.raises(NeedsRecognition):
        extract_paragraphs(scanned_png(RULES[:1]), "照片.png")


def test_a_blurred_page_is_flagged_for_a_person_to_read():
    need_ocr()
    [image] = [Image.open(io.BytesIO(scanned_png(RULES)))]
    small = image.resize((image.width // 6, image.height // 6)).resize(image.size)
    page = ocr.recognize_page(small)
    assert page.low_quality


def test_the_fields_terms_are_mended_one_character_for_one():
    read = "家长须提供户籍地无人监护人明、超龄正明。居住证持有时间满两年,方可己请就读。人学条件:说明"
    mended = ocr.correct(read)
    assert mended == "家长须提供户籍地无人监护证明、超龄证明。居住证持有时间满两年，方可申请就读。入学条件：说明"
    assert len(mended) == len(read)  # word offsets stay valid


def test_too_many_pages_are_refused_before_any_is_read(monkeypatch):
    need_ocr()
    monkeypatch.setattr(ocr, "MAX_PAGES", 1)
    with pytest.raises(ocr.RecognitionError, match="超过自动识别的上限 1 页"):
        ocr.recognize(scanned_pdf(RULES * 20, stamp=False), "pdf")


def test_an_image_bomb_is_refused_from_its_header():
    # 9000 × 9000 pixels in a few kilobytes: decoded it would take 243 MB.
    out = io.BytesIO()
    Image.new("1", (9000, 9000), 1).save(out, format="PNG")
    assert len(out.getvalue()) < 100_000
    with pytest.raises(ocr.RecognitionError, match="超过上限"):
        ocr._photo(out.getvalue(), ocr.RENDER_LONG_SIDE)


def test_a_page_declared_huge_is_rendered_small():
    need_ocr()
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(14400, 14400))  # 5 m square, PDF's largest page
    c.showPage()
    c.save()
    [image] = list(ocr.page_images(out.getvalue(), "pdf"))
    assert max(image.size) <= ocr.RENDER_LONG_SIDE


def test_without_tesseract_it_says_so(monkeypatch):
    monkeypatch.setattr(ocr.shutil, "which", lambda name: None)
    assert not ocr.available()
    with pytest.raises(ocr.RecognitionUnavailable, match="未安装文字识别"):
        ocr.recognize(b"%PDF-1.4", "pdf")


def test_the_command_reads_a_scan_and_keeps_its_json_shape(tmp_path, capsys):
    need_ocr()
    import json

    from django.core.management import call_command

    scan = tmp_path / "扫描件.png"
    scan.write_bytes(scanned_png(RULES[1:2]))
    call_command("policy", "check", str(scan), "--format", "json")
    [report] = json.loads(capsys.readouterr().out)
    assert report["file"] == str(scan) and report["recognized"] is True
    assert {"FAMILY_PLANNING_PROOF", "NO_GUARDIAN_PROOF", "OVERAGE_PROOF"} <= {f["code"] for f in report["findings"]}
