import csv
import io

from django.core.management import call_command

from suiqian.accounts.scope import Scope
from suiqian.conftest import county_values, make_user
from suiqian.divisions.models import Division
from suiqian.reporting import services


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


def draft(form, code, **changes):
    user = make_user(code, username=f"u{code}")
    return services.save_values(Scope.of(user), user, form, unit(code), {**county_values(), **changes})


def test_the_batch_report_lists_every_problem_under_a_unit(summary_form, capsys):
    draft(summary_form, "140525", public_school_total="801")
    draft(summary_form, "140521", gaokao_applicants="")
    draft(summary_form, "140581")
    draft(summary_form, "140105", public_school_total="1")  # 太原: outside 晋城
    call_command("form", "check", "--form", "summary-2021", "--unit", "140500")
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))[1:]
    assert [(r[1], r[3]) for r in rows] == [("沁水县", "错误"), ("泽州县", "错误")]
    assert "1 项未填写" in rows[0][4] and "小学 + 初中 应等于 合计" in rows[1][4]


def test_the_batch_page_stays_in_scope(client, summary_form, county_user, city_user):
    draft(summary_form, "140521", public_school_total="801")
    client.force_login(city_user)
    assert "沁水县" in client.get("/forms/summary-2021/140500/checks/").content.decode()
    client.force_login(county_user)
    assert client.get("/forms/summary-2021/140500/checks/").status_code == 404
    assert "沁水县" not in client.get("/forms/summary-2021/140525/checks/").content.decode()
