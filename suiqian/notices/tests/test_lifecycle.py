"""A notice's life after it is written: drafts edited, 更正, 撤回, forwards to chosen counties with the
upstream attachments, extension requests decided on the notice, search and paging, refused forms kept."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from suiqian.accounts.models import AuditEvent
from suiqian.conftest import login
from suiqian.notices.models import Extension, ExtensionRequest, InboxMessage, Notice, NoticeAttachment, Requirement

CITY_NOTICE = "晋市教基函字(2021)25号"


def draft_post(**extra):
    return {"wenhao": "晋市教基函〔2021〕30号", "title": "关于报送工作总结的通知", "body": "请各县报送。",
            "contact-0-name": "李四", "contact-0-phone": "0356-1234567", "targets": ["140525", "140521"],
            "req-0-title": "工作总结", "req-0-kind": "document:work_summary", "req-0-due": "2021-09-30", **extra}


def test_a_refused_notice_form_keeps_everything_typed(client, seeded_notices, city_user):
    client.force_login(city_user)
    # A 文号 the city already used: refused, and nothing typed is lost.
    response = client.post("/notices/new", draft_post(wenhao=CITY_NOTICE))
    body = response.content.decode()
    assert response.status_code == 400 and f"本单位已有文号为 {CITY_NOTICE} 的通知" in body
    for typed in ("关于报送工作总结的通知", "请各县报送。", "李四", "0356-1234567", 'value="工作总结"',
                  'value="2021-09-30"', 'value="document:work_summary" selected'):
        assert typed in body, typed
    assert 'value="140525" checked' in body and 'value="140522" checked' not in body


def test_a_draft_is_edited_then_published(client, seeded_notices, city_user, county_user):
    client.force_login(city_user)
    client.post("/notices/new", draft_post())  # no 立即发布: a draft
    notice = Notice.objects.get(wenhao="晋市教基函〔2021〕30号")
    assert notice.status == "draft"
    edit = client.get(f"/notices/{notice.pk}/edit").content.decode()
    assert 'value="工作总结"' in edit and "李四" in edit
    response = client.post(f"/notices/{notice.pk}/edit",
                           draft_post(title="关于报送 2021 年工作总结的通知", **{"req-0-due": "2021-10-15"},
                                      targets=["140525"], publish="1"))
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.status == "published" and notice.title == "关于报送 2021 年工作总结的通知"
    assert [t.unit.code for t in notice.targets.all()] == ["140525"]
    assert notice.requirements.get().due_date == dt.date(2021, 10, 15)
    # Published: no more editing, only 更正 or 撤回.
    client.get(f"/notices/{notice.pk}/edit")
    assert client.post(f"/notices/{notice.pk}/edit", draft_post(title="再改")).status_code == 302
    notice.refresh_from_db()
    assert notice.title == "关于报送 2021 年工作总结的通知"


def test_a_correction_shows_its_note_and_what_changed_to_recipients(client, seeded_notices, city_user, county_user):
    notice = seeded_notices[CITY_NOTICE]
    req = notice.requirements.get(document_type="enrollment_rules")
    client.force_login(city_user)
    response = client.post(f"/notices/{notice.pk}/correct", {"note": "截止日期有误", "title": notice.title,
                                                             "body": notice.body, f"due-{req.pk}": "2021-06-18",
                                                             **{f"due-{r.pk}": r.due_date.isoformat()
                                                                for r in notice.requirements.exclude(pk=req.pk)}})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.due_date == dt.date(2021, 6, 18)
    assert AuditEvent.objects.filter(action="notice_corrected", target=CITY_NOTICE).exists()
    assert InboxMessage.objects.filter(unit__code="140525", text__contains="通知更正").exists()
    client.force_login(county_user)
    body = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "截止日期有误" in body and "2021年6月20日" in body and "2021年6月18日" in body
    # A correction that changes nothing is refused, with what was typed kept.
    client.force_login(city_user)
    response = client.post(f"/notices/{notice.pk}/correct", {"note": "再次核对", "title": notice.title,
                                                             "body": notice.body})
    assert response.status_code == 400 and "没有修改任何内容" in response.content.decode()
    assert "再次核对" in response.content.decode()


def test_only_the_issuer_corrects_or_withdraws(client, seeded_notices, county_user, other_city_user):
    notice = seeded_notices[CITY_NOTICE]
    client.force_login(county_user)  # a recipient
    assert client.get(f"/notices/{notice.pk}/correct").status_code == 403
    assert client.post(f"/notices/{notice.pk}/withdraw", {"reason": "x"}).status_code == 403
    client.force_login(other_city_user)  # a stranger does not even see it
    assert client.post(f"/notices/{notice.pk}/withdraw", {"reason": "x"}).status_code == 404
    notice.refresh_from_db()
    assert notice.status == "published"


def test_a_forward_goes_to_the_chosen_counties_with_the_upstream_attachments(client, seeded_notices, other_city_user):
    province_notice = seeded_notices["晋教基函〔2021〕24号"]
    NoticeAttachment.objects.create(notice=province_notice, name="附件1.xlsx", size=3,
                                    file=SimpleUploadedFile("附件1.xlsx", b"abc"))
    client.force_login(other_city_user)  # 太原市
    form = client.get(f"/notices/{province_notice.pk}/forward").content.decode()
    assert 'value="140105" checked' in form and "附件1.xlsx" in form
    dues = {f"due-{r.pk}": r.due_date.isoformat() for r in province_notice.requirements.all()}
    response = client.post(f"/notices/{province_notice.pk}/forward",
                           {"wenhao": "并教基函〔2021〕1号", "title": "转发", "targets_chosen": "1",
                            "targets": ["140105", "140106"], **dues})
    assert response.status_code == 302
    forward = Notice.objects.get(wenhao="并教基函〔2021〕1号")
    assert sorted(t.unit.code for t in forward.targets.all()) == ["140105", "140106"]
    names = [a.name for a in province_notice.attachments.all()]
    assert sorted(a.name for a in forward.attachments.all()) == sorted(names)
    carried = forward.attachments.get(name="附件1.xlsx")
    client.force_login(other_city_user)
    assert b"".join(client.get(f"/notices/attachments/{carried.pk}").streaming_content) == b"abc"


def test_a_county_asks_for_an_extension_and_the_city_decides_on_the_notice(client, seeded_notices, county_user,
                                                                            city_user, sibling_county_user):
    notice = seeded_notices[CITY_NOTICE]
    req = notice.requirements.get(document_type="enrollment_rules")
    client.force_login(county_user)
    assert "申请延期" in client.get(f"/notices/{notice.pk}/").content.decode()
    client.post(f"/requirements/{req.pk}/extension-request", {"due_date": "2021-06-15", "reason": "早于截止"})
    assert not ExtensionRequest.objects.exists()  # must be later than the due date
    client.post(f"/requirements/{req.pk}/extension-request", {"due_date": "2021-06-27", "reason": "县政府尚未审定"})
    ask = ExtensionRequest.objects.get()
    assert ask.unit.code == "140525" and ask.status == "pending"
    # A sibling county does not see the request.
    client.force_login(sibling_county_user)
    assert "县政府尚未审定" not in client.get(f"/notices/{notice.pk}/").content.decode()
    assert client.post(f"/extension-requests/{ask.pk}/decide", {"decision": "grant"}).status_code == 403
    # The city sees it on the notice and grants it: the county's due date moves.
    client.force_login(city_user)
    body = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "县政府尚未审定" in body and "待处理" in body
    client.post(f"/extension-requests/{ask.pk}/decide", {"decision": "grant", "note": "同意"})
    ask.refresh_from_db()
    assert ask.status == "granted"
    assert Extension.objects.get(requirement=req, unit__code="140525").due_date == dt.date(2021, 6, 27)
    # A refusal needs a reason and is told to the county.
    client.force_login(county_user)
    client.post(f"/requirements/{req.pk}/extension-request", {"due_date": "2021-07-10", "reason": "再延"})
    again = ExtensionRequest.objects.get(status="pending")
    client.force_login(city_user)
    client.post(f"/extension-requests/{again.pk}/decide", {"decision": "refuse"})
    again.refresh_from_db()
    assert again.status == "pending"
    client.post(f"/extension-requests/{again.pk}/decide", {"decision": "refuse", "note": "不能再延"})
    again.refresh_from_db()
    assert again.status == "refused"
    assert InboxMessage.objects.filter(unit__code="140525", text__contains="不能再延").exists()


def test_the_notice_list_is_searched_and_paged(client, seeded_notices, city_user):
    from suiqian.accounts.scope import Scope
    from suiqian.notices import services

    scope = Scope.of(city_user)
    for i in range(25):
        services.create_notice(scope, city_user, city_user.unit, wenhao=f"晋市教基函〔2022〕{i + 1}号",
                               title=f"第 {i + 1} 号测试通知", body="正文")
    client.force_login(city_user)
    first = client.get("/notices/").content.decode()
    assert "第 1 / 2 页" in first and "issued_page=2" in first
    second = client.get("/notices/?issued_page=2").content.decode()
    assert "第 2 / 2 页" in second
    found = client.get("/notices/", {"q": "第 17 号"}).content.decode()
    assert "第 17 号测试通知" in found and "第 16 号测试通知" not in found and CITY_NOTICE not in found
    assert "没有符合条件的通知" in client.get("/notices/", {"q": "不存在的文号"}).content.decode()


def test_each_requirement_shows_its_kind(client, seeded_notices, city_user):
    notice = seeded_notices[CITY_NOTICE]
    client.force_login(city_user)
    body = client.get(f"/notices/{notice.pk}/").content.decode()
    kinds = {r.get_kind_display() for r in notice.requirements.all()}
    for kind in kinds:
        assert f"（{kind}，截止" in body


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_withdrawn_notice_shows_as_withdrawn_to_its_counties(page, live_server, seeded_notices, city_user,
                                                               county_user):
    notice = Notice.objects.get(wenhao=CITY_NOTICE)
    login(page, live_server, city_user.username)
    page.goto(f"{live_server.url}/notices/{notice.pk}/")
    page.click("#withdraw-box summary")
    page.fill("#withdraw-reason", "文件内容有误，另行发文")
    page.click("#withdraw")
    page.wait_for_selector("text=通知已撤回")
    login(page, live_server, county_user.username)
    page.goto(f"{live_server.url}/notices/")
    row = page.locator("#inbox tr", has_text=notice.title)
    assert "已撤回" in row.inner_text()
    assert page.locator(".messages, section.card", has_text="通知已撤回").count() >= 1
    row.locator("a").click()
    page.wait_for_selector("#withdrawn")
    assert "文件内容有误，另行发文" in page.inner_text("#withdrawn")
    assert page.locator("#my-requirements .ask-extension").count() == 0
    assert not Requirement.objects.filter(notice=notice).filter(notice__status="published").exists()


def test_a_refused_forward_keeps_what_was_typed(client, seeded_notices, other_city_user):
    province_notice = seeded_notices["晋教基函〔2021〕24号"]
    enrollment_rules = province_notice.requirements.get(document_type="enrollment_rules")
    client.force_login(other_city_user)
    dues = {f"due-{r.pk}": r.due_date.isoformat() for r in province_notice.requirements.all()}
    response = client.post(f"/notices/{province_notice.pk}/forward",
                           {"wenhao": "并教基函〔2021〕1号", "title": "转发", "body": "请认真落实。",
                            "contact-0-name": "王五", "targets_chosen": "1", "targets": ["140105"],
                            **dues, f"due-{enrollment_rules.pk}": "2021-07-05"})
    body = response.content.decode()
    assert response.status_code == 400 and "晚于上级要求" in body
    for typed in ("并教基函〔2021〕1号", "请认真落实。", "王五", 'value="2021-07-05"', 'value="140105" checked'):
        assert typed in body, typed
    assert 'value="140106" checked' not in body
