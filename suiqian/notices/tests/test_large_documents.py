"""A large 实施细则 is stored at once and checked by the worker; nobody else waits for it."""

import subprocess
import sys
import time
import urllib.request

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from suiqian.accounts.scope import Scope
from suiqian.notices import documents
from suiqian.notices.models import DocumentSubmission
from suiqian.notices.services import NoticeError
from suiqian.tests.hostile_files import long_pdf, pdf_bomb


def rules_url(notices):
    enrollment_rules = notices["晋市教基函字(2021)25号"].requirements.get(document_type="enrollment_rules")
    return f"/requirements/{enrollment_rules.pk}/140525/upload"


def upload(client, user, url, name, data):
    client.force_login(user)
    started = time.monotonic()
    response = client.post(url, {"file": SimpleUploadedFile(name, data)})
    return response, time.monotonic() - started


def test_a_large_pdf_is_stored_at_once_and_checked_by_the_worker(client, seeded_notices, county_user, run_tasks):
    response, _ = upload(client, county_user, rules_url(seeded_notices), "实施细则.pdf", long_pdf(60))
    assert response.status_code == 302
    submission = DocumentSubmission.objects.get()
    assert (submission.check_status, submission.findings) == ("pending", [])
    page = client.get(f"/requirements/{submission.requirement_id}/140525/").content.decode()
    assert "自动审查正在后台进行" in page

    run_tasks()

    submission.refresh_from_db()
    assert submission.check_status == "done" and len(submission.paragraphs) >= 60
    assert {f["code"] for f in submission.findings} >= {"RESIDENCE_PERMIT_DURATION_EXCEEDS"}
    page = client.get(f"/requirements/{submission.requirement_id}/140525/").content.decode()
    assert "自动审查正在后台进行" not in page and '<mark class="finding' in page


def test_a_hostile_pdf_is_refused_at_the_door(client, seeded_notices, county_user):
    response, seconds = upload(client, county_user, rules_url(seeded_notices), "实施细则.pdf",
                               pdf_bomb(256 * 1024 * 1024))
    assert response.status_code == 302 and seconds < 10
    assert "解压后异常大" in client.get(response["Location"]).content.decode()
    assert not DocumentSubmission.objects.exists()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def _get(url, session):
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={session}"})
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        response.read()
    return time.monotonic() - started


def _worker_env(settings) -> dict:
    """`suiqian worker` as production runs it: its own process, on the same database and media."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{s['NAME']}"
    else:
        url = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return {"DATABASE_URL": url, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(settings.BASE_DIR.parent),
            "SUIQIAN_VAR_DIR": str(settings.VAR_DIR), "SECRET_KEY": settings.SECRET_KEY,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT)}


@pytest.mark.django_db(transaction=True)
def test_while_a_400_page_pdf_is_checked_other_users_pages_keep_answering(client, seeded_notices, county_user,
                                                                          province_user, live_server, settings):
    pdf = long_pdf(400)
    response, seconds = upload(client, county_user, rules_url(seeded_notices), "实施细则.pdf", pdf)
    assert response.status_code == 302 and seconds < 5, seconds
    submission = DocumentSubmission.objects.get()
    assert submission.check_status == "pending"

    client.force_login(province_user)
    session = client.cookies["sessionid"].value
    pages = [f"{live_server.url}/notices/", f"{live_server.url}/forms/",
             f"{live_server.url}/notices/{submission.requirement.notice_id}/"]
    for url in pages:
        _get(url, session)  # warm: templates compiled, connections opened

    worker = subprocess.Popen([sys.executable, "-m", "suiqian.cli", "worker", "--batch", "--no-startup-delay", "-v0"],
                              env=_worker_env(settings), stderr=subprocess.PIPE)
    times = []
    while worker.poll() is None and len(times) < 60:
        times.append(_get(pages[len(times) % len(pages)], session))
        time.sleep(0.2)
    still_checking = worker.poll() is None
    assert worker.wait(timeout=300) == 0, worker.stderr.read().decode()[-2000:]

    assert still_checking or len(times) >= 5, "the check ended before the other user's pages were measured"
    assert max(times) < 1.0, [round(t, 2) for t in times]
    submission.refresh_from_db()
    assert submission.check_status == "done" and len(submission.paragraphs) >= 400


# --- notice attachments: the same checks as every upload ------------------------------------

def test_notice_attachments_are_checked_like_every_upload(province_user, seeded):
    from suiqian.accounts.scope import Scope
    from suiqian.divisions.models import Division
    from suiqian.notices import services
    from suiqian.notices.models import Notice
    from suiqian.tests.hostile_files import docx_bomb

    scope, province = Scope.of(province_user), Division.objects.get(code="140000", valid_to__isnull=True)

    def create(attachments, wenhao="晋教基函〔2021〕98号"):
        return services.create_notice(scope, province_user, province, wenhao=wenhao, title="测试", body="正文",
                                      attachments=attachments)

    pe = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(4096)
    with pytest.raises(services.NoticeError, match="附件“setup.exe”：附件类型不受支持"):
        create([("说明.pdf", long_pdf(1)), ("setup.exe", pe)])
    big = long_pdf(1) + b"%" + bytes(19 * 1024 * 1024)
    with pytest.raises(services.NoticeError, match="附件合计超过 40 MB"):
        create([("一.pdf", big), ("二.pdf", big), ("三.pdf", big)])
    with pytest.raises(services.NoticeError, match="解压后的内容异常大"):
        create([("附件.docx", docx_bomb(300 * 1024 * 1024))])
    assert not Notice.objects.filter(wenhao="晋教基函〔2021〕98号").exists()
    notice = create([("附件1.pdf", long_pdf(1)), ("run.bat", "echo 1".encode())])
    assert sorted(a.name for a in notice.attachments.all()) == ["run.bat.txt", "附件1.pdf"]


def test_a_document_over_20_mb_is_refused_by_the_service_for_every_caller(client, seeded_notices, county_user):
    """The size limit lives in the service: the page, the API and a command (bytes) are all refused the same way."""
    too_big = b"%PDF-1.4\n" + bytes(20 * 1024 * 1024)
    response, _ = upload(client, county_user, rules_url(seeded_notices), "实施细则.pdf", too_big)
    assert response.status_code == 302
    assert "文件超过 20 MB" in client.get(response.url).content.decode()
    requirement = seeded_notices["晋市教基函字(2021)25号"].requirements.get(document_type="enrollment_rules")
    with pytest.raises(NoticeError, match="文件超过 20 MB"):
        documents.submit_document(Scope.of(county_user), county_user, requirement, county_user.unit, too_big, "a.pdf")
    assert not DocumentSubmission.objects.exists()
