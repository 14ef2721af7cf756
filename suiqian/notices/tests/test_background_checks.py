"""A large 实施细则 is answered at once and checked by the worker; the page shows the check's progress and result."""

from django.core.files.uploadedfile import SimpleUploadedFile

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.notices import services
from suiqian.notices.models import DocumentSubmission

OFFENDING = "第一条 随迁子女入学须持有本地居住证满两年，并提供计划生育证明。\n"


def large_rules() -> bytes:
    filler = "第{}条 学校按学区划分招生，保障适龄儿童就近入学。\n"
    text = OFFENDING + "".join(filler.format(i) for i in range(2, 20000))
    data = text.encode("utf-8")
    assert len(data) > services.LARGE_DOCUMENT_BYTES
    return data


def test_a_large_document_is_checked_by_the_worker(client, seeded_notices, county_user, sibling_county_user,
                                                    run_tasks):
    req = seeded_notices["晋市教基函字(2021)25号"].requirements.get(document_type="enrollment_rules")
    url = f"/requirements/{req.pk}/140525/"
    client.force_login(county_user)
    response = client.post(url + "upload", {"file": SimpleUploadedFile("细则.txt", large_rules())}, follow=True)
    assert "已报送第 1 版" in response.content.decode()
    submission = DocumentSubmission.objects.get()
    assert submission.checking and submission.findings == []
    page = client.get(url).content.decode()
    assert "自动审查进行中" in page and "check-progress" in page
    progress = f"/submissions/{submission.pk}/check-progress"
    assert "自动审查进行中" in client.get(progress).content.decode()
    client.force_login(sibling_county_user)
    assert client.get(progress).status_code == 404
    run_tasks()
    submission.refresh_from_db()
    assert not submission.checking
    codes = {f["code"] for f in submission.findings}
    assert {"RESIDENCE_PERMIT_DURATION_EXCEEDS", "FAMILY_PLANNING_PROOF"} <= codes
    client.force_login(county_user)
    assert "自动审查已完成：发现" in client.get(progress).content.decode()
    assert f"自动审查发现 {len(submission.findings)} 处问题" in client.get(url).content.decode()


def test_a_small_document_is_still_checked_on_arrival(seeded_notices, county_user):
    req = seeded_notices["晋市教基函字(2021)25号"].requirements.get(document_type="enrollment_rules")
    unit = Division.objects.get(code="140525", valid_to__isnull=True)
    s = services.submit_document(Scope.of(county_user), county_user, req, unit, OFFENDING.encode(), "a.txt")
    assert not s.checking and {f["code"] for f in s.findings} >= {"FAMILY_PLANNING_PROOF"}
