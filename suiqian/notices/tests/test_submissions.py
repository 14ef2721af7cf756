import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from suiqian.accounts.scope import Scope
from suiqian.conftest import docx_bytes
from suiqian.divisions.models import Division
from suiqian.notices import deadlines, documents, queries, services
from suiqian.notices.models import DocumentSubmission, Requirement

CHINA = ZoneInfo("Asia/Shanghai")
D = dt.date


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


def at(text):
    return dt.datetime.fromisoformat(text).replace(tzinfo=CHINA)


@pytest.fixture
def enrollment_rules_requirement(seeded_notices):
    return seeded_notices["晋市教基函字(2021)25号"].requirements.get(document_type="enrollment_rules")


TXT = "第一条 随迁子女凭居住证入学。".encode()


def test_a_returned_document_resubmitted_keeps_its_history(enrollment_rules_requirement, county_user, city_user):
    county = unit("140525")
    first = documents.submit_document(Scope.of(county_user), county_user, enrollment_rules_requirement, county,
                                     docx_bytes("第一条 持居住证。"), "泽州县实施细则.docx")
    with pytest.raises(services.NoticeError, match="退回必须填写原因"):
        documents.review_document(Scope.of(city_user), city_user, first, approve=False)
    documents.review_document(Scope.of(city_user), city_user, first, approve=False, reason="请删除计划生育证明要求")
    second = documents.submit_document(Scope.of(county_user), county_user, enrollment_rules_requirement, county, TXT, "v2.txt")
    documents.review_document(Scope.of(city_user), city_user, second, approve=True)
    versions = list(DocumentSubmission.objects.filter(unit=county).order_by("version")
                    .values_list("version", "content_type", "status", "decision_reason"))
    assert versions == [(1, "docx", "returned", "请删除计划生育证明要求"), (2, "txt", "approved", "")]
    with pytest.raises(services.NoticeError, match="已审核通过"):
        documents.submit_document(Scope.of(county_user), county_user, enrollment_rules_requirement, county, TXT, "v3.txt")


def test_the_type_is_judged_by_content_not_name(enrollment_rules_requirement, county_user):
    scope, county = Scope.of(county_user), unit("140525")
    with pytest.raises(services.NoticeError, match="无法识别的文件类型"):
        documents.submit_document(scope, county_user, enrollment_rules_requirement, county, b"MZ\x90\x00\x03" + bytes(200), "细则.docx")
    with pytest.raises(services.NoticeError, match="超过 20 MB"):
        documents.submit_document(scope, county_user, enrollment_rules_requirement, county, b"a" * (20 * 1024 * 1024 + 1), "a.txt")
    s = documents.submit_document(scope, county_user, enrollment_rules_requirement, county, b"%PDF-1.4\n%%EOF", "named.txt")
    assert s.content_type == "pdf"


def test_only_the_unit_itself_submits_and_only_the_parent_reviews(enrollment_rules_requirement, county_user,
                                                                  sibling_county_user, province_user):
    with pytest.raises(services.NotAllowed):
        documents.submit_document(Scope.of(sibling_county_user), sibling_county_user, enrollment_rules_requirement,
                                 unit("140525"), TXT, "a.txt")
    s = documents.submit_document(Scope.of(county_user), county_user, enrollment_rules_requirement, unit("140525"), TXT, "a.txt")
    with pytest.raises(services.NotAllowed):
        documents.review_document(Scope.of(province_user), province_user, s, approve=True)


def test_a_submission_at_235959_on_the_due_date_is_on_time_and_at_midnight_late(enrollment_rules_requirement, county_user,
                                                                                 sibling_county_user):
    documents.submit_document(Scope.of(county_user), county_user, enrollment_rules_requirement, unit("140525"), TXT, "a.txt",
                             at=at("2021-06-20T23:59:59"))
    documents.submit_document(Scope.of(sibling_county_user), sibling_county_user, enrollment_rules_requirement, unit("140521"),
                             TXT, "b.txt", at=at("2021-06-21T00:00:00"))
    rows = {r.unit.code: r for r in queries.board(enrollment_rules_requirement, D(2021, 7, 1))}
    assert rows["140525"].timeliness == "按时" and rows["140521"].timeliness == "逾期报送"


def test_completeness_counts_a_mix_of_on_time_late_and_missing(enrollment_rules_requirement, county_user, city_user, shanxi):
    from suiqian.conftest import make_user

    plan = {"140525": "2021-06-19T10:00:00", "140521": "2021-06-20T18:00:00", "140522": "2021-06-25T09:00:00"}
    submissions = {}
    for code, when in plan.items():
        user = make_user(code, username=f"u{code}")
        submissions[code] = documents.submit_document(Scope.of(user), user, enrollment_rules_requirement, unit(code), TXT,
                                                     "a.txt", at=at(when))
    documents.review_document(Scope.of(city_user), city_user, submissions["140525"], approve=True)
    documents.review_document(Scope.of(city_user), city_user, submissions["140522"], approve=False, reason="缺页")
    deadlines.grant_extension(Scope.of(city_user), city_user, enrollment_rules_requirement, unit("140581"), D(2021, 6, 30),
                             "高平市机构调整")
    block = queries.Completeness(enrollment_rules_requirement, queries.board(enrollment_rules_requirement, D(2021, 6, 25)))
    assert (block.expected, block.on_time, block.late, block.missing, block.approved, block.returned) == (6, 2, 1, 3, 1, 1)
    assert block.overdue == 2  # 城区 and 陵川县; 高平市's extension runs to 6/30
    rows = {r.unit.code: r for r in block.rows}
    assert rows["140581"].timeliness == "未到期" and rows["140581"].extension.reason == "高平市机构调整"


def test_an_extension_must_be_later_and_explained(enrollment_rules_requirement, city_user, county_user):
    scope = Scope.of(city_user)
    with pytest.raises(services.NoticeError, match="应晚于原截止日期"):
        deadlines.grant_extension(scope, city_user, enrollment_rules_requirement, unit("140525"), D(2021, 6, 19), "x")
    with pytest.raises(services.NoticeError, match="必须填写理由"):
        deadlines.grant_extension(scope, city_user, enrollment_rules_requirement, unit("140525"), D(2021, 6, 25), "  ")
    with pytest.raises(services.NotAllowed):
        deadlines.grant_extension(Scope.of(county_user), county_user, enrollment_rules_requirement, unit("140525"),
                                 D(2021, 6, 25), "x")


def test_approved_rules_fill_row_1_of_the_citys_summary(enrollment_rules_requirement, county_user, city_user, summary_form):
    from suiqian.reporting.queries import current_values

    s = documents.submit_document(Scope.of(county_user), county_user, enrollment_rules_requirement, unit("140525"), TXT, "a.txt")
    values = current_values(summary_form, unit("140500"))
    assert (values["county_total"], values["enrollment_rules_reviewed"], values["enrollment_rules_unreviewed"]) == (6, 0, 6)
    documents.review_document(Scope.of(city_user), city_user, s, approve=True)
    values = current_values(summary_form, unit("140500"))
    assert (values["enrollment_rules_reviewed"], values["enrollment_rules_unreviewed"]) == (1, 5)


def test_the_city_sends_its_counties_rules_up_as_one_package(seeded_notices, county_user, city_user):
    import io
    import zipfile

    province_req = seeded_notices["晋教基函〔2021〕24号"].requirements.get(document_type="enrollment_rules")
    city_req = Requirement.objects.get(parent=province_req)
    s = documents.submit_document(Scope.of(county_user), county_user, city_req, unit("140525"), TXT, "a.txt")
    documents.review_document(Scope.of(city_user), city_user, s, approve=True)
    package = documents.submit_enrollment_rules_package(Scope.of(city_user), city_user, province_req, unit("140500"))
    assert {m["name"]: m["status"] for m in package.manifest}["泽州县"] == "approved"
    assert {m["name"]: m["status"] for m in package.manifest}["沁水县"] == "missing"
    names = zipfile.ZipFile(io.BytesIO(package.file.read())).namelist()
    assert "140525-泽州县-v1.txt" in names and "清单.txt" in names
