import datetime as dt

import pytest

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.supervision import services

D = dt.date


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


@pytest.fixture
def inspection(city_user):
    return services.create_inspection(Scope.of(city_user), city_user, unit("140525"), plan="2021年随迁子女入学专项检查",
                                      date=D(2021, 10, 8), findings="要求提供户籍地无人监护证明",
                                      rectification="删除该要求并公开说明", rectification_due=D(2021, 10, 31))


def test_an_inspection_with_findings_starts_rectification_and_takes_a_sanction(inspection, city_user):
    assert inspection.status == "rectifying" and inspection.inspector.code == "140500"
    talk = services.record_sanction(Scope.of(city_user), city_user, inspection, kind="talk", date=D(2021, 11, 2),
                                    text="约谈泽州县教育局分管负责人")
    assert talk.inspection == inspection and talk.get_kind_display() == "约谈"
    services.update_inspection(Scope.of(city_user), city_user, inspection, status="closed")
    inspection.refresh_from_db()
    assert inspection.status == "closed"


def test_a_sanction_needs_findings_and_a_unit_cannot_inspect_itself(city_user, county_user):
    bare = services.create_inspection(Scope.of(city_user), city_user, unit("140521"), plan="计划", date=D(2021, 10, 8))
    with pytest.raises(services.SupervisionError, match="先记录检查发现"):
        services.record_sanction(Scope.of(city_user), city_user, bare, kind="bulletin", date=D(2021, 10, 9), text="x")
    with pytest.raises(services.NotAllowed):
        services.create_inspection(Scope.of(county_user), county_user, unit("140525"), plan="x", date=D(2021, 1, 1))
    with pytest.raises(services.NotAllowed):
        services.create_inspection(Scope.of(city_user), city_user, unit("140105"), plan="x", date=D(2021, 1, 1))


def test_inspections_are_visible_to_the_inspected_unit_and_above_only(client, inspection, county_user,
                                                                     sibling_county_user, province_user):
    for user, visible in [(county_user, True), (province_user, True), (sibling_county_user, False)]:
        client.force_login(user)
        assert client.get(f"/supervision/inspections/{inspection.pk}/").status_code == (200 if visible else 404)
        assert ("2021年随迁子女入学专项检查" in client.get("/supervision/").content.decode()) == visible
    client.force_login(county_user)
    assert client.post(f"/supervision/inspections/{inspection.pk}/update", {"status": "closed"}).status_code == 403
