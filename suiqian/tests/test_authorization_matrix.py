"""Who may do what, for every URL pattern and API operation.

Users of each role (填报员, 审核员, 管理员, 查看) at the four levels — 教育部, province, city and county — act
on their own unit, a child, a sibling and their parent, and anonymously. The endpoints are read from the URL
configuration: a new endpoint without an entry in ENDPOINTS fails `test_every_endpoint_has_an_entry`.
Allowed means the request got past authorization (2xx, a redirect that is not to the login page,
or a domain refusal: 400/409/422). Denied means 401/403/404 or a redirect to the login page.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from suiqian.accounts.models import Role
from suiqian.accounts.scope import Scope
from suiqian.api.services import create_token
from suiqian.conftest import county_values, make_user
from suiqian.divisions.models import Division
from suiqian.edustats import services as edustats
from suiqian.notices import deadlines as notice_deadlines
from suiqian.notices import documents as notice_documents
from suiqian.notices import services as notices
from suiqian.notices.models import Notice, Requirement
from suiqian.portal.seed import load_seed_notices
from suiqian.reporting import services as reporting
from suiqian.reporting.models import FormDefinition
from suiqian.supervision import services as supervision

ROLES = [Role.FILLER, Role.REVIEWER, Role.ADMIN, Role.VIEWER]
# Units of the world: 教育部, the province, two cities, two counties of the first city and one of the second.
N, P, C, C2, K, K2, K3 = "100000", "140000", "140500", "140100", "140525", "140521", "140105"
RELATIONS = {N: {"own": N, "child": P}, P: {"own": P, "child": C, "parent": N},
             C: {"own": C, "child": K, "sibling": C2, "parent": P},
             K: {"own": K, "sibling": K2, "parent": C}}


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


@dataclass
class World:
    form: FormDefinition
    notices: dict  # issuing unit code → its notice
    rules: dict  # unit code → the 实施细则 requirement that unit owes
    submissions: dict
    inspections: dict
    rankings: dict
    attachments: dict
    jobs: dict
    cases: dict
    asks: dict  # issuing unit code → an extension request on its notice
    people: dict  # unit code → a user of that unit
    tokens: dict  # username → API key
    detections: dict


def build_world() -> World:
    from suiqian.reporting.services import load_all_forms, load_reference_data
    from suiqian.supervision.services import load_key_lists

    load_all_forms()
    load_reference_data()
    load_key_lists()
    load_seed_notices()
    system = Scope.system()
    form = FormDefinition.objects.get(code="summary-2021")
    province_notice = Notice.objects.get(wenhao="晋教基函〔2021〕24号")
    taiyuan = notices.forward_notice(system, None, province_notice, unit(C2), wenhao="并教基函〔2021〕1号", title="转发")
    ministry_notice = notices.publish_notice(system, None, notices.create_notice(
        system, None, unit(N), wenhao="教基厅函〔2021〕1号", title="随迁子女入学工作",
        requirements=[notices.RequirementSpec(title="实施细则汇总", kind=Requirement.Kind.DOCUMENT,
                                              due_date=dt.date(2021, 8, 31), document_type="enrollment_rules")]))
    notice_of = {N: ministry_notice, P: province_notice, C: Notice.objects.get(wenhao="晋市教基函字(2021)25号"),
                 C2: taiyuan}
    rules = {code: Requirement.objects.get(notice=notice_of[code[:4] + "00" if code[4:] != "00" else P],
                                           document_type="enrollment_rules")
             for code in (C, C2, K, K2, K3)}
    rules[P] = ministry_notice.requirements.get()
    submissions, inspections = {}, {}
    for code in (P, C, C2, K, K2, K3):
        if code != P:  # a province fills no form of its own
            # Cities near their 2020 size, so the ±30 % warning does not stop the submission.
            values = county_values(25 if code in (C, C2) else 1)
            report = reporting.save_values(system, None, form, unit(code), values)
            reporting.submit_report(system, None, report, incomplete_reason="各县尚未审核" if code in (C, C2) else "")
        submissions[code] = notice_documents.submit_document(system, None, rules[code], unit(code), "细则".encode(), "a.txt")
        as_recognized_scan(submissions[code])
        inspections[code] = supervision.create_inspection(system, None, unit(code), plan="专项检查", date=dt.date(2021, 10, 1),
                                                          findings="发现问题")
    for code in (K, K2, K3):  # each county's 教育事业统计, submitted for its city to review
        figures = {f.code: "0" for f in edustats.figures().fields}
        edustats.submit(system, None, edustats.save_figures(system, None, unit(code), 2021, figures))
    # 教育部's ranking of the provinces: Shanxi's row summed from the cities' published 附件1.
    rankings = {code: supervision.publish_ranking(system, None, unit(code), 2020) for code in (N, P)}
    asks = {code: notice_deadlines.request_extension(system, None, rules[below], unit(below), dt.date(2030, 1, 1), "人手不足")
            for code, below in ((P, C), (C, K))}
    jobs, cases, detections = roster_objects()
    users = {}
    for code in (N, P, C, K):
        for role in ROLES:
            users[(code, role)] = make_user(code, roles=[role], username=f"{role}-{code}")
    tokens = {u.username: create_token(u, "matrix")[1] for u in users.values()}
    return World(form=form, notices=notice_of, rules=rules, submissions=submissions, inspections=inspections,
                 rankings=rankings, attachments={P: province_notice.attachments.first()}, jobs=jobs, cases=cases,
                 asks=asks, people={code: make_user(code, roles=[Role.FILLER], username=f"person-{code}")
                                    for code in (N, P, C, C2, K, K2, K3)}, tokens=tokens, detections=detections)


def as_recognized_scan(submission) -> None:
    """The submission as if it were a one-page scan already read, so its page image can be asked for."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    from suiqian.notices.models import DocumentSubmission

    png = io.BytesIO()
    Image.new("RGB", (40, 60), "white").save(png, format="PNG")
    submission.file.save(f"scan-{submission.unit.code}.png", ContentFile(png.getvalue()), save=False)
    DocumentSubmission.objects.filter(pk=submission.pk).update(
        file=submission.file.name, content_type="png", recognition="done",
        recognized_pages=[{"number": 1, "width": 40, "height": 60, "confidence": 90.0, "low_quality": False,
                           "paragraphs": [{"text": "细则", "words": [[0, 2, 1, 1, 20, 10, 90.0]]}]}])


def roster_objects():
    """An import job (with a bad-rows file) for every unit, and a dropout case for every county."""
    from pathlib import Path

    from django.conf import settings

    from suiqian.rosters.models import DetectionRun, DropoutCase, ImportJob

    jobs, cases, detections = {}, {}, {}
    for code in (N, P, C, C2, K, K2, K3):
        relative = f"rosters/bad-{code}.csv"
        path = Path(settings.MEDIA_ROOT) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("行号,原因\n2,校验码错误\n", encoding="utf-8")
        jobs[code] = ImportJob.objects.create(term="2021-fall", unit=unit(code), filename="名册.csv", status="done",
                                              rows_bad=1, bad_rows_file=relative)
        if unit(code).level == Division.Level.COUNTY:
            cases[code] = DropoutCase.objects.create(
                term="2022-spring", id_hash=code.encode().ljust(32, b"0"), id_masked=code + "********1234",
                name="张三", sex="男", birth_date=dt.date(2012, 3, 1), unit=unit(code), school="实验小学",
                school_type=1, grade=4)
        detections[code] = DetectionRun.objects.create(term="2021-fall", unit=unit(code), message="完成")
    return jobs, cases, detections


# --- the endpoints --------------------------------------------------------------------------
# Each entry: (method, rule, build(world, target) -> (url, data) or None when the target has no such object).

def plain(url):
    return lambda w, t: (url, {})


def form_url(suffix=""):
    return lambda w, t: (f"/forms/summary-2021/{t}/{suffix}", {})


def form_post(suffix, data=None):
    return lambda w, t: (f"/forms/summary-2021/{t}/{suffix}", data or {})


def by_notice(suffix, data=None):
    return lambda w, t: (f"/notices/{w.notices[t].pk}/{suffix}", data or {}) if t in w.notices else None


def by_requirement(suffix, data=None):
    return lambda w, t: (f"/requirements/{w.rules[t].pk}/{t}/{suffix}", data or {}) if t in w.rules else None


def by_inspection(suffix, data=None):
    return lambda w, t: (f"/supervision/inspections/{w.inspections[t].pk}/{suffix}", data or {}) \
        if t in w.inspections else None


def by_notice_api(suffix):
    return lambda w, t: (f"/api/v1/notices/{w.notices[t].pk}{suffix}", {}) if t in w.notices else None


def by_requirement_api(suffix, data=lambda: {}):
    return lambda w, t: (f"/api/v1/requirements/{w.rules[t].pk}/submissions/{t}{suffix}", data()) \
        if t in w.rules else None


def by_inspection_api(suffix, data=None):
    return lambda w, t: (f"/api/v1/supervision/inspections/{w.inspections[t].pk}{suffix}", data or {}) \
        if t in w.inspections else None


ROSTER_HEADER = "身份证号,姓名,性别,出生日期,学校名称,学校类型,年级,县区代码,进城务工人员随迁子女\n"


def text_file(name, text="须持有居住证满半年。\n"):
    return SimpleUploadedFile(name, text.encode())


API = "/api/v1/forms/summary-2021/reports"
ENDPOINTS = {
    "healthz": ("get", "public", plain("/healthz")),
    "login": ("get", "public", plain("/login/")),
    "logout": ("post", "public", plain("/logout/")),
    "home": ("get", "login", plain("/")),
    "dashboard": ("get", "see", lambda w, t: (f"/dashboard/?unit={t}&year=2021", {})),
    "dashboard_data": ("get", "see", lambda w, t: (f"/dashboard/data?unit={t}&year=2021", {})),
    "ranking_xlsx": ("get", "see_above_county", lambda w, t: (f"/dashboard/ranking.xlsx?unit={t}&year=2020", {})),
    "trend_xlsx": ("get", "see", lambda w, t: (f"/dashboard/trend.xlsx?unit={t}", {})),
    "map_file": ("get", "login", plain("/maps/140000.geojson")),
    "audit_log": ("get", "province_admin", plain("/audit/")),
    "user_list": ("get", "admin", plain("/account/users/")),
    "user_page": ("get", "manage", lambda w, t: (f"/account/users/{w.people[t].pk}/", {})),
    "user_unlock": ("post", "manage", lambda w, t: (f"/account/users/{w.people[t].pk}/unlock", {})),
    "own_unit": ("get", "login", plain("/units/")),
    "unit": ("get", "see", lambda w, t: (f"/units/{t}/", {})),
    "enrollment_table": ("get", "see", lambda w, t: (f"/stats/enrollment/?unit={t}&year=2020", {})),
    "form_list": ("get", "login", plain("/forms/")),
    "form_template": ("get", "login", plain("/forms/summary-2021/template.xlsx")),
    "form_page": ("get", "see", form_url()),
    "form_checks": ("get", "see", form_url("checks/")),
    "form_export": ("get", "see", form_url("export.xlsx")),
    "form_print": ("get", "see", form_url("print/")),
    "form_pdf": ("get", "see", form_url("print.pdf")),
    "form_check": ("post", "see", form_post("check", {"gaokao_applicants": "1"})),
    "form_save": ("post", "fill", form_post("save", {"gaokao_applicants": "1"})),
    "form_submit": ("post", "fill", form_post("submit")),
    "form_import": ("post", "fill", form_post("import")),
    "form_approve": ("post", "review", form_post("approve")),
    "form_return": ("post", "review", form_post("return", {"reason": "请核对"})),
    "form_unlock": ("post", "review", form_post("unlock", {"reason": "更正"})),
    "notice_list": ("get", "login", plain("/notices/")),
    "notice_new": ("get", "issue_own", plain("/notices/new")),
    "notice_detail": ("get", "notice", by_notice("")),
    "notice_publish": ("post", "issue", by_notice("publish")),
    "notice_forward": ("get", "forward", by_notice("forward")),
    "notice_edit": ("get", "issue", by_notice("edit")),
    "notice_correct": ("get", "issue", by_notice("correct")),
    "extension_request": ("post", "fill_below", lambda w, t: (f"/requirements/{w.notices[t].requirements.first().pk}/extension-request",
                                                              {"due_date": "2030-12-31", "reason": "x"})
                          if t in w.notices else None),
    "extension_decide": ("post", "issue", lambda w, t: (f"/extension-requests/{w.asks[t].pk}/decide",
                                                        {"decision": "grant"}) if t in w.asks else None),
    "notice_status_export": ("get", "see", by_notice("status.xlsx")),
    "attachment_download": ("get", "notice", lambda w, t: (f"/notices/attachments/{w.attachments[t].pk}", {})
                            if t in w.attachments else None),
    "grant_extension": ("post", "issue", lambda w, t: (f"/requirements/{w.notices[t].requirements.first().pk}/extend",
                                                       {"unit": w.notices[t].targets.first().unit.code,
                                                        "due_date": "2021-12-31", "reason": "x"})
                        if t in w.notices else None),
    "submission_page": ("get", "see", by_requirement("")),
    "submission_download": ("get", "see", lambda w, t: (f"/submissions/{w.submissions[t].pk}/download", {})
                            if t in w.submissions else None),
    "submission_check_progress": ("get", "see", lambda w, t: (f"/submissions/{w.submissions[t].pk}/check-progress", {})
                                  if t in w.submissions else None),
    "submission_scan_page": ("get", "see", lambda w, t: (f"/submissions/{w.submissions[t].pk}/pages/1.png", {})
                             if t in w.submissions else None),
    "submission_recognition": ("get", "see", lambda w, t: (f"/submissions/{w.submissions[t].pk}/recognition", {})
                               if t in w.submissions else None),
    "submission_upload": ("post", "fill", by_requirement("upload")),
    "submission_package": ("post", "fill", by_requirement("package")),
    "submission_review": ("post", "review", by_requirement("review", {"decision": "approve"})),
    "policy_consistency": ("get", "see_city", lambda w, t: (f"/policies/consistency/{t}/", {})),
    "policy_feedback_list": ("get", "login", plain("/policies/feedback/")),
    "policy_feedback_add": ("post", "review", lambda w, t: (
        f"/policies/feedback/{w.submissions[t].pk}/",
        {"kind": "missed", "code": "FAMILY_PLANNING_PROOF", "sentence": "须提供计划生育证明。"})
        if t in w.submissions else None),
    "supervision": ("get", "login", plain("/supervision/")),
    "progress_note_add": ("post", "see_act", lambda w, t: (f"/supervision/key/{t}/notes", {"year": "2021", "text": "x"})),
    "inspection_new": ("post", "supervise", lambda w, t: ("/supervision/inspections/new",
                                                          {"unit": t, "plan": "检查", "date": "2021-10-01"})),
    "inspection_detail": ("get", "see", by_inspection("")),
    "inspection_update": ("post", "supervise", by_inspection("update", {"status": "closed"})),
    "sanction_add": ("post", "supervise", by_inspection("sanctions", {"kind": "talk", "date": "2021-10-02", "text": "约谈"})),
    "ranking_publish": ("post", "issue", lambda w, t: ("/supervision/rankings/publish", {"unit": t, "year": "2020"})),
    "ranking_detail": ("get", "see", lambda w, t: (f"/supervision/rankings/{w.rankings[t].pk}/", {})
                       if t in w.rankings else None),
    "roster_home": ("get", "login", plain("/rosters/")),
    "roster_unit": ("get", "see", lambda w, t: (f"/rosters/{t}/", {})),
    "roster_summary": ("get", "see", lambda w, t: (f"/rosters/{t}/summary", {})),
    "roster_cases": ("get", "see", lambda w, t: (f"/rosters/{t}/cases", {})),
    "roster_upload": ("post", "fill", lambda w, t: (f"/rosters/{t}/import", {"term": "2021-fall", "on_error": "stop"})),
    "roster_job": ("get", "see", lambda w, t: (f"/rosters/jobs/{w.jobs[t].pk}/", {})),
    "roster_job_progress": ("get", "see", lambda w, t: (f"/rosters/jobs/{w.jobs[t].pk}/progress", {})),
    "roster_job_confirm": ("post", "fill", lambda w, t: (f"/rosters/jobs/{w.jobs[t].pk}/confirm", {})),
    "roster_job_cancel": ("post", "fill", lambda w, t: (f"/rosters/jobs/{w.jobs[t].pk}/cancel", {})),
    "roster_detect": ("post", "fill", lambda w, t: (f"/rosters/{t}/detect", {"term": "2099-fall"})),
    "roster_detection": ("get", "see", lambda w, t: (f"/rosters/detections/{w.detections[t].pk}/", {})),
    "roster_detection_progress": ("get", "see",
                                  lambda w, t: (f"/rosters/detections/{w.detections[t].pk}/progress", {})),
    "roster_bad_rows": ("get", "see_export", lambda w, t: (f"/rosters/jobs/{w.jobs[t].pk}/bad-rows.csv", {})),
    "roster_case": ("get", "see", lambda w, t: (f"/rosters/cases/{w.cases[t].pk}/", {}) if t in w.cases else None),
    "roster_case_status": ("post", "fill", lambda w, t: (f"/rosters/cases/{w.cases[t].pk}/status",
                                                         {"status": "returned", "note": "已返校"})
                           if t in w.cases else None),
    "edustats_home": ("get", "login", plain("/edustats/")),
    "edustats_differences": ("get", "login", plain("/edustats/differences/?year=2021")),
    "edustats_unit": ("get", "see", lambda w, t: (f"/edustats/{t}/?year=2021", {})),
    "edustats_template": ("get", "see", lambda w, t: (f"/edustats/{t}/template.xlsx?year=2021", {})),
    "edustats_compare": ("get", "see", lambda w, t: (f"/edustats/{t}/compare?term=2021-fall", {})),
    "edustats_save": ("post", "fill_statistics", lambda w, t: (f"/edustats/{t}/save",
                                                               {"year": "2021", "migrant_children_primary": "1"})),
    "edustats_submit": ("post", "fill_statistics", lambda w, t: (f"/edustats/{t}/submit", {"year": "2021"})),
    "edustats_import": ("post", "fill", lambda w, t: (f"/edustats/{t}/import", {"year": "2021"})),
    "edustats_approve": ("post", "review", lambda w, t: (f"/edustats/{t}/approve", {"year": "2021"})),
    "edustats_return": ("post", "review", lambda w, t: (f"/edustats/{t}/return", {"year": "2021", "reason": "请核对"})),
    "edustats_unlock": ("post", "review", lambda w, t: (f"/edustats/{t}/unlock", {"year": "2021", "reason": "更正"})),
    "api_tokens": ("get", "login", plain("/account/tokens/")),
    "api_token_create": ("post", "login", lambda w, t: ("/account/tokens/new", {"name": "x"})),
    "api_token_revoke": ("post", "login", plain("/account/tokens/999999/revoke")),
    "api:openapi-json": ("get", "public", plain("/api/v1/openapi.json")),
    "api:openapi-view": ("get", "public", plain("/api/v1/docs")),
    "api:api-root": ("get", "nothing", plain("/api/v1/")),  # django-ninja's bare root: always 404
    "api:list_units": ("api-get", "login", plain("/api/v1/units")),
    "api:get_unit": ("api-get", "see", lambda w, t: (f"/api/v1/units/{t}", {})),
    "api:list_forms": ("api-get", "login", plain("/api/v1/forms")),
    "api:get_form": ("api-get", "login", plain("/api/v1/forms/summary-2021")),
    "api:get_report": ("api-get", "see", lambda w, t: (f"{API}/{t}", {})),
    "api:put_values": ("api-put", "fill", lambda w, t: (f"{API}/{t}/values", {"values": {"gaokao_applicants": 2}})),
    "api:submit": ("api-post", "fill", lambda w, t: (f"{API}/{t}/submit", {})),
    "api:approve": ("api-post", "review", lambda w, t: (f"{API}/{t}/approve", {})),
    "api:return_": ("api-post", "review", lambda w, t: (f"{API}/{t}/return", {"reason": "请核对"})),
    "api:unlock": ("api-post", "review", lambda w, t: (f"{API}/{t}/unlock", {"reason": "更正"})),
    # notices
    "api:list_notices": ("api-get", "login", plain("/api/v1/notices")),
    "api:get_notice": ("api-get", "notice", by_notice_api("")),
    "api:read_notice": ("api-post", "notice", by_notice_api("/read")),
    "api:list_receipts": ("api-get", "see", by_notice_api("/receipts")),
    "api:list_requirements": ("api-get", "notice", by_notice_api("/requirements")),
    "api:download_attachment": ("api-get", "notice", lambda w, t: (f"/api/v1/notices/attachments/{w.attachments[t].pk}",
                                                                   {}) if t in w.attachments else None),
    "api:list_versions": ("api-get", "see", by_requirement_api("")),
    "api:upload_submission": ("api-upload", "fill", by_requirement_api("", lambda: {"file": text_file("细则.txt")})),
    "api:review_submission": ("api-post", "review", by_requirement_api("/review", lambda: {"decision": "approve"})),
    "api:download_submission": ("api-get", "see", lambda w, t: (f"/api/v1/submissions/{w.submissions[t].pk}/download",
                                                                {}) if t in w.submissions else None),
    # policies
    "api:check_policy": ("api-upload", "login", lambda w, t: ("/api/v1/policies/check", {"text": "须持有居住证满一年。"})),
    "api:get_consistency": ("api-get", "see_city", lambda w, t: (f"/api/v1/policies/consistency/{t}", {})),
    # rosters
    "api:start_import": ("api-upload", "fill", lambda w, t: (f"/api/v1/rosters/{t}/imports",
                                                             {"term": "2021-fall", "on_error": "stop",
                                                              "file": text_file("名册.csv", ROSTER_HEADER)})),
    "api:get_import": ("api-get", "see", lambda w, t: (f"/api/v1/rosters/imports/{w.jobs[t].pk}", {})),
    "api:list_imports": ("api-get", "see", lambda w, t: (f"/api/v1/rosters/{t}/imports", {})),
    "api:get_counts": ("api-get", "see", lambda w, t: (f"/api/v1/rosters/{t}/counts?term=2021-fall", {})),
    "api:list_cases": ("api-get", "see_export", lambda w, t: (f"/api/v1/rosters/{t}/cases?term=2022-spring", {})),
    "api:get_case": ("api-get", "see", lambda w, t: (f"/api/v1/rosters/cases/{w.cases[t].pk}", {})
                     if t in w.cases else None),
    "api:change_case": ("api-post", "fill", lambda w, t: (f"/api/v1/rosters/cases/{w.cases[t].pk}/status",
                                                          {"status": "returned", "note": "已返校"})
                        if t in w.cases else None),
    # supervision
    "api:list_warnings": ("api-get", "login", plain("/api/v1/supervision/warnings?year=2021")),
    "api:list_key_counties": ("api-get", "login", plain("/api/v1/supervision/key-counties?year=2021")),
    "api:add_note": ("api-post", "see_act", lambda w, t: (f"/api/v1/supervision/key-counties/{t}/notes",
                                                          {"year": 2021, "text": "x"})),
    "api:list_inspections": ("api-get", "login", plain("/api/v1/supervision/inspections")),
    "api:create_inspection": ("api-post", "supervise", lambda w, t: ("/api/v1/supervision/inspections",
                                                                     {"unit": t, "plan": "检查", "date": "2021-10-01"})),
    "api:get_inspection": ("api-get", "see", by_inspection_api("")),
    "api:update_inspection": ("api-patch", "supervise", by_inspection_api("", {"status": "closed"})),
    "api:add_sanction": ("api-post", "supervise", by_inspection_api("/sanctions", {"kind": "talk", "date": "2021-10-02",
                                                                                 "text": "约谈"})),
    # statistics and dashboards
    "api:get_enrollment_table": ("api-get", "see", lambda w, t: (f"/api/v1/stats/enrollment?unit={t}&year=2020", {})),
    "api:download_enrollment_table": ("api-get", "see", lambda w, t: (
        f"/api/v1/stats/enrollment/download?unit={t}&year=2020&format=csv", {})),
    "api:list_rankings": ("api-get", "login", plain("/api/v1/rankings")),
    "api:get_ranking": ("api-get", "see", lambda w, t: (f"/api/v1/rankings/{w.rankings[t].pk}", {})
                        if t in w.rankings else None),
    "api:publish_ranking": ("api-post", "issue", lambda w, t: ("/api/v1/rankings", {"unit": t, "year": 2020})),
    "api:get_dashboard": ("api-get", "see", lambda w, t: (f"/api/v1/dashboard?unit={t}&year=2021", {})),
    # Last: a withdrawal changes the notices every check above reads.
    "notice_withdraw": ("post", "issue", by_notice("withdraw", {"reason": "重发"})),
}


def expected(rule: str, role: str | None, level_code: str, relation: str, target: str) -> bool:
    """The oracle: what the scope rules say, written independently of the code under test."""
    if rule == "public":
        return True
    if role is None or rule == "nothing":
        return False
    visible = relation in ("own", "child")
    acts = role in (Role.FILLER, Role.REVIEWER, Role.ADMIN)
    supervisor = role in (Role.REVIEWER, Role.ADMIN)
    return {
        "login": True,
        "see": visible,
        "see_above_county": visible and unit(target).level < Division.Level.COUNTY,
        "see_city": visible and unit(target).level == Division.Level.CITY,
        "see_act": visible and acts,
        "see_export": visible and role in (Role.FILLER, Role.ADMIN),
        "fill": relation == "own" and role == Role.FILLER,
        # A county's 教育事业统计: its own filler or its city's.
        "fill_statistics": relation in ("own", "child") and role == Role.FILLER
        and unit(target).level == Division.Level.COUNTY,
        "fill_below": relation == "parent" and role == Role.FILLER,
        "review": relation == "child" and role == Role.REVIEWER,
        "issue": relation == "own" and supervisor,
        "issue_own": supervisor,
        "supervise": relation == "child" and supervisor,
        "notice": relation in ("own", "child", "parent"),
        "forward": relation in ("own", "child", "parent") and supervisor,
        "province_admin": role == Role.ADMIN and level_code in (N, P),
        "admin": role == Role.ADMIN,
        "manage": relation in ("own", "child") and role == Role.ADMIN,
        "nothing": False,
    }[rule]


def allowed(response, rule: str) -> bool:
    if rule == "public":  # logging out lands on the login page: that is its success
        return response.status_code in (200, 301, 302)
    if response.status_code in (401, 403, 404, 405):
        return False
    if response.status_code in (301, 302):
        return not response["Location"].startswith("/login/")
    return response.status_code in (200, 201, 202, 204, 400, 409, 422)


def send(client, method, url, data, key=None):
    if method.startswith("api-"):
        verb = method[4:]
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
        if verb == "get":
            return client.get(url, **headers)
        if verb == "upload":  # multipart, files included
            return client.post(url, data, **headers)
        return getattr(client, verb)(url, data=json.dumps(data), content_type="application/json", **headers)
    return client.get(url, data) if method == "get" else client.post(url, data)


def endpoint_names() -> set[str]:
    names = set()

    def walk(patterns, namespace=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "admin":
                    continue  # Django's admin is asserted on its own below
                walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern) and p.name:
                names.add(f"{namespace}:{p.name}" if namespace else p.name)
    walk(get_resolver().url_patterns)
    return names


def test_every_endpoint_has_an_entry(db):
    missing = endpoint_names() - set(ENDPOINTS)
    assert not missing, f"endpoints without an authorization entry: {sorted(missing)}"
    assert not set(ENDPOINTS) - endpoint_names(), "entries for endpoints that no longer exist"


def test_the_authorization_matrix(client, nation):
    world = build_world()
    from suiqian.accounts.models import User

    failures, checked = [], 0
    for name, (method, rule, build) in ENDPOINTS.items():
        for level_code, relations in RELATIONS.items():
            for role in [*ROLES, None]:
                user = User.objects.get(username=f"{role}-{level_code}") if role else None
                for relation, target in relations.items():
                    request = build(world, target)
                    if request is None:
                        continue
                    url, data = request
                    if user is not None and not method.startswith("api-"):
                        client.force_login(user)
                    else:
                        client.logout()
                    key = world.tokens[user.username] if (user and method.startswith("api-")) else None
                    response = send(client, method, url, data, key)
                    want = expected(rule, role, level_code, relation, target)
                    checked += 1
                    if allowed(response, rule) != want:
                        failures.append(f"{name} {method} {url} as {role or 'anonymous'}@{level_code} on "
                                        f"{relation} {target}: got {response.status_code}, "
                                        f"expected {'allow' if want else 'deny'}")
    assert checked > 1500
    assert not failures, f"{len(failures)} of {checked} checks failed:\n" + "\n".join(failures[:80])


def test_the_admin_is_for_ministry_and_province_administrators_only(client, nation):
    for level_code in RELATIONS:
        for role in ROLES:
            client.force_login(make_user(level_code, roles=[role], username=f"adm-{role}-{level_code}"))
            ok = client.get("/admin/").status_code == 200
            assert ok == (role == Role.ADMIN and level_code in (N, P)), (role, level_code)
    client.logout()
    assert client.get("/admin/").status_code == 302


# --- objects one unit made about another --------------------------------------------------
# The URL names one object; who may act on it depends on who made it, not only on the unit it is about.

def _supervisor(role):
    return role in (Role.REVIEWER, Role.ADMIN)


def object_cases(world):
    """(name, method, url, data, oracle(role, user unit code) -> allowed)."""
    province = Scope(unit=unit(P), roles=frozenset({Role.REVIEWER}))
    by_province = supervision.create_inspection(province, None, unit(K), plan="省级专项检查", date=dt.date(2021, 10, 1),
                                                findings="省级发现")
    by_city = world.inspections[K]  # made by its city
    assert by_city.inspector.code == C
    city_notice = world.notices[C]
    cases = []
    for inspection, inspector in ((by_province, P), (by_city, C)):
        base = f"/supervision/inspections/{inspection.pk}/"
        above_inspector = (P,) if inspector == P else (P, C)
        cases += [
            ("inspection_detail", "get", base, {}, lambda role, code: True),
            ("inspection_update", "post", base + "update", {"status": "closed", "findings": "改写"},
             lambda role, code, a=above_inspector: code in a and _supervisor(role)),
            ("sanction_add", "post", base + "sanctions", {"kind": "bulletin", "date": "2021-10-02", "text": "通报"},
             lambda role, code, a=above_inspector: code in a and _supervisor(role)),
        ]
    requirement = city_notice.requirements.first()
    cases.append(("grant_extension", "post", f"/requirements/{requirement.pk}/extend",
                  {"unit": K, "due_date": "2021-12-31", "reason": "x"},
                  lambda role, code: code == C and _supervisor(role)))
    cases.append(("submission_review", "post", f"/requirements/{world.rules[K].pk}/{K}/review", {"decision": "return",
                                                                                               "reason": "请补充"},
                  lambda role, code: code == C and role == Role.REVIEWER))
    return cases


def test_objects_made_by_one_unit_about_another(client, nation):
    world = build_world()
    from suiqian.accounts.models import User

    failures = []
    for name, method, url, data, oracle in object_cases(world):
        for code in (P, C, K):
            for role in ROLES:
                client.force_login(User.objects.get(username=f"{role}-{code}"))
                response = send(client, method, url, data)
                want = oracle(role, code)
                if allowed(response, "login") != want:
                    failures.append(f"{name} {url} as {role}@{code}: got {response.status_code}, "
                                    f"expected {'allow' if want else 'deny'}")
    assert not failures, "\n".join(failures)
