"""Malformed input is a 400 (or a message), never a 500; text that reaches a spreadsheet never runs as a formula;
lengths are checked by the services, so SQLite keeps only what PostgreSQL would."""

import io
import zipfile

import pytest
from openpyxl import load_workbook

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.notices import services as notices
from suiqian.notices.models import Notice
from suiqian.supervision import services as supervision
from suiqian.supervision.models import Inspection

HUGE = "99999999999999999999"


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


@pytest.mark.parametrize("url", ["/dashboard/?year={}", "/dashboard/data?year={}", "/stats/enrollment/?year={}",
                                 "/supervision/?year={}", "/dashboard/ranking.xlsx?unit=140500&year={}"])
@pytest.mark.parametrize("year", [HUGE, "abc", "２０２１", "-1"])
def test_a_bad_year_in_the_address_is_a_400(client, seeded, city_user, url, year):
    client.force_login(city_user)
    assert client.get(url.format(year)).status_code == 400


@pytest.mark.parametrize("year", [HUGE, "abc", ""])
def test_a_bad_year_in_a_posted_form_is_a_400(client, seeded, city_user, year):
    client.force_login(city_user)
    assert client.post("/supervision/key/140525/notes", {"year": year, "text": "进展"}).status_code == 400
    assert client.post("/supervision/rankings/publish", {"unit": "140500", "year": year}).status_code == 400


@pytest.fixture
def hostile_notice(seeded, province_user):
    scope = Scope.of(province_user)
    notice = notices.create_notice(scope, province_user, unit("140000"), wenhao="=1+1 晋/教:基[函]", title="=HYPERLINK()",
                                   body="正文")
    return notices.publish_notice(scope, province_user, notice)


def test_the_status_export_takes_any_wenhao_and_never_makes_a_formula(client, hostile_notice, province_user):
    client.force_login(province_user)
    response = client.get(f"/notices/{hostile_notice.pk}/status.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    assert sheet.title == "=1+1 晋_教_基_函_ 报送情况"
    assert sheet["A1"].value == "'=1+1 晋/教:基[函] 报送情况" and sheet["A1"].data_type == "s"
    with zipfile.ZipFile(io.BytesIO(response.content)) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")


def test_a_wenhao_longer_than_its_column_is_refused_on_every_engine(seeded, province_user):
    with pytest.raises(notices.NoticeError, match="文号不能超过 60 个字（现为 61 个）"):
        notices.create_notice(Scope.of(province_user), province_user, unit("140000"), wenhao="号" * 61, title="标题",
                              body="正文")
    assert not Notice.objects.exists()
    with pytest.raises(supervision.SupervisionError, match="检查计划不能超过 200 个字"):
        import datetime as dt

        supervision.create_inspection(Scope.of(province_user), province_user, unit("140500"), plan="检" * 201,
                                      date=dt.date(2021, 10, 1))
    assert not Inspection.objects.exists()
