"""Every aggregate says how many of the units below it includes (已纳入 x / 应纳入 y), in the command, the
page, the Excel file and the API; a year that is not a year is refused, never replaced."""

import csv
import io

import pytest
from django.core.management import call_command
from django.test.utils import CaptureQueriesContext
from django.db import connection
from openpyxl import load_workbook

from suiqian.accounts.scope import Scope
from suiqian.conftest import client_for
from suiqian.divisions.models import Division
from suiqian.reporting.rankings import indicator_tables, rollups


@pytest.fixture
def demo(seeded, summary_form):
    call_command("demo", "data")


def stats_rows(capsys, *args):
    call_command("stats", "table", "--format", "csv", *args)
    return list(csv.reader(io.StringIO(capsys.readouterr().out)))


def test_the_command_shows_the_province_and_jincheng_incomplete_on_the_demo(demo, capsys):
    rows = stats_rows(capsys, "--year", "2021")
    assert rows[0][-2:] == ["已纳入下级数", "下级总数"]
    by_name = {r[0]: r for r in rows[1:]}
    included, expected = int(by_name["山西省"][-2]), int(by_name["山西省"][-1])
    assert expected == 11 and included < 11
    included, expected = int(by_name["晋城市"][-2]), int(by_name["晋城市"][-1])
    assert expected == 6 and included < 6
    assert by_name["晋城市"][6] == "下级汇总（不完整）"
    counties = stats_rows(capsys, "--year", "2021", "--unit", "140500")
    assert counties[-1][0] == "晋城市" and counties[-1][-2:] == ["2", "6"]


def test_a_published_year_is_whole(seeded, capsys):
    rows = stats_rows(capsys, "--year", "2020")
    assert rows[-1][0] == "山西省" and rows[-1][-2:] == ["11", "11"]
    assert next(r for r in rows if r[0] == "晋城市")[-2:] == ["6", "6"]


def test_the_excel_and_the_page_carry_the_coverage(demo, client, province_user):
    c = client_for(client, province_user)
    ws = load_workbook(io.BytesIO(c.get("/dashboard/ranking.xlsx?unit=140000&year=2021").content)).active
    header = [cell.value for cell in ws[2]]
    assert header[-2:] == ["已纳入下级数", "下级总数"]
    total = [cell.value for cell in ws[ws.max_row]]
    assert total[0] == "山西省" and total[-2:] == [1, 11]
    page = c.get("/stats/enrollment/?year=2021&unit=140000").content.decode()
    assert "1 / 11" in page[page.index('id="total-coverage"'):][:200]
    assert "进城务工人员随迁子女总数" in page  # the 2021 indicator's denominator, named as what it is


def test_roll_ups_and_tables_of_any_subtree_take_a_constant_number_of_queries(demo):
    from suiqian.reporting.models import FormDefinition

    form = FormDefinition.objects.get(code="summary-2021")
    counts = []
    for units in (Division.objects.filter(code="140500"), Division.objects.filter(level=Division.Level.CITY)):
        with CaptureQueriesContext(connection) as ctx:
            rollups(Scope.system(), form, units)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    tables = []
    for units in (Division.objects.filter(code="140500"), Division.objects.filter(level__lt=Division.Level.COUNTY)):
        with CaptureQueriesContext(connection) as ctx:
            indicator_tables(Scope.system(), units, 2021)
        tables.append(len(ctx.captured_queries))
    assert tables[0] == tables[1]
    result = rollups(Scope.system(), form, Division.objects.filter(level=Division.Level.CITY).current())
    jincheng = next(r for r in result.values() if r.unit.code == "140500")
    assert (jincheng.coverage.included, jincheng.coverage.expected) == (2, 6)
    assert jincheng.values["county_total"] == 6


@pytest.mark.parametrize("url", ["/dashboard/?year=abc", "/dashboard/data?year=20x1", "/stats/enrollment/?year=99999",
                                 "/supervision/?year=二〇二一", "/dashboard/trend.xlsx?year=-1"])
def test_a_year_that_is_not_a_year_is_refused_with_a_message(seeded, client, province_user, url):
    response = client_for(client, province_user).get(url)
    assert response.status_code == 400
    assert "年份" in response.content.decode() and "无效" in response.content.decode()


def test_a_year_without_data_is_shown_as_that_year(seeded, client, province_user):
    body = client_for(client, province_user).get("/dashboard/?year=2018").content.decode()
    assert "2018 年随迁子女就学数据看板" in body and "暂无数据（无此年数据）" in body
