"""Shared fixtures: Shanxi's real tree, and users at province, city and two sibling counties.

Every page and endpoint is tested for the sibling county too (the unit beside the
user's own must stay invisible), after healthchecks' two-teams BaseTestCase.
"""

import os
from pathlib import Path

import pytest

from suiqian.accounts.models import Role
from suiqian.accounts.services import create_or_update_user
from suiqian.divisions.models import Division
from suiqian.divisions.services import load_national_root, load_province
from suiqian.notices.models import Notice
from suiqian.portal.seed import load_seed_notices
from suiqian.reporting.models import FormDefinition
from suiqian.reporting.services import load_all_forms, load_reference_data
from suiqian.supervision.services import load_key_lists

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
PASSWORD = "test-pass-8831"


@pytest.fixture
def shanxi(db):
    load_province("140000")
    return Division.objects.get(code="140000")


@pytest.fixture
def nation(db):
    """教育部 above Shanxi: the four levels, without loading all 31 provinces."""
    load_national_root()
    load_province("140000")
    return Division.objects.get(code=Division.NATIONAL_CODE)


def _unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


def make_user(code, roles=tuple(Role.values), username=None):
    return create_or_update_user(username or f"u{code}", _unit(code), roles, PASSWORD, validate=False)


@pytest.fixture
def province_user(shanxi):
    return make_user("140000")


@pytest.fixture
def city_user(shanxi):
    return make_user("140500")  # 晋城市


@pytest.fixture
def county_user(shanxi):
    return make_user("140525")  # 泽州县, under 晋城市


@pytest.fixture
def sibling_county_user(shanxi):
    return make_user("140521")  # 沁水县, also under 晋城市


@pytest.fixture
def other_city_user(shanxi):
    return make_user("140100")  # 太原市


@pytest.fixture
def seeded(shanxi):
    load_all_forms()
    load_reference_data()
    load_key_lists()
    return shanxi


def client_for(client, user):
    client.force_login(user)
    return client


# --- browser tests ---------------------------------------------------------------

def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"未找到 {CHROMIUM}：跳过浏览器测试（apt-get install chromium）")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    if not CHROMIUM.exists():
        terminalreporter.write_line(f"注意：未找到 {CHROMIUM}，浏览器测试已跳过。", yellow=True)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real Chromium through Playwright")


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
    # inside one unless told that the test owns the thread.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


class OutsideRequests(list):
    """Every request a page made to anywhere but the live server."""


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    outside = OutsideRequests()
    page.on("request", lambda r: None if r.url.startswith((live_server.url, "data:", "blob:")) else outside.append(r.url))
    page.outside_requests = outside
    yield page
    context.close()


def login(page, live_server, username, password=PASSWORD):
    page.context.clear_cookies()  # a fresh session: whoever was logged in before is gone
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


# --- reporting ----------------------------------------------------------------------

@pytest.fixture
def summary_form(shanxi):
    load_all_forms()
    return FormDefinition.objects.get(code="summary-2021")


def county_values(scale: int = 1) -> dict[str, str]:
    """A consistent county-level 附件3 (every rule holds), as strings the way a page posts them."""
    v = {
        "new_places_primary": 120, "new_places_junior": 80, "new_places_total": 200,
        "new_places_migrant_primary": 30, "new_places_migrant_junior": 20, "new_places_migrant_total": 50,
        "migrant_children_total": 1000, "migrant_worker_children_total": 900,
        "public_school_primary": 500, "public_school_junior": 300, "public_school_total": 800,
        "purchased_places_primary": 40, "purchased_places_junior": 20, "purchased_places_total": 60,
        "zhongkao_applicants": 70, "gaokao_applicants": 30,
    }
    return {k: str(n * scale) for k, n in v.items()}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 is deliberately slow; tests create many users. test_login checks Argon2 on its own."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploaded files of a test go to its own folder, never into var/."""
    settings.MEDIA_ROOT = tmp_path / "media"


def docx_bytes(*paragraphs: str) -> bytes:
    """A real .docx with the given paragraphs."""
    import io

    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture
def seeded_notices(seeded, summary_form):
    load_seed_notices()
    return {n.wenhao: n for n in Notice.objects.all()}


# --- background tasks -----------------------------------------------------------------

def run_pending_tasks() -> None:
    """Run every queued task the way `suiqian worker` does, then return (the worker's --batch mode)."""
    from unittest import mock

    from django.core.management import call_command

    # The worker closes "old" connections between tasks, as a long-running process should; inside a test
    # that would close the test's own connection (and with it the transaction the test runs in).
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("worker", batch=True, startup_delay=False, verbosity=0)


@pytest.fixture
def run_tasks(db):
    return run_pending_tasks
