"""On a 390-px phone the navigation folds into a menu, wide tables scroll inside their card, nothing overflows."""

import os

import pytest

from suiqian.conftest import county_values, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("SUIQIAN_SCREENSHOTS")  # a folder to keep screenshots in, for a person to look at


def width_of(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def shoot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_home_and_form_page_fit_a_phone(page, live_server, seeded_notices, county_user):
    from suiqian.accounts.scope import Scope
    from suiqian.divisions.models import Division
    from suiqian.reporting import services
    from suiqian.reporting.models import FormDefinition

    services.save_values(Scope.of(county_user), county_user, FormDefinition.objects.get(code="summary-2021"),
                         Division.objects.get(code="140525", valid_to__isnull=True), county_values())
    page.set_viewport_size(PHONE)
    login(page, live_server, county_user.username)
    for name, path in (("home", "/"), ("form", "/forms/summary-2021/140525/"), ("notices", "/notices/"),
                       ("notice", f"/notices/{seeded_notices['晋市教基函字(2021)25号'].pk}/"),
                       ("dashboard", "/dashboard/"), ("supervision", "/supervision/"), ("rosters", "/rosters/"),
                       ("enrollment", "/stats/enrollment/"), ("unit", "/units/140525/"), ("users", "/account/users/")):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert width_of(page) <= 390, f"{path} is {width_of(page)} px wide"
        shoot(page, f"phone-{name}")
    # The navigation is behind a menu button, and opens on a tap without widening the page.
    assert not page.is_visible("#main-nav")
    page.click("#nav-toggle")
    assert page.is_visible("#main-nav") and page.is_visible("text=退出")
    assert width_of(page) <= 390
    shoot(page, "phone-menu")
    page.click("#main-nav >> text=填报")
    page.wait_for_selector("h1")
    assert width_of(page) <= 390


def test_the_form_table_scrolls_inside_its_card(page, live_server, summary_form, county_user):
    page.set_viewport_size(PHONE)
    login(page, live_server, county_user.username)
    page.goto(live_server.url + "/forms/summary-2021/140525/")
    paper = page.locator(".paper")
    inner, outer = paper.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert inner > outer  # the table is wider than the phone, and scrolls where it is
    page.fill("#f-gaokao_applicants", "30")
    assert page.input_value("#f-gaokao_applicants") == "30"


def test_the_desk_shows_the_navigation_without_a_menu(page, live_server, summary_form, county_user):
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_server, county_user.username)
    page.goto(live_server.url + "/forms/summary-2021/140525/")
    assert page.is_visible("#main-nav") and not page.is_visible("#nav-toggle")
    shoot(page, "desk-form")
    page.goto(live_server.url + "/")
    shoot(page, "desk-home")
