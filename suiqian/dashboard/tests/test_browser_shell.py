"""The web shell in a real browser: login, home, tree, 附件1 — and nothing fetched from outside."""

import pytest

from suiqian.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_province_logs_in_and_reads_attachment_1(page, live_server, province_user, seeded):
    login(page, live_server, province_user.username)
    assert "山西省教育厅" in page.inner_text("main")
    page.click("text=随迁子女入学统计")
    page.wait_for_selector("#enrollment-table")
    rows = page.locator("#enrollment-table tbody tr")
    assert rows.count() == 12
    assert rows.nth(0).inner_text().split("\t")[1:5] == ["阳泉市", "12788", "12481", "97.60%"]
    assert "85.04%" in rows.nth(11).inner_text()
    assert page.outside_requests == []


def test_a_county_walks_its_tree_and_cannot_reach_a_sibling(page, live_server, county_user, sibling_county_user):
    login(page, live_server, county_user.username)
    page.click("header >> text=区划")
    assert "山西省晋城市泽州县" in page.inner_text("h1")
    assert page.locator(".breadcrumbs a").count() == 0  # units above: names only
    response = page.goto(f"{live_server.url}/units/140521/")
    assert response.status == 404
    page.goto(f"{live_server.url}/")
    page.click("text=退出")
    page.wait_for_url("**/login/")
    assert page.outside_requests == []
