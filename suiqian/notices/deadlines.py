"""Writes: deadlines — extensions granted or asked for, and reminders (催报) of what is due or overdue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from suiqian.accounts import audit
from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division

from . import queries
from .models import Extension, ExtensionRequest, InboxMessage, Notice, ReminderLog, Requirement
from .services import NoticeError, chinese_date, inbox_line, require_issuer, require_submitter


@transaction.atomic
def grant_extension(scope: Scope, user, requirement: Requirement, unit: Division, due_date: dt.date,
                    reason: str) -> Extension:
    require_issuer(scope, requirement.notice.issuer)
    reason = (reason or "").strip()
    if not reason:
        raise NoticeError("延期必须填写理由")
    if not queries.is_expected(requirement, unit):
        raise NoticeError("该单位不是该事项的报送单位")
    if due_date <= requirement.due_date:
        raise NoticeError(f"延期日期应晚于原截止日期 {chinese_date(requirement.due_date)}")
    extension, _ = Extension.objects.update_or_create(
        requirement=requirement, unit=unit,
        defaults={"due_date": due_date, "reason": reason, "granted_by": user})
    audit.record(audit.Action.EXTENSION, user=user, unit=unit, target=requirement.title,
                 detail={"due_date": due_date.isoformat(), "reason": reason})
    InboxMessage.objects.create(unit=unit, text=inbox_line(f"“{requirement.title}”截止日期延至 {chinese_date(due_date)}：{reason}"),
                                link=reverse("notice_detail", args=[requirement.notice_id]))
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
        raise NoticeError(f"申请的日期应晚于现在的截止日期 {chinese_date(due)}")
    if ExtensionRequest.objects.filter(requirement=requirement, unit=unit,
                                       status=ExtensionRequest.Status.PENDING).exists():
        raise NoticeError("本单位已有一个待处理的延期申请")
    ask = ExtensionRequest.objects.create(requirement=requirement, unit=unit, due_date=due_date, reason=reason,
                                          requested_by=user)
    InboxMessage.objects.create(unit=requirement.notice.issuer,
                                text=f"{unit.name}申请将“{requirement.title}”延期至 {chinese_date(due_date)}：{reason}",
                                link=reverse("notice_detail", args=[requirement.notice_id]))
    return ask


@transaction.atomic
def decide_extension_request(scope: Scope, user, ask: ExtensionRequest, *, grant: bool, note: str = "") -> ExtensionRequest:
    requirement = ask.requirement
    require_issuer(scope, requirement.notice.issuer)
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
                                    link=reverse("notice_detail", args=[requirement.notice_id]))
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
            when = f"已逾期（截止 {chinese_date(item.due_date)}）" if item.overdue else f"将于 {chinese_date(item.due_date)} 截止"
            text = f"请报送：{item.requirement.notice.wenhao}“{item.requirement.title}”{when}"
            _deliver(item.unit, text, reverse("notice_detail", args=[item.requirement.notice_id]))
            if item.overdue:
                run.overdue += 1
            else:
                run.due_soon += 1
        if item.overdue and item.unit.parent_id and _log_once(item.requirement, item.unit,
                                                                ReminderLog.Kind.ESCALATION, today):
            _deliver(item.unit.parent, f"{item.unit.name}逾期未报送“{item.requirement.title}”"
                                       f"（截止 {chinese_date(item.due_date)}）", reverse("notice_detail", args=[item.requirement.notice_id]))
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
