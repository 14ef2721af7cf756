"""Writes: document submissions — upload, the policy check and OCR of 实施细则, review, a city's package."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import zipfile

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from suiqian.accounts import audit
from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.lib.files import DOCUMENT, DocumentTypeError, pdf_pages, read_upload, run_limited, sniff_document_type
from suiqian.policies import ocr
from suiqian.policies import services as policy_feedback
from suiqian.policies.checker import check_document, check_paragraphs
from suiqian.policies.extraction import ExtractionError
from suiqian.policies.services import FeedbackError
from suiqian.reporting import review

from . import enrollment_rules, queries
from .models import DocumentSubmission, InboxMessage, Requirement
from .services import NotAllowed, NoticeError, inbox_line, require_submitter

logger = logging.getLogger(__name__)

# Documents past these are checked by the worker, never in the request: a 400-page PDF takes half a minute.
SYNC_CHECK_MAX_PDF_PAGES = 20
SYNC_CHECK_MAX_BYTES = 512 * 1024


def submit_document(scope: Scope, user, requirement: Requirement, unit: Division, upload, filename: str,
                    note: str = "", *, at: dt.datetime | None = None) -> DocumentSubmission:
    """A new version of the unit's document (an upload or bytes); the content decides what the file is.

    The file is read and checked before the write transaction begins, and that transaction only
    numbers and stores the version: other users never wait for a document being read."""
    require_submitter(scope, unit)
    if requirement.kind != Requirement.Kind.DOCUMENT:
        raise NoticeError("该事项是报表，请在报表页面填报")
    if not queries.is_expected(requirement, unit):
        raise NoticeError("该事项不要求本单位报送")
    try:
        data = read_upload(upload, DOCUMENT)
        kind = sniff_document_type(data)
    except DocumentTypeError as e:
        raise NoticeError(str(e)) from e
    safe_name = filename.replace("/", "_").replace("\\", "_")[-150:] or f"document.{kind}"
    later = (requirement.document_type == Requirement.DocumentType.ENROLLMENT_RULES
             and _check_later(kind, data))
    reading = {"check_status": DocumentSubmission.Check.PENDING} if later else _first_reading(requirement, data,
                                                                                               safe_name)
    with transaction.atomic():
        submission = _store_version(user, requirement, unit, data, safe_name, kind, at, note=note.strip(), **reading)
        # In the same transaction (the queue is a table): queued if and only if the submission is saved.
        if later:
            check_submission.enqueue(submission.pk)
        if submission.recognition == DocumentSubmission.Recognition.PENDING:
            recognize_scan.enqueue(submission.pk)
    return submission


def _store_version(user, requirement: Requirement, unit: Division, data: bytes, filename: str, kind: str,
                   at: dt.datetime | None, **fields) -> DocumentSubmission:
    """The next version of the unit's document, numbered under the row lock and audited: every way a document
    arrives (an upload, a city's package of its counties' 实施细则) ends here. Runs in the caller's transaction."""
    latest = (DocumentSubmission.objects.select_for_update()
              .filter(requirement=requirement, unit=unit).order_by("-version").first())
    if latest and latest.status == DocumentSubmission.Status.APPROVED:
        raise NoticeError("该材料已审核通过，如需修改请联系上级退回")
    version = (latest.version if latest else 0) + 1
    sha256 = hashlib.sha256(data).hexdigest()
    submission = DocumentSubmission.objects.create(
        requirement=requirement, unit=unit, version=version, filename=filename, content_type=kind, size=len(data),
        sha256=sha256, submitted_at=at or timezone.now(), submitted_by=user,
        file=ContentFile(data, name=f"{unit.code}-{requirement.pk}-v{version}.{kind}"), **fields)
    audit.record(audit.Action.DOCUMENT, user=user, unit=unit, target=requirement.title,
                 detail={"version": version, "file": filename, "sha256": sha256})
    return submission


def _check_later(kind: str, data: bytes) -> bool:
    if kind in ("jpg", "png"):
        return False  # a photo is known to need OCR at once, and OCR runs in the background anyway
    if kind == "pdf":
        return pdf_pages(data) > SYNC_CHECK_MAX_PDF_PAGES or len(data) > SYNC_CHECK_MAX_BYTES
    return len(data) > SYNC_CHECK_MAX_BYTES


UNCHECKED = {"code": "UNCHECKED", "severity": "warning", "text": "自动审查暂时无法运行，请人工审查"}


def _unreadable(message: str) -> dict:
    return {"check_status": DocumentSubmission.Check.DONE,
            "findings": [{"code": "UNREADABLE", "severity": "warning", "text": message}]}


def _first_reading(requirement: Requirement, data: bytes, filename: str) -> dict:
    """实施细则 are read by the policy checker on arrival, so the reviewer sees the findings first; a scan
    is queued for OCR (or, where this server cannot read scans, says so)."""
    if requirement.document_type != Requirement.DocumentType.ENROLLMENT_RULES:
        return {}
    try:
        return _reading_fields(check_document(data, filename))
    except ExtractionError as e:
        return _unreadable(str(e))
    except Exception:  # a checker fault must never cost a county its submission
        logger.exception("policy check failed for %s", filename)
        return {"check_status": DocumentSubmission.Check.DONE, "findings": [UNCHECKED]}


def _reading_fields(check: dict) -> dict:
    """The submission's fields from what check_document found (in the request or in the worker)."""
    if check.get("needs_recognition"):
        if not ocr.available():
            return {**_unreadable(ocr.UNAVAILABLE_MESSAGE), "recognition": DocumentSubmission.Recognition.FAILED,
                    "recognition_note": ocr.UNAVAILABLE_MESSAGE}
        return {"check_status": DocumentSubmission.Check.DONE, "recognition": DocumentSubmission.Recognition.PENDING,
                "recognition_note": "已排队等待文字识别"}
    return {"check_status": DocumentSubmission.Check.DONE, "findings": check["findings"],
            "paragraphs": check["paragraphs"]}


@task()
def check_submission(submission_id: int) -> str:
    """Background task: the policy check of a large 实施细则, away from the request that stored it."""
    return finish_check(submission_id).get_check_status_display()


def finish_check(submission_id: int) -> DocumentSubmission:
    """The worker's side of a large document: read it in a child under a memory and time ceiling, then
    store what was found in one short update."""
    submission = DocumentSubmission.objects.get(pk=submission_id)
    with submission.file.open("rb") as f:
        data = f.read()
    try:
        fields = _reading_fields(run_limited("suiqian.policies.checker:check_document", data, submission.filename,
                                             limits=DOCUMENT))
    except DocumentTypeError as e:  # the checker's refusal, or a limit of memory or time
        fields = _unreadable(str(e))
    except Exception:
        logger.exception("policy check failed for submission %s", submission_id)
        fields = {"check_status": DocumentSubmission.Check.DONE, "findings": [UNCHECKED]}
    with transaction.atomic():
        DocumentSubmission.objects.filter(pk=submission_id).update(**fields)
        if fields.get("recognition") == DocumentSubmission.Recognition.PENDING:
            recognize_scan.enqueue(submission_id)
    submission.refresh_from_db()
    return submission


@task()
def recognize_scan(submission_id: int) -> str:
    """Background task: read a scanned 实施细则 with OCR, then check what was read."""
    return read_scan(submission_id)


def read_scan(submission_id: int) -> str:
    submission = DocumentSubmission.objects.get(pk=submission_id)
    if submission.recognition != DocumentSubmission.Recognition.PENDING:
        return submission.get_recognition_display()
    with submission.file.open("rb") as f:
        data = f.read()

    def progress(done: int, total: int) -> None:
        DocumentSubmission.objects.filter(pk=submission_id).update(pages_recognized=done, pages_total=total)

    try:
        pages = [page.to_dict() for page in ocr.recognize(data, submission.content_type, progress=progress)]
    except ExtractionError as e:
        _finish_reading(submission_id, DocumentSubmission.Recognition.FAILED, str(e),
                        findings=[{"code": "UNREADABLE", "severity": "warning", "text": str(e)}])
        return str(e)
    findings = [f.to_dict() for f in check_paragraphs(ocr.paragraphs_of(pages))]
    low = [str(p["number"]) for p in pages if p["low_quality"]]
    note = f"识别质量低的页：第 {'、'.join(low)} 页，请人工阅读原件" if low else ""
    _finish_reading(submission_id, DocumentSubmission.Recognition.DONE, note, findings=findings, pages=pages)
    return f"已识别 {len(pages)} 页，发现 {len(findings)} 处问题"


def _finish_reading(submission_id: int, status: str, note: str, *, findings: list, pages: list | None = None) -> None:
    with transaction.atomic():
        submission = DocumentSubmission.objects.select_for_update().get(pk=submission_id)
        submission.recognition, submission.recognition_note = status, note
        submission.findings, submission.recognized_pages = findings, pages or []
        submission.save(update_fields=["recognition", "recognition_note", "findings", "recognized_pages"])
        audit.record(audit.Action.DOCUMENT, user=None, unit=submission.unit, target=submission.requirement.title,
                     detail={"version": submission.version, "recognition": submission.get_recognition_display(),
                             "findings": len(findings)})


@transaction.atomic
def review_document(scope: Scope, user, submission: DocumentSubmission, *, approve: bool, reason: str = ""):
    if not scope.may_review(submission.unit):
        raise NotAllowed("只有上级单位的审核员可以审核该材料")
    action = review.Action.APPROVE if approve else review.Action.RETURN
    reason = review.reason_for(action, reason, NoticeError)
    submission = DocumentSubmission.objects.select_for_update().get(pk=submission.pk)
    latest = DocumentSubmission.objects.filter(requirement=submission.requirement, unit=submission.unit
                                               ).aggregate(v=Max("version"))["v"]
    if submission.version != latest:
        raise NoticeError("只能审核最新版本")
    submission.status = review.next_status(submission.status, submission.get_status_display(), action,
                                           what="该版本", error=NoticeError, steps=review.DOCUMENT_STEPS)
    submission.decided_at, submission.decided_by, submission.decision_reason = timezone.now(), user, reason
    submission.save()
    audit.record(audit.Action.APPROVED if approve else audit.Action.RETURNED, user=user, unit=submission.unit,
                 target=submission.requirement.title, detail={"version": submission.version, "reason": reason})
    verdict = "已审核通过" if approve else f"被退回：{reason}"
    InboxMessage.objects.create(unit=submission.unit,
                                text=inbox_line(f"{submission.requirement.title}（第 {submission.version} 版）{verdict}"),
                                link=reverse("notice_detail", args=[submission.requirement.notice_id]))
    return submission


@transaction.atomic
def submit_enrollment_rules_package(scope: Scope, user, requirement: Requirement, unit: Division, *,
                         at: dt.datetime | None = None) -> DocumentSubmission:
    """A city's 实施细则 package: every county's current version with its review decision, in one zip."""
    require_submitter(scope, unit)
    package = enrollment_rules.package(requirement, unit)
    if not package.counties:
        raise NoticeError("本单位尚未转发该事项，下级没有可汇总的实施细则")
    buf = io.BytesIO()
    lines = [f"{unit.name}随迁子女入学实施细则汇总", ""]
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for entry in package.counties:
            if entry.submission:
                s = entry.submission
                z.writestr(f"{entry.unit.code}-{entry.unit.name}-v{s.version}.{s.content_type}", s.file.read())
                lines.append(f"{entry.unit.name}：第 {s.version} 版，{s.get_status_display()} {s.decision_reason}")
            else:
                lines.append(f"{entry.unit.name}：未报送")
        z.writestr("清单.txt", "\n".join(lines))
    manifest = [{"unit": e.unit.code, "name": e.unit.name,
                 "version": e.submission.version if e.submission else None,
                 "status": e.submission.status if e.submission else "missing",
                 "reason": e.submission.decision_reason if e.submission else ""} for e in package.counties]
    return _store_version(user, requirement, unit, buf.getvalue(), f"{unit.name}实施细则汇总.zip", "zip", at,
                          manifest=manifest)


def record_feedback(scope: Scope, user, submission: DocumentSubmission, **feedback):
    """A reviewer's correction of the checker on a 实施细则 (see policies.services.record_feedback)."""
    if submission.requirement.document_type != Requirement.DocumentType.ENROLLMENT_RULES:
        raise FeedbackError("只有实施细则的自动审查结果可以反馈")
    return policy_feedback.record_feedback(scope, user, submission, **feedback)
