"""Reads: reviewers' feedback on the checker's findings."""

from __future__ import annotations

from suiqian.accounts.scope import Scope

from .models import FindingFeedback

# --- reviewers' feedback ---------------------------------------------------------------------

def feedback_in_scope(scope: Scope):
    """Every feedback on the rules of units the scope sees (a province sees all of its own)."""
    return scope.filter(FindingFeedback.objects.select_related("unit", "created_by", "submission__requirement"))


def feedback_on(scope: Scope, submission) -> list:
    return list(feedback_in_scope(scope).filter(submission=submission))
