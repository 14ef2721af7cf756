"""附件3 held against the statistics: a warning per differing field, explained before 上报, and the tables."""

import csv
import io

import pytest
from django.core.management import call_command

from suiqian.accounts.scope import Scope
from suiqian.conftest import client_for, county_values
from suiqian.reporting import queries as reporting_queries
from suiqian.reporting import services as reporting
from suiqian.reporting.models import Report
from suiqian.supervision.queries import early_warnings

from .. import queries, services
from .conftest import DIFFERS, JINCHENG_COUNTIES, ZEZHOU, reported, unit

def statistics_warnings(code):
    report = Report.objects.get(unit__code=code, form__code="summary-2021")
    return [w for w in reporting_queries.check_report(report).warnings if w.rule == "statistics_differs"]


def test_a_differing_form_cannot_be_submitted_without_an_explanation(summary_form):
    reported("140525", DIFFERS)
    system = Scope.system()
    report = reporting.save_values(system, None, summary_form, unit("140525"), county_values())
    warnings = statistics_warnings("140525")
    assert sorted(w.fields[0] for w in warnings) == ["public_school_primary", "public_school_total"]
    assert "教育事业统计为 480" in warnings[0].message or "教育事业统计为 780" in warnings[0].message
    with pytest.raises(reporting.RulesFailed) as refused:
        reporting.submit_report(system, None, report, {})
    assert "教育事业统计" in str(refused.value)
    one = {warnings[0].key: "统计口径含学前班"}
    with pytest.raises(reporting.RulesFailed):
        reporting.submit_report(system, None, report, one)
    explained = {w.key: "9 月后转入 20 人，统计时点在前" for w in warnings}
    reporting.submit_report(system, None, report, explained)
    report.refresh_from_db()
    assert report.status == "submitted" and report.explanations == explained


def test_figures_that_agree_or_are_not_reported_raise_nothing(summary_form):
    system = Scope.system()
    services.save_figures(system, None, unit("140525"), 2021, DIFFERS)  # a draft: not the county's word yet
    reporting.save_values(system, None, summary_form, unit("140525"), county_values())
    assert statistics_warnings("140525") == []
    reported("140521", ZEZHOU)
    reporting.save_values(system, None, summary_form, unit("140521"), county_values())
    assert statistics_warnings("140521") == []


def test_the_province_table_lists_exactly_the_differing_units(province_of_differences, client, province_user):
    rows = queries.differences(Scope.of(province_user), 2021)
    assert sorted((d.unit.code, d.field, d.typed, d.statistics) for d in rows) == [
        ("140500", "migrant_children_total", 6100, 6000),
        ("140525", "public_school_primary", 500, 480),
        ("140525", "public_school_total", 800, 780),
    ]
    assert all(d.explanation.startswith("说明：") for d in rows)
    page = client_for(client, province_user).get("/edustats/differences/?year=2021")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('data-code="140525"') == 2 and html.count('data-code="140500"') == 1
    assert "140521" not in html.split('id="differences"')[1] and "140105" not in html.split('id="differences"')[1]
    filtered = client.get("/edustats/differences/?year=2021&level=county&field=public_school_total").content.decode()
    assert filtered.count("<tr data-code=") == 1 and 'data-field="public_school_total"' in filtered
    exported = client.get("/edustats/differences/?year=2021&city=140500&format=csv").content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(exported)))
    assert lines[0][:6] == ["区划代码", "单位", "项目", "附件3", "教育事业统计", "差"]
    assert sorted((line[0], line[5]) for line in lines[1:]) == [("140500", "100"), ("140525", "20"), ("140525", "20")]


def test_the_diff_command_prints_one_row_per_unit_and_field(province_of_differences, capsys):
    call_command("stats", "edu", "diff", "--year", "2021", "--format", "csv")
    lines = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert lines[0] == ["区划代码", "单位", "项目", "附件3", "教育事业统计", "差"]
    assert sorted(tuple(line) for line in lines[1:]) == sorted([
        ("140500", "晋城市", "义务教育阶段随迁子女总数", "6100", "6000", "100"),
        ("140525", "泽州县", "进城务工人员随迁子女在公办义务教育学校就读人数·小学", "500", "480", "20"),
        ("140525", "泽州县", "进城务工人员随迁子女在公办义务教育学校就读人数·合计", "800", "780", "20"),
    ])


def test_the_early_warning_list_counts_the_differing_fields(province_of_differences, province_user):
    found = {(w.unit.code, w.value) for w in early_warnings(Scope.of(province_user), 2021)
             if w.reason == "附件3与教育事业统计不一致"}
    assert found == {("140525", "2 项（已上报的附件3）"), ("140500", "1 项（已上报的附件3）")}


def test_a_county_sees_only_its_own_differences(province_of_differences, client, county_user, sibling_county_user):
    own = client_for(client, county_user).get("/edustats/differences/?year=2021").content.decode()
    assert own.count('<tr data-code="140525"') == 2 and "140500" not in own.split('id="differences"')[1]
    sibling = client_for(client, sibling_county_user).get("/edustats/differences/?year=2021").content.decode()
    assert "<tr data-code=" not in sibling
    assert client.get("/edustats/differences/?year=2021&city=140500").status_code == 404


def test_the_form_page_shows_the_statistics_beside_the_field(summary_form, client, county_user):
    reported("140525", DIFFERS)
    reporting.save_values(Scope.system(), None, summary_form, unit("140525"), county_values())
    html = client_for(client, county_user).get("/forms/summary-2021/140525/").content.decode()
    assert 'id="counterpart-public_school_primary">教育事业统计 480</small>' in html
    assert 'class="counterpart differs" id="counterpart-public_school_primary"' in html
    assert 'class="counterpart" id="counterpart-migrant_children_total">教育事业统计 1000' in html
    assert html.count('name="explain:statistics_differs:') == 2


def test_a_city_form_is_held_against_the_sum_of_all_its_counties(summary_form):
    for code in JINCHENG_COUNTIES[:-1]:
        reported(code, ZEZHOU)
    assert queries.figures_for_form(unit("140500"), 2021) == {}  # 高平市 has not reported: no sum yet
    reported(JINCHENG_COUNTIES[-1], ZEZHOU)
    assert queries.figures_for_form(unit("140500"), 2021)["migrant_children_total"] == 6000
