import csv
import io

from django.core.management import call_command

from suiqian.conftest import client_for

BELOW_2020 = {"太原市", "忻州市", "晋中市", "临汾市", "运城市", "朔州市"}  # 附件1 under the national 85.80 %


def test_the_2020_warning_list_names_the_cities_below_the_national_ratio(seeded, capsys):
    call_command("stats", "warnings", "--year", "2020", "--format", "csv")
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["单位代码", "单位名称", "原因", "数值", "所属市"]
    below = {r[1] for r in rows[1:] if r[2] == "低于全国比例"}
    assert below == BELOW_2020
    assert next(r for r in rows if r[1] == "朔州市")[3] == "66.17%（全国 85.80%）"


def test_late_and_missing_reporting_is_a_warning(seeded_notices, capsys):
    call_command("stats", "warnings", "--year", "2021", "--format", "csv")
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))[1:]
    assert ("140525", "泽州县", "逾期未报") in {(r[0], r[1], r[2]) for r in rows}
    assert len({r[0] for r in rows if r[2] == "逾期未报"}) == 11 + 6


def test_a_city_sees_only_its_own_counties_warnings(client, seeded_notices, city_user):
    body = client_for(client, city_user).get("/supervision/?year=2021").content.decode()
    assert "泽州县" in body and "太原市" not in body and "朔州市" not in body


def test_open_dropout_cases_are_a_warning(seeded, city_user):
    import datetime as dt

    from suiqian.accounts.scope import Scope
    from suiqian.divisions.models import Division
    from suiqian.rosters.models import DropoutCase
    from suiqian.supervision.queries import early_warnings

    county = Division.objects.get(code="140525", valid_to__isnull=True)
    for n, status in enumerate(["checking", "persuading", "returned"]):
        DropoutCase.objects.create(term="2022-spring", id_hash=bytes([n]) * 32, id_masked="140525********000" + str(n),
                                   name="学生", sex="男", birth_date=dt.date(2012, 1, 1), unit=county,
                                   school="实验小学", school_type=1, grade=4, status=status)
    warnings = [(w.unit.name, w.reason, w.value) for w in early_warnings(Scope.of(city_user), 2020)]
    assert ("泽州县", "疑似辍学个案未结", "2 个（核查中或劝返中）") in warnings


def test_the_warning_list_filters_by_reason_and_city_and_exports(client, seeded_notices, province_user):
    from openpyxl import load_workbook

    c = client_for(client, province_user)
    body = c.get("/supervision/?year=2021&reason=逾期未报&city=140500").content.decode()
    listed = body[body.index("<tbody>", body.index('id="warnings"')):body.index('id="key-counties"')]
    assert "泽州县" in listed and "太原市" not in listed and "低于全国比例" not in listed
    response = c.get("/supervision/?year=2021&reason=逾期未报&city=140500&format=xlsx")
    ws = load_workbook(io.BytesIO(response.content)).active
    assert ws["A1"].value == "2021年预警名单（晋城市）（逾期未报）"
    rows = [[cell.value for cell in row] for row in ws.iter_rows(min_row=3)]
    assert rows and {r[2] for r in rows} == {"逾期未报"} and {r[4] for r in rows} == {"晋城市"}
    assert {r[0] for r in rows} == {"140500", "140502", "140521", "140522", "140524", "140525", "140581"}
    text = c.get("/supervision/?year=2020&reason=低于全国比例&format=csv").content.decode("utf-8-sig")
    assert {r[1] for r in csv.reader(io.StringIO(text))} - {"单位名称"} == BELOW_2020


def test_the_warning_filter_refuses_what_it_cannot_honour(client, seeded, county_user):
    c = client_for(client, county_user)
    assert c.get("/supervision/?reason=随便").status_code == 400
    response = c.get("/supervision/?city=140100")  # 太原市: outside a 泽州县 user's scope
    assert response.status_code == 400 and "不在权限范围内" in response.content.decode()


def test_a_sibling_county_sees_none_of_another_countys_warnings(client, seeded_notices, sibling_county_user):
    body = client_for(client, sibling_county_user).get("/supervision/?year=2021&format=csv").content.decode("utf-8-sig")
    codes = {r[0] for r in csv.reader(io.StringIO(body))} - {"单位代码"}
    assert "140525" not in codes


def test_the_key_county_list_follows_the_year_asked_for(client, seeded, province_user):
    c = client_for(client, province_user)
    assert "重点督促县（2021 年" in c.get("/supervision/?year=2021").content.decode()
    body = c.get("/supervision/?year=2020").content.decode()
    assert "重点督促县（2020 年，0 个）" in body and "2020 年权限范围内没有重点督促县名单" in body
