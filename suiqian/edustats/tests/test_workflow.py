import pytest

from suiqian.accounts.scope import Scope

from .. import services
from .conftest import ZEZHOU, reported, unit


def test_return_and_unlock_need_a_reason_and_reopen_the_figures(city_user, county_user):
    city, county = Scope.of(city_user), Scope.of(county_user)
    record = reported("140525", ZEZHOU)
    with pytest.raises(services.ReportError, match="退回必须填写原因"):
        services.return_(city, city_user, record, " ")
    record = services.return_(city, city_user, record, "公办初中人数与学籍系统不符")
    assert record.status == "returned" and record.return_reason == "公办初中人数与学籍系统不符"
    record = services.save_figures(county, county_user, unit("140525"), 2021, {"public_school_junior": "301"})
    record = services.submit(county, county_user, record)
    record = services.approve(city, city_user, record)
    with pytest.raises(services.Locked):
        services.save_figures(county, county_user, unit("140525"), 2021, {"public_school_junior": "302"})
    with pytest.raises(services.ReportError, match="解锁必须填写原因"):
        services.unlock(city, city_user, record, "")
    record = services.unlock(city, city_user, record, "更正初中人数")
    assert record.status == "returned"
    assert services.save_figures(county, county_user, unit("140525"), 2021, {"public_school_junior": "302"}).status \
        == "draft"


def test_a_county_cannot_review_itself_and_incomplete_figures_are_not_submitted(county_user):
    county = Scope.of(county_user)
    record = services.save_figures(county, county_user, unit("140525"), 2021, {"public_school_primary": "10"})
    with pytest.raises(services.RulesFailed, match="未填写"):
        services.submit(county, county_user, record)
    broken = dict(ZEZHOU, public_school_primary=600)  # more than the 540 进城务工人员随迁子女 in primary
    record = services.save_figures(county, county_user, unit("140525"), 2021, {k: str(v) for k, v in broken.items()})
    with pytest.raises(services.RulesFailed, match="公办学校就读与享受购买学位人数之和不能多于"):
        services.submit(county, county_user, record)
    record = services.save_figures(county, county_user, unit("140525"), 2021, {"public_school_primary": "500"})
    record = services.submit(county, county_user, record)
    with pytest.raises(services.NotAllowed):
        services.approve(county, county_user, record)
    with pytest.raises(services.Locked, match="请勿重复上报"):
        services.submit(county, county_user, record)


def test_a_stale_page_is_refused(county_user):
    county = Scope.of(county_user)
    record = services.save_figures(county, county_user, unit("140525"), 2021, {"public_school_primary": "10"})
    services.save_figures(county, county_user, unit("140525"), 2021, {"public_school_primary": "11"},
                          expected_version=record.version)
    with pytest.raises(services.Stale):
        services.save_figures(county, county_user, unit("140525"), 2021, {"public_school_primary": "12"},
                              expected_version=record.version)
