import csv
import io

from django.core.management import call_command


def test_the_status_of_the_provinces_notice_lists_the_11_cities(seeded_notices, capsys):
    call_command("notices", "status", "--wenhao", "晋教基函〔2021〕24号", "--format", "csv", "--date", "2021-06-01")
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:5] == ["单位代码", "单位名称", "事项", "状态", "报送时间"]
    enrollment_rules = [r for r in rows[1:] if r[2] == "各县（市、区）随迁子女入学实施细则"]
    assert [r[1] for r in enrollment_rules] == ["太原市", "大同市", "阳泉市", "长治市", "晋城市", "朔州市", "晋中市",
                                                "运城市", "忻州市", "临汾市", "吕梁市"]
    assert {r[3] for r in enrollment_rules} == {"未报送"}
    assert len({r[0] for r in rows[1:]}) == 11


def test_a_county_sees_only_itself_on_the_citys_notice(seeded_notices, county_user, capsys):
    call_command("notices", "status", "--wenhao", "晋市教基函字(2021)25号", "--as", county_user.username)
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))[1:]
    assert {r[0] for r in rows} == {"140525"}
