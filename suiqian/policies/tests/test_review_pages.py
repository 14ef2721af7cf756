"""The checker on the review screens: findings stored on arrival, highlighted text, the city's side-by-side."""

import pytest

from suiqian.accounts.scope import Scope
from suiqian.conftest import docx_bytes, login, make_user
from suiqian.divisions.models import Division
from suiqian.notices import documents

COMPLIANT = ["第一条 随迁子女入学以居住证为主要依据。", "第二条 父母一方持有本县居住证，且在本县居住满半年，即可申请入学。",
             "第三条 全面落实公民同招，民办学校报名人数超过招生计划的，实行电脑随机录取。"]
STRICT = ["第一条 随迁子女入学以居住证为主要依据。", "第二条 父母双方均须持有本县居住证，且连续缴纳社保满二十四个月。",
          "第三条 须提供计划生育证明。", "第四条 全面落实公民同招，民办学校报名人数超过招生计划的，实行电脑随机录取。"]


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


@pytest.fixture
def enrollment_rules_requirement(seeded_notices):
    return seeded_notices["晋市教基函字(2021)25号"].requirements.get(document_type="enrollment_rules")


def upload(requirement, code, paragraphs):
    user = make_user(code, username=f"uploader{code}")
    return documents.submit_document(Scope.of(user), user, requirement, unit(code), docx_bytes(*paragraphs), "细则.docx")


def test_findings_are_stored_when_the_rules_arrive(enrollment_rules_requirement):
    strict = upload(enrollment_rules_requirement, "140525", STRICT)
    assert {f["code"] for f in strict.findings} >= {"BOTH_PARENTS_REQUIRED", "SOCIAL_INSURANCE_YEARS_EXCEEDS",
                                                    "FAMILY_PLANNING_PROOF"}
    assert upload(enrollment_rules_requirement, "140521", COMPLIANT).findings == []


def test_the_city_sees_the_county_that_differs(client, enrollment_rules_requirement, city_user, county_user):
    upload(enrollment_rules_requirement, "140521", COMPLIANT)
    upload(enrollment_rules_requirement, "140522", COMPLIANT)
    upload(enrollment_rules_requirement, "140525", STRICT)
    client.force_login(city_user)
    response = client.get("/policies/consistency/140500/")
    table = response.context["result"].table
    column = [c.label for c in table.columns].index("社保缴费时间")
    cells = {row.label: row.cells[column] for row in table.rows}
    # Held against policy first: two years of 社保 breaks it (red, with the clause), not merely differs.
    assert cells["泽州县"].breaks.code == "SOCIAL_INSURANCE_YEARS_EXCEEDS" and cells["泽州县"].display == "2年"
    assert not cells["泽州县"].differs
    assert cells["沁水县"].breaks is None and cells["阳城县"].breaks is None
    assert table.breaking_labels() == ["泽州县"]
    body = response.content.decode()
    assert "城区（未报送）" in body and "违反政策" in body and "《居住证暂行条例》" in body
    client.force_login(county_user)
    assert client.get("/policies/consistency/140500/").status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_review_page_highlights_the_findings(page, live_server, enrollment_rules_requirement, city_user):
    upload(enrollment_rules_requirement, "140525", STRICT)
    login(page, live_server, city_user.username)
    page.goto(f"{live_server.url}/requirements/{enrollment_rules_requirement.pk}/140525/")
    marks = page.locator("#document mark.finding")
    assert marks.count() >= 2
    texts = [marks.nth(i).inner_text() for i in range(marks.count())]
    assert "第三条 须提供计划生育证明" in texts
    codes = page.get_attribute("#document mark.finding >> nth=0", "data-code")
    assert "BOTH_PARENTS_REQUIRED" in codes
    assert "《居住证暂行条例》" in page.inner_text("#findings") or "晋教基函〔2021〕24号" in page.inner_text("#findings")
    assert page.locator("#approve").count() == 1  # the reviewer sees the findings before deciding
    assert page.outside_requests == []


STRICTER = ["第一条 父母一方持有本县居住证满两年，方可申请入学。",
            "第二条 报名材料：户口簿、居住证、房产证，不接受租房合同。",
            "第三条 全面落实公民同招，民办学校报名人数超过招生计划的，实行电脑随机录取。"]
COMPLIANT_WITH_RENTAL = ["第一条 父母一方持有本县居住证，即可申请入学。",
                         "第二条 报名材料：户口簿、居住证、房产证或租房合同。",
                         "第三条 全面落实公民同招，民办学校报名人数超过招生计划的，实行电脑随机录取。"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_consistency_page_never_reds_the_compliant_county(page, live_server, enrollment_rules_requirement, city_user,
                                                               tmp_path):
    upload(enrollment_rules_requirement, "140521", COMPLIANT_WITH_RENTAL)
    upload(enrollment_rules_requirement, "140522", STRICTER)
    upload(enrollment_rules_requirement, "140525", STRICTER)
    login(page, live_server, city_user.username)
    page.goto(f"{live_server.url}/policies/consistency/140500/")
    headers = [h.inner_text().split("\n")[0] for h in page.locator("#consistency thead th").all()]
    compliant = page.locator('#consistency tr[data-county="沁水县"]')
    assert compliant.get_attribute("data-status") != "breaks"
    assert compliant.locator("td.cell-breaks").count() == 0
    assert "符合政策" in compliant.inner_text()
    rental = headers.index("材料：租房合同/租赁备案")
    for county in ("阳城县", "泽州县"):
        row = page.locator(f'#consistency tr[data-county="{county}"]')
        assert row.get_attribute("data-status") == "breaks"
        cells = row.locator("td").all()
        assert "要求" not in cells[rental].inner_text()  # the text refuses rental contracts
        assert "cell-breaks" in cells[rental].get_attribute("class")
        permit = cells[headers.index("居住证持有时间")]
        assert "2年" in permit.inner_text() and "《居住证暂行条例》" in permit.inner_text()
    assert page.locator('.violations[data-county="泽州县"]').count() == 1
    assert page.outside_requests == []
    for width, name in ((1280, "desk"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(tmp_path / f"consistency-{name}.png"), full_page=True)
