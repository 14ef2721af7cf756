"""In a real browser: 泽州县 uploads its 实施细则 against 晋市教基函字(2021)25号, 晋城市 approves it,
and row 1 of 晋城市's 附件3 changes accordingly."""

import pytest

from suiqian.conftest import docx_bytes, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def row_1(page, live_server):
    page.goto(f"{live_server.url}/forms/summary-2021/140500/")
    return (page.inner_text("#v-county_total"), page.inner_text("#v-enrollment_rules_reviewed"),
            page.inner_text("#v-enrollment_rules_unreviewed"))


def test_county_rules_approved_by_the_city_fill_row_1(page, live_server, seeded_notices, county_user, city_user,
                                                       tmp_path):
    login(page, live_server, city_user.username)
    assert row_1(page, live_server) == ("6", "0", "6")

    login(page, live_server, county_user.username)
    page.click("header >> text=通知")
    page.click("text=关于转发山西省教育厅")
    assert "张志胜" in page.inner_text("main")
    page.click("#my-requirements >> text=报送材料")
    enrollment_rules = tmp_path / "泽州县随迁子女入学实施细则.docx"
    enrollment_rules.write_bytes(docx_bytes("泽州县2021年随迁子女入学实施细则",
                                 "第一条 随迁子女凭父母一方居住证，在我县居住满半年即可申请入学。"))
    page.set_input_files("input[name=file]", str(enrollment_rules))
    page.click("#upload")
    page.wait_for_selector("text=已报送第 1 版")
    assert page.inner_text("#submission-status") == "已报送"
    url = page.url

    login(page, live_server, city_user.username)
    page.goto(url)
    page.click("#approve")
    page.wait_for_selector("text=已审核通过")
    assert page.inner_text("#submission-status") == "已审核"
    assert row_1(page, live_server) == ("6", "1", "5")
    assert page.outside_requests == []
