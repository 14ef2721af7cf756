"""Notice pages: inbox, detail with read receipt, upload, review, forwarding — and nothing beside."""

from django.core.files.uploadedfile import SimpleUploadedFile

from suiqian.notices.models import DocumentSubmission, Notice, NoticeTarget, Requirement


def rules_of(notice):
    return notice.requirements.get(document_type="enrollment_rules")


def test_the_inbox_and_the_read_receipt(client, seeded_notices, county_user):
    city_notice = seeded_notices["晋市教基函字(2021)25号"]
    client.force_login(county_user)
    body = client.get("/notices/").content.decode()
    assert "晋市教基函字(2021)25号" in body and "未读" in body
    body = client.get(f"/notices/{city_notice.pk}/").content.decode()
    assert "张志胜" in body and "2021-06-20" in body and "报送材料" in body
    assert NoticeTarget.objects.get(notice=city_notice, unit__code="140525").read_by == county_user


def test_a_county_uploads_and_the_city_reviews_on_the_page(client, seeded_notices, county_user, city_user):
    req = rules_of(seeded_notices["晋市教基函字(2021)25号"])
    url = f"/requirements/{req.pk}/140525/"
    client.force_login(county_user)
    upload = SimpleUploadedFile("泽州县实施细则.txt", "第一条 凭居住证入学。".encode("gbk"))
    response = client.post(url + "upload", {"file": upload, "note": "初稿"}, follow=True)
    assert "已报送第 1 版" in response.content.decode()
    client.force_login(city_user)
    assert 'id="approve"' in client.get(url).content.decode()
    client.post(url + "review", {"decision": "return", "reason": ""})
    assert DocumentSubmission.objects.get().status == "submitted"
    client.post(url + "review", {"decision": "approve"})
    assert DocumentSubmission.objects.get().status == "approved"


def test_a_renamed_program_is_refused_with_a_message(client, seeded_notices, county_user):
    req = rules_of(seeded_notices["晋市教基函字(2021)25号"])
    client.force_login(county_user)
    upload = SimpleUploadedFile("细则.docx", b"MZ\x90\x00" + bytes(500))
    response = client.post(f"/requirements/{req.pk}/140525/upload", {"file": upload}, follow=True)
    assert "无法识别的文件类型" in response.content.decode()
    assert not DocumentSubmission.objects.exists()


def test_a_sibling_county_sees_nothing_of_another_countys_submission(client, seeded_notices, county_user,
                                                                     sibling_county_user):
    req = rules_of(seeded_notices["晋市教基函字(2021)25号"])
    client.force_login(county_user)
    client.post(f"/requirements/{req.pk}/140525/upload", {"file": SimpleUploadedFile("a.txt", "细则".encode())})
    submission = DocumentSubmission.objects.get()
    client.force_login(sibling_county_user)
    assert client.get(f"/requirements/{req.pk}/140525/").status_code == 404
    assert client.get(f"/submissions/{submission.pk}/download").status_code == 404
    assert client.post(f"/requirements/{req.pk}/140525/upload",
                       {"file": SimpleUploadedFile("b.txt", b"x")}).status_code == 404
    body = client.get(f"/notices/{req.notice_id}/").content.decode()
    assert "泽州县" not in body


def test_a_county_cannot_open_the_provinces_board_or_another_citys_notice(client, seeded_notices, county_user,
                                                                          other_city_user):
    province_notice = seeded_notices["晋教基函〔2021〕24号"]
    client.force_login(county_user)
    # The county may read the province's notice it received through 晋城市's forwarding, but not its board.
    body = client.get(f"/notices/{province_notice.pk}/").content.decode()
    assert 'id="board"' not in body
    assert client.get(f"/notices/{province_notice.pk}/status.xlsx").status_code == 404
    client.force_login(other_city_user)
    assert client.get(f"/notices/{seeded_notices['晋市教基函字(2021)25号'].pk}/").status_code == 404


def test_the_province_board_counts_and_exports(client, seeded_notices, province_user):
    notice = seeded_notices["晋教基函〔2021〕24号"]
    client.force_login(province_user)
    body = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "应报 11 · 按时 0 · 逾期报送 0 · 未报 11" in body and "应报 7 ·" in body
    response = client.get(f"/notices/{notice.pk}/status.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_forwarding_on_the_page_refuses_a_later_date(client, seeded, summary_form, province_user, other_city_user):
    from suiqian.portal.seed import load_seed_notices

    load_seed_notices()
    notice = Notice.objects.get(wenhao="晋教基函〔2021〕24号")
    req = rules_of(notice)
    client.force_login(other_city_user)  # 太原市 has not forwarded yet
    assert 'id="forward"' in client.get(f"/notices/{notice.pk}/").content.decode()
    dues = {f"due-{r.pk}": r.due_date.isoformat() for r in notice.requirements.all()}
    response = client.post(f"/notices/{notice.pk}/forward",
                           {"wenhao": "并教基函〔2021〕1号", "title": "转发", **dues, f"due-{req.pk}": "2021-07-05"})
    assert response.status_code == 400 and "晚于上级要求的 2021年6月30日" in response.content.decode()
    response = client.post(f"/notices/{notice.pk}/forward",
                           {"wenhao": "并教基函〔2021〕1号", "title": "转发", **dues, f"due-{req.pk}": "2021-06-25"})
    forward = Notice.objects.get(wenhao="并教基函〔2021〕1号")
    assert response.status_code == 302 and forward.targets.count() == 10
    assert Requirement.objects.get(notice=forward, parent=req).due_date.isoformat() == "2021-06-25"


def test_a_city_issues_a_notice_to_chosen_counties(client, summary_form, city_user):
    client.force_login(city_user)
    response = client.post("/notices/new", {
        "wenhao": "晋市教基函字(2021)30号", "title": "关于报送一县一案的通知", "body": "请报送。",
        "targets": ["140525", "140521"], "req-0-title": "工作方案", "req-0-kind": "document:key_county_plan",
        "req-0-due": "2021-07-10", "publish": "1",
        "attachments": [SimpleUploadedFile("说明.txt", "说明".encode())]})
    notice = Notice.objects.get(wenhao="晋市教基函字(2021)30号")
    assert response.status_code == 302 and notice.status == "published"
    assert sorted(notice.targets.values_list("unit__code", flat=True)) == ["140521", "140525"]
    assert notice.attachments.get().name == "说明.txt"
    response = client.post("/notices/new", {"wenhao": "晋市教基函字(2021)30号", "title": "重复", "body": "x",
                                            "targets": ["140525"]})
    assert response.status_code == 400 and "已有文号" in response.content.decode()
