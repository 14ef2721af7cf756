"""The 附件3 page in a real browser: the statistics beside a differing field, and the explanation box."""

import os

import pytest

from suiqian.conftest import county_values, login
from suiqian.reporting.models import Report

from .conftest import ZEZHOU, reported

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SUIQIAN_SCREENSHOTS")


def test_the_form_shows_the_statistics_and_asks_for_an_explanation(page, live_server, summary_form, county_user,
                                                                   city_user):
    reported("140525", dict(ZEZHOU, public_school_primary=480))
    url = f"{live_server.url}/forms/summary-2021/140525/"
    login(page, live_server, county_user.username)
    page.goto(url)
    for code, value in county_values().items():
        page.fill(f"#f-{code}", value)
    page.click("#save")
    page.wait_for_selector("text=已保存草稿")

    beside = page.locator("td[data-field=public_school_primary] #counterpart-public_school_primary")
    assert beside.inner_text() == "教育事业统计 480" and "differs" in beside.get_attribute("class")
    assert page.input_value("#f-public_school_primary") == "500"
    agreeing = page.locator("#counterpart-migrant_children_total")
    assert agreeing.inner_text() == "教育事业统计 1000" and "differs" not in agreeing.get_attribute("class")
    assert "warning" in page.get_attribute("#mark-public_school_primary", "class")

    boxes = page.locator("textarea[name^='explain:statistics_differs:']")
    assert boxes.count() == 2  # 小学 and 合计
    label = page.locator("label", has=page.locator("textarea[name='explain:statistics_differs:public_school_primary']"))
    assert "填报 500，教育事业统计为 480" in label.inner_text()
    if SHOTS:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=f"{SHOTS}/form-desk.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=f"{SHOTS}/form-phone.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})

    page.click("#submit")  # the browser holds the empty boxes back
    assert Report.objects.get(unit__code="140525").status == "draft"
    page.fill("textarea[name='explain:statistics_differs:public_school_primary']", "统计时点为 8 月底，9 月转入 20 人")
    page.fill("textarea[name='explain:statistics_differs:public_school_total']", "同上")
    page.click("#submit")
    page.wait_for_selector("text=已上报，等待上级审核")

    login(page, live_server, city_user.username)
    page.goto(url)
    assert "统计时点为 8 月底，9 月转入 20 人" in page.inner_text("#review")
    beside = page.inner_text("td[data-field=public_school_primary]")
    assert "教育事业统计 480" in beside and "说明：统计时点为 8 月底，9 月转入 20 人" in beside
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/review-desk.png", full_page=True)
