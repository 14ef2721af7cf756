"""In a real browser, with `suiqian worker` running beside the server as `make demo` starts it:
泽州县 uploads its fall roster as .xlsx, watches it reach 完成, then starts the comparison with 开始比对."""

import subprocess
import sys

import pytest
from django.db import connection

from suiqian.accounts.scope import Scope
from suiqian.conftest import login
from suiqian.rosters.models import DropoutCase, ImportJob
from suiqian.rosters.tests.conftest import unit
from suiqian.rosters.tests.factories import child, import_rows, xlsx_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(settings):
    """`suiqian worker -v0`, the command `make demo` starts, against the test database and media."""
    s = connection.settings_dict
    url = (f"sqlite:///{s['NAME']}" if connection.vendor == "sqlite"
           else f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}")
    process = subprocess.Popen(
        [sys.executable, "-m", "suiqian.cli", "worker", "-v0", "--interval", "0.2"],
        env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(settings.BASE_DIR.parent),
             "SUIQIAN_VAR_DIR": str(settings.VAR_DIR), "SECRET_KEY": settings.SECRET_KEY,
             "MEDIA_ROOT": str(settings.MEDIA_ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_an_xlsx_roster_uploaded_on_the_page_reaches_done_and_detection_runs_from_the_button(
        page, live_server, county_user, worker, tmp_path):
    scope = Scope.of(county_user)
    import_rows(scope, county_user, tmp_path, [child(1), child(2), child(3)], "2021-spring", unit=unit("140525"))
    fall = tmp_path / "泽州县2021秋季名册.xlsx"
    fall.write_bytes(xlsx_bytes([child(1).next_year(), child(2).next_year()]))

    login(page, live_server, county_user.username)
    page.goto(f"{live_server.url}/rosters/140525/?term=2021-fall")
    assert page.input_value("#upload-term") == "2021-fall"
    assert "2021年秋季学期" in page.inner_text("#upload-term")
    page.set_input_files("input[name=file]", str(fall))
    page.click("#start-import")
    page.wait_for_selector("#job-status:has-text('完成')", timeout=60000)
    assert "已导入 2 名学生" in page.inner_text("#job-message")
    job = ImportJob.objects.get(term="2021-fall")
    assert (job.kind, job.rows_written) == ("xlsx", 2)

    page.goto(f"{live_server.url}/rosters/140525/cases?term=2021-fall")
    page.click("#start-detection")
    page.wait_for_selector("#detection-status:has-text('完成')", timeout=60000)
    assert "新增疑似辍学 1 人" in page.inner_text("#detection-message")
    page.click("#detection-cases")
    assert child(3).name in page.inner_text("#cases")
    assert DropoutCase.objects.get().name == child(3).name
    assert not page.outside_requests
