"""Hostile files through the real upload pages: each gets a clear Chinese message and nothing is saved."""

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import load_workbook

from suiqian.notices.models import DocumentSubmission
from suiqian.reporting.excel import render_form_workbook
from suiqian.reporting.models import DataValue, Report

FORM_IMPORT = "/forms/summary-2021/140525/import"


def upload(name, data):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def template_bytes(form, edit=None):
    wb = load_workbook(io.BytesIO(render_form_workbook(form.parsed)))
    if edit:
        edit(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def import_form(client, user, name, data):
    client.force_login(user)
    response = client.post(FORM_IMPORT, {"file": upload(name, data)}, follow=True)
    return response.content.decode()


def assert_nothing_saved():
    assert not DataValue.objects.exists() and not Report.objects.exists()


def test_a_truncated_xlsx(client, summary_form, county_user):
    data = template_bytes(summary_form)
    assert "文件已损坏或不是 Excel 文件" in import_form(client, county_user, "汇总表.xlsx", data[: len(data) // 2])
    assert_nothing_saved()


def test_a_zip_bomb_named_xlsx(client, summary_form, county_user):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(200):
                member.write(chunk)
    body = import_form(client, county_user, "汇总表.xlsx", buf.getvalue())
    assert "解压后的内容异常大" in body
    assert_nothing_saved()


def test_an_xlsx_with_formulas_but_no_results(client, summary_form, county_user):
    def formulas(wb):
        ws = wb.active
        for name in ("gaokao_applicants", "zhongkao_applicants"):
            sheet, ref = next(iter(wb.defined_names[name].destinations))
            ws[ref.replace("$", "")] = "=1+1"
    body = import_form(client, county_user, "汇总表.xlsx", template_bytes(summary_form, formulas))
    assert "公式没有计算结果，请直接填写数字" in body
    assert_nothing_saved()


def test_an_xlsx_with_an_external_link(client, summary_form, county_user):
    data = template_bytes(summary_form)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                content = content.replace(b"</Types>", b'<Override PartName="/xl/externalLinks/externalLink1.xml" '
                                          b'ContentType="application/vnd.openxmlformats-officedocument.'
                                          b'spreadsheetml.externalLink+xml"/></Types>')
            if item.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(b"</Relationships>", b'<Relationship Id="rIdX" Type="http://schemas.'
                                          b'openxmlformats.org/officeDocument/2006/relationships/externalLink" '
                                          b'Target="externalLinks/externalLink1.xml"/></Relationships>')
            if item.filename == "xl/workbook.xml":
                content = content.replace(b"</workbook>", b'<externalReferences><externalReference '
                                          b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                                          b'relationships" r:id="rIdX"/></externalReferences></workbook>')
            z.writestr(item, content)
        z.writestr("xl/externalLinks/externalLink1.xml",
                   '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                   '<externalBook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
                   'r:id="rId1"><sheetNames><sheetName val="x"/></sheetNames></externalBook></externalLink>')
        z.writestr("xl/externalLinks/_rels/externalLink1.xml.rels",
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   'relationships/externalLinkPath" Target="file:///C:/secret.xlsx" TargetMode="External"/>'
                   '</Relationships>')
    body = import_form(client, county_user, "汇总表.xlsx", out.getvalue())
    assert "外部链接" in body
    assert_nothing_saved()


def test_an_exe_renamed_xlsx(client, summary_form, county_user):
    body = import_form(client, county_user, "汇总表.xlsx", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(4096))
    assert "文件已损坏或不是 Excel 文件" in body
    assert_nothing_saved()


def test_a_file_over_10_mb(client, summary_form, county_user):
    body = import_form(client, county_user, "汇总表.xlsx", b"PK\x03\x04" + bytes(10 * 1024 * 1024 + 10))
    assert "超过 10 MB" in body
    assert_nothing_saved()


def test_full_width_digits_and_thousands_in_a_real_file_are_read(client, summary_form, county_user):
    from suiqian.conftest import county_values

    def fill(wb):
        ws = wb.active
        for code, value in county_values().items():
            sheet, ref = next(iter(wb.defined_names[code].destinations))
            ws[ref.replace("$", "")] = value
        sheet, ref = next(iter(wb.defined_names["migrant_children_total"].destinations))
        ws[ref.replace("$", "")] = "１,０００"
    body = import_form(client, county_user, "汇总表.xlsx", template_bytes(summary_form, fill))
    assert "导入并保存为草稿" in body
    assert Report.objects.get().value_map()["migrant_children_total"] == 1000


@pytest.fixture
def rules_url(seeded_notices):
    rules = seeded_notices["晋市教基函字(2021)25号"].requirements.get(document_type="enrollment_rules")
    return f"/requirements/{rules.pk}/140525/upload"


@pytest.mark.parametrize("name, data, message", [
    ("实施细则.docx", b"MZ\x90\x00\x03" + bytes(2048), "无法识别的文件类型"),
    ("实施细则.docx", b"PK\x03\x04" + bytes(100), "不是 Word 文档"),
    ("实施细则.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "不支持旧版 .doc 格式"),
    ("实施细则.txt", b"", "文件是空的"),
])
def test_a_hostile_document(client, rules_url, county_user, name, data, message):
    client.force_login(county_user)
    body = client.post(rules_url, {"file": upload(name, data)}, follow=True).content.decode()
    assert message in body
    assert not DocumentSubmission.objects.exists()


def test_a_gbk_text_document_is_accepted_and_read(client, rules_url, county_user):
    client.force_login(county_user)
    text = "第一条 须提供计划生育证明。".encode("gbk")
    client.post(rules_url, {"file": upload("细则.txt", text)})
    submission = DocumentSubmission.objects.get()
    assert submission.content_type == "txt" and submission.findings[0]["code"] == "FAMILY_PLANNING_PROOF"


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@"])
def test_exports_neutralise_cells_that_spreadsheets_would_run(seeded_notices, capsys, prefix):
    from suiqian.notices.models import Requirement

    Requirement.objects.filter(document_type="work_summary").update(title=prefix + "HYPERLINK(\"http://x\")")
    call_command("notices", "status", "--wenhao", "晋教基函〔2021〕24号", "--format", "csv")
    cells = [row[2] for row in csv.reader(io.StringIO(capsys.readouterr().out))]
    hostile = [c for c in cells if "HYPERLINK" in c]
    assert hostile and all(c.startswith("'" + prefix) for c in hostile)


def roster_upload(client, user, name, data):
    """Upload on the page, let the worker run the import, and read the job's page."""
    from suiqian.conftest import run_pending_tasks

    client.force_login(user)
    response = client.post("/rosters/140525/import", {"term": "2021-fall", "on_error": "stop",
                                                      "file": upload(name, data)})
    run_pending_tasks()
    return client.get(response["Location"]).content.decode()


def test_a_roster_with_a_stray_quote_before_many_short_lines_is_refused_at_once(client, county_user):
    """A quote opened and never closed used to make every line end a candidate cut, each counted from the start."""
    import time

    from suiqian.rosters.columns import HEADER
    from suiqian.rosters.models import RosterEntry

    body = ",".join(HEADER) + '\n"' + "1\n" * 300_000
    started = time.process_time()
    page = roster_upload(client, county_user, "名册.csv", body.encode())
    assert time.process_time() - started < 5
    assert "引号不配对" in page and "未导入" in page
    assert not RosterEntry.objects.exists()


def test_a_roster_xlsx_with_one_huge_shared_string_is_refused_before_it_is_parsed(client, county_user):
    from suiqian.rosters.models import RosterEntry

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            member.write(b'<sst><si><t>')
            for _ in range(200):
                member.write(b"A" * (1024 * 1024))
            member.write(b"</t></si></sst>")
    page = roster_upload(client, county_user, "名册.xlsx", buf.getvalue())
    assert "解压后的内容异常大" in page
    assert not RosterEntry.objects.exists()


def test_a_roster_line_of_100000_columns(client, county_user):
    from suiqian.rosters.columns import HEADER
    from suiqian.rosters.models import RosterEntry

    header = ",".join(HEADER) if isinstance(HEADER, (list, tuple)) else HEADER
    wide = header + "\n" + ",".join(["1"] * 100_000) + "\n"
    body = roster_upload(client, county_user, "名册.csv", wide.encode("utf-8"))
    assert "发现 1 行有错误" in body and "未导入任何数据" in body and "身份证号应为 18 位" in body
    assert not RosterEntry.objects.exists()


def test_a_roster_header_of_100000_columns(client, county_user):
    from suiqian.rosters.models import RosterEntry

    body = roster_upload(client, county_user, "名册.csv", (",".join(f"c{i}" for i in range(100_000)) + "\n").encode())
    assert "表头缺少列：身份证号、姓名" in body
    assert not RosterEntry.objects.exists()
