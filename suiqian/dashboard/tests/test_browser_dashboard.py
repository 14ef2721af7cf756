"""Dashboards in a real browser, as the three demo users: chart series equal the database, nothing of a
sibling county shows, and no request leaves 127.0.0.1."""

import pytest
from django.core.management import call_command

from suiqian.accounts.scope import Scope
from suiqian.conftest import login
from suiqian.divisions.models import Division
from suiqian.reporting.queries import indicator_table

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(seeded, summary_form):
    call_command("demo", "users")
    call_command("demo", "data")


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


def open_dashboard(page, live_server, username, year):
    login(page, live_server, username, "suiqian-demo")
    page.goto(f"{live_server.url}/dashboard/?year={year}")
    page.wait_for_selector("#dashboard[data-ready='1']")


def series(page, chart, index=0):
    return page.evaluate(f"window.suiqianCharts.{chart}.getOption().series[{index}].data")


def test_the_province_sees_attachment_1_on_map_ranking_and_trend(page, live_server, demo):
    open_dashboard(page, live_server, "140000", 2020)
    table = indicator_table(Scope.system(), unit("140000"), 2020)
    expected = {r.unit.code: float(r.ratio) for r in table.rows}
    assert len(expected) == 11
    assert {d["name"]: d["value"] for d in series(page, "map")} == expected
    ranking = series(page, "ranking")
    assert [d["code"] for d in ranking] == [r.unit.code for r in table.rows]  # ranked as 附件1
    assert [d["value"] for d in ranking] == [float(r.ratio) for r in table.rows]
    national = page.evaluate("window.suiqianCharts.ranking.getOption().series[0].markLine.data[0].xAxis")
    assert national == 85.8
    trend = dict(zip(page.evaluate("window.suiqianCharts.trend.getOption().xAxis[0].data"), series(page, "trend")))
    assert trend["2020"] == float(table.total.ratio)
    assert page.outside_requests == []


def test_the_province_drills_into_a_city(page, live_server, demo):
    open_dashboard(page, live_server, "140000", 2021)
    page.evaluate("window.suiqianCharts.map.dispatchAction({type: 'showTip'})")
    with page.expect_response("**/dashboard/data?unit=140500*"):
        page.evaluate("window.suiqianCharts.map.trigger('click', {name: '140500'})")
    page.wait_for_function("window.suiqianCharts.ranking.getOption().series[0].data.length === 2")
    table = indicator_table(Scope.system(), unit("140500"), 2021)
    assert [d["code"] for d in series(page, "ranking")] == [r.unit.code for r in table.rows if r.has_data]
    page.click("#map-up")
    assert [d["code"] for d in series(page, "ranking")] == ["140500"]


def test_the_city_sees_its_counties_from_approved_forms(page, live_server, demo):
    open_dashboard(page, live_server, "140500", 2021)
    table = indicator_table(Scope.system(), unit("140500"), 2021)
    with_data = {r.unit.code: float(r.ratio) for r in table.rows if r.has_data}
    assert set(with_data) == {"140502", "140521"}  # only the approved counties count
    assert {d["name"]: d["value"] for d in series(page, "map") if d["value"] is not None} == with_data
    codes = {d["name"] for d in series(page, "map")}
    assert codes == {"140502", "140521", "140522", "140524", "140525", "140581"}
    assert page.outside_requests == []


def test_a_countys_dashboard_holds_nothing_of_another_county(page, live_server, demo):
    open_dashboard(page, live_server, "140525", 2021)
    assert [d["name"] for d in series(page, "map")] == ["140525"]
    assert page.evaluate("window.suiqianCharts.map.getOption().series[0].map") == "u140525"
    assert series(page, "ranking") == []  # 泽州县 has no approved form yet
    html = page.content()
    for sibling in ["沁水县", "阳城县", "陵川县", "高平市", "140521", "140502"]:
        assert sibling not in html
    response = page.request.get(f"{live_server.url}/dashboard/data?unit=140521&year=2021")
    assert response.status == 404
    polygons = page.request.get(f"{live_server.url}/maps/140000.geojson").json()["features"]
    assert [f["properties"]["name"] for f in polygons] == ["泽州县"]
    assert page.outside_requests == []
