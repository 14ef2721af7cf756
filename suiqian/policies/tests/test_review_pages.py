"""The checker on the review screens: findings stored on arrival, highlighted text, the city's side-by-side."""

import pytest

from suiqian.accounts.scope import Scope
from suiqian.conftest import docx_bytes, login, make_user
from suiqian.divisions.models import Division
from suiqian.notices import services

COMPLIANT = ["第一条 随迁子女入学以居住证为主要依据。", "第二条 父母一方持有本县居住证，且在本县居住满半年，即可申请入学。",
             "第三条 全面落实公民同招，民办学校报名人数超过招生计划的，实行电脑随机录取。"]
STRICT = ["第一条 随迁子女入学以居住证为主要依据。", "第二条 父母双方均须持有本县居住证，且连续缴纳社保满二十四个月。",
          "第三条 须提供计划生育证明。", "第四条 全面落实公民同招，民办学校报名人数超过招生计划的，实行电脑随机录取。"]


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


@pytest.fixture
def rules_requirement(seeded_notices):
    return seeded_notices["晋市教基函字(2021)25号"].requirements.get(document_type="enrollment_rules")


def upload(requirement, code, paragraphs):
    user = make_user(code, username=f"uploader{code}")
    return services.submit_document(Scope.of(user), user, requirement, unit(code), docx_bytes(*paragraphs), "细则.docx")


def test_findings_are_stored_when_the_rules_arrive(rules_requirement):
    strict = upload(rules_requirement, "140525", STRICT)
    assert {f["code"] for f in strict.findings} >= {"BOTH_PARENTS_REQUIRED", "SOCIAL_INSURANCE_YEARS_EXCEEDS",
                                                    "FAMILY_PLANNING_PROOF"}
    assert upload(rules_requirement, "140521", COMPLIANT).findings == []


def test_the_city_sees_the_county_that_differs(client, rules_requirement, city_user, county_user):
    upload(rules_requirement, "140521", COMPLIANT)
    upload(rules_requirement, "140522", COMPLIANT)
    upload(rules_requirement, "140525", STRICT)
    client.force_login(city_user)
    response = client.get("/policies/consistency/140500/")
    table = response.context["result"].table
    column = [c.label for c in table.columns].index("社保缴费时间")
    cells = {row.label: row.cells[column] for row in table.rows}
    assert cells["泽州县"].differs and cells["泽州县"].display == "2年"
    assert not cells["沁水县"].differs and not cells["阳城县"].differs
    assert table.differing_labels() == ["泽州县"]
    body = response.content.decode()
    assert "城区（未报送）" in body and '<span class="badge">不一致</span>' in body
    client.force_login(county_user)
    assert client.get("/policies/consistency/140500/").status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_review_page_highlights_the_findings(page, live_server, rules_requirement, city_user):
    upload(rules_requirement, "140525", STRICT)
    login(page, live_server, city_user.username)
    page.goto(f"{live_server.url}/requirements/{rules_requirement.pk}/140525/")
    marks = page.locator("#document mark.finding")
    assert marks.count() >= 2
    texts = [marks.nth(i).inner_text() for i in range(marks.count())]
    assert "第三条 须提供计划生育证明" in texts
    codes = page.get_attribute("#document mark.finding >> nth=0", "data-code")
    assert "BOTH_PARENTS_REQUIRED" in codes
    assert "《居住证暂行条例》" in page.inner_text("#findings") or "晋教基函〔2021〕24号" in page.inner_text("#findings")
    assert page.locator("#approve").count() == 1  # the reviewer sees the findings before deciding
    assert page.outside_requests == []
