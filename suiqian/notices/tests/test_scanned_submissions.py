"""A county's 实施细则 arrives as a stamped scan: it is read in the background, checked, and reviewed
beside its page image."""

import pytest
from django_tasks_db.models import DBTaskResult

from suiqian.accounts.models import AuditEvent
from suiqian.accounts.scope import Scope
from suiqian.conftest import client_for, login
from suiqian.divisions.models import Division
from suiqian.notices import documents
from suiqian.notices.models import DocumentSubmission
from suiqian.policies import ocr
from suiqian.policies.checker import check_paragraphs
from suiqian.policies.tests.scans import RULES, need_ocr, scanned_pdf, scanned_png


@pytest.fixture
def enrollment_rules_requirement(seeded_notices):
    return seeded_notices["晋市教基函字(2021)25号"].requirements.get(document_type="enrollment_rules")


def county(code="140525"):
    return Division.objects.get(code=code, valid_to__isnull=True)


def submit(requirement, user, data, name):
    return documents.submit_document(Scope.of(user), user, requirement, county(user.unit.code), data, name)


def text_codes():
    return sorted({f.code for f in check_paragraphs(RULES)})


@pytest.mark.parametrize("make, name", [(scanned_pdf, "泽州县实施细则（盖章扫描件）.pdf"), (scanned_png, "细则照片.png")])
def test_a_scan_is_queued_read_and_checked_like_its_text(enrollment_rules_requirement, county_user, run_tasks, make, name):
    need_ocr()
    submission = submit(enrollment_rules_requirement, county_user, make(RULES), name)
    assert submission.recognition == DocumentSubmission.Recognition.PENDING
    assert submission.findings == []
    assert DBTaskResult.objects.filter(status="READY").count() == 1  # the request did not read it

    run_tasks()

    submission.refresh_from_db()
    assert submission.recognition == DocumentSubmission.Recognition.DONE
    assert sorted({f["code"] for f in submission.findings}) == text_codes()
    assert submission.pages_recognized == submission.pages_total == 1
    page = submission.recognized_pages[0]
    assert page["confidence"] > ocr.LOW_CONFIDENCE and not page["low_quality"]
    assert AuditEvent.objects.filter(target=enrollment_rules_requirement.title, detail__recognition="已识别").exists()


def test_without_ocr_on_the_server_the_scan_is_kept_and_says_why(enrollment_rules_requirement, county_user, client,
                                                                   monkeypatch):
    need_ocr()  # only to draw the scan
    monkeypatch.setattr(ocr, "available", lambda: False)
    submission = submit(enrollment_rules_requirement, county_user, scanned_pdf(RULES[:1]), "扫描件.pdf")
    assert submission.recognition == DocumentSubmission.Recognition.FAILED
    assert not DBTaskResult.objects.exists()
    response = client_for(client, county_user).get(f"/requirements/{enrollment_rules_requirement.pk}/140525/")
    assert "未安装文字识别" in response.content.decode()


def test_a_scan_over_the_page_limit_fails_with_its_reason(enrollment_rules_requirement, county_user, run_tasks, monkeypatch):
    need_ocr()
    monkeypatch.setattr(ocr, "MAX_PAGES", 1)
    submission = submit(enrollment_rules_requirement, county_user, scanned_pdf(RULES * 20, stamp=False), "很长的扫描件.pdf")
    run_tasks()
    submission.refresh_from_db()
    assert submission.recognition == DocumentSubmission.Recognition.FAILED
    assert "超过自动识别的上限" in submission.recognition_note


def test_the_page_image_is_for_the_unit_and_those_above_only(enrollment_rules_requirement, county_user, city_user,
                                                              sibling_county_user, client, run_tasks):
    need_ocr()
    submission = submit(enrollment_rules_requirement, county_user, scanned_png(RULES[:2]), "细则.png")
    run_tasks()
    url = f"/submissions/{submission.pk}/pages/1.png"
    for user, status in ((county_user, 200), (city_user, 200), (sibling_county_user, 404)):
        response = client_for(client, user).get(url)
        assert response.status_code == status, user.username
        if status == 200:
            assert response["Content-Type"] == "image/png" and response.content.startswith(b"\x89PNG")
    assert client_for(client, city_user).get(f"/submissions/{submission.pk}/pages/2.png").status_code == 404


def test_the_review_page_polls_while_the_scan_is_read(enrollment_rules_requirement, county_user, city_user, client, run_tasks):
    need_ocr()
    submission = submit(enrollment_rules_requirement, county_user, scanned_png(RULES[:2]), "细则.png")
    c = client_for(client, city_user)
    page = c.get(f"/requirements/{enrollment_rules_requirement.pk}/140525/").content.decode()
    assert "正在进行文字识别" in page and f"/submissions/{submission.pk}/recognition" in page
    assert c.get(f"/submissions/{submission.pk}/recognition").status_code == 200
    run_tasks()
    done = c.get(f"/submissions/{submission.pk}/recognition")
    assert done.status_code == 204 and done["HX-Refresh"] == "true"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_reviewer_sees_the_page_image_beside_the_text_read_with_the_findings_marked_in_both(
        page, live_server, seeded_notices, county_user, city_user, run_tasks):
    need_ocr()
    requirement = seeded_notices["晋市教基函字(2021)25号"].requirements.get(document_type="enrollment_rules")
    submit(requirement, county_user, scanned_pdf(RULES), "泽州县实施细则（盖章扫描件）.pdf")
    run_tasks()
    login(page, live_server, city_user.username)
    page.goto(f"{live_server.url}/requirements/{requirement.pk}/140525/")
    assert "识别文本" in page.inner_text("#recognized-title")
    assert "可能有识别错误" in page.inner_text("#recognized-title")
    image = page.locator("#scan-page-1 img")
    image.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", image.element_handle())
    assert page.locator("#scan-page-1 rect.finding-box").count() > 0
    marked = " ".join(page.locator("#scan-page-1 .recognized mark.finding").all_inner_texts())
    assert "计划生育证明" in marked
    # The boxes sit on the image where the marked words are: inside the picture, not at its corner.
    box = page.locator("#scan-page-1 rect.finding-box").first.bounding_box()
    frame = image.bounding_box()
    assert frame["x"] < box["x"] < frame["x"] + frame["width"] and frame["y"] < box["y"] < frame["y"] + frame["height"]
    page.screenshot(path="/tmp/scan-review.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    frame = image.bounding_box()
    # The image and the text stack at phone width (the site's navigation is another matter).
    assert page.locator("#scan-page-1 .recognized").bounding_box()["y"] > frame["y"] + 100
    page.screenshot(path="/tmp/scan-review-phone.png", full_page=True)
    assert page.outside_requests == []


def test_a_scan_uploaded_on_the_page_is_checked_by_the_worker(client, enrollment_rules_requirement, county_user, run_tasks):
    need_ocr()
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = client_for(client, county_user)
    upload = SimpleUploadedFile("泽州县实施细则（盖章扫描件）.pdf", scanned_pdf(RULES), content_type="application/pdf")
    response = c.post(f"/requirements/{enrollment_rules_requirement.pk}/140525/upload", {"file": upload, "note": ""}, follow=True)
    assert "正在进行文字识别" in response.content.decode()
    run_tasks()
    submission = DocumentSubmission.objects.get(requirement=enrollment_rules_requirement, unit__code="140525")
    assert sorted({f["code"] for f in submission.findings}) == text_codes()
    assert "识别文本" in c.get(f"/requirements/{enrollment_rules_requirement.pk}/140525/").content.decode()


def test_a_large_scan_goes_from_the_background_check_on_to_ocr(enrollment_rules_requirement, county_user, run_tasks,
                                                                monkeypatch):
    need_ocr()
    monkeypatch.setattr(documents, "SYNC_CHECK_MAX_BYTES", 1)  # every document counts as large
    submission = submit(enrollment_rules_requirement, county_user, scanned_pdf(RULES), "扫描件.pdf")
    assert (submission.check_status, submission.recognition) == ("pending", "")

    run_tasks()  # the check finds no text layer and queues the OCR
    run_tasks()

    submission.refresh_from_db()
    assert (submission.check_status, submission.recognition) == ("done", DocumentSubmission.Recognition.DONE)
    assert sorted({f["code"] for f in submission.findings}) == text_codes()
