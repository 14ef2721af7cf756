"""The whole platform through the API: notices and documents, the policy check, rosters and cases, supervision,
statistics and dashboards — the same services and scope as the pages; a sibling county sees none of it."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from suiqian.accounts.models import Role
from suiqian.accounts.scope import Scope
from suiqian.api.services import create_token
from suiqian.conftest import make_user
from suiqian.notices.models import Notice, Requirement
from suiqian.portal.seed import load_seed_notices
from suiqian.rosters import detection
from suiqian.rosters.models import PersonalDataExport
from suiqian.rosters.tests.conftest import unit
from suiqian.rosters.tests.factories import child, import_rows, roster_text

RULES = "第三条 随迁子女入学须持有本市居住证满一年。\n第四条 提供租房合同即可。\n"


class Api:
    def __init__(self, client, user, **token_options):
        self.client, self.key = client, create_token(user, "测试", **token_options)[1]

    def _auth(self):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.key}"}

    def get(self, url, **params):
        return self.client.get("/api/v1" + url, params, **self._auth())

    def send(self, method, url, body=None):
        return getattr(self.client, method)("/api/v1" + url, data=json.dumps(body or {}),
                                            content_type="application/json", **self._auth())

    def upload(self, url, data):
        return self.client.post("/api/v1" + url, data, **self._auth())


@pytest.fixture
def world(seeded, county_user, city_user, sibling_county_user, client):
    load_seed_notices()
    notice = Notice.objects.get(wenhao="晋市教基函字(2021)25号")
    rules = notice.requirements.get(document_type=Requirement.DocumentType.ENROLLMENT_RULES)
    return {"notice": notice, "rules": rules, "county": Api(client, county_user), "city": Api(client, city_user),
            "sibling": Api(client, sibling_county_user)}


def rules_file(text=RULES):
    return SimpleUploadedFile("泽州县实施细则.txt", text.encode())


def test_a_notice_is_read_signed_and_its_rules_uploaded_reviewed_and_versioned(world):
    county, city, notice, rules = world["county"], world["city"], world["notice"], world["rules"]
    assert notice.pk in [n["id"] for n in county.get("/notices").json()]
    detail = county.get(f"/notices/{notice.pk}").json()
    assert detail["wenhao"] == "晋市教基函字(2021)25号" and detail["read_at"] is None
    assert rules.pk in [r["id"] for r in detail["requirements"]]
    assert county.send("post", f"/notices/{notice.pk}/read").json()["read_at"]
    receipts = {r["unit"]["code"]: r for r in city.get(f"/notices/{notice.pk}/receipts").json()}
    assert receipts["140525"]["read_by"] == "u140525" and receipts["140521"]["read_at"] is None
    assert county.get(f"/notices/{notice.pk}/receipts").status_code == 403

    url = f"/requirements/{rules.pk}/submissions/140525"
    first = county.upload(url, {"file": rules_file(), "note": "第一版"}).json()
    assert first["version"] == 1 and first["content_type"] == "txt"
    assert [f["code"] for f in first["findings"]] == ["RESIDENCE_PERMIT_DURATION_EXCEEDS"]
    assert county.send("post", url + "/review", {"decision": "approve"}).status_code == 403
    returned = city.send("post", url + "/review", {"decision": "return", "reason": "居住证年限超过半年"}).json()
    assert returned["status_label"] == "已退回" and returned["decision_reason"] == "居住证年限超过半年"
    fixed = RULES.replace("满一年", "满半年")
    assert county.upload(url, {"file": rules_file(fixed)}).json()["findings"] == []
    versions = county.get(url).json()
    assert [v["version"] for v in versions] == [2, 1]
    download = county.get(f"/submissions/{versions[0]['id']}/download")
    assert b"".join(download.streaming_content).decode() == fixed
    statuses = {u["unit"]["code"]: u["status"] for r in city.get(f"/notices/{notice.pk}/requirements").json()
                if r["id"] == rules.pk for u in r["units"]}
    assert statuses["140525"] == "submitted" and statuses["140521"] == "missing"


def test_a_sibling_county_sees_no_other_countys_documents(world):
    county, sibling, rules = world["county"], world["sibling"], world["rules"]
    url = f"/requirements/{rules.pk}/submissions/140525"
    submission = county.upload(url, {"file": rules_file()}).json()
    assert sibling.get(url).status_code == 404
    assert sibling.upload(url, {"file": rules_file()}).status_code == 404
    assert sibling.send("post", url + "/review", {"decision": "approve"}).status_code == 404
    response = sibling.get(f"/submissions/{submission['id']}/download")
    assert response.status_code == 404 and response.json() == {"detail": "材料不存在或不在您的权限范围内", "errors": []}


def test_the_counties_of_a_city_side_by_side(world):
    county, city, rules = world["county"], world["city"], world["rules"]
    county.upload(f"/requirements/{rules.pk}/submissions/140525", {"file": rules_file()})
    table = city.get("/policies/consistency/140500").json()
    assert table["requirement"] == rules.pk and [r["county"] for r in table["rows"]] == ["泽州县"]
    cells = {c["column"]: c["value"] for c in table["rows"][0]["cells"]}
    assert cells["居住证持有时间"] == "1年"
    assert "140521" in {m["county"]["code"] for m in table["missing"]}
    assert county.get("/policies/consistency/140500").status_code == 404
    assert city.get("/policies/consistency/140525").status_code == 404  # a county is no city
    assert world["sibling"].get("/policies/consistency/140500").status_code == 404


def test_the_policy_check_takes_text_or_a_file_and_names_the_clause(world):
    county = world["county"]
    found = county.upload("/policies/check", {"text": RULES}).json()
    assert found["paragraphs"] == 2
    (finding,) = found["findings"]
    assert finding["paragraph"] == 1 and "居住证" in finding["text"] and "24号" in finding["clause"]
    assert county.upload("/policies/check", {"file": rules_file()}).json()["findings"] == found["findings"]
    refused = county.upload("/policies/check", {})
    assert refused.status_code == 422 and refused.json() == {"detail": "请上传文件或填写正文", "errors": []}


def test_a_hostile_pdf_posted_to_the_policy_check_is_refused_without_holding_the_server(world):
    from suiqian.tests.hostile_files import pdf_bomb

    refused = world["county"].upload("/policies/check", {
        "file": SimpleUploadedFile("细则.pdf", pdf_bomb(), content_type="application/pdf")})
    assert refused.status_code == 422
    assert "超过" in refused.json()["detail"]


@pytest.fixture
def zezhou_cases(world, county_user, tmp_path):
    scope = Scope.of(county_user)
    import_rows(scope, county_user, tmp_path, [child(1), child(2), child(3, grade=7)], "2021-spring",
                unit=unit("140525"))
    import_rows(scope, county_user, tmp_path, [child(1).next_year(), child(2).next_year()], "2021-fall",
                unit=unit("140525"))
    detection.detect("2021-fall")
    return world


def test_a_roster_is_imported_followed_and_counted(world, run_tasks):
    county, city, sibling = world["county"], world["city"], world["sibling"]
    text = roster_text([child(1), child(2), child(4).moved(school_type="公立")])
    job = county.upload("/rosters/140525/imports", {"term": "2021-fall", "on_error": "skip",
                                                    "file": SimpleUploadedFile("名册.csv", text.encode())})
    assert job.status_code == 202 and job.json()["finished"] is False
    run_tasks()
    job = county.get(f"/rosters/imports/{job.json()['id']}").json()
    assert (job["status"], job["finished"], job["rows_written"], job["rows_bad"]) == ("done", True, 2, 1)
    assert job["bad_rows_sample"][0]["row"] == 4 and "学校类型" in job["bad_rows_sample"][0]["reason"]
    assert child(4).id not in json.dumps(job, ensure_ascii=False)
    counts = city.get("/rosters/140500/counts", term="2021-fall").json()
    assert counts["fields"]["migrant_children_total"] == 2 and counts["counties_reported"] == 1
    assert {c["unit"]["code"]: c["rows"] for c in counts["counties"]}["140525"] == 2
    assert [j["id"] for j in city.get("/rosters/140525/imports").json()] == [job["id"]]
    for url in (f"/rosters/imports/{job['id']}", "/rosters/140525/imports"):
        assert sibling.get(url).status_code == 404
    assert sibling.get("/rosters/140525/counts", term="2021-fall").status_code == 404
    assert county.get("/rosters/140525/counts", term="2021-autumn").status_code == 422


def test_a_sibling_may_not_import_for_another_county(world):
    text = roster_text([child(1)])
    response = world["sibling"].upload("/rosters/140525/imports", {"term": "2021-fall",
                                                                   "file": SimpleUploadedFile("名册.csv", text.encode())})
    assert response.status_code == 404


def test_cases_are_listed_as_an_audited_export_and_followed_up_by_the_county(zezhou_cases, client, shanxi):
    county, city, sibling = zezhou_cases["county"], zezhou_cases["city"], zezhou_cases["sibling"]
    (case,) = county.get("/rosters/140525/cases", term="2021-fall").json()
    gone = child(3, grade=7).id
    assert case["id_masked"] == gone[:6] + "********" + gone[-4:] and case["status"] == "checking"
    export = PersonalDataExport.objects.get()
    assert (export.via, export.kind, export.rows) == ("api", "cases", 1)
    viewer = Api(client, make_user("140525", roles=[Role.VIEWER], username="viewer"))
    assert viewer.get("/rosters/140525/cases", term="2021-fall").status_code == 403
    assert viewer.get(f"/rosters/cases/{case['id']}").status_code == 200
    assert city.send("post", f"/rosters/cases/{case['id']}/status", {"status": "returned", "note": "x"}
                     ).status_code == 403
    changed = county.send("post", f"/rosters/cases/{case['id']}/status", {"status": "returned", "note": "已返校"}).json()
    assert changed["status_label"] == "已返校" and changed["events"][-1]["note"] == "已返校"
    assert sibling.get(f"/rosters/cases/{case['id']}").status_code == 404
    assert sibling.get("/rosters/140525/cases", term="2021-fall").status_code == 404


def test_inspections_sanctions_notes_and_warnings(world, province_user, city_user, client):
    county, city, sibling = world["county"], world["city"], world["sibling"]
    assert county.send("post", "/supervision/inspections", {"unit": "140525", "plan": "自查", "date": "2021-10-01"}
                       ).status_code == 403
    inspection = city.send("post", "/supervision/inspections", {"unit": "140525", "plan": "专项检查",
                                                                 "date": "2021-10-01"}).json()
    assert inspection["inspector"]["code"] == "140500" and inspection["status"] == "planned"
    url = f"/supervision/inspections/{inspection['id']}"
    refused = city.send("post", url + "/sanctions", {"kind": "talk", "date": "2021-10-02", "text": "约谈"})
    assert refused.status_code == 422 and "检查发现" in refused.json()["detail"]
    updated = city.send("patch", url, {"status": "rectifying", "findings": "学位不足"}).json()
    assert (updated["status_label"], updated["findings"]) == ("整改中", "学位不足")
    talked = city.send("post", url + "/sanctions", {"kind": "talk", "date": "2021-10-02", "text": "约谈"}).json()
    assert [s["kind_label"] for s in talked["sanctions"]] == ["约谈"]
    assert county.get(url).json()["sanctions"][0]["text"] == "约谈"
    assert [i["id"] for i in county.get("/supervision/inspections").json()] == [inspection["id"]]
    assert sibling.get(url).status_code == 404 and sibling.get("/supervision/inspections").json() == []
    assert sibling.send("patch", url, {"status": "closed"}).status_code == 404

    province = Api(client, province_user)
    listed = {k["unit"]["code"] for k in province.get("/supervision/key-counties", year=2021).json()}
    assert "140427" in listed and county.get("/supervision/key-counties", year=2021).json() == []
    note = province.send("post", "/supervision/key-counties/140427/notes", {"year": 2021, "text": "新建学校一所"})
    assert note.json()["text"] == "新建学校一所"
    assert any(n["text"] == "新建学校一所" for k in province.get("/supervision/key-counties", year=2021).json()
               for n in k["notes"])
    assert county.send("post", "/supervision/key-counties/140427/notes", {"year": 2021, "text": "x"}
                       ).status_code == 404
    warnings = province.get("/supervision/warnings", year=2020).json()
    assert all(set(w) == {"unit", "reason", "value"} for w in warnings)
    city_units = {u.code for u in Scope.of(city_user).units()}
    assert {w["unit"]["code"] for w in city.get("/supervision/warnings", year=2020).json()} <= city_units - {"140500"}


def test_the_enrollment_table_with_coverage_its_download_and_published_rankings(world, province_user, client):
    city, county = world["city"], world["county"]
    province = Api(client, province_user)
    table = province.get("/stats/enrollment", year=2020).json()
    assert table["title"] == "山西省2020年义务教育阶段随迁子女入学情况统计表"
    coverage = table["coverage"]
    assert coverage["units_total"] == 11 == len(table["rows"])
    assert coverage["units_with_data"] == sum(1 for r in table["rows"] if r["ratio"] is not None)
    assert sum(coverage["by_basis"].values()) == coverage["units_with_data"]
    ranked = [float(r["ratio"]) for r in table["rows"] if r["ratio"] is not None]
    assert ranked == sorted(ranked, reverse=True)
    csv = province.get("/stats/enrollment/download", year=2020, format="csv")
    assert csv["Content-Type"].startswith("text/csv") and "太原市" in csv.content.decode("utf-8-sig")
    assert county.get("/stats/enrollment", unit="140500", year=2020).status_code == 404
    assert world["sibling"].get("/stats/enrollment", unit="140525", year=2020).status_code == 404
    assert county.get("/stats/enrollment/download", unit="140000", year=2020).status_code == 404

    assert city.send("post", "/rankings", {"unit": "140000", "year": 2020}).status_code == 404
    published = province.send("post", "/rankings", {"unit": "140000", "year": 2020}).json()
    assert len(published["rows"]) == coverage["units_with_data"] and published["changes"] == []
    assert [r["id"] for r in province.get("/rankings").json()] == [published["id"]]
    assert province.get(f"/rankings/{published['id']}").json()["total"]["name"] == "山西省"
    assert city.get(f"/rankings/{published['id']}").status_code == 404


def test_the_dashboard_data_is_the_pages(world, client, city_user):
    city, county, sibling = world["city"], world["county"], world["sibling"]
    client.force_login(city_user)
    page = client.get("/dashboard/data", {"unit": "140500", "year": "2020"}).json()
    api = city.get("/dashboard", unit="140500", year=2020).json()
    assert {k: api[k] for k in page} == page and "completeness" in api
    assert county.get("/dashboard", unit="140500", year=2020).status_code == 404
    assert sibling.get("/dashboard", unit="140525", year=2020).status_code == 404
    assert county.get("/dashboard", year=2020).json()["unit"]["code"] == "140525"


def test_errors_have_one_shape(world):
    county = world["county"]
    huge = county.get("/supervision/warnings", year="99999999999999999999")
    assert huge.status_code == 422 and huge.json()["errors"][0]["loc"] == ["query", "year"]
    assert county.get("/stats/enrollment", year="abc").json()["errors"][0]["msg"] == "应为整数"
    bad_json = county.client.put("/api/v1/forms/summary-2021/reports/140525/values", data="{", content_type="application/json",
                                 HTTP_AUTHORIZATION=f"Bearer {county.key}")
    assert bad_json.status_code in (400, 422) and set(bad_json.json()) == {"detail", "errors"}
    assert all("\u4e00" <= c <= "\u9fff" for c in bad_json.json()["detail"][:2])
    missing = county.client.get("/api/v1/units")
    assert missing.status_code == 401 and set(missing.json()) == {"detail", "errors"}
    assert county.get("/notices/999999").json() == {"detail": "通知不存在或不在您的权限范围内", "errors": []}
    # Django's own English text ("No FormDefinition matches the given query.") never reaches a user.
    assert county.get("/forms/no-such-form").json() == {"detail": "不存在或不在您的权限范围内", "errors": []}
