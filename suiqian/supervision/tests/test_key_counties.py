import pytest

from suiqian.accounts.scope import Scope
from suiqian.conftest import make_user
from suiqian.divisions.models import Division
from suiqian.notices import documents as notice_documents
from suiqian.notices import services as notices
from suiqian.notices.models import Requirement
from suiqian.supervision import services
from suiqian.supervision.queries import key_counties


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


def test_a_city_forwards_the_plan_requirement_to_its_key_counties_only(seeded_notices):
    datong = make_user("140200")
    notice = notices.forward_notice(Scope.of(datong), datong, seeded_notices["晋教基函〔2021〕24号"], unit("140200"),
                                    wenhao="同教基函〔2021〕1号", title="转发")
    plan = notice.requirements.get(document_type=Requirement.DocumentType.KEY_COUNTY_PLAN)
    assert [u.name for u in plan.units.all()] == ["新荣区"]
    rules = notice.requirements.get(document_type=Requirement.DocumentType.ENROLLMENT_RULES)
    assert rules.units.count() == 0  # every county


def test_a_plan_approved_by_the_province_is_filed(seeded_notices, province_user):
    datong = make_user("140200")
    plan_req = seeded_notices["晋教基函〔2021〕24号"].requirements.get(document_type="key_county_plan")
    status = {k.listing.unit.code: k for k in key_counties(Scope.of(province_user), 2021)}
    assert len(status) == 11 and not status["140212"].filed
    s = notice_documents.submit_document(Scope.of(datong), datong, plan_req, unit("140200"), "新荣区一县一案".encode(), "a.txt")
    notice_documents.review_document(Scope.of(province_user), province_user, s, approve=True)
    status = {k.listing.unit.code: k for k in key_counties(Scope.of(province_user), 2021)}
    assert status["140212"].filed and status["140212"].plans == [s]


def test_progress_notes_only_for_listed_counties(seeded, county_user, province_user):
    with pytest.raises(services.SupervisionError, match="不在 2021 年重点督促名单中"):
        services.add_progress_note(Scope.of(county_user), county_user, unit("140525"), 2021, "x")
    services.add_progress_note(Scope.of(province_user), province_user, unit("140427"), 2021, "壶关县新建学校开工")
    notes = {k.listing.unit.code: [n.text for n in k.notes] for k in key_counties(Scope.of(province_user), 2021)}
    assert notes["140427"] == ["壶关县新建学校开工"] and notes["140212"] == []
