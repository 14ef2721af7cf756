"""Rosters: start an import and follow its job; counts per unit and term; dropout cases, listed and followed up."""

import datetime as dt

from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile

from suiqian.rosters import cases, exports, jobs, queries
from suiqian.rosters.errors import NotAllowed, RosterError, parse_term
from suiqian.rosters.models import CaseStatus

from ..auth import TokenAuth
from ..errors import responses
from ..models import Group
from .common import UnitRef, scope_of, unit_ref

router = Router(auth=TokenAuth(Group.ROSTERS), tags=["名册与控辍保学"])


def term_param():
    return Query(..., description="学期：`2021-fall` 秋季、`2022-spring` 春季", examples=["2021-fall"])


class BadRowOut(Schema):
    row: int = Field(description="文件中的行号", examples=[3])
    id_masked: str = Field(description="身份证号（中间 8 位隐去）", examples=["410102********0076"])
    reason: str = Field(examples=["学校类型应为 公办、民办 或 政府购买学位"])


class JobOut(Schema):
    id: int
    unit: UnitRef | None
    term: str = Field(examples=["2021-fall"])
    filename: str
    status: str = Field(description="pending 等待处理 / running 正在导入 / done 已导入 / failed 未导入",
                        examples=["done"])
    status_label: str = Field(examples=["已导入"])
    finished: bool = Field(description="已结束（done 或 failed）：轮询到此为止")
    rows_read: int
    rows_checked: int
    rows_written: int
    rows_bad: int
    units: list[str] = Field(description="名册被替换的县区代码")
    message: str = Field(description="结果说明")
    bad_rows_sample: list[BadRowOut] = Field(description="前若干错误行（身份证号已部分隐去）")
    created_at: dt.datetime
    finished_at: dt.datetime | None


class CountyRosterOut(Schema):
    unit: UnitRef
    reported: bool = Field(description="本学期名册已上报")
    rows: int = Field(description="本学期名册人数")
    missing: bool = Field(description="名册未上报：上学期有、本学期没有")


class CountsOut(Schema):
    unit: UnitRef
    term: str
    term_label: str = Field(examples=["2021 年秋季学期"])
    fields: dict[str, int] = Field(description="按附件3 字段代码汇总的人数",
                                   examples=[{"migrant_children_total": 1200, "public_school_primary": 800}])
    breakdown: list[dict] = Field(description="按学段、学校类型，进城务工人员随迁子女与其他")
    counties_reported: int
    counties_total: int
    counties: list[CountyRosterOut]


class CaseOut(Schema):
    id: int
    term: str = Field(description="未在册学期")
    id_masked: str = Field(description="身份证号（中间 8 位隐去）", examples=["140525********1234"])
    name: str
    sex: str
    birth_date: dt.date
    unit: UnitRef = Field(description="最后在册县区")
    school: str
    grade: int
    status: str = Field(description="checking 核查中 / returned 已返校 / transferred_out 已转学（省外）/ "
                                    "persuading 确认辍学（劝返中）/ other 其他 / transferred 已转学（平台内）")
    status_label: str
    new_unit: UnitRef | None = Field(description="转入县区（平台内转学）")


class CaseEventOut(Schema):
    at: dt.datetime
    user: str | None
    from_status: str
    to_status: str
    happened_on: dt.date | None
    note: str


class CaseDetailOut(CaseOut):
    events: list[CaseEventOut]
    allowed_statuses: list[str] = Field(description="可改为的状态")


class CaseStatusIn(Schema):
    status: str = Field(description="新状态（见 allowed_statuses）", examples=["returned"])
    note: str = Field(description="核查情况说明", examples=["已于 3 月 2 日返校就读"])
    happened_on: dt.date | None = Field(None, description="发生日期，不晚于今天")


def job_out(job) -> dict:
    return {"id": job.pk, "unit": unit_ref(job.unit), "term": job.term, "filename": job.filename,
            "status": job.status, "status_label": job.get_status_display(), "finished": job.is_finished,
            "rows_read": job.rows_read, "rows_checked": job.rows_checked, "rows_written": job.rows_written,
            "rows_bad": job.rows_bad, "units": job.units, "message": job.message,
            "bad_rows_sample": [{"row": row, "id_masked": masked, "reason": reason}
                                for row, masked, reason in job.bad_rows_sample], "created_at": job.created_at, "finished_at": job.finished_at}


def case_out(case) -> dict:
    return {"id": case.pk, "term": case.term, "id_masked": case.id_masked, "name": case.name, "sex": case.sex,
            "birth_date": case.birth_date, "unit": unit_ref(case.unit), "school": case.school, "grade": case.grade,
            "status": case.status, "status_label": case.get_status_display(), "new_unit": unit_ref(case.new_unit)}


@router.post("/rosters/{code}/imports", response=responses(JobOut, status=202), summary="导入名册（开始）",
             description="multipart/form-data：`file`（CSV UTF-8/GBK、.xlsx、.xls，不超过 200 MB）、`term` 学期、"
                         "`on_error`（stop 有错误行则整份不导入 / skip 跳过错误行）。与页面上传相同，在后台任务中导入；"
                         "返回导入任务，用 GET /rosters/imports/{id} 轮询到 `finished` 为 true。")
def start_import(request, code: str, file: UploadedFile | None = File(None, description="名册文件（必填）"),
                 term: str = Form(..., min_length=1, description="学期", examples=["2021-fall"]),
                 on_error: str = Form("stop", description="stop 或 skip")):
    scope = scope_of(request)
    unit = scope.get_unit(code)
    if not scope.may_import(unit):
        raise NotAllowed("只有本单位的填报员可以导入名册")
    job = jobs.start_import(scope, request.user, unit, term, on_error, file, source="api")
    return 202, job_out(job)


@router.get("/rosters/imports/{job_id}", response=responses(JobOut), summary="名册导入任务（进度与结果）")
def get_import(request, job_id: int):
    return job_out(queries.job_for(scope_of(request), job_id))


@router.get("/rosters/{code}/imports", response=responses(list[JobOut]), summary="单位的名册导入记录",
            description="最近 50 次。")
def list_imports(request, code: str):
    scope = scope_of(request)
    return [job_out(j) for j in queries.jobs_of(scope, scope.get_unit(code))[:50]]


@router.get("/rosters/{code}/counts", response=responses(CountsOut), summary="名册人数（按单位、学期）",
            description="本单位及下级现行名册的人数：按附件3 字段汇总、按学段与学校类型细分，以及各县名册上报情况。")
def get_counts(request, code: str, term: str = term_param()):
    scope = scope_of(request)
    unit = scope.get_unit(code)
    parsed = parse_term(term)
    counts = queries.roster_counts(scope, unit, parsed)
    counties = [{"unit": unit_ref(c.unit), "reported": c.roster is not None,
                 "rows": c.roster.rows if c.roster else 0, "missing": c.missing}
                for c in queries.county_rosters(scope, unit, parsed)]
    return {"unit": unit_ref(unit), "term": parsed.code, "term_label": parsed.label, "fields": counts.fields,
            "breakdown": counts.breakdown(), "counties_reported": counts.counties_reported,
            "counties_total": counts.counties_total, "counties": counties}


@router.get("/rosters/{code}/cases", response=responses(list[CaseOut]), summary="疑似辍学个案",
            description="本单位及下级的个案（最多 `limit` 个）。含学生姓名，视同导出个人信息：须有相应权限（填报员、管理员），"
                        "并记入审计。")
def list_cases(request, code: str, term: str = term_param(),
               status: str = Query("", description="只列该状态的个案"),
               limit: int = Query(500, ge=1, le=5000, description="最多返回几个")):
    scope = scope_of(request)
    unit = scope.get_unit(code)
    parsed = parse_term(term)
    if status and status not in CaseStatus.values:
        raise RosterError("状态无效")
    found = list(queries.cases(scope, term=parsed, unit=unit, status=status)[:limit])
    exports.record_export(scope, request.user, unit, parsed, "cases", len(found), via="api")
    return [case_out(c) for c in found]


def _case_detail(scope, case) -> dict:
    events = [{"at": e.at, "user": e.user.username if e.user else None, "from_status": e.from_status,
               "to_status": e.to_status, "happened_on": e.happened_on, "note": e.note}
              for e in case.events.select_related("user")]
    return {**case_out(case), "events": events,
            "allowed_statuses": [value for value, _ in cases.allowed_statuses(case)]}


@router.get("/rosters/cases/{case_id}", response=responses(CaseDetailOut), summary="个案详情与核查记录")
def get_case(request, case_id: int):
    scope = scope_of(request)
    return _case_detail(scope, queries.case_for(scope, case_id))


@router.post("/rosters/cases/{case_id}/status", response=responses(CaseDetailOut), summary="记录个案核查情况",
             description="学生最后在册县区的填报员记录核查结果（已返校、已转学、劝返中……）。")
def change_case(request, case_id: int, body: CaseStatusIn):
    scope = scope_of(request)
    case = cases.change_case_status(scope, request.user, queries.case_for(scope, case_id), body.status,
                                       body.note, body.happened_on)
    return _case_detail(scope, case)
