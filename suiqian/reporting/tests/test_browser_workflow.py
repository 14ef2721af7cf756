"""A county form from 草稿 to 已审核 in a real browser, with the city reviewing."""

import pytest

from suiqian.accounts.scope import Scope
from suiqian.api.services import create_token
from suiqian.conftest import county_values, login
from suiqian.divisions.models import Division
from suiqian.reporting import services
from suiqian.reporting.excel import render_form_workbook
from suiqian.reporting.models import Report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill(page, values):
    for code, value in values.items():
        page.fill(f"#f-{code}", value)


def test_a_county_form_goes_from_draft_to_approved(page, live_server, summary_form, county_user, city_user):
    url = f"{live_server.url}/forms/summary-2021/140525/"
    login(page, live_server, county_user.username)
    page.goto(url)
    fill(page, county_values())
    # A live validation message while typing: the total no longer matches 小学 + 初中.
    page.fill("#f-public_school_total", "801")
    page.wait_for_selector("#live-check >> text=公办学校就读人数：小学 + 初中 应等于 合计")
    # The cell marks arrive out of band beside the message and may settle a moment later: wait, don't race.
    page.wait_for_selector("#mark-public_school_total.error", state="attached", timeout=5000)
    page.fill("#f-public_school_total", "800")
    page.wait_for_selector("#live-check >> text=校验通过")
    page.wait_for_selector("#mark-public_school_total:not(.error)", state="attached", timeout=5000)
    page.click("#save")
    page.wait_for_selector("text=已保存草稿")
    page.click("#submit")
    page.wait_for_selector("text=已上报，等待上级审核")
    assert page.inner_text("#report-status") == "已上报"

    # The city returns it with a reason and a comment on one cell.
    login(page, live_server, city_user.username)
    page.goto(url)
    page.fill("#return-reason-input", "中考报名人数与学籍系统不符")
    page.click("#review summary")
    page.fill("input[name='comment:zhongkao_applicants']", "请按学籍系统核对")
    page.click("#return")
    page.wait_for_selector("text=已退回")

    # The county sees why, fixes and re-submits.
    login(page, live_server, county_user.username)
    page.goto(url)
    assert "中考报名人数与学籍系统不符" in page.inner_text("#return-reason")
    assert "请按学籍系统核对" in page.inner_text("#return-reason")
    page.fill("#f-zhongkao_applicants", "68")
    page.click("#save")
    page.wait_for_selector("text=已保存草稿")
    page.click("#submit")
    page.wait_for_selector("text=已上报，等待上级审核")

    # The city sees what changed since it returned the form, and approves.
    login(page, live_server, city_user.username)
    page.goto(url)
    assert "随迁子女在流入地参加中考报名人数：70 → 68" in page.inner_text("#changes")
    page.click("#approve")
    page.wait_for_selector("text=已审核通过，数据已锁定")

    # Locked: the county's page has no inputs, and a forged post is refused.
    login(page, live_server, county_user.username)
    page.goto(url)
    assert page.inner_text("#report-status") == "已审核"
    assert page.locator("#form-grid input").count() == 0
    assert page.locator("input[type=file]").count() == 0
    assert page.outside_requests == []
    # ...and so do the API and an Excel import.
    key = create_token(county_user, "县业务系统")[1]
    response = page.request.put(f"{live_server.url}/api/v1/forms/summary-2021/reports/140525/values",
                                data={"values": {"zhongkao_applicants": 1}},
                                headers={"Authorization": f"Bearer {key}"})
    assert response.status == 409 and "已锁定" in response.json()["detail"]
    workbook = render_form_workbook(summary_form.parsed, values={"zhongkao_applicants": 1})
    with pytest.raises(services.Locked):
        services.import_workbook(Scope.of(county_user), county_user, summary_form,
                                 Division.objects.get(code="140525"), workbook, "x.xlsx")
    assert Report.objects.get(unit__code="140525").value_map()["zhongkao_applicants"] == 68
