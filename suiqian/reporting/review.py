"""The one review state machine: 上报 → 审核通过 / 退回, and 解锁 of an approved record.

Forms (附件3, `services`) and 教育事业统计 (`edustats.services`) move through every step here. Documents
(`notices.documents`) take only 审核通过 and 退回 from it (DOCUMENT_STEPS): a document is versioned, every upload
is a new version that starts 已报送, so it has no draft to submit, and a returned or approved document is answered
by a new version or a return, never reopened in place.
"""

from __future__ import annotations

from django.utils import timezone

from suiqian.accounts import audit

from .models import Report, ReportEvent

Status = Report.Status
Action = ReportEvent.Action

# action → (the states it may start from, the state it leads to)
STEPS = {
    Action.SUBMIT: (frozenset({Status.DRAFT, Status.RETURNED}), Status.SUBMITTED),
    Action.APPROVE: (frozenset({Status.SUBMITTED}), Status.APPROVED),
    Action.RETURN: (frozenset({Status.SUBMITTED}), Status.RETURNED),
    Action.UNLOCK: (frozenset({Status.APPROVED}), Status.RETURNED),
}
DOCUMENT_STEPS = {action: STEPS[action] for action in (Action.APPROVE, Action.RETURN)}
REASON_REQUIRED = {Action.RETURN: "退回必须填写原因", Action.UNLOCK: "解锁必须填写原因"}
AUDIT_ACTION = {Action.SUBMIT: audit.Action.SUBMITTED, Action.APPROVE: audit.Action.APPROVED,
                Action.RETURN: audit.Action.RETURNED, Action.UNLOCK: audit.Action.UNLOCKED}


def reason_for(action: str, reason: str | None, error: type[Exception]) -> str:
    """The reason stripped; `error` when the step needs one and none was given."""
    reason = (reason or "").strip()
    if action in REASON_REQUIRED and not reason:
        raise error(REASON_REQUIRED[action])
    return reason


def next_status(status: str, status_label: str, action: str, *, what: str, error: type[Exception],
                steps: dict = STEPS) -> str:
    """Where `action` leads from `status`; `error` when it may not be taken from there (another reviewer may
    have acted first: the caller holds the row lock while it asks)."""
    starts, leads_to = steps[action]
    if status not in starts:
        raise error(f"{what}当前状态为“{status_label}”，不能执行此操作（可能已被他人处理）")
    return leads_to


def record_step(record, user, action: str, to_status: str, *, target: str, comment: str = "",
                event_fields: dict | None = None, **fields) -> None:
    """Apply a checked step to a locked form or statistics record: its state, version, who and when, then the
    history row (`record.events`) and the audit line, all in the caller's transaction."""
    from_status, now = record.status, timezone.now()
    record.status = to_status
    record.version += 1
    if action == Action.SUBMIT:
        record.submitted_at, record.submitted_by = now, user
    else:
        record.decided_at, record.decided_by = now, user
    for key, value in fields.items():
        setattr(record, key, value)
    record.save()
    record.events.create(user=user, action=action, from_status=from_status, to_status=to_status, comment=comment,
                         **(event_fields or {}))
    audit.record(AUDIT_ACTION[action], user=user, unit=record.unit, target=target,
                 detail={"from": from_status, "to": to_status, "comment": comment})
