"""Headers: a strict Content-Security-Policy (no inline script), HSTS on HTTPS, and nothing a signed-in user
saw — pages, files, API answers carrying children's data — kept by any cache."""

import datetime as dt

import pytest
from django.core.management import call_command

from suiqian.conftest import login
from suiqian.rosters.models import DropoutCase


def csp(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def test_every_page_carries_a_strict_script_policy(client, county_user):
    for url in ("/login/", "/healthz"):
        policy = csp(client.get(url))
        assert policy["script-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"] and "'unsafe-eval'" not in str(policy)
    client.force_login(county_user)
    assert csp(client.get("/"))["script-src"] == ["'self'"]


def test_hsts_is_sent_on_https_only(client):
    assert "Strict-Transport-Security" not in client.get("/login/")
    assert client.get("/login/", secure=True)["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.fixture
def dropout_case(shanxi):
    from suiqian.divisions.models import Division

    return DropoutCase.objects.create(
        term="2022-spring", id_hash=b"1" * 32, id_masked="140525********1234", name="张三", sex="男",
        birth_date=dt.date(2012, 3, 1), unit=Division.objects.get(code="140525", valid_to__isnull=True),
        school="实验小学", school_type=1, grade=4)


def test_pages_and_files_with_childrens_data_are_never_stored(client, county_user, dropout_case):
    client.force_login(county_user)
    for url in (f"/rosters/cases/{dropout_case.pk}/", "/rosters/140525/cases?term=2022-spring",
                "/rosters/140525/cases?term=2022-spring&format=csv", "/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], url
    client.logout()
    assert "no-store" not in client.get("/healthz").get("Cache-Control", "")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_pages_run_under_the_policy_without_a_violation(page, live_server, seeded, summary_form):
    call_command("demo", "users")
    call_command("demo", "data")
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    login(page, live_server, "140000", "suiqian-demo")
    page.goto(f"{live_server.url}/dashboard/?year=2020")
    page.wait_for_selector("#dashboard[data-ready='1']")
    page.hover("#chart-ranking")  # ECharts tooltips are markup with inline styles
    page.select_option("select[name=year]", "2021")  # the year picker submits through site.js, not inline
    page.wait_for_url("**year=2021**")
    page.wait_for_load_state("networkidle")
    login(page, live_server, "140525", "suiqian-demo")
    page.goto(f"{live_server.url}/forms/summary-2021/140525/")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/supervision/")
    page.goto(f"{live_server.url}/admin/login/")
    assert violations == []
