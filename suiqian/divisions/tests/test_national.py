from django.core.management import call_command

from suiqian.divisions.models import Division
from suiqian.divisions.services import NATIONAL_CODE, load_national, load_province

MUNICIPALITIES = {"110000": "北京市", "120000": "天津市", "310000": "上海市", "500000": "重庆市"}


def current(**kw):
    return Division.objects.current().filter(**kw)


def test_all_loads_31_provinces_below_the_ministry(db, capsys):
    call_command("divisions", "load", "--province", "all")
    assert "区划已载入：新增" in capsys.readouterr().out
    nation = Division.objects.get(code=NATIONAL_CODE)
    assert (nation.level, nation.parent, nation.path, nation.bureau_name) == (0, None, "100000/", "教育部")
    provinces = current(level=Division.Level.PROVINCE)
    assert provinces.count() == 31 and set(provinces.values_list("parent__code", flat=True)) == {NATIONAL_CODE}
    assert current(level=Division.Level.CITY).count() > 320
    assert current(level=Division.Level.COUNTY).count() >= 2800
    # Every unit's path starts at the ministry, so a national user's scope is the whole country.
    assert not Division.objects.exclude(path__startswith="100000/").exists()


def test_municipalities_and_directly_governed_counties_hang_below_their_province(db):
    load_national()
    for code, name in MUNICIPALITIES.items():
        unit = Division.objects.get(code=code)
        assert (unit.name, unit.kind, unit.bureau_name) == (name, "municipality", f"{name}教育委员会")
    haidian = Division.objects.get(code="110108")
    assert (haidian.parent.code, haidian.level, haidian.full_name) == ("110000", 3, "北京市海淀区")
    assert Division.objects.get(code="429004").parent.code == "420000"  # 仙桃市, governed by 湖北省
    yanbian = Division.objects.get(code="222400")
    assert (yanbian.kind, yanbian.level, yanbian.bureau_name) == ("autonomous_prefecture", 2, "延边朝鲜族自治州教育局")
    assert Division.objects.get(code="150000").bureau_name == "内蒙古自治区教育厅"


def test_shanxi_loaded_first_moves_below_the_ministry_and_back_is_idempotent(db):
    load_province("140000")
    zezhou = Division.objects.get(code="140525")
    assert zezhou.path == "140000/140500/140525/"
    load_national()
    zezhou.refresh_from_db()
    assert (zezhou.path, zezhou.full_name) == ("100000/140000/140500/140525/", "山西省晋城市泽州县")
    before = list(Division.objects.values_list("pk", "path").order_by("pk"))
    again = load_national()
    assert again.created == 0 and again.updated == 0
    # Reloading one province keeps it below the ministry.
    assert load_province("140000").updated == 0
    assert list(Division.objects.values_list("pk", "path").order_by("pk")) == before
