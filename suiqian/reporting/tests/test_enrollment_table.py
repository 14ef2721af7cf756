import csv
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from suiqian.conftest import client_for

# 附件1 of 晋教基函〔2021〕24号 as printed.
ATTACHMENT_1 = [
    ["阳泉市", "12788", "12481", "97.60%"], ["晋城市", "22396", "21724", "97.00%"],
    ["吕梁市", "20270", "18824", "92.87%"], ["长治市", "5381", "4961", "92.19%"],
    ["大同市", "4925", "4462", "90.60%"], ["太原市", "27762", "23736", "85.50%"],
    ["忻州市", "2806", "2364", "84.25%"], ["晋中市", "4762", "3900", "81.90%"],
    ["临汾市", "7001", "5466", "78.07%"], ["运城市", "26200", "17506", "66.82%"],
    ["朔州市", "6474", "4284", "66.17%"], ["山西省", "140765", "119708", "85.04%"],
]


def test_the_command_reproduces_attachment_1(seeded, capsys):
    call_command("stats", "table", "--year", "2020", "--format", "csv")
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:4] == ["市", "随迁子女总数", "公办学校就读人数", "公办学校就读比例"]
    assert [r[:4] for r in rows[1:]] == ATTACHMENT_1


def test_each_city_is_marked_against_the_national_ratio(seeded, capsys):
    call_command("stats", "table", "--year", "2020", "--format", "csv")
    rows = {r[0]: r[4] for r in csv.reader(io.StringIO(capsys.readouterr().out))}
    assert rows["阳泉市"] == "高于全国" and rows["朔州市"] == "低于全国" and rows["山西省"] == "低于全国"


def test_the_xlsx_holds_the_same_table(seeded, tmp_path):
    out = tmp_path / "a1.xlsx"
    call_command("stats", "table", "--year", "2020", "--format", "xlsx", "-o", str(out))
    ws = load_workbook(out).active
    assert "2020年" in ws["A1"].value
    assert [c.value for c in ws[3]][:3] == ["阳泉市", 12788, 12481]
    assert ws["D3"].number_format == "0.00%" and round(ws["D3"].value, 4) == 0.976
    assert [c.value for c in ws[14]][:3] == ["山西省", 140765, 119708]


def test_the_command_refuses_a_unit_outside_the_users_scope(seeded, county_user):
    with pytest.raises(CommandError, match="不在权限范围内"):
        call_command("stats", "table", "--year", "2020", "--unit", "140000", "--as", county_user.username)


def test_the_page_shows_the_ranking(client, province_user, seeded):
    page = client_for(client, province_user).get("/stats/enrollment/?year=2020&unit=140000").content.decode()
    body = page[page.index('id="enrollment-table"'):]
    positions = [body.index(name) for name in ["阳泉市", "晋城市", "吕梁市", "朔州市"]]
    assert positions == sorted(positions)
    assert "97.60%" in body and "85.04%" in body and "140765" in body


def test_the_page_downloads_csv_and_xlsx(client, province_user, seeded):
    c = client_for(client, province_user)
    response = c.get("/stats/enrollment/?year=2020&unit=140000&format=csv")
    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert text.splitlines()[1].startswith("阳泉市,12788,12481,97.60%")
    response = c.get("/stats/enrollment/?year=2020&unit=140000&format=xlsx")
    assert load_workbook(io.BytesIO(response.content)).active["A3"].value == "阳泉市"


def test_a_county_cannot_open_the_provinces_table(client, county_user, seeded):
    assert client_for(client, county_user).get("/stats/enrollment/?year=2020&unit=140000").status_code == 404


def test_a_city_sees_its_own_counties_without_data_yet(client, city_user, seeded):
    body = client_for(client, city_user).get("/stats/enrollment/?year=2020").content.decode()
    assert "泽州县" in body and "无数据" in body and "阳泉市" not in body
