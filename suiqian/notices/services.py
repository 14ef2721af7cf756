"""Writes: notices, forwarding, document submissions and their review, extensions, reminders."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import io
import zipfile
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django_tasks import task

from suiqian.accounts import audit
from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.lib.files import DocumentTypeError, sniff_document_type
from suiqian.policies import ocr
from suiqian.policies.checker import check_file, check_paragraphs
from suiqian.policies.extraction import ExtractionError, NeedsRecognition

from . import queries, tasks
from .models import (DocumentSubmission, Extension, ExtensionRequest, InboxMessage, Notice, NoticeAttachment,
                     NoticeCorrection, NoticeTarget, ReminderLog, Requirement)

logger = logging.getLogger(__name__)

# Larger 实施细则 are checked by `suiqian worker`, not while the county waits for its upload to finish.
LARGE_DOCUMENT_BYTES = 512 * 1024


class NoticeError(Exception):
    """A domain error whose message is shown to the user as it is."""


class NotAllowed(NoticeError):
    pass


@dataclass
class RequirementSpec:
    title: str
    kind: str
    due_date: dt.date
    document_type: str = ""
    form: object = None
    units: list = field(default_factory=list)  # empty: every target
    parent: Requirement | None = None


def _require_issue(scope: Scope, unit: Division) -> None:
    if not scope.may_issue(unit):
        raise NotAllowed("只有本单位的管理员或审核员可以发文")


def _fmt(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@transaction.atomic
def create_notice(scope: Scope, user, issuer: Division, *, wenhao: str, title: str, body: str = "",
                  contacts: list[dict] | None = None, targets: list[Division] | None = None,
                  requirements: list[RequirementSpec] = (), attachments: list[tuple[str, bytes]] = (),
                  forwarded_from: Notice | None = None) -> Notice:
    """A draft notice from `issuer` to units directly below it."""
    _require_issue(scope, issuer)
    wenhao, title = (wenhao or "").strip(), (title or "").strip()
    if not wenhao or not title:
        raise NoticeError("文号和标题不能为空")
    if Notice.objects.filter(issuer=issuer, wenhao=wenhao).exists():
        raise NoticeError(f"本单位已有文号为 {wenhao} 的通知")
    children = list(Division.objects.filter(parent=issuer).current())
    targets = children if targets is None else list(targets)
    strangers = [t.name for t in targets if t.parent_id != issuer.pk]
    if strangers:
        raise NoticeError(f"只能向直属下级发文：{'、'.join(strangers)} 不是本单位的直属下级")
    if not targets:
        raise NoticeError("请至少选择一个接收单位")
    if not requirements and forwarded_from is None and not body:
        raise NoticeError("正文和报送事项不能都为空")
    notice = Notice.objects.create(issuer=issuer, wenhao=wenhao, title=title, body=body,
                                   contacts=_clean_contacts(contacts), forwarded_from=forwarded_from,
                                   created_by=user)
    NoticeTarget.objects.bulk_create([NoticeTarget(notice=notice, unit=t) for t in targets])
    target_ids = {t.pk for t in targets}
    for position, spec in enumerate(requirements):
        _add_requirement(notice, spec, position, target_ids)
    for name, data in attachments:
        NoticeAttachment.objects.create(notice=notice, name=name, size=len(data),
                                        file=ContentFile(data, name=name))
    return notice


def _clean_contacts(contacts) -> list[dict]:
    out = []
    for c in contacts or []:
        entry = {k: (c.get(k) or "").strip() for k in ("name", "phone", "email")}
        if any(entry.values()):
            out.append(entry)
    return out


def _add_requirement(notice: Notice, spec: RequirementSpec, position: int, target_ids: set[int]) -> Requirement:
    if not spec.title.strip():
        raise NoticeError("报送事项名称不能为空")
    if spec.kind == Requirement.Kind.FORM and spec.form is None:
        raise NoticeError(f"报送事项“{spec.title}”是报表，请选择表单")
    if spec.parent is not None and spec.due_date > spec.parent.due_date:
        raise NoticeError(f"转发事项“{spec.title}”的截止日期 {_fmt(spec.due_date)} 晚于上级要求的 "
                          f"{_fmt(spec.parent.due_date)}，请提前")
    outside = [u.name for u in spec.units if u.pk not in target_ids]
    if outside:
        raise NoticeError(f"事项“{spec.title}”指定的单位不在接收单位中：{'、'.join(outside)}")
    requirement = Requirement.objects.create(
        notice=notice, title=spec.title.strip(), kind=spec.kind, document_type=spec.document_type or "",
        form=spec.form, due_date=spec.due_date, parent=spec.parent, position=position)
    if spec.units:
        requirement.units.set(spec.units)
    return requirement


@transaction.atomic
def publish_notice(scope: Scope, user, notice: Notice) -> Notice:
    _require_issue(scope, notice.issuer)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.status == Notice.Status.PUBLISHED:
        raise NoticeError("该通知已发布")
    notice.status, notice.published_at = Notice.Status.PUBLISHED, timezone.now()
    notice.save()
    notice.refresh_from_db()
    audit.record(audit.Action.NOTICE, user=user, unit=notice.issuer, target=notice.wenhao,
                 detail={"title": notice.title, "targets": notice.targets.count()})
    link = f"/notices/{notice.pk}/"
    InboxMessage.objects.bulk_create([InboxMessage(unit=t.unit, text=f"收到通知：{notice.wenhao}《{notice.title}》",
                                                   link=link) for t in notice.targets.select_related("unit")])
    return notice


def forward_notice(scope: Scope, user, parent: Notice, unit: Division, *, wenhao: str, title: str, body: str = "",
                   contacts: list[dict] | None = None, due_dates: dict[int, dt.date] | None = None,
                   extra: list[RequirementSpec] = (), publish: bool = True,
                   targets: list[Division] | None = None) -> Notice:
    """转发: the city passes a received notice to its counties (all, or those chosen) with its own 文号 and
    earlier due dates; the upstream attachments travel with it."""
    if not parent.targets.filter(unit=unit).exists() or parent.status != Notice.Status.PUBLISHED:
        raise NoticeError("只能转发本单位收到的通知")
    due_dates = due_dates or {}
    specs = []
    for r in queries.requirements_for(parent, unit):
        units = []
        if r.document_type == Requirement.DocumentType.KEY_COUNTY_PLAN:
            # 一县一案 goes only towards the key-supervision counties below, never to every county: from 教育部
            # to their provinces, from a province to their cities, from a city to the counties themselves.
            listed = set(Division.objects.filter(path__startswith=unit.path, key_listings__year=r.due_date.year)
                         .values_list("path", flat=True))
            units = [c for c in Division.objects.filter(parent=unit).current()
                     if any(path.startswith(c.path) for path in listed)]
            if targets is not None:
                chosen = {t.pk for t in targets}
                units = [u for u in units if u.pk in chosen]
            if not units:
                continue
        specs.append(RequirementSpec(title=r.title, kind=r.kind, document_type=r.document_type, form=r.form,
                                     due_date=due_dates.get(r.pk, r.due_date), parent=r, units=units))
    with transaction.atomic():
        notice = create_notice(scope, user, unit, wenhao=wenhao, title=title, body=body, contacts=contacts,
                               requirements=[*specs, *extra], forwarded_from=parent, targets=targets)
        # The same stored files: a forward carries the upstream attachments without copying their bytes.
        NoticeAttachment.objects.bulk_create([NoticeAttachment(notice=notice, name=a.name, size=a.size, file=a.file.name)
                                              for a in parent.attachments.all()])
        if publish:
            notice = publish_notice(scope, user, notice)
    return notice


# --- drafts, corrections, withdrawal -------------------------------------------------------------

def _require_status(notice: Notice, status: str, message: str) -> None:
    if notice.status != status:
        raise NoticeError(message)


@transaction.atomic
def update_draft(scope: Scope, user, notice: Notice, *, wenhao: str, title: str, body: str = "",
                 contacts: list[dict] | None = None, targets: list[Division] | None = None,
                 requirements: list[RequirementSpec] = (), attachments: list[tuple[str, bytes]] = (),
                 remove_attachments: list[int] = ()) -> Notice:
    """A draft is edited freely: what it says, who gets it, what they must deliver."""
    _require_issue(scope, notice.issuer)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    _require_status(notice, Notice.Status.DRAFT, "只有草稿可以修改；已发布的通知请更正或撤回")
    wenhao, title = (wenhao or "").strip(), (title or "").strip()
    if not wenhao or not title:
        raise NoticeError("文号和标题不能为空")
    if Notice.objects.filter(issuer=notice.issuer, wenhao=wenhao).exclude(pk=notice.pk).exists():
        raise NoticeError(f"本单位已有文号为 {wenhao} 的通知")
    targets = list(targets) if targets is not None else [t.unit for t in notice.targets.select_related("unit")]
    strangers = [t.name for t in targets if t.parent_id != notice.issuer_id]
    if strangers:
        raise NoticeError(f"只能向直属下级发文：{'、'.join(strangers)} 不是本单位的直属下级")
    if not targets:
        raise NoticeError("请至少选择一个接收单位")
    if not requirements and notice.forwarded_from_id is None and not body:
        raise NoticeError("正文和报送事项不能都为空")
    notice.wenhao, notice.title, notice.body, notice.contacts = wenhao, title, body, _clean_contacts(contacts)
    notice.save()
    notice.targets.all().delete()
    NoticeTarget.objects.bulk_create([NoticeTarget(notice=notice, unit=t) for t in targets])
    if notice.forwarded_from_id is None:  # a forward's requirements follow the upstream ones
        notice.requirements.all().delete()
        target_ids = {t.pk for t in targets}
        for position, spec in enumerate(requirements):
            _add_requirement(notice, spec, position, target_ids)
    notice.attachments.filter(pk__in=list(remove_attachments)).delete()
    for name, data in attachments:
        NoticeAttachment.objects.create(notice=notice, name=name, size=len(data), file=ContentFile(data, name=name))
    return notice


def _tell_targets(notice: Notice, text: str) -> None:
    InboxMessage.objects.bulk_create([InboxMessage(unit=t.unit, text=text, link=f"/notices/{notice.pk}/")
                                      for t in notice.targets.select_related("unit")])


@transaction.atomic
def correct_notice(scope: Scope, user, notice: Notice, *, note: str, title: str, body: str,
                   due_dates: dict[int, dt.date] | None = None) -> NoticeCorrection:
    """更正 of a published notice: its recipients are told, and see the note and what changed."""
    _require_issue(scope, notice.issuer)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    _require_status(notice, Notice.Status.PUBLISHED, "只有已发布的通知可以更正")
    note, title = (note or "").strip(), (title or "").strip()
    if not note:
        raise NoticeError("请填写更正说明")
    if not title:
        raise NoticeError("标题不能为空")
    changes = []
    if title != notice.title:
        changes.append({"label": "标题", "old": notice.title, "new": title})
    if (body or "") != notice.body:
        changes.append({"label": "正文", "old": notice.body, "new": body or ""})
    for r in notice.requirements.select_related("parent"):
        day = (due_dates or {}).get(r.pk)
        if day is None or day == r.due_date:
            continue
        if r.parent is not None and day > r.parent.due_date:
            raise NoticeError(f"事项“{r.title}”的截止日期不得晚于上级要求的 {_fmt(r.parent.due_date)}")
        changes.append({"label": f"“{r.title}”截止日期", "old": _fmt(r.due_date), "new": _fmt(day)})
        r.due_date = day
        r.save(update_fields=["due_date"])
    if not changes:
        raise NoticeError("没有修改任何内容；只需补充说明时请另发通知")
    notice.title, notice.body = title, body or ""
    notice.save(update_fields=["title", "body"])
    correction = NoticeCorrection.objects.create(notice=notice, note=note, changes=changes, made_by=user)
    audit.record(audit.Action.NOTICE_CORRECTED, user=user, unit=notice.issuer, target=notice.wenhao,
                 detail={"note": note, "changes": [c["label"] for c in changes]})
    _tell_targets(notice, f"通知更正：{notice.wenhao}《{notice.title}》——{note}")
    return correction


@transaction.atomic
def withdraw_notice(scope: Scope, user, notice: Notice, reason: str) -> Notice:
    """撤回: the notice stays readable, marked withdrawn; nothing is owed against it any more."""
    _require_issue(scope, notice.issuer)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    _require_status(notice, Notice.Status.PUBLISHED, "只有已发布的通知可以撤回")
    reason = (reason or "").strip()
    if not reason:
        raise NoticeError("请填写撤回说明")
    notice.status, notice.withdrawn_at, notice.withdraw_reason = Notice.Status.WITHDRAWN, timezone.now(), reason
    notice.save(update_fields=["status", "withdrawn_at", "withdraw_reason"])
    audit.record(audit.Action.NOTICE_WITHDRAWN, user=user, unit=notice.issuer, target=notice.wenhao,
                 detail={"reason": reason})
    _tell_targets(notice, f"通知已撤回：{notice.wenhao}《{notice.title}》——{reason}")
    # A forward rests on the notice it forwards: it falls with it, and its own recipients are told too.
    for forward in notice.forwards.filter(status=Notice.Status.PUBLISHED):
        forward.status, forward.withdrawn_at = Notice.Status.WITHDRAWN, notice.withdrawn_at
        forward.withdraw_reason = f"上级通知{notice.wenhao}已撤回：{reason}"
        forward.save(update_fields=["status", "withdrawn_at", "withdraw_reason"])
        audit.record(audit.Action.NOTICE_WITHDRAWN, user=user, unit=forward.issuer, target=forward.wenhao,
                     detail={"reason": forward.withdraw_reason})
        _tell_targets(forward, f"通知已撤回：{forward.wenhao}《{forward.title}》——{forward.withdraw_reason}")
    return notice


def mark_read(scope: Scope, user, notice: Notice) -> None:
    if scope.is_system:
        return
    NoticeTarget.objects.filter(notice=notice, unit=scope.unit, read_at__isnull=True).update(
        read_at=timezone.now(), read_by=user)


# --- documents -------------------------------------------------------------------------

def require_submitter(scope: Scope, unit: Division) -> None:
    if not scope.may_fill(unit):
        raise NotAllowed("您没有为该单位报送的权限")


@transaction.atomic
def submit_document(scope: Scope, user, requirement: Requirement, unit: Division, data: bytes, filename: str,
                    note: str = "", *, at: dt.datetime | None = None) -> DocumentSubmission:
    """A new version of the unit's document; the content decides what the file is."""
    require_submitter(scope, unit)
    if requirement.kind != Requirement.Kind.DOCUMENT:
        raise NoticeError("该事项是报表，请在报表页面填报")
    if not queries.is_expected(requirement, unit):
        raise NoticeError("该事项不要求本单位报送")
    try:
        kind = sniff_document_type(data)
    except DocumentTypeError as e:
        raise NoticeError(str(e)) from e
    latest = (DocumentSubmission.objects.select_for_update()
              .filter(requirement=requirement, unit=unit).order_by("-version").first())
    if latest and latest.status == DocumentSubmission.Status.APPROVED:
        raise NoticeError("该材料已审核通过，如需修改请联系上级退回")
    version = (latest.version if latest else 0) + 1
    safe_name = filename.replace("/", "_").replace("\\", "_")[-150:] or f"document.{kind}"
    large = requirement.document_type == Requirement.DocumentType.ENROLLMENT_RULES and len(data) > LARGE_DOCUMENT_BYTES
    submission = DocumentSubmission.objects.create(
        requirement=requirement, unit=unit, version=version, filename=safe_name, content_type=kind,
        size=len(data), sha256=hashlib.sha256(data).hexdigest(), note=note.strip(),
        submitted_at=at or timezone.now(), submitted_by=user,
        file=ContentFile(data, name=f"{unit.code}-{requirement.pk}-v{version}.{kind}"),
        **({"checking": True} if large else _first_reading(requirement, data, safe_name, kind)))
    if large:
        # The queue is this database: the task row commits, or rolls back, with the submission.
        tasks.check_document_task.enqueue(submission.pk)
    if submission.recognition == DocumentSubmission.Recognition.PENDING:
        # In the same transaction: the scan is queued if and only if the submission is saved.
        recognize_scan.enqueue(submission.pk)
    audit.record(audit.Action.DOCUMENT, user=user, unit=unit, target=requirement.title,
                 detail={"version": version, "file": safe_name, "sha256": submission.sha256})
    return submission


def check_submission(submission_id: int) -> int:
    """The background half of submit_document for a large document: read it, check it, keep the findings
    (a large scan goes on to OCR)."""
    submission = DocumentSubmission.objects.select_related("requirement").get(pk=submission_id)
    with submission.file.open("rb") as f:
        data = f.read()
    reading = _first_reading(submission.requirement, data, submission.filename, submission.content_type)
    DocumentSubmission.objects.filter(pk=submission.pk).update(checking=False, **reading)
    if reading.get("recognition") == DocumentSubmission.Recognition.PENDING:
        recognize_scan.enqueue(submission.pk)
    return len(reading.get("findings", []))


def _first_reading(requirement: Requirement, data: bytes, filename: str, kind: str) -> dict:
    """实施细则 are read by the policy checker on arrival, so the reviewer sees the findings first; a scan
    is queued for OCR (or, where this server cannot read scans, says so)."""
    if requirement.document_type != Requirement.DocumentType.ENROLLMENT_RULES:
        return {}
    try:
        return {"findings": [f.to_dict() for f in check_file(data, filename)]}
    except NeedsRecognition:
        if not ocr.available():
            return {"recognition": DocumentSubmission.Recognition.FAILED, "recognition_note": ocr.UNAVAILABLE_MESSAGE,
                    "findings": [{"code": "UNREADABLE", "severity": "warning", "text": ocr.UNAVAILABLE_MESSAGE}]}
        return {"recognition": DocumentSubmission.Recognition.PENDING, "recognition_note": "已排队等待文字识别"}
    except ExtractionError as e:
        return {"findings": [{"code": "UNREADABLE", "severity": "warning", "text": str(e)}]}
    except Exception:  # a checker fault must never cost a county its submission
        logger.exception("policy check failed for %s", filename)
        return {"findings": [{"code": "UNCHECKED", "severity": "warning", "text": "自动审查暂时无法运行，请人工审查"}]}


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
    submission = DocumentSubmission.objects.select_for_update().get(pk=submission.pk)
    latest = DocumentSubmission.objects.filter(requirement=submission.requirement, unit=submission.unit
                                               ).aggregate(v=Max("version"))["v"]
    if submission.version != latest:
        raise NoticeError("只能审核最新版本")
    if submission.status != DocumentSubmission.Status.SUBMITTED:
        raise NoticeError(f"该版本已{submission.get_status_display()}（可能已被他人处理）")
    reason = (reason or "").strip()
    if not approve and not reason:
        raise NoticeError("退回必须填写原因")
    submission.status = DocumentSubmission.Status.APPROVED if approve else DocumentSubmission.Status.RETURNED
    submission.decided_at, submission.decided_by, submission.decision_reason = timezone.now(), user, reason
    submission.save()
    audit.record(audit.Action.APPROVED if approve else audit.Action.RETURNED, user=user, unit=submission.unit,
                 target=submission.requirement.title, detail={"version": submission.version, "reason": reason})
    verdict = "已审核通过" if approve else f"被退回：{reason}"
    InboxMessage.objects.create(unit=submission.unit, text=f"{submission.requirement.title}（第 {submission.version} 版）{verdict}",
                                link=f"/notices/{submission.requirement.notice_id}/")
    return submission


@transaction.atomic
def submit_rules_package(scope: Scope, user, requirement: Requirement, unit: Division, *,
                         at: dt.datetime | None = None) -> DocumentSubmission:
    """A city's 实施细则 package: every county's current version with its review decision, in one zip."""
    require_submitter(scope, unit)
    package = queries.rules_package(requirement, unit)
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
    latest = DocumentSubmission.objects.filter(requirement=requirement, unit=unit).order_by("-version").first()
    if latest and latest.status == DocumentSubmission.Status.APPROVED:
        raise NoticeError("该材料已审核通过，如需修改请联系上级退回")
    data = buf.getvalue()
    version = (latest.version if latest else 0) + 1
    return DocumentSubmission.objects.create(
        requirement=requirement, unit=unit, version=version, filename=f"{unit.name}实施细则汇总.zip",
        content_type="zip", size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        submitted_at=at or timezone.now(), submitted_by=user, manifest=manifest,
        file=ContentFile(data, name=f"{unit.code}-{requirement.pk}-v{version}.zip"))


# --- extensions and reminders ----------------------------------------------------------------

@transaction.atomic
def grant_extension(scope: Scope, user, requirement: Requirement, unit: Division, due_date: dt.date,
                    reason: str) -> Extension:
    _require_issue(scope, requirement.notice.issuer)
    reason = (reason or "").strip()
    if not reason:
        raise NoticeError("延期必须填写理由")
    if not queries.is_expected(requirement, unit):
        raise NoticeError("该单位不是该事项的报送单位")
    if due_date <= requirement.due_date:
        raise NoticeError(f"延期日期应晚于原截止日期 {_fmt(requirement.due_date)}")
    extension, _ = Extension.objects.update_or_create(
        requirement=requirement, unit=unit,
        defaults={"due_date": due_date, "reason": reason, "granted_by": user})
    audit.record(audit.Action.EXTENSION, user=user, unit=unit, target=requirement.title,
                 detail={"due_date": due_date.isoformat(), "reason": reason})
    InboxMessage.objects.create(unit=unit, text=f"“{requirement.title}”截止日期延至 {_fmt(due_date)}：{reason}",
                                link=f"/notices/{requirement.notice_id}/")
    return extension


@transaction.atomic
def request_extension(scope: Scope, user, requirement: Requirement, unit: Division, due_date: dt.date,
                      reason: str) -> ExtensionRequest:
    """A unit below asks, from the notice, for more time on one requirement."""
    require_submitter(scope, unit)
    if requirement.notice.status != Notice.Status.PUBLISHED:
        raise NoticeError("该通知不在有效期内，不能申请延期")
    if not queries.is_expected(requirement, unit):
        raise NoticeError("该事项不要求本单位报送")
    reason = (reason or "").strip()
    if not reason:
        raise NoticeError("申请延期必须填写理由")
    current = Extension.objects.filter(requirement=requirement, unit=unit).first()
    due = current.due_date if current else requirement.due_date
    if due_date <= due:
        raise NoticeError(f"申请的日期应晚于现在的截止日期 {_fmt(due)}")
    if ExtensionRequest.objects.filter(requirement=requirement, unit=unit,
                                       status=ExtensionRequest.Status.PENDING).exists():
        raise NoticeError("本单位已有一个待处理的延期申请")
    ask = ExtensionRequest.objects.create(requirement=requirement, unit=unit, due_date=due_date, reason=reason,
                                          requested_by=user)
    InboxMessage.objects.create(unit=requirement.notice.issuer,
                                text=f"{unit.name}申请将“{requirement.title}”延期至 {_fmt(due_date)}：{reason}",
                                link=f"/notices/{requirement.notice_id}/")
    return ask


@transaction.atomic
def decide_extension_request(scope: Scope, user, ask: ExtensionRequest, *, grant: bool, note: str = "") -> ExtensionRequest:
    requirement = ask.requirement
    _require_issue(scope, requirement.notice.issuer)
    ask = ExtensionRequest.objects.select_for_update().get(pk=ask.pk)
    if ask.status != ExtensionRequest.Status.PENDING:
        raise NoticeError(f"该申请{ask.get_status_display()}（可能已被他人处理）")
    note = (note or "").strip()
    if not grant and not note:
        raise NoticeError("不同意延期时请填写原因")
    ask.status = ExtensionRequest.Status.GRANTED if grant else ExtensionRequest.Status.REFUSED
    ask.decided_by, ask.decided_at, ask.decision_note = user, timezone.now(), note
    ask.save()
    if grant:
        grant_extension(scope, user, requirement, ask.unit, ask.due_date, note or ask.reason)
    else:
        InboxMessage.objects.create(unit=ask.unit, text=f"“{requirement.title}”的延期申请未获同意：{note}",
                                    link=f"/notices/{requirement.notice_id}/")
    return ask


@dataclass
class ReminderRun:
    due_soon: int = 0
    overdue: int = 0
    escalations: int = 0


def send_reminders(today: dt.date, *, window_days: int = 3) -> ReminderRun:
    """E-mail and in-app message to each unit with something due within `window_days` or overdue;
    the parent gets one escalation line per overdue unit. A second run on the same day sends nothing."""
    run = ReminderRun()
    for item in queries.open_items(today, window_days):
        kind = ReminderLog.Kind.OVERDUE if item.overdue else ReminderLog.Kind.DUE_SOON
        if _log_once(item.requirement, item.unit, kind, today):
            when = f"已逾期（截止 {_fmt(item.due_date)}）" if item.overdue else f"将于 {_fmt(item.due_date)} 截止"
            text = f"请报送：{item.requirement.notice.wenhao}“{item.requirement.title}”{when}"
            _deliver(item.unit, text, f"/notices/{item.requirement.notice_id}/")
            if item.overdue:
                run.overdue += 1
            else:
                run.due_soon += 1
        if item.overdue and item.unit.parent_id and _log_once(item.requirement, item.unit,
                                                                ReminderLog.Kind.ESCALATION, today):
            _deliver(item.unit.parent, f"{item.unit.name}逾期未报送“{item.requirement.title}”"
                                       f"（截止 {_fmt(item.due_date)}）", f"/notices/{item.requirement.notice_id}/")
            run.escalations += 1
    return run


def _log_once(requirement, unit, kind, day) -> bool:
    _, created = ReminderLog.objects.get_or_create(requirement=requirement, unit=unit, kind=kind, sent_on=day)
    return created


def _deliver(unit: Division, text: str, link: str) -> None:
    InboxMessage.objects.create(unit=unit, text=text, link=link)
    recipients = list(unit.users.filter(is_active=True).exclude(email="").values_list("email", flat=True))
    if recipients:
        send_mail(f"[随迁子女就学工作平台] {text[:60]}", f"{text}\n\n{link}", None, recipients, fail_silently=True)
