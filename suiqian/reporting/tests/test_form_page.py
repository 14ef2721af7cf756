"""The form page: filling, live checks, workflow buttons — and nothing for the unit beside."""

from suiqian.conftest import county_values

URL = "/forms/summary-2021/140525/"


def post_values(client, url, values, **extra):
    return client.post(url, {**values, **extra})


def test_a_county_fills_and_saves_its_form(client, summary_form, county_user):
    client.force_login(county_user)
    body = client.get(URL).content.decode()
    assert 'name="migrant_children_total"' in body
    assert 'name="county_total"' not in body and "（市级填写）" in body
    response = post_values(client, URL + "save", {**county_values(), "migrant_children_total": "１,０００"},
                           version="0")
    assert response.status_code == 302
    body = client.get(URL).content.decode()
    assert 'value="1000"' in body and "已保存草稿" in body and "草稿" in body


def test_a_bad_number_is_shown_back_with_its_message_and_nothing_saved(client, summary_form, county_user):
    client.force_login(county_user)
    response = post_values(client, URL + "save", {**county_values(), "gaokao_applicants": "三十"}, version="0")
    body = response.content.decode()
    assert response.status_code == 400
    assert "“随迁子女在流入地参加高考报名人数”应填写非负整数" in body and 'value="三十"' in body
    assert "未填报" in client.get(URL).content.decode()


def test_the_live_check_marks_the_offending_cells_without_saving(client, summary_form, county_user):
    client.force_login(county_user)
    values = {**county_values(), "public_school_total": "801"}
    response = client.post(URL + "check", values, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "公办学校就读人数：小学 + 初中 应等于 合计" in body
    assert 'id="mark-public_school_total" class="cell-mark error" hx-swap-oob="true"' in body
    assert 'id="mark-zhongkao_applicants" class="cell-mark " hx-swap-oob="true"' in body
    assert "未填报" in client.get(URL).content.decode()


def test_a_sibling_county_gets_404_for_the_form_and_every_action(client, summary_form, county_user,
                                                                   sibling_county_user):
    client.force_login(sibling_county_user)
    assert client.get(URL).status_code == 404
    for action in ["check", "save", "submit", "approve", "return", "unlock", "import"]:
        assert client.post(URL + action, county_values()).status_code == 404, action
    assert client.get(URL + "export.xlsx").status_code == 404


def test_the_city_reviews_from_the_page(client, summary_form, county_user, city_user):
    client.force_login(county_user)
    post_values(client, URL + "save", county_values(), version="0")
    client.post(URL + "submit")
    client.force_login(city_user)
    body = client.get(URL).content.decode()
    assert 'id="approve"' in body and "已上报" in body
    response = client.post(URL + "return", {"reason": "", "comment:gaokao_applicants": "请核对"}, follow=True)
    assert "退回必须填写原因" in response.content.decode()
    client.post(URL + "return", {"reason": "高考人数有误", "comment:gaokao_applicants": "请核对"})
    client.force_login(county_user)
    body = client.get(URL).content.decode()
    assert "退回原因：</strong>高考人数有误" in body and "审核意见：请核对" in body


def test_a_county_cannot_approve_its_own_form(client, summary_form, county_user):
    client.force_login(county_user)
    post_values(client, URL + "save", county_values(), version="0")
    client.post(URL + "submit")
    assert client.post(URL + "approve").status_code == 403


def test_the_home_page_lists_what_awaits_the_user(client, summary_form, county_user, city_user):
    client.force_login(county_user)
    assert "填报《2021 年义务教育阶段进城务工人员随迁子女就学工作汇总表》（未填报）" in client.get("/").content.decode()
    post_values(client, URL + "save", county_values(), version="0")
    client.post(URL + "submit")
    client.force_login(city_user)
    assert "审核泽州县上报的《" in client.get("/").content.decode()


def test_text_is_escaped_on_the_page(client, summary_form, county_user, city_user):
    client.force_login(county_user)
    post_values(client, URL + "save", county_values(), version="0")
    client.post(URL + "submit")
    client.force_login(city_user)
    client.post(URL + "return", {"reason": "<script>alert(1)</script>"})
    body = client.get(URL).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
