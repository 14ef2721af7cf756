"""教育部 above the provinces: notices cascade over four levels, roll-up and 附件1 at national level,
users of each level see their own subtree."""

import datetime as dt

import pytest
from openpyxl import load_workbook

from suiqian.accounts.scope import Scope
from suiqian.conftest import county_values, make_user
from suiqian.divisions.models import Division
from suiqian.divisions.services import load_province
from suiqian.notices import documents as notice_documents
from suiqian.notices import queries as notice_queries
from suiqian.notices import services as notices
from suiqian.notices.models import Requirement
from suiqian.reporting import queries as reporting_queries
from suiqian.reporting import rankings as reporting_rankings
from suiqian.reporting import services as reporting
from suiqian.reporting.models import FormDefinition, Indicator

SYSTEM = Scope.system()
N, P, C, K = "100000", "140000", "140500", "140525"


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


@pytest.fixture
def country(nation, seeded):
    load_province("110000")  # 北京市: districts directly below the municipality
    return nation


def approved(form, code, scale, **changed):
    report = reporting.save_values(SYSTEM, None, form, unit(code), {**county_values(scale), **changed})
    # Last year's published figures are far larger than these: the ±30 % warning is explained.
    warnings = reporting_queries.check_report(report).warnings
    # A city whose counties have not reported submits its own figures with a written reason.
    reporting.submit_report(SYSTEM, None, report, {w.key: "测试数据" for w in warnings},
                            incomplete_reason="各县尚未上报")
    return reporting.approve_report(SYSTEM, None, report)


def test_a_notice_cascades_from_the_ministry_to_the_counties_with_earlier_deadlines(country):
    due = dt.date(2021, 8, 31)
    ministry = notices.create_notice(SYSTEM, None, unit(N), wenhao="教基厅函〔2021〕1号", title="随迁子女入学工作",
                                     requirements=[notices.RequirementSpec(
                                         title="实施细则", kind=Requirement.Kind.DOCUMENT, due_date=due,
                                         document_type=Requirement.DocumentType.ENROLLMENT_RULES)])
    ministry = notices.publish_notice(SYSTEM, None, ministry)
    assert set(ministry.targets.values_list("unit__code", flat=True)) == {P, "110000"}
    top = ministry.requirements.get()
    with pytest.raises(notices.NoticeError, match="请提前"):
        notices.forward_notice(SYSTEM, None, ministry, unit(P), wenhao="晋教基函〔2021〕99号", title="转发",
                               due_dates={top.pk: due + dt.timedelta(days=1)})
    province = notices.forward_notice(SYSTEM, None, ministry, unit(P), wenhao="晋教基函〔2021〕99号", title="转发",
                                      due_dates={top.pk: dt.date(2021, 8, 20)})
    mid = province.requirements.get()
    city = notices.forward_notice(SYSTEM, None, province, unit(C), wenhao="晋市教基函字(2021)99号", title="转发",
                                  due_dates={mid.pk: dt.date(2021, 8, 10)})
    low = city.requirements.get()
    assert (low.parent, low.parent.parent, low.due_date) == (mid, top, dt.date(2021, 8, 10))
    submission = notice_documents.submit_document(SYSTEM, None, low, unit(K), "实施细则".encode(), "细则.txt")
    assert submission.unit.code == K
    # The ministry's board lists the provinces it expects the paper from; none has sent it yet.
    board = notice_queries.board(top, dt.date(2021, 8, 1))
    assert sorted((row.unit.code, row.status) for row in board) == [("110000", "missing"), (P, "missing")]


def test_rollup_and_ranking_at_national_level(country, client):
    form = FormDefinition.objects.get(code="summary-2021")
    approved(form, C, 2, migrant_worker_children_total="1900")  # a city, approved by its province
    approved(form, "110108", 3)  # 海淀区, a district approved by 北京市 directly
    rollup = reporting_rankings.rollup(SYSTEM, unit(N), form)
    assert rollup.values["migrant_children_total"] == 1000 * 2 + 1000 * 3
    indicator = Indicator.objects.get(code="public_ratio_migrant_workers")
    table = reporting_rankings.indicator_table(SYSTEM, unit(N), 2021, indicator)
    assert table.child_label == "省（区、市）"
    rows = [(r.unit.code, r.numerator, r.denominator, r.basis) for r in table.rows if r.has_data]
    # Ranked by the ratio: 北京市 2580/2700 = 95.56 % above 山西省 1720/1900 = 90.53 %.
    assert rows == [("110000", 860 * 3, 900 * 3, "下级汇总"), (P, 860 * 2, 1900, "下级汇总")]
    assert (table.total.numerator, table.total.denominator) == (860 * 5, 900 * 3 + 1900)
    # The same table as an Excel download for 教育部's own users.
    client.force_login(make_user(N))
    response = client.get(f"/dashboard/ranking.xlsx?unit={N}&year=2021")
    assert response.status_code == 200
    sheet = load_workbook(__import__("io").BytesIO(response.content)).active
    names = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert "山西省" in names and "北京市" in names
    assert client.get(f"/dashboard/?unit={N}&year=2021").status_code == 200


def test_each_level_sees_its_own_subtree(country, client):
    scopes = {code: Scope.of(make_user(code)) for code in (N, P, C, K)}
    assert scopes[N].units().count() == Division.objects.count()
    assert not scopes[P].units().filter(code="110108").exists()
    assert scopes[P].units().filter(code=K).exists() and not scopes[P].sees(unit(N))
    assert [u.code for u, visible in scopes[K].breadcrumbs(unit(K)) if not visible] == [N, P, C]
    assert scopes[N].may_administer_platform() and scopes[P].may_administer_platform()
    assert not scopes[C].may_administer_platform()
    client.force_login(make_user(P, username="p2"))
    assert client.get(f"/dashboard/?unit={N}&year=2021").status_code == 404
    assert client.get("/dashboard/?unit=110000&year=2021").status_code == 404
