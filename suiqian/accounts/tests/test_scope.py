from suiqian.accounts.models import Role
from suiqian.accounts.scope import Scope
from suiqian.conftest import make_user
from suiqian.divisions.models import Division


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


def test_a_user_sees_own_unit_and_below_and_nothing_beside(city_user):
    scope = Scope.of(city_user)
    assert set(scope.units().current().values_list("code", flat=True)) == {
        "140500", "140502", "140521", "140522", "140524", "140525", "140581"}
    assert scope.sees(unit("140525")) and not scope.sees(unit("140100")) and not scope.sees(unit("140000"))


def test_a_reviewer_reviews_only_the_units_directly_below(city_user, province_user):
    city, province = Scope.of(city_user), Scope.of(province_user)
    assert city.may_review(unit("140525"))
    assert not city.may_review(unit("140500"))
    assert not province.may_review(unit("140525"))  # grandchildren go through their city
    assert province.may_review(unit("140500"))


def test_a_filler_fills_only_for_own_unit(county_user):
    scope = Scope.of(county_user)
    assert scope.may_fill(unit("140525")) and not scope.may_fill(unit("140521"))


def test_roles_are_what_the_user_holds(shanxi):
    viewer = make_user("140525", roles=[Role.VIEWER], username="viewer")
    scope = Scope.of(viewer)
    assert scope.sees(unit("140525"))
    assert not scope.may_fill(unit("140525")) and not scope.may_manage(unit("140525"))


def test_the_filter_restricts_any_unit_owned_rows(seeded, city_user):
    from suiqian.supervision.models import KeySupervisionListing

    province_view = Scope.system().filter(KeySupervisionListing.objects.all())
    city_view = Scope.of(make_user("140900")).filter(KeySupervisionListing.objects.all())  # 忻州市
    assert province_view.count() == 11
    assert [k.unit.name for k in city_view] == ["忻府区", "宁武县"]
    assert Scope.of(city_user).filter(KeySupervisionListing.objects.all()).count() == 0
