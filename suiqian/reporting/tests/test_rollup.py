"""A city's roll-up is the sum of its approved counties; the province's the sum of its cities."""

import csv
import io

import pytest
from django.core.management import call_command

from suiqian.accounts.scope import Scope
from suiqian.conftest import client_for, county_values, make_user
from suiqian.divisions.models import Division
from suiqian.reporting import services
from suiqian.reporting.rankings import indicator_table, rollup

JINCHENG_COUNTIES = ["140502", "140521", "140522", "140524", "140525", "140581"]


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


def approve_county(form, code, scale):
    filler, reviewer = make_user(code, username=f"f{code}"), make_user(code[:4] + "00", username=f"r{code[:4]}")
    report = services.save_values(Scope.of(filler), filler, form, unit(code), county_values(scale))
    services.submit_report(Scope.of(filler), filler, report)
    services.approve_report(Scope.of(reviewer), reviewer, report)
    return report


def test_the_city_rollup_sums_approved_counties_and_lists_the_rest(summary_form, city_user):
    for i, code in enumerate(JINCHENG_COUNTIES[:4], start=1):
        approve_county(summary_form, code, i)
    filler = make_user("140581", username="f140581")  # 高平市: a draft only
    services.save_values(Scope.of(filler), filler, summary_form, unit("140581"), county_values(100))
    result = rollup(Scope.of(city_user), unit("140500"), summary_form)
    assert result.values["migrant_children_total"] == 1000 * (1 + 2 + 3 + 4)
    assert result.values["public_school_total"] == 800 * 10
    assert result.values["county_total"] == 6
    assert {c.unit.code: c.status_label for c in result.pending} == {"140525": "未填报", "140581": "草稿"}


def test_the_city_form_is_prefilled_from_the_rollup(client, summary_form, city_user):
    approve_county(summary_form, "140525", 1)
    approve_county(summary_form, "140521", 2)
    client.force_login(city_user)
    body = client.get("/forms/summary-2021/140500/").content.decode()
    assert 'name="migrant_children_total" id="f-migrant_children_total" value="3000"' in body
    assert 'id="v-county_total">6<' in body  # counted from the tree, not typed
    assert "未审核 4 个" in body


def test_the_province_rollup_sums_its_cities(summary_form, province_user):
    cities = {"140500": 2, "140100": 3}
    for city_code, scale in cities.items():
        filler = make_user(city_code, username=f"c{city_code}")
        values = {**county_values(scale), "enrollment_rules_reviewed": "5", "enrollment_rules_unreviewed": "1"}
        values["enrollment_rules_reviewed"] = str(Division.objects.filter(parent=unit(city_code)).current().count() - 1)
        report = services.save_values(Scope.of(filler), filler, summary_form, unit(city_code), values)
        services.submit_report(Scope.of(filler), filler, report, incomplete_reason="各县尚未审核，先报市级数")
        services.approve_report(Scope.of(province_user), province_user, report)
    result = rollup(Scope.of(province_user), unit("140000"), summary_form)
    assert result.values["migrant_worker_children_total"] == 900 * 5
    assert result.values["county_total"] == 11
    assert len(result.pending) == 9


def test_attachment_1_for_2021_ranks_counties_from_approved_forms(summary_form, city_user, capsys):
    approve_county(summary_form, "140525", 1)          # (800 + 60) / 900 = 95.56%
    filler = make_user("140521", username="f140521")
    values = {**county_values(1), "public_school_primary": "300", "public_school_total": "600"}  # 660 / 900
    report = services.save_values(Scope.of(filler), filler, summary_form, unit("140521"), values)
    services.submit_report(Scope.of(filler), filler, report)
    services.approve_report(Scope.of(city_user), city_user, report)
    table = indicator_table(Scope.of(city_user), unit("140500"), 2021)
    assert [(r.name, r.ratio_text) for r in table.rows[:2]] == [("泽州县", "95.56%"), ("沁水县", "73.33%")]
    assert (table.total.numerator, table.total.denominator, table.total.ratio_text) == (1520, 1800, "84.44%")
    call_command("stats", "table", "--year", "2021", "--unit", "140500", "--format", "csv")
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[1][:4] == ["泽州县", "900", "860", "95.56%"]


def test_the_province_table_uses_county_sums_when_a_city_has_not_reported(summary_form, province_user):
    approve_county(summary_form, "140525", 1)
    table = indicator_table(Scope.of(province_user), unit("140000"), 2021)
    jincheng = next(r for r in table.rows if r.name == "晋城市")
    assert (jincheng.numerator, jincheng.denominator, jincheng.basis) == (860, 900, "下级汇总")


def test_2020_held_only_at_city_level_still_rolls_up_to_the_province(seeded, province_user):
    table = indicator_table(Scope.of(province_user), unit("140000"), 2020)
    assert (table.total.denominator, table.total.numerator, table.total.ratio_text) == (140765, 119708, "85.04%")
    assert {r.basis for r in table.rows} == {"公布数据"}


def test_last_years_value_drives_the_30_percent_warning(summary_form, seeded, county_user, city_user):
    # 晋城市 published 22396 migrant children in 2020; 2021's 10000 is a fall of more than 30 %.
    filler = make_user("140500", username="jc")
    values = {**county_values(10), "enrollment_rules_reviewed": "6", "enrollment_rules_unreviewed": "0"}
    report = services.save_values(Scope.of(filler), filler, summary_form, unit("140500"), values)
    from suiqian.reporting.queries import check_report

    warnings = check_report(report).warnings
    assert [w.fields for w in warnings] == [("migrant_children_total",)]
    assert "22396" in warnings[0].message


# --- an incomplete roll-up goes up only with a written reason ----------------------------------

def city_report(form, values=None):
    filler = make_user("140500", username="jcfill")
    values = values or {**county_values(3), "enrollment_rules_reviewed": "6", "enrollment_rules_unreviewed": "0"}
    return filler, services.save_values(Scope.of(filler), filler, form, unit("140500"), values)


def test_a_city_with_counties_missing_cannot_submit_without_a_reason(summary_form, province_user, client):
    approve_county(summary_form, "140525", 1)
    approve_county(summary_form, "140521", 2)
    filler, report = city_report(summary_form)
    with pytest.raises(services.IncompleteRollup, match="已纳入 2 / 应纳入 6"):
        services.submit_report(Scope.of(filler), filler, report, incomplete_reason="  ")
    report.refresh_from_db()
    assert report.status == "draft"
    services.submit_report(Scope.of(filler), filler, report, incomplete_reason="高平市等四县数据仍在核实")
    report.refresh_from_db()
    assert (report.status, report.incomplete_reason) == ("submitted", "高平市等四县数据仍在核实")
    assert report.submitted_coverage == {"included": 2, "expected": 6}
    assert report.events.last().comment.startswith("汇总不完整（已纳入 2 / 应纳入 6）")
    body = client_for(client, province_user).get("/forms/summary-2021/140500/").content.decode()
    note = body[body.index('id="incomplete-reason"'):]
    assert "已纳入 2 / 应纳入 6" in note[:400] and "高平市等四县数据仍在核实" in note[:400]
    assert body.index('id="incomplete-reason"') < body.index('id="form-grid"')  # above the numbers


def test_the_form_page_asks_for_confirmation_and_a_reason(summary_form, client):
    approve_county(summary_form, "140525", 1)
    filler, report = city_report(summary_form)
    c = client_for(client, filler)
    body = c.get("/forms/summary-2021/140500/").content.decode()
    assert 'name="confirm_incomplete"' in body and "已纳入 1 / 应纳入 6" in body
    response = c.post("/forms/summary-2021/140500/submit", {"incomplete_reason": "理由"}, follow=True)
    assert "请勾选确认并填写原因" in response.content.decode()
    report.refresh_from_db()
    assert report.status == "draft"
    c.post("/forms/summary-2021/140500/submit", {"confirm_incomplete": "1", "incomplete_reason": "理由"})
    report.refresh_from_db()
    assert (report.status, report.incomplete_reason) == ("submitted", "理由")


def test_a_city_whose_counties_are_all_approved_submits_without_a_reason(summary_form, client):
    for i, code in enumerate(JINCHENG_COUNTIES, start=1):
        approve_county(summary_form, code, i)
    filler, report = city_report(summary_form, {**county_values(21), "enrollment_rules_reviewed": "6", "enrollment_rules_unreviewed": "0"})
    assert 'name="confirm_incomplete"' not in client_for(client, filler).get("/forms/summary-2021/140500/").content.decode()
    services.submit_report(Scope.of(filler), filler, report)
    report.refresh_from_db()
    assert (report.status, report.incomplete_reason, report.submitted_coverage) == (
        "submitted", "", {"included": 6, "expected": 6})
