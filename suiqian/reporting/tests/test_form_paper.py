"""上报 keeps what is on the screen, 口径 beside each field, and the paper copy: one A4 landscape page."""

import io

import pytest
from pdfminer.high_level import extract_text
from pdfminer.pdfpage import PDFPage

from suiqian.conftest import client_for, county_values, login
from suiqian.reporting.models import Report

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/forms/summary-2021/140525/"


def fill(page, values):
    for code, value in values.items():
        page.fill(f"#f-{code}", value)


@pytest.mark.browser
def test_submit_with_unsaved_edits_saves_them_and_submits(page, live_server, summary_form, county_user):
    login(page, live_server, county_user.username)
    page.goto(live_server.url + URL)
    fill(page, county_values())
    page.click("#save")
    page.wait_for_selector("text=已保存草稿")
    # Changed on screen, not saved: 上报 must carry the new value, not go back to the old one.
    # The live check answers while the user reads; clicking mid-swap would click beside the moving button.
    with page.expect_response(lambda r: r.url.endswith("/check")):
        page.fill("#f-gaokao_applicants", "31")
    page.wait_for_selector("#live-check >> text=校验通过")
    page.click("#submit")
    page.wait_for_selector("text=已上报，等待上级审核")
    assert page.inner_text("#report-status") == "已上报"
    report = Report.objects.get(unit__code="140525")
    assert report.status == Report.Status.SUBMITTED
    assert report.value_map()["gaokao_applicants"] == 31
    assert page.inner_text("#v-gaokao_applicants") == "31"


@pytest.mark.browser
def test_a_first_draft_never_saved_is_submitted_from_the_screen(page, live_server, summary_form, county_user):
    login(page, live_server, county_user.username)
    page.goto(live_server.url + URL)
    values = county_values()
    last = values.pop("gaokao_applicants")
    fill(page, values)
    with page.expect_response(lambda r: r.url.endswith("/check")):
        page.fill("#f-gaokao_applicants", last)
    page.click("#submit")
    page.wait_for_selector("text=已上报，等待上级审核")
    assert Report.objects.get(unit__code="140525").value_map()["zhongkao_applicants"] == 70


@pytest.mark.browser
def test_submit_refused_for_a_bad_value_keeps_what_was_typed(page, live_server, summary_form, county_user):
    login(page, live_server, county_user.username)
    page.goto(live_server.url + URL)
    fill(page, county_values())
    page.fill("#f-gaokao_applicants", "三十个")
    page.click("#submit")
    page.wait_for_selector("text=未保存")
    assert page.input_value("#f-gaokao_applicants") == "三十个"
    assert page.input_value("#f-zhongkao_applicants") == "70"
    assert not Report.objects.filter(unit__code="140525", status=Report.Status.SUBMITTED).exists()


@pytest.mark.browser
def test_leaving_with_unsaved_edits_asks_first(page, live_server, summary_form, county_user):
    login(page, live_server, county_user.username)
    page.goto(live_server.url + URL)
    page.click("#f-gaokao_applicants")
    page.keyboard.type("12")
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page
    page.on("dialog", on_dialog)
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]


@pytest.mark.browser
def test_nothing_typed_leaves_without_asking(page, live_server, summary_form, county_user):
    login(page, live_server, county_user.username)
    page.goto(live_server.url + URL)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))
    page.click("text=填报")  # the navigation link, nothing typed
    page.wait_for_load_state("networkidle")
    assert dialogs == []


def test_each_field_shows_its_definition_from_the_form_file(client, summary_form, county_user):
    html = client_for(client, county_user).get(URL).content.decode()
    for f in summary_form.parsed.fields_at("county"):
        assert f.definition, f"{f.label} has no 口径 in the form file"
        assert f"口径：{f.definition}" in html


@pytest.mark.browser
def test_the_print_pdf_is_one_page_with_room_for_the_stamp(page, live_server, summary_form, county_user):
    login(page, live_server, county_user.username)
    page.goto(live_server.url + URL)
    fill(page, county_values())
    page.click("#save")
    page.wait_for_selector("text=已保存草稿")
    page.click("#print")
    page.wait_for_selector("#print-title")
    text = page.inner_text("body")
    for word in ("填报单位", "填报人", "填报时间", "公章", "签字", summary_form.title):
        assert word in text
    for absent in ("校验", "历史记录", "导出本表", "退出"):
        assert absent not in page.inner_text(".sheet").replace("返回填报页", "")
    with page.expect_download() as info:
        page.click("#pdf")
    data = open(info.value.path(), "rb").read()
    assert data.startswith(b"%PDF")
    assert len(list(PDFPage.get_pages(io.BytesIO(data)))) == 1
    pdf_text = extract_text(io.BytesIO(data))
    assert "公章" in pdf_text and "泽州县教育局" in pdf_text and "900" in pdf_text
    box = next(PDFPage.get_pages(io.BytesIO(data))).mediabox
    assert box[2] > box[3]  # landscape


def test_a_sibling_county_gets_neither_the_print_page_nor_the_pdf(client, summary_form, sibling_county_user):
    c = client_for(client, sibling_county_user)
    assert c.get(URL + "print/").status_code in (403, 404)
    assert c.get(URL + "print.pdf").status_code in (403, 404)
