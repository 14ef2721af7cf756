import io

import openpyxl

from suiqian.accounts.models import AuditEvent, Role
from suiqian.accounts.scope import Scope
from suiqian.conftest import client_for, county_values, make_user
from suiqian.reporting import services as reporting
from suiqian.rosters.tests.factories import child, import_rows

from ..models import EduStatistics
from .conftest import ZEZHOU, reported, unit, workbook_bytes
from .test_import import HEADER, row


def post_figures(client, code, values, **extra):
    return client.post(f"/edustats/{code}/save", {"year": "2021", **{k: str(v) for k, v in values.items()}, **extra})


def test_a_county_enters_submits_and_its_city_approves_then_it_is_locked(client, county_user, city_user):
    client_for(client, county_user)
    assert post_figures(client, "140525", ZEZHOU).status_code == 302
    record = EduStatistics.objects.get(unit__code="140525", year=2021)
    assert record.value_map() == ZEZHOU and record.status == "draft"
    page = client.get("/edustats/140525/?year=2021").content.decode()
    assert "义务教育阶段随迁子女总数" in page and "1000" in page  # the total, summed
    client.post("/edustats/140525/submit", {"year": "2021"})
    assert EduStatistics.objects.get(pk=record.pk).status == "submitted"
    assert client.post("/edustats/140525/approve", {"year": "2021"}).status_code == 403  # not its own reviewer
    client_for(client, city_user).post("/edustats/140525/approve", {"year": "2021"})
    assert EduStatistics.objects.get(pk=record.pk).status == "approved"
    client_for(client, county_user)
    post_figures(client, "140525", dict(ZEZHOU, public_school_primary=1))
    assert EduStatistics.objects.get(pk=record.pk).value_map() == ZEZHOU
    history = client.get("/edustats/140525/?year=2021").content.decode()
    assert "审核通过" in history and "已锁定" in history
    trail = list(AuditEvent.objects.filter(target="2021年教育事业统计").order_by("pk")
                 .values_list("action", "username"))
    assert trail == [("data_changed", county_user.username), ("submitted", county_user.username),
                     ("approved", city_user.username)]


def test_a_bad_figure_on_the_page_saves_nothing(client, county_user):
    client_for(client, county_user)
    response = post_figures(client, "140525", dict(ZEZHOU, public_school_junior="3OO"))
    assert response.status_code == 400 and "3OO" in response.content.decode()
    assert not EduStatistics.objects.exists()


def test_the_city_enters_for_its_county_and_imports_for_its_counties(client, city_user):
    client_for(client, city_user)
    post_figures(client, "140525", ZEZHOU)
    assert EduStatistics.objects.get(unit__code="140525").value_map() == ZEZHOU
    template = client.get("/edustats/140500/template.xlsx?year=2021")
    codes = [r[0] for r in openpyxl.load_workbook(io.BytesIO(template.content)).worksheets[0]
             .iter_rows(min_row=2, values_only=True)]
    assert codes == ["140502", "140521", "140522", "140524", "140525", "140581"]
    upload = io.BytesIO(workbook_bytes([HEADER, row("140521")]))
    upload.name = "统计.xlsx"
    assert client.post("/edustats/140500/import", {"year": "2021", "file": upload}).status_code == 302
    assert EduStatistics.objects.get(unit__code="140521").value_map() == ZEZHOU
    bad = io.BytesIO(workbook_bytes([HEADER, row("140522", dict(ZEZHOU, public_school_primary="x"))]))
    bad.name = "统计.xlsx"
    refused = client.post("/edustats/140500/import", {"year": "2021", "file": bad})
    assert refused.status_code == 400 and "<td>H2</td>" in refused.content.decode()
    assert not EduStatistics.objects.filter(unit__code="140522").exists()
    city_page = client.get("/edustats/140500/?year=2021").content.decode()
    assert 'data-code="140521"' in city_page and "草稿" in city_page


def test_a_sibling_county_sees_and_changes_nothing(client, county_user, sibling_county_user):
    reported("140525", ZEZHOU)
    client_for(client, sibling_county_user)
    assert client.get("/edustats/140525/?year=2021").status_code == 404
    assert post_figures(client, "140525", ZEZHOU).status_code == 404
    assert client.get("/edustats/140525/compare?term=2021-fall").status_code == 404
    assert client.get("/edustats/140525/template.xlsx?year=2021").status_code == 404
    assert client.post("/edustats/140525/submit", {"year": "2021"}).status_code == 404


def test_a_viewer_of_the_county_cannot_fill(client, shanxi):
    viewer = make_user("140525", roles=[Role.VIEWER], username="viewer")
    assert post_figures(client_for(client, viewer), "140525", ZEZHOU).status_code == 403


def test_rosters_form_and_statistics_side_by_side(client, summary_form, county_user):
    reported("140525", dict(ZEZHOU, public_school_primary=480))
    reporting.save_values(Scope.system(), None, summary_form, unit("140525"), county_values())
    html = client_for(client, county_user).get("/edustats/140525/compare?term=2021-fall").content.decode()
    table = html.split('id="three-way"')[1]
    assert '<tr data-field="public_school_primary" class="mismatch"><td>' in table
    cells = table.split('data-field="public_school_primary"')[1].split("</tr>")[0]
    assert "未上报" in cells and "<td>500</td>" in cells and "<td>480</td>" in cells  # no roster of the term yet
    assert "附件3≠统计" in cells and "名册" not in cells.split("below")[1]
    assert client.get("/rosters/140525/summary?term=2021-fall").content.decode().count("/edustats/140525/compare") == 1


def test_three_sources_agree_where_they_do(client, summary_form, county_user, tmp_path):
    # 泽州县: 2 children of migrant workers in public primary school, on the roster, in 附件3 and in the statistics.
    import_rows(Scope.system(), None, tmp_path, [child(1, grade=1), child(2, grade=5)], "2021-fall")
    reported("140525", ZEZHOU | {"public_school_primary": 2})
    reporting.save_values(Scope.system(), None, summary_form, unit("140525"),
                          {"public_school_primary": "2", "public_school_total": "5"})
    html = client_for(client, county_user).get("/edustats/140525/compare?term=2021-fall").content.decode()
    primary = html.split('data-field="public_school_primary"')[1].split("</tr>")[0]
    assert primary.count("<td>2</td>") == 3 and "一致" in primary
    assert '<tr data-field="public_school_primary"><td>' in html  # not marked as a mismatch
    total = html.split('data-field="public_school_total"')[1].split("</tr>")[0]
    assert "名册≠附件3、附件3≠统计" in total  # roster 2, 附件3 5, statistics 302 (2 + 300)


def test_the_home_page_asks_the_county_to_fill_and_the_city_to_review(client, summary_form, county_user, city_user):
    assert "填报 2021 年教育事业统计（未填报）" in client_for(client, county_user).get("/").content.decode()
    reported("140525", ZEZHOU)
    assert "教育事业统计" not in client.get("/").content.decode().split("待办事项")[1].split("</section>")[0]
    home = client_for(client, city_user).get("/").content.decode()
    assert "审核泽州县上报的 2021 年教育事业统计" in home and "/edustats/140525/?year=2021" in home
