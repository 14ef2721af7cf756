"""Writes of the policies app: reviewers' feedback on the checker's findings."""

from __future__ import annotations

from django.db import transaction

from suiqian.accounts import audit
from suiqian.accounts.scope import Refused, Scope

from .models import MAX_SENTENCE, FindingFeedback
from .rules import load_rules


class FeedbackError(Exception):
    """Feedback that cannot be recorded; the message (Chinese) says why."""


class NotAllowed(Refused, FeedbackError):
    pass


@transaction.atomic
def record_feedback(scope: Scope, user, submission, *, kind: str, code: str, sentence: str,
                    paragraph: int | None = None, note: str = "") -> FindingFeedback:
    """A reviewer of the county marks a finding as wrong, or adds one the checker missed.

    `submission` is a 实施细则 submission (notices.DocumentSubmission): notices, which sits above this
    app, checks that before calling here."""
    if not scope.may_review(submission.unit):
        raise NotAllowed("只有上级单位的审核员可以对审查结果提出反馈")
    if kind not in FindingFeedback.Kind.values:
        raise FeedbackError("请选择“误报”或“漏报”")
    if code not in load_rules().by_code:
        raise FeedbackError("请选择问题类型")
    sentence = (sentence or "").strip()
    if not sentence:
        raise FeedbackError("请填写原文句子")
    if len(sentence) > MAX_SENTENCE:
        raise FeedbackError(f"原文句子不能超过 {MAX_SENTENCE} 字")
    if kind == FindingFeedback.Kind.WRONG and not any(
            f.get("code") == code and f.get("text") == sentence for f in submission.findings or ()):
        raise FeedbackError("该处没有这一自动审查结果，无法标为误报")
    feedback = FindingFeedback.objects.create(
        submission=submission, unit=submission.unit, kind=kind, code=code, sentence=sentence, paragraph=paragraph,
        note=(note or "").strip()[:500], created_by=user)
    audit.record(audit.Action.DATA_CHANGED, user=user, unit=submission.unit, target="实施细则审查反馈",
                 detail={"submission": submission.pk, "kind": kind, "code": code})
    return feedback
