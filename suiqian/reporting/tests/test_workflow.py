"""草稿 → 已上报 → 已审核 / 已退回, with locking, history and the reviewer's view of changes."""

import pytest

from suiqian.accounts.models import Role
from suiqian.accounts.scope import Scope
from suiqian.conftest import county_values, make_user
from suiqian.divisions.models import Division
from suiqian.reporting import services
from suiqian.reporting.models import Report, ReportEvent


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


@pytest.fixture
def county_draft(summary_form, county_user):
    return services.save_values(Scope.of(county_user), county_user, summary_form, unit("140525"), county_values())


def test_saving_keeps_every_value_change_with_who_and_when(summary_form, county_user, county_draft):
    services.save_values(Scope.of(county_user), county_user, summary_form, unit("140525"),
                         {"zhongkao_applicants": "71"})
    events = list(county_draft.events.all())
    assert [e.action for e in events] == ["save", "save"]
    assert events[1].user == county_user
    assert events[1].changes == [{"field": "zhongkao_applicants", "old": 70, "new": 71}]
    assert county_draft.value_map()["zhongkao_applicants"] == 71


def test_one_bad_input_saves_nothing(summary_form, county_user, county_draft):
    with pytest.raises(services.InputErrors) as e:
        services.save_values(Scope.of(county_user), county_user, summary_form, unit("140525"),
                             {"zhongkao_applicants": "75", "gaokao_applicants": "-3", "new_places_total": "1.5"})
    assert set(e.value.errors) == {"gaokao_applicants", "new_places_total"}
    assert "随迁子女在流入地参加高考报名人数" in e.value.errors["gaokao_applicants"]
    assert county_draft.value_map()["zhongkao_applicants"] == 70


def test_a_county_cannot_fill_for_its_sibling(summary_form, county_user):
    with pytest.raises(services.NotAllowed):
        services.save_values(Scope.of(county_user), county_user, summary_form, unit("140521"), county_values())
    assert not Report.objects.exists()


def test_submit_is_refused_while_a_rule_error_stands(summary_form, county_user, county_draft):
    services.save_values(Scope.of(county_user), county_user, summary_form, unit("140525"),
                         {"public_school_total": "801"})
    with pytest.raises(services.RulesFailed, match="小学 \\+ 初中 应等于 合计"):
        services.submit_report(Scope.of(county_user), county_user, county_draft)
    county_draft.refresh_from_db()
    assert county_draft.status == Report.Status.DRAFT


def test_submit_is_refused_while_fields_are_empty(summary_form, county_user):
    report = services.save_values(Scope.of(county_user), county_user, summary_form, unit("140525"),
                                  {"zhongkao_applicants": "3"})
    with pytest.raises(services.RulesFailed, match="以下项目未填写"):
        services.submit_report(Scope.of(county_user), county_user, report)


def test_a_warning_needs_a_written_explanation(summary_form, county_user, county_draft):
    county = unit("140525")
    services.save_values(Scope.of(county_user), county_user, summary_form, county,
                         {"new_places_migrant_total": "250", "new_places_migrant_primary": "200",
                          "new_places_migrant_junior": "50"})
    with pytest.raises(services.RulesFailed, match="需要填写说明"):
        services.submit_report(Scope.of(county_user), county_user, county_draft)
    key = "migrant_places_within_all:new_places_migrant_total,new_places_total"
    report = services.submit_report(Scope.of(county_user), county_user, county_draft, {key: "含改扩建学校学位"})
    assert report.status == Report.Status.SUBMITTED
    assert report.explanations == {key: "含改扩建学校学位"}


def test_the_city_returns_with_a_reason_and_sees_what_changed(summary_form, county_user, city_user, county_draft):
    from suiqian.reporting.queries import changes_since_return

    services.submit_report(Scope.of(county_user), county_user, county_draft)
    with pytest.raises(services.ReportError, match="退回必须填写原因"):
        services.return_report(Scope.of(city_user), city_user, county_draft, "  ")
    report = services.return_report(Scope.of(city_user), city_user, county_draft, "中考人数与教育事业统计不一致",
                                    {"zhongkao_applicants": "请核对", "no_such_field": "x"})
    assert report.status == Report.Status.RETURNED
    assert report.cell_comments == {"zhongkao_applicants": "请核对"}
    services.save_values(Scope.of(county_user), county_user, summary_form, unit("140525"),
                         {"zhongkao_applicants": "68"})
    report.refresh_from_db()
    assert report.status == Report.Status.DRAFT
    services.submit_report(Scope.of(county_user), county_user, report)
    report.refresh_from_db()
    assert changes_since_return(report) == {"zhongkao_applicants": (70, 68)}


def test_only_the_parents_reviewer_decides(summary_form, county_user, province_user, shanxi, county_draft):
    services.submit_report(Scope.of(county_user), county_user, county_draft)
    for user in [province_user, county_user, make_user("140500", roles=[Role.FILLER, Role.VIEWER], username="f")]:
        with pytest.raises(services.NotAllowed):
            services.approve_report(Scope.of(user), user, county_draft)


def test_an_approved_form_is_locked_until_its_reviewer_unlocks_it(summary_form, county_user, city_user, county_draft):
    county = unit("140525")
    services.submit_report(Scope.of(county_user), county_user, county_draft)
    services.approve_report(Scope.of(city_user), city_user, county_draft)
    with pytest.raises(services.Locked, match="已审核"):
        services.save_values(Scope.of(county_user), county_user, summary_form, county, {"gaokao_applicants": "1"})
    with pytest.raises(services.ReportError, match="解锁必须填写原因"):
        services.unlock_report(Scope.of(city_user), city_user, county_draft, "")
    services.unlock_report(Scope.of(city_user), city_user, county_draft, "省厅要求更正高考人数")
    services.save_values(Scope.of(county_user), county_user, summary_form, county, {"gaokao_applicants": "31"})
    actions = list(county_draft.events.values_list("action", flat=True))
    assert actions == ["save", "submit", "approve", "unlock", "save"]
    assert ReportEvent.objects.get(action="unlock").comment == "省厅要求更正高考人数"


def test_a_double_submit_is_refused(summary_form, county_user, county_draft):
    services.submit_report(Scope.of(county_user), county_user, county_draft)
    with pytest.raises(services.Locked, match="请勿重复上报"):
        services.submit_report(Scope.of(county_user), county_user, county_draft)


def test_a_page_posted_from_an_older_version_is_refused(summary_form, county_user, county_draft):
    old = county_draft.version
    services.save_values(Scope.of(county_user), county_user, summary_form, unit("140525"), {"gaokao_applicants": "5"})
    with pytest.raises(services.Stale):
        services.save_values(Scope.of(county_user), county_user, summary_form, unit("140525"),
                             {"gaokao_applicants": "6"}, expected_version=old)
