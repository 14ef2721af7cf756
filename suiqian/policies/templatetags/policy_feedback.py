"""The review page's feedback panel: mark a finding wrong, add a missed one."""

from django import template

from suiqian.accounts.scope import Scope

from ..queries import feedback_on
from ..rules import load_rules

register = template.Library()


@register.filter
def finding_title(code: str) -> str:
    """The Chinese name of a finding code (codes are never shown to users)."""
    rule = load_rules().by_code.get(code)
    return rule.title if rule else "自动审查提示"


@register.inclusion_tag("policies/_feedback.html", takes_context=True)
def feedback_panel(context, submission, may_review):
    request = context["request"]
    return {
        "submission": submission,
        "may_review": may_review,
        "rules": load_rules().rules,
        "feedback": feedback_on(Scope.of(request.user), submission),
        "csrf_token": context.get("csrf_token"),
    }
