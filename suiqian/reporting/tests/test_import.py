"""Excel both ways through the engine: export → import is lossless; a bad file saves nothing."""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from suiqian.accounts.scope import Scope
from suiqian.conftest import county_values
from suiqian.divisions.models import Division
from suiqian.reporting import services
from suiqian.reporting.excel import render_form_workbook
from suiqian.reporting.models import Report


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


def filled_template(form, values: dict) -> bytes:
    """A user's file: the downloaded template, typed into the named input cells."""
    wb = load_workbook(io.BytesIO(render_form_workbook(form.parsed)))
    for code, value in values.items():
        sheet, ref = next(iter(wb.defined_names[code].destinations))
        wb[sheet][ref.replace("$", "")].value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_export_then_import_gives_identical_values(summary_form, county_user, tmp_path):
    services.save_values(Scope.of(county_user), county_user, summary_form, unit("140525"), county_values(3))
    path = tmp_path / "zezhou.xlsx"
    call_command("form", "export", "--form", "summary-2021", "--unit", "140525", "--year", "2021", "-o", str(path))
    call_command("form", "import", "--form", "summary-2021", "--unit", "140521", "--year", "2021", str(path))
    original = Report.objects.get(unit__code="140525").value_map()
    imported = Report.objects.get(unit__code="140521").value_map()
    assert imported == original and len(imported) == 16
    assert Report.objects.get(unit__code="140521").events.get().action == "import"


def test_a_file_with_five_mistakes_reports_all_five_and_saves_nothing(summary_form, county_user, tmp_path, capsys):
    values = {k: int(v) for k, v in county_values().items()}
    values.update({
        "gaokao_applicants": -3,                       # negative
        "zhongkao_applicants": 70.5,                   # decimal
        "new_places_primary": "一百二十",               # text
        "public_school_total": 801,                    # 小学 + 初中 ≠ 合计
        "migrant_worker_children_total": 1001,         # more migrant workers' children than migrant children
    })
    path = tmp_path / "hand-made.xlsx"
    path.write_bytes(filled_template(summary_form, values))
    with pytest.raises(CommandError, match="未保存任何数据"):
        call_command("form", "import", "--form", "summary-2021", "--unit", "140525", str(path))
    lines = capsys.readouterr().err.strip().splitlines()
    # Each problem names its item as the paper does, never by its field code.
    label_of = {f.label: f.code for f in summary_form.parsed.fields}
    by_field = {label_of[line.split("\t")[1]]: line for line in lines}
    assert by_field["gaokao_applicants"].startswith("汇总表!") and "不能是负数" in by_field["gaokao_applicants"]
    assert "不能是小数" in by_field["zhongkao_applicants"]
    assert "不是数字" in by_field["new_places_primary"]
    assert "小学 + 初中 应等于 合计" in by_field["public_school_total"]
    assert "不能大于随迁子女总数" in by_field["migrant_worker_children_total"]
    assert not Report.objects.exists()


def test_problems_name_the_cell_of_the_official_layout(summary_form, county_user):
    data = filled_template(summary_form, {"gaokao_applicants": -1})
    with pytest.raises(services.ImportFailed) as e:
        services.import_workbook(Scope.of(county_user), county_user, summary_form, unit("140525"), data, "a.xlsx")
    assert [(p.sheet, p.cell, p.field) for p in e.value.problems] == [("汇总表", "F12", "gaokao_applicants")]
    assert e.value.problems[0].item == "随迁子女在流入地参加高考报名人数"


def test_an_approved_form_refuses_an_import(summary_form, county_user, city_user):
    scope = Scope.of(county_user)
    report = services.save_values(scope, county_user, summary_form, unit("140525"), county_values())
    services.submit_report(scope, county_user, report)
    services.approve_report(Scope.of(city_user), city_user, report)
    data = filled_template(summary_form, {"gaokao_applicants": 31})
    with pytest.raises(services.Locked):
        services.import_workbook(scope, county_user, summary_form, unit("140525"), data, "a.xlsx")
    assert report.value_map()["gaokao_applicants"] == 30


def test_a_county_cannot_import_into_its_sibling(summary_form, county_user):
    data = filled_template(summary_form, {k: int(v) for k, v in county_values().items()})
    with pytest.raises(services.NotAllowed):
        services.import_workbook(Scope.of(county_user), county_user, summary_form, unit("140521"), data, "a.xlsx")


def test_the_command_refuses_a_corrupt_file_with_a_clear_message(summary_form, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(CommandError, match="文件已损坏或不是 Excel 文件"):
        call_command("form", "import", "--form", "summary-2021", "--unit", "140525", str(path))


def test_the_page_upload_imports_or_lists_every_problem(client, summary_form, county_user):
    client.force_login(county_user)
    good = filled_template(summary_form, {k: int(v) for k, v in county_values().items()})
    bad = filled_template(summary_form, {"gaokao_applicants": -1, "zhongkao_applicants": "x"})
    url = "/forms/summary-2021/140525/import"
    response = client.post(url, {"file": _upload("bad.xlsx", bad)})
    body = response.content.decode()
    assert response.status_code == 400 and "文件中有 2 处错误" in body and "F12" in body
    assert not Report.objects.exists()
    response = client.post(url, {"file": _upload("good.xlsx", good)}, follow=True)
    assert "已从 good.xlsx 导入并保存为草稿" in response.content.decode()
    assert Report.objects.get().value_map()["migrant_children_total"] == 1000


def test_the_template_downloads_from_the_page(client, summary_form, county_user):
    client.force_login(county_user)
    response = client.get("/forms/summary-2021/template.xlsx")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.active["A1"].value == summary_form.title and "gaokao_applicants" in wb.defined_names


def _upload(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")
