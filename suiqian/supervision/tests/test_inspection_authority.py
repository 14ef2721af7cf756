"""An inspection belongs to the unit that made it: units between the inspector and the inspected may read it,
never change it or file a 通报 under it; every change is audited with old → new."""

import datetime as dt

import pytest

from suiqian.accounts.models import AuditEvent, Role
from suiqian.accounts.scope import Refused, Scope
from suiqian.conftest import make_user
from suiqian.divisions.models import Division
from suiqian.supervision import services
from suiqian.supervision.models import Inspection, Sanction

D = dt.date


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


@pytest.fixture
def province_inspection(province_user):
    return services.create_inspection(Scope.of(province_user), province_user, unit("140525"), plan="省级专项检查",
                                      date=D(2021, 10, 8), findings="省级发现", rectification="省级整改要求")


def test_a_city_cannot_change_or_add_to_the_provinces_inspection_of_its_county(client, shanxi, province_inspection):
    city_reviewer = make_user("140500", roles=[Role.REVIEWER, Role.ADMIN], username="city-reviewer")
    client.force_login(city_reviewer)
    url = f"/supervision/inspections/{province_inspection.pk}/"
    assert client.get(url).status_code == 200  # the city still reads it
    assert 'action="' + url + 'update"' not in client.get(url).content.decode()
    response = client.post(url + "update", {"status": "closed", "findings": "无问题", "rectification": ""})
    assert response.status_code == 403
    response = client.post(url + "sanctions", {"kind": "bulletin", "date": "2021-10-09", "text": "通报"})
    assert response.status_code == 403
    province_inspection.refresh_from_db()
    assert (province_inspection.status, province_inspection.findings, province_inspection.rectification) == (
        "rectifying", "省级发现", "省级整改要求")
    assert not Sanction.objects.exists()
    with pytest.raises(Refused):
        services.update_inspection(Scope.of(city_reviewer), city_reviewer, province_inspection, status="closed")


def test_the_inspector_and_units_above_change_it_and_every_change_is_audited(client, province_user, city_user):
    city_inspection = services.create_inspection(Scope.of(city_user), city_user, unit("140525"), plan="市级检查",
                                                 date=D(2021, 10, 8), findings="市级发现")
    client.force_login(province_user)  # above the inspector
    response = client.post(f"/supervision/inspections/{city_inspection.pk}/update",
                           {"status": "closed", "findings": "已整改", "rectification": "",
                            "rectification_due": "2021-11-30"})
    assert response.status_code == 302
    event = AuditEvent.objects.filter(detail__event="inspection_changed").get()
    assert event.user == province_user and event.unit.code == "140525"
    assert event.detail["changes"] == {"status": ["planned", "closed"], "findings": ["市级发现", "已整改"],
                                       "rectification_due": [None, "2021-11-30"]}
    client.force_login(city_user)
    assert client.post(f"/supervision/inspections/{city_inspection.pk}/sanctions",
                       {"kind": "talk", "date": "2021-12-01", "text": "约谈"}).status_code == 302
    assert Sanction.objects.get().inspection == city_inspection


def test_the_county_itself_and_a_sibling_cannot_touch_it(client, province_inspection, county_user,
                                                         sibling_county_user):
    for user, status in [(county_user, 403), (sibling_county_user, 404)]:
        client.force_login(user)
        assert client.post(f"/supervision/inspections/{province_inspection.pk}/update",
                           {"status": "closed"}).status_code == status
    assert Inspection.objects.get().status == "rectifying"
