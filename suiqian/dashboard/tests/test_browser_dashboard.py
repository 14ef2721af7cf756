"""Dashboards in a real browser, as the three demo users, on partial data (the demo's 2021: two of 晋城市's six
counties approved, no other city reported): chart values and coverage read through ECharts' getOption() equal
the database, incomplete aggregates are marked, colours sit on the two sides of the national ratio, nothing of a
sibling county shows, and no request leaves 127.0.0.1."""

import pytest
from django.core.management import call_command

from suiqian.accounts.scope import Scope
from suiqian.conftest import login, make_user
from suiqian.divisions.models import Division
from suiqian.reporting.rankings import indicator_table

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WARM = {"#b71c1c", "#e53935", "#ffab91"}
COOL = {"#90caf9", "#42a5f5", "#1565c0"}


@pytest.fixture
def demo(seeded, summary_form):
    call_command("demo", "users")
    call_command("demo", "data")


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


def open_dashboard(page, live_server, username, year, code="", password="suiqian-demo"):
    login(page, live_server, username, password)
    page.goto(f"{live_server.url}/dashboard/?year={year}" + (f"&unit={code}" if code else ""))
    page.wait_for_selector("#dashboard[data-ready='1']")


def option(page, chart):
    return page.evaluate(f"window.suiqianCharts.{chart}.getOption()")


def series(page, chart, index=0):
    return option(page, chart)["series"][index]["data"]


def map_colours(page) -> dict[str, str]:
    """The colour each region is painted with, as ECharts computed it (visualMap applied)."""
    return page.evaluate("""() => {
        const data = window.suiqianCharts.map.getModel().getSeriesByIndex(0).getData();
        const out = {};
        for (let i = 0; i < data.count(); i++) out[data.getName(i)] = data.getItemVisual(i, 'style').fill;
        return out;
    }""")


def test_the_province_on_partial_data_shows_coverage_and_marks_the_incomplete(page, live_server, demo):
    open_dashboard(page, live_server, "140000", 2021)
    table = indicator_table(Scope.system(), unit("140000"), 2021)
    jincheng = next(r for r in table.rows if r.unit.code == "140500")
    assert (jincheng.coverage.included, jincheng.coverage.expected) == (2, 6)
    regions = {d["name"]: d for d in series(page, "map")}
    assert len(regions) == 11
    assert {c: d["value"] for c, d in regions.items() if d["value"] is not None} == {"140500": float(jincheng.ratio)}
    assert {c: (d["included"], d["expected"]) for c, d in regions.items()} == {
        r.unit.code: (r.coverage.included, r.coverage.expected) for r in table.rows}
    assert regions["140500"]["complete"] is False and "decal" in regions["140500"]["itemStyle"]
    bar = series(page, "ranking")
    assert [(d["code"], d["value"], d["complete"]) for d in bar] == [("140500", float(jincheng.ratio), False)]
    assert "decal" in bar[0]["itemStyle"]
    # The province's 2021 figure covers 1 of 11 cities: not joined into the trend line, drawn apart as 不完整.
    years = option(page, "trend")["xAxis"][0]["data"]
    line, apart = series(page, "trend", 0), series(page, "trend", 1)
    i2021, i2020 = years.index("2021"), years.index("2020")
    assert line[i2021] is None and apart[i2021]["value"] == float(table.total.ratio)
    assert line[i2020] == float(indicator_table(Scope.system(), unit("140000"), 2020).total.ratio)
    page.check("#trend-incomplete")
    assert series(page, "trend", 0)[i2021] == float(table.total.ratio)
    assert "已纳入 1 / 应纳入 11" in page.inner_text("#hl-coverage")
    assert "不完整" in page.inner_text("#headline h2")
    assert page.outside_requests == []


def test_colours_are_anchored_to_the_national_ratio(page, live_server, demo):
    open_dashboard(page, live_server, "140000", 2020)
    table = indicator_table(Scope.system(), unit("140000"), 2020)
    assert {d["name"]: d["value"] for d in series(page, "map")} == {r.unit.code: float(r.ratio) for r in table.rows}
    colours = map_colours(page)
    above = [r.unit.code for r in table.rows if r.against_national == "above"]
    below = [r.unit.code for r in table.rows if r.against_national == "below"]
    assert above and below
    assert {colours[c].lower() for c in above} <= COOL
    assert {colours[c].lower() for c in below} <= WARM
    bars = {d["code"]: d["itemStyle"]["color"] for d in series(page, "ranking")}
    assert {bars[c] for c in above} <= COOL and {bars[c] for c in below} <= WARM
    pieces = option(page, "map")["visualMap"][0]["pieces"]
    assert any(p.get("gte") == 85.8 and "高于全国" in p["label"] for p in pieces)
    assert any(p.get("lt") == 85.8 and "低于全国" in p["label"] for p in pieces)
    assert all(d["complete"] for d in series(page, "map"))  # published figures are whole


def test_the_city_sees_its_counties_and_its_own_incomplete_total(page, live_server, demo):
    open_dashboard(page, live_server, "140500", 2021)
    table = indicator_table(Scope.system(), unit("140500"), 2021)
    with_data = {r.unit.code: float(r.ratio) for r in table.rows if r.has_data}
    assert set(with_data) == {"140502", "140521"}  # only the approved counties count
    assert {d["name"]: d["value"] for d in series(page, "map") if d["value"] is not None} == with_data
    assert {d["name"] for d in series(page, "map")} == {"140502", "140521", "140522", "140524", "140525", "140581"}
    assert "已纳入 2 / 应纳入 6" in page.inner_text("#hl-coverage")
    rows = page.locator("#table-ranking tbody tr")
    assert rows.count() == 7  # six counties and the total
    assert "2 / 6" in page.inner_text("#table-ranking tr.total")
    assert page.outside_requests == []


def test_clicking_a_region_drills_every_panel_down(page, live_server, demo):
    open_dashboard(page, live_server, "140000", 2021)
    with page.expect_navigation():
        page.evaluate("window.suiqianCharts.map.trigger('click', {name: '140500'})")
    page.wait_for_selector("#dashboard[data-ready='1']")
    assert "晋城市" in page.inner_text("#dashboard-title")
    assert "晋城市" in page.inner_text("#completeness h2")
    assert "分县明细" in page.inner_text("#detail h2")
    assert {d["name"] for d in series(page, "map")} == {"140502", "140521", "140522", "140524", "140525", "140581"}
    page.click("#map-up")
    page.wait_for_selector("#dashboard[data-ready='1']")
    assert "山西省" in page.inner_text("#dashboard-title")


def test_a_year_without_data_says_so(page, live_server, demo):
    open_dashboard(page, live_server, "140000", 2019)
    title = option(page, "map")["title"][0]
    assert title["text"] == "暂无数据" and title["subtext"] == "无此年数据"
    assert option(page, "map")["visualMap"][0]["show"] is False
    assert "暂无数据（无此年数据）" in page.inner_text("#empty-state")


def test_a_county_without_an_approved_form_says_why(page, live_server, demo):
    open_dashboard(page, live_server, "140525", 2021)
    assert series(page, "ranking") == []
    assert option(page, "ranking")["title"][0]["text"] == "暂无数据"
    assert "未上报" in page.inner_text("#empty-state")


def test_a_county_with_an_approved_form_sees_its_own_figure(page, live_server, demo):
    make_user("140521")
    open_dashboard(page, live_server, "u140521", 2021, password="test-pass-8831")
    row = next(r for r in indicator_table(Scope.system(), unit("140500"), 2021).rows if r.unit.code == "140521")
    assert [(d["code"], d["value"]) for d in series(page, "ranking")] == [("140521", float(row.ratio))]
    assert [d["name"] for d in series(page, "map")] == ["140521"]


def test_a_countys_dashboard_holds_nothing_of_another_county(page, live_server, demo):
    open_dashboard(page, live_server, "140525", 2021)
    assert [d["name"] for d in series(page, "map")] == ["140525"]
    assert page.evaluate("window.suiqianCharts.map.getOption().series[0].map") == "u140525"
    html = page.content()
    for sibling in ["沁水县", "阳城县", "陵川县", "高平市", "140521", "140502"]:
        assert sibling not in html
    response = page.request.get(f"{live_server.url}/dashboard/data?unit=140521&year=2021")
    assert response.status == 404
    polygons = page.request.get(f"{live_server.url}/maps/140000.geojson").json()["features"]
    assert [f["properties"]["name"] for f in polygons] == ["泽州县"]
    assert page.outside_requests == []


def test_a_city_in_a_published_year_shows_its_published_figure_and_says_why_the_map_is_empty(page, live_server, demo):
    open_dashboard(page, live_server, "140500", 2020)
    assert "97.00%" in page.inner_text("#hl-ratio") and "公布数据" in page.inner_text("#hl-basis")
    assert option(page, "map")["title"][0]["text"] == "暂无数据"
    assert "没有下级明细" in option(page, "map")["title"][0]["subtext"]
    years = option(page, "trend")["xAxis"][0]["data"]
    assert series(page, "trend", 0)[years.index("2020")] == 97.0  # whole: on the line
