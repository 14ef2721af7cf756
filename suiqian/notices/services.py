"""Writes: notices — drafting, publishing, forwarding, correcting, withdrawing, reading."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from suiqian.accounts import audit
from suiqian.accounts.scope import Refused, Scope
from suiqian.divisions.models import Division
from suiqian.lib.files import NOTICE_ATTACHMENT, DocumentTypeError, read_upload, sniff_attachment_type, upload_size
from suiqian.lib.params import too_long

from . import queries
from .models import InboxMessage, Notice, NoticeAttachment, NoticeCorrection, NoticeTarget, Requirement

logger = logging.getLogger(__name__)

# Larger 实施细则 are checked by `suiqian worker`, not while the county waits for its upload to finish.


class NoticeError(Exception):
    """A domain error whose message is shown to the user as it is."""


class NotAllowed(Refused, NoticeError):
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


def require_issuer(scope: Scope, unit: Division) -> None:
    if not scope.may_issue(unit):
        raise NotAllowed("只有本单位的管理员或审核员可以发文")


def inbox_line(text: str, limit: int = 500) -> str:
    """An inbox line within its column (a long reason is read in full on the notice page)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@transaction.atomic
def create_notice(scope: Scope, user, issuer: Division, *, wenhao: str, title: str, body: str = "",
                  contacts: list[dict] | None = None, targets: list[Division] | None = None,
                  requirements: list[RequirementSpec] = (), attachments: list[tuple[str, object]] = (),
                  forwarded_from: Notice | None = None) -> Notice:
    """A draft notice from `issuer` to units directly below it."""
    require_issuer(scope, issuer)
    wenhao, title = (wenhao or "").strip(), (title or "").strip()
    if not wenhao or not title:
        raise NoticeError("文号和标题不能为空")
    if problem := too_long(Notice, wenhao=wenhao, title=title):
        raise NoticeError(problem)
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
    for name, kind, data in _checked_attachments(attachments):
        NoticeAttachment.objects.create(notice=notice, name=name, size=len(data),
                                        file=ContentFile(data, name=f"attachment.{kind}"))
    return notice


MAX_ATTACHMENTS = 10
MAX_ATTACHMENTS_TOTAL = 40 * 1024 * 1024


def _checked_attachments(attachments) -> list[tuple[str, str, bytes]]:
    """Attachments (name, upload or bytes) pass the same size, content and decompression checks as every
    upload, under one total cap."""
    attachments = list(attachments)
    if len(attachments) > MAX_ATTACHMENTS:
        raise NoticeError(f"附件最多 {MAX_ATTACHMENTS} 个")
    if sum(upload_size(upload) for _, upload in attachments) > MAX_ATTACHMENTS_TOTAL:
        raise NoticeError(f"附件合计超过 {MAX_ATTACHMENTS_TOTAL // (1024 * 1024)} MB，请压缩或减少附件")
    out = []
    for name, upload in attachments:
        name = (name or "").replace("/", "_").replace("\\", "_").strip()[-120:] or "附件"
        try:
            data = read_upload(upload, NOTICE_ATTACHMENT)
            kind = sniff_attachment_type(data)
        except DocumentTypeError as e:
            raise NoticeError(f"附件“{name}”：{e}") from e
        if not name.lower().endswith(f".{kind}"):  # downloaded under a name that says what it is, never .exe/.bat
            name = f"{name}.{kind}"
        out.append((name, kind, data))
    return out


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
    if problem := too_long(Requirement, title=spec.title.strip()):
        raise NoticeError(f"报送事项“{spec.title[:20]}…”：{problem}")
    if spec.kind == Requirement.Kind.FORM and spec.form is None:
        raise NoticeError(f"报送事项“{spec.title}”是报表，请选择表单")
    if spec.parent is not None and spec.due_date > spec.parent.due_date:
        raise NoticeError(f"转发事项“{spec.title}”的截止日期 {chinese_date(spec.due_date)} 晚于上级要求的 "
                          f"{chinese_date(spec.parent.due_date)}，请提前")
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
    require_issuer(scope, notice.issuer)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.status == Notice.Status.PUBLISHED:
        raise NoticeError("该通知已发布")
    notice.status, notice.published_at = Notice.Status.PUBLISHED, timezone.now()
    notice.save()
    notice.refresh_from_db()
    audit.record(audit.Action.NOTICE, user=user, unit=notice.issuer, target=notice.wenhao,
                 detail={"title": notice.title, "targets": notice.targets.count()})
    link = reverse("notice_detail", args=[notice.pk])
    InboxMessage.objects.bulk_create([InboxMessage(unit=t.unit, text=f"收到通知：{notice.wenhao}《{notice.title}》",
                                                   link=link) for t in notice.targets.select_related("unit")])
    return notice


def forward_notice(scope: Scope, user, parent: Notice, unit: Division, *, wenhao: str, title: str, body: str = "",
                   contacts: list[dict] | None = None, due_dates: dict[int, dt.date] | None = None,
                   extra: list[RequirementSpec] = (), publish: bool = True,
                   targets: list[Division] | None = None) -> Notice:
    """转发: the city passes a received notice to its counties (all, or those chosen) with its own 文号 and
    earlier due dates, once; the upstream attachments travel with it."""
    if not parent.targets.filter(unit=unit).exists() or parent.status != Notice.Status.PUBLISHED:
        raise NoticeError("只能转发本单位收到的通知")
    require_issuer(scope, unit)
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
        # The parent's row lock makes two forwards at once wait for each other, so the second sees the first.
        Notice.objects.select_for_update().filter(pk=parent.pk).first()
        earlier = Notice.objects.filter(forwarded_from=parent, issuer=unit).first()
        if earlier is not None:
            raise NoticeError(f"本单位已转发过该通知（{earlier.wenhao}），不能重复转发")
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
                 requirements: list[RequirementSpec] = (), attachments: list[tuple[str, object]] = (),
                 remove_attachments: list[int] = ()) -> Notice:
    """A draft is edited freely: what it says, who gets it, what they must deliver."""
    require_issuer(scope, notice.issuer)
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
    InboxMessage.objects.bulk_create([InboxMessage(unit=t.unit, text=text, link=reverse("notice_detail", args=[notice.pk]))
                                      for t in notice.targets.select_related("unit")])


@transaction.atomic
def correct_notice(scope: Scope, user, notice: Notice, *, note: str, title: str, body: str,
                   due_dates: dict[int, dt.date] | None = None) -> NoticeCorrection:
    """更正 of a published notice: its recipients are told, and see the note and what changed."""
    require_issuer(scope, notice.issuer)
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
            raise NoticeError(f"事项“{r.title}”的截止日期不得晚于上级要求的 {chinese_date(r.parent.due_date)}")
        changes.append({"label": f"“{r.title}”截止日期", "old": chinese_date(r.due_date), "new": chinese_date(day)})
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
    require_issuer(scope, notice.issuer)
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


def require_submitter(scope: Scope, unit: Division) -> None:
    if not scope.may_fill(unit):
        raise NotAllowed("您没有为该单位报送的权限")


