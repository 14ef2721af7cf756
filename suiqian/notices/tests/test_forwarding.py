import datetime as dt

import pytest

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.notices import services
from suiqian.notices.models import Notice, Requirement

D = dt.date


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


@pytest.fixture
def province_notice(province_user, shanxi):
    scope = Scope.of(province_user)
    notice = services.create_notice(scope, province_user, unit("140000"), wenhao="晋教基函〔2021〕99号", title="测试通知",
                                    requirements=[services.RequirementSpec("实施细则", "document", D(2021, 6, 30),
                                                                           document_type="enrollment_rules")])
    return services.publish_notice(scope, province_user, notice)


def test_a_city_forwards_with_earlier_due_dates(province_notice, city_user):
    parent_req = province_notice.requirements.get()
    forward = services.forward_notice(Scope.of(city_user), city_user, province_notice, unit("140500"),
                                      wenhao="晋市教基函字(2021)99号", title="转发", due_dates={parent_req.pk: D(2021, 6, 20)},
                                      contacts=[{"name": "张志胜", "phone": "2066121", "email": ""}])
    assert forward.status == Notice.Status.PUBLISHED and forward.forwarded_from == province_notice
    assert [t.unit.code for t in forward.targets.order_by("unit__code")] == [
        "140502", "140521", "140522", "140524", "140525", "140581"]
    req = forward.requirements.get()
    assert (req.due_date, req.parent) == (D(2021, 6, 20), parent_req)
    assert forward.contacts == [{"name": "张志胜", "phone": "2066121", "email": ""}]


def test_a_forwarded_due_date_later_than_the_parents_is_refused(province_notice, city_user):
    parent_req = province_notice.requirements.get()
    with pytest.raises(services.NoticeError, match="截止日期 2021年7月1日 晚于上级要求的 2021年6月30日"):
        services.forward_notice(Scope.of(city_user), city_user, province_notice, unit("140500"),
                                wenhao="晋市教基函字(2021)99号", title="转发", due_dates={parent_req.pk: D(2021, 7, 1)})
    assert not Notice.objects.filter(issuer__code="140500").exists()


def test_only_a_receiving_unit_forwards_and_only_to_its_own_children(province_notice, city_user, county_user):
    with pytest.raises(services.NotAllowed):
        services.forward_notice(Scope.of(county_user), county_user, province_notice, unit("140500"),
                                wenhao="x", title="x")
    with pytest.raises(services.NoticeError, match="不是本单位的直属下级"):
        services.create_notice(Scope.of(city_user), city_user, unit("140500"), wenhao="x", title="x", body="x",
                               targets=[unit("140105")])


def test_the_seed_loads_both_notices_with_their_deadlines(seeded_notices):
    province, city = seeded_notices["晋教基函〔2021〕24号"], seeded_notices["晋市教基函字(2021)25号"]
    assert province.targets.count() == 11 and city.targets.count() == 6
    assert city.forwarded_from == province
    assert sorted((r.document_type or r.form.code, r.due_date) for r in city.requirements.all()) == sorted([
        ("enrollment_rules", D(2021, 6, 20)), ("work_summary", D(2021, 9, 20)), ("summary-2021", D(2021, 9, 20))])
    plans = province.requirements.get(document_type=Requirement.DocumentType.KEY_COUNTY_PLAN)
    assert sorted(plans.units.values_list("name", flat=True)) == sorted(
        ["大同市", "朔州市", "长治市", "运城市", "忻州市", "临汾市", "吕梁市"])
    assert sorted(a.name[:3] for a in province.attachments.all()) == ["附件1", "附件2", "附件3"]
    assert city.contacts[0]["name"] == "张志胜"


def test_forwarding_the_same_notice_twice_is_refused(province_notice, city_user, client):
    services.forward_notice(Scope.of(city_user), city_user, province_notice, unit("140500"),
                            wenhao="晋市教基函字(2021)99号", title="转发")
    with pytest.raises(services.NoticeError, match="已转发过该通知"):
        services.forward_notice(Scope.of(city_user), city_user, province_notice, unit("140500"),
                                wenhao="晋市教基函字(2021)100号", title="再转发")
    client.force_login(city_user)
    due = {f"due-{r.pk}": "2021-06-20" for r in province_notice.requirements.all()}
    response = client.post(f"/notices/{province_notice.pk}/forward", {"wenhao": "晋市教基函字(2021)101号",
                                                                      "title": "又一次转发", **due})
    assert response.status_code == 400 and "不能重复转发" in response.content.decode()
    assert Notice.objects.filter(forwarded_from=province_notice, issuer__code="140500").count() == 1
