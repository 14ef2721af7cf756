"""Notices: list and read them, sign for them, see who signed; requirements with each unit's status;
a unit's document versions, uploading a new one, downloading, reviewing."""

import datetime as dt
from typing import Literal

from django.http import Http404
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile

from suiqian.notices import documents, queries, services
from suiqian.notices.models import NoticeAttachment

from ..auth import TokenAuth
from ..errors import responses
from ..models import Group
from .common import UnitRef, attachment, file_doc, scope_of, unit_ref

router = Router(auth=TokenAuth(Group.NOTICES), tags=["通知与材料报送"])


class NoticeOut(Schema):
    id: int
    wenhao: str = Field(description="文号", examples=["晋教基函〔2021〕24号"])
    title: str
    issuer: UnitRef = Field(description="发文单位")
    status: str = Field(description="draft 草稿 / published 已发布")
    status_label: str = Field(examples=["已发布"])
    published_at: dt.datetime | None
    forwarded_from: int | None = Field(description="转发自哪份通知（id）")


class AttachmentOut(Schema):
    id: int
    name: str
    size: int


class RequirementOut(Schema):
    id: int
    title: str = Field(examples=["随迁子女入学实施细则"])
    kind: str = Field(description="document 材料 / form 报表")
    kind_label: str
    document_type: str = Field(description="材料类别代码，报表为空")
    form: str | None = Field(description="报表代码（报表事项）")
    due_date: dt.date


class NoticeDetailOut(NoticeOut):
    body: str
    contacts: list[dict] = Field(description="联系人：name、phone、email")
    attachments: list[AttachmentOut]
    requirements: list[RequirementOut]
    read_at: dt.datetime | None = Field(description="本单位的签收时间（本单位是收文单位时）")


class ReceiptOut(Schema):
    unit: UnitRef
    read_at: dt.datetime | None = Field(description="签收时间；未签收为 null")
    read_by: str | None = Field(description="签收人")


class UnitStatusOut(Schema):
    unit: UnitRef
    status: str = Field(description="missing 未报送 / submitted 已报送 / approved 已审核 / returned 已退回")
    status_label: str
    due_date: dt.date = Field(description="截止日期（含延期）")
    timeliness: str = Field(description="按时 / 逾期报送 / 逾期未报 / 未到期")


class RequirementStatusOut(RequirementOut):
    units: list[UnitStatusOut] = Field(description="您权限范围内每个应报单位的报送情况")


class SubmissionOut(Schema):
    id: int
    unit: UnitRef
    version: int = Field(description="版本号，每次上传加 1")
    filename: str
    content_type: str = Field(description="按内容识别的类型：pdf / docx / txt")
    size: int
    sha256: str
    note: str
    submitted_at: dt.datetime
    status: str = Field(description="submitted 已报送 / approved 已审核 / returned 已退回")
    status_label: str
    decision_reason: str = Field(description="审核意见")
    findings: list[dict] = Field(description="实施细则的自动审查结果（见 /policies/check）")


class ReviewIn(Schema):
    decision: Literal["approve", "return"] = Field(description="approve 通过 / return 退回", examples=["approve"])
    reason: str = Field("", description="退回时必填", examples=["请补充租房家庭的入学条件"])


def notice_out(notice) -> dict:
    return {"id": notice.pk, "wenhao": notice.wenhao, "title": notice.title, "issuer": unit_ref(notice.issuer),
            "status": notice.status, "status_label": notice.get_status_display(), "published_at": notice.published_at,
            "forwarded_from": notice.forwarded_from_id}


def requirement_out(r) -> dict:
    return {"id": r.pk, "title": r.title, "kind": r.kind, "kind_label": r.get_kind_display(),
            "document_type": r.document_type, "form": r.form.code if r.form_id else None, "due_date": r.due_date}


def submission_out(s) -> dict:
    return {"id": s.pk, "unit": unit_ref(s.unit), "version": s.version, "filename": s.filename,
            "content_type": s.content_type, "size": s.size, "sha256": s.sha256, "note": s.note,
            "submitted_at": s.submitted_at, "status": s.status, "status_label": s.get_status_display(),
            "decision_reason": s.decision_reason, "findings": s.findings}


@router.get("/notices", response=responses(list[NoticeOut]), summary="通知列表",
            description="本单位收到的、本单位及下级发出的通知，新的在前。")
def list_notices(request, limit: int = Query(100, ge=1, le=500, description="最多返回几条")):
    notices = queries.visible_notices(scope_of(request)).select_related("issuer")
    return [notice_out(n) for n in notices.order_by("-published_at", "-pk")[:limit]]


@router.get("/notices/{notice_id}", response=responses(NoticeDetailOut), summary="通知详情",
            description="正文、联系人、附件、报送事项。读取不等于签收：签收请用 POST …/read。")
def get_notice(request, notice_id: int):
    scope = scope_of(request)
    notice = queries.get_notice(scope, notice_id)
    own = notice.targets.filter(unit=scope.unit).first() if scope.unit else None
    return {**notice_out(notice), "body": notice.body, "contacts": notice.contacts,
            "attachments": [{"id": a.pk, "name": a.name, "size": a.size} for a in notice.attachments.all()],
            "requirements": [requirement_out(r) for r in notice.requirements.select_related("form")],
            "read_at": own.read_at if own else None}


@router.post("/notices/{notice_id}/read", response=responses(ReceiptOut), summary="签收通知",
             description="本单位是收文单位时记录签收（已签收的不变）。")
def read_notice(request, notice_id: int):
    scope = scope_of(request)
    notice = queries.get_notice(scope, notice_id)
    services.mark_read(scope, request.user, notice)
    target = notice.targets.select_related("unit", "read_by").filter(unit=scope.unit).first() if scope.unit else None
    if target is None:
        raise services.NoticeError("本单位不是该通知的收文单位")
    return _receipt(target)


def _receipt(t) -> dict:
    return {"unit": unit_ref(t.unit), "read_at": t.read_at, "read_by": t.read_by.username if t.read_by else None}


@router.get("/notices/{notice_id}/receipts", response=responses(list[ReceiptOut]), summary="签收情况",
            description="发文单位及其上级可见：每个收文单位是否签收、何时、何人。")
def list_receipts(request, notice_id: int):
    scope = scope_of(request)
    return [_receipt(t) for t in queries.read_receipts(scope, queries.get_notice(scope, notice_id))]


@router.get("/notices/{notice_id}/requirements", response=responses(list[RequirementStatusOut]),
            summary="报送事项与各单位报送情况")
def list_requirements(request, notice_id: int):
    scope = scope_of(request)
    notice = queries.get_notice(scope, notice_id)
    out = []
    for r in notice.requirements.select_related("form"):
        units = [{"unit": unit_ref(row.unit), "status": row.status, "status_label": row.status_label,
                  "due_date": row.due_date, "timeliness": row.timeliness} for row in queries.board(r, scope=scope)]
        out.append({**requirement_out(r), "units": units})
    return out


@router.get("/notices/attachments/{attachment_id}", summary="下载通知附件",
            response=responses(), openapi_extra=file_doc("application/octet-stream"))
def download_attachment(request, attachment_id: int):
    found = NoticeAttachment.objects.filter(pk=attachment_id).first()
    if found is None:
        raise Http404("附件不存在")
    queries.get_notice(scope_of(request), found.notice_id)
    return attachment(found.file.open("rb"), found.name)


def _requirement_and_unit(request, requirement_id: int, unit_code: str):
    scope = scope_of(request)
    unit = scope.get_unit(unit_code)
    return scope, queries.requirement_of(scope, requirement_id, unit), unit


@router.get("/requirements/{requirement_id}/submissions/{unit_code}", response=responses(list[SubmissionOut]),
            summary="单位报送的材料（全部版本）", description="新版本在前。")
def list_versions(request, requirement_id: int, unit_code: str):
    _, requirement, unit = _requirement_and_unit(request, requirement_id, unit_code)
    return [submission_out(s) for s in queries.versions(requirement, unit)]


@router.post("/requirements/{requirement_id}/submissions/{unit_code}", response=responses(SubmissionOut),
             summary="报送材料（上传新版本）",
             description="multipart/form-data：`file`（.pdf、.docx、.txt，不超过 20 MB，按内容识别类型）、`note` 说明。"
                         "只有本单位的填报员可以报送；实施细则到达即自动审查，结果在 `findings`。")
def upload_submission(request, requirement_id: int, unit_code: str,
                      file: UploadedFile | None = File(None, description="材料文件（必填）"),
                      note: str = Form("", description="说明")):
    scope, requirement, unit = _requirement_and_unit(request, requirement_id, unit_code)
    services.require_submitter(scope, unit)  # who may, before what was sent
    # Optional in the schema so that an empty or missing part gets the page's message, not a schema error.
    if file is None:
        raise services.NoticeError("请选择要上传的文件")
    return submission_out(documents.submit_document(scope, request.user, requirement, unit, file, file.name or "",
                                                   note))


@router.post("/requirements/{requirement_id}/submissions/{unit_code}/review", response=responses(SubmissionOut),
             summary="审核材料（通过或退回最新版本）", description="上级单位的审核员审核直接下级报送的最新版本。")
def review_submission(request, requirement_id: int, unit_code: str, body: ReviewIn):
    scope, requirement, unit = _requirement_and_unit(request, requirement_id, unit_code)
    latest = queries.versions(requirement, unit).first()
    if latest is None:
        raise services.NoticeError("尚无报送的材料")
    return submission_out(documents.review_document(scope, request.user, latest, approve=body.decision == "approve",
                                                   reason=body.reason))


@router.get("/submissions/{submission_id}/download", summary="下载报送的材料", response=responses(),
            openapi_extra=file_doc("application/pdf", "application/octet-stream", "text/plain",
                                   "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))
def download_submission(request, submission_id: int):
    submission = queries.submission_for(scope_of(request), submission_id)
    return attachment(submission.file.open("rb"), submission.filename)
