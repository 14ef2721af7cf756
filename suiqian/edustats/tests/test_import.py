import io

import openpyxl
import pytest
import xlwt
from django.core.management import call_command
from django.core.management.base import CommandError

from suiqian.accounts.scope import Scope

from .. import services
from ..figures import figures
from ..models import EduStatistics, EduStatisticsValue
from .conftest import ZEZHOU, reported, workbook_bytes

HEADER = ["区划代码", "单位名称", "所属市", *(f.label for f in figures().fields)]


def row(code, values=ZEZHOU, name=""):
    return [code, name, "", *(values[f.code] for f in figures().fields)]


def test_the_template_lists_every_county_of_the_province_and_reads_back(shanxi, tmp_path):
    out = tmp_path / "模板.xlsx"
    call_command("stats", "edu", "template", "-o", str(out))
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert [c.value for c in ws[1]] == HEADER
    codes = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert len(codes) == 117 and "140525" in codes and len(set(codes)) == 117
    assert all(v is None for r in ws.iter_rows(min_row=2, min_col=4, values_only=True) for v in r)
    # Fill 泽州县's row in the downloaded template and import it as is.
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    line = codes.index("140525") + 2
    for col, f in enumerate(figures().fields, start=4):
        ws.cell(line, col, ZEZHOU[f.code])
    wb.save(out)
    call_command("stats", "edu", "import", str(out), "--year", "2021")
    record = EduStatistics.objects.get(unit__code="140525", year=2021)
    assert record.status == "draft" and record.value_map() == ZEZHOU


def test_a_bad_cell_saves_nothing_and_names_the_cell(shanxi):
    bad = dict(ZEZHOU, public_school_junior="三百")
    data = workbook_bytes([HEADER, row("140525"), row("140521", bad)])
    with pytest.raises(services.ImportFailed) as failed:
        services.import_table(Scope.system(), None, 2021, data, "统计.xlsx")
    column = "ABCDEFGHIJK"[3 + figures().field_codes.index("public_school_junior")]
    problems = [(p.sheet, p.cell) for p in failed.value.problems]
    assert problems == [("教育事业统计", f"{column}3")]
    assert "沁水县" in failed.value.problems[0].message and "三百" in failed.value.problems[0].message
    assert not EduStatistics.objects.exists() and not EduStatisticsValue.objects.exists()


def test_every_problem_is_listed_with_its_cell(shanxi):
    rule_broken = dict(ZEZHOU, migrant_worker_children_primary=700)  # more than 600 随迁子女
    data = workbook_bytes([HEADER, row("140525", rule_broken), row("999999"), row("140525"),
                           ["140521", "", "", 1, 2, None, None, None, None, None, None]])
    with pytest.raises(services.ImportFailed) as failed:
        services.import_table(Scope.system(), None, 2021, data, "统计.xlsx")
    cells = {p.cell for p in failed.value.problems}
    assert {"D2", "F2", "A3", "A4"} <= cells  # the broken rule at both its figures, an unknown code, a repeat
    assert {"F5", "G5", "H5", "I5", "J5", "K5"} <= cells  # the half-filled row's empty figures
    assert not EduStatistics.objects.exists()


def test_an_xls_file_is_read_too(shanxi):
    book = xlwt.Workbook()
    sheet = book.add_sheet("教育事业统计")
    for r, values in enumerate([HEADER, row("140525")]):
        for c, value in enumerate(values):
            sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    services.import_table(Scope.system(), None, 2021, out.getvalue(), "统计.xls")
    assert EduStatistics.objects.get(unit__code="140525").value_map() == ZEZHOU


def test_a_county_cannot_import_its_sibling_and_a_city_may_import_its_counties(county_user, city_user):
    data = workbook_bytes([HEADER, row("140521")])
    with pytest.raises(services.ImportFailed) as failed:
        services.import_table(Scope.of(county_user), county_user, 2021, data, "统计.xlsx")
    assert failed.value.problems[0].cell == "A2" and "权限" in failed.value.problems[0].message
    services.import_table(Scope.of(city_user), city_user, 2021, data, "统计.xlsx")
    assert EduStatistics.objects.get(unit__code="140521").status == "draft"


def test_a_locked_county_is_refused_unless_unchanged(shanxi):
    reported("140525", ZEZHOU)
    same = workbook_bytes([HEADER, row("140525")])
    assert services.import_table(Scope.system(), None, 2021, same, "统计.xlsx") == []
    changed = workbook_bytes([HEADER, row("140525", dict(ZEZHOU, public_school_primary=499))])
    with pytest.raises(services.ImportFailed) as failed:
        services.import_table(Scope.system(), None, 2021, changed, "统计.xlsx")
    assert "已锁定" in failed.value.problems[0].message
    assert EduStatistics.objects.get(unit__code="140525").value_map()["public_school_primary"] == 500


def test_the_import_command_exits_non_zero_listing_every_problem(shanxi, tmp_path):
    path = tmp_path / "统计.xlsx"
    path.write_bytes(workbook_bytes([HEADER, row("140525", dict(ZEZHOU, migrant_children_primary=-3))]))
    with pytest.raises(CommandError) as failed:
        call_command("stats", "edu", "import", str(path), "--year", "2021")
    assert "教育事业统计!D2" in str(failed.value) and "负数" in str(failed.value)
    assert not EduStatistics.objects.exists()


def test_a_file_that_is_not_a_workbook_is_refused_whatever_its_name(shanxi):
    for data, name in [(b"MZ\x90\x00 not a workbook", "统计.xlsx"), (workbook_bytes([HEADER, row("140525")]), "统计.csv"),
                       (b"PK\x03\x04garbage", "统计.xlsx")]:
        with pytest.raises(services.ReportError) as refused:
            services.import_table(Scope.system(), None, 2021, data, name)
        assert not isinstance(refused.value, services.ImportFailed) and "Excel" in str(refused.value)
    assert not EduStatistics.objects.exists()


def test_a_changed_header_is_named_before_any_row_is_read(shanxi):
    data = workbook_bytes([["代码", *HEADER[1:]], row("140525")])
    with pytest.raises(services.ImportFailed) as failed:
        services.import_table(Scope.system(), None, 2021, data, "统计.xlsx")
    assert [(p.cell, p.field) for p in failed.value.problems] == [("第 1 行", "区划代码")]
